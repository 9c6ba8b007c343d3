import { NotFound, StateConflict } from '../../shared/domain/errors.ts';
import { registered, rotated, type WebhookSecretSet } from '../../shared/domain/webhook-secret.ts';
import type { WebhookSecrets } from '../../shared/ports/webhook-secrets.ts';
/**
 * In-memory implementations of every port in shared/ports/stores.ts, with the conflict semantics
 * of the DynamoDB adapter: a write is one atomic group whose items are checked in the order the
 * adapter sends them; the first whose condition fails decides the conflict (WriteConflict
 * IDEMPOTENCY_KEY for the idempotency record, ALREADY_EXISTS naming the item otherwise, as
 * `transactWrite` reports it) and nothing is written. Values are copied on the way in and out, as a
 * real store serializes them.
 */
import { expiresAtEpochSeconds } from '../../shared/http/idempotency.ts';
import { LocalKeyFileCipher } from '../../shared/adapters/personal-data/index.ts';
import { TEST_KEY_FILE } from './handler-env.ts';
import { applyEntry, openPosition, type JournalEntry, type Position } from '../../shared/domain/ledger.ts';
import type { Lender, LenderWebhook } from '../../shared/domain/lender.ts';
import { disbursementEntry, loanFacts, type Loan, type LoanFacts } from '../../shared/domain/loan.ts';
import type { Program } from '../../shared/domain/program.ts';
import { noPerson, type Person, type PersonRef } from '../../shared/domain/person.ts';
import { noBorrowerExposure, noBorrowerPrincipal, type BorrowerExposure, type BorrowerPrincipal, type OutstandingMove, type PrincipalShard, type QuotaChange, type QuotaShard, type Reservation } from '../../shared/domain/exposure.ts';
import type { Ask } from '../../shared/domain/review.ts';
import type { LenderSchedule, Schedule } from '../../shared/domain/schedule.ts';
import { emptyLedger, inOrder, type BookedItem, type BookedLoanEvent, type EffectKey, type RepaymentLedger } from '../../shared/domain/repayment-booking.ts';
import { compareEvents } from '../../shared/domain/loan-account.ts';
import { loanShard, stateKeys } from '../../shared/adapters/dynamodb/state-keys.ts';
import { TABLE_KEY, decodeCursor, encodeCursor } from '../../shared/adapters/dynamodb/cursor.ts';
import {
  WriteConflict,
  type ProfitRun,
  type ProfitRunStore,
  type RegulatoryFiguresStore,
  type PageRequest,
  type PersonLoan,
  type PersonStore,
  type RunDetail,
  type RunDetailStore,
  type RegulatoryReportRun,
  type RegulatoryReportShard,
  type RegulatoryReportStore,
  type StoredProfitStatement,
  type SettlementRun,
  type SettlementShard,
  type SettlementStore,
  type SettlementBooks,
  type SettlementRunIndex,
  type ListedSettlementRun,
  type LenderBalances,
  type LenderProfitDay,
  type LoanHeadView,
  type StoredInstruction,
  type ApplicationChange,
  type ApplicationRecord,
  type ApplicationStore,
  type BankFormatStore,
  type CalendarStore,
  type Clock,
  type ExposureStore,
  type IdempotencyEntry,
  type IdempotencyRecord,
  type IdempotencyReservation,
  type IdempotencyStore,
  type LedgerCheckReport,
  type LedgerCheckStore,
  type LedgerStore,
  type LenderStore,
  type PlainWebhookSecret,
  type LoanBooking,
  type LoanStore,
  type PartnerNotifier,
  type ProgramStore,
  type RepaymentRecord,
  type RepaymentStore,
  type RepaymentWrite,
  type ProgramPool,
  type ProgramPoolKind,
  type ProgramPoolStore,
  type RiskRunReport,
  type RiskRunStore,
  type ReviewRequested,
  type TaskResumer,
  type WorkflowStarter,
  type BreakQuery,
  type Reconciliation,
  type ReconciliationSettings,
  type ReconciliationStore,
  type ReconciliationUpload,
  type BreakStore,
  type Page,
  type AdjustmentQuery,
  type AdjustmentStore,
} from '../../shared/ports/stores.ts';
import type { Adjustment } from '../../shared/domain/adjustment.ts';
import { BREAK_STATES, breakFoundAgain, type ReconciliationBreak } from '../../shared/domain/reconciliation-break.ts';
import { executedOn } from '../../shared/domain/settlement.ts';
import { toJson } from '../../shared/json.ts';
import { NOW } from './builders.ts';
import type { LoadedCalendarYear } from '../../shared/domain/calendar.ts';
import type { BankFormatVersion } from '../../shared/domain/counterpart-records.ts';
import type { PayoutInstruction, SettlementItem } from '../../shared/domain/settlement.ts';
import type { RegulatoryFigures } from '../../shared/domain/regulatory-figures.ts';

const copy = <T>(value: T): T => structuredClone(value);

/** One item of an atomic group: the entity name the adapter gives it and whether its condition fails. */
export interface Guard {
  readonly entity: string;
  readonly fails: boolean;
}

/** An application item as stored: the record, the steps that changed it and the disbursement token. */
export interface StoredApplication {
  record: ApplicationRecord;
  readonly steps: Set<string>;
  disbursementTaskToken: string | null;
}

export type StoredAsk = Ask & { readonly taskToken: string | null };

/** The tables, keyed as the DynamoDB items are. */
export class InMemoryDb {
  readonly idempotency = new Map<string, IdempotencyRecord>();
  /** Keys reserved by writes under way (the same items as the records in the adapter's table). */
  readonly keyReservations = new Map<string, IdempotencyReservation>();
  readonly lenders = new Map<string, Lender>();
  /** Secrets still on lenders' records from before they were kept apart (their webhook has secret version 0). */
  readonly plainWebhookSecrets = new Map<string, PlainWebhookSecret>();
  /** `{programId}#{version}` */
  readonly programs = new Map<string, Program>();
  readonly loans = new Map<string, Loan>();
  /** `{loanId}#{entryId}` */
  readonly entries = new Map<string, JournalEntry>();
  /** `{loanId}#{lenderId}` */
  readonly positions = new Map<string, Position>();
  readonly borrowerSchedules = new Map<string, Schedule>();
  /** `{loanId}#{lenderId}` */
  readonly lenderSchedules = new Map<string, LenderSchedule>();
  readonly ledgerChecks = new Map<string, LedgerCheckReport>();
  readonly applications = new Map<string, StoredApplication>();
  /** `{applicationId}#{lenderId}` */
  readonly asks = new Map<string, StoredAsk>();
  /** `{applicationId}#{lenderId}` */
  readonly reservations = new Map<string, Reservation>();
  /** `{lenderId}#{shard, two digits}`: one item per quota shard, as `QUOTA#{lenderId}` / `SHARD#{nn}`. */
  readonly quotas = new Map<string, QuotaShard>();
  readonly exposures = new Map<string, BorrowerExposure>();
  /** `{lenderId}#{leadLenderId}#{shard, two digits}`: a lender's principal shards, as `QUOTA#{lenderId}` / `PRINCIPAL#{lead}#{nn}`. */
  readonly principalShards = new Map<string, PrincipalShard>();
  /** What changes moved of each borrower's principal, as `BORROWER#{borrowerId}` / `PRINCIPAL`. */
  readonly borrowerPrincipals = new Map<string, BorrowerPrincipal>();
  /** A person by the keyed hash of its identity number (S41): `version` 0 while only applications named it. */
  readonly persons = new Map<string, Person>();
  /** A person's loans and applications (S42), by `{identityHash}#{REF#APP#id | REF#LOAN#id}`. */
  readonly personRefs = new Map<string, PersonRef>();
  /** Each loan's head: version, next arrival, latest key, state and risk (no window). */
  readonly repaymentLedgers = new Map<string, RepaymentLedger>();
  /** The events of the loans' books, by `{loanId}#{valueDate}#{seq, 9 digits}`. */
  readonly bookItems = new Map<string, BookedItem>();
  /** `{loanId}#{type}#{eventId}`: where a compensation, write-off or transfer sits. */
  readonly eventRefs = new Map<string, EffectKey>();
  readonly repaymentRecords = new Map<string, RepaymentRecord>();
  readonly riskRuns = new Map<string, RiskRunReport>();
  /** `{programId}#{kind}` */
  readonly programPools = new Map<string, ProgramPool>();
  /** `{calendar}#{year}#{version}` */
  readonly calendarYears = new Map<string, LoadedCalendarYear>();
  /** `{bankId}#{version}` */
  readonly bankFormats = new Map<string, BankFormatVersion>();
  /** Atomic writes that succeeded. */
  transactions = 0;

  /** Adds the borrower id to its person (S41) and lists the loan or application under it (S42); a booking sets the version, an application keeps it. */
  linkPerson(ref: PersonRef, version: number | null): void {
    const before = this.persons.get(ref.identityHash) ?? noPerson(ref.identityHash);
    const borrowerIds = [...new Set([...before.borrowerIds, ref.borrowerId])].sort();
    this.persons.set(ref.identityHash, { identityHash: ref.identityHash, borrowerIds, version: version ?? before.version });
    this.personRefs.set(`${ref.identityHash}#REF#${ref.kind === 'LOAN' ? 'LOAN' : 'APP'}#${ref.id}`, copy(ref));
  }

