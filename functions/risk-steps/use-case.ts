import { DomainError, InvariantViolation } from '../../shared/domain/errors.ts';
import { businessDateClosedAt } from '../../shared/domain/ledger-check.ts';
import { REGULATORY_PROFILES } from '../../shared/domain/regulatory-profile.ts';
import { assessLoan, type GuaranteeRoom, type RiskAssessment } from '../../shared/domain/risk.ts';
import type { Clock, GuaranteePoolStore, LoanStore, RepaymentStore, RiskRunReport, RiskRunStore } from '../../shared/ports/stores.ts';
import { commitLedgerChange } from '../repayment-book/use-case.ts';
import type { RiskShardResult, RiskStepInput } from './schema.ts';

/** The platform's business calendar runs on China Standard Time (UTC+8, no daylight saving). */
const BUSINESS_UTC_OFFSET_MINUTES = 8 * 60;

export interface RiskDeps {
  readonly loans: Pick<LoanStore, 'get' | 'loanIdsOfShard'>;
  readonly repayments: RepaymentStore;
  readonly riskRuns: RiskRunStore;
  readonly guaranteePools: GuaranteePoolStore;
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
  const result = {
    shard,
    loansAssessed: 0,
    byClass: {} as Record<string, number>,
    reclassified: 0,
    compensated: [] as string[],
    writtenOff: [] as string[],
    held: [] as RiskShardResult['held'],
    outstandingByProgram: {} as Record<string, string>,
  };
  for (const loanId of await deps.loans.loanIdsOfShard(shard)) {
    const loan = await deps.loans.get(loanId);
    if (loan === null || loan.disbursementDate > businessDate) continue;
    try {
      const capBps = REGULATORY_PROFILES[loan.terms.regulatoryProfile].maxDefaultLossGuaranteeBps;
      const outcome = await commitLedgerChange<{ assessment: RiskAssessment; reclassified: boolean }>(deps, loan, async (ledger, _today, now) => {
        const pool = capBps === null ? null : await deps.guaranteePools.get(loan.programId);
        const room: GuaranteeRoom =
          capBps === null ? { kind: 'UNCAPPED' } : pool === null ? { kind: 'UNKNOWN' } : { kind: 'CAPPED', remainingMinor: (pool.baseMinor * BigInt(capBps)) / 10_000n - pool.paidMinor };
        const assessment = assessLoan(loan, ledger, businessDate, now, room);
        const reclassified = ledger.risk !== undefined && assessment.risk !== null && ledger.risk.classification !== assessment.risk.classification;
        const done = { assessment, reclassified };
        if (assessment.ledger === null) return { done };
        const paid = assessment.guaranteePaidMinor > 0n && pool !== null;
        return {
          ledger: assessment.ledger,
          entries: assessment.entries,
          rebooked: 0,
          record: null,
          result: done,
          ...(paid ? { guaranteePool: { pool: { ...pool, paidMinor: pool.paidMinor + assessment.guaranteePaidMinor, version: pool.version + 1 }, expectedVersion: pool.version } } : {}),
        };
      });
      const { assessment } = outcome;
      result.loansAssessed += 1;
      const classification = assessment.risk?.classification ?? 'NORMAL';
      result.byClass[classification] = (result.byClass[classification] ?? 0) + 1;
      if (outcome.reclassified) result.reclassified += 1;
      if (assessment.compensated) result.compensated.push(loanId);
      if (assessment.writtenOff) result.writtenOff.push(loanId);
      if (assessment.held !== null) result.held.push({ loanId, code: assessment.held, message: HELD[assessment.held] ?? 'the program calls for an action the run could not take' });
      result.outstandingByProgram[loan.programId] = (BigInt(result.outstandingByProgram[loan.programId] ?? '0') + assessment.outstandingMinor).toString();
    } catch (error) {
      if (!(error instanceof DomainError) || error instanceof InvariantViolation) throw error;
      result.held.push({ loanId, code: error.code, message: error.message });
    }
  }
  return result;
}

const HELD: Readonly<Record<string, string>> = {
  GUARANTEE_CAP_REACHED: "the compensation would take the guarantee above its cap (the profile's share of the program's loans outstanding)",
  GUARANTEE_CAP_UNKNOWN: "the guarantee's cap is measured on the program's loans outstanding at a risk update; none has measured it yet",
};

/**
 * `RecordReport`: the run's report of the business date (a rerun overwrites it with the same
 * figures), and each program's loans outstanding as the base of a capped guarantee.
 */
export async function recordReport(deps: Pick<RiskDeps, 'riskRuns' | 'guaranteePools' | 'clock'>, businessDate: string, shards: readonly RiskShardResult[]): Promise<RiskRunReport> {
  const outstanding = new Map<string, bigint>();
  for (const shard of shards) {
    for (const [programId, amount] of Object.entries(shard.outstandingByProgram)) outstanding.set(programId, (outstanding.get(programId) ?? 0n) + BigInt(amount));
  }
  for (const [programId, baseMinor] of outstanding) await deps.guaranteePools.setBase(programId, baseMinor, businessDate);
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
