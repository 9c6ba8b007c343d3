import { NotFound } from '../../shared/domain/errors.ts';
import type { IdempotencyStore, LedgerCheckReport, LedgerCheckStore, WorkflowStarter } from '../../shared/ports/stores.ts';
import type { Seal } from '../../shared/ports/stores.ts';
import { startDailyRun } from '../../shared/use-cases/daily-runs.ts';

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

export async function getLedgerCheck(deps: LedgerCheckDeps, businessDate: string): Promise<LedgerCheckReport> {
  const report = await deps.ledgerChecks.get(businessDate);
  if (!report) throw new NotFound('ledgerCheck', businessDate);
  return report;
}