  /** A loan's whole book: its head and every event, in arrival order; undefined before its first event. */
  book(loanId: string): RepaymentLedger | undefined {
    const head = this.repaymentLedgers.get(loanId);
    if (head === undefined) return undefined;
    const items = [...this.bookItems.entries()].filter(([key]) => key.startsWith(`${loanId}#`)).map(([, item]) => copy(item));
    items.sort((a, b) => a.booked.seq - b.booked.seq);
    return {
      ...copy(head),
      repayments: items.flatMap((i) => (i.kind === 'REPAYMENT' ? [i.booked] : [])),
      events: items.flatMap((i) => (i.kind === 'EVENT' ? [i.booked] : [])),
    };
  }

  /** One atomic group: the first guard that fails decides the conflict; otherwise `apply` runs. */
  transact(guards: readonly Guard[], apply: () => void): void {
    const lost = guards.find((g) => g.fails);
    if (lost) throw new WriteConflict(lost.entity === 'idempotency' ? 'IDEMPOTENCY_KEY' : 'ALREADY_EXISTS', lost.entity);
    apply();
    this.transactions++;
  }

  /** A reservation's condition: a free key, or one held by a reservation that lapsed. */
  reservationItem(reservation: IdempotencyReservation): Guard {
    const held = this.keyReservations.get(reservation.scopeKey);
    const nowEpochSeconds = Math.floor(Date.parse(reservation.reservedAt) / 1000);
    return { entity: 'idempotency', fails: this.idempotency.has(reservation.scopeKey) || (held !== undefined && held.reservedUntilEpochSeconds >= nowEpochSeconds) };
  }

  idempotencyItem(record: IdempotencyRecord): Guard {
    return { entity: 'idempotency', fails: this.idempotency.has(record.scopeKey) || this.keyReservations.has(record.scopeKey) };
  }

  /** `attribute_exists(pk) AND NOT contains(#steps, :step)` on the application item. */
  applicationStep(applicationId: string, change: ApplicationChange): Guard {
    const stored = this.applications.get(applicationId);
    return { entity: 'application-step', fails: !stored || stored.steps.has(change.step) };
  }

  /** Appends the step's timeline event, sets its fields and records the step. */
  applyChange(applicationId: string, change: ApplicationChange): void {
    const stored = this.applications.get(applicationId);
    if (!stored) throw new Error(`application ${applicationId} does not exist`);
    const event = { at: change.at, step: change.step, event: change.event, detail: copy(change.detail) };
    stored.record = { ...stored.record, ...copy(change.set), timeline: [...stored.record.timeline, event] } as ApplicationRecord;
    stored.steps.add(change.step);
  }

  /** `attribute_not_exists(pk)` on version 0, `version = :v` otherwise. */
  versioned<T extends { version: number }>(entity: string, stored: T | undefined, before: { version: number }): Guard {
    return { entity, fails: before.version === 0 ? stored !== undefined : stored?.version !== before.version };
  }

  /** Each shard a write changes, on the version it was read at (see `versioned`). */
  quotaShards(changes: readonly QuotaChange[]): Guard[] {
    const keys = changes.map((c) => quotaKey(c.after.lenderId, c.after.shard));
    // DynamoDB refuses a transaction that names one item twice (a ValidationException, not a conflict).
    if (new Set(keys).size !== keys.length) throw new Error(`one transaction writes a quota shard twice: ${keys.join(', ')}`);
    return changes.map((c) => this.versioned('quota', this.quotas.get(quotaKey(c.after.lenderId, c.after.shard)), c.before));
  }

  setQuotaShards(changes: readonly QuotaChange[]): void {
    for (const { after } of changes) this.quotas.set(quotaKey(after.lenderId, after.shard), copy(after));
  }

  /** Adds what a change moved, as the adapter's `ADD` does: no read, no condition. */
  addOutstanding(move: OutstandingMove | undefined): void {
    for (const m of move?.lenders ?? []) {
      const key = `${m.lenderId}#${m.leadLenderId}#${m.shard.toString().padStart(2, '0')}`;
      const before = this.principalShards.get(key)?.movedMinor ?? 0n;
      this.principalShards.set(key, { ...copy(m), movedMinor: before + m.movedMinor });
    }
    const moved = move?.borrower;
    if (!moved) return;
    const before = this.borrowerPrincipals.get(moved.borrowerId) ?? noBorrowerPrincipal(moved.borrowerId);
    const perLender: Record<string, bigint> = { ...before.perLenderMovedMinor };
    for (const [lenderId, amount] of Object.entries(moved.perLenderMovedMinor)) perLender[lenderId] = (perLender[lenderId] ?? 0n) + amount;
    this.borrowerPrincipals.set(moved.borrowerId, {
      borrowerId: moved.borrowerId,
      unsecuredPersonalMovedMinor: before.unsecuredPersonalMovedMinor + moved.unsecuredPersonalMovedMinor,
      totalMovedMinor: before.totalMovedMinor + moved.totalMovedMinor,
      perLenderMovedMinor: perLender,
    });
  }

  /** `#s = :from` on a reservation. */
  reservationIn(reservation: Reservation, from: Reservation['state']): Guard {
    return { entity: 'reservation', fails: this.reservations.get(pairKey(reservation.applicationId, reservation.lenderId))?.state !== from };
  }

  setReservationState(reservation: Reservation): void {
    const key = pairKey(reservation.applicationId, reservation.lenderId);
    const stored = this.reservations.get(key);
    if (!stored) throw new Error(`reservation ${key} does not exist`);
    this.reservations.set(key, { ...stored, state: reservation.state, at: reservation.at });
  }
}

const pairKey = (a: string, b: string): string => `${a}#${b}`;
const quotaKey = (lenderId: string, shard: number): string => pairKey(lenderId, shard.toString().padStart(2, '0'));

/** What a conditional UpdateCommand on a missing item throws (not a WriteConflict: it is not a transaction). */
export class ConditionalCheckFailed extends Error {
  override readonly name = 'ConditionalCheckFailedException';
}

export class InMemoryIdempotencyStore implements IdempotencyStore {
  constructor(private readonly db: InMemoryDb) {}

  async get(scopeKey: string): Promise<IdempotencyEntry | null> {
    const entry = this.db.idempotency.get(scopeKey) ?? this.db.keyReservations.get(scopeKey);
    return entry ? copy(entry) : null;
  }

  /** On a free key, over a reservation of the same request, or over one that lapsed, as the adapter's condition says. */
  async put(record: IdempotencyRecord): Promise<void> {
    const held = this.db.keyReservations.get(record.scopeKey);
    const nowEpochSeconds = Math.floor(Date.parse(record.createdAt) / 1000);
    const free = !this.db.idempotency.has(record.scopeKey) && (held === undefined || held.requestHash === record.requestHash || held.reservedUntilEpochSeconds < nowEpochSeconds);
    if (!free) throw new WriteConflict('IDEMPOTENCY_KEY', 'idempotency');
    this.db.keyReservations.delete(record.scopeKey);
    this.db.idempotency.set(record.scopeKey, copy(record));
  }

  async reserve(reservation: IdempotencyReservation, nowEpochSeconds: number): Promise<void> {
    const held = this.db.keyReservations.get(reservation.scopeKey);
    if (this.db.idempotency.has(reservation.scopeKey) || (held !== undefined && held.reservedUntilEpochSeconds >= nowEpochSeconds)) throw new WriteConflict('IDEMPOTENCY_KEY', 'idempotency');
    this.db.keyReservations.set(reservation.scopeKey, copy(reservation));
  }

  async release(reservation: IdempotencyReservation, nowEpochSeconds: number): Promise<void> {
    const held = this.db.keyReservations.get(reservation.scopeKey);
    if (held !== undefined && held.requestHash === reservation.requestHash && held.reservedAt === reservation.reservedAt) {
      this.db.keyReservations.set(reservation.scopeKey, { ...held, reservedUntilEpochSeconds: 0, expiresAtEpochSeconds: nowEpochSeconds });
    }
  }
}

export class InMemoryCalendarStore implements CalendarStore {
  /** Reads of loadedYears, for tests of what is read when. */
  reads = 0;
  constructor(private readonly db: InMemoryDb) {}

  async loadedYears(calendar: string): Promise<LoadedCalendarYear[]> {
    this.reads++;
    return [...this.db.calendarYears.values()].filter((y) => y.calendar === calendar).map(copy);
  }

  async putYear(year: LoadedCalendarYear, idempotency?: IdempotencyRecord): Promise<void> {
    const key = `${year.calendar}#${year.year}#${year.version}`;
    const guards = [...(idempotency ? [this.db.idempotencyItem(idempotency)] : []), { entity: 'calendar-year', fails: this.db.calendarYears.has(key) }];
    this.db.transact(guards, () => {
      if (idempotency) this.db.idempotency.set(idempotency.scopeKey, copy(idempotency));
      this.db.calendarYears.set(key, copy(year));
    });
  }
}

