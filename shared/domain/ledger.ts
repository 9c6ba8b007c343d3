import { invariant } from './errors.ts';
import { EXACT_NUMBER_LIMIT } from './money/exact-number.ts';

/** Each lender's book (chart of accounts), DESIGN section 6. */
export const ACCOUNTS = [
  'PRINCIPAL_RECEIVABLE',
  'INTEREST_RECEIVABLE',
  'INTEREST_INCOME',
  'FEE_INCOME',
  /** Fees a lender pays out of its interest to another party (docs/fees.md). */
  'FEE_EXPENSE',
  'PENALTY_INCOME',
  'SETTLEMENT_CLEARING',
  'GUARANTEE_RECEIVABLE',
  'SUSPENSE',
  'LOSSES',
] as const;
export type Account = (typeof ACCOUNTS)[number];

export type EventType = 'DISBURSEMENT' | 'REPAYMENT' | 'REVERSAL' | 'REBOOK' | 'COMPENSATION' | 'WRITE_OFF' | 'TRANSFER' | 'FEE' | 'BUYBACK' | 'ADJUSTMENT';

/**
 * What money moving between two parties is for, in settlement (docs/settlement.md): a
 * SETTLEMENT_CLEARING leg names it when its book clears with more than one counterparty in the
 * entry; otherwise settlement reads it from the book's other legs.
 */
export const SETTLEMENT_COMPONENTS = ['PRINCIPAL', 'INTEREST', 'PENALTY', 'FEE', 'SUSPENSE', 'GUARANTEE', 'LOSS'] as const;
export type SettlementComponent = (typeof SETTLEMENT_COMPONENTS)[number];

export interface Leg {
  readonly lenderId: string;
  readonly account: Account;
  readonly side: 'DEBIT' | 'CREDIT';
  readonly amountMinor: bigint;
  /** The other party of a settlement-clearing leg (a lender id, or ESCROW for the collection account). */
  readonly counterparty: string | null;
  /** A settlement-clearing leg's component, when the book's other legs cannot tell it. */
  readonly component?: SettlementComponent;
}

export interface JournalEntry {
  /** Derived from the event, so one event books one entry however often it is delivered. */
  readonly entryId: string;
  readonly eventType: EventType;
  readonly eventId: string;
  readonly loanId: string;
  readonly currency: string;
  readonly businessDate: string;
  readonly legs: readonly Leg[];
  readonly createdAt: string;
  /** A reversal names the entry it cancels; absent on every other entry. */
  readonly reverses?: string;
  /**
   * The settlement day the entry was booked in: the date in the program's time zone at booking,
   * the next day when booked at or after the cut-off time (business-date.ts, `cutoffDayAt`).
   * Settlement gathers entries by it, so an entry booked late for an earlier value date is settled
   * in the run after its booking and never rewrites a settled date. Absent on entries booked
   * before it existed: their value date stands in.
   */
  readonly bookedOn?: string;
  /** The program (and version) whose settlement terms settle the entry; absent on entries booked before it existed. */
  readonly programId?: string;
  readonly programVersion?: number;
}

/** Balances per account, debit-positive: a debit adds, a credit subtracts. */
export type Balances = Readonly<Partial<Record<Account, bigint>>>;

export interface Position {
  readonly lenderId: string;
  readonly loanId: string;
  readonly currency: string;
  readonly balancesMinor: Balances;
  /** Count of entries folded in; the expected version of the next write. */
  readonly version: number;
}

export const ESCROW = 'ESCROW';

export function entryIdOf(eventType: EventType, eventId: string): string {
  return `${eventType}#${eventId}`;
}

export interface BookImbalance {
  readonly lenderId: string;
  readonly debitMinor: bigint;
  readonly creditMinor: bigint;
}

/** Books of an entry whose debits differ from their credits (none for a valid entry). */
export function imbalances(entry: Pick<JournalEntry, 'legs'>): BookImbalance[] {
  const books = new Map<string, { debitMinor: bigint; creditMinor: bigint }>();
  for (const leg of entry.legs) {
    const book = books.get(leg.lenderId) ?? { debitMinor: 0n, creditMinor: 0n };
    if (leg.side === 'DEBIT') book.debitMinor += leg.amountMinor;
    else book.creditMinor += leg.amountMinor;
    books.set(leg.lenderId, book);
  }
  return [...books].filter(([, b]) => b.debitMinor !== b.creditMinor).map(([lenderId, b]) => ({ lenderId, ...b }));
}

/** Stops before any write if an entry is empty, has a non-positive leg, or does not balance. */
export function assertBalanced(entry: JournalEntry): JournalEntry {
  const legs = entry.legs;
  if (legs.length === 0) invariant(false, 'a journal entry has at least one leg', { entryId: entry.entryId });
  // One pass, details built only on failure: every booking of a repayment runs this. Legs of a book
  // usually come together, and when every run of one book's legs nets to zero, every book does.
  // Runs are added up in bigint: exact whatever the amounts, and cheaper than converting each
  // amount to a number. Anything else is settled book by book.
  let quick = true;
  let runBook = legs[0]!.lenderId;
  let runNet = 0n;
  for (let i = 0; i < legs.length; i++) {
    const leg = legs[i]!;
    const amount: unknown = leg.amountMinor;
    // An amount that is not a bigint (never so when typed) is judged as it always was, as a number.
    if (typeof amount !== 'bigint') return assertBalancedInNumbers(entry);
    if (!(amount > 0n)) {
      invariant(false, 'every leg amount is positive', { entryId: entry.entryId, leg: leg.account, lenderId: leg.lenderId });
    }
    if (leg.lenderId !== runBook) {
      if (runNet !== 0n) quick = false;
      runBook = leg.lenderId;
      runNet = 0n;
    }
    runNet = leg.side === 'DEBIT' ? runNet + amount : runNet - amount;
  }
  if (quick && runNet === 0n) return entry;
  return assertBooksBalance(entry);
}

