import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Choice, Condition, Fail, JsonPath, Map as MapState, Succeed } from 'aws-cdk-lib/aws-stepfunctions';
import type { IChainable } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { EXECUTION_ID, directInvoke } from '../lambda-tasks.ts';
import { RegulatoryReportStates } from './states.ts';

export interface RegulatoryReportTasks {
  readonly reportSteps: IFunction;
  /** Loan shards measured at the same time. */
  readonly maxConcurrency?: number;
}

/**
 * OpenRun → Skipped (a scheduled date done or running), or MeasureShards (Map: MeasureShard per
 * loan shard) → RecordReport; a failure after OpenRun → FailRun → Failed. Steps pass the date,
 * the attempt and a shard number: what a step produces is in the StateTable.
 */
export function regulatoryReportDefinition(scope: Construct, tasks: RegulatoryReportTasks): IChainable {
  const fn = tasks.reportSteps;
  const run = { 'businessDate.$': '$.businessDate', 'attempt.$': '$.attempt' };
  const openRun = directInvoke(scope, RegulatoryReportStates.openRun, {
    fn,
    payload: { step: RegulatoryReportStates.openRun, 'input.$': '$' },
    comment: 'Opens the run of the date (given with its attempt, or the day the schedule closes) once every cut-off of it has passed',
  });
  const measureShard = directInvoke(scope, RegulatoryReportStates.measureShard, {
    fn,
    payload: { step: RegulatoryReportStates.measureShard, ...run, 'shard.$': '$.shard' },
    comment: "Each lender's principal at the end of the date in the shard's loans, by lead and partner",
  });
  const measureShards = new MapState(scope, RegulatoryReportStates.measureShards, {
    itemsPath: '$.shards',
    maxConcurrency: tasks.maxConcurrency ?? 4,
    itemSelector: { ...run, 'shard.$': '$$.Map.Item.Value.shard' },
    resultPath: JsonPath.DISCARD,
  });
  measureShards.itemProcessor(measureShard);
  const recordReport = directInvoke(scope, RegulatoryReportStates.recordReport, {
    fn,
    payload: { step: RegulatoryReportStates.recordReport, ...run, ...EXECUTION_ID },
    comment: "Every bank's rows against its figures in force on the date; the report stored with the run",
  });
  const failRun = directInvoke(scope, RegulatoryReportStates.failRun, {
    fn,
    payload: { step: RegulatoryReportStates.failRun, ...run, 'error.$': '$.error', ...EXECUTION_ID },
    resultPath: JsonPath.DISCARD,
    comment: 'Records why the attempt stopped; the date can be run again',
  });
  const failed = new Fail(scope, RegulatoryReportStates.failed, { causePath: '$.error.Cause', errorPath: '$.error.Error' });
  failRun.next(failed);
  // OpenRun writes the run last: when it fails, the date holds no run of this attempt to mark.
  openRun.addCatch(failed, { errors: ['States.ALL'], resultPath: '$.error' });
  for (const task of [measureShards, recordReport]) task.addCatch(failRun, { errors: ['States.ALL'], resultPath: '$.error' });
  const skipped = new Succeed(scope, RegulatoryReportStates.skipped, { comment: 'A date reported already or being reported (a scheduled run)' });
  return openRun.next(new Choice(scope, 'OpenedOrSkipped').when(Condition.booleanEquals('$.skipped', true), skipped).otherwise(measureShards.next(recordReport)));
}
