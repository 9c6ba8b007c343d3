import { cutoffDayAt } from '../domain/business-date.ts';
import { NotFound, RuleViolation, StateConflict } from '../domain/errors.ts';
import { periodRange } from '../domain/fees.ts';
import type { JournalEntry } from '../domain/ledger.ts';
import type { Loan } from '../domain/loan.ts';
import { lenderProfit, periodDays } from '../domain/profit.ts';
import { duePeriods, periodEnded, statementParties } from '../domain/profit-sharing.ts';
import type { Program } from '../domain/program.ts';
import { WriteConflict, type Clock, type LedgerStore, type LoanStore, type ProfitRun, type ProfitRunStore, type ProgramStore, type RepaymentStore, type StoredProfitStatement } from '../ports/stores.ts';
import { bookPeriodFees } from './period-fees.ts';

/**
 * The profit-sharing workflow (docs/profit-sharing.md): PlanRuns → per run OpenRun → BookShard
 * (per loan shard) → Statements → CloseRun, FailRun on any failure. Every step may run again with
 * the same effect: a period fee is one entry by its id, a statement is written whole.
 */

export interface ProfitSharingDeps {
  readonly profitRuns: ProfitRunStore;
  readonly programs: Pick<ProgramStore, 'get' | 'list'>;
  readonly loans: Pick<LoanStore, 'loanIdsOfShard'>;
  /** A loan by id (cached: a booked loan's terms never change). */
  readonly loan: (loanId: string) => Promise<Loan | null>;
  readonly repayments: RepaymentStore;
  readonly ledger: Pick<LedgerStore, 'loanLedger' | 'entriesOfDate'>;
  readonly clock: Clock;
  readonly shardCount: number;
}

/** A run to make: `attempt` is null when the schedule asks (a period done, or running, is then skipped). */
export interface PlannedRun {
  readonly programId: string;
  readonly period: string;
  readonly attempt: number | null;
}

/** Every version of a program, oldest first; refused when there is none. */
async function versionsOf(deps: Pick<ProfitSharingDeps, 'programs'>, programId: string): Promise<Program[]> {
  const versions = (await deps.programs.list()).filter((p) => p.programId === programId).sort((a, b) => a.version - b.version);
  if (versions.length === 0) throw new NotFound('program', programId);
  return versions;
}

/** Refuses a period whose last settlement day is still open under the program's cut-off. */
export function assertPeriodEnded(program: Program, period: string, now: string): void {
  const today = cutoffDayAt(now, program.settlement);
  if (!periodEnded(period, today)) {
    throw new RuleViolation('PERIOD_NOT_ENDED', `period ${period} of program ${program.programId} ends on ${periodRange(period).to}; it can be shared once that day's cut-off (${program.settlement.cutoffTime}) has passed`, {
      path: 'period',
      rule: 'period-ended',
      periodEnds: periodRange(period).to,
    });
  }
}

/**
 * The runs of an execution: the one asked for (`programId`, `period`, `attempt`), or, when the
 * schedule fires, every program's periods that ended last by the kinds of its period fee rules
 * (monthly, quarterly) and are not done yet. A program without period fee rules is run on demand only.
 */
export async function planRuns(deps: ProfitSharingDeps, input: { programId?: string; period?: string; attempt?: number; scheduledTime?: string }): Promise<{ runs: PlannedRun[] }> {
  if (input.programId !== undefined || input.period !== undefined) {
    if (input.programId === undefined || input.period === undefined) {
      throw new RuleViolation('PROFIT_RUN_INPUT', 'a profit-sharing run names both programId and period, or neither (the schedule)', { path: input.programId === undefined ? 'programId' : 'period' });
    }
    periodRange(input.period);
    await versionsOf(deps, input.programId);
    return { runs: [{ programId: input.programId, period: input.period, attempt: input.attempt ?? null }] };
  }
  const at = input.scheduledTime ?? deps.clock.now();
  const byProgram = new Map<string, Program[]>();
  for (const program of await deps.programs.list()) byProgram.set(program.programId, [...(byProgram.get(program.programId) ?? []), program]);
  const runs: PlannedRun[] = [];
  for (const programId of [...byProgram.keys()].sort()) {
    const versions = byProgram.get(programId)!.sort((a, b) => a.version - b.version);
    const latest = versions.at(-1)!;
    for (const period of duePeriods(versions, cutoffDayAt(at, latest.settlement))) {
      const run = await deps.profitRuns.getRun(programId, period);
      if (run === null || run.status === 'FAILED') runs.push({ programId, period, attempt: null });
    }
  }
  return { runs };
}

