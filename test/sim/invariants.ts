import { ESCROW, balanceDifferences, foldEntries, imbalances, type JournalEntry, type Position } from '../../shared/domain/ledger.ts';
import type { PayoutInstruction } from '../../shared/domain/settlement.ts';
import type { Adjustment } from '../../shared/domain/adjustment.ts';
import type { QuotaShard, Reservation } from '../../shared/domain/exposure.ts';
import { lenderProfit } from '../../shared/domain/profit.ts';
import { FINAL_STATUSES, type ApplicationStatus } from '../../shared/domain/review.ts';
import type { StoredProfitStatement } from '../../shared/ports/stores.ts';
import { toJson } from '../../shared/json.ts';

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
  readonly quota: QuotaState;
  readonly adjustments: readonly Adjustment[];
  /** The statements of every period shared, and the program's guarantors. */
  readonly stated: readonly StatedProfit[];
  readonly guarantors: ReadonlySet<string>;
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
    ...quotaOffReservations(state.quota),
    ...adjustmentsOffBooks(state.entries, state.adjustments),
    ...statementsOffEntries(state.stated, state.entries, state.guarantors),
  ];
}

// The joint review's quota ----------------------------------------------------------------------------

/** An application as the quota invariant reads it: its status, its plan, and the loan it booked. */
export interface ApplicationQuota {
  readonly applicationId: string;
  readonly status: ApplicationStatus;
  readonly plan: readonly { readonly lenderId: string; readonly amountMinor: bigint }[] | null;
  readonly loanId: string | null;
}

export interface QuotaState {
  readonly shards: readonly QuotaShard[];
  readonly reservations: readonly Reservation[];
  readonly applications: readonly ApplicationQuota[];
  /** Every booked loan's funding plan: what each lender's quota committed. */
  readonly loans: readonly { readonly loanId: string; readonly fundingPlan: readonly { readonly lenderId: string; readonly amountMinor: bigint }[] }[];
}

/**
 * Quota reserved is committed once its application's loan is booked, or released: every shard
 * holds reserved exactly what the reservations still RESERVED took from it, and committed exactly
 * the booked loans' parts; an application that ended holds no reservation; a booked one used a
 * reservation per line of its plan, each the line's amount and the loan's part; one that ended
 * otherwise used none; one awaiting its disbursement holds its whole plan.
 */
export function quotaOffReservations(state: QuotaState): string[] {
  const found: string[] = [];
  const reservedByShard = new Map<string, bigint>();
  const committedByLender = new Map<string, bigint>();
  for (const r of state.reservations) {
    const taken = r.takes.reduce((s, t) => s + t.amountMinor, 0n);
    if (taken !== r.amountMinor) found.push(`reservation of ${r.lenderId} for ${r.applicationId}: takes ${taken} of ${r.amountMinor}`);
    if (r.state !== 'RESERVED') continue;
    for (const t of r.takes) reservedByShard.set(`${r.lenderId}#${t.shard}`, (reservedByShard.get(`${r.lenderId}#${t.shard}`) ?? 0n) + t.amountMinor);
  }
  for (const loan of state.loans) for (const part of loan.fundingPlan) committedByLender.set(part.lenderId, (committedByLender.get(part.lenderId) ?? 0n) + part.amountMinor);
  const shardCommitted = new Map<string, bigint>();
  const shardKeys = new Set<string>();
  for (const s of state.shards) {
    const key = `${s.lenderId}#${s.shard}`;
    shardKeys.add(key);
    if (s.reservedMinor !== (reservedByShard.get(key) ?? 0n)) found.push(`quota shard ${s.shard} of ${s.lenderId}: reserved ${s.reservedMinor}, its reservations hold ${reservedByShard.get(key) ?? 0n}`);
    shardCommitted.set(s.lenderId, (shardCommitted.get(s.lenderId) ?? 0n) + s.committedMinor);
  }
  for (const [key, amount] of reservedByShard) if (!shardKeys.has(key)) found.push(`quota shard ${key}: never written, its reservations hold ${amount}`);
  for (const lenderId of new Set([...committedByLender.keys(), ...shardCommitted.keys()])) {
    const booked = committedByLender.get(lenderId) ?? 0n;
    const committed = shardCommitted.get(lenderId) ?? 0n;
    if (booked !== committed) found.push(`quota of ${lenderId}: committed ${committed}, its booked loans' parts are ${booked}`);
  }
  const byApplication = new Map<string, Reservation[]>();
  for (const r of state.reservations) byApplication.set(r.applicationId, [...(byApplication.get(r.applicationId) ?? []), r]);
  const loans = new Map(state.loans.map((l) => [l.loanId, l]));
  for (const app of state.applications) {
    const own = byApplication.get(app.applicationId) ?? [];
    const label = `application ${app.applicationId} (${app.status})`;
    if (FINAL_STATUSES.includes(app.status) && own.some((r) => r.state === 'RESERVED')) found.push(`${label} still holds ${own.filter((r) => r.state === 'RESERVED').map((r) => r.lenderId).join(', ')}`);
    if (app.status === 'BOOKED' || app.status === 'AWAITING_DISBURSEMENT') {
      const state = app.status === 'BOOKED' ? 'USED' : 'RESERVED';
      const loan = app.loanId === null ? undefined : loans.get(app.loanId);
      if (app.status === 'BOOKED' && loan === undefined) found.push(`${label}: its loan ${app.loanId} is not booked`);
      for (const line of app.plan ?? []) {
        const r = own.find((x) => x.lenderId === line.lenderId);
        if (r?.state !== state || r.amountMinor !== line.amountMinor) found.push(`${label}: ${line.lenderId}'s line of ${line.amountMinor} is ${r === undefined ? 'not reserved' : `${r.state} ${r.amountMinor}`}`);
        const part = loan?.fundingPlan.find((p) => p.lenderId === line.lenderId);
        if (loan !== undefined && part?.amountMinor !== line.amountMinor) found.push(`${label}: ${line.lenderId} funds ${part?.amountMinor ?? 0n} of its loan, its plan says ${line.amountMinor}`);
      }
      if (own.length !== (app.plan?.length ?? 0)) found.push(`${label}: ${own.length} reservations for a plan of ${app.plan?.length ?? 0} lines`);
    } else if (own.some((r) => r.state === 'USED')) {
      found.push(`${label} used a reservation without a loan`);
    }
  }
  return found;
}

