import { businessDateAt, cutoffDayAt } from '../domain/business-date.ts';
import { invariant, NotFound, RuleViolation, StateConflict } from '../domain/errors.ts';
import { addDays } from '../domain/money/index.ts';
import { ACCOUNTS, ESCROW, balancesBefore, type Account, type JournalEntry, type Leg, type SettlementComponent } from '../domain/ledger.ts';
import type { Loan } from '../domain/loan.ts';
import { latestVersions, type Program } from '../domain/program.ts';
import {
  detailMovements,
  movementsOf,
  netByParty,
  netOwedByParty,
  payoutInstructions,
  settlementDays,
  SettlementItems,
  type Movement,
  type ProgramSettlementTerms,
  type SettlementItem,
} from '../domain/settlement.ts';
import {
  compensationFile,
  controlFile,
  disbursementDetailFile,
  doneMarker,
  loanMasterFile,
  repaymentDetailFile,
  repaymentScheduleFile,
  settlementSummaryFile,
  sha256,
  statementPath,
  trialBalanceFile,
  type CompensationRow,
  type DetailRow,
  type DisbursementRow,
  type LoanMasterRow,
  type RenderedFile,
  type ScheduleRow,
  type TrialBalanceLine,
} from '../adapters/files/settlement-files.ts';
import { csvCopy, xlsxCopy } from '../adapters/files/human-copies.ts';
import { legsBookedAfter } from './positions-at.ts';
import {
  WriteConflict,
  type AccountBalance,
  type Clock,
  type FileStore,
  type LedgerStore,
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
  readonly ledger: Pick<LedgerStore, 'entriesOfDayShard'>;
  readonly programs: Pick<ProgramStore, 'get' | 'list'>;
  readonly loans: Pick<LoanStore, 'get' | 'schedules' | 'loanIdsOfShard'>;
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
export async function openRun(deps: SettlementDeps, input: { businessDate?: string; scheduledTime?: string; attempt?: number }): Promise<{ businessDate: string; attempt: number; skipped: boolean; shards: { shard: number }[] }> {
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
  const attempt = (existing?.attempt ?? 0) + 1;
  if (input.attempt !== undefined && input.attempt !== attempt) {
    throw new StateConflict('SETTLEMENT_RUN_CHANGED', `run ${attempt - 1} of ${businessDate} changed since this attempt was started`, { businessDate, attempt: input.attempt });
  }
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
    if (error instanceof WriteConflict) throw new StateConflict('SETTLEMENT_RUNNING', `another run of ${businessDate} started at the same time`, { businessDate });
    throw error;
  }
  return { businessDate, attempt, skipped: false, shards: Array.from({ length: deps.shardCount }, (_, shard) => ({ shard })) };
}

async function runningRun(deps: { readonly settlements: SettlementStore }, businessDate: string): Promise<SettlementRun> {
  const run = await deps.settlements.getRun(businessDate);
  if (run === null) throw new NotFound('settlementRun', businessDate);
  if (run.status !== 'RUNNING') throw new StateConflict('SETTLEMENT_NOT_RUNNING', `the run of ${businessDate} is ${run.status}`, { businessDate });
  return run;
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

/** The entries a run settles on one shard, with the program each is settled under. */
async function* entriesOfShard(deps: SettlementDeps, run: SettlementRun, shard: number): AsyncGenerator<{ entry: JournalEntry; program: Program }> {
  const programOf = programReader(deps);
  for (const day of union(run.daysByCalendar)) {
    for (const entry of await deps.ledger.entriesOfDayShard(day, shard)) {
      const program = await programOf(entry);
      if ((run.daysByCalendar[program.settlement.calendar] ?? []).includes(day)) yield { entry, program };
    }
  }
}

const DETAIL_EVENTS = new Set<JournalEntry['eventType']>(['REPAYMENT', 'REVERSAL', 'REBOOK', 'BUYBACK']);
const shardName = (shard: number) => String(shard).padStart(2, '0');
const workPath = (businessDate: string, shard: number) => `settlement-work/${businessDate}/shard-${shardName(shard)}.json`;
/** The loan master rows of a shard, taken once per date (see `loanMasterOfShard`). */
const loansPath = (businessDate: string, shard: number) => `settlement-work/${businessDate}/loans-${shardName(shard)}.json`;

/** Work files are JSON; amounts keep their bigint through `{"$n": "123"}`. */
const toJson = (value: unknown): Buffer => Buffer.from(JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? { $n: v.toString() } : v)), 'utf8');
const fromJson = <T>(body: Uint8Array): T =>
  JSON.parse(Buffer.from(body).toString('utf8'), (_key, v: unknown) => (v !== null && typeof v === 'object' && '$n' in v && typeof v.$n === 'string' ? BigInt(v.$n) : v)) as T;

