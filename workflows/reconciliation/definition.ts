import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { JsonPath, Map as MapState, Succeed } from 'aws-cdk-lib/aws-stepfunctions';
import type { IChainable } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { failOnAnyError } from '../failure-paths.ts';
import { EXECUTION_ID, directInvoke } from '../lambda-tasks.ts';
import { ReconciliationStates } from './states.ts';

export interface ReconciliationTasks {
  readonly reconciliationSteps: IFunction;
  /** Reconciliations run at the same time. */
  readonly maxConcurrency?: number;
}

/**
 * Plan (the reconciliations given, or those of a settled date) → ReconcileEach (Map): Reconcile
 * one file, whose failure is caught per file → FailReconciliation, so the others go on → Done.
 * Steps pass ids only: what a step produces is in the StateTable and the file store.
 */
export function reconciliationDefinition(scope: Construct, tasks: ReconciliationTasks): IChainable {
  const fn = tasks.reconciliationSteps;
  const plan = directInvoke(scope, ReconciliationStates.plan, {
    fn,
    payload: { step: ReconciliationStates.plan, 'input.$': '$' },
    resultPath: '$.planned',
    comment: 'The reconciliations to run: those the start names, or every one of a settled date that waits, failed or was matched against an earlier run of the date',
  });
  const reconcile = directInvoke(scope, ReconciliationStates.reconcile, {
    fn,
    payload: { step: ReconciliationStates.reconcile, 'reconciliationId.$': '$.reconciliationId', ...EXECUTION_ID },
    comment: 'Reads the file to the end, spools both sides, matches partition by partition, writes the breaks and the report; WAITING while the date is not settled',
  });
  const failOne = directInvoke(scope, ReconciliationStates.failReconciliation, {
    fn,
    payload: { step: ReconciliationStates.failReconciliation, 'reconciliationId.$': '$.reconciliationId', 'error.$': '$.error', ...EXECUTION_ID },
    comment: 'Records why this file stopped; the others go on, and it is planned again by the next settlement of its date or a new start',
  });
  reconcile.addCatch(failOne, { errors: ['States.ALL'], resultPath: '$.error' });
  const each = new MapState(scope, ReconciliationStates.reconcileEach, {
    itemsPath: '$.planned.reconciliationIds',
    maxConcurrency: tasks.maxConcurrency ?? 2,
    itemSelector: { 'reconciliationId.$': '$$.Map.Item.Value' },
    resultPath: JsonPath.DISCARD,
  });
  each.itemProcessor(reconcile);
  failOnAnyError(
    scope,
    ReconciliationStates.failed,
    'Plan only reads; a file whose reconciliation failed was recorded FAILED by FailReconciliation, or stays as it was when even that failed, and is planned again by the next start',
    [plan, each],
  );
  return plan.next(each).next(new Succeed(scope, ReconciliationStates.done));
}