export class InMemoryBankFormatStore implements BankFormatStore {
  constructor(private readonly db: InMemoryDb) {}

  async versions(bankId: string): Promise<BankFormatVersion[]> {
    return [...this.db.bankFormats.values()].filter((f) => f.bankId === bankId).map(copy);
  }

  async pageLatest(request: PageRequest): Promise<Page<BankFormatVersion>> {
    const latest = new Map<string, BankFormatVersion>();
    for (const f of this.db.bankFormats.values()) if ((latest.get(f.bankId)?.version ?? 0) < f.version) latest.set(f.bankId, f);
    const descending = [...latest.values()].sort((a, b) => (a.bankId < b.bankId ? 1 : -1));
    const position = new Map(descending.map((f, i) => [f.bankId, String(i).padStart(8, '0')]));
    return pageOf('BANKFORMATS', descending, (f) => position.get(f.bankId) ?? '', request);
  }

  async put(format: BankFormatVersion, idempotency: IdempotencyRecord): Promise<void> {
    const key = `${format.bankId}#${format.version}`;
    this.db.transact([this.db.idempotencyItem(idempotency), { entity: 'bank-format', fails: this.db.bankFormats.has(key) }], () => {
      this.db.idempotency.set(idempotency.scopeKey, copy(idempotency));
      this.db.bankFormats.set(key, copy(format));
    });
  }
}

export class InMemoryLenderStore implements LenderStore {
  constructor(private readonly db: InMemoryDb) {}

  async get(lenderId: string): Promise<Lender | null> {
    const lender = this.db.lenders.get(lenderId);
    return lender ? copy(lender) : null;
  }

  async getMany(lenderIds: readonly string[]): Promise<Map<string, Lender>> {
    const found = new Map<string, Lender>();
    for (const id of lenderIds) {
      const lender = this.db.lenders.get(id);
      if (lender) found.set(id, copy(lender));
    }
    return found;
  }

  async list(): Promise<Lender[]> {
    return [...this.db.lenders.values()].sort((a, b) => (a.lenderId < b.lenderId ? -1 : 1)).map(copy);
  }

  async page(request: PageRequest): Promise<Page<Lender>> {
    return pageOf('LENDERS', [...this.db.lenders.values()], (l) => l.lenderId, request);
  }

  async create(lender: Lender, idempotency: IdempotencyRecord): Promise<void> {
    this.db.transact([this.db.idempotencyItem(idempotency), { entity: 'lender', fails: this.db.lenders.has(lender.lenderId) }], () => {
      this.db.idempotency.set(idempotency.scopeKey, copy(idempotency));
      this.db.lenders.set(lender.lenderId, copy(lender));
    });
  }

  /** `webhook.secretVersion = :expected`, or for 0 `attribute_exists(webhook.secret)`; the plain secret goes with the write. */
  async setWebhook(lenderId: string, expectedSecretVersion: number, webhook: LenderWebhook, idempotency: IdempotencyRecord | null): Promise<void> {
    const stored = this.db.lenders.get(lenderId);
    const holds = expectedSecretVersion === 0 ? this.db.plainWebhookSecrets.has(lenderId) : stored?.webhook?.secretVersion === expectedSecretVersion;
    if (stored === undefined || !holds) throw new StateConflict('WEBHOOK_CHANGED', `the webhook of lender ${lenderId} changed meanwhile (expected secret version ${expectedSecretVersion}); read it again`, { lenderId, expectedSecretVersion });
    this.db.transact(idempotency === null ? [] : [this.db.idempotencyItem(idempotency)], () => {
      if (idempotency !== null) this.db.idempotency.set(idempotency.scopeKey, copy(idempotency));
      this.db.lenders.set(lenderId, { ...stored, webhook: { url: webhook.url, secretVersion: webhook.secretVersion } });
      this.db.plainWebhookSecrets.delete(lenderId);
    });
  }

  async plainWebhookSecret(lenderId: string): Promise<PlainWebhookSecret | null> {
    const plain = this.db.plainWebhookSecrets.get(lenderId);
    return plain === undefined ? null : copy(plain);
  }
}

export class InMemoryProgramStore implements ProgramStore {
  constructor(private readonly db: InMemoryDb) {}

  async get(programId: string, version: number | null): Promise<Program | null> {
    const versions = [...this.db.programs.values()].filter((p) => p.programId === programId);
    const found = version === null ? versions.sort((a, b) => b.version - a.version)[0] : versions.find((p) => p.version === version);
    return found ? copy(found) : null;
  }

  async list(): Promise<Program[]> {
    return [...this.db.programs.values()].map(copy);
  }

  /** The latest versions, the highest program id first, as the DynamoDB store gives them. */
  async pageLatest(request: PageRequest): Promise<Page<Program>> {
    const latest = new Map<string, Program>();
    for (const p of this.db.programs.values()) if ((latest.get(p.programId)?.version ?? 0) < p.version) latest.set(p.programId, p);
    const descending = [...latest.values()].sort((a, b) => (a.programId < b.programId ? 1 : -1));
    const position = new Map(descending.map((p, i) => [p.programId, String(i).padStart(8, '0')]));
    return pageOf('PROGRAMS', descending, (p) => position.get(p.programId) ?? '', request);
  }

  async createVersion(program: Program, idempotency: IdempotencyRecord): Promise<void> {
    const key = `${program.programId}#${program.version}`;
    this.db.transact([this.db.idempotencyItem(idempotency), { entity: 'program', fails: this.db.programs.has(key) }], () => {
      this.db.idempotency.set(idempotency.scopeKey, copy(idempotency));
      this.db.programs.set(key, copy(program));
    });
  }
}

export class InMemoryLoanStore implements LoanStore {
  constructor(private readonly db: InMemoryDb) {}

  async get(loanId: string): Promise<Loan | null> {
    const loan = this.db.loans.get(loanId);
    return loan ? copy(loan) : null;
  }

  /**
   * All or nothing, guarded in the adapter's order: the idempotency record, the loan, the entry,
   * every position and schedule (none may exist), each quota shard and the exposure at the version read,
   * each reservation still RESERVED, the application's step not applied before.
   */
  async book(booking: LoanBooking): Promise<void> {
    const { db } = this;
    const { loan, entry } = booking.booked;
    const entryKey = pairKey(loan.loanId, entry.entryId);
    const guards: Guard[] = [
      ...(booking.idempotency ? [db.idempotencyItem(booking.idempotency)] : []),
      { entity: 'loan', fails: db.loans.has(loan.loanId) },
      { entity: 'entry', fails: db.entries.has(entryKey) },
      ...booking.positions.map((p) => ({ entity: 'position', fails: db.positions.has(pairKey(p.loanId, p.lenderId)) })),
      { entity: 'schedule', fails: db.borrowerSchedules.has(loan.loanId) },
      ...booking.schedules.lenders.map((s) => ({ entity: 'schedule', fails: db.lenderSchedules.has(pairKey(loan.loanId, s.lenderId)) })),
      ...db.quotaShards(booking.quotas),
      db.versioned('exposure', db.exposures.get(booking.exposure.after.borrowerId), booking.exposure.before),
      ...(booking.person ? [{ entity: 'person', fails: (db.persons.get(booking.person.before.identityHash)?.version ?? 0) !== booking.person.before.version }] : []),
      ...booking.usedReservations.map((r) => db.reservationIn(r, 'RESERVED')),
      ...(booking.applicationChange ? [db.applicationStep(booking.applicationChange.applicationId, booking.applicationChange.change)] : []),
    ];
    db.transact(guards, () => {
      if (booking.idempotency) db.idempotency.set(booking.idempotency.scopeKey, copy(booking.idempotency));
      db.loans.set(loan.loanId, copy(loan));
      db.entries.set(entryKey, copy(entry));
      for (const p of booking.positions) db.positions.set(pairKey(p.loanId, p.lenderId), copy(p));
      // The loan's head, as the adapter writes it with the positions: its first change is version 2.
      db.repaymentLedgers.set(loan.loanId, { ...emptyLedger(loan.loanId), version: 1 });
      db.borrowerSchedules.set(loan.loanId, copy(booking.schedules.borrower));
      for (const s of booking.schedules.lenders) db.lenderSchedules.set(pairKey(loan.loanId, s.lenderId), copy(s));
      db.setQuotaShards(booking.quotas);
      db.exposures.set(booking.exposure.after.borrowerId, copy(booking.exposure.after));
      if (booking.person) {
        db.linkPerson(booking.person.ref, booking.person.after.version);
      }
      for (const r of booking.usedReservations) db.setReservationState(r);
      if (booking.applicationChange) db.applyChange(booking.applicationChange.applicationId, booking.applicationChange.change);
    });
  }