// Adjustments -----------------------------------------------------------------------------------------

/**
 * An approved adjustment is booked once, as what was approved: one ADJUSTMENT entry per approved
 * adjustment, on its loan, moving its amount in its direction; none for one proposed or rejected,
 * and no entry without its approved adjustment.
 */
export function adjustmentsOffBooks(entries: readonly JournalEntry[], adjustments: readonly Adjustment[]): string[] {
  const found: string[] = [];
  const byId = new Map(adjustments.map((a) => [a.adjustmentId, a]));
  const booked = new Map<string, JournalEntry[]>();
  for (const entry of entries) if (entry.eventType === 'ADJUSTMENT') booked.set(entry.eventId, [...(booked.get(entry.eventId) ?? []), entry]);
  for (const adjustmentId of booked.keys()) {
    const adjustment = byId.get(adjustmentId);
    if (adjustment?.state !== 'APPROVED') found.push(`adjustment ${adjustmentId} is booked but ${adjustment?.state ?? 'unknown'}`);
  }
  for (const a of adjustments) {
    const own = booked.get(a.adjustmentId) ?? [];
    if (a.state !== 'APPROVED') continue;
    if (own.length !== 1) {
      found.push(`adjustment ${a.adjustmentId} approved is booked ${own.length} times`);
      continue;
    }
    const entry = own[0]!;
    const clearing = entry.legs.find((l) => l.lenderId === a.lenderId && l.account === 'SETTLEMENT_CLEARING' && l.counterparty === a.counterparty);
    const side = a.direction === 'COUNTERPARTY_OWES_LENDER' ? 'DEBIT' : 'CREDIT';
    if (entry.loanId !== a.loanId || clearing?.amountMinor !== a.amountMinor || clearing.side !== side || entry.legs.some((l) => l.amountMinor !== a.amountMinor)) {
      found.push(`adjustment ${a.adjustmentId} approved for ${a.amountMinor} (${a.direction}) on ${a.loanId} is booked otherwise on ${entry.loanId}`);
    }
  }
  return found;
}

// Profit sharing --------------------------------------------------------------------------------------

/** A fee charged on principal outstanding: `rateNumerator / rateDenominator` a year, over `basisDays` days (ACT/360), rounded half up. */
export interface PrincipalFee {
  readonly ruleId: string;
  readonly rateNumerator: bigint;
  readonly rateDenominator: bigint;
  readonly basisDays: bigint;
}

const dayAfter = (day: string): string => new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

/** Each payer's principal-days in a period: its principal at the end of each day, from the entries by business date, summed day by day. */
export function principalDaysOf(entries: readonly JournalEntry[], from: string, to: string, payers: readonly string[]): Map<string, bigint> {
  const sums = new Map<string, bigint>();
  for (const payer of payers) {
    let before = 0n;
    const byDay = new Map<string, bigint>();
    for (const entry of entries) {
      for (const leg of entry.legs) {
        if (leg.lenderId !== payer || leg.account !== 'PRINCIPAL_RECEIVABLE') continue;
        const amount = signed(leg.side, leg.amountMinor);
        if (entry.businessDate < from) before += amount;
        else byDay.set(entry.businessDate, (byDay.get(entry.businessDate) ?? 0n) + amount);
      }
    }
    let held = before;
    let sum = 0n;
    for (let day = from; day <= to; day = dayAfter(day)) {
      held += byDay.get(day) ?? 0n;
      sum += held;
    }
    if (sum > 0n) sums.set(payer, sum);
  }
  return sums;
}

