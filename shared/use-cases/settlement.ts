import { businessDateAt, cutoffDayAt } from '../domain/business-date.ts';
import { invariant, NotFound, RuleViolation, StateConflict } from '../domain/errors.ts';
import { addDays } from '../domain/money/index.ts';
import { ACCOUNTS, ESCROW, balancesBefore, type Account, type JournalEntry, type Leg } from '../domain/ledger.ts';
import type { Loan } from '../domain/loan.ts';
import { latestVersions, type Program } from '../domain/program.ts';
import { addProfitLine, profitLineOf, type ProfitLine } from '../domain/profit.ts';
import {
  detailMovements,
  movementsOf,
  netByParty,
  netOwedByParty,
  payoutInstructions,
  settlementDays,
  SettlementItems,
  type ProgramSettlementTerms,
  type SettlementItem,
} from '../domain/settlement.ts';
import {
  COMPENSATION,
  compensationFileRow,
  addRows,
  controlFile,
  DataFileWriter,
  DISBURSEMENT_DETAIL,
  disbursementDetailFileRow,
  doneMarker,
  fileName,
  LOAN_MASTER,
  loanMasterFileRow,
  noRows,
  REPAYMENT_DETAIL,
  REPAYMENT_SCHEDULE,
  repaymentDetailFileRow,
  repaymentScheduleFileRow,
  SETTLEMENT_SUMMARY,
  settlementSummaryFile,
  statementPath,
  TRIAL_BALANCE,
  trialBalanceFile,
  type CompensationRow,
  type FileLayout,
  type FileRow,
  type RenderedFile,
  type RowSink,
  type RowTotals,
  type TrialBalanceLine,
  type WrittenFile,
} from '../adapters/files/settlement-files.ts';
import { copyName, csvCopyWriter, xlsxCopyWriter } from '../adapters/files/human-copies.ts';
import { legsBookedAfter } from './positions-at.ts';
import { mergeSorted, SETTLEMENT_WORK_PREFIX, WorkFileWriter, workRows, type WorkRow } from '../adapters/files/work-files.ts';
import {
  WriteConflict,
  type AccountBalance,
  type Clock,
  type FileStore,
  type LedgerStore,
  type LenderProfitDay,
  type LoanStore,
  type ProgramStore,
  type SettlementBooks,
  type SettlementFile,
  type SettlementRun,
  type SettlementStore,
  type StoredInstruction,
} from '../ports/stores.ts';

/**
 * The daily settlement (docs/settlement.md): OpenRun → GatherShard (per shard) → Instruct →
 * WriteFiles → CloseRun, FailRun on any named failure. Every step may run again with the same
 * effect: shards are written whole, instructions once by their id, files whole with the same bytes.
 */

/** What settlement asks of a business calendar (shared/domain/calendar.ts implements it). */
export interface SettlementCalendar {
  isBusinessDay(date: string): boolean;
  previousBusinessDay(date: string): string;
  addBusinessDays(date: string, n: number): string;
}

export interface SettlementDeps {
  readonly settlements: SettlementStore & SettlementBooks;
  readonly ledger: Pick<LedgerStore, 'entriesOfDayShard' | 'entryPagesOfDayShard'>;
  readonly programs: Pick<ProgramStore, 'get' | 'list'>;
  readonly loans: Pick<LoanStore, 'get' | 'schedules' | 'factsOfShard'>;
  readonly files: FileStore;
  readonly clock: Clock;
  readonly calendar: (id: string) => Promise<SettlementCalendar>;
  readonly shardCount: number;
}

/** The latest version of every program: whose calendars, settlement terms and participants settle. */
async function latestPrograms(deps: Pick<SettlementDeps, 'programs'>): Promise<Program[]> {
  return latestVersions(await deps.programs.list());
}

const union = (daysByCalendar: SettlementRun['daysByCalendar']): string[] => [...new Set(Object.values(daysByCalendar).flat())].sort();

/**
 * The days a business date settles per calendar, or the reason it cannot be settled now: not a
 * business day of any program's calendar (`NOT_A_BUSINESS_DAY`; a scheduled run is skipped
 * instead), a cut-off not passed for a program settling it (`BUSINESS_DATE_OPEN`), the previous
 * run unsettled or a business date skipped (`PREVIOUS_DATE_NOT_SETTLED`). The API checks it
 * before starting a run, so a caller is told at once; OpenRun checks it again when the run opens.
 */
export async function settleableDays(
  deps: Pick<SettlementDeps, 'programs' | 'calendar' | 'clock'> & { readonly settlements: SettlementStore },
  businessDate: string,
  existing: SettlementRun | null,
): Promise<Record<string, string[]> | 'NOT_A_BUSINESS_DAY'> {
  const programs = await latestPrograms(deps);
  const daysByCalendar: Record<string, string[]> = {};
  for (const calendarId of [...new Set(programs.map((p) => p.settlement.calendar))].sort()) {
    daysByCalendar[calendarId] = settlementDays(businessDate, await deps.calendar(calendarId));
  }
  if (Object.values(daysByCalendar).every((days) => days.length === 0)) return 'NOT_A_BUSINESS_DAY';
  const now = deps.clock.now();
  for (const program of programs) {
    if ((daysByCalendar[program.settlement.calendar] ?? []).length === 0) continue;
    if (cutoffDayAt(now, program.settlement) <= businessDate) {
      throw new RuleViolation('BUSINESS_DATE_OPEN', `${businessDate} is still open for program ${program.programId}: its cut-off is ${program.settlement.cutoffTime} (${program.settlement.calendar})`, {
        path: 'businessDate',
        programId: program.programId,
        cutoffTime: program.settlement.cutoffTime,
      });
    }
  }
  const previous = await deps.settlements.previousRun(businessDate);
  if (previous !== null && previous.status !== 'SETTLED') {
    throw new RuleViolation('PREVIOUS_DATE_NOT_SETTLED', `settle ${previous.businessDate} first: its run is ${previous.status}`, { path: 'businessDate', settleFirst: previous.businessDate });
  }
  const firstDay = union(daysByCalendar)[0]!;
  if (existing === null && previous !== null && previous.businessDate < addDays(firstDay, -1)) {
    throw new RuleViolation('PREVIOUS_DATE_NOT_SETTLED', `settle the business dates after ${previous.businessDate} first: a run settles only the days since the previous business date`, {
      path: 'businessDate',
      lastSettled: previous.businessDate,
      firstDay,
    });
  }
  return daysByCalendar;
}