  /** The borrower's schedule and the lenders' in key order (`SCHEDULE#LENDER#{lenderId}`); null before booking. */
  async schedules(loanId: string): Promise<{ borrower: Schedule; lenders: LenderSchedule[] } | null> {
    const borrower = this.db.borrowerSchedules.get(loanId);
    if (!borrower) return null;
    const lenders = [...this.db.lenderSchedules.entries()]
      .filter(([key]) => key.startsWith(`${loanId}#`))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, s]) => copy(s));
    return { borrower: copy(borrower), lenders };
  }

  async loanIdsOfShard(shard: number): Promise<string[]> {
    return [...this.db.loans.keys()].filter((id) => loanShard(id) === shard).sort();
  }

  async factsOfShard(shard: number): Promise<LoanFacts[]> {
    return (await this.loanIdsOfShard(shard)).map((id) => loanFacts(this.db.loans.get(id)!));
  }
}

export class InMemoryLedgerStore implements LedgerStore {
  constructor(private readonly db: InMemoryDb) {}

  /** A page of the lender's positions in loan id order, as its holdings index (L4) gives them. */
  async positionsOfLender(lenderId: string, request: PageRequest): Promise<Page<Position>> {
    const held = [...this.db.positions.values()].filter((p) => p.lenderId === lenderId).sort((a, b) => (a.loanId < b.loanId ? -1 : a.loanId > b.loanId ? 1 : 0));
    return pageOf(`LENDER#${lenderId}`, held, (p) => `LOAN#${p.loanId}`, request);
  }

  async loanLedger(loanId: string): Promise<{ entries: JournalEntry[]; positions: Position[] }> {
    const entries = [...this.db.entries.entries()].filter(([key]) => key.startsWith(`${loanId}#`)).map(([, e]) => copy(e));
    const positions = [...this.db.positions.values()].filter((p) => p.loanId === loanId).map(copy);
    return { entries, positions };
  }

  async entriesOfDate(businessDate: string): Promise<JournalEntry[]> {
    return [...this.db.entries.values()].filter((e) => (e.bookedOn ?? e.businessDate) === businessDate).map(copy);
  }

  async entriesOfDayShard(day: string, shard: number): Promise<JournalEntry[]> {
    return (await this.entriesOfDate(day)).filter((e) => loanShard(e.loanId) === shard).sort((a, b) => (`${a.loanId}#${a.entryId}` < `${b.loanId}#${b.entryId}` ? -1 : 1));
  }

  /** The days' entries in index order (day, shard, loan, entry), a page as DynamoDB gives it. */
  async entryPageOfDays(days: readonly string[], request: PageRequest): Promise<Page<JournalEntry>> {
    const keyOf = (e: JournalEntry) => `${e.bookedOn ?? e.businessDate}#${String(loanShard(e.loanId)).padStart(2, '0')}#${e.loanId}#${e.entryId}`;
    const wanted = new Set(days);
    return pageOf(`ENTRYDAYS#${days.at(-1) ?? ''}`, [...this.db.entries.values()].filter((e) => wanted.has(e.bookedOn ?? e.businessDate)), keyOf, request);
  }

  /** Pages of two entries, so that readers meet a page boundary in every test with a few entries. */
  async *entryPagesOfDayShard(day: string, shard: number): AsyncGenerator<JournalEntry[]> {
    const entries = await this.entriesOfDayShard(day, shard);
    for (let i = 0; i < entries.length; i += 2) yield entries.slice(i, i + 2);
  }
}

/** A loan's book (head, events, entries, positions) and the repayment records, written as the adapter does: all or nothing. */
export class InMemoryRepaymentStore implements RepaymentStore {
  constructor(private readonly db: InMemoryDb) {}

  async load(loanId: string, from: EffectKey | 'ALL'): Promise<{ ledger: RepaymentLedger; positions: Position[] }> {
    const stored = this.db.repaymentLedgers.get(loanId);
    const head = stored ? copy(stored) : emptyLedger(loanId);
    const positions = [...this.db.positions.values()].filter((p) => p.loanId === loanId).map(copy);
    if (from !== 'ALL' && inOrder(head, from)) return { ledger: { ...head, base: head.state, repayments: [], events: [] }, positions };
    const all = this.itemsOf(loanId);
    const window = from === 'ALL' ? all : all.filter((i) => compareEvents(i.booked, from) >= 0);
    const before = from === 'ALL' ? [] : all.filter((i) => compareEvents(i.booked, from) < 0);
    const base = before.length === 0 ? null : before[before.length - 1]!.booked.stateAfter;
    const byArrival = [...window].sort((x, y) => x.booked.seq - y.booked.seq);
    const repayments = byArrival.flatMap((i) => (i.kind === 'REPAYMENT' ? [i.booked] : []));
    const events = byArrival.flatMap((i) => (i.kind === 'EVENT' ? [i.booked] : []));
    return { ledger: { ...head, base, repayments, events }, positions };
  }

  /** The loan's events in order of effect. */
  private itemsOf(loanId: string): BookedItem[] {
    return [...this.db.bookItems.entries()]
      .filter(([key]) => key.startsWith(`${loanId}#`))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, item]) => copy(item));
  }

  async item(loanId: string, key: EffectKey): Promise<BookedItem | null> {
    const item = this.db.bookItems.get(bookKey(loanId, key));
    return item ? copy(item) : null;
  }

  async loanEvent(loanId: string, type: BookedLoanEvent['type'], eventId: string): Promise<BookedLoanEvent | null> {
    const key = this.db.eventRefs.get(`${loanId}#${type}#${eventId}`);
    const item = key === undefined ? undefined : this.db.bookItems.get(bookKey(loanId, key));
    return item?.kind === 'EVENT' ? copy(item.booked) : null;
  }

  async write(change: RepaymentWrite): Promise<void> {
    const { db } = this;
    const { ledger } = change;
    const stored = db.repaymentLedgers.get(ledger.loanId);
    const guards: Guard[] = [
      { entity: 'repayment-ledger', fails: ledger.version === 1 ? stored !== undefined : stored?.version !== ledger.version - 1 },
      ...change.entries.map((e) => ({ entity: 'entry', fails: db.entries.has(pairKey(e.loanId, e.entryId)) })),
      ...change.positions.map(({ position, expectedVersion }) => {
        const current = db.positions.get(pairKey(position.loanId, position.lenderId));
        return { entity: 'position', fails: expectedVersion === 0 ? current !== undefined : current?.version !== expectedVersion };
      }),
      ...(change.programPool
        ? [{ entity: 'program-pool', fails: db.programPools.get(pairKey(change.programPool.pool.programId, change.programPool.pool.kind))?.version !== change.programPool.expectedVersion }]
        : []),
      ...(change.record ? [{ entity: 'repayment-record', fails: db.repaymentRecords.has(change.record.repaymentId) }] : []),
      ...(change.reservation ? [db.reservationItem(change.reservation)] : []),
    ];
    db.transact(guards, () => {
      if (change.reservation) db.keyReservations.set(change.reservation.scopeKey, copy(change.reservation));
      db.repaymentLedgers.set(ledger.loanId, { ...copy(ledger), base: null, repayments: [], events: [] });
      for (const item of change.items) {
        db.bookItems.set(bookKey(ledger.loanId, item.booked), copy(item));
        if (item.kind === 'EVENT') db.eventRefs.set(`${ledger.loanId}#${item.booked.type}#${item.booked.eventId}`, { valueDate: item.booked.valueDate, seq: item.booked.seq });
      }
      for (const e of change.entries) db.entries.set(pairKey(e.loanId, e.entryId), copy(e));
      for (const { position } of change.positions) db.positions.set(pairKey(position.loanId, position.lenderId), copy(position));
      if (change.record) db.repaymentRecords.set(change.record.repaymentId, copy(change.record));
      if (change.programPool) db.programPools.set(pairKey(change.programPool.pool.programId, change.programPool.pool.kind), copy(change.programPool.pool));
      db.addOutstanding(change.outstanding);
    });
  }

  async record(repaymentId: string): Promise<RepaymentRecord | null> {
    const record = this.db.repaymentRecords.get(repaymentId);
    return record ? copy(record) : null;
  }
}

function bookKey(loanId: string, key: EffectKey): string {
  return `${loanId}#${key.valueDate}#${key.seq.toString().padStart(9, '0')}`;
}

export class InMemoryProgramPoolStore implements ProgramPoolStore {
  constructor(private readonly db: InMemoryDb) {}

  async get(programId: string, kind: ProgramPoolKind): Promise<ProgramPool | null> {
    const pool = this.db.programPools.get(pairKey(programId, kind));
    return pool ? copy(pool) : null;
  }

  async setBase(programId: string, kind: ProgramPoolKind, baseMinor: bigint, asOf: string): Promise<void> {
    const known = this.db.programPools.get(pairKey(programId, kind));
    this.db.programPools.set(pairKey(programId, kind), { programId, kind, baseMinor, baseAsOf: asOf, usedMinor: known?.usedMinor ?? 0n, version: (known?.version ?? 0) + 1 });
  }
}

export class InMemoryRiskRunStore implements RiskRunStore {
  constructor(private readonly db: InMemoryDb) {}

  async get(businessDate: string): Promise<RiskRunReport | null> {
    const report = this.db.riskRuns.get(businessDate);
    return report ? copy(report) : null;
  }

