import type { KeyReservation, Seal } from '../ports/stores.ts';
import { sha256 } from '../json.ts';
import type { IdempotencyStore, WorkflowStarter } from '../ports/stores.ts';

/**
 * Starts a run of a business date (a ledger check, a risk update) named by the date and the
 * request's key, and stores the answer in the request's idempotency record. The key is reserved
 * before the start, so two requests under one key with different dates never both start a run.
 */
export async function startDailyRun(
  deps: { readonly idempotency: IdempotencyStore; readonly workflow: WorkflowStarter },
  kind: string,
  businessDate: string,
  idempotencyKey: string,
  seal: Seal,
  reservation?: KeyReservation,
): Promise<void> {
  await reservation?.take();
  const name = `${kind}-${businessDate}-${sha256(idempotencyKey).slice(0, 16)}`;
  const { executionArn } = await deps.workflow.start(name, { businessDate });
  await deps.idempotency.put(seal(202, { businessDate, executionArn, status: 'STARTED' }));
}
