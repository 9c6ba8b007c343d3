import { DomainError, InvariantViolation } from '../../shared/domain/errors.ts';
import { businessDateClosedAt } from '../../shared/domain/business-date.ts';
import { assessLoan, type RiskAssessment, type Room } from '../../shared/domain/risk.ts';
import { endOf } from '../../shared/domain/repayment-booking.ts';
import type { Clock, LoanStore, ProgramPoolStore, RepaymentStore, RiskRunReport, RiskRunStore } from '../../shared/ports/stores.ts';
import { commitLedgerChange, firstLossRoom, guaranteeRoom, poolUse, type PoolRoom } from '../../shared/use-cases/ledger-writer.ts';
import type { RiskShardResult, RiskStepInput } from './schema.ts';


export interface RiskDeps {
  readonly loans: Pick<LoanStore, 'get' | 'loanIdsOfShard'>;
  readonly repayments: RepaymentStore;
  readonly riskRuns: RiskRunStore;
  readonly programPools: ProgramPoolStore;
  readonly clock: Clock;
}

function asRoom(room: PoolRoom): Room {
  return room.kind === 'CAPPED' ? { kind: 'CAPPED', remainingMinor: room.roomMinor } : room;
}

export async function runRiskStep(deps: RiskDeps, input: RiskStepInput): Promise<RiskShardResult | RiskRunReport> {
  const businessDate = input.businessDate ?? businessDateClosedAt(input.scheduledTime ?? '');
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
    disbursedByProgram: {} as Record<string, string>,
  };
  for (const loanId of await deps.loans.loanIdsOfShard(shard)) {
    const loan = await deps.loans.get(loanId);
    if (loan === null || loan.disbursementDate > businessDate) continue;
    try {
      const outcome = await commitLedgerChange<{ assessment: RiskAssessment; reclassified: boolean }>(deps, loan, endOf(businessDate), async (ledger, today, now) => {
        const [guarantee, firstLoss] = await Promise.all([guaranteeRoom(deps.programPools, loan), firstLossRoom(deps.programPools, loan)]);
        const assessment = assessLoan(loan, ledger, businessDate, today, now, { guarantee: asRoom(guarantee), firstLoss: asRoom(firstLoss) });
        const reclassified = ledger.risk !== undefined && assessment.risk !== null && ledger.risk.classification !== assessment.risk.classification;
        const done = { assessment, reclassified };
        if (assessment.ledger === null) return { done };
        const pool =
          assessment.guaranteePaidMinor > 0n
            ? poolUse(guarantee.kind === 'CAPPED' ? guarantee.pool : null, assessment.guaranteePaidMinor)
            : poolUse(firstLoss.kind === 'CAPPED' ? firstLoss.pool : null, assessment.leadFirstLossMinor);
        return { ledger: assessment.ledger, items: assessment.writes, entries: assessment.entries, rebooked: 0, record: null, result: done, ...pool };
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
      result.disbursedByProgram[loan.programId] = (BigInt(result.disbursedByProgram[loan.programId] ?? '0') + loan.principalMinor).toString();
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
  FIRST_LOSS_BASE_UNKNOWN: "the lead's first-loss cap is a share of the program's disbursed principal, measured at a risk update; none has measured it yet",
};

/**
 * `RecordReport`: the run's report of the business date (a rerun overwrites it with the same
 * figures), and each program's loans outstanding as the base of a capped guarantee.
 */
export async function recordReport(deps: Pick<RiskDeps, 'riskRuns' | 'programPools' | 'clock'>, businessDate: string, shards: readonly RiskShardResult[]): Promise<RiskRunReport> {
  for (const [kind, field] of [['GUARANTEE', 'outstandingByProgram'], ['FIRST_LOSS', 'disbursedByProgram']] as const) {
    const bases = new Map<string, bigint>();
    for (const shard of shards) for (const [programId, amount] of Object.entries(shard[field])) bases.set(programId, (bases.get(programId) ?? 0n) + BigInt(amount));
    for (const [programId, baseMinor] of bases) await deps.programPools.setBase(programId, kind, baseMinor, businessDate);
  }
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
