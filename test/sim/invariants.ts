import { ESCROW, balanceDifferences, foldEntries, imbalances, type JournalEntry, type Position } from '../../shared/domain/ledger.ts';
import type { PayoutInstruction } from '../../shared/domain/settlement.ts';

/*
 * The invariants of the money simulator, as pure functions of what the stores hold and of what
 * the simulator's clients know they paid in and out. Each answers the violations it finds, in
 * words that name the loan, the lender or the date; none answers nothing when the money is sound.
 */

/** A settled business date: the days it settled, the entries it settled, and the instructions it made. */
export interface SettledDate {
  readonly businessDate: string;
  readonly days: readonly string[];
  /** `{loanId}#{entryId}` of every entry it settled, as they stood when it was settled. */
  readonly entryKeys: ReadonlySet<string>;
  readonly instructions: readonly PayoutInstruction[];
}

/**
 * What the clients of the system know of the cash: what borrowers paid in (net of reversals), what
 * loans paid out to them, and what approved adjustments say the collection account owes lenders
 * (net; an adjustment between two lenders moves nothing through it).
 */
export interface CashModel {
  readonly collectedMinor: bigint;
  readonly disbursedMinor: bigint;
  readonly adjustedMinor: bigint;
}

/** The outstanding principal every limit is judged by (shared/use-cases/outstanding.ts), as the exposure items say it. */
export interface OutstandingFigures {
  /** Per lender: what its quota shards committed plus what its principal shards moved. */
  readonly lenders: ReadonlyMap<string, bigint>;
  /** Per borrower: its exposure as booked plus what changes moved, in all and per lender. */
  readonly borrowers: ReadonlyMap<string, { readonly totalMinor: bigint; readonly perLenderMinor: Readonly<Record<string, bigint>> }>;
  /** The borrower of each loan. */
  readonly borrowerOfLoan: ReadonlyMap<string, string>;
}

export interface MoneyState {
  readonly entries: readonly JournalEntry[];
  readonly positions: readonly Position[];
  readonly cash: CashModel;
  readonly settled: readonly SettledDate[];
  readonly outstanding: OutstandingFigures;
}

const signed = (side: 'DEBIT' | 'CREDIT', amountMinor: bigint): bigint => (side === 'DEBIT' ? amountMinor : -amountMinor);
const settledDay = (entry: JournalEntry): string => entry.bookedOn ?? entry.businessDate;
const keyOf = (entry: JournalEntry): string => `${entry.loanId}#${entry.entryId}`;

/** Every entry balances in every book it touches, and all entries together balance. */
export function unbalancedBooks(entries: readonly JournalEntry[]): string[] {
  const found: string[] = [];
  let total = 0n;
  for (const entry of entries) {
    for (const book of imbalances(entry)) found.push(`entry ${entry.entryId} of ${entry.loanId}: book ${book.lenderId} debits ${book.debitMinor} ≠ credits ${book.creditMinor}`);
    for (const leg of entry.legs) {
      if (leg.amountMinor <= 0n) found.push(`entry ${entry.entryId} of ${entry.loanId}: a leg of ${leg.lenderId} is ${leg.amountMinor}`);
      total += signed(leg.side, leg.amountMinor);
    }
  }
  if (total !== 0n) found.push(`all entries together: debits − credits = ${total}`);
  return found;
}

/** Every stored position is the fold of its loan's entries, and every fold has its position; no principal is negative. */
export function positionsOffEntries(entries: readonly JournalEntry[], positions: readonly Position[]): string[] {
  const found: string[] = [];
  const byLoan = new Map<string, JournalEntry[]>();
  for (const entry of entries) byLoan.set(entry.loanId, [...(byLoan.get(entry.loanId) ?? []), entry]);
  const stored = new Map(positions.map((p) => [`${p.loanId}#${p.lenderId}`, p]));
  const folded = new Map<string, Position>();
  for (const [loanId, own] of byLoan) {
    try {
      for (const [lenderId, position] of foldEntries(loanId, own)) folded.set(`${loanId}#${lenderId}`, position);
    } catch (error) {
      found.push(`loan ${loanId}: its entries do not fold: ${(error as Error).message}`);
    }
  }
  for (const [key, position] of stored) {
    const fold = folded.get(key);
    if (fold === undefined) {
      if (Object.values(position.balancesMinor).some((v) => v !== 0n)) found.push(`position ${key} has balances and no entries`);
      continue;
    }
    for (const d of balanceDifferences(fold.balancesMinor, position.balancesMinor)) found.push(`position ${key}: ${d.account} is ${d.actualMinor}, its entries say ${d.expectedMinor}`);
    if (fold.version !== position.version) found.push(`position ${key}: version ${position.version}, ${fold.version} entries folded`);
    if ((position.balancesMinor.PRINCIPAL_RECEIVABLE ?? 0n) < 0n) found.push(`position ${key}: principal ${position.balancesMinor.PRINCIPAL_RECEIVABLE}`);
  }
  for (const key of folded.keys()) if (!stored.has(key)) found.push(`position ${key} is missing: its entries fold to one`);
  return found;
}