  async put(report: RiskRunReport): Promise<void> {
    this.db.riskRuns.set(report.businessDate, copy(report));
  }
}

/**
 * A page as DynamoDB gives it: the items of partition `pk` in key order after the cursor's key,
 * `limit` at most, and a cursor (the last key given, by the adapters' codec) whenever the page is
 * full, even when nothing follows.
 */
export function pageOf<T>(pk: string, items: readonly T[], skOf: (item: T) => string, request: PageRequest): Page<T> {
  const after = decodeCursor(request.cursor, { attributes: TABLE_KEY, where: { pk } });
  const sorted = [...items].sort((a, b) => (skOf(a) < skOf(b) ? -1 : skOf(a) > skOf(b) ? 1 : 0));
  const rest = after === undefined ? sorted : sorted.filter((item) => skOf(item) > (after.sk ?? ''));
  const page = rest.slice(0, request.limit);
  const last = page.at(-1);
  return { items: page.map(copy), cursor: page.length === request.limit && last !== undefined ? encodeCursor({ pk, sk: skOf(last) }) : null };
}

export class InMemoryRunDetailStore implements RunDetailStore {
  readonly parts = new Map<string, Map<number, RunDetail[]>>();

  async replace(run: string, part: number, details: readonly RunDetail[]): Promise<void> {
    const parts = this.parts.get(run) ?? new Map<number, RunDetail[]>();
    parts.set(part, copy([...details]));
    this.parts.set(run, parts);
  }

  async page(run: string, request: PageRequest): Promise<Page<RunDetail>> {
    const keyed = [...(this.parts.get(run) ?? new Map<number, RunDetail[]>()).entries()].flatMap(([part, details]) => details.map((detail, seq) => ({ sk: stateKeys.runDetail(run, part, seq).sk, detail })));
    const page = pageOf(stateKeys.runDetailPartition(run), keyed, (d) => d.sk, request);
    return { items: page.items.map((d) => d.detail), cursor: page.cursor };
  }
}

export class InMemoryLedgerCheckStore implements LedgerCheckStore {
  constructor(private readonly db: InMemoryDb) {}

  async get(businessDate: string): Promise<LedgerCheckReport | null> {
    const report = this.db.ledgerChecks.get(businessDate);
    return report ? copy(report) : null;
  }

  async put(report: LedgerCheckReport): Promise<void> {
    this.db.ledgerChecks.set(report.businessDate, copy(report));
  }
}

const withoutToken = (ask: StoredAsk): Ask => {
  const { taskToken: _token, ...rest } = ask;
  return copy(rest);
};

/** Applications and their asks, with the adapter's conditions (see DynamoApplicationStore). */
export class InMemoryApplicationStore implements ApplicationStore {
  constructor(private readonly db: InMemoryDb) {}

  async create(record: ApplicationRecord, change: ApplicationChange, idempotency: IdempotencyRecord, person: PersonRef | null = null): Promise<void> {
    const { applicationId } = record.application;
    this.db.transact([this.db.idempotencyItem(idempotency), { entity: 'application', fails: this.db.applications.has(applicationId) }], () => {
      this.db.idempotency.set(idempotency.scopeKey, copy(idempotency));
      if (person !== null) this.db.linkPerson(person, null);
      const event = { at: change.at, step: change.step, event: change.event, detail: copy(change.detail) };
      this.db.applications.set(applicationId, { record: { ...copy(record), timeline: [event] }, steps: new Set([change.step]), disbursementTaskToken: null });
    });
  }

  async get(applicationId: string): Promise<ApplicationRecord | null> {
    const stored = this.db.applications.get(applicationId);
    return stored ? copy(stored.record) : null;
  }

  /** In the index order: created at, then application id. */
  async listByStatus(status: string, request: PageRequest): Promise<Page<ApplicationRecord>> {
    const key = (r: ApplicationRecord) => `${r.application.createdAt}#${r.application.applicationId}`;
    return pageOf(`APPSTATUS#${status}`, [...this.db.applications.values()].map((s) => s.record).filter((r) => r.status === status), key, request);
  }

  async asks(applicationId: string): Promise<Ask[]> {
    return this.asksOf(applicationId).map(withoutToken);
  }

  async ask(applicationId: string, lenderId: string): Promise<StoredAsk | null> {
    const ask = this.db.asks.get(pairKey(applicationId, lenderId));
    return ask ? copy(ask) : null;
  }

  /** Open asks only: the awaiting index entry goes once the ask is decided or timed out. */
  async awaiting(lenderId: string, request: PageRequest = { limit: 100 }): Promise<Page<string>> {
    const key = (a: Ask) => `${a.deadline}#${a.applicationId}`;
    const page = pageOf(`AWAITING#${lenderId}`, [...this.db.asks.values()].filter((a) => a.lenderId === lenderId && a.state === 'PENDING'), key, request);
    return { items: page.items.map((a) => a.applicationId), cursor: page.cursor };
  }

  async change(applicationId: string, change: ApplicationChange, newAsks: readonly Ask[] = []): Promise<boolean> {
    if (!this.db.applications.has(applicationId)) throw new Error(`application ${applicationId} does not exist`);
    const guards = [
      this.db.applicationStep(applicationId, change),
      ...newAsks.map((a) => ({ entity: 'ask', fails: this.db.asks.has(pairKey(a.applicationId, a.lenderId)) })),
    ];
    try {
      this.db.transact(guards, () => {
        this.db.applyChange(applicationId, change);
        for (const a of newAsks) this.db.asks.set(pairKey(a.applicationId, a.lenderId), { ...copy(a), taskToken: null });
      });
      return true;
    } catch (error) {
      if (error instanceof WriteConflict && error.entity === 'application-step') return false;
      throw error;
    }
  }

  async setAskToken(applicationId: string, lenderId: string, taskToken: string): Promise<void> {
    const key = pairKey(applicationId, lenderId);
    const ask = this.db.asks.get(key);
    if (!ask) throw new ConditionalCheckFailed(`ask ${key} does not exist`);
    this.db.asks.set(key, { ...ask, taskToken });
  }

  async decide(decided: Ask, idempotency: IdempotencyRecord): Promise<void> {
    const key = pairKey(decided.applicationId, decided.lenderId);
    const guards = [this.db.idempotencyItem(idempotency), { entity: 'ask', fails: this.db.asks.get(key)?.state !== 'PENDING' }];
    this.db.transact(guards, () => {
      this.db.idempotency.set(idempotency.scopeKey, copy(idempotency));
      const stored = this.db.asks.get(key);
      if (!stored) throw new Error(`ask ${key} does not exist`);
      this.db.asks.set(key, { ...stored, state: decided.state, decision: copy(decided.decision) });
    });
  }

  async timeOut(applicationId: string, lenderId: string, change: ApplicationChange): Promise<Ask> {
    const key = pairKey(applicationId, lenderId);
    try {
      this.db.transact([{ entity: 'ask', fails: this.db.asks.get(key)?.state !== 'PENDING' }, this.db.applicationStep(applicationId, change)], () => {
        const stored = this.db.asks.get(key);
        if (!stored) throw new Error(`ask ${key} does not exist`);
        this.db.asks.set(key, { ...stored, state: 'TIMED_OUT' });
        this.db.applyChange(applicationId, change);
      });
    } catch (error) {
      if (!(error instanceof WriteConflict && (error.entity === 'ask' || error.entity === 'application-step'))) throw error;
    }
    const ask = this.db.asks.get(key);
    if (!ask) throw new Error(`ask of ${lenderId} on ${applicationId} does not exist`);
    return withoutToken(ask);
  }

  async setDisbursementToken(applicationId: string, taskToken: string): Promise<void> {
    const stored = this.db.applications.get(applicationId);
    if (!stored) throw new ConditionalCheckFailed(`application ${applicationId} does not exist`);
    stored.disbursementTaskToken = taskToken;
  }

  /** As the adapter: the token only while the application awaits its disbursement. */
  async disbursementToken(applicationId: string): Promise<string | null> {
    const stored = this.db.applications.get(applicationId);
    return stored?.record.status === 'AWAITING_DISBURSEMENT' ? (stored.disbursementTaskToken ?? null) : null;
  }

  private asksOf(applicationId: string): StoredAsk[] {
    return [...this.db.asks.entries()]
      .filter(([key]) => key.startsWith(`${applicationId}#`))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, ask]) => ask);
  }
}

/** Quota shards, reservations and exposures, with the adapter's conditions (see DynamoExposureStore). */
export class InMemoryExposureStore implements ExposureStore {
  constructor(private readonly db: InMemoryDb) {}