export function notABusinessDay(businessDate: string): RuleViolation {
  return new RuleViolation('NOT_A_BUSINESS_DAY', `${businessDate} is not a business day of any program's calendar`, { path: 'businessDate', businessDate });
}

/**
 * Opens (or re-opens, as attempt N) the run of a business date, refused as `settleableDays`
 * says; a re-run keeps the days the first run settled, so it settles exactly the same entries.
 */
export async function openRun(
  deps: SettlementDeps,
  input: { businessDate?: string; scheduledTime?: string; attempt?: number },
): Promise<{ businessDate: string; attempt: number; skipped: boolean; shards: { shard: number }[]; manifest?: string }> {
  const programs = await latestPrograms(deps);
  const businessDate = input.businessDate ?? businessDateAt(input.scheduledTime ?? deps.clock.now(), programs[0]?.settlement.calendar ?? 'CN');
  const existing = await deps.settlements.getRun(businessDate);
  const skip = { businessDate, attempt: existing?.attempt ?? 0, skipped: true, shards: [] };
  if (input.attempt === undefined && existing?.status === 'SETTLED') return skip; // the schedule fired for a settled date
  const daysByCalendar = await settleableDays(deps, businessDate, existing);
  if (daysByCalendar === 'NOT_A_BUSINESS_DAY') {
    if (input.businessDate === undefined) return skip; // the schedule fires every day; a holiday settles nothing
    throw notABusinessDay(businessDate);
  }
  // The shards to gather, for the Map that reads them from the file store; the same bytes every time.
  const shards = Array.from({ length: deps.shardCount }, (_, shard) => ({ shard }));
  if (input.attempt !== undefined && existing?.attempt === input.attempt && existing.status === 'RUNNING') {
    // This attempt's OpenRun ran before and committed, but its answer was lost (the step is run
    // again: a Lambda that timed out after its write, a retried task). An attempt has one
    // execution (named by it), so this is that execution: answer as the first time did.
    await deps.files.put(manifestPath(businessDate), Buffer.from(JSON.stringify(shards), 'utf8'));
    return { businessDate, attempt: input.attempt, skipped: false, shards, manifest: manifestPath(businessDate) };
  }
  const attempt = (existing?.attempt ?? 0) + 1;
  if (input.attempt !== undefined && input.attempt !== attempt) {
    throw new StateConflict('SETTLEMENT_RUN_CHANGED', `run ${attempt - 1} of ${businessDate} changed since this attempt was started`, { businessDate, attempt: input.attempt });
  }
  await deps.files.put(manifestPath(businessDate), Buffer.from(JSON.stringify(shards), 'utf8'));
  const now = deps.clock.now();
  const run: SettlementRun = {
    businessDate,
    status: 'RUNNING',
    attempt,
    daysByCalendar: existing?.daysByCalendar ?? daysByCalendar,
    shardCount: deps.shardCount,
    startedAt: now,
    settledAt: null,
    firstSettledAt: existing?.firstSettledAt ?? null,
    entries: 0,
    instructions: 0,
    files: [],
    failure: null,
  };
  try {
    await deps.settlements.putRun(run, existing?.attempt ?? 0);
  } catch (error) {
    if (!(error instanceof WriteConflict)) throw error;
    // The same step of the same attempt landed first (a task delivered twice): the attempt is open, as this step was to open it.
    const landed = input.attempt === undefined ? null : await deps.settlements.getRun(businessDate);
    if (landed?.attempt === attempt && landed.status === 'RUNNING') return { businessDate, attempt, skipped: false, shards, manifest: manifestPath(businessDate) };
    throw new StateConflict('SETTLEMENT_RUNNING', `another run of ${businessDate} started at the same time`, { businessDate });
  }
  return { businessDate, attempt, skipped: false, shards, manifest: manifestPath(businessDate) };
}

/**
 * The run of the date, running, of the attempt the step belongs to. A step of an earlier attempt
 * (an execution still going after a restart opened the next one) stops here and changes nothing.
 */
async function runningRun(deps: { readonly settlements: SettlementStore }, businessDate: string, attempt: number): Promise<SettlementRun> {
  const run = await deps.settlements.getRun(businessDate);
  if (run === null) throw new NotFound('settlementRun', businessDate);
  if (run.attempt !== attempt) throw runChanged(businessDate, attempt, run.attempt);
  if (run.status !== 'RUNNING') throw new StateConflict('SETTLEMENT_NOT_RUNNING', `the run of ${businessDate} is ${run.status}`, { businessDate });
  return run;
}

function runChanged(businessDate: string, attempt: number, current: number): StateConflict {
  return new StateConflict('SETTLEMENT_RUN_CHANGED', `attempt ${attempt} of ${businessDate} was replaced by attempt ${current}`, { businessDate, attempt, current });
}

/** Reads the program version an entry was booked under (or its loan's, for entries from before it was recorded). */
function programReader(deps: Pick<SettlementDeps, 'programs' | 'loans'>) {
  const programs = new Map<string, Promise<Program>>();
  const version = (programId: string, v: number): Promise<Program> => {
    const key = `${programId}@${v}`;
    let found = programs.get(key);
    if (found === undefined) {
      found = deps.programs.get(programId, v).then((p) => {
        invariant(p !== null, 'an entry names a program version that exists', { programId, version: v });
        return p;
      });
      programs.set(key, found);
    }
    return found;
  };
  return async (entry: JournalEntry): Promise<Program> => {
    if (entry.programId !== undefined && entry.programVersion !== undefined) return version(entry.programId, entry.programVersion);
    const loan = await deps.loans.get(entry.loanId);
    invariant(loan !== null, 'an entry belongs to a booked loan', { loanId: entry.loanId, entryId: entry.entryId });
    return version(loan.programId, loan.programVersion);
  };
}

/**
 * The entries a run settles on one shard, with the program each is settled under, a batch at a
 * time: the days' pages of the date index merged in index order (loan, then entry).
 */
async function* entriesOfShard(
  deps: SettlementDeps,
  run: SettlementRun,
  shard: number,
  everyEntry: (day: string, entry: JournalEntry) => void,
): AsyncGenerator<{ entry: JournalEntry; program: Program }[]> {
  const programOf = programReader(deps);
  const days = union(run.daysByCalendar).map((day) => pagesOfDay(deps, day, shard));
  for await (const batch of mergeSorted(days, ({ entry }) => `${entry.loanId}#${entry.entryId}`)) {
    const settled: { entry: JournalEntry; program: Program }[] = [];
    for (const { day, entry } of batch) {
      everyEntry(day, entry);
      const program = await programOf(entry);
      if ((run.daysByCalendar[program.settlement.calendar] ?? []).includes(day)) settled.push({ entry, program });
    }
    yield settled;
  }
}