/** The debits and credits of one account of a lender's book in the run's entries. */
interface AccountMovement {
  readonly lenderId: string;
  readonly currency: string;
  readonly account: Account;
  readonly debitMinor: bigint;
  readonly creditMinor: bigint;
}

/** What one shard gathers for the files, besides its items: written whole to its work file. */
interface ShardWork {
  /** Repayment detail rows, every lender's movements in each (the rows of `detailRowJson`). */
  readonly repayments: unknown[][];
  readonly accounts: AccountMovement[];
  readonly disbursements: { readonly lenderId: string; readonly row: DisbursementRow }[];
  readonly schedules: { readonly lenderId: string; readonly row: ScheduleRow }[];
  readonly compensations: CompensationRow[];
}

/** Adds up an entry's legs per lender, currency and account. */
class AccountMovements {
  private readonly sums = new Map<string, { lenderId: string; currency: string; account: Account; debitMinor: bigint; creditMinor: bigint }>();

  add(currency: string, legs: readonly Leg[]): void {
    for (const leg of legs) {
      const key = `${leg.lenderId}|${currency}|${leg.account}`;
      let sum = this.sums.get(key);
      if (sum === undefined) {
        sum = { lenderId: leg.lenderId, currency, account: leg.account, debitMinor: 0n, creditMinor: 0n };
        this.sums.set(key, sum);
      }
      if (leg.side === 'DEBIT') sum.debitMinor += leg.amountMinor;
      else sum.creditMinor += leg.amountMinor;
    }
  }

  list(): AccountMovement[] {
    return [...this.sums.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, m]) => ({ ...m }));
  }
}

/** Reads each loan once per step. */
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
    }
    return found;
  };
}

/**
 * Gathers one shard: its settlement items, and for the files its repayment rows, the debits and
 * credits of every lender's accounts, its disbursements with the new loans' sub-schedules, its
 * compensations, and (once per date) the loan master rows of its loans. Written whole each time.
 */
export async function gatherShard(deps: SettlementDeps, businessDate: string, shard: number): Promise<{ shard: number; entries: number }> {
  const run = await runningRun(deps, businessDate);
  const items = new SettlementItems();
  const accounts = new AccountMovements();
  const work: ShardWork = { repayments: [], accounts: [], disbursements: [], schedules: [], compensations: [] };
  const loanOf = loanReader(deps);
  /** The lenders with legs in the run's entries, per loan: their loans are in the loan master even when nothing is left. */
  const touched = new Map<string, Set<string>>();
  let entries = 0;
  for await (const { entry, program } of entriesOfShard(deps, run, shard)) {
    entries += 1;
    const movements = movementsOf(entry);
    for (const movement of movements) items.add(entry.currency, program.programId, movement);
    if (DETAIL_EVENTS.has(entry.eventType)) work.repayments.push(detailRowJson(entry, movements));
    accounts.add(entry.currency, entry.legs);
    const lenders = touched.get(entry.loanId) ?? new Set<string>();
    for (const leg of entry.legs) lenders.add(leg.lenderId);
    touched.set(entry.loanId, lenders);
    if (entry.eventType === 'DISBURSEMENT') await gatherDisbursement(deps, work, entry, await loanOf(entry.loanId));
    if (isCompensation(entry)) work.compensations.push(...compensationRows(entry));
  }
  work.accounts.push(...accounts.list());
  await deps.files.put(workPath(businessDate, shard), toJson(work));
  if ((await deps.files.get(loansPath(businessDate, shard))) === null) {
    await deps.files.put(loansPath(businessDate, shard), toJson(await loanMasterOfShard(deps, run, shard, touched, loanOf)));
  }
  await deps.settlements.putShard({ businessDate, shard, entries, items: items.list() });
  return { shard, entries };
}

