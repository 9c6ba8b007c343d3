import { NotFound } from '../../shared/domain/errors.ts';
import type { IdempotencyStore, RiskRunReport, RiskRunStore, WorkflowStarter } from '../../shared/ports/stores.ts';
import type { Seal } from '../../shared/ports/stores.ts';
import { startDailyRun } from '../../shared/use-cases/daily-runs.ts';

export interface RiskUpdateDeps {
  readonly riskRuns: RiskRunStore;
  readonly idempotency: IdempotencyStore;
  readonly workflow: WorkflowStarter;
}

/**
 * Starts the risk update of a business date (the daily schedule does it on its own; operations
 * rerun a date this way). Named by the date and the request's key, so a retry finds the same run.
 */
export async function startRiskUpdate(deps: RiskUpdateDeps, businessDate: string, idempotencyKey: string, seal: Seal): Promise<void> {
  await startDailyRun(deps, 'risk-update', businessDate, idempotencyKey, seal);
}

export async function getRiskUpdate(deps: Pick<RiskUpdateDeps, 'riskRuns'>, businessDate: string): Promise<RiskRunReport> {
  const report = await deps.riskRuns.get(businessDate);
  if (!report) throw new NotFound('riskUpdate', businessDate);
  return report;
}
