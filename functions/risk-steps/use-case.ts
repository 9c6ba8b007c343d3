import { DomainError, InvariantViolation } from '../../shared/domain/errors.ts';
import { businessDateClosedAt } from '../../shared/domain/ledger-check.ts';
import { assessLoan, type RiskAssessment } from '../../shared/domain/risk.ts';
import type { Clock, LoanStore, RepaymentStore, RiskRunReport, RiskRunStore } from '../../shared/ports/stores.ts';
import { commitLedgerChange } from '../repayment-book/use-case.ts';
import type { RiskShardResult, RiskStepInput } from './schema.ts';

/** The platform's business calendar runs on China Standard Time (UTC+8, no daylight saving). */
const BUSINESS_UTC_OFFSET_MINUTES = 8 * 60;

export interface RiskDeps {
  readonly loans: Pick<LoanStore, 'get' | 'loanIdsOfShard'>;
  readonly repayments: RepaymentStore;
  readonly riskRuns: RiskRunStore;
  readonly clock: Clock;
}

export async function runRiskStep(deps: RiskDeps, input: RiskStepInput): Promise<RiskShardResult | RiskRunReport> {
  const businessDate = input.businessDate ?? businessDateClosedAt(input.scheduledTime ?? '', BUSINESS_UTC_OFFSET_MINUTES);
  return input.step === 'AssessShard' ? assessShard(deps, input.shard, businessDate) : recordReport(deps, businessDate, input.shards);
}

/**
 * `AssessShard`: every loan of the shard assessed at the business date, each in its own change
 * of the loan's ledger (classification, and compensation or write-off when the program calls for
 * it). A loan already assessed for the date is left as it is, so a retried shard changes nothing.
 */
export async function assessShard(deps: RiskDeps, shard: number, businessDate: string): Promise<RiskShardResult> {
  const result = { shard, loansAssessed: 0, byClass: {} as Record<string, number>, reclassified: 0, compensated: [] as string[], writtenOff: [] as string[], held: [] as RiskShardResult['held'] };
  for (const loanId of await deps.loans.loanIdsOfShard(shard)) {
    const loan = await deps.loans.get(loanId);
    if (loan === null || loan.disbursementDate > businessDate) continue;
    try {
      const outcome = await commitLedgerChange<{ assessment: RiskAssessment; reclassified: boolean }>(deps, loan, (ledger, _today, now) => {
        const assessment = assessLoan(loan, ledger, businessDate, now);
        const reclassified = ledger.risk !== undefined && assessment.risk !== null && ledger.risk.classification !== assessment.risk.classification;
        const done = { assessment, reclassified };
        if (assessment.ledger === null) return { done };
        return { ledger: assessment.ledger, entries: assessment.entries, rebooked: 0, record: null, result: done };
      });
      const { assessment } = outcome;
      result.loansAssessed += 1;
      const classification = assessment.risk?.classification ?? 'NORMAL';
      result.byClass[classification] = (result.byClass[classification] ?? 0) + 1;
      if (outcome.reclassified) result.reclassified += 1;
      if (assessment.compensated) result.compensated.push(loanId);
      if (assessment.writtenOff) result.writtenOff.push(loanId);
      if (assessment.held !== null) result.held.push({ loanId, code: assessment.held, message: 'the program calls for an action the run could not take' });
    } catch (error) {
      if (!(error instanceof DomainError) || error instanceof InvariantViolation) throw error;
      result.held.push({ loanId, code: error.code, message: error.message });
    }
  }
  return result;
}

/** `RecordReport`: the run's report of the business date; a rerun overwrites it with the same figures. */
export async function recordReport(deps: Pick<RiskDeps, 'riskRuns' | 'clock'>, businessDate: string, shards: readonly RiskShardResult[]): Promise<RiskRunReport> {
  const byClass: Record<string, number> = {};
  for (const shard of shards) for (const [name, count] of Object.entries(shard.byClass)) byClass[name] = (byClass[name] ?? 0) + count;
  const report: RiskRunReport = {
    businessDate,
    loansAssessed: shards.reduce((n, s) => n + s.loansAssessed, 0),
    byClass,
    reclassified: shards.reduce((n, s) => n + s.reclassified, 0),
    compensated: shards.flatMap((s) => s.compensated).sort(),
    writtenOff: shards.flatMap((s) => s.writtenOff).sort(),
    held: shards.flatMap((s) => s.held),
    completedAt: deps.clock.now(),
  };
  await deps.riskRuns.put(report);
  return report;
}
