import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type { CfnFunction, IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import type { CfnStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { IChainable } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { WorkflowLogSettings } from '../config.ts';
import { logGroupSettings } from './data-key.ts';

export interface ColendWorkflowProps {
  readonly definition: IChainable;
  /** The functions its Task states invoke, granted by the definition. */
  readonly invokedFunctions: readonly IFunction[];
  readonly description?: string;
  readonly logRetention: RetentionDays;
  /** What is logged: the stage's setting (ERROR without execution data by default). */
  readonly logs: WorkflowLogSettings;
  readonly timeout?: Duration;
  /** EXPRESS for high-volume short work whose steps are idempotent; STANDARD otherwise. */
  readonly type?: StateMachineType;
  /** X-Ray tracing (the stage's `observability.tracing`); on when absent. */
  readonly tracing?: boolean;
  /**
   * Every step may run again with the effect of running once, from the first state with the same
   * name and input: the local stack then starts an execution of it again after a `--persist`
   * restart (`RESUME_METADATA_KEY`, infra/local/README.md). AWS keeps executions itself.
   */
  readonly resumesFromFirstState?: boolean;
}

/**
 * Metadata of a state machine whose executions the local stack starts again, from the first state,
 * after a restart with `--persist` (read by infra/local/state-machines.ts).
 */
export const RESUME_METADATA_KEY = 'colend:resume';
export const RESUME_FROM_FIRST_STATE = 'FROM_FIRST_STATE';

/**
 * Our defaults for a workflow: a Standard state machine (money and anything that waits) unless
 * the caller asks for Express, its own log group at the stage's level (failures only, without the
 * executions' data, unless the stage asks for more: inputs and outputs carry borrower data),
 * X-Ray tracing on unless the stage turns it off. No physical name.
 */
export class ColendWorkflow extends StateMachine {
  readonly isExpress: boolean;

  constructor(scope: Construct, id: string, props: ColendWorkflowProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, logGroupSettings(scope, props.logRetention));
    super(scope, id, {
      definitionBody: DefinitionBody.fromChainable(props.definition),
      stateMachineType: props.type ?? StateMachineType.STANDARD,
      comment: props.description,
      timeout: props.timeout ?? (props.type === StateMachineType.EXPRESS ? Duration.minutes(1) : Duration.hours(1)),
      tracingEnabled: props.tracing ?? true,
      logs: { destination: logGroup, level: props.logs.level === 'ALL' ? LogLevel.ALL : LogLevel.ERROR, includeExecutionData: props.logs.includeExecutionData },
    });
    this.isExpress = props.type === StateMachineType.EXPRESS;
    if (props.resumesFromFirstState === true) (this.node.defaultChild as CfnStateMachine).addMetadata(RESUME_METADATA_KEY, RESUME_FROM_FIRST_STATE);
    if (props.tracing === false) {
      Validations.of(this).acknowledge({ id: 'AwsSolutions-SF2', reason: 'The stage turned tracing off (colend:tracing=false); every other stage traces each execution with X-Ray.' });
    }
    if (props.logs.level !== 'ALL') {
      Validations.of(this).acknowledge({
        id: 'AwsSolutions-SF1',
        reason:
          'Failures only (ERROR), without execution data: the states carry application and borrower data. X-Ray traces every execution; a stage sets colend:workflowLogs to ALL or ALL_WITH_DATA when it needs every event.',
      });
    }
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Log delivery (logs:CreateLogDelivery and related) and X-Ray (xray:PutTraceSegments and related) support no resource-level permissions.',
    });
    for (const fn of props.invokedFunctions) {
      const logicalId = Stack.of(fn).getLogicalId(fn.node.defaultChild as CfnFunction);
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`,
        reason: `A Task state may invoke any version or alias of ${fn.node.id}; the grant covers only that function.`,
      });
    }
    this.acknowledgeDistributedMap();
  }

  /** A Distributed Map's policy (added by the CDK) describes, stops and redrives its child executions, named at run time: only this state machine's. */
  private acknowledgeDistributedMap(): void {
    const policy = this.node.tryFindChild('DistributedMapPolicy');
    if (policy === undefined) return;
    const name = `{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${Stack.of(this).getLogicalId(this.node.defaultChild as CfnStateMachine)}"}]}]}`;
    for (const execution of [`${name}:*`, `${name}/*:*`]) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${execution}]`,
        reason: "A Distributed Map's child executions and map runs are named when the map runs; the grant covers only this state machine's executions.",
      });
    }
  }
}
