import { NotFound } from '../../shared/domain/errors.ts';
import type { LedgerDifference } from '../../shared/domain/ledger-check.ts';
import { differenceOf, ledgerCheckRun } from '../../shared/contracts/ledger-check.ts';
import type { IdempotencyStore, LedgerCheckReport, LedgerCheckStore, PageRequest, RunDetailStore, WorkflowStarter } from '../../shared/ports/stores.ts';
import type { KeyReservation, Seal } from '../../shared/ports/stores.ts';
import { startDailyRun } from '../../shared/use-cases/daily-runs.ts';

export interface LedgerCheckDeps {
  readonly ledgerChecks: LedgerCheckStore;
  readonly runDetails: RunDetailStore;
  readonly idempotency: IdempotencyStore;
  readonly workflow: WorkflowStarter;
}

/**
 * Starts the check of a business date. The execution is named by the date and the request's
 * idempotency key, so a retry after a crash finds the same execution instead of a second one.
 */
export async function startLedgerCheck(deps: LedgerCheckDeps, businessDate: string, idempotencyKey: string, seal: Seal, reservation?: KeyReservation): Promise<void> {
  await startDailyRun(deps, 'ledger-check', businessDate, idempotencyKey, seal, reservation);
}

/** The report of a date with a page of its differences (shard by shard, in the order found) and the next page's cursor. */
export async function getLedgerCheck(
  deps: Pick<LedgerCheckDeps, 'ledgerChecks' | 'runDetails'>,
  businessDate: string,
  page: PageRequest,
): Promise<LedgerCheckReport & { differences: LedgerDifference[]; cursor: string | null }> {
  const report = await deps.ledgerChecks.get(businessDate);
  if (!report) throw new NotFound('ledgerCheck', businessDate);
  const differences = await deps.runDetails.page(ledgerCheckRun(businessDate), page);
  return { ...report, differences: differences.items.map(differenceOf), cursor: differences.cursor };
}