async function* pagesOfDay(deps: SettlementDeps, day: string, shard: number): AsyncGenerator<{ day: string; entry: JournalEntry }[]> {
  for await (const page of deps.ledger.entryPagesOfDayShard(day, shard)) yield page.map((entry) => ({ day, entry }));
}

const DETAIL_EVENTS = new Set<JournalEntry['eventType']>(['REPAYMENT', 'REVERSAL', 'REBOOK', 'BUYBACK']);
const shardName = (shard: number) => String(shard).padStart(2, '0');
/** The manifest of a run's shards, `[{"shard":0},…]`: what the gather's Distributed Map reads in AWS. */
const manifestPath = (businessDate: string) => `${SETTLEMENT_WORK_PREFIX}/${businessDate}/manifest.json`;
/** What a gather leaves: per file and lender a work file of rows, and the shard's index (its accounts, which work files it wrote), written last. */
const workPath = (businessDate: string, shard: number, layout: FileLayout, lenderId: string) => `${SETTLEMENT_WORK_PREFIX}/${businessDate}/shard-${shardName(shard)}/${layout.prefix}/${lenderId}.jsonl`;
const workIndexPath = (businessDate: string, shard: number) => `${SETTLEMENT_WORK_PREFIX}/${businessDate}/shard-${shardName(shard)}/index.json`;
/** The loan master rows of a shard, per lender, and their index written last: taken once per date (see `writeLoanMaster`). */
const loansPath = (businessDate: string, shard: number, lenderId: string) => `${SETTLEMENT_WORK_PREFIX}/${businessDate}/loans-${shardName(shard)}/${lenderId}.jsonl`;
const loansIndexPath = (businessDate: string, shard: number) => `${SETTLEMENT_WORK_PREFIX}/${businessDate}/loans-${shardName(shard)}/index.json`;

/** Index files are JSON; amounts keep their bigint through `{"$n": "123"}`. */
const toJson = (value: unknown): Buffer => Buffer.from(JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? { $n: v.toString() } : v)), 'utf8');
const fromJson = <T>(body: Uint8Array): T =>
  JSON.parse(Buffer.from(body).toString('utf8'), (_key, v: unknown) => (v !== null && typeof v === 'object' && '$n' in v && typeof v.$n === 'string' ? BigInt(v.$n) : v)) as T;

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The debits and credits of one account of a lender's book in the run's entries. */
interface AccountMovement {
  readonly lenderId: string;
  readonly currency: string;
  readonly account: Account;
  readonly debitMinor: bigint;
  readonly creditMinor: bigint;
}

/** What a gather leaves besides its work files: the shard's account movements, and per file (layout prefix) and lender with a work file, what its rows add up to. */
interface ShardIndex {
  readonly accounts: readonly AccountMovement[];
  readonly files: Readonly<Record<string, Readonly<Record<string, RowTotals>>>>;
  /** Per settlement day of the run closed for every program when the gather began, each lender's profit lines of the day's entries on the shard (all of them, whichever calendar settles them). */
  readonly profitDays?: readonly ProfitDayOfShard[];
}

interface ProfitDayOfShard {
  readonly day: string;
  readonly lenders: readonly LenderProfitDay[];
}

/**
 * The days of a run whose date index is final: closed for every program (their cut-off passed,
 * `cutoffDayAt`), so no entry is booked in them any more. The last run that reads a day always
 * finds it closed: it is a business day of every calendar still to settle it, and the run opens
 * after the cut-off of every program settling its date.
 */
function closedDays(days: readonly string[], programs: readonly Program[], now: string): string[] {
  return days.filter((day) => programs.every((p) => cutoffDayAt(now, p.settlement) > day));
}

/** Each lender's profit lines of the entries of the closed days, per day (docs/profit-sharing.md, Monthly profit). */
class ProfitDays {
  private readonly days = new Map<string, Map<string, Map<string, ProfitLine>>>();

  constructor(closed: readonly string[]) {
    for (const day of closed) this.days.set(day, new Map());
  }

  add(day: string, entry: JournalEntry): void {
    const ofDay = this.days.get(day);
    if (ofDay === undefined) return;
    for (const lenderId of new Set(entry.legs.map((leg) => leg.lenderId))) {
      const line = profitLineOf(lenderId, entry);
      if (line === null) continue;
      let lines = ofDay.get(lenderId);
      if (lines === undefined) {
        lines = new Map();
        ofDay.set(lenderId, lines);
      }
      addProfitLine(lines, line);
    }
  }

  list(): ProfitDayOfShard[] {
    return [...this.days].map(([day, ofDay]) => ({ day, lenders: linesByLender(day, ofDay) }));
  }
}

function linesByLender(day: string, ofDay: ReadonlyMap<string, ReadonlyMap<string, ProfitLine>>): LenderProfitDay[] {
  return [...ofDay]
    .sort(([a], [b]) => byText(a, b))
    .map(([lenderId, lines]) => ({ day, lenderId, lines: [...lines.values()].sort((a, b) => byText(a.currency, b.currency)) }));
}

/**
 * The days every shard found closed, each lender's lines added up over the shards: what the run
 * keeps of each day's profit. A day a shard gathered before it closed is left to a later run.
 */
function profitDaysOfRun(shards: readonly ShardIndex[]): ProfitDayOfShard[] {
  const found = new Map<string, { shards: number; lenders: Map<string, Map<string, ProfitLine>> }>();
  for (const shard of shards) {
    for (const { day, lenders } of shard.profitDays ?? []) {
      const ofDay = found.get(day) ?? { shards: 0, lenders: new Map() };
      ofDay.shards += 1;
      for (const { lenderId, lines } of lenders) {
        const sum = ofDay.lenders.get(lenderId) ?? new Map<string, ProfitLine>();
        for (const line of lines) addProfitLine(sum, line);
        ofDay.lenders.set(lenderId, sum);
      }
      found.set(day, ofDay);
    }
  }
  return [...found]
    .filter(([, ofDay]) => ofDay.shards === shards.length)
    .sort(([a], [b]) => byText(a, b))
    .map(([day, ofDay]) => ({ day, lenders: linesByLender(day, ofDay.lenders) }));
}

