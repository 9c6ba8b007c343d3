import type { Account, JournalEntry, Position } from '../domain/ledger.ts';
import type { Lender, LenderWebhook } from '../domain/lender.ts';
import type { BookedLoan, Loan, LoanFacts } from '../domain/loan.ts';
import type { Program } from '../domain/program.ts';
import type { Person, PersonRef } from '../domain/person.ts';
import type { BorrowerExposure, BorrowerPrincipal, OutstandingMove, PrincipalShard, QuotaChange, QuotaShard, Reservation } from '../domain/exposure.ts';
import type { ApplicationState, Ask } from '../domain/review.ts';
import type { Application } from '../domain/application.ts';
import type { LenderSchedule, Schedule } from '../domain/schedule.ts';
import type { BookedItem, BookedLoanEvent, EffectKey, LoanRisk, RepaymentLedger } from '../domain/repayment-booking.ts';
import type { PayoutInstruction, SettlementItem } from '../domain/settlement.ts';
import type { LoadedCalendarYear } from '../domain/calendar.ts';
import type { BankFormatVersion } from '../domain/counterpart-records.ts';
import type { ProfitLine, ProfitReport } from '../domain/profit.ts';
import type { RegulatoryFigures } from '../domain/regulatory-figures.ts';
import type { JointLoanMeasures, RegulatoryReport } from '../domain/regulatory-report.ts';
import type { BreakFinding, MatchRecord } from '../domain/reconciliation.ts';
import type { BreakState, ReconciliationBreak, ReconciliationType } from '../domain/reconciliation-break.ts';
import type { Adjustment, AdjustmentState } from '../domain/adjustment.ts';

/** The stored outcome of a write, kept with the write itself so a replay returns it unchanged. */
export interface IdempotencyRecord {
  /** `{operation}#{clientId}#{Idempotency-Key}`, or `{operation}#{clientId}#{userId}#{Idempotency-Key}` for a user of a client */
  readonly scopeKey: string;
  /** SHA-256 of the canonical request body. */
  readonly requestHash: string;
  readonly statusCode: number;
  /** The response body exactly as first sent. */
  readonly responseBody: string;
  readonly createdAt: string;
  /** When the record may be deleted (the table's time-to-live attribute): `createdAt` plus the replay window. */
  readonly expiresAtEpochSeconds: number;
}

/**
 * Seals a write's answer (its status and body) into the write's idempotency record, stored in
 * the same transaction as the write, so a replay answers exactly what the first delivery did.
 */
export type Seal = (statusCode: number, body: unknown) => IdempotencyRecord;

/** A write lost a race: the idempotency record or the business item was already there. */
export class WriteConflict extends Error {
  override readonly name = 'WriteConflict';
  constructor(
    readonly reason: 'IDEMPOTENCY_KEY' | 'ALREADY_EXISTS' | 'VERSION' | 'BUSY',
    readonly entity: string,
  ) {
    super(`write conflict on ${entity}: ${reason}`);
  }
}

/**
 * How often a write that lost a race is decided again on fresh figures. Every loss means another
 * write landed, so this bounds the retries by the number of writers at once, not by luck.
 */
export const OPTIMISTIC_ATTEMPTS = 25;

/**
 * A key held by a write that has not answered yet: its request's hash, when it was taken, and until
 * when (seconds since the epoch) it holds the key. A reservation whose owner died (a crash between
 * the write and its answer) frees the key when it lapses; one that was kept stays until the answer
 * replaces it.
 */
export interface IdempotencyReservation {
  readonly scopeKey: string;
  readonly requestHash: string;
  readonly state: 'IN_PROGRESS';
  /** The reserving request's instant: which reservation is whose. */
  readonly reservedAt: string;
  readonly reservedUntilEpochSeconds: number;
  readonly expiresAtEpochSeconds: number;
}

/** What an Idempotency-Key holds: the answer of a write, or the reservation of a write under way. */
export type IdempotencyEntry = IdempotencyRecord | IdempotencyReservation;

export function isReservation(entry: IdempotencyEntry): entry is IdempotencyReservation {
  return 'state' in entry && entry.state === 'IN_PROGRESS';
}

/**
 * The reservation of a request's key, for the write that runs under it, taken before it writes
 * anything: in a conditional PutItem of its own (`take`), or as an item of the write's own
 * transaction (`inTransaction`), so that a transaction that fails, and a refusal decided after it,
 * leave no reservation behind. A key another request holds (its answer, or its live reservation)
 * is a WriteConflict `IDEMPOTENCY_KEY`.
 */
export interface KeyReservation {
  take(): Promise<void>;
  inTransaction(): IdempotencyReservation;
}

export interface IdempotencyStore {
  get(scopeKey: string): Promise<IdempotencyEntry | null>;
  /**
   * The answer of a write whose effect is idempotent by itself (a named execution, a business id):
   * the record alone, on a free key or over a reservation of the same request. A key held by
   * another request is a WriteConflict `IDEMPOTENCY_KEY`.
   */
  put(record: IdempotencyRecord): Promise<void>;
  /**
   * A conditional put of the reservation: on a free key, or over a reservation that lapsed before
   * `nowEpochSeconds`. A key held otherwise is a WriteConflict `IDEMPOTENCY_KEY`.
   */
  reserve(reservation: IdempotencyReservation, nowEpochSeconds: number): Promise<void>;
  /** Frees a key this reservation still holds (its write failed, nothing to answer): it lapses at once. A key held otherwise is left as it is. */
  release(reservation: IdempotencyReservation, nowEpochSeconds: number): Promise<void>;
}