export interface OpenedRun {
  readonly programId: string;
  readonly period: string;
  readonly attempt: number;
  readonly skipped: boolean;
  readonly shards: readonly { readonly shard: number }[];
}

/**
 * Opens (or opens again, as attempt N) the run of a program's period. A period done is refused
 * (a scheduled run skips it), as is one whose last day is still open; a failed one is run again.
 */
export async function openRun(deps: ProfitSharingDeps, input: PlannedRun): Promise<OpenedRun> {
  const { programId, period } = input;
  periodRange(period);
  const versions = await versionsOf(deps, programId);
  assertPeriodEnded(versions.at(-1)!, period, deps.clock.now());
  const existing = await deps.profitRuns.getRun(programId, period);
  const skip: OpenedRun = { programId, period, attempt: existing?.attempt ?? 0, skipped: true, shards: [] };
  if (existing?.status === 'DONE') {
    if (input.attempt === null) return skip;
    throw new StateConflict('PROFIT_RUN_DONE', `the profit of ${period} of program ${programId} is shared (attempt ${existing.attempt}); a period is shared once`, { path: 'period', attempt: existing.attempt });
  }
  if (existing?.status === 'RUNNING' && input.attempt === null) return skip; // another execution is at it
  const attempt = (existing?.attempt ?? 0) + 1;
  if (input.attempt !== null && input.attempt !== attempt) {
    throw new StateConflict('PROFIT_RUN_CHANGED', `run ${attempt - 1} of ${programId} ${period} changed since this attempt was started`, { path: 'period', attempt: input.attempt });
  }
  const run: ProfitRun = {
    programId,
    period,
    status: 'RUNNING',
    attempt,
    shardCount: deps.shardCount,
    startedAt: deps.clock.now(),
    doneAt: null,
    loans: 0,
    booked: 0,
    replayed: 0,
    parties: [],
    failure: null,
  };
  try {
    await deps.profitRuns.putRun(run, existing?.attempt ?? 0);
  } catch (error) {
    if (error instanceof WriteConflict) throw new StateConflict('PROFIT_RUN_RUNNING', `another run of ${programId} ${period} started at the same time`, { path: 'period' });
    throw error;
  }
  return { programId, period, attempt, skipped: false, shards: Array.from({ length: deps.shardCount }, (_, shard) => ({ shard })) };
}

/**
 * The run of the program and period, running, of the attempt the step belongs to. A step of an
 * earlier attempt (an execution still going after the next one was opened) stops here and changes nothing.
 */
async function runningRun(deps: Pick<ProfitSharingDeps, 'profitRuns'>, programId: string, period: string, attempt: number): Promise<ProfitRun> {
  const run = await deps.profitRuns.getRun(programId, period);
  if (run === null) throw new NotFound('profitRun', `${programId}/${period}`);
  if (run.attempt !== attempt) {
    throw new StateConflict('PROFIT_RUN_CHANGED', `attempt ${attempt} of ${programId} ${period} was replaced by attempt ${run.attempt}`, { path: 'period', attempt, current: run.attempt });
  }
  if (run.status !== 'RUNNING') throw new StateConflict('PROFIT_RUN_NOT_RUNNING', `the run of ${programId} ${period} is ${run.status}`, { programId, period });
  return run;
}

export interface ShardBooked {
  readonly shard: number;
  readonly loans: number;
  readonly booked: number;
  readonly replayed: number;
}

/** Loans whose period fees are booked at the same time. */
const LOANS_IN_FLIGHT = 8;

/** Books the period fees of every loan of the program in one loan shard, each once. */
export async function bookShard(deps: ProfitSharingDeps, programId: string, period: string, attempt: number, shard: number): Promise<ShardBooked> {
  await runningRun(deps, programId, period, attempt);
  const loanIds = await deps.loans.loanIdsOfShard(shard);
  let loans = 0;
  let booked = 0;
  let replayed = 0;
  for (let i = 0; i < loanIds.length; i += LOANS_IN_FLIGHT) {
    const results = await Promise.all(
      loanIds.slice(i, i + LOANS_IN_FLIGHT).map(async (loanId) => {
        const loan = await deps.loan(loanId);
        if (loan === null || loan.programId !== programId) return null;
        return bookPeriodFees(deps, loanId, period);
      }),
    );
    for (const result of results) {
      if (result === null) continue;
      loans += 1;
      booked += result.booked.length;
      replayed += result.replayed.length;
    }
  }
  return { shard, loans, booked, replayed };
}

