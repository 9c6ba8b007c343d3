import { invariant, ValidationError } from './errors.ts';
import { assertBalanced, entryIdOf, type JournalEntry, type Leg } from './ledger.ts';
import { compareIsoDates, dayCountFraction, daysInMonth, divRound, fromEpochDay, parseRate, split, toEpochDay, toExactFraction } from './money/index.ts';
import type { DayCount, RemainderRule, RoundingMode } from './money/index.ts';
import { feeRulesOf, payersOf, type FeeRule, type FeeTerms } from './fee-rules.ts';
import type { FeeDeduction, LenderRepaymentParts } from './repayment-split.ts';

/**
 * What a program's fee rules charge: per repayment (a fraction of the interest it pays, to the
 * borrower or out of lenders' interest) and per period (on each paying lender's outstanding
 * principal, or flat). Pure. docs/fees.md.
 */

/** The part of the program terms the fees read. */
export interface FeeProgram {
  readonly leadLenderId: string;
  readonly fees: FeeTerms;
  readonly participants: readonly { readonly lenderId: string; readonly role: string; readonly priority: number }[];
  readonly roundingMode: RoundingMode;
  readonly dayCount: DayCount;
}

function fractionOf(rule: FeeRule, mode: RoundingMode, amountMinor: bigint): bigint {
  const { numerator, denominator } = toExactFraction(parseRate(rule.rate, `fees.rules.${rule.id}.rate`));
  return divRound(amountMinor * numerator, denominator, mode);
}

/** The borrower's per-repayment rules, in the program's order. */
export function borrowerInterestRules(terms: FeeProgram): FeeRule[] {
  return feeRulesOf(terms).filter((r) => r.base === 'REPAYMENT_INTEREST' && r.payer.kind === 'BORROWER');
}

/** Every rule the borrower pays (per repayment or per period), in the program's order: the order fees owed are paid in. */
export function borrowerRules(terms: FeeProgram): FeeRule[] {
  return feeRulesOf(terms).filter((r) => r.payer.kind === 'BORROWER');
}

/** What each borrower per-repayment rule charges on the interest a payment covers, by rule id (zeros left out). */
export function chargesOnInterest(terms: FeeProgram, interestMinor: bigint): Map<string, bigint> {
  const charges = new Map<string, bigint>();
  if (interestMinor === 0n) return charges;
  for (const rule of borrowerInterestRules(terms)) {
    const fee = fractionOf(rule, terms.roundingMode, interestMinor);
    if (fee > 0n) charges.set(rule.id, fee);
  }
  return charges;
}

/**
 * Fees a payment covers, given to the rules owed in the program's order: what each rule is paid
 * and what it is still owed. The covered amount never exceeds what is owed.
 */
export function payOwedFees(terms: FeeProgram, owed: ReadonlyMap<string, bigint>, coveredMinor: bigint): { paid: Map<string, bigint>; left: Map<string, bigint> } {
  let rest = coveredMinor;
  const paid = new Map<string, bigint>();
  const left = new Map<string, bigint>();
  for (const rule of borrowerRules(terms)) {
    const due = owed.get(rule.id) ?? 0n;
    const take = rest < due ? rest : due;
    rest -= take;
    if (take > 0n) paid.set(rule.id, take);
    if (due - take > 0n) left.set(rule.id, due - take);
  }
  invariant(rest === 0n, 'fees covered never exceed the fees owed', { coveredMinor: coveredMinor.toString() });
  return { paid, left };
}

