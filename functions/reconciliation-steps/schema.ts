import { calendarDate } from '../../shared/contracts/dates.ts';
import { z } from 'zod';
import { stepError } from '../../shared/contracts/step-failure.ts';
import { inExecution } from '../../shared/contracts/execution.ts';

const reconciliationId = z.string().min(1).max(200);

/** Input of the Reconciliation workflow's Task states: `step` says which (workflows/reconciliation/states.ts). */
export const reconciliationStepInput = z.discriminatedUnion('step', [
  z.object({
    step: z.literal('Plan'),
    input: z.object({ reconciliationIds: z.array(reconciliationId).max(100).optional(), businessDate: calendarDate.optional() }).loose(),
  }),
  z.object({ step: z.literal('Reconcile'), reconciliationId, ...inExecution }),
  z.object({ step: z.literal('FailReconciliation'), reconciliationId, error: stepError, ...inExecution }),
]);
export type ReconciliationStepInput = z.output<typeof reconciliationStepInput>;
