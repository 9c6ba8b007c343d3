import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Choice, Condition, DistributedMap, Fail, IntegrationPattern, JsonPath, Map as MapState, S3JsonItemReader, StateMachineType, Succeed, TaskInput } from 'aws-cdk-lib/aws-stepfunctions';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { StepFunctionsStartExecution } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { IChainable } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { SETTLEMENT_WORK_PREFIX } from '../../shared/adapters/files/work-files.ts';
import { EXECUTION_ID, directInvoke, transientStartRetry } from '../lambda-tasks.ts';
import { SettlementStates, type ShardMap } from './states.ts';

export interface SettlementTasks {
  readonly settlementSteps: IFunction;
  /** Started once the date is settled, to reconcile the counterpart files of the date. */
  readonly reconciliation: IStateMachine;
  /** Shards gathered at the same time. */
  readonly maxConcurrency?: number;
  /** The work bucket, where OpenRun writes the manifest of the run's shards. */
  readonly workBucket: IBucket;
  /** A Distributed Map over the manifest (AWS), or an inline Map over OpenRun's shards (the local stack). */
  readonly shardMap: ShardMap;
}

/**
 * The manifest's reader, allowed to read the settlement's work files only (the S3 reader of the
 * CDK would read the whole bucket): the state machine never sees a lender's statements.
 */
class WorkManifestReader extends S3JsonItemReader {
  override providePolicyStatements(): PolicyStatement[] {
    return [new PolicyStatement({ actions: ['s3:GetObject'], resources: [this.bucket.arnForObjects(`${SETTLEMENT_WORK_PREFIX}/*`)] })];
  }
}

/**
 * GatherShard once per shard, `maxConcurrency` at a time, results discarded (a gather leaves what
 * it made in the StateTable and the file store). In AWS a Distributed Map reads the shards from
 * the manifest OpenRun wrote (`$.manifest` in the work bucket), each shard a child execution; the
 * local engine runs no Distributed Map, so there the Map iterates `$.shards` inline (docs/adr/0006).
 */
function gatherShardsState(scope: Construct, tasks: SettlementTasks, gatherShard: IChainable): MapState | DistributedMap {
  const props = {
    maxConcurrency: tasks.maxConcurrency ?? 4,
    itemSelector: { 'businessDate.$': '$.businessDate', 'attempt.$': '$.attempt', 'shard.$': '$$.Map.Item.Value.shard' },
    resultPath: JsonPath.DISCARD,
  };
  if (tasks.shardMap === 'INLINE') return new MapState(scope, SettlementStates.gatherShards, { ...props, itemsPath: '$.shards' }).itemProcessor(gatherShard);
  return new DistributedMap(scope, SettlementStates.gatherShards, {
    ...props,
    itemReader: new WorkManifestReader({ bucket: tasks.workBucket, key: JsonPath.stringAt('$.manifest') }),
    mapExecutionType: StateMachineType.STANDARD,
  }).itemProcessor(gatherShard);
}

/**
 * OpenRun → Skipped (a scheduled day that is not a business day, or already settled), or
 * GatherShards (Map: GatherShard per shard) → Instruct → WriteFiles → CloseRun → ReconcileDate
 * (starts the Reconciliation of the date's counterpart files) → Settled; a failure after OpenRun
 * and before CloseRun → FailRun → Failed. Steps pass the business date and small counts only: what a step
 * produces is in the StateTable and the file store, so each may run again with the same effect.
 */
export function settlementDefinition(scope: Construct, tasks: SettlementTasks): IChainable {
  const fn = tasks.settlementSteps;
  // Every step after OpenRun names the attempt it belongs to: a step of a replaced attempt changes nothing.
  const date = { 'businessDate.$': '$.businessDate', 'attempt.$': '$.attempt' };
  const openRun = directInvoke(scope, SettlementStates.openRun, {
    fn,
    payload: { step: SettlementStates.openRun, 'input.$': '$' },
    comment: 'Opens the run of the business date (given, or the day the schedule closes): its days per calendar, its attempt and shards',
  });
  const gatherShard = directInvoke(scope, SettlementStates.gatherShard, {
    fn,
    payload: { step: SettlementStates.gatherShard, ...date, 'shard.$': '$.shard' },
    comment: "One shard's entries of the run's days: settlement items and repayment rows",
  });
  const gatherShards = gatherShardsState(scope, tasks, gatherShard);
  const instruct = directInvoke(scope, SettlementStates.instruct, {
    fn,
    payload: { step: SettlementStates.instruct, ...date, ...EXECUTION_ID },
    resultPath: '$.instructed',
    comment: 'Payout instructions from every shard, netted or gross per program, each written once',
  });
  const writeFiles = directInvoke(scope, SettlementStates.writeFiles, {
    fn,
    payload: { step: SettlementStates.writeFiles, ...date, ...EXECUTION_ID },
    resultPath: '$.written',
    comment: "Every lender's file set of the date, the .ok marker last",
  });
  const closeRun = directInvoke(scope, SettlementStates.closeRun, {
    fn,
    payload: { step: SettlementStates.closeRun, ...date, 'instructions.$': '$.instructed.instructions', 'entries.$': '$.instructed.entries', 'files.$': '$.written.files', ...EXECUTION_ID },
    resultPath: '$.closed',
    comment: 'Marks the run settled with what it wrote',
  });
  const settled = new Succeed(scope, SettlementStates.settled, { comment: 'The date is settled; its reconciliation runs on its own' });
  const reconcileDate = new StepFunctionsStartExecution(scope, SettlementStates.reconcileDate, {
    stateMachine: tasks.reconciliation,
    integrationPattern: IntegrationPattern.REQUEST_RESPONSE,
    name: JsonPath.format('reconcile-{}-settled-{}', JsonPath.stringAt('$.businessDate'), JsonPath.stringAt('$.attempt')),
    input: TaskInput.fromObject({ businessDate: JsonPath.stringAt('$.businessDate') }),
    resultPath: JsonPath.DISCARD,
    comment: 'Reconciles the counterpart files of the date that wait for its settlement, or were matched against an earlier run of it; named by the run, so one start per run',
  });
  reconcileDate.addRetry(transientStartRetry);
  // The date is settled whatever happens to the start: a reconciliation can always be started on demand.
  reconcileDate.addCatch(settled, { errors: ['States.ALL'], resultPath: '$.reconcileError' });
  const failRun = directInvoke(scope, SettlementStates.failRun, {
    fn,
    payload: { step: SettlementStates.failRun, ...date, 'error.$': '$.error', ...EXECUTION_ID },
    resultPath: JsonPath.DISCARD,
    comment: 'Records why the run stopped; the date can be run again',
  });
  const failed = new Fail(scope, SettlementStates.failed, { causePath: '$.error.Cause', errorPath: '$.error.Error' });
  failRun.next(failed);
  // OpenRun writes the run last: when it fails, the date holds no run of this attempt to mark.
  openRun.addCatch(failed, { errors: ['States.ALL'], resultPath: '$.error' });
  for (const task of [gatherShards, instruct, writeFiles, closeRun]) task.addCatch(failRun, { errors: ['States.ALL'], resultPath: '$.error' });
  const skipped = new Succeed(scope, SettlementStates.skipped, { comment: 'Not a business day of any calendar, or a date already settled (a scheduled run)' });
  return openRun.next(
    new Choice(scope, 'OpenedOrSkipped')
      .when(Condition.booleanEquals('$.skipped', true), skipped)
      .otherwise(gatherShards.next(instruct).next(writeFiles).next(closeRun).next(reconcileDate).next(settled)),
  );
}