/** Days of the period read at the same time. */
const DAYS_IN_FLIGHT = 8;

/** The entries booked in the period's settlement days on the program's loans. */
async function entriesOfPeriod(deps: ProfitSharingDeps, programId: string, period: string): Promise<JournalEntry[]> {
  const { days } = periodDays(period);
  const entries: JournalEntry[] = [];
  for (let i = 0; i < days.length; i += DAYS_IN_FLIGHT) {
    const batch = await Promise.all(days.slice(i, i + DAYS_IN_FLIGHT).map((day) => deps.ledger.entriesOfDate(day)));
    for (const entry of batch.flat()) {
      const owner = entry.programId ?? (await deps.loan(entry.loanId))?.programId;
      if (owner === programId) entries.push(entry);
    }
  }
  return entries;
}

/**
 * Each party's statement of the period in the program, from its legs of the entries booked in the
 * period (`lenderProfit`): a guarantor's fee income is its guarantee fees, a service partner's its
 * share, fees paid to a guarantor the payer's guarantee cost. Each is written whole.
 */
export async function statements(deps: ProfitSharingDeps, programId: string, period: string, attempt: number): Promise<{ parties: string[] }> {
  const run = await runningRun(deps, programId, period, attempt);
  const versions = await versionsOf(deps, programId);
  const parties = statementParties(versions);
  const guarantors = new Set(parties.filter((p) => p.role === 'GUARANTOR').map((p) => p.lenderId));
  const entries = await entriesOfPeriod(deps, programId, period);
  const storedAt = deps.clock.now();
  for (const { lenderId, role } of parties) {
    const report = lenderProfit(lenderId, period, entries, () => (role === 'GUARANTOR' ? lenderId : null), { guarantors, servicePartner: role === 'SERVICE_PARTNER' });
    await deps.profitRuns.putStatement({ ...report, programId, period, role, attempt: run.attempt, storedAt });
  }
  return { parties: parties.map((p) => p.lenderId) };
}

/** Marks the run done with what it booked and the parties it stated. */
export async function closeRun(deps: ProfitSharingDeps, programId: string, period: string, attempt: number, done: { shards: readonly ShardBooked[]; parties: readonly string[] }): Promise<ProfitRun> {
  const run = await runningRun(deps, programId, period, attempt);
  const sum = (field: 'loans' | 'booked' | 'replayed') => done.shards.reduce((total, s) => total + s[field], 0);
  const closed: ProfitRun = { ...run, status: 'DONE', doneAt: deps.clock.now(), loans: sum('loans'), booked: sum('booked'), replayed: sum('replayed'), parties: [...done.parties] };
  await deps.profitRuns.putRun(closed, run.attempt);
  return closed;
}

/** Records why the attempt stopped; the period can be run again. Another attempt's run is left as it is. */
export async function failRun(deps: Pick<ProfitSharingDeps, 'profitRuns'>, programId: string, period: string, attempt: number, failure: { code: string; message: string }): Promise<void> {
  const run = await deps.profitRuns.getRun(programId, period);
  if (run === null || run.status !== 'RUNNING' || run.attempt !== attempt) return;
  await deps.profitRuns.putRun({ ...run, status: 'FAILED', failure }, run.attempt);
}

/** A run with the statements it stored, party by party. */
export async function profitRunView(deps: Pick<ProfitSharingDeps, 'profitRuns'>, programId: string, period: string): Promise<{ run: ProfitRun; statements: StoredProfitStatement[] }> {
  const run = await deps.profitRuns.getRun(programId, period);
  if (run === null) throw new NotFound('profitRun', `${programId}/${period}`);
  const found: StoredProfitStatement[] = [];
  for (const lenderId of run.parties) {
    const own = (await deps.profitRuns.statements(lenderId, period)).find((s) => s.programId === programId);
    if (own !== undefined) found.push(own);
  }
  return { run, statements: found };
}