export interface LenderStore {
  get(lenderId: string): Promise<Lender | null>;
  getMany(lenderIds: readonly string[]): Promise<Map<string, Lender>>;
  /** Every lender, for the runs that need them all (they are tens to hundreds). */
  list(): Promise<Lender[]>;
  /** A page of the lenders in id order (`GET /v1/lenders`). */
  page(request: PageRequest): Promise<Page<Lender>>;
  create(lender: Lender, idempotency: IdempotencyRecord): Promise<void>;
  /**
   * Sets the lender's webhook (its url and the secret's version in force), over the version read:
   * `expectedSecretVersion` 0 is a record that still holds a plain secret, which the write removes.
   * With an idempotency record, both in one transaction. A lost condition is a StateConflict.
   */
  setWebhook(lenderId: string, expectedSecretVersion: number, webhook: LenderWebhook, idempotency: IdempotencyRecord | null): Promise<void>;
  /** One lender's plain webhook secret still on its record, from before secrets were kept apart (docs/webhooks.md, Moving stored secrets); null when it holds none. */
  plainWebhookSecret(lenderId: string): Promise<PlainWebhookSecret | null>;
}

/** A webhook secret found on a lender's record, to be moved to the secret store. */
export interface PlainWebhookSecret {
  readonly lenderId: string;
  readonly url: string;
  readonly secret: string;
}

export interface ProgramStore {
  /** A given version, or the latest when version is null. */
  get(programId: string, version: number | null): Promise<Program | null>;
  /** Every version of every program. */
  list(): Promise<Program[]>;
  /**
   * A page of the programs' latest versions, the highest program id first: read newest version
   * first, so the first version of a program a page meets is its latest; a page that continues
   * within a program skips its older versions (a page may hold fewer than `limit`).
   */
  pageLatest(request: PageRequest): Promise<Page<Program>>;
  /** Writes a new version; refuses (WriteConflict ALREADY_EXISTS) if that version exists. */
  createVersion(program: Program, idempotency: IdempotencyRecord): Promise<void>;
}

export interface LoanStore {
  get(loanId: string): Promise<Loan | null>;
  /** Everything a booking changes, in one atomic write (see LoanBooking). */
  book(booking: LoanBooking): Promise<void>;
  schedules(loanId: string): Promise<{ borrower: Schedule; lenders: LenderSchedule[] } | null>;
  /** Loan ids of one check shard. */
  loanIdsOfShard(shard: number): Promise<string[]>;
  /** The facts of one shard's loans, in loan id order. */
  factsOfShard(shard: number): Promise<LoanFacts[]>;
}

export interface LedgerStore {
  /**
   * A page of a lender's positions, one per loan it holds or held, in loan id order: one bounded
   * read of its holdings (L4) from the cursor, then the heads of those loans. A holding whose head
   * carries no position of the lender gives none, so a page may hold fewer than `limit`.
   */
  positionsOfLender(lenderId: string, request: PageRequest): Promise<Page<Position>>;
  loanLedger(loanId: string): Promise<{ entries: JournalEntry[]; positions: Position[] }>;
  /** Every entry booked in a settlement day, all loans (the date index, shard by shard). */
  entriesOfDate(businessDate: string): Promise<JournalEntry[]>;
  /** The entries booked in a settlement day on one shard of the loans, in index order. */
  entriesOfDayShard(day: string, shard: number): Promise<JournalEntry[]>;
  /** The same, a page at a time (by loan id, then entry id), each read when the one before is done with. */
  entryPagesOfDayShard(day: string, shard: number): AsyncIterable<JournalEntry[]>;
  /**
   * One bounded page of the entries of some settlement days (`days`, in order), shard by shard of
   * each day's date index, from the cursor: at most `MAX_DAY_SHARD_QUERIES` queries and
   * `request.limit` entries; the cursor of where it stopped, null when every day is read.
   */
  entryPageOfDays(days: readonly string[], request: PageRequest): Promise<Page<JournalEntry>>;
}

/** The queries one page of `entryPageOfDays` makes at most: a day's shards when they are empty. */
export const MAX_DAY_SHARD_QUERIES = 16;

/** A repayment id taken: its loan, where it sits on the loan's book, and what the API first answered. */
export interface RepaymentRecord {
  readonly repaymentId: string;
  readonly loanId: string;
  readonly valueDate: string;
  readonly seq: number;
  /** The answer as first sent (JSON). */
  readonly resultJson: string;
  readonly createdAt: string;
}

