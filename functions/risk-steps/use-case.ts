import { DomainError, InvariantViolation } from '../../shared/domain/errors.ts';
import { businessDateClosedAt } from '../../shared/domain/business-date.ts';
import { assessLoan, type RiskAssessment, type Room } from '../../shared/domain/risk.ts';
import { endOf } from '../../shared/domain/repayment-booking.ts';
import type { Clock, LoanStore, ProgramPoolStore, RepaymentStore, RiskRunReport, RiskRunStore, RunDetailStore } from '../../shared/ports/stores.ts';
import { riskRun, type RiskLoanOutcome } from '../../shared/contracts/risk-update.ts';
import { commitLedgerChange, firstLossRoom, guaranteeRoom, poolUse, type PoolRoom } from '../../shared/use-cases/ledger-writer.ts';
import type { RiskShardResult, RiskStepInput } from './schema.ts';
import { auditStep, type StepAuditDeps } from '../../shared/use-cases/audit.ts';


export interface RiskDeps {
  readonly loans: Pick<LoanStore, 'get' | 'loanIdsOfShard'>;
  readonly repayments: RepaymentStore;
  readonly riskRuns: RiskRunStore;
  readonly programPools: ProgramPoolStore;
  readonly runDetails: RunDetailStore;
  readonly clock: Clock;
}

function asRoom(room: PoolRoom): Room {
  return room.kind === 'CAPPED' ? { kind: 'CAPPED', remainingMinor: room.roomMinor } : room;
}

/** What a shard's assessment changed on one loan: its class, a compensation, a write-off. */
export interface RiskLoanChange {
  readonly loanId: string;
  readonly lenderIds: readonly string[];
  readonly classification: string;
  readonly dpd: number;
  readonly reclassified: boolean;
  readonly compensated: boolean;
  readonly writtenOff: boolean;
}

/**
 * A RiskUpdate step. Each loan whose assessment changed it (a new class, a compensation, a
 * write-off) is recorded in the audit trail once per execution, naming the loan's lenders.
 */
export async function runRiskStep(deps: RiskDeps & StepAuditDeps, input: RiskStepInput): Promise<RiskShardResult | RiskRunReport> {
  const businessDate = input.businessDate ?? businessDateClosedAt(input.scheduledTime ?? '');
  if (input.step === 'RecordReport') return recordReport(deps, businessDate, input.shards);
  return assessShard(deps, input.shard, businessDate, input.executionId ?? null, (change) =>
    auditStep(deps, input.executionId, {
      workflow: 'RiskUpdate',
      step: 'AssessShard',
      target: { loanId: change.loanId, businessDate },
      after: { classification: change.classification, dpd: change.dpd, reclassified: change.reclassified, compensated: change.compensated, writtenOff: change.writtenOff },
      lenderIds: change.lenderIds,
    }),
  );
}

/**
 * `AssessShard`: every loan of the shard assessed at the business date, each in its own change
 * of the loan's ledger (classification, and compensation or write-off when the program calls for
 * it). A loan already assessed for the date is left as it is, so a retried shard changes nothing;
 * what that assessment did is kept on the loan's risk (`outcome`, with the run that did it), so the
 * same run's shard retried after it committed a loan (and crashed before its audit record or its
 * result) reports and records the loan as a shard that never stopped would have; the audit's
 * once-marker keeps it one record. Another run of the date reports nothing of it.
 * The loans compensated, written off or held can be every loan of the shard (the first run under
 * a capped guarantee holds them all), more than a workflow's state holds: they are stored with
 * the run, replacing what an earlier attempt stored, and only their counts are passed on.
 */
export async function assessShard(
  deps: RiskDeps,
  shard: number,
  businessDate: string,
  runId: string | null = null,
  changed: (change: RiskLoanChange) => Promise<unknown> = async () => undefined,
): Promise<RiskShardResult> {
  const outcomes: RiskLoanOutcome[] = [];
  const result = {
    shard,
    loansAssessed: 0,
    byClass: {} as Record<string, number>,
    reclassified: 0,
    compensated: 0,
    writtenOff: 0,
    held: 0,
    outstandingByProgram: {} as Record<string, string>,
    disbursedByProgram: {} as Record<string, string>,
  };
  const add = (outcome: RiskLoanOutcome) => {
    outcomes.push(outcome);
    if (outcome.outcome === 'COMPENSATED') result.compensated += 1;
    else if (outcome.outcome === 'WRITTEN_OFF') result.writtenOff += 1;
    else result.held += 1;
  };
  for (const loanId of await deps.loans.loanIdsOfShard(shard)) {
    const loan = await deps.loans.get(loanId);
    if (loan === null || loan.disbursementDate > businessDate) continue;
    try {
      const outcome = await commitLedgerChange<{ assessment: RiskAssessment }>(deps, loan, endOf(businessDate), async (ledger, today, now) => {
        const [guarantee, firstLoss] = await Promise.all([guaranteeRoom(deps.programPools, loan), firstLossRoom(deps.programPools, loan)]);
        const assessment = assessLoan(loan, ledger, businessDate, today, now, { guarantee: asRoom(guarantee), firstLoss: asRoom(firstLoss) }, runId);
        const done = { assessment };
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
      if (assessment.reclassified) result.reclassified += 1;
      if (assessment.compensated) add({ loanId, outcome: 'COMPENSATED', code: null, message: null });
      if (assessment.writtenOff) add({ loanId, outcome: 'WRITTEN_OFF', code: null, message: null });
      if (assessment.held !== null) add({ loanId, outcome: 'HELD', code: assessment.held, message: HELD[assessment.held] ?? 'the program calls for an action the run could not take' });
      if (assessment.reclassified || assessment.compensated || assessment.writtenOff) {
        await changed({
          loanId,
          // A compensation concerns the guarantor too: the claim moves to it.
          lenderIds: [...loan.fundingPlan.map((f) => f.lenderId), ...(assessment.compensated && loan.terms.fees.guarantorLenderId !== null ? [loan.terms.fees.guarantorLenderId] : [])],
          classification,
          dpd: assessment.risk?.dpd ?? 0,
          reclassified: assessment.reclassified,
          compensated: assessment.compensated,
          writtenOff: assessment.writtenOff,
        });
      }
      result.outstandingByProgram[loan.programId] = (BigInt(result.outstandingByProgram[loan.programId] ?? '0') + assessment.outstandingMinor).toString();
      result.disbursedByProgram[loan.programId] = (BigInt(result.disbursedByProgram[loan.programId] ?? '0') + loan.principalMinor).toString();
    } catch (error) {
      if (!(error instanceof DomainError) || error instanceof InvariantViolation) throw error;
      add({ loanId, outcome: 'HELD', code: error.code, message: error.message });
    }
  }
  await deps.runDetails.replace(riskRun(businessDate), shard, outcomes);
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
    compensated: shards.reduce((n, s) => n + s.compensated, 0),
    writtenOff: shards.reduce((n, s) => n + s.writtenOff, 0),
    held: shards.reduce((n, s) => n + s.held, 0),
    completedAt: deps.clock.now(),
  };
  await deps.riskRuns.put(report);
  return report;
}
