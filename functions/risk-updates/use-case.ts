import { NotFound } from '../../shared/domain/errors.ts';
import { riskRun, type RiskLoanOutcome } from '../../shared/contracts/risk-update.ts';
import type { IdempotencyStore, PageRequest, RiskRunReport, RiskRunStore, RunDetailStore, WorkflowStarter } from '../../shared/ports/stores.ts';
import type { KeyReservation, Seal } from '../../shared/ports/stores.ts';
import { startDailyRun } from '../../shared/use-cases/daily-runs.ts';

export interface RiskUpdateDeps {
  readonly riskRuns: RiskRunStore;
  readonly runDetails: RunDetailStore;
  readonly idempotency: IdempotencyStore;
  readonly workflow: WorkflowStarter;
}

/**
 * Starts the risk update of a business date (the daily schedule does it on its own; operations
 * rerun a date this way). Named by the date and the request's key, so a retry finds the same run.
 */
export async function startRiskUpdate(deps: RiskUpdateDeps, businessDate: string, idempotencyKey: string, seal: Seal, reservation?: KeyReservation): Promise<void> {
  await startDailyRun(deps, 'risk-update', businessDate, idempotencyKey, seal, reservation);
}

/** The report of a date with a page of the loans it compensated, wrote off or held (shard by shard) and the next page's cursor. */
export async function getRiskUpdate(
  deps: Pick<RiskUpdateDeps, 'riskRuns' | 'runDetails'>,
  businessDate: string,
  page: PageRequest,
): Promise<RiskRunReport & { loans: RiskLoanOutcome[]; cursor: string | null }> {
  const report = await deps.riskRuns.get(businessDate);
  if (!report) throw new NotFound('riskUpdate', businessDate);
  const loans = await deps.runDetails.page(riskRun(businessDate), page);
  return { ...report, loans: loans.items as RiskLoanOutcome[], cursor: loans.cursor };
}