/** One change of a loan's book: its head, the events it wrote, its entries and positions, written together. */
export interface RepaymentWrite {
  /** The head after the change (version, next arrival, latest key, state, risk); written on the condition that it is still at `version - 1`. */
  readonly ledger: RepaymentLedger;
  /** The events of the book the change writes: its own and every one it restated. */
  readonly items: readonly BookedItem[];
  readonly entries: readonly JournalEntry[];
  /** The positions after the entries; each written on the condition that it is still at `version - entries applied`. */
  readonly positions: readonly { readonly position: Position; readonly expectedVersion: number }[];
  /** The record of a new repayment id, written only if the id is new. */
  readonly record: RepaymentRecord | null;
  /** A change that uses a program's capped pool (guarantee, lead's first loss): the pool, written at its version read. */
  readonly programPool?: { readonly pool: ProgramPool; readonly expectedVersion: number };
  /** The outstanding principal the change moves (one principal shard per lender it moved, the borrower's figures), added atomically. */
  readonly outstanding?: OutstandingMove;
  /** An API request's Idempotency-Key, reserved in the same transaction (on a free key, or over a reservation that lapsed). */
  readonly reservation?: IdempotencyReservation;
}

/**
 * A program-level cap measured by the risk update. GUARANTEE: a default-loss guarantee a profile
 * caps (IN-2025: 5% of loans outstanding), the base being the program's loans outstanding.
 * FIRST_LOSS: the lead's first losses under LEAD_FIRST_LOSS, the base being the program's
 * disbursed principal. `usedMinor` is what was taken so far.
 */
export type ProgramPoolKind = 'GUARANTEE' | 'FIRST_LOSS';

export interface ProgramPool {
  readonly programId: string;
  readonly kind: ProgramPoolKind;
  readonly baseMinor: bigint;
  readonly baseAsOf: string;
  readonly usedMinor: bigint;
  readonly version: number;
}

export interface ProgramPoolStore {
  get(programId: string, kind: ProgramPoolKind): Promise<ProgramPool | null>;
  /** Sets the base of the day, keeping what was used; a rerun of the date writes the same base. */
  setBase(programId: string, kind: ProgramPoolKind, baseMinor: bigint, asOf: string): Promise<void>;
}

/**
 * A loan's book (docs/repayment-booking.md): a small versioned head, one item per event in order
 * of effect, the entries and the positions.
 */
export interface RepaymentStore {
  /**
   * The head and the positions, read consistently in one query, with the window a change taking
   * effect at `from` needs: empty when the change comes after every event (its base is the head's
   * state); else the events from `from` on, in a paged query, and the state after the event just
   * before it. `'ALL'`: every event, from the loan as disbursed.
   */
  load(loanId: string, from: EffectKey | 'ALL'): Promise<{ ledger: RepaymentLedger; positions: Position[] }>;
  /** Everything in one transaction; WriteConflict on `repayment-ledger` when the head moved, on `repayment-record` when the id is taken. */
  write(change: RepaymentWrite): Promise<void>;
  record(repaymentId: string): Promise<RepaymentRecord | null>;
  /** A payment or event of the loan's book at its key. */
  item(loanId: string, key: EffectKey): Promise<BookedItem | null>;
  /** A compensation, write-off or transfer of the loan, by type and id. */
  loanEvent(loanId: string, type: BookedLoanEvent['type'], eventId: string): Promise<BookedLoanEvent | null>;
}

/** One daily risk update: what each shard found and did. */
export interface RiskRunReport {
  readonly businessDate: string;
  readonly loansAssessed: number;
  readonly byClass: Readonly<Record<string, number>>;
  readonly reclassified: number;
  /** How many loans were compensated, written off, and held (not assessed or acted on, with the reason); which ones is stored with the run (`RunDetailStore`) and read a page at a time. */
  readonly compensated: number;
  readonly writtenOff: number;
  readonly held: number;
  readonly completedAt: string;
}

export interface RiskRunStore {
  get(businessDate: string): Promise<RiskRunReport | null>;
  /** Overwrites: a rerun of the same date writes the same report. */
  put(report: RiskRunReport): Promise<void>;
}

export interface LedgerCheckReport {
  readonly businessDate: string;
  readonly status: 'BALANCED' | 'DIFFERENCES';
  readonly loansChecked: number;
  readonly entriesChecked: number;
  /** Every difference found is stored with the run (`RunDetailStore`) and read a page at a time. */
  readonly differenceCount: number;
  readonly completedAt: string;
}

export interface LedgerCheckStore {
  get(businessDate: string): Promise<LedgerCheckReport | null>;
  /** The latest run of a date replaces the report of an earlier run. */
  put(report: LedgerCheckReport): Promise<void>;
}

export interface Clock {
  /** ISO-8601 instant. */
  now(): string;
}

/** An Express workflow run to its end; its output is the answer. */
export interface SyncWorkflow {
  run(input: unknown): Promise<unknown>;
}

export interface WorkflowStarter {
  /** Starts a named execution; the same name and input again returns the running execution. */
  start(name: string, input: unknown): Promise<{ executionArn: string }>;
}

/** A change of an application made by one workflow or API step, at most once per step key. */
export interface ApplicationChange {
  readonly step: string;
  readonly at: string;
  readonly event: string;
  readonly detail: Readonly<Record<string, unknown>>;
  /** Fields of the application record to set. */
  readonly set: Readonly<Record<string, unknown>>;
}

export type { BorrowerExposure, BorrowerPrincipal, PrincipalShard, QuotaChange, QuotaShard, QuotaUsage, Reservation } from '../domain/exposure.ts';
export type { Person, PersonRef } from '../domain/person.ts';