/** Adds up an entry's legs per lender, currency and account (a map per currency and lender, so a leg makes no key of its own). */
class AccountMovements {
  private readonly sums = new Map<string, Map<string, Map<Account, { debitMinor: bigint; creditMinor: bigint }>>>();

  add(currency: string, legs: readonly Leg[]): void {
    let ofCurrency = this.sums.get(currency);
    if (ofCurrency === undefined) {
      ofCurrency = new Map();
      this.sums.set(currency, ofCurrency);
    }
    for (const leg of legs) {
      let ofLender = ofCurrency.get(leg.lenderId);
      if (ofLender === undefined) {
        ofLender = new Map();
        ofCurrency.set(leg.lenderId, ofLender);
      }
      let sum = ofLender.get(leg.account);
      if (sum === undefined) {
        sum = { debitMinor: 0n, creditMinor: 0n };
        ofLender.set(leg.account, sum);
      }
      if (leg.side === 'DEBIT') sum.debitMinor += leg.amountMinor;
      else sum.creditMinor += leg.amountMinor;
    }
  }

  /** By lender, currency and account. */
  list(): AccountMovement[] {
    const movements: AccountMovement[] = [];
    for (const [currency, ofCurrency] of this.sums) {
      for (const [lenderId, ofLender] of ofCurrency) for (const [account, sum] of ofLender) movements.push({ lenderId, currency, account, ...sum });
    }
    const key = (m: AccountMovement) => `${m.lenderId}|${m.currency}|${m.account}`;
    return movements.sort((a, b) => byText(key(a), key(b)));
  }
}

/**
 * The work files a step is writing, one per file and lender, opened when the lender's first row
 * of that file comes; every row comes in loan order. Stopped as a whole when the step fails, so
 * no work file is left half written.
 */
class WorkFiles {
  /** Per file layout, per lender, its work file. */
  private readonly open = new Map<FileLayout, Map<string, WorkFileWriter>>();

  constructor(
    private readonly files: FileStore,
    private readonly pathOf: (layout: FileLayout, lenderId: string) => string,
  ) {}

  async write(layout: FileLayout, lenderId: string, loanId: string, row: FileRow | null): Promise<void> {
    if (row === null) return;
    let ofLayout = this.open.get(layout);
    if (ofLayout === undefined) {
      ofLayout = new Map();
      this.open.set(layout, ofLayout);
    }
    let writer = ofLayout.get(lenderId);
    if (writer === undefined) {
      const path = this.pathOf(layout, lenderId);
      writer = new WorkFileWriter(path, layout, (body) => this.files.putStream(path, body));
      ofLayout.set(lenderId, writer);
    }
    await writer.write(loanId, row);
  }

  /** Ends every file; per file (layout prefix) and lender, what its rows add up to. */
  async end(): Promise<Record<string, Record<string, RowTotals>>> {
    const written: Record<string, Record<string, RowTotals>> = {};
    for (const [layout, ofLayout] of [...this.open].sort(([a], [b]) => byText(a.prefix, b.prefix))) {
      const lenders = [...ofLayout.keys()].sort(byText);
      const added = await Promise.all(lenders.map((lenderId) => ofLayout.get(lenderId)!.end()));
      written[layout.prefix] = Object.fromEntries(lenders.map((lenderId, i) => [lenderId, added[i]!]));
    }
    return written;
  }

  async abort(error: unknown): Promise<void> {
    const reason = error instanceof Error ? error : new Error(String(error));
    await Promise.all([...this.open.values()].flatMap((ofLayout) => [...ofLayout.values()].map((writer) => writer.abort(reason))));
  }
}

/** How many loans a step keeps once read: the loans of a batch of heads, and those of the disbursements met recently. */
const LOANS_KEPT = 1_000;

/** Reads each loan once while it is among the `LOANS_KEPT` read last. */
function loanReader(deps: Pick<SettlementDeps, 'loans'>): (loanId: string) => Promise<Loan> {
  const loans = new Map<string, Promise<Loan>>();
  return (loanId) => {
    let found = loans.get(loanId);
    if (found === undefined) {
      found = deps.loans.get(loanId).then((loan) => {
        invariant(loan !== null, 'a settled entry belongs to a booked loan', { loanId });
        return loan;
      });
      loans.set(loanId, found);
      if (loans.size > LOANS_KEPT) loans.delete(loans.keys().next().value as string);
    }
    return found;
  };
}

/**
 * Gathers one shard: its settlement items, and for the files its rows of each lender's repayment
 * detail, disbursement detail, repayment schedule and compensation file, the debits and credits
 * of every lender's accounts, and (once per date) the loan master rows of its loans. The entries
 * come a page at a time in loan order and each row goes to its lender's work file as it is made,
 * so a gather holds a page of entries, not the shard. Written whole each time.
 */
export async function gatherShard(deps: SettlementDeps, businessDate: string, attempt: number, shard: number): Promise<{ shard: number; entries: number }> {
  const run = await runningRun(deps, businessDate, attempt);
  const loanMasterKept = (await deps.files.get(loansIndexPath(businessDate, shard))) !== null;
  const profitDays = new ProfitDays(closedDays(union(run.daysByCalendar), await latestPrograms(deps), deps.clock.now()));
  const items = new SettlementItems();
  const accounts = new AccountMovements();
  const work = new WorkFiles(deps.files, (layout, lenderId) => workPath(businessDate, shard, layout, lenderId));
  const loanOf = loanReader(deps);
  /** The lenders with legs in the run's entries, per loan: their loans are in the loan master even when nothing is left. */
  const touched = new Map<string, Set<string>>();
  let entries = 0;
  let files: Record<string, Record<string, RowTotals>>;
  try {
    for await (const batch of entriesOfShard(deps, run, shard, (day, entry) => profitDays.add(day, entry))) {
      for (const { entry, program } of batch) {
        entries += 1;
        const movements = movementsOf(entry);
        for (const movement of movements) items.add(entry.currency, program.programId, movement);
        accounts.add(entry.currency, entry.legs);
        if (!loanMasterKept) {
          const lenders = touched.get(entry.loanId) ?? new Set<string>();
          for (const leg of entry.legs) lenders.add(leg.lenderId);
          touched.set(entry.loanId, lenders);
        }
        if (DETAIL_EVENTS.has(entry.eventType)) {
          // Each lender's part as a detail row: what moved with the collection account, or a buyback's price in both books.
          const detail = detailMovements(entry, movements).map((m) => ({ ...m, counterparty: ESCROW }));
          for (const lenderId of new Set(detail.map((m) => m.lenderId))) await work.write(REPAYMENT_DETAIL, lenderId, entry.loanId, repaymentDetailFileRow(businessDate, lenderId, { entry, movements: detail }));
        }
        if (entry.eventType === 'DISBURSEMENT') await gatherDisbursement(deps, work, businessDate, entry, await loanOf(entry.loanId));
        if (isCompensation(entry)) {
          for (const row of compensationRows(entry)) {
            for (const lenderId of new Set([row.lenderId, row.guarantorId])) await work.write(COMPENSATION, lenderId, entry.loanId, compensationFileRow(businessDate, lenderId, row));
          }
        }
      }
    }
    files = await work.end();
  } catch (error) {
    await work.abort(error);
    throw error;
  }
  if (!loanMasterKept) await writeLoanMaster(deps, run, shard, touched);
  const index: ShardIndex = { accounts: accounts.list(), files, profitDays: profitDays.list() };
  await deps.files.put(workIndexPath(businessDate, shard), toJson(index));
  await deps.settlements.putShard({ businessDate, shard, entries, items: items.list() });
  return { shard, entries };
}

