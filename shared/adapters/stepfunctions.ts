import type { SFNClient} from '@aws-sdk/client-sfn';
import { ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { WorkflowStarter } from '../ports/stores.ts';
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
