import type { IdempotencyStore, LedgerCheckReport, LedgerCheckStore, WorkflowStarter } from '../../shared/ports/stores.ts';
import type { Seal } from '../../shared/http/idempotency.ts';
import { notFound } from '../../shared/http/errors.ts';
import { sha256 } from '../../shared/json.ts';

export interface LedgerCheckDeps {
  readonly ledgerChecks: LedgerCheckStore;
  readonly idempotency: IdempotencyStore;
  readonly workflow: WorkflowStarter;
}

/**
 * Starts the check of a business date. The execution is named by the date and the request's
 * idempotency key, so a retry after a crash finds the same execution instead of a second one.
 */
export async function startLedgerCheck(deps: LedgerCheckDeps, businessDate: string, idempotencyKey: string, seal: Seal): Promise<void> {
  await startDailyRun(deps, 'ledger-check', businessDate, idempotencyKey, seal);
}

/**
 * Starts a run of a business date (a ledger check, a risk update) named by the date and the
 * request's key, and stores the answer in the request's idempotency record.
 */
export async function startDailyRun(
  deps: Pick<LedgerCheckDeps, 'idempotency' | 'workflow'>,
  kind: string,
  businessDate: string,
  idempotencyKey: string,
  seal: Seal,
): Promise<void> {
  const name = `${kind}-${businessDate}-${sha256(idempotencyKey).slice(0, 16)}`;
  const { executionArn } = await deps.workflow.start(name, { businessDate });
  await deps.idempotency.put(seal(202, { businessDate, executionArn, status: 'STARTED' }));
}

export async function getLedgerCheck(deps: LedgerCheckDeps, businessDate: string): Promise<LedgerCheckReport> {
  const report = await deps.ledgerChecks.get(businessDate);
  if (!report) throw notFound('ledgerCheck', businessDate);
  return report;
}