/** Each lender's principal paid out, and the loan's sub-schedules: a loan disbursed in the run's days is new to its lenders. */
async function gatherDisbursement(deps: SettlementDeps, work: WorkFiles, businessDate: string, entry: JournalEntry, loan: Loan): Promise<void> {
  const principal = new Map<string, bigint>();
  for (const leg of entry.legs) {
    if (leg.account === 'PRINCIPAL_RECEIVABLE') principal.set(leg.lenderId, (principal.get(leg.lenderId) ?? 0n) + (leg.side === 'DEBIT' ? leg.amountMinor : -leg.amountMinor));
  }
  for (const [lenderId, principalMinor] of principal) {
    await work.write(
      DISBURSEMENT_DETAIL,
      lenderId,
      loan.loanId,
      disbursementDetailFileRow(businessDate, lenderId, {
        loanId: loan.loanId,
        programId: loan.programId,
        currency: entry.currency,
        disbursementDate: entry.businessDate,
        bookedOn: entry.bookedOn ?? entry.businessDate,
        loanPrincipalMinor: loan.principalMinor,
        principalMinor,
        reference: loan.disbursementReference,
      }),
    );
  }
  const schedules = await deps.loans.schedules(loan.loanId);
  invariant(schedules !== null, 'a booked loan has its schedules', { loanId: loan.loanId });
  for (const schedule of schedules.lenders) {
    for (const instalment of schedule.instalments) {
      await work.write(REPAYMENT_SCHEDULE, schedule.lenderId, loan.loanId, repaymentScheduleFileRow(businessDate, schedule.lenderId, { loanId: loan.loanId, programId: loan.programId, currency: loan.currency, instalment }));
    }
  }
}

/** A compensation, or the restatement of one (`REBOOK#COMPENSATION-{eventId}#{n}`, its change). */
const isCompensation = (entry: JournalEntry): boolean => entry.eventType === 'COMPENSATION' || (entry.eventType === 'REBOOK' && entry.eventId.startsWith('COMPENSATION-'));

/**
 * One row per lender the guarantor paid: the lender's book clears with the guarantor (Dr clearing)
 * against its principal, interest and fee income (Cr). The parts must add up to what it clears.
 */
function compensationRows(entry: JournalEntry): CompensationRow[] {
  const books = new Map<string, Leg[]>();
  for (const leg of entry.legs) books.set(leg.lenderId, [...(books.get(leg.lenderId) ?? []), leg]);
  const credited = (legs: readonly Leg[], account: Account) => legs.filter((l) => l.account === account).reduce((sum, l) => sum + (l.side === 'CREDIT' ? l.amountMinor : -l.amountMinor), 0n);
  const rows: CompensationRow[] = [];
  for (const [lenderId, legs] of [...books].sort(([a], [b]) => (a < b ? -1 : 1))) {
    // The guarantor's own book (its claim; a share it bought back joins it) is not a lender it paid.
    if (!legs.some((l) => l.account === 'PRINCIPAL_RECEIVABLE' || l.account === 'INTEREST_INCOME' || l.account === 'FEE_INCOME') || legs.some((l) => l.account === 'GUARANTEE_RECEIVABLE')) continue;
    const clearing = legs.filter((l) => l.account === 'SETTLEMENT_CLEARING');
    const guarantors = [...new Set(clearing.map((l) => l.counterparty))];
    invariant(guarantors.length === 1 && guarantors[0] !== null && guarantors[0] !== ESCROW, 'a compensated lender clears with the guarantor alone', { entryId: entry.entryId, lenderId });
    const totalMinor = -credited(clearing, 'SETTLEMENT_CLEARING');
    const principalMinor = credited(legs, 'PRINCIPAL_RECEIVABLE');
    const interestMinor = credited(legs, 'INTEREST_INCOME');
    const feeMinor = credited(legs, 'FEE_INCOME');
    invariant(principalMinor + interestMinor + feeMinor === totalMinor, "a compensation pays a lender exactly its principal, interest and fees", { entryId: entry.entryId, lenderId });
    if (totalMinor === 0n && principalMinor === 0n && interestMinor === 0n && feeMinor === 0n) continue;
    rows.push({
      loanId: entry.loanId,
      entryId: entry.entryId,
      eventType: entry.eventType,
      eventId: entry.eventId,
      valueDate: entry.businessDate,
      bookedOn: entry.bookedOn ?? entry.businessDate,
      currency: entry.currency,
      guarantorId: guarantors[0]!,
      lenderId,
      principalMinor,
      interestMinor,
      feeMinor,
      totalMinor,
    });
  }
  return rows;
}

/** Accounts that hold what a lender is still owed or owes on a loan: while any is not zero, the loan is in its loan master. */
const OUTSTANDING_ACCOUNTS: readonly Account[] = ['PRINCIPAL_RECEIVABLE', 'INTEREST_RECEIVABLE', 'GUARANTEE_RECEIVABLE', 'SUSPENSE'];

/**
 * The loan master rows of a shard's loans, to each lender's work file: its position at the end
 * of the date (the head's, less the entries booked after the date: read from the date index of
 * the days since, on the same shard), for every loan it still has something outstanding on or had
 * entries settled on in the run. DPD and class are the head's, from the latest risk update. The
 * shard's loans come with their facts (S7, one Query in loan order), their heads 100 at a time.
 * Taken once per date and kept (the index is written last), so a re-run writes the same rows
 * whatever was booked since.
 */