/**
 * A booking: the loan and its disbursement entry, each lender's new position and sub-schedule,
 * each lender's quota (reserved → committed) and the borrower's exposure, written together or
 * not at all. Quota and exposure are written only if still at the version read.
 */
export interface LoanBooking {
  readonly booked: BookedLoan;
  readonly positions: readonly Position[];
  readonly schedules: { readonly borrower: Schedule; readonly lenders: readonly LenderSchedule[] };
  /** The quota shards the booking takes from or commits on. */
  readonly quotas: readonly QuotaChange[];
  readonly exposure: { readonly before: BorrowerExposure; readonly after: BorrowerExposure };
  /** The borrower's person (S41, at the version read) and the loan's link to it (S42); null when no identity number names one. */
  readonly person: PersonBooking | null;
  readonly idempotency: IdempotencyRecord | null;
  readonly usedReservations: readonly Reservation[];
  readonly applicationChange: { readonly applicationId: string; readonly change: ApplicationChange } | null;
}

export type ApplicationRecord = ApplicationState<Application>;

/** A booking's change of the borrower's person: written only if it is still at the version read. */
export interface PersonBooking {
  readonly before: Person;
  readonly after: Person;
  readonly ref: PersonRef;
}

export interface ApplicationStore {
  /** Stores a new application; with `person`, its borrower id is linked to the person (S41) and the application listed under it (S42), in the same write. */
  create(record: ApplicationRecord, change: ApplicationChange, idempotency: IdempotencyRecord, person?: PersonRef | null): Promise<void>;
  get(applicationId: string): Promise<ApplicationRecord | null>;
  /** A page of the applications in a status, oldest first. */
  listByStatus(status: string, request: PageRequest): Promise<Page<ApplicationRecord>>;
  asks(applicationId: string): Promise<Ask[]>;
  ask(applicationId: string, lenderId: string): Promise<(Ask & { readonly taskToken: string | null }) | null>;
  /** A page of the applications whose ask to this lender is still open, the earliest deadline first. */
  awaiting(lenderId: string, request: PageRequest): Promise<Page<string>>;
  /** Applies a step's change once; false when that step was applied before. New asks go with it. */
  change(applicationId: string, change: ApplicationChange, newAsks?: readonly Ask[]): Promise<boolean>;
  setAskToken(applicationId: string, lenderId: string, taskToken: string): Promise<void>;
  /**
   * Stores a decided ask if it is still PENDING, with the idempotency record. The application's
   * item is not written: its timeline shows the decision from the ask.
   */
  decide(decided: Ask, idempotency: IdempotencyRecord): Promise<void>;
  /** Marks an ask TIMED_OUT if it is still PENDING; returns the ask as it ends. */
  timeOut(applicationId: string, lenderId: string, change: ApplicationChange): Promise<Ask>;
  setDisbursementToken(applicationId: string, taskToken: string): Promise<void>;
  disbursementToken(applicationId: string): Promise<string | null>;
}

/** Lenders' quota, reservations of plans, borrowers' exposure: what limits a new loan. */
export interface ExposureStore {
  /** The stored shards of a lender's quota (shards never written are absent). */
  quotaShards(lenderId: string): Promise<QuotaShard[]>;
  reservations(applicationId: string): Promise<Reservation[]>;
  /** The reservation and the shards it takes from, if each shard is still at the version read. */
  reserve(reservation: Reservation, changes: readonly QuotaChange[]): Promise<void>;
  release(reservation: Reservation, changes: readonly QuotaChange[]): Promise<void>;
  borrowerExposure(borrowerId: string): Promise<BorrowerExposure>;
  /** A lender's principal shards (what changes of loans' books moved since booking), every lead's; shards never written are absent. */
  principalShards(lenderId: string): Promise<PrincipalShard[]>;
  /** What changes of the borrower's loans moved since booking; nothing moved when never written. */
  borrowerPrincipal(borrowerId: string): Promise<BorrowerPrincipal>;
  /** A person by the keyed hash of its identity number (S41); version 0 and no borrower id when never written. */
  person(identityHash: string): Promise<Person>;
}

/** A loan of a person as the lookup shows it: read from the loan (S6) and its head (L6). */
export interface PersonLoan {
  readonly loan: Loan;
  /** The lenders' principal outstanding in the loan now: the sum of their `PRINCIPAL_RECEIVABLE`. */
  readonly principalOutstandingMinor: bigint;
  readonly writtenOff: boolean;
  readonly compensated: boolean;
}

/** What the lookup of a person reads (docs/personal-data.md, matching one person). */
export interface PersonStore {
  person(identityHash: string): Promise<Person>;
  /** A page of the person's loans and applications (S42): applications first, then loans, each in id order. */
  refsOfPerson(identityHash: string, request: PageRequest): Promise<Page<PersonRef>>;
  /** The loans named, with their heads, in one batch each; a loan not found is left out. */
  loansOfPerson(loanIds: readonly string[]): Promise<PersonLoan[]>;
  /** The applications named, in one batch; one not found is left out. */
  applicationsOfPerson(applicationIds: readonly string[]): Promise<ApplicationRecord[]>;
}