/**
 * Conservation of cash: what borrowers paid into the collection account is, to the fen, what the
 * lenders' books say the account owes them (settlement clearing with ESCROW on every entry but the
 * disbursements, suspense included); what the loans paid out is what the disbursements cleared.
 */
export function cashNotConserved(entries: readonly JournalEntry[], cash: CashModel): string[] {
  let owedFromCollections = 0n;
  let disbursed = 0n;
  let adjusted = 0n;
  for (const entry of entries) {
    for (const leg of entry.legs) {
      if (leg.account !== 'SETTLEMENT_CLEARING' || leg.counterparty !== ESCROW) continue;
      if (entry.eventType === 'DISBURSEMENT') disbursed -= signed(leg.side, leg.amountMinor);
      else if (entry.eventType === 'ADJUSTMENT') adjusted += signed(leg.side, leg.amountMinor);
      else owedFromCollections += signed(leg.side, leg.amountMinor);
    }
  }
  const found: string[] = [];
  if (owedFromCollections !== cash.collectedMinor) found.push(`collected ${cash.collectedMinor}, but the books owe lenders ${owedFromCollections} from the collection account`);
  if (disbursed !== cash.disbursedMinor) found.push(`disbursed ${cash.disbursedMinor}, but the disbursement entries clear ${disbursed}`);
  if (adjusted !== cash.adjustedMinor) found.push(`approved adjustments owe lenders ${cash.adjustedMinor} from the collection account, but their entries clear ${adjusted}`);
  return found;
}

/**
 * Settlement pays out what the books say, to the fen: for each settled date and each party, what
 * its instructions move to it (received less paid) is what the settled entries clear for it; the
 * collection account pays out exactly what the lenders' books say it owes them. No entry is
 * settled twice, and no entry appears in a day already settled. Collected = paid out + held: what
 * the account received and was not paid out is held, as the clearing of entries not yet settled.
 */
export function settlementOffBooks(state: MoneyState): string[] {
  const found: string[] = [];
  const settledIn = new Map<string, string>();
  for (const date of state.settled) {
    for (const day of date.days) {
      const other = settledIn.get(day);
      if (other !== undefined && other !== date.businessDate) found.push(`day ${day} settled by both ${other} and ${date.businessDate}`);
      settledIn.set(day, date.businessDate);
    }
  }
  const owed = new Map<string, Map<string, bigint>>();
  const add = (date: string, party: string, amount: bigint): void => {
    const parties = owed.get(date) ?? new Map<string, bigint>();
    parties.set(party, (parties.get(party) ?? 0n) + amount);
    owed.set(date, parties);
  };
  const byDate = new Map(state.settled.map((d) => [d.businessDate, d]));
  let held = 0n;
  let paidOut = 0n;
  for (const entry of state.entries) {
    const date = settledIn.get(settledDay(entry));
    const escrowLegs = entry.legs.filter((l) => l.account === 'SETTLEMENT_CLEARING' && l.counterparty === ESCROW);
    const net = escrowLegs.reduce((s, l) => s + signed(l.side, l.amountMinor), 0n);
    if (date === undefined) {
      held += net;
      continue;
    }
    if (!byDate.get(date)!.entryKeys.has(keyOf(entry))) found.push(`entry ${entry.entryId} of ${entry.loanId} is dated ${settledDay(entry)}, settled by ${date} before it was booked`);
    for (const leg of entry.legs) {
      if (leg.account === 'SETTLEMENT_CLEARING') add(date, leg.lenderId, signed(leg.side, leg.amountMinor));
    }
    add(date, ESCROW, -net);
  }
  for (const date of state.settled) {
    const moved = new Map<string, bigint>();
    for (const i of date.instructions) {
      moved.set(i.payee, (moved.get(i.payee) ?? 0n) + i.amountMinor);
      moved.set(i.payer, (moved.get(i.payer) ?? 0n) - i.amountMinor);
      if (i.payer === ESCROW) paidOut += i.amountMinor;
      if (i.payee === ESCROW) paidOut -= i.amountMinor;
    }
    const parties = owed.get(date.businessDate) ?? new Map<string, bigint>();
    for (const party of new Set([...moved.keys(), ...parties.keys()])) {
      const due = parties.get(party) ?? 0n;
      const paid = moved.get(party) ?? 0n;
      if (due !== paid) found.push(`settlement of ${date.businessDate}: ${party} is owed ${due} by its settled entries, its instructions move ${paid}`);
    }
  }
  // The collection account received the collections, paid the disbursements and owes what adjustments say; what it holds is what is not paid out.
  const inAccount = state.cash.collectedMinor - state.cash.disbursedMinor + state.cash.adjustedMinor;
  if (inAccount !== paidOut + held) found.push(`collected − disbursed + adjusted = ${inAccount}, paid out ${paidOut} + held ${held} = ${paidOut + held}`);
  return found;
}