async function writeLoanMaster(deps: SettlementDeps, run: SettlementRun, shard: number, touched: ReadonlyMap<string, ReadonlySet<string>>): Promise<void> {
  const later = await legsBookedAfter(deps, run.businessDate, shard);
  const facts = (await deps.loans.factsOfShard(shard)).sort((a, b) => byText(a.loanId, b.loanId));
  const work = new WorkFiles(deps.files, (_layout, lenderId) => loansPath(run.businessDate, shard, lenderId));
  let files: Record<string, Record<string, RowTotals>>;
  try {
    for (let i = 0; i < facts.length; i += 100) {
      const page = facts.slice(i, i + 100);
      const heads = new Map((await deps.settlements.loanHeads(page.map((f) => f.loanId))).map((head) => [head.loanId, head]));
      for (const loan of page) {
        const head = heads.get(loan.loanId);
        if (head === undefined) continue;
        for (const position of head.positions) {
          const balancesMinor = balancesBefore(position.balancesMinor, later.get(`${loan.loanId}#${position.lenderId}`) ?? []);
          if (!OUTSTANDING_ACCOUNTS.some((a) => (balancesMinor[a] ?? 0n) !== 0n) && !(touched.get(loan.loanId)?.has(position.lenderId) ?? false)) continue;
          await work.write(
            LOAN_MASTER,
            position.lenderId,
            loan.loanId,
            loanMasterFileRow(run.businessDate, position.lenderId, {
              loanId: loan.loanId,
              programId: loan.programId,
              currency: position.currency,
              disbursementDate: loan.disbursementDate,
              loanPrincipalMinor: loan.principalMinor,
              fundedMinor: loan.funded.find((p) => p.lenderId === position.lenderId)?.amountMinor ?? 0n,
              balancesMinor,
              dpd: head.risk?.dpd ?? 0,
              classification: head.risk?.classification ?? 'NORMAL',
              riskAsOf: head.risk?.asOf ?? null,
            }),
          );
        }
      }
    }
    files = await work.end();
  } catch (error) {
    await work.abort(error);
    throw error;
  }
  await deps.files.put(loansIndexPath(run.businessDate, shard), toJson({ lenders: files[LOAN_MASTER.prefix] ?? {} }));
}

async function runItems(deps: SettlementDeps, run: SettlementRun): Promise<{ items: SettlementItem[]; entries: number }> {
  const shards = await deps.settlements.shards(run.businessDate);
  invariant(shards.length === run.shardCount, 'every shard of the run is gathered before its instructions', { businessDate: run.businessDate, gathered: shards.length, shards: run.shardCount });
  const all = new SettlementItems();
  for (const shard of shards) for (const item of shard.items) all.addItem(item);
  return { items: all.list(), entries: shards.reduce((sum, s) => sum + s.entries, 0) };
}

/**
 * The payout instructions of the date, from every shard's items: per program, netted or gross,
 * paid T + N business days. What they move per party is checked against what the items say it
 * is owed before anything is written; an instruction already written (a re-run) must be the same.
 */
export async function instruct(deps: SettlementDeps, businessDate: string, attempt: number): Promise<{ instructions: number; entries: number }> {
  const run = await runningRun(deps, businessDate, attempt);
  const { items, entries } = await runItems(deps, run);
  const programs = new Map((await latestPrograms(deps)).map((p) => [p.programId, p]));
  const terms = new Map<string, ProgramSettlementTerms>();
  for (const programId of new Set(items.map((i) => i.programId))) {
    const program = programs.get(programId);
    invariant(program !== undefined, 'settled entries belong to a known program', { programId });
    const calendar = await deps.calendar(program.settlement.calendar);
    terms.set(programId, { netting: program.settlement.netting, valueDate: calendar.addBusinessDays(businessDate, program.settlement.settlementLagDays) });
  }
  const instructions = payoutInstructions(businessDate, items, (programId) => terms.get(programId)!);
  const owed = [...netOwedByParty(items)].filter(([, v]) => v !== 0n).sort();
  const moved = [...netByParty(instructions)].filter(([, v]) => v !== 0n).sort();
  invariant(JSON.stringify(owed, bigintText) === JSON.stringify(moved, bigintText), 'the instructions move exactly what the items say each party is owed', { businessDate });
  const stored = await deps.settlements.putInstructions(instructions);
  stored.forEach((s, i) => {
    const made = instructions[i]!;
    invariant(s.amountMinor === made.amountMinor && s.payer === made.payer && s.payee === made.payee, 'a written instruction never changes: a re-run of a date finds the same', {
      instructionId: made.instructionId,
    });
  });
  return { instructions: instructions.length, entries };
}

const bigintText = (_key: string, v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : v);

/** Lenders that get files for the date: every participant of a program, every party of an item, every book with balances or movements. */
async function lendersToFile(deps: SettlementDeps, items: readonly SettlementItem[], books: Iterable<string>): Promise<string[]> {
  const ids = new Set<string>(books);
  for (const program of await latestPrograms(deps)) for (const p of program.participants) ids.add(p.lenderId);
  for (const item of items) {
    ids.add(item.lenderId);
    if (item.counterparty !== ESCROW) ids.add(item.counterparty);
  }
  return [...ids].sort();
}

/** Every shard's index, with the lenders of its loan master under the loan master's prefix; every shard must have been gathered. */
async function shardIndexes(deps: SettlementDeps, run: SettlementRun): Promise<ShardIndex[]> {
  return Promise.all(
    Array.from({ length: run.shardCount }, async (_, shard) => {
      const [work, loans] = await Promise.all([deps.files.get(workIndexPath(run.businessDate, shard)), deps.files.get(loansIndexPath(run.businessDate, shard))]);
      invariant(work !== null && loans !== null, 'every shard of the run is gathered before its files', { businessDate: run.businessDate, shard });
      const index = fromJson<ShardIndex>(work);
      return { ...index, files: { ...index.files, [LOAN_MASTER.prefix]: fromJson<{ lenders: Record<string, RowTotals> }>(loans).lenders } };
    }),
  );
}

/**
 * A lender's trial balance: per currency (its programs', and any with balances or movements),
 * every account of its book with the opening balance (the previous settled date's closing), the
 * date's debits and credits, and the closing balance. Stops with a named invariant unless, per
 * currency, the debits equal the credits and the opening and closing balances each net to zero.
 */