/**
 * A profit run distributes exactly what the period earned: every loan whose partners held
 * principal in the period has its period fee once (none when the program bills none), and a fee
 * the run booked now charges each partner its principal-days in the period at the fee's rate,
 * rounded half up to the fen, all of it to the lead. `ledgers` are the loans' entries as the run
 * found them; `bookedNow` the entry ids it booked.
 */
export function periodFeesOffPrincipal(
  period: string,
  ledgers: ReadonlyMap<string, readonly JournalEntry[]>,
  bookedNow: ReadonlySet<string>,
  entries: readonly JournalEntry[],
  payers: readonly string[],
  fee: (PrincipalFee & { readonly payee: string }) | null,
): string[] {
  const found: string[] = [];
  const [year, month] = period.split('-').map(Number) as [number, number];
  const from = `${period}-01`;
  const to = `${period}-${String(new Date(Date.UTC(year, month, 0)).getUTCDate()).padStart(2, '0')}`;
  const feesOf = new Map<string, JournalEntry[]>();
  for (const entry of entries) {
    if (entry.eventType !== 'FEE' || !entry.eventId.includes(`#${period}#`)) continue;
    feesOf.set(entry.loanId, [...(feesOf.get(entry.loanId) ?? []), entry]);
  }
  for (const [loanId, own] of ledgers) {
    const booked = feesOf.get(loanId) ?? [];
    if (fee === null) {
      if (booked.length > 0) found.push(`loan ${loanId} has period fees of ${period} its program does not bill`);
      continue;
    }
    const days = principalDaysOf(own, from, to, payers);
    const due = new Map<string, bigint>();
    for (const [payer, d] of days) {
      const denominator = fee.rateDenominator * fee.basisDays;
      const amount = (2n * d * fee.rateNumerator + denominator) / (2n * denominator);
      if (amount > 0n) due.set(payer, amount);
    }
    if (due.size === 0) {
      if (booked.length > 0 && booked.some((e) => bookedNow.has(e.entryId))) found.push(`loan ${loanId}: its partners held no principal in ${period}, the run booked a fee`);
      continue;
    }
    if (booked.length !== 1) {
      found.push(`loan ${loanId}: its partners held principal in ${period}, ${booked.length} period fees are booked`);
      continue;
    }
    const entry = booked[0]!;
    if (!bookedNow.has(entry.entryId)) continue;
    const charged = new Map(entry.legs.filter((l) => l.account === 'FEE_EXPENSE').map((l) => [l.lenderId, l.amountMinor]));
    const total = [...due.values()].reduce((s, a) => s + a, 0n);
    const income = entry.legs.find((l) => l.account === 'FEE_INCOME');
    for (const payer of new Set([...due.keys(), ...charged.keys()])) {
      if ((charged.get(payer) ?? 0n) !== (due.get(payer) ?? 0n)) found.push(`loan ${loanId}: ${payer} held ${days.get(payer) ?? 0n} principal-days in ${period}, owes ${due.get(payer) ?? 0n}, was charged ${charged.get(payer) ?? 0n}`);
    }
    if (income?.lenderId !== fee.payee || income.amountMinor !== total) found.push(`loan ${loanId}: the fees of ${period} come to ${total}, ${income?.lenderId ?? 'nobody'} earns ${income?.amountMinor ?? 0n}`);
  }
  return found;
}

/** A profit statement as stored, and what it is to be compared with. */
export interface StatedProfit {
  readonly statement: StoredProfitStatement;
  /** Whether the party is a guarantor (its fee income is guarantee fees). */
  readonly guarantor: boolean;
}

/**
 * A closed period never changes: every party's statement of a period shared (a run DONE) is, to
 * the fen, what its legs of the program's entries booked in the period say now.
 */
export function statementsOffEntries(stated: readonly StatedProfit[], entries: readonly JournalEntry[], guarantors: ReadonlySet<string>): string[] {
  const found: string[] = [];
  for (const { statement, guarantor } of stated) {
    const own = entries.filter((e) => e.programId === undefined || e.programId === null || e.programId === statement.programId);
    const now = lenderProfit(statement.lenderId, statement.period, own, () => (guarantor ? statement.lenderId : null), { guarantors, servicePartner: statement.role === 'SERVICE_PARTNER' });
    if (toJson(now.byCurrency) !== toJson(statement.byCurrency)) found.push(`profit statement of ${statement.lenderId} for ${statement.period}: stored ${toJson(statement.byCurrency)}, its entries say ${toJson(now.byCurrency)}`);
  }
  return found;
}
