import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Choice, Condition, Fail, JsonPath, Map as MapState, Succeed } from 'aws-cdk-lib/aws-stepfunctions';
import type { IChainable } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { failOnAnyError } from '../failure-paths.ts';
import { EXECUTION_ID, directInvoke } from '../lambda-tasks.ts';
import { ProfitSharingStates } from './states.ts';

export interface ProfitSharingTasks {
  readonly profitSteps: IFunction;
  /** Loan shards booked at the same time. */
  readonly maxConcurrency?: number;
}

/**
 * PlanRuns (the program and period asked for, or every program's periods that ended when the
 * schedule fires) → Runs (Map, one run at a time): OpenRun → Skipped (done already, or running
 * elsewhere; a scheduled run), or BookShards (Map: BookShard per loan shard) → Statements →
 * CloseRun; a failure after OpenRun → FailRun → Failed. Steps pass ids and small counts only:
 * what a step produces is in the ledger and the StateTable, so each may run again with the same effect.
 */
export function profitSharingDefinition(scope: Construct, tasks: ProfitSharingTasks): IChainable {
  const fn = tasks.profitSteps;
  const run = { 'programId.$': '$.programId', 'period.$': '$.period' };
  // Every step after OpenRun names the attempt it opened: a step of a replaced attempt changes nothing.
  const opened = { ...run, 'attempt.$': '$.attempt' };
  const planRuns = directInvoke(scope, ProfitSharingStates.planRuns, {
    fn,
    payload: { step: ProfitSharingStates.planRuns, 'input.$': '$' },
    comment: 'The run asked for, or every program whose period just ended by its fee rules (the schedule)',
  });
  const openRun = directInvoke(scope, ProfitSharingStates.openRun, {
    fn,
    payload: { step: ProfitSharingStates.openRun, ...opened },
    comment: 'Opens the run of the program and period: refused when done or not ended; a failed one runs again',
  });
  const bookShard = directInvoke(scope, ProfitSharingStates.bookShard, {
    fn,
    payload: { step: ProfitSharingStates.bookShard, ...opened, 'shard.$': '$.shard' },
    comment: "The period fees of the program's loans in one loan shard, each booked once",
  });
  const bookShards = new MapState(scope, ProfitSharingStates.bookShards, {
    itemsPath: '$.shards',
    maxConcurrency: tasks.maxConcurrency ?? 4,
    itemSelector: { 'programId.$': '$.programId', 'period.$': '$.period', 'attempt.$': '$.attempt', 'shard.$': '$$.Map.Item.Value.shard' },
    resultPath: '$.booked',
  });
  bookShards.itemProcessor(bookShard);
  const statements = directInvoke(scope, ProfitSharingStates.statements, {
    fn,
    payload: { step: ProfitSharingStates.statements, ...opened },
    resultPath: '$.stated',
    comment: "Each party's statement of the period from the entries booked in it, stored per party",
  });
  const closeRun = directInvoke(scope, ProfitSharingStates.closeRun, {
    fn,
    payload: { step: ProfitSharingStates.closeRun, ...opened, 'shards.$': '$.booked', 'parties.$': '$.stated.parties', ...EXECUTION_ID },
    comment: 'Marks the run done with what it booked and stated',
  });
  const failRun = directInvoke(scope, ProfitSharingStates.failRun, {
    fn,
    payload: { step: ProfitSharingStates.failRun, ...opened, 'error.$': '$.error', ...EXECUTION_ID },
    resultPath: JsonPath.DISCARD,
    comment: 'Records why the run stopped; the period can be run again',
  });
  const failed = new Fail(scope, ProfitSharingStates.failed, { causePath: '$.error.Cause', errorPath: '$.error.Error' });
  failRun.next(failed);
  // OpenRun writes the run last: when it fails, the period holds no run of this attempt to mark.
  openRun.addCatch(failed, { errors: ['States.ALL'], resultPath: '$.error' });
  for (const task of [bookShards, statements, closeRun]) task.addCatch(failRun, { errors: ['States.ALL'], resultPath: '$.error' });
  const skipped = new Succeed(scope, ProfitSharingStates.skipped, { comment: 'A period done already or being run (a scheduled run)' });
  const oneRun = openRun.next(
    new Choice(scope, 'OpenedOrSkipped').when(Condition.booleanEquals('$.skipped', true), skipped).otherwise(bookShards.next(statements).next(closeRun)),
  );
  const runs = new MapState(scope, ProfitSharingStates.runs, {
    itemsPath: '$.runs',
    maxConcurrency: 1,
    itemSelector: { 'programId.$': '$$.Map.Item.Value.programId', 'period.$': '$$.Map.Item.Value.period', 'attempt.$': '$$.Map.Item.Value.attempt' },
    resultPath: '$.runs',
  });
  runs.itemProcessor(oneRun);
  failOnAnyError(
    scope,
    ProfitSharingStates.runsFailed,
    'PlanRuns only reads; a run that failed was recorded FAILED by its FailRun (or was never opened), so the period can be run again',
    [planRuns, runs],
  );
  return planRuns.next(runs);
}