/** Resumes a workflow waiting on a task token (a partner's decision, the lead's disbursement). */
export interface TaskResumer {
  /** False when the task is no longer waiting (it timed out or was already resumed). */
  succeed(taskToken: string, output: unknown): Promise<boolean>;
  fail(taskToken: string, error: string, cause: string): Promise<boolean>;
}

/** A partner's review request, as published and posted to its webhook. */
export interface ReviewRequested {
  readonly applicationId: string;
  readonly lenderId: string;
  readonly round: number;
  readonly askedAmountMinor: bigint;
  readonly minimumAmountMinor: bigint;
  readonly deadline: string;
  readonly application: Readonly<Record<string, unknown>>;
}

export interface PartnerNotifier {
  /** Publishes the request on the bus; the bus hands it to the lender's webhook when it has one (docs/webhooks.md). */
  reviewRequested(lender: Lender, request: ReviewRequested): Promise<void>;
}

/** A settlement run of a business date (docs/settlement.md). */
export interface SettlementRun {
  readonly businessDate: string;
  readonly status: 'RUNNING' | 'SETTLED' | 'FAILED';
  /** 1 for the first run of the date; a re-run of a failed or settled date counts up. */
  readonly attempt: number;
  /** The settlement days each calendar settles in this run (empty: not a business day there). */
  readonly daysByCalendar: Readonly<Record<string, readonly string[]>>;
  readonly shardCount: number;
  readonly startedAt: string;
  readonly settledAt: string | null;
  /** When the date was first settled: bank references recorded later never change its files. */
  readonly firstSettledAt: string | null;
  readonly entries: number;
  readonly instructions: number;
  /** Every file written, by lender: name, records and SHA-256 of its bytes. */
  readonly files: readonly SettlementFile[];
  readonly failure: { readonly code: string; readonly message: string } | null;
}

export interface SettlementFile {
  readonly lenderId: string;
  readonly name: string;
  readonly records: number;
  readonly sha256: string;
}

/** What one shard of a run gathered: its entries' settlement items. Written whole, again on a re-run. */
export interface SettlementShard {
  readonly businessDate: string;
  readonly shard: number;
  readonly entries: number;
  readonly items: readonly SettlementItem[];
}

/** A payout instruction as stored: with the bank's reference once the transfer is executed. */
export interface StoredInstruction extends PayoutInstruction {
  readonly executed: { readonly bankReference: string; readonly executedAt: string; readonly recordedBy: string; readonly recordedAt: string } | null;
}

export interface SettlementStore {
  getRun(businessDate: string): Promise<SettlementRun | null>;
  /** The latest run before a date, to chain runs (null when none was ever run before it). */
  previousRun(businessDate: string): Promise<SettlementRun | null>;
  /** Creates the run, or replaces it on the version read (`expectedAttempt`; 0 to create). */
  putRun(run: SettlementRun, expectedAttempt: number): Promise<void>;
  putShard(shard: SettlementShard): Promise<void>;
  shards(businessDate: string): Promise<SettlementShard[]>;
  /** Writes each instruction once; an instruction already written is kept and returned as stored. */
  putInstructions(instructions: readonly PayoutInstruction[]): Promise<StoredInstruction[]>;
  instructions(businessDate: string): Promise<StoredInstruction[]>;
  /** Records the execution once; fails with WriteConflict when another execution was recorded. */
  recordExecution(businessDate: string, instructionId: string, executed: NonNullable<StoredInstruction['executed']>): Promise<StoredInstruction>;
  /** Every instruction not executed yet, of any date (R6). */
  openInstructions(): Promise<StoredInstruction[]>;
  /** The instructions whose execution is dated that day (R6). */
  instructionsExecutedOn(day: string): Promise<StoredInstruction[]>;
}

/** A run as its list reads it: without the list of its files, which only the run of a date needs. */
export type ListedSettlementRun = Omit<SettlementRun, 'files'>;

/** The settlement runs of a range of dates, newest first (S25's index, docs/console.md). */
export interface SettlementRunIndex {
  /** A page of the runs dated from `from` to `to` (each bound optional, inclusive), the latest first. */
  latestRuns(range: { readonly from?: string; readonly to?: string }, request: PageRequest): Promise<Page<ListedSettlementRun>>;
  /** The settlement items of a settled run's shards (S26), every shard's in one list; read eventually consistent, for a settled run's never change. */
  settledItems(businessDate: string): Promise<SettlementItem[]>;
}

/** Where files live: a folder locally, a bucket in AWS. Paths use `/`. */
export interface FileStore {
  put(path: string, body: Uint8Array): Promise<void>;
  get(path: string): Promise<Uint8Array | null>;
  /** Paths under a prefix, sorted. */
  list(prefix: string): Promise<string[]>;
  /**
   * Writes a file from its bytes as they come, holding a bounded part of them at a time; the
   * file appears whole when the stream ends, or not at all when it fails.
   */
  putStream(path: string, body: AsyncIterable<Uint8Array>): Promise<void>;
  /** A file's bytes as they are read, or null when there is no such file. */
  getStream(path: string): Promise<AsyncIterable<Uint8Array> | null>;
}

