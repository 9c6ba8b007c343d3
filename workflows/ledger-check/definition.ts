import { JsonPath, Map as MapState, Pass, Result } from 'aws-cdk-lib/aws-stepfunctions';
import type { IChainable } from 'aws-cdk-lib/aws-stepfunctions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { failOnAnyError } from '../failure-paths.ts';
import { EXECUTION_ID, transientLambdaRetry } from '../lambda-tasks.ts';
import { LedgerCheckStates } from './states.ts';

export interface LedgerCheckTasks {
  readonly verifyShard: IFunction;
  readonly recordReport: IFunction;
  readonly shardCount: number;
  /** Shards verified at the same time. */
  readonly maxConcurrency?: number;
}

/**
 * PrepareShards → VerifyShards (Map: VerifyShard per shard) → RecordReport.
 *
 * The input may carry `businessDate`, `scheduledTime` or both. A JSONPath reference to an absent
 * field fails an execution, so fields are never picked one by one: each shard's payload is the
 * execution input merged with its `{ "shard": n }` item, and RecordReport receives the input with
 * `shards` replaced by the shard results and the execution's id added (`executionId`, which its
 * audit record names; an intrinsic merges objects, so the id is put in one first). Absent fields
 * stay absent.
 *
 * Task states call Lambda directly (`Resource` = the function ARN, payload in, result out), so
 * the local engine binds each Task state to one handler module.
 */
export function ledgerCheckDefinition(scope: Construct, tasks: LedgerCheckTasks): IChainable {
  if (!Number.isInteger(tasks.shardCount) || tasks.shardCount < 1) {
    throw new Error(`shardCount must be a positive integer, got ${tasks.shardCount}`);
  }
  const shardItems = Array.from({ length: tasks.shardCount }, (_, shard) => ({ shard }));

  const prepareShards = new Pass(scope, LedgerCheckStates.prepareShards, {
    comment: 'Adds the shard list to the input: { businessDate?, scheduledTime?, shards: [{ shard }] }',
    result: Result.fromArray(shardItems),
    resultPath: '$.shards',
  });

  const verifyShard = new LambdaInvoke(scope, LedgerCheckStates.verifyShard, {
    lambdaFunction: tasks.verifyShard,
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
    inputPath: '$.payload',
    comment: 'Input { businessDate?, scheduledTime?, shard }',
  });
  verifyShard.addRetry(transientLambdaRetry);

  const verifyShards = new MapState(scope, LedgerCheckStates.verifyShards, {
    itemsPath: '$.shards',
    maxConcurrency: tasks.maxConcurrency ?? 4,
    itemSelector: {
      payload: JsonPath.jsonMerge(JsonPath.executionInput, JsonPath.objectAt('$$.Map.Item.Value')),
    },
    resultPath: '$.shards',
  });
  verifyShards.itemProcessor(verifyShard);

  const recordReport = new LambdaInvoke(scope, LedgerCheckStates.recordReport, {
    lambdaFunction: tasks.recordReport,
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
    comment: 'Input { businessDate?, scheduledTime?, shards: [shard results] }',
  });
  recordReport.addRetry(transientLambdaRetry);
  failOnAnyError(scope, LedgerCheckStates.checkFailed, 'The check reads the books only and writes its report whole; a new start checks the date again', [verifyShards, recordReport]);

  const reportExecution = new Pass(scope, 'ReportExecution', { parameters: { ...EXECUTION_ID }, resultPath: '$.execution' });
  const reportPayload = new Pass(scope, 'ReportPayload', { parameters: { 'payload.$': 'States.JsonMerge($, $.execution, false)' }, outputPath: '$.payload' });
  return prepareShards.next(verifyShards).next(reportExecution).next(reportPayload).next(recordReport);
}