/**
 * The same check with each amount taken as Number() of it: an amount that is not a bigint is
 * judged by its number, as it always was.
 */
function assertBalancedInNumbers(entry: JournalEntry): JournalEntry {
  const legs = entry.legs;
  let quick = true;
  let runBook = legs[0]!.lenderId;
  let runNet = 0;
  for (let i = 0; i < legs.length; i++) {
    const leg = legs[i]!;
    // Number() keeps the sign and the order of a bigint: this is the bigint's own comparison with 0
    // and with the limit, and below the limit it is the amount exactly.
    const amount = Number(leg.amountMinor);
    if (!(amount > 0)) {
      invariant(false, 'every leg amount is positive', { entryId: entry.entryId, leg: leg.account, lenderId: leg.lenderId });
    }
    if (leg.lenderId !== runBook) {
      if (runNet !== 0) quick = false;
      runBook = leg.lenderId;
      runNet = 0;
    }
    if (amount < EXACT_NUMBER_LIMIT) runNet = leg.side === 'DEBIT' ? runNet + amount : runNet - amount;
    else quick = false;
    if (!(runNet < EXACT_NUMBER_LIMIT && runNet > -EXACT_NUMBER_LIMIT)) quick = false;
  }
  if (quick && runNet === 0) return entry;
  return assertBooksBalance(entry);
}

function assertBooksBalance(entry: JournalEntry): JournalEntry {
  const books = imbalances(entry);
  if (books.length > 0) {
    invariant(false, 'a journal entry balances in every book', {
      entryId: entry.entryId,
      books: books.map((b) => ({ lenderId: b.lenderId, debitMinor: b.debitMinor.toString(), creditMinor: b.creditMinor.toString() })),
    });
  }
  return entry;
}

export function applyLegs(balances: Balances, legs: readonly Leg[]): Balances {
  const next: Partial<Record<Account, bigint>> = { ...balances };
  for (const leg of legs) {
    const signed = leg.side === 'DEBIT' ? leg.amountMinor : -leg.amountMinor;
    next[leg.account] = (next[leg.account] ?? 0n) + signed;
  }
  return next;
}

/** Balances as they were before some legs were applied: a position at the end of an earlier date. */
export function balancesBefore(balances: Balances, legs: readonly Leg[]): Balances {
  return applyLegs(balances, legs.map((leg): Leg => ({ ...leg, side: leg.side === 'DEBIT' ? 'CREDIT' : 'DEBIT' })));
}

/** A lender's position in a loan after one more entry; the entry's legs for other lenders are ignored. */
export function applyEntry(position: Position, entry: JournalEntry): Position {
  return applyEntries(position, [entry]);
}

/**
 * A lender's position after the entries of one change, written together (a payment and the
 * rebooking of the payments it alters). The principal is checked once, after all of them: between
 * two entries of one change it may dip below zero (a payoff valued before a payment that had
 * repaid principal, ahead of that payment's rebooking), and no position is ever stored there.
 */
export function applyEntries(position: Position, entries: readonly JournalEntry[]): Position {
  let balancesMinor = position.balancesMinor;
  for (const entry of entries) {
    const legs = entry.legs.filter((l) => l.lenderId === position.lenderId);
    invariant(legs.length > 0, 'an entry only changes the positions of lenders it has legs for', {
      entryId: entry.entryId,
      lenderId: position.lenderId,
    });
    balancesMinor = applyLegs(balancesMinor, legs);
  }
  invariant((balancesMinor.PRINCIPAL_RECEIVABLE ?? 0n) >= 0n, 'no lender principal is ever negative', {
    entryId: entries.at(-1)?.entryId ?? null,
    lenderId: position.lenderId,
  });
  return { ...position, balancesMinor, version: position.version + entries.length };
}

export function openPosition(lenderId: string, loanId: string, currency: string): Position {
  return { lenderId, loanId, currency, balancesMinor: {}, version: 0 };
}

/**
 * Positions recomputed from entries alone: what the stored positions must always equal. The
 * principal is checked after all the entries (see `applyEntries`).
 */
export function foldEntries(loanId: string, entries: readonly JournalEntry[]): Map<string, Position> {
  const byLender = new Map<string, { currency: string; entries: JournalEntry[] }>();
  for (const entry of entries) {
    for (const lenderId of new Set(entry.legs.map((l) => l.lenderId))) {
      const own = byLender.get(lenderId) ?? { currency: entry.currency, entries: [] };
      own.entries.push(entry);
      byLender.set(lenderId, own);
    }
  }
  const positions = new Map<string, Position>();
  for (const [lenderId, own] of byLender) positions.set(lenderId, applyEntries(openPosition(lenderId, loanId, own.currency), own.entries));
  return positions;
}

export function outstandingPrincipalMinor(position: Pick<Position, "balancesMinor">): bigint {
  return position.balancesMinor.PRINCIPAL_RECEIVABLE ?? 0n;
}

/** Differences between two balance sets, per account (empty when they agree). */
export function balanceDifferences(expected: Balances, actual: Balances): { account: Account; expectedMinor: bigint; actualMinor: bigint }[] {
  return ACCOUNTS.map((account) => ({ account, expectedMinor: expected[account] ?? 0n, actualMinor: actual[account] ?? 0n })).filter(
    (d) => d.expectedMinor !== d.actualMinor,
  );
}