  /** The lender's stored shards in key order (`SHARD#00` … `SHARD#07`); shards never written are absent. */
  async quotaShards(lenderId: string): Promise<QuotaShard[]> {
    return [...this.db.quotas.entries()]
      .filter(([, s]) => s.lenderId === lenderId)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, s]) => copy(s));
  }

  async reservations(applicationId: string): Promise<Reservation[]> {
    return [...this.db.reservations.entries()]
      .filter(([key]) => key.startsWith(`${applicationId}#`))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, r]) => copy(r));
  }

  /** The new reservation (none may exist) and every shard it takes from, each on the version read. */
  async reserve(reservation: Reservation, changes: readonly QuotaChange[]): Promise<void> {
    const key = pairKey(reservation.applicationId, reservation.lenderId);
    const guards = [{ entity: 'reservation', fails: this.db.reservations.has(key) }, ...this.db.quotaShards(changes)];
    this.db.transact(guards, () => {
      this.db.reservations.set(key, copy(reservation));
      this.db.setQuotaShards(changes);
    });
  }

  /** The reservation from RESERVED and every shard it goes back to, each on the version read. */
  async release(reservation: Reservation, changes: readonly QuotaChange[]): Promise<void> {
    const guards = [this.db.reservationIn(reservation, 'RESERVED'), ...this.db.quotaShards(changes)];
    this.db.transact(guards, () => {
      this.db.setReservationState(reservation);
      this.db.setQuotaShards(changes);
    });
  }

  async borrowerExposure(borrowerId: string): Promise<BorrowerExposure> {
    return copy(this.db.exposures.get(borrowerId) ?? noBorrowerExposure(borrowerId));
  }

  /** The lender's principal shards in key order; shards never written are absent. */
  async principalShards(lenderId: string): Promise<PrincipalShard[]> {
    return [...this.db.principalShards.entries()]
      .filter(([, s]) => s.lenderId === lenderId)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, s]) => copy(s));
  }

  async borrowerPrincipal(borrowerId: string): Promise<BorrowerPrincipal> {
    return copy(this.db.borrowerPrincipals.get(borrowerId) ?? noBorrowerPrincipal(borrowerId));
  }

  async person(identityHash: string): Promise<Person> {
    return copy(this.db.persons.get(identityHash) ?? noPerson(identityHash));
  }
}

/** A person's items (S41, S42) and the loans and applications they list, as DynamoPersonStore reads them. */
export class InMemoryPersonStore implements PersonStore {
  constructor(private readonly db: InMemoryDb) {}

  async person(identityHash: string): Promise<Person> {
    return copy(this.db.persons.get(identityHash) ?? noPerson(identityHash));
  }

  /** In key order: `REF#APP#…` before `REF#LOAN#…`, each by id. */
  async refsOfPerson(identityHash: string, request: PageRequest): Promise<Page<PersonRef>> {
    const key = (r: PersonRef) => `REF#${r.kind === 'LOAN' ? 'LOAN' : 'APP'}#${r.id}`;
    return pageOf(`BORROWER#PERSON#${identityHash}`, [...this.db.personRefs.values()].filter((r) => r.identityHash === identityHash), key, request);
  }

  async loansOfPerson(loanIds: readonly string[]): Promise<PersonLoan[]> {
    return loanIds.flatMap((loanId) => {
      const loan = this.db.loans.get(loanId);
      if (loan === undefined) return [];
      const principalOutstandingMinor = [...this.db.positions.values()].filter((p) => p.loanId === loanId).reduce((n, p) => n + (p.balancesMinor.PRINCIPAL_RECEIVABLE ?? 0n), 0n);
      const state = this.db.repaymentLedgers.get(loanId)?.state ?? null;
      return [{ loan: copy(loan), principalOutstandingMinor, writtenOff: state?.writtenOff != null, compensated: state?.compensated === true }];
    });
  }

  async applicationsOfPerson(applicationIds: readonly string[]): Promise<ApplicationRecord[]> {
    return applicationIds.flatMap((id) => {
      const stored = this.db.applications.get(id);
      return stored === undefined ? [] : [copy(stored.record)];
    });
  }
}

/** A clock that stands still until a test moves it. */
export interface FrozenClock extends Clock {
  set(instant: string): void;
}

export function frozenClock(at: string = NOW): FrozenClock {
  let instant = at;
  return {
    now: () => instant,
    set: (next) => {
      instant = next;
    },
  };
}

/** Records every start; a name started again returns the same execution, as Step Functions does. */
export class RecordingWorkflowStarter implements WorkflowStarter {
  readonly starts: { name: string; input: unknown }[] = [];

  constructor(private readonly stateMachineArn = 'arn:aws:states:cn-north-1:123456789012:stateMachine:LedgerCheck') {}

  async start(name: string, input: unknown): Promise<{ executionArn: string }> {
    this.starts.push({ name, input: copy(input) });
    return { executionArn: `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}` };
  }
}

/** Records every resumption; a token marked gone (timed out, already resumed) answers false and records nothing. */
export class RecordingTaskResumer implements TaskResumer {
  readonly succeeded: { taskToken: string; output: unknown }[] = [];
  readonly failed: { taskToken: string; error: string; cause: string }[] = [];
  private readonly gone = new Set<string>();

  markGone(taskToken: string): void {
    this.gone.add(taskToken);
  }

  async succeed(taskToken: string, output: unknown): Promise<boolean> {
    if (this.gone.has(taskToken)) return false;
    this.succeeded.push({ taskToken, output: copy(output) });
    return true;
  }

  async fail(taskToken: string, error: string, cause: string): Promise<boolean> {
    if (this.gone.has(taskToken)) return false;
    this.failed.push({ taskToken, error, cause });
    return true;
  }
}

/** Records every review request sent to a partner. */
export class RecordingNotifier implements PartnerNotifier {
  readonly sent: { lenderId: string; request: ReviewRequested }[] = [];

  async reviewRequested(lender: Lender, request: ReviewRequested): Promise<void> {
    this.sent.push({ lenderId: lender.lenderId, request: copy(request) });
  }
}

/** The webhook secret store in memory: the same sets the adapters keep, by lender id. */
export class InMemoryWebhookSecrets implements WebhookSecrets {
  readonly sets = new Map<string, WebhookSecretSet>();
  writes = 0;

  async get(lenderId: string): Promise<WebhookSecretSet | null> {
    const set = this.sets.get(lenderId);
    return set === undefined ? null : copy(set);
  }

  async put(lenderId: string, secret: string, now: string): Promise<WebhookSecretSet> {
    return this.keep(lenderId, registered(this.sets.get(lenderId) ?? null, secret, now));
  }

  async rotate(lenderId: string, secret: string, now: string): Promise<WebhookSecretSet> {
    const stored = this.sets.get(lenderId);
    if (stored === undefined) throw new NotFound('webhookSecret', lenderId);
    return this.keep(lenderId, rotated(stored, secret, now));
  }

  private keep(lenderId: string, set: WebhookSecretSet): WebhookSecretSet {
    if (this.sets.get(lenderId) !== set) {
      this.sets.set(lenderId, set);
      this.writes++;
    }
    return copy(set);
  }
}

export function createInMemoryStores(at: string = NOW) {
  const db = new InMemoryDb();
  return {
    db,
    idempotency: new InMemoryIdempotencyStore(db),
    lenders: new InMemoryLenderStore(db),
    programs: new InMemoryProgramStore(db),
    loans: new InMemoryLoanStore(db),
    ledger: new InMemoryLedgerStore(db),
    ledgerChecks: new InMemoryLedgerCheckStore(db),
    runDetails: new InMemoryRunDetailStore(),
    applications: new InMemoryApplicationStore(db),
    exposure: new InMemoryExposureStore(db),
    people: new InMemoryPersonStore(db),
    repayments: new InMemoryRepaymentStore(db),
    riskRuns: new InMemoryRiskRunStore(db),
    programPools: new InMemoryProgramPoolStore(db),
    calendars: new InMemoryCalendarStore(db),
    bankFormats: new InMemoryBankFormatStore(db),
    settlements: new InMemorySettlementStore(db),
    profitRuns: new InMemoryProfitRunStore(),
    regulatoryFigures: new InMemoryRegulatoryFiguresStore(db),
    regulatoryReports: new InMemoryRegulatoryReportStore(),
    breaks: new InMemoryBreakStore(db),
    adjustments: new InMemoryAdjustmentStore(),
    workflow: new RecordingWorkflowStarter(),
    review: new RecordingWorkflowStarter('arn:aws:states:cn-north-1:123456789012:stateMachine:JointReview'),
    tasks: new RecordingTaskResumer(),
    notifier: new RecordingNotifier(),
    webhookSecrets: new InMemoryWebhookSecrets(),
    personalData: new LocalKeyFileCipher(TEST_KEY_FILE),
    clock: frozenClock(at),
  };
}
export type InMemoryStores = ReturnType<typeof createInMemoryStores>;

/** A booked loan as `bookLoan` leaves it: the loan, its disbursement entry, a position per lender and its head. */
export function seedBookedLoan(stores: InMemoryStores, loan: Loan): Loan {
  const entry = disbursementEntry(loan, NOW);
  stores.db.loans.set(loan.loanId, structuredClone(loan));
  stores.db.entries.set(`${loan.loanId}#${entry.entryId}`, entry);
  for (const part of loan.fundingPlan) {
    stores.db.positions.set(`${loan.loanId}#${part.lenderId}`, applyEntry(openPosition(part.lenderId, loan.loanId, loan.currency), entry));
  }
  stores.db.repaymentLedgers.set(loan.loanId, { ...emptyLedger(loan.loanId), version: 1 });
  return loan;
}