export function trialBalance(lenderId: string, currencies: Iterable<string>, opening: readonly AccountBalance[], movements: readonly Pick<AccountMovement, 'currency' | 'account' | 'debitMinor' | 'creditMinor'>[]): TrialBalanceLine[] {
  const all = new Set(currencies);
  for (const b of opening) all.add(b.currency);
  for (const m of movements) all.add(m.currency);
  const lines: TrialBalanceLine[] = [];
  for (const currency of [...all].sort()) {
    let debits = 0n;
    let credits = 0n;
    let openingNet = 0n;
    let closingNet = 0n;
    for (const account of ACCOUNTS) {
      const openingMinor = opening.filter((b) => b.currency === currency && b.account === account).reduce((sum, b) => sum + b.balanceMinor, 0n);
      const own = movements.filter((m) => m.currency === currency && m.account === account);
      const debitMinor = own.reduce((sum, m) => sum + m.debitMinor, 0n);
      const creditMinor = own.reduce((sum, m) => sum + m.creditMinor, 0n);
      const closingMinor = openingMinor + debitMinor - creditMinor;
      debits += debitMinor;
      credits += creditMinor;
      openingNet += openingMinor;
      closingNet += closingMinor;
      lines.push({ currency, account, openingMinor, debitMinor, creditMinor, closingMinor });
    }
    const figures = { lenderId, currency, debitsMinor: debits.toString(), creditsMinor: credits.toString(), openingNetMinor: openingNet.toString(), closingNetMinor: closingNet.toString() };
    invariant(debits === credits, "a lender's trial balance: the date's debits equal its credits", figures);
    invariant(openingNet === 0n && closingNet === 0n, "a lender's trial balance: its opening and closing balances balance", figures);
  }
  return lines;
}

/** The files with copies for people, by layout prefix, and the sheet each copy is written to. */
const COPY_SHEETS: Readonly<Record<string, string>> = {
  [SETTLEMENT_SUMMARY.prefix]: '汇总对账 settlement summary',
  [REPAYMENT_DETAIL.prefix]: '还款明细 repayment detail',
  [LOAN_MASTER.prefix]: '贷款主文件 loan master',
  [DISBURSEMENT_DETAIL.prefix]: '放款明细 disbursement detail',
  [REPAYMENT_SCHEDULE.prefix]: '还款计划 repayment schedule',
  [COMPENSATION.prefix]: '代偿 compensation',
  [TRIAL_BALANCE.prefix]: '试算平衡表 trial balance',
};

/** What every lender's files of the date are made of, besides the work files. */
interface DateFacts {
  readonly run: SettlementRun;
  readonly items: readonly SettlementItem[];
  readonly instructions: readonly StoredInstruction[];
  readonly shards: readonly ShardIndex[];
}

/**
 * Writes every lender's file set of the date and keeps each lender's closing balances for the
 * next date's trial balance; the copies for people go to `human/`, the `.ok` marker last. Every
 * lender's trial balance is checked before any file is written. The same run gives the same
 * bytes for every pipe-delimited file.
 */
export async function writeFiles(deps: SettlementDeps, businessDate: string, attempt: number): Promise<{ files: SettlementFile[] }> {
  const run = await runningRun(deps, businessDate, attempt);
  const { items } = await runItems(deps, run);
  // Bank references recorded before the date was first settled; later ones never change its files.
  const instructions = (await deps.settlements.instructions(businessDate)).map((i) =>
    i.executed !== null && (run.firstSettledAt === null || i.executed.recordedAt > run.firstSettledAt) ? { ...i, executed: null } : i,
  );
  const shards = await shardIndexes(deps, run);
  const previous = await deps.settlements.previousRun(businessDate);
  invariant(previous === null || previous.status === 'SETTLED', 'a date is settled after the one before it', { businessDate, previous: previous?.businessDate ?? null });
  const opening = new Map((previous === null ? [] : await deps.settlements.lenderBalances(previous.businessDate)).map((b) => [b.lenderId, b.balances]));
  const books = new Set(opening.keys());
  for (const shard of shards) {
    for (const movement of shard.accounts) books.add(movement.lenderId);
    for (const lenders of Object.values(shard.files)) for (const lenderId of Object.keys(lenders)) books.add(lenderId);
  }
  const programs = await latestPrograms(deps);
  const lenders = await lendersToFile(deps, items, books);
  const trialBalances = new Map(
    lenders.map((lenderId) => {
      const currencies = programs.filter((p) => p.participants.some((x) => x.lenderId === lenderId)).map((p) => p.currency);
      const movements = shards.flatMap((shard) => shard.accounts.filter((m) => m.lenderId === lenderId));
      return [lenderId, trialBalance(lenderId, currencies, opening.get(lenderId) ?? [], movements)] as const;
    }),
  );
  const facts: DateFacts = { run, items, instructions, shards };
  const written: SettlementFile[] = [];
  for (const lenderId of lenders) {
    const lines = trialBalances.get(lenderId)!;
    await deps.settlements.putLenderBalances({
      businessDate,
      lenderId,
      balances: lines.filter((l) => l.closingMinor !== 0n).map((l) => ({ currency: l.currency, account: l.account, balanceMinor: l.closingMinor })),
    });
    written.push(...(await writeLenderFiles(deps, facts, lenderId, lines)));
  }
  // Each closed day's profit lines, every lender's before the day's mark.
  for (const { day, lenders: ofDay } of profitDaysOfRun(shards)) await deps.settlements.putProfitDay(day, ofDay);
  // Nine files a lender: the list grows with the lenders past what a workflow's state holds, so it is kept on the run, not passed on.
  await deps.settlements.putRun({ ...run, files: written }, run.attempt);
  return { files: written };
}

/** A lender's file set: the summary and the trial balance whole, the files with a row per loan merged from the shards' work files as they are read. */
async function writeLenderFiles(deps: SettlementDeps, facts: DateFacts, lenderId: string, lines: readonly TrialBalanceLine[]): Promise<SettlementFile[]> {
  const businessDate = facts.run.businessDate;
  const put = (file: RenderedFile) => deps.files.put(statementPath(lenderId, businessDate, file.name), file.body);
  const summary = settlementSummaryFile(businessDate, lenderId, facts.items, facts.instructions);
  await put(summary);
  const merged: WrittenFile[] = [];
  for (const layout of [REPAYMENT_DETAIL, LOAN_MASTER, DISBURSEMENT_DETAIL, REPAYMENT_SCHEDULE, COMPENSATION]) merged.push(await writeMerged(deps, facts, lenderId, layout));
  const trial = trialBalanceFile(businessDate, lenderId, lines);
  await put(trial);
  const data = [summary, ...merged, trial];
  const control = controlFile(businessDate, lenderId, data);
  await put(control);
  for (const [file, layout] of [
    [summary, SETTLEMENT_SUMMARY],
    [trial, TRIAL_BALANCE],
  ] as const) {
    const copies = await copiesFor(deps, businessDate, lenderId, layout);
    for (const copy of copies) await copy.write(file.table.rows);
    await Promise.all(copies.map((copy) => copy.end()));
  }
  const done = doneMarker(businessDate);
  await put(done);
  return [...data, control, done].map((f) => ({ lenderId, name: f.name, records: f.records, sha256: f.sha256 }));
}

