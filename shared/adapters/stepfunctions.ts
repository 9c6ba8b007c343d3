import { ExecutionAlreadyExists, SendTaskFailureCommand, SendTaskSuccessCommand, StartExecutionCommand, StartSyncExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { SyncWorkflow, TaskResumer, WorkflowStarter } from '../ports/stores.ts';
import { toJson } from '../json.ts';

/** Starts executions of one state machine, named by their business key. */
export class StepFunctionsStarter implements WorkflowStarter {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(name: string, input: unknown): Promise<{ executionArn: string }> {
    try {
      const out = await this.client.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name, input: toJson(input) }));
      return { executionArn: out.executionArn ?? '' };
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists) {
        // arn:{partition}:states:{region}:{account}:stateMachine:{name}; the partition is aws-cn in China.
        const [, partition = 'aws', , region = '', account = '', , machine = ''] = this.stateMachineArn.split(':');
        return { executionArn: `arn:${partition}:states:${region}:${account}:execution:${machine}:${name}` };
      }
      throw error;
    }
  }
}

const GONE = new Set(['TaskDoesNotExist', 'TaskTimedOut', 'InvalidToken']);

/** Task tokens through the Step Functions API; a task that stopped waiting is reported, not thrown. */
export class StepFunctionsResumer implements TaskResumer {
  constructor(private readonly client: SFNClient) {}

  async succeed(taskToken: string, output: unknown): Promise<boolean> {
    return this.settle(() => this.client.send(new SendTaskSuccessCommand({ taskToken, output: toJson(output) })));
  }

  async fail(taskToken: string, error: string, cause: string): Promise<boolean> {
    return this.settle(() => this.client.send(new SendTaskFailureCommand({ taskToken, error, cause })));
  }

  private async settle(send: () => Promise<unknown>): Promise<boolean> {
    try {
      await send();
      return true;
    } catch (error) {
      if (error instanceof Error && GONE.has(error.name)) return false;
      throw error;
    }
  }
}

/** Runs an Express state machine synchronously and returns its output; a failed execution throws. */
export class StepFunctionsSyncRunner implements SyncWorkflow {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async run(input: unknown): Promise<unknown> {
    const out = await this.client.send(new StartSyncExecutionCommand({ stateMachineArn: this.stateMachineArn, input: toJson(input) }));
    if (out.status !== 'SUCCEEDED') {
      throw new Error(`execution ${out.executionArn ?? ''} ended ${out.status ?? 'UNKNOWN'}: ${out.error ?? ''} ${out.cause ?? ''}`.trim());
    }
    return JSON.parse(out.output ?? 'null') as unknown;
  }
}
