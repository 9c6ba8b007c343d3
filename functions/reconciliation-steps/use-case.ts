import { failureOf } from '../../shared/contracts/step-failure.ts';
import { failReconciliation, planReconciliations, reconcileOne, type ReconciliationDeps } from '../../shared/use-cases/reconciliation.ts';
import type { ReconciliationStepInput } from './schema.ts';

/** One step of the Reconciliation workflow; each may run again with the same effect. */
export async function runReconciliationStep(deps: ReconciliationDeps, input: ReconciliationStepInput): Promise<unknown> {
  switch (input.step) {
    case 'Plan':
      return { reconciliationIds: await planReconciliations(deps, input.input) };
    case 'Reconcile':
      return reconcileOne(deps, input.reconciliationId);
    case 'FailReconciliation':
      await failReconciliation(deps, input.reconciliationId, failureOf(input.error));
      return { reconciliationId: input.reconciliationId, status: 'FAILED' };
  }
}