/** The folder of a lender's date that holds the copies for people, served by their own route. */
export const HUMAN_COPIES = 'human';

/** The CSV and XLSX copies for people of a file that has them (`COPY_SHEETS`), written to `human/` as its rows come. */
async function copiesFor(deps: SettlementDeps, businessDate: string, lenderId: string, layout: FileLayout): Promise<RowSink[]> {
  const sheet = COPY_SHEETS[layout.prefix];
  if (sheet === undefined) return [];
  const name = fileName(layout, businessDate);
  const sink = (copy: string) => (body: AsyncIterable<Uint8Array>) => deps.files.putStream(statementPath(lenderId, businessDate, `${HUMAN_COPIES}/${copy}`), body);
  return [await csvCopyWriter(layout, sink(copyName(name, 'csv'))), xlsxCopyWriter(layout, businessDate, sheet, sink(copyName(name, 'xlsx')))];
}

/** One of a lender's files with a row per loan: its rows from every shard's work file, merged in loan order as they are read. */
async function writeMerged(deps: SettlementDeps, facts: DateFacts, lenderId: string, layout: FileLayout): Promise<WrittenFile> {
  const { businessDate } = facts.run;
  const name = fileName(layout, businessDate);
  const copies = await copiesFor(deps, businessDate, lenderId, layout);
  const file = await DataFileWriter.open(layout, businessDate, (body) => deps.files.putStream(statementPath(lenderId, businessDate, name), body), copies);
  let added = noRows(layout);
  try {
    const sources: AsyncIterable<WorkRow[]>[] = [];
    for (const [shard, index] of facts.shards.entries()) {
      const rows = index.files[layout.prefix]?.[lenderId];
      if (rows === undefined) continue;
      added = addRows(added, rows);
      const path = layout === LOAN_MASTER ? loansPath(businessDate, shard, lenderId) : workPath(businessDate, shard, layout, lenderId);
      const body = await deps.files.getStream(path);
      invariant(body !== null, 'every work file a shard lists is there', { path });
      sources.push(workRows(body));
    }
    for await (const batch of mergeSorted(sources, (r) => r.loanId)) await file.write(batch.map((r) => r.fields));
    return await file.end(added);
  } catch (error) {
    await file.abort(error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
}

/** Marks the run settled with what it wrote (the files `writeFiles` kept on the run, unless given). */
export async function closeRun(deps: SettlementDeps, businessDate: string, attempt: number, done: { instructions: number; entries: number; files?: readonly SettlementFile[] }): Promise<SettlementRun> {
  const run = await runningRun(deps, businessDate, attempt);
  const now = deps.clock.now();
  const settled: SettlementRun = { ...run, status: 'SETTLED', settledAt: now, firstSettledAt: run.firstSettledAt ?? now, entries: done.entries, instructions: done.instructions, files: done.files ?? run.files };
  await deps.settlements.putRun({ ...settled, attempt: run.attempt }, run.attempt);
  return settled;
}

/** Records why the attempt stopped; the date can be run again. Another attempt's run is left as it is. */
export async function failRun(deps: SettlementDeps, businessDate: string, attempt: number, failure: { code: string; message: string }): Promise<void> {
  const run = await deps.settlements.getRun(businessDate);
  if (run === null || run.status !== 'RUNNING' || run.attempt !== attempt) return;
  await deps.settlements.putRun({ ...run, status: 'FAILED', failure }, run.attempt);
}

/** The run of a date with its instructions, for `GET /v1/settlement-runs/{date}`. */
export async function settlementView(deps: { readonly settlements: SettlementStore }, businessDate: string): Promise<{ run: SettlementRun; shardsGathered: number; instructions: StoredInstruction[] }> {
  const run = await deps.settlements.getRun(businessDate);
  if (run === null) throw new NotFound('settlementRun', businessDate);
  const [shards, instructions] = await Promise.all([deps.settlements.shards(businessDate), deps.settlements.instructions(businessDate)]);
  return { run, shardsGathered: run.status === 'RUNNING' ? shards.length : run.shardCount, instructions };
}

/** Records the bank's reference of an executed transfer, once; the same reference again answers as before. */
export async function recordExecution(
  deps: Pick<SettlementDeps, 'clock'> & { readonly settlements: SettlementStore },
  businessDate: string,
  instructionId: string,
  request: { bankReference: string; executedAt: string },
  recordedBy: string,
): Promise<StoredInstruction> {
  const instruction = (await deps.settlements.instructions(businessDate)).find((i) => i.instructionId === instructionId);
  if (instruction === undefined) throw new NotFound('instruction', instructionId);
  if (instruction.executed !== null) {
    if (instruction.executed.bankReference === request.bankReference && instruction.executed.executedAt === request.executedAt) return instruction;
    throw new StateConflict('INSTRUCTION_ALREADY_EXECUTED', `instruction ${instructionId} was executed with bank reference ${instruction.executed.bankReference}`, {
      path: 'bankReference',
      instructionId,
      bankReference: instruction.executed.bankReference,
    });
  }
  return deps.settlements.recordExecution(businessDate, instructionId, { ...request, recordedBy, recordedAt: deps.clock.now() });
}

/** A lender's files of a date: names, or one file's bytes. */
export async function statements(deps: Pick<SettlementDeps, 'files'>, lenderId: string, businessDate: string): Promise<string[]> {
  const prefix = `${statementPath(lenderId, businessDate)}/`;
  return (await deps.files.list(prefix)).map((p) => p.slice(prefix.length));
}

export async function statementFile(deps: Pick<SettlementDeps, 'files'>, lenderId: string, businessDate: string, name: string): Promise<Uint8Array> {
  const body = await deps.files.get(statementPath(lenderId, businessDate, name));
  if (body === null) throw new NotFound('statement', `${lenderId}/${businessDate}/${name}`);
  return body;
}