/** What each payee receives of the fees paid by rule, in payee id order. */
export function feesByPayee(terms: FeeProgram, paid: ReadonlyMap<string, bigint>): Map<string, bigint> {
  const byPayee = new Map<string, bigint>();
  for (const rule of feeRulesOf(terms)) {
    const amount = paid.get(rule.id);
    if (amount !== undefined) byPayee.set(rule.payee, (byPayee.get(rule.payee) ?? 0n) + amount);
  }
  return new Map([...byPayee].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The fees lenders pay out of their interest of one payment (DEDUCTED_FROM_INTEREST rules on the
 * REPAYMENT_INTEREST base): each payer's rate times its interest and spread, rounded once, in
 * rule order then payer id order.
 */
export function interestDeductions(terms: FeeProgram, perLender: ReadonlyMap<string, LenderRepaymentParts>): FeeDeduction[] {
  const deductions: FeeDeduction[] = [];
  for (const rule of feeRulesOf(terms)) {
    if (rule.base !== 'REPAYMENT_INTEREST' || rule.payer.kind === 'BORROWER') continue;
    for (const payer of payersOf(rule, terms.participants)) {
      const parts = perLender.get(payer);
      if (parts === undefined) continue;
      const amountMinor = fractionOf(rule, terms.roundingMode, parts.interestMinor + parts.spreadMinor);
      if (amountMinor > 0n) deductions.push({ ruleId: rule.id, fromLenderId: payer, toLenderId: rule.payee, amountMinor });
    }
  }
  return deductions;
}

/** A billing period: a month `YYYY-MM` or a quarter `YYYY-Qn`; `to` is its last day. */
export interface FeePeriodRange {
  readonly period: string;
  readonly kind: 'MONTHLY' | 'QUARTERLY';
  readonly from: string;
  readonly to: string;
  /** The day after `to`: accrual runs over [from, end). */
  readonly end: string;
}

export function periodRange(period: string): FeePeriodRange {
  const month = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(period);
  const quarter = /^(\d{4})-Q([1-4])$/.exec(period);
  if (!month && !quarter) throw new ValidationError(`period must be YYYY-MM or YYYY-Qn, got ${period}`, { path: 'period', rule: 'period' });
  const year = Number((month ?? quarter)![1]);
  const first = month ? Number(month[2]) : (Number(quarter![2]) - 1) * 3 + 1;
  const last = month ? first : first + 2;
  const pad = (n: number) => String(n).padStart(2, '0');
  const from = `${year}-${pad(first)}-01`;
  const to = `${year}-${pad(last)}-${pad(daysInMonth(year, last))}`;
  return { period, kind: month ? 'MONTHLY' : 'QUARTERLY', from, to, end: fromEpochDay(toEpochDay(to) + 1) };
}

/**
 * Each lender's principal-days over [from, end): its outstanding (PRINCIPAL_RECEIVABLE from the
 * loan's entries by business date) times the day-count days of each stretch it stood still.
 * Returns the sums by lender and the day-count basis.
 */
export function principalDays(entries: readonly JournalEntry[], range: Pick<FeePeriodRange, 'from' | 'end'>, dayCount: DayCount): { byLender: Map<string, bigint>; basis: bigint } {
  const changes = new Map<string, Map<string, bigint>>();
  for (const entry of entries) {
    for (const leg of entry.legs) {
      if (leg.account !== 'PRINCIPAL_RECEIVABLE') continue;
      const own = changes.get(leg.lenderId) ?? new Map<string, bigint>();
      const signed = leg.side === 'DEBIT' ? leg.amountMinor : -leg.amountMinor;
      own.set(entry.businessDate, (own.get(entry.businessDate) ?? 0n) + signed);
      changes.set(leg.lenderId, own);
    }
  }
  const basis = dayCountFraction(range.from, range.end, dayCount).basis;
  const byLender = new Map<string, bigint>();
  for (const [lenderId, byDate] of changes) {
    const dates = [...byDate.keys()].sort(compareIsoDates);
    let outstanding = 0n;
    let sum = 0n;
    let cursor = range.from;
    for (const date of dates) {
      if (compareIsoDates(date, range.end) >= 0) break;
      if (compareIsoDates(date, cursor) > 0) {
        sum += outstanding * dayCountFraction(cursor, date, dayCount).days;
        cursor = date;
      }
      outstanding += byDate.get(date)!;
    }
    if (compareIsoDates(range.end, cursor) > 0) sum += outstanding * dayCountFraction(cursor, range.end, dayCount).days;
    if (sum > 0n) byLender.set(lenderId, sum);
  }
  return { byLender, basis };
}

/** The period rules of a program billed in a period of this kind, in the program's order (lenders' and the borrower's). */
export function periodRules(terms: FeeProgram, kind: 'MONTHLY' | 'QUARTERLY'): FeeRule[] {
  return feeRulesOf(terms).filter((r) => r.period === kind);
}

/**
 * What the borrower owes a period rule for one loan: OUTSTANDING_PRINCIPAL, the rate × the loan's
 * principal-days (every holder's) / basis, rounded once; FLAT, the amount when the loan had
 * principal outstanding in the period. Zero when it had none.
 */
export function borrowerPeriodFee(terms: FeeProgram, rule: FeeRule, days: { byLender: ReadonlyMap<string, bigint>; basis: bigint }): bigint {
  invariant(rule.payer.kind === 'BORROWER' && rule.period !== 'PER_REPAYMENT', 'a borrower period fee comes from a borrower period rule', { ruleId: rule.id });
  let principalDays = 0n;
  for (const sum of days.byLender.values()) principalDays += sum;
  if (principalDays <= 0n) return 0n;
  if (rule.base === 'FLAT') return rule.amountMinor!;
  const { numerator, denominator } = toExactFraction(parseRate(rule.rate, `fees.rules.${rule.id}.rate`));
  return divRound(principalDays * numerator, denominator * days.basis, terms.roundingMode);
}

/**
 * What each payer of a period rule pays for one loan: OUTSTANDING_PRINCIPAL, its rate × its
 * principal-days / basis, rounded once; FLAT, the amount divided among the payers by their
 * principal-days with the program's remainder rule. Zeros are left out.
 */
export function periodFeeByPayer(terms: FeeProgram, rule: FeeRule, days: { byLender: ReadonlyMap<string, bigint>; basis: bigint }, remainder: RemainderRule): Map<string, bigint> {
  invariant(rule.payer.kind === 'DEDUCTED_FROM_INTEREST', 'lenders pay only the rules deducted from their interest', { ruleId: rule.id });
  const payers = payersOf(rule, terms.participants).filter((id) => (days.byLender.get(id) ?? 0n) > 0n);
  const fees = new Map<string, bigint>();
  if (payers.length === 0) return fees;
  if (rule.base === 'FLAT') {
    const priority = (id: string) => terms.participants.find((p) => p.lenderId === id)?.priority ?? Number.MAX_SAFE_INTEGER;
    const weights = payers.map((id) => ({ id, weight: days.byLender.get(id)!, priority: priority(id), cap: rule.amountMinor! }));
    // The rounding party takes the remainder when it pays; otherwise the payer with the most principal-days does.
    const heaviest = [...weights].sort((a, b) => (a.weight < b.weight ? 1 : a.weight > b.weight ? -1 : a.priority - b.priority))[0]!.id;
    const rule_ = remainder.kind === 'ROUNDING_PARTY' && (remainder.party === undefined || !payers.includes(remainder.party)) ? { ...remainder, party: heaviest } : remainder;
    for (const [id, amount] of split(rule.amountMinor!, weights, rule_)) if (amount > 0n) fees.set(id, amount);
    return fees;
  }
  const { numerator, denominator } = toExactFraction(parseRate(rule.rate, `fees.rules.${rule.id}.rate`));
  for (const id of payers) {
    const amount = divRound(days.byLender.get(id)! * numerator, denominator * days.basis, terms.roundingMode);
    if (amount > 0n) fees.set(id, amount);
  }
  return fees;
}

/** The entry id of a rule's period fee on a loan. */
export function periodFeeEventId(ruleId: string, period: string, loanId: string): string {
  return `${ruleId}#${period}#${loanId}`;
}

/**
 * `FEE#{ruleId}#{period}#{loanId}`, dated the period's last day: each payer Dr FEE_EXPENSE / Cr
 * SETTLEMENT_CLEARING (the payee, FEE); the payee Dr SETTLEMENT_CLEARING (each payer, FEE) / Cr
 * FEE_INCOME. Null when nothing is due.
 */
export function periodFeeEntry(
  loan: { readonly loanId: string; readonly currency: string },
  rule: FeeRule,
  range: FeePeriodRange,
  byPayer: ReadonlyMap<string, bigint>,
  now: string,
): JournalEntry | null {
  if (byPayer.size === 0) return null;
  const legs: Leg[] = [];
  const payeeLegs: Leg[] = [];
  let total = 0n;
  for (const [payer, amountMinor] of byPayer) {
    total += amountMinor;
    legs.push({ lenderId: payer, account: 'FEE_EXPENSE', side: 'DEBIT', amountMinor, counterparty: null });
    legs.push({ lenderId: payer, account: 'SETTLEMENT_CLEARING', side: 'CREDIT', amountMinor, counterparty: rule.payee, component: 'FEE' });
    payeeLegs.push({ lenderId: rule.payee, account: 'SETTLEMENT_CLEARING', side: 'DEBIT', amountMinor, counterparty: payer, component: 'FEE' });
  }
  payeeLegs.push({ lenderId: rule.payee, account: 'FEE_INCOME', side: 'CREDIT', amountMinor: total, counterparty: null });
  const eventId = periodFeeEventId(rule.id, range.period, loan.loanId);
  return assertBalanced({
    entryId: entryIdOf('FEE', eventId),
    eventType: 'FEE',
    eventId,
    loanId: loan.loanId,
    currency: loan.currency,
    businessDate: range.to,
    legs: [...legs, ...payeeLegs],
    createdAt: now,
  });
}