/** Seeds records directly, as if earlier writes had stored them. */
export function seed(
  stores: InMemoryStores,
  records: {
    lenders?: readonly Lender[];
    programs?: readonly Program[];
    quotas?: readonly QuotaShard[];
    exposures?: readonly BorrowerExposure[];
    reservations?: readonly Reservation[];
  },
): void {
  const { db } = stores;
  for (const lender of records.lenders ?? []) db.lenders.set(lender.lenderId, copy(lender));
  for (const program of records.programs ?? []) db.programs.set(`${program.programId}#${program.version}`, copy(program));
  for (const shard of records.quotas ?? []) db.quotas.set(quotaKey(shard.lenderId, shard.shard), copy(shard));
  for (const exposure of records.exposures ?? []) db.exposures.set(exposure.borrowerId, copy(exposure));
  for (const r of records.reservations ?? []) db.reservations.set(pairKey(r.applicationId, r.lenderId), copy(r));
}

/** Seeds an application (and its asks) in the state a test starts from. */
export function seedApplication(stores: InMemoryStores, record: ApplicationRecord, asks: readonly StoredAsk[] = [], steps: readonly string[] = ['Submitted']): void {
  stores.db.applications.set(record.application.applicationId, { record: copy(record), steps: new Set(steps), disbursementTaskToken: null });
  for (const ask of asks) stores.db.asks.set(pairKey(ask.applicationId, ask.lenderId), copy(ask));
}

/** A seal as runIdempotent makes it, for calling a use case directly. */
export function sealFor(scopeKey: string, createdAt: string = NOW, requestHash = 'f'.repeat(64)) {
  return (statusCode: number, body: unknown): IdempotencyRecord => ({ scopeKey, requestHash, statusCode, responseBody: toJson(body), createdAt, expiresAtEpochSeconds: expiresAtEpochSeconds(createdAt) });
}

/** Settlement runs, shards, instructions and closing balances, kept as the adapter keeps them; loan heads read from the book. */
export class InMemorySettlementStore implements SettlementStore, SettlementBooks, SettlementRunIndex {
  readonly runs = new Map<string, SettlementRun>();
  readonly shardItems = new Map<string, SettlementShard>();
  readonly stored = new Map<string, StoredInstruction>();
  readonly balances = new Map<string, LenderBalances>();

  constructor(private readonly db: InMemoryDb = new InMemoryDb()) {}

  async loanHeads(loanIds: readonly string[]): Promise<LoanHeadView[]> {
    return [...new Set(loanIds)].flatMap((loanId) => {
      const ledger = this.db.repaymentLedgers.get(loanId);
      if (ledger === undefined) return [];
      const positions = [...this.db.positions.values()].filter((p) => p.loanId === loanId).sort((a, b) => (a.lenderId < b.lenderId ? -1 : 1));
      return [{ loanId, positions: positions.map(copy), risk: ledger.risk === undefined ? null : copy(ledger.risk) }];
    });
  }

  async putLenderBalances(balances: LenderBalances): Promise<void> {
    this.balances.set(`${balances.businessDate}#${balances.lenderId}`, copy(balances));
  }

  async lenderBalances(businessDate: string): Promise<LenderBalances[]> {
    return [...this.balances.values()].filter((b) => b.businessDate === businessDate).sort((a, b) => (a.lenderId < b.lenderId ? -1 : 1)).map(copy);
  }

  /** Each lender's profit lines of a kept day, by `{day}#{lenderId}`, and the days kept. */
  readonly profitDays = new Map<string, LenderProfitDay>();
  readonly daysKept = new Set<string>();

  async putProfitDay(day: string, lenders: readonly LenderProfitDay[]): Promise<void> {
    for (const l of lenders) this.profitDays.set(`${day}#${l.lenderId}`, copy({ ...l, day }));
    this.daysKept.add(day);
  }

  async profitDaysKept(month: string): Promise<string[]> {
    return [...this.daysKept].filter((day) => day.startsWith(`${month}-`)).sort();
  }

  async lenderProfitDays(lenderId: string, from: string, to: string): Promise<LenderProfitDay[]> {
    return [...this.profitDays.values()].filter((d) => d.lenderId === lenderId && d.day >= from && d.day <= to).sort((a, b) => (a.day < b.day ? -1 : 1)).map(copy);
  }

  async getRun(businessDate: string): Promise<SettlementRun | null> {
    const run = this.runs.get(businessDate);
    return run ? copy(run) : null;
  }

  async latestRuns(range: { readonly from?: string; readonly to?: string }, request: PageRequest): Promise<Page<ListedSettlementRun>> {
    const dates = [...this.runs.keys()].filter((d) => (range.from === undefined || d >= range.from) && (range.to === undefined || d <= range.to)).sort().reverse();
    const position = new Map(dates.map((d, i) => [d, String(i).padStart(8, '0')]));
    const page = pageOf('SETTLEMENTRUNS', dates, (d) => position.get(d) ?? '', request);
    return {
      items: page.items.map((d) => {
        const { files: _files, ...listed } = copy(this.runs.get(d)!);
        return listed;
      }),
      cursor: page.cursor,
    };
  }

  async settledItems(businessDate: string): Promise<SettlementItem[]> {
    return (await this.shards(businessDate)).flatMap((shard) => shard.items);
  }

  async previousRun(businessDate: string): Promise<SettlementRun | null> {
    const before = [...this.runs.keys()].filter((d) => d < businessDate).sort();
    return before.length === 0 ? null : this.getRun(before.at(-1)!);
  }

  async putRun(run: SettlementRun, expectedAttempt: number): Promise<void> {
    const current = this.runs.get(run.businessDate);
    if ((current?.attempt ?? 0) !== expectedAttempt) throw new WriteConflict(expectedAttempt === 0 ? 'ALREADY_EXISTS' : 'VERSION', 'settlement-run');
    this.runs.set(run.businessDate, copy(run));
  }

  async putShard(shard: SettlementShard): Promise<void> {
    this.shardItems.set(`${shard.businessDate}#${shard.shard}`, copy(shard));
  }

  async shards(businessDate: string): Promise<SettlementShard[]> {
    return [...this.shardItems.values()].filter((s) => s.businessDate === businessDate).sort((a, b) => a.shard - b.shard).map(copy);
  }

  async putInstructions(instructions: readonly PayoutInstruction[]): Promise<StoredInstruction[]> {
    return instructions.map((i) => {
      const key = `${i.businessDate}#${i.instructionId}`;
      if (!this.stored.has(key)) this.stored.set(key, copy({ ...i, executed: null }));
      return copy(this.stored.get(key)!);
    });
  }

  async instructions(businessDate: string): Promise<StoredInstruction[]> {
    return [...this.stored.values()].filter((i) => i.businessDate === businessDate).sort((a, b) => (a.instructionId < b.instructionId ? -1 : 1)).map(copy);
  }

  async recordExecution(businessDate: string, instructionId: string, executed: NonNullable<StoredInstruction['executed']>): Promise<StoredInstruction> {
    const key = `${businessDate}#${instructionId}`;
    const current = this.stored.get(key);
    if (current === undefined || current.executed !== null) throw new WriteConflict('ALREADY_EXISTS', 'instruction-execution');
    this.stored.set(key, { ...current, executed: { ...executed } });
    return copy(this.stored.get(key)!);
  }

  async openInstructions(): Promise<StoredInstruction[]> {
    return this.byIndex((i) => i.executed === null);
  }

  async instructionsExecutedOn(day: string): Promise<StoredInstruction[]> {
    return this.byIndex((i) => i.executed !== null && executedOn(i.executed) === day);
  }

  /** In the order of the R6 index: value date, then id. */
  private byIndex(keep: (i: StoredInstruction) => boolean): StoredInstruction[] {
    const order = (i: StoredInstruction): string => `${i.valueDate}#${i.instructionId}`;
    return [...this.stored.values()].filter(keep).sort((a, b) => (order(a) < order(b) ? -1 : 1)).map(copy);
  }
}

/** Profit-sharing runs and the parties' statements, kept as the adapter keeps them. */
export class InMemoryProfitRunStore implements ProfitRunStore {
  readonly runs = new Map<string, ProfitRun>();
  readonly stored = new Map<string, StoredProfitStatement>();

  async getRun(programId: string, period: string): Promise<ProfitRun | null> {
    const run = this.runs.get(`${programId}#${period}`);
    return run ? copy(run) : null;
  }

  async putRun(run: ProfitRun, expectedAttempt: number): Promise<void> {
    const key = `${run.programId}#${run.period}`;
    if ((this.runs.get(key)?.attempt ?? 0) !== expectedAttempt) throw new WriteConflict(expectedAttempt === 0 ? 'ALREADY_EXISTS' : 'VERSION', 'profit-run');
    this.runs.set(key, copy(run));
  }

  async putStatement(statement: StoredProfitStatement): Promise<void> {
    this.stored.set(`${statement.lenderId}#${statement.period}#${statement.programId}`, copy(statement));
  }

