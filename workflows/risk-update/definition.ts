import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { JsonPath, Map as MapState, Pass, Result } from 'aws-cdk-lib/aws-stepfunctions';
import type { IChainable } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { failOnAnyError } from '../failure-paths.ts';
import { EXECUTION_ID, directInvoke } from '../lambda-tasks.ts';
import { RiskUpdateStates } from './states.ts';

export interface RiskUpdateTasks {
  readonly riskSteps: IFunction;
  readonly shardCount: number;
  readonly maxConcurrency?: number;
}

/**
 * PrepareShards → AssessShards (Map: AssessShard per loan shard) → RecordReport (Standard, daily).
 *
 * The input carries `businessDate`, the scheduler's `scheduledTime`, or both; as in the ledger
 * check, fields are never picked one by one (an absent one would fail the execution): each
 * shard's payload is the execution input merged with `{ step, shard }` and the execution's id
 * (`executionId`, which its audit records name), and RecordReport gets the
 * input with `step` set and `shards` replaced by the shard results.
 */
export function riskUpdateDefinition(scope: Construct, tasks: RiskUpdateTasks): IChainable {
  if (!Number.isInteger(tasks.shardCount) || tasks.shardCount < 1) {
    throw new Error(`shardCount must be a positive integer, got ${tasks.shardCount}`);
  }
  const shardItems = Array.from({ length: tasks.shardCount }, (_, shard) => ({ step: RiskUpdateStates.assessShard, shard }));
  const prepareShards = new Pass(scope, RiskUpdateStates.prepareShards, {
    comment: 'Adds the shard list: { businessDate?, scheduledTime?, shards: [{ step, shard }] }',
    result: Result.fromArray(shardItems),
    resultPath: '$.shards',
  });
  const assessShard = directInvoke(scope, RiskUpdateStates.assessShard, {
    fn: tasks.riskSteps,
    comment: 'DPD and class of every loan of the shard; compensation and write-off where the program calls for them',
  });
  const assessShards = new MapState(scope, RiskUpdateStates.assessShards, {
    itemsPath: '$.shards',
    maxConcurrency: tasks.maxConcurrency ?? 4,
    itemSelector: { payload: JsonPath.jsonMerge(JsonPath.executionInput, JsonPath.objectAt('$$.Map.Item.Value')), execution: { ...EXECUTION_ID } },
    resultPath: '$.shards',
  });
  // The shard's payload with the execution's id added (an intrinsic merges two objects, not three).
  const shardPayload = new Pass(scope, 'ShardPayload', { parameters: { 'payload.$': 'States.JsonMerge($.payload, $.execution, false)' }, outputPath: '$.payload' });
  assessShards.itemProcessor(shardPayload.next(assessShard));
  const markReport = new Pass(scope, 'ReportStep', { result: Result.fromString(RiskUpdateStates.recordReport), resultPath: '$.step' });
  const recordReport = directInvoke(scope, RiskUpdateStates.recordReport, { fn: tasks.riskSteps, comment: 'Writes the report of the business date' });
  failOnAnyError(
    scope,
    RiskUpdateStates.updateFailed,
    "Each loan's change (class, compensation, write-off) is its own idempotent transaction; a new start of the date completes the loans not done",
    [assessShards, recordReport],
  );
  return prepareShards.next(assessShards).next(markReport).next(recordReport);
}