/**
 * One source of outstanding amounts: the principal the limits are judged by (a lender's quota and
 * principal shards, a borrower's exposure and principal) is the principal the positions hold.
 */
export function outstandingOffPositions(positions: readonly Position[], figures: OutstandingFigures): string[] {
  const found: string[] = [];
  const byLender = new Map<string, bigint>();
  const byBorrower = new Map<string, { totalMinor: bigint; perLenderMinor: Map<string, bigint> }>();
  for (const p of positions) {
    const principal = p.balancesMinor.PRINCIPAL_RECEIVABLE ?? 0n;
    byLender.set(p.lenderId, (byLender.get(p.lenderId) ?? 0n) + principal);
    const borrowerId = figures.borrowerOfLoan.get(p.loanId);
    if (borrowerId === undefined) continue;
    const b = byBorrower.get(borrowerId) ?? { totalMinor: 0n, perLenderMinor: new Map<string, bigint>() };
    b.totalMinor += principal;
    b.perLenderMinor.set(p.lenderId, (b.perLenderMinor.get(p.lenderId) ?? 0n) + principal);
    byBorrower.set(borrowerId, b);
  }
  for (const lenderId of new Set([...byLender.keys(), ...figures.lenders.keys()])) {
    const held = byLender.get(lenderId) ?? 0n;
    const measured = figures.lenders.get(lenderId) ?? 0n;
    if (held !== measured) found.push(`lender ${lenderId}: positions hold ${held} of principal, its quota and principal shards say ${measured}`);
  }
  for (const borrowerId of new Set([...byBorrower.keys(), ...figures.borrowers.keys()])) {
    const held = byBorrower.get(borrowerId) ?? { totalMinor: 0n, perLenderMinor: new Map<string, bigint>() };
    const measured = figures.borrowers.get(borrowerId) ?? { totalMinor: 0n, perLenderMinor: {} };
    if (held.totalMinor !== measured.totalMinor) found.push(`borrower ${borrowerId}: positions hold ${held.totalMinor} of principal, its exposure says ${measured.totalMinor}`);
    for (const lenderId of new Set([...held.perLenderMinor.keys(), ...Object.keys(measured.perLenderMinor)])) {
      const a = held.perLenderMinor.get(lenderId) ?? 0n;
      const b = measured.perLenderMinor[lenderId] ?? 0n;
      if (a !== b) found.push(`borrower ${borrowerId}, lender ${lenderId}: positions hold ${a} of principal, its exposure says ${b}`);
    }
  }
  return found;
}

/** Every invariant at once. */
export function moneyViolations(state: MoneyState): string[] {
  return [
    ...unbalancedBooks(state.entries),
    ...positionsOffEntries(state.entries, state.positions),
    ...cashNotConserved(state.entries, state.cash),
    ...settlementOffBooks(state),
    ...outstandingOffPositions(state.positions, state.outstanding),
  ];
}