  async statements(lenderId: string, period: string): Promise<StoredProfitStatement[]> {
    return [...this.stored.entries()].filter(([key]) => key.startsWith(`${lenderId}#${period}#`)).sort(([a], [b]) => (a < b ? -1 : 1)).map(([, s]) => copy(s));
  }
}

/** A bank's dated regulatory figures, each version written once with its idempotency record, as the adapter does. */
export class InMemoryRegulatoryFiguresStore implements RegulatoryFiguresStore {
  /** `{lenderId}#{effectiveDate}#{version}` */
  readonly stored = new Map<string, RegulatoryFigures>();
  constructor(private readonly db: InMemoryDb) {}

  async versions(lenderId: string): Promise<RegulatoryFigures[]> {
    return [...this.stored.values()].filter((f) => f.lenderId === lenderId).map(copy);
  }

  async put(figures: RegulatoryFigures, idempotency: IdempotencyRecord): Promise<void> {
    const key = `${figures.lenderId}#${figures.effectiveDate}#${figures.version}`;
    this.db.transact([this.db.idempotencyItem(idempotency), { entity: 'regulatory-figures', fails: this.stored.has(key) }], () => {
      this.db.idempotency.set(idempotency.scopeKey, copy(idempotency));
      this.stored.set(key, copy(figures));
    });
  }
}

/** Regulatory report runs and their shards, kept as the adapter keeps them. */
export class InMemoryRegulatoryReportStore implements RegulatoryReportStore {
  readonly runs = new Map<string, RegulatoryReportRun>();
  readonly shardItems = new Map<string, RegulatoryReportShard>();

  async getRun(businessDate: string): Promise<RegulatoryReportRun | null> {
    const run = this.runs.get(businessDate);
    return run ? copy(run) : null;
  }

  async putRun(run: RegulatoryReportRun, expectedAttempt: number): Promise<void> {
    if ((this.runs.get(run.businessDate)?.attempt ?? 0) !== expectedAttempt) throw new WriteConflict(expectedAttempt === 0 ? 'ALREADY_EXISTS' : 'VERSION', 'regulatory-report-run');
    this.runs.set(run.businessDate, copy(run));
  }

  async putShard(shard: RegulatoryReportShard): Promise<void> {
    this.shardItems.set(`${shard.businessDate}#${shard.shard}`, copy(shard));
  }

  async shards(businessDate: string): Promise<RegulatoryReportShard[]> {
    return [...this.shardItems.values()].filter((s) => s.businessDate === businessDate).sort((a, b) => a.shard - b.shard).map(copy);
  }
}

/** R2 in memory: the same upsert, version and listing rules as the DynamoDB store (by state, then lender, opening day and id). */
export class InMemoryBreakStore implements BreakStore {
  readonly breaks = new Map<string, ReconciliationBreak>();

  /** The tables the idempotency records of break actions go to, written with the break. */
  constructor(private readonly db: InMemoryDb = new InMemoryDb()) {}

  async get(breakId: string): Promise<ReconciliationBreak | null> {
    const found = this.breaks.get(breakId);
    return found ? copy(found) : null;
  }

  async getMany(breakIds: readonly string[]): Promise<ReconciliationBreak[]> {
    return breakIds.flatMap((id) => (this.breaks.has(id) ? [copy(this.breaks.get(id)!)] : []));
  }

  async upsertFound(breaks: readonly ReconciliationBreak[]): Promise<ReconciliationBreak[]> {
    const written: ReconciliationBreak[] = [];
    for (const found of breaks) {
      const current = this.breaks.get(found.breakId);
      const next = breakFoundAgain(current ?? null, found);
      this.breaks.set(found.breakId, copy(next));
      written.push(copy(next));
    }
    return written;
  }

  async put(changed: ReconciliationBreak, expectedVersion: number, idempotency?: IdempotencyRecord): Promise<void> {
    if ((this.breaks.get(changed.breakId)?.version ?? 0) !== expectedVersion) throw new WriteConflict(expectedVersion === 0 ? 'ALREADY_EXISTS' : 'VERSION', 'reconciliation-break');
    this.db.transact(idempotency ? [this.db.idempotencyItem(idempotency)] : [], () => {
      if (idempotency) this.db.idempotency.set(idempotency.scopeKey, copy(idempotency));
      this.breaks.set(changed.breakId, copy(changed));
    });
  }

  async list(query: BreakQuery): Promise<Page<ReconciliationBreak>> {
    const order = (b: ReconciliationBreak): string => `${BREAK_STATES.indexOf(b.state)}#${b.lenderId}#${b.openedOn}#${b.breakId}`;
    const all = [...this.breaks.values()]
      .filter((b) => (query.state === undefined || b.state === query.state) && (query.lenderId === undefined || b.lenderId === query.lenderId))
      .sort((a, b) => (order(a) < order(b) ? -1 : 1));
    return pageOf(`BREAKS#${query.state ?? ''}#${query.lenderId ?? ''}`, all, order, query);
  }
}

/** R1, R3, R4 in memory, with the DynamoDB store's conditions. */
export class InMemoryReconciliationStore implements ReconciliationStore {
  /** The database whose idempotency records a settings version is written with. */
  constructor(private readonly db: InMemoryDb = new InMemoryDb()) {}

  readonly uploads = new Map<string, ReconciliationUpload>();
  readonly reconciliations = new Map<string, Reconciliation>();
  /** `{counterparty}#{version}` */
  readonly settingsVersions = new Map<string, ReconciliationSettings>();

  async putUpload(upload: ReconciliationUpload): Promise<void> {
    if (this.uploads.has(upload.uploadId)) throw new WriteConflict('ALREADY_EXISTS', 'reconciliation-upload');
    this.uploads.set(upload.uploadId, copy(upload));
  }

  async getUpload(uploadId: string): Promise<ReconciliationUpload | null> {
    const found = this.uploads.get(uploadId);
    return found ? copy(found) : null;
  }

  async get(reconciliationId: string): Promise<Reconciliation | null> {
    const found = this.reconciliations.get(reconciliationId);
    return found ? copy(found) : null;
  }

  async put(r: Reconciliation, expectedVersion: number): Promise<void> {
    if ((this.reconciliations.get(r.reconciliationId)?.version ?? 0) !== expectedVersion) throw new WriteConflict(expectedVersion === 0 ? 'ALREADY_EXISTS' : 'VERSION', 'reconciliation');
    this.reconciliations.set(r.reconciliationId, copy(r));
  }

  async ofDate(businessDate: string): Promise<Reconciliation[]> {
    return [...this.reconciliations.values()].filter((r) => r.businessDate === businessDate).sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0)).map(copy);
  }

  async pageOfDate(businessDate: string, request: PageRequest): Promise<Page<Reconciliation>> {
    return pageOf(`RECONS#${businessDate}`, [...this.reconciliations.values()].filter((r) => r.businessDate === businessDate), (r) => `${r.type}#${r.counterparty}#${r.reconciliationId}`, request);
  }

  async settings(counterparty: string): Promise<ReconciliationSettings | null> {
    const all = [...this.settingsVersions.values()].filter((s) => s.counterparty === counterparty).sort((a, b) => b.version - a.version);
    return all[0] ? copy(all[0]) : null;
  }

  async putSettings(settings: ReconciliationSettings, idempotency: IdempotencyRecord): Promise<void> {
    const key = `${settings.counterparty}#${settings.version}`;
    this.db.transact([{ entity: 'reconciliation-settings', fails: this.settingsVersions.has(key) }, this.db.idempotencyItem(idempotency)], () => {
      this.settingsVersions.set(key, copy(settings));
      this.db.idempotency.set(idempotency.scopeKey, copy(idempotency));
    });
  }
}

/** R5 in memory: created once, written on the version read, listed per state by proposal time and id, as the DynamoDB store does. */
export class InMemoryAdjustmentStore implements AdjustmentStore {
  readonly adjustments = new Map<string, Adjustment>();

  async get(adjustmentId: string): Promise<Adjustment | null> {
    const found = this.adjustments.get(adjustmentId);
    return found ? copy(found) : null;
  }

  async create(adjustment: Adjustment): Promise<void> {
    if (this.adjustments.has(adjustment.adjustmentId)) throw new WriteConflict('ALREADY_EXISTS', 'adjustment');
    this.adjustments.set(adjustment.adjustmentId, copy(adjustment));
  }

  async put(changed: Adjustment, expectedVersion: number): Promise<void> {
    if (this.adjustments.get(changed.adjustmentId)?.version !== expectedVersion) throw new WriteConflict('VERSION', 'adjustment');
    this.adjustments.set(changed.adjustmentId, copy(changed));
  }

  async list(query: AdjustmentQuery): Promise<Page<Adjustment>> {
    const order = (a: Adjustment): string => `${a.proposedAt}#${a.adjustmentId}`;
    const all = [...this.adjustments.values()]
      .filter((a) => a.state === query.state && (query.lenderId === null || a.lenderId === query.lenderId || a.counterparty === query.lenderId))
      .sort((a, b) => (order(a) < order(b) ? -1 : 1));
    return pageOf(`ADJUSTMENTS#${query.state}#${query.lenderId ?? ''}`, all, order, query);
  }
}
