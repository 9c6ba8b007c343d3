// Plain data only: handlers and the local stack may import this file without pulling in the CDK.

/** State names of the Reconciliation workflow (docs/reconciliation.md). */
export const ReconciliationStates = {
  plan: 'Plan',
  reconcileEach: 'ReconcileEach',
  reconcile: 'Reconcile',
  failReconciliation: 'FailReconciliation',
  done: 'Done',
  failed: 'Failed',
} as const;

export type ReconciliationStateName = (typeof ReconciliationStates)[keyof typeof ReconciliationStates];