/** Each lender's principal paid out, and the loan's sub-schedules: a loan disbursed in the run's days is new to its lenders. */
async function gatherDisbursement(deps: SettlementDeps, work: ShardWork, entry: JournalEntry, loan: Loan): Promise<void> {
  const principal = new Map<string, bigint>();
  for (const leg of entry.legs) {
    if (leg.account === 'PRINCIPAL_RECEIVABLE') principal.set(leg.lenderId, (principal.get(leg.lenderId) ?? 0n) + (leg.side === 'DEBIT' ? leg.amountMinor : -leg.amountMinor));
  }
  for (const [lenderId, principalMinor] of principal) {
    work.disbursements.push({
      lenderId,
      row: {
        loanId: loan.loanId,
        programId: loan.programId,
        currency: entry.currency,
        disbursementDate: entry.businessDate,
        bookedOn: entry.bookedOn ?? entry.businessDate,
        loanPrincipalMinor: loan.principalMinor,
        principalMinor,
        reference: loan.disbursementReference,
      },
    });
  }
  const schedules = await deps.loans.schedules(loan.loanId);
  invariant(schedules !== null, 'a booked loan has its schedules', { loanId: loan.loanId });
  for (const schedule of schedules.lenders) {
    for (const instalment of schedule.instalments) work.schedules.push({ lenderId: schedule.lenderId, row: { loanId: loan.loanId, programId: loan.programId, currency: loan.currency, instalment } });
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
 * The loan master rows of a shard's loans: each lender's position at the end of the date (the
 * head's, less the entries booked after the date: read from the date index of the days since, on
 * the same shard), for every loan the lender still has something outstanding on or had entries
 * settled on in the run. DPD and class are the head's, from the latest risk update. Taken once per
 * date and kept, so a re-run writes the same rows whatever was booked since.
 */
async function loanMasterOfShard(
  deps: SettlementDeps,
  run: SettlementRun,
  shard: number,
  touched: ReadonlyMap<string, ReadonlySet<string>>,
  loanOf: (loanId: string) => Promise<Loan>,
): Promise<{ lenderId: string; row: LoanMasterRow }[]> {
  const later = await legsBookedAfter(deps, run.businessDate, shard);
  const loanIds = await deps.loans.loanIdsOfShard(shard);
  const rows: { lenderId: string; row: LoanMasterRow }[] = [];
  for (let i = 0; i < loanIds.length; i += 100) {
    const heads = await deps.settlements.loanHeads(loanIds.slice(i, i + 100));
    const held = heads.flatMap((head) =>
      head.positions
        .map((position) => ({ head, position, balancesMinor: balancesBefore(position.balancesMinor, later.get(`${head.loanId}#${position.lenderId}`) ?? []) }))
        .filter(({ head: h, position, balancesMinor }) => OUTSTANDING_ACCOUNTS.some((a) => (balancesMinor[a] ?? 0n) !== 0n) || (touched.get(h.loanId)?.has(position.lenderId) ?? false)),
    );
    const loans = await Promise.all(held.map(({ head }) => loanOf(head.loanId)));
    held.forEach(({ head, position, balancesMinor }, j) => {
      const loan = loans[j]!;
      rows.push({
        lenderId: position.lenderId,
        row: {
          loanId: loan.loanId,
          programId: loan.programId,
          currency: position.currency,
          disbursementDate: loan.disbursementDate,
          loanPrincipalMinor: loan.principalMinor,
          fundedMinor: loan.fundingPlan.find((p) => p.lenderId === position.lenderId)?.amountMinor ?? 0n,
          balancesMinor,
          dpd: head.risk?.dpd ?? 0,
          classification: head.risk?.classification ?? 'NORMAL',
          riskAsOf: head.risk?.asOf ?? null,
        },
      });
    });
  }
  return rows;
}

function detailRowJson(entry: JournalEntry, movements: readonly Movement[]): unknown[] {
  return [entry.loanId, entry.entryId, entry.eventType, entry.eventId, entry.businessDate, entry.bookedOn ?? entry.businessDate, entry.currency, entry.reverses ?? '', detailMovements(entry, movements).map((m) => [m.lenderId, m.component, m.amountMinor.toString()])];
}

function detailRowOf(json: unknown[]): DetailRow {
  const [loanId, entryId, eventType, eventId, businessDate, bookedOn, currency, reverses, movements] = json as [string, string, JournalEntry['eventType'], string, string, string, string, string, [string, SettlementComponent, string][]];
  return {
    entry: { loanId, entryId, eventType, eventId, businessDate, bookedOn, currency, legs: [], createdAt: '', ...(reverses === '' ? {} : { reverses }) },
    movements: movements.map(([lenderId, component, amount]) => ({ lenderId, counterparty: ESCROW, component, amountMinor: BigInt(amount) })),
  };
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
export async function instruct(deps: SettlementDeps, businessDate: string): Promise<{ instructions: number; entries: number }> {
  const run = await runningRun(deps, businessDate);
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

/** A lender's rows of every file, gathered from the shards' work files. */
interface LenderRows {
  readonly loans: LoanMasterRow[];
  readonly disbursements: DisbursementRow[];
  readonly schedules: ScheduleRow[];
  readonly compensations: CompensationRow[];
  readonly accounts: AccountMovement[];
}

const emptyRows = (): LenderRows => ({ loans: [], disbursements: [], schedules: [], compensations: [], accounts: [] });

/** Reads every shard's work files once and hands each row to its lenders; repayment rows stay whole (each names its lenders' parts). */
async function gatheredRows(deps: SettlementDeps, run: SettlementRun): Promise<{ repayments: DetailRow[]; byLender: Map<string, LenderRows> }> {
  const repayments: DetailRow[] = [];
  const byLender = new Map<string, LenderRows>();
  const rowsOf = (lenderId: string): LenderRows => {
    let rows = byLender.get(lenderId);
    if (rows === undefined) {
      rows = emptyRows();
      byLender.set(lenderId, rows);
    }
    return rows;
  };
  for (let shard = 0; shard < run.shardCount; shard++) {
    const [body, loans] = await Promise.all([deps.files.get(workPath(run.businessDate, shard)), deps.files.get(loansPath(run.businessDate, shard))]);
    invariant(body !== null && loans !== null, 'every shard of the run is gathered before its files', { businessDate: run.businessDate, shard });
    const work = fromJson<ShardWork>(body);
    for (const json of work.repayments) repayments.push(detailRowOf(json));
    for (const { lenderId, row } of fromJson<{ lenderId: string; row: LoanMasterRow }[]>(loans)) rowsOf(lenderId).loans.push(row);
    for (const { lenderId, row } of work.disbursements) rowsOf(lenderId).disbursements.push(row);
    for (const { lenderId, row } of work.schedules) rowsOf(lenderId).schedules.push(row);
    for (const row of work.compensations) {
      rowsOf(row.lenderId).compensations.push(row);
      rowsOf(row.guarantorId).compensations.push(row);
    }
    for (const movement of work.accounts) rowsOf(movement.lenderId).accounts.push(movement);
  }
  const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  repayments.sort((a, b) => byText(`${a.entry.loanId}#${a.entry.entryId}`, `${b.entry.loanId}#${b.entry.entryId}`));
  for (const rows of byLender.values()) {
    rows.loans.sort((a, b) => byText(a.loanId, b.loanId));
    rows.disbursements.sort((a, b) => byText(a.loanId, b.loanId));
    rows.schedules.sort((a, b) => byText(a.loanId, b.loanId) || a.instalment.number - b.instalment.number);
    rows.compensations.sort((a, b) => byText(`${a.loanId}#${a.entryId}#${a.lenderId}`, `${b.loanId}#${b.entryId}#${b.lenderId}`));
  }
  return { repayments, byLender };
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

/** The people's copies of a lender's files: which, and the sheet each is written to. */
const HUMAN_COPIES: readonly { readonly prefix: string; readonly sheet: string }[] = [
  { prefix: 'settlement_summary_', sheet: '汇总对账 settlement summary' },
  { prefix: 'trial_balance_', sheet: '试算平衡表 trial balance' },
  { prefix: 'loan_master_', sheet: '贷款主文件 loan master' },
];

/**
 * Writes every lender's file set of the date and keeps each lender's closing balances for the
 * next date's trial balance; the copies for people go to `human/`, the `.ok` marker last. The
 * same run gives the same bytes for every pipe-delimited file.
 */
export async function writeFiles(deps: SettlementDeps, businessDate: string): Promise<{ files: SettlementFile[] }> {
  const run = await runningRun(deps, businessDate);
  const { items } = await runItems(deps, run);
  // Bank references recorded before the date was first settled; later ones never change its files.
  const instructions = (await deps.settlements.instructions(businessDate)).map((i) =>
    i.executed !== null && (run.firstSettledAt === null || i.executed.recordedAt > run.firstSettledAt) ? { ...i, executed: null } : i,
  );
  const { repayments, byLender } = await gatheredRows(deps, run);
  const previous = await deps.settlements.previousRun(businessDate);
  invariant(previous === null || previous.status === 'SETTLED', 'a date is settled after the one before it', { businessDate, previous: previous?.businessDate ?? null });
  const opening = new Map((previous === null ? [] : await deps.settlements.lenderBalances(previous.businessDate)).map((b) => [b.lenderId, b.balances]));
  const programs = await latestPrograms(deps);
  const written: SettlementFile[] = [];
  for (const lenderId of await lendersToFile(deps, items, [...byLender.keys(), ...opening.keys()])) {
    const rows = byLender.get(lenderId) ?? emptyRows();
    const currencies = programs.filter((p) => p.participants.some((x) => x.lenderId === lenderId)).map((p) => p.currency);
    const lines = trialBalance(lenderId, currencies, opening.get(lenderId) ?? [], rows.accounts);
    const data: RenderedFile[] = [
      settlementSummaryFile(businessDate, lenderId, items, instructions),
      repaymentDetailFile(businessDate, lenderId, repayments),
      loanMasterFile(businessDate, lenderId, rows.loans),
      disbursementDetailFile(businessDate, lenderId, rows.disbursements),
      repaymentScheduleFile(businessDate, lenderId, rows.schedules),
      compensationFile(businessDate, lenderId, rows.compensations),
      trialBalanceFile(businessDate, lenderId, lines),
    ];
    await deps.settlements.putLenderBalances({
      businessDate,
      lenderId,
      balances: lines.filter((l) => l.closingMinor !== 0n).map((l) => ({ currency: l.currency, account: l.account, balanceMinor: l.closingMinor })),
    });
    for (const file of [...data, controlFile(businessDate, lenderId, data)]) {
      await deps.files.put(statementPath(lenderId, businessDate, file.name), file.body);
      written.push({ lenderId, name: file.name, records: file.records, sha256: sha256(file.body) });
    }
    for (const { prefix, sheet } of HUMAN_COPIES) {
      const file = data.find((f) => f.name.startsWith(prefix))!;
      for (const copy of [csvCopy(file), await xlsxCopy(file, businessDate, sheet)]) await deps.files.put(statementPath(lenderId, businessDate, `human/${copy.name}`), copy.body);
    }
    const done = doneMarker(businessDate);
    await deps.files.put(statementPath(lenderId, businessDate, done.name), done.body);
    written.push({ lenderId, name: done.name, records: done.records, sha256: sha256(done.body) });
  }
  return { files: written };
}

/** Marks the run settled with what it wrote. */
export async function closeRun(deps: SettlementDeps, businessDate: string, done: { instructions: number; entries: number; files: readonly SettlementFile[] }): Promise<SettlementRun> {
  const run = await runningRun(deps, businessDate);
  const now = deps.clock.now();
  const settled: SettlementRun = { ...run, status: 'SETTLED', settledAt: now, firstSettledAt: run.firstSettledAt ?? now, entries: done.entries, instructions: done.instructions, files: done.files };
  await deps.settlements.putRun({ ...settled, attempt: run.attempt }, run.attempt);
  return settled;
}

/** Records why the run stopped; the date can be run again. */
export async function failRun(deps: SettlementDeps, businessDate: string, failure: { code: string; message: string }): Promise<void> {
  const run = await deps.settlements.getRun(businessDate);
  if (run === null || run.status !== 'RUNNING') return;
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