/** The operator-loaded years of the business calendars (docs/calendar.md). */
export interface CalendarStore {
  /** Every stored version of every loaded year of the calendar, in no particular order. */
  loadedYears(calendar: string): Promise<LoadedCalendarYear[]>;
  /**
   * Writes a new version of a year, with the write's idempotency record when it has one. A
   * version, once written, never changes: writing one that exists is refused (WriteConflict
   * ALREADY_EXISTS) and changes nothing.
   */
  putYear(year: LoadedCalendarYear, idempotency?: IdempotencyRecord): Promise<void>;
}

/** A loan's head as the daily settlement reads it for the loan master: every lender's position in the loan and the loan's risk. */
export interface LoanHeadView {
  readonly loanId: string;
  readonly positions: readonly Position[];
  /** The class and DPD of the latest daily risk update; null before the loan's first. */
  readonly risk: LoanRisk | null;
}

/** One balance of a lender's book: debit-positive minor units, per currency and account. */
export interface AccountBalance {
  readonly currency: string;
  readonly account: Account;
  readonly balanceMinor: bigint;
}

/** A lender's closing balances of a settled date: the opening balances of its trial balance on the next. */
export interface LenderBalances {
  readonly businessDate: string;
  readonly lenderId: string;
  /** Non-zero balances only, by currency and account. */
  readonly balances: readonly AccountBalance[];
}

/**
 * What the daily settlement reads and keeps beyond its runs (docs/settlement.md): the heads of a
 * shard's loans, in batches, for the loan master; each lender's closing balances per date, for
 * the next date's trial balance.
 */
export interface SettlementBooks {
  /** The heads of the loans, in no particular order; a loan without a head is left out. */
  loanHeads(loanIds: readonly string[]): Promise<LoanHeadView[]>;
  /** Written whole; a re-run of the date writes the same. */
  putLenderBalances(balances: LenderBalances): Promise<void>;
  /** Every lender's closing balances of a date. */
  lenderBalances(businessDate: string): Promise<LenderBalances[]>;
  /**
   * A closed settlement day's profit lines, every lender's (S39), then the day's mark (S40), each
   * written whole: a re-run of a date writes the same (docs/profit-sharing.md, Monthly profit).
   */
  putProfitDay(day: string, lenders: readonly LenderProfitDay[]): Promise<void>;
  /** The days of a month `YYYY-MM` whose profit lines are kept, in order (S40). */
  profitDaysKept(month: string): Promise<string[]>;
  /** A lender's kept profit lines of the days from `from` to `to`, in day order (S39); a day it had no entry in has none. */
  lenderProfitDays(lenderId: string, from: string, to: string): Promise<LenderProfitDay[]>;
}

/** A lender's profit lines of one settlement day, one per currency. */
export interface LenderProfitDay {
  readonly day: string;
  readonly lenderId: string;
  readonly lines: readonly ProfitLine[];
}

/** The state of a run that goes loan shard by loan shard (a profit-sharing period, a regulatory report date). */
export interface ShardedRunState {
  readonly status: 'RUNNING' | 'DONE' | 'FAILED';
  /** 1 for the first run; each run again counts up. */
  readonly attempt: number;
  readonly shardCount: number;
  readonly startedAt: string;
  readonly doneAt: string | null;
  /** Loans gone through. */
  readonly loans: number;
  readonly failure: { readonly code: string; readonly message: string } | null;
}

/** A profit-sharing run of one program and one period (docs/profit-sharing.md); a run again of a failed period counts up. */
export interface ProfitRun extends ShardedRunState {
  readonly programId: string;
  /** A month `YYYY-MM` or a quarter `YYYY-Qn`. */
  readonly period: string;
  /** Period-fee entries booked by this attempt, and those found booked before. */
  readonly booked: number;
  readonly replayed: number;
  /** The parties whose statements the run stored. */
  readonly parties: readonly string[];
}

/** A party's profit statement of a period in one program, as a profit-sharing run stored it. */
export interface StoredProfitStatement extends ProfitReport {
  readonly programId: string;
  readonly period: string;
  /** The party's role in the program. */
  readonly role: string;
  /** The attempt of the run that stored it, and when. */
  readonly attempt: number;
  readonly storedAt: string;
}

export interface ProfitRunStore {
  getRun(programId: string, period: string): Promise<ProfitRun | null>;
  /** Creates the run, or replaces it on the version read (`expectedAttempt`; 0 to create). */
  putRun(run: ProfitRun, expectedAttempt: number): Promise<void>;
  /** Writes a party's statement whole; a run again of the period writes it again. */
  putStatement(statement: StoredProfitStatement): Promise<void>;
  /** A party's statements of a period, one per program, in program order. */
  statements(lenderId: string, period: string): Promise<StoredProfitStatement[]>;
}

/** A bank's dated regulatory figures, every version (docs/regulatory-report.md). */
export interface RegulatoryFiguresStore {
  /** Every stored version of the lender's figures, in no particular order (the registration's are on the lender). */
  versions(lenderId: string): Promise<RegulatoryFigures[]>;
  /**
   * Writes a version with the write's idempotency record. A version, once written, never changes:
   * writing one that exists is refused (WriteConflict ALREADY_EXISTS) and changes nothing.
   */
  put(figures: RegulatoryFigures, idempotency: IdempotencyRecord): Promise<void>;
}

/** The regulatory report run of a business date (each run again replaces the report); `loans` are those with principal outstanding at the end of the date. */
export interface RegulatoryReportRun extends ShardedRunState {
  readonly businessDate: string;
  readonly report: RegulatoryReport | null;
}

