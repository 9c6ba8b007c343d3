import { failureOf } from '../../shared/contracts/step-failure.ts';
import { failReconciliation, planReconciliations, reconcileOne, type ReconciliationDeps } from '../../shared/use-cases/reconciliation.ts';
import { auditStep, type StepAuditDeps } from '../../shared/use-cases/audit.ts';
import type { ReconciliationStepInput } from './schema.ts';

/**
 * The reconciliation as the audit trail records it, once per execution: its status and breaks,
 * naming the lender whose file it is (an escrow statement's concerns the platform only).
 */
async function auditReconciliation(deps: ReconciliationDeps & StepAuditDeps, executionId: string | undefined, step: string, reconciliationId: string): Promise<void> {
  if (executionId === undefined) return;
  const reconciliation = await deps.reconciliations.get(reconciliationId);
  if (reconciliation === null) return;
  await auditStep(deps, executionId, {
    workflow: 'Reconciliation',
    step,
    target: { reconciliationId },
    after: {
      businessDate: reconciliation.businessDate,
      status: reconciliation.status,
      settlementAttempt: reconciliation.settlementAttempt,
      matched: reconciliation.counts?.matched ?? null,
      breaks: reconciliation.counts?.breaks ?? null,
    },
    lenderIds: reconciliation.lenderId === null ? [] : [reconciliation.lenderId],
  });
}

/** One step of the Reconciliation workflow; each may run again with the same effect. */
export async function runReconciliationStep(deps: ReconciliationDeps & StepAuditDeps, input: ReconciliationStepInput): Promise<unknown> {
  switch (input.step) {
    case 'Plan':
      return { reconciliationIds: await planReconciliations(deps, input.input) };
    case 'Reconcile': {
      const reconciled = await reconcileOne(deps, input.reconciliationId);
      await auditReconciliation(deps, input.executionId, 'Reconcile', input.reconciliationId);
      return reconciled;
    }
    case 'FailReconciliation':
      await failReconciliation(deps, input.reconciliationId, failureOf(input.error));
      await auditReconciliation(deps, input.executionId, 'FailReconciliation', input.reconciliationId);
      return { reconciliationId: input.reconciliationId, status: 'FAILED' };
  }
}