/** What one loan shard measured for a run: written whole, again by a step run again. */
export interface RegulatoryReportShard {
  readonly businessDate: string;
  readonly shard: number;
  readonly attempt: number;
  readonly measures: JointLoanMeasures;
}

export interface RegulatoryReportStore {
  getRun(businessDate: string): Promise<RegulatoryReportRun | null>;
  /** Creates the run, or replaces it on the version read (`expectedAttempt`; 0 to create). */
  putRun(run: RegulatoryReportRun, expectedAttempt: number): Promise<void>;
  putShard(shard: RegulatoryReportShard): Promise<void>;
  shards(businessDate: string): Promise<RegulatoryReportShard[]>;
}

/** A page of a listing, and where the next one starts (null on the last page). */
export interface Page<T> {
  readonly items: readonly T[];
  readonly cursor: string | null;
}

/** Which page of a listing: at most `limit` items, from the previous page's cursor (absent: the first page). */
export interface PageRequest {
  readonly limit: number;
  readonly cursor?: string | undefined;
}

/**
 * What the parts of a run found when it is more than a workflow's state may carry (256 KiB): a
 * ledger check's differences, a risk update's held and changed loans. A step stores its part's
 * details here and passes counts on; readers page through them.
 */
export interface RunDetailStore {
  /** Replaces what part `part` of run `run` found: a retry or a rerun writes the same items and removes those no longer found. */
  replace(run: string, part: number, details: readonly RunDetail[]): Promise<void>;
  /** The run's details, part by part in the order stored, a page at a time. */
  page(run: string, request: PageRequest): Promise<Page<RunDetail>>;
}

/** One detail of a run: plain data (strings, numbers, booleans), decoded by its reader. */
export type RunDetail = Readonly<Record<string, string | number | boolean | null>>;

export interface BreakQuery {
  /** Absent: open and investigating first, then resolved and accepted. */
  readonly state?: BreakState;
  readonly lenderId?: string;
  readonly limit: number;
  readonly cursor?: string;
}

/** The breaks of reconciliation (docs/reconciliation.md, R2). */
export interface BreakStore {
  get(breakId: string): Promise<ReconciliationBreak | null>;
  /** The breaks of these ids that exist, in the order asked. */
  getMany(breakIds: readonly string[]): Promise<ReconciliationBreak[]>;
  /**
   * Breaks a reconciliation found: a new one is written as given (OPEN, version 1); one already
   * there keeps its state, owner, history, opening and escalation, and takes the new figures,
   * lines and reconciliation.
   */
  upsertFound(breaks: readonly ReconciliationBreak[]): Promise<ReconciliationBreak[]>;
  /**
   * Writes a changed break on the version it was read at (`WriteConflict` VERSION otherwise), with
   * the idempotency record of the request that changed it when there is one, in the same write.
   */
  put(changed: ReconciliationBreak, expectedVersion: number, idempotency?: IdempotencyRecord): Promise<void>;
  list(query: BreakQuery): Promise<Page<ReconciliationBreak>>;
}

/** A counterpart file uploaded for reconciliation (R3). */
export interface ReconciliationUpload {
  readonly uploadId: string;
  readonly fileName: string;
  /** Where its bytes are in the file store. */
  readonly path: string;
  readonly createdBy: string;
  /** The lender of the client that asked for it (a partner's upload is its own). */
  readonly lenderId: string | null;
  readonly createdAt: string;
}

export type ReconciliationStatus = 'RECEIVED' | 'WAITING' | 'REPORTED' | 'REJECTED' | 'FAILED';

export interface FileErrorView {
  readonly line: number;
  readonly field: string;
  readonly rule: string;
  readonly message: string;
}

/** What the escrow balance check (b) found for one currency. */
export interface EscrowBalanceCheck {
  readonly currency: string;
  /** The statement's closing balance. */
  readonly statementMinor: bigint;
  /** What the collection account should hold: instructions still to pay, and payments booked after the cut-off. */
  readonly expectedMinor: bigint;
  readonly differenceMinor: bigint;
  /** Per party: what the account still owes it (positive) or it owes the account (negative). */
  readonly owedMinor: Readonly<Record<string, bigint>>;
  readonly inTransitMinor: bigint;
}

/** A reconciliation of one counterpart file (R1, docs/reconciliation.md). */
export interface Reconciliation {
  readonly reconciliationId: string;
  readonly type: ReconciliationType;
  readonly businessDate: string;
  /** The partner's lender id, or the bank format of an escrow statement. */
  readonly counterparty: string;
  /** The lender whose records these are (partner files); null for the escrow statement. */
  readonly lenderId: string | null;
  readonly bankFormat: string | null;
  readonly uploadId: string;
  readonly fileName: string;
  readonly fileSha256: string;
  readonly status: ReconciliationStatus;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** The settlement attempt of the date it was matched against (a re-settled date is matched again). */
  readonly settlementAttempt: number | null;
  readonly counts: {
    readonly ours: number;
    readonly theirs: number;
    readonly matched: number;
    readonly matchedOnAmount: number;
    readonly breaks: number;
  } | null;
  readonly matchedMinor: Readonly<Record<string, bigint>>;
  readonly breaksByKind: Readonly<Record<string, number>>;
  /** Breaks by age band as of the report (docs/reconciliation.md). */
  readonly breaksByAge: Readonly<Record<string, number>>;
  readonly netDifferenceMinor: Readonly<Record<string, bigint>>;
  readonly balance: readonly EscrowBalanceCheck[];
  readonly errors: readonly FileErrorView[];
  readonly failure: { readonly code: string; readonly message: string } | null;
  /** Starts of the workflow for it: a failed reconciliation is started again as the next run. */
  readonly runs: number;
  readonly version: number;
}

/** Counterparty settings of reconciliation (R4): tolerances and when a break escalates. */
export interface ReconciliationSettings {
  readonly counterparty: string;
  readonly amountToleranceMinor: bigint;
  readonly dateToleranceDays: number;
  readonly escalateAfterDays: number;
  readonly version: number;
  readonly setBy: string;
  readonly setAt: string;
}

export interface ReconciliationStore {
  putUpload(upload: ReconciliationUpload): Promise<void>;
  getUpload(uploadId: string): Promise<ReconciliationUpload | null>;
  get(reconciliationId: string): Promise<Reconciliation | null>;
  /** Creates (`expectedVersion` 0) or replaces on the version read; `WriteConflict` otherwise. */
  put(reconciliation: Reconciliation, expectedVersion: number): Promise<void>;
  /** A date's reconciliations, oldest first within each type and counterparty. */
  ofDate(businessDate: string): Promise<Reconciliation[]>;
  /** A page of a date's reconciliations in index order (type, counterparty, id). */
  pageOfDate(businessDate: string, request: PageRequest): Promise<Page<Reconciliation>>;
  /** The latest settings of a counterparty; null when none were set. */
  settings(counterparty: string): Promise<ReconciliationSettings | null>;
  /**
   * A new version with the answer of the request that set it, in one transaction: a WriteConflict
   * when that version exists, or `IDEMPOTENCY_KEY` when the request's key holds another answer
   * (then nothing is written).
   */
  putSettings(settings: ReconciliationSettings, idempotency: IdempotencyRecord): Promise<void>;
}

export type SpoolSide = 'OURS' | 'THEIRS';

/** Where both sides of a reconciliation wait, by partition of their group, to be matched one partition at a time. */
export interface MatchSpool {
  readonly partitions: number;
  add(side: SpoolSide, records: readonly MatchRecord[]): Promise<void>;
  count(side: SpoolSide): number;
  /** Every record added is readable after this. */
  seal(): Promise<void>;
  read(side: SpoolSide, partition: number): Promise<MatchRecord[]>;
  /** Keeps a difference found until the whole file has been read: nothing of a refused file is written. */
  keep(finding: BreakFinding): Promise<void>;
  /** The differences kept, in the order kept. */
  kept(): AsyncIterable<BreakFinding>;
  close(): Promise<void>;
}

/** Where a client PUTs an upload's bytes, and the headers it must send with them (signed into the URL). */
export interface UploadTarget {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Where a client puts the bytes of an upload: a presigned URL in AWS, the local server's path
 * locally. The URL takes only the bytes of the SHA-256 it was made for (hexadecimal): the store
 * checks them on arrival, as the files bucket's object lock requires a checksum of every PUT.
 */
export interface UploadUrls {
  putUrl(path: string, expiresSeconds: number, sha256Hex: string): Promise<UploadTarget>;
}

/** The versions of each bank's statement mapping (docs/files.md, The bank's mapping); the built-in mapping is not stored. */
export interface BankFormatStore {
  /** Every stored version of a bank's mapping, in no particular order. */
  versions(bankId: string): Promise<BankFormatVersion[]>;
  /** A page of the latest stored version of each bank's mapping, the highest bank id first (as `ProgramStore.pageLatest`). */
  pageLatest(request: PageRequest): Promise<Page<BankFormatVersion>>;
  /** Writes a new version, with the write's idempotency record; a version that exists is refused (WriteConflict ALREADY_EXISTS) and nothing changes. */
  put(format: BankFormatVersion, idempotency: IdempotencyRecord): Promise<void>;
}

/** A counterparty's reconciliation settings, as the daily escalation needs them (R4). */
export interface ReconciliationSettingsReader {
  /** Days a break may stay open or investigating before it escalates. */
  escalateAfterDays(counterparty: string): Promise<number>;
}

export interface AdjustmentQuery {
  readonly state: AdjustmentState;
  /** Only the adjustments of which this lender is one of the two parties; null: all. */
  readonly lenderId: string | null;
  readonly limit: number;
  readonly cursor?: string;
}

/** The adjustments of reconciliation (docs/reconciliation.md, R5), oldest proposal first per state. */
export interface AdjustmentStore {
  get(adjustmentId: string): Promise<Adjustment | null>;
  /** Writes a new adjustment; `WriteConflict` ALREADY_EXISTS when its id is taken. */
  create(adjustment: Adjustment): Promise<void>;
  /** Writes a changed adjustment on the version it was read at (`WriteConflict` VERSION otherwise). */
  put(changed: Adjustment, expectedVersion: number): Promise<void>;
  list(query: AdjustmentQuery): Promise<Page<Adjustment>>;
}
