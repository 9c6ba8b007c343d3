import { invariant, ValidationError } from './errors.ts';
import type { Loan } from './loan.ts';
import type { RepaymentMethod } from './program.ts';
import {
  accrueInterest,
  addMonths,
  compareIsoDates,
  daysBetween,
  divRound,
  parseDayCount,
  parseIsoDate,
  parseRate,
  parseRoundingMode,
  split,
  toExactFraction,
} from './money/index.ts';
import type { DayCount, Decimal, ExactFraction, RemainderRule, RoundingMode, SplitPart } from './money/index.ts';
import { scheduleRemainderRule, splitRepayment, type LenderHolding } from './repayment-split.ts';
import { NOTHING_COVERED } from './repayment-waterfall.ts';

export { scheduleRemainderRule };

/**
 * Repayment schedules: the borrower's instalments and each lender's part of them.
 * The conventions are written down in docs/schedules.md; the golden schedules in
 * test/golden/schedules are computed from that text by a separate implementation.
 */

export interface Instalment {
  readonly number: number;
  readonly dueDate: string;
  /** The interest period is [periodStart, periodEnd); periodEnd is the due date. */
  readonly periodStart: string;
  readonly periodEnd: string;
  /** Actual calendar days of the period, whatever the day count. */
  readonly days: number;
  readonly principalMinor: bigint;
  readonly interestMinor: bigint;
  readonly totalMinor: bigint;
  readonly openingPrincipalMinor: bigint;
  readonly closingPrincipalMinor: bigint;
}

export interface Schedule {
  readonly method: RepaymentMethod;
  readonly instalments: readonly Instalment[];
  readonly totalPrincipalMinor: bigint;
  readonly totalInterestMinor: bigint;
}

export interface ScheduleTerms {
  readonly principalMinor: bigint;
  /** Annual contract rate as a decimal string, "0.12" for 12%. */
  readonly annualRate: string;
  readonly termMonths: number;
  readonly method: RepaymentMethod;
  readonly disbursementDate: string;
  /** Default: the disbursement date + 1 month (a regular first period). */
  readonly firstDueDate?: string;
  /**
   * Every due date, given: a schedule rebuilt after an early repayment keeps the due dates of the
   * schedule it replaces. One per month of the term, increasing, the first after the disbursement.
   */
  readonly dueDates?: readonly string[];
  readonly dayCount: DayCount;
  readonly roundingMode: RoundingMode;
}

/**
 * A lender's part of one instalment: the plan, what the repayment split gives the lender when the
 * borrower pays the instalment in full on its due date (docs/schedules.md, "Plan and paid").
 */
export interface LenderInstalment {
  readonly number: number;
  readonly dueDate: string;
  readonly principalMinor: bigint;
  /** The lender's interest: its pro-rata part (PRO_RATA) or its entitlement at its own yield (LENDER_RATE). */
  readonly interestMinor: bigint;
  /** LENDER_RATE: the lead's spread, the borrower's interest above the partners' entitlements; 0 otherwise. */
  readonly spreadMinor: bigint;
  /** principal + interest + spread. */
  readonly totalMinor: bigint;
  /** The lender's outstanding principal after this instalment. */
  readonly closingPrincipalMinor: bigint;
}

export interface LenderSchedule {
  readonly lenderId: string;
  readonly instalments: readonly LenderInstalment[];
  /** Equals the lender's funded amount. */
  readonly totalPrincipalMinor: bigint;
  readonly totalInterestMinor: bigint;
  readonly totalSpreadMinor: bigint;
}

export interface ScheduleFunding {
  readonly lenderId: string;
  readonly amountMinor: bigint;
  /** Lower numbers win tie-breaks; a lender without one ranks after every lender with one, then by id. */
  readonly priority?: number;
}

export const REPAYMENT_METHODS: readonly RepaymentMethod[] = [
  'EQUAL_INSTALLMENT',
  'EQUAL_PRINCIPAL',
  'INTEREST_ONLY',
  'BULLET',
];

/** Fifty years of monthly instalments; keeps every schedule (and its exact arithmetic) bounded. */
export const MAX_TERM_MONTHS = 600;

const NO_PRIORITY = Number.MAX_SAFE_INTEGER;

interface CheckedTerms {
  readonly principalMinor: bigint;
  readonly rate: Decimal;
  readonly rateFraction: ExactFraction;
  readonly termMonths: number;
  readonly method: RepaymentMethod;
  readonly disbursementDate: string;
  readonly firstDueDate: string | undefined;
  readonly dueDates: readonly string[] | undefined;
  readonly dayCount: DayCount;
  readonly roundingMode: RoundingMode;
}

/**
 * The borrower's schedule. Monthly methods pay on the due dates of `scheduleDueDates`; a regular
 * month's interest is opening principal x annual rate / 12, an odd first period and a bullet loan
 * accrue daily with the day count. Every amount is rounded to the minor unit with the rounding mode
 * and the last instalment repays whatever principal is left.
 */
export function borrowerSchedule(terms: ScheduleTerms): Schedule {
  const checked = checkTerms(terms);
  const instalments = checked.method === 'BULLET' ? bulletInstalments(checked) : monthlyInstalments(checked);
  let totalInterestMinor = 0n;
  for (const instalment of instalments) totalInterestMinor += instalment.interestMinor;
  const schedule: Schedule = {
    method: checked.method,
    instalments,
    totalPrincipalMinor: checked.principalMinor,
    totalInterestMinor,
  };
  assertSchedule(schedule, checked.principalMinor);
  return schedule;
}

/**
 * The due dates of a monthly schedule, each computed from its anchor (never from the previous due
 * date), so a month-end day survives short months: with a first due date, instalment i falls
 * `i - 1` months after it; without one, `i` months after the disbursement date.
 */
export function scheduleDueDates(disbursementDate: string, termMonths: number, firstDueDate?: string): string[] {
  checkTermMonths(termMonths);
  return Array.from({ length: termMonths }, (_, i) => dueDateOf(i + 1, disbursementDate, firstDueDate));
}

function dueDateOf(number: number, disbursementDate: string, firstDueDate: string | undefined): string {
  return firstDueDate === undefined ? addMonths(disbursementDate, number) : addMonths(firstDueDate, number - 1);
}

/** The amount of each EQUAL_INSTALLMENT instalment: P·r / (1 − (1 + r)^−n) with r = annual rate / 12, rounded once. */
export function levelPaymentMinor(
  principalMinor: bigint,
  annualRate: string,
  termMonths: number,
  mode: RoundingMode,
): bigint {
  checkPrincipal(principalMinor);
  checkTermMonths(termMonths);
  const rate = toExactFraction(parseRate(annualRate, 'annualRate'));
  return annuityMinor(principalMinor, rate, termMonths, parseRoundingMode(mode, 'mode'));
}

/**
 * P·r / (1 − (1 + r)^−n) exactly. With the annual rate a / 10^k and D = 12·10^k, r = a / D and the
 * payment is P·a·(D + a)^n / (D·((D + a)^n − D^n)): one bigint division, one rounding.
 */
function annuityMinor(principalMinor: bigint, rate: ExactFraction, termMonths: number, mode: RoundingMode): bigint {
  const n = BigInt(termMonths);
  const a = rate.numerator;
  if (a === 0n) return divRound(principalMinor, n, mode);
  const d = 12n * rate.denominator;
  const grown = (d + a) ** n;
  return divRound(principalMinor * a * grown, d * (grown - d ** n), mode);
}

function monthlyInterest(openingMinor: bigint, rate: ExactFraction, mode: RoundingMode): bigint {
  return divRound(openingMinor * rate.numerator, 12n * rate.denominator, mode);
}

function monthlyInstalments(terms: CheckedTerms): Instalment[] {
  const { principalMinor, method, disbursementDate, roundingMode: mode } = terms;
  const dueDates = terms.dueDates ?? scheduleDueDates(disbursementDate, terms.termMonths, terms.firstDueDate);
  const oddFirstPeriod = dueDates[0] !== addMonths(disbursementDate, 1);
  const count = dueDates.length;
  const level =
    method === 'EQUAL_INSTALLMENT' && count > 1 ? annuityMinor(principalMinor, terms.rateFraction, count, mode) : 0n;
  const equalPrincipal = method === 'EQUAL_PRINCIPAL' ? divRound(principalMinor, BigInt(count), mode) : 0n;
  const instalments: Instalment[] = [];
  let opening = principalMinor;
  let periodStart = disbursementDate;
  for (let i = 0; i < count; i++) {
    const dueDate = dueDates[i]!;
    const interest =
      i === 0 && oddFirstPeriod
        ? accrueInterest(opening, terms.rate, periodStart, dueDate, terms.dayCount, mode)
        : monthlyInterest(opening, terms.rateFraction, mode);
    const planned = method === 'EQUAL_INSTALLMENT' ? level - interest : method === 'EQUAL_PRINCIPAL' ? equalPrincipal : 0n;
    const principal = i === count - 1 ? opening : clamp(planned, opening);
    instalments.push(instalment(i + 1, periodStart, dueDate, opening, principal, interest));
    opening -= principal;
    periodStart = dueDate;
  }
  return instalments;
}

function bulletInstalments(terms: CheckedTerms): Instalment[] {
  const { principalMinor, disbursementDate } = terms;
  const maturity = terms.dueDates?.[terms.dueDates.length - 1] ?? dueDateOf(terms.termMonths, disbursementDate, terms.firstDueDate);
  const interest = accrueInterest(principalMinor, terms.rate, disbursementDate, maturity, terms.dayCount, terms.roundingMode);
  return [instalment(1, disbursementDate, maturity, principalMinor, principalMinor, interest)];
}

/** A planned principal part kept within [0, outstanding]. */
function clamp(planned: bigint, outstanding: bigint): bigint {
  if (planned < 0n) return 0n;
  return planned > outstanding ? outstanding : planned;
}

function instalment(
  number: number,
  periodStart: string,
  dueDate: string,
  opening: bigint,
  principal: bigint,
  interest: bigint,
): Instalment {
  return {
    number,
    dueDate,
    periodStart,
    periodEnd: dueDate,
    days: daysBetween(periodStart, dueDate),
    principalMinor: principal,
    interestMinor: interest,
    totalMinor: principal + interest,
    openingPrincipalMinor: opening,
    closingPrincipalMinor: opening - principal,
  };
}

function checkPrincipal(principalMinor: bigint): void {
  if (typeof principalMinor !== 'bigint' || principalMinor <= 0n) {
    throw new ValidationError(`principalMinor must be a positive bigint, got ${String(principalMinor)}`, {
      path: 'principalMinor',
      rule: 'positive',
    });
  }
}

function checkTermMonths(termMonths: number): void {
  if (!Number.isSafeInteger(termMonths) || termMonths < 1 || termMonths > MAX_TERM_MONTHS) {
    throw new ValidationError(`termMonths must be a whole number from 1 to ${MAX_TERM_MONTHS}, got ${String(termMonths)}`, {
      path: 'termMonths',
      rule: 'term-range',
    });
  }
}

function checkTerms(terms: ScheduleTerms): CheckedTerms {
  const { principalMinor, termMonths, method } = terms;
  checkPrincipal(principalMinor);
  checkTermMonths(termMonths);
  if (!REPAYMENT_METHODS.includes(method)) {
    throw new ValidationError(`method must be one of ${REPAYMENT_METHODS.join(', ')}, got ${String(method)}`, {
      path: 'method',
      rule: 'repayment-method',
    });
  }
  const rate = parseRate(terms.annualRate, 'annualRate');
  const disbursementDate = parseIsoDate(terms.disbursementDate, 'disbursementDate');
  const firstDueDate =
    terms.firstDueDate === undefined ? undefined : parseIsoDate(terms.firstDueDate, 'firstDueDate');
  if (firstDueDate !== undefined && compareIsoDates(firstDueDate, disbursementDate) <= 0) {
    throw new ValidationError(`firstDueDate ${firstDueDate} must be after the disbursement date ${disbursementDate}`, {
      path: 'firstDueDate',
      rule: 'after-disbursement',
    });
  }
  const dueDates = terms.dueDates === undefined ? undefined : checkDueDates(terms.dueDates, termMonths, disbursementDate);
  return {
    principalMinor,
    rate,
    rateFraction: toExactFraction(rate),
    termMonths,
    method,
    disbursementDate,
    firstDueDate,
    dueDates,
    dayCount: parseDayCount(terms.dayCount, 'dayCount'),
    roundingMode: parseRoundingMode(terms.roundingMode, 'roundingMode'),
  };
}

function checkDueDates(dueDates: readonly string[], termMonths: number, disbursementDate: string): string[] {
  if (dueDates.length !== termMonths) {
    throw new ValidationError(`dueDates must hold one date per month of the term (${termMonths}), got ${dueDates.length}`, { path: 'dueDates', rule: 'one-per-month' });
  }
  let previous = disbursementDate;
  return dueDates.map((date, i) => {
    const checked = parseIsoDate(date, `dueDates.${i}`);
    if (compareIsoDates(checked, previous) <= 0) {
      throw new ValidationError(`dueDates.${i} ${checked} must come after ${previous}`, { path: `dueDates.${i}`, rule: 'increasing' });
    }
    previous = checked;
    return checked;
  });
}

function assertSchedule(schedule: Schedule, principalMinor: bigint): void {
  let expectedOpening = principalMinor;
  let principalSum = 0n;
  for (const row of schedule.instalments) {
    invariant(
      row.principalMinor >= 0n &&
        row.interestMinor >= 0n &&
        row.openingPrincipalMinor === expectedOpening &&
        row.closingPrincipalMinor === row.openingPrincipalMinor - row.principalMinor &&
        row.closingPrincipalMinor >= 0n &&
        row.totalMinor === row.principalMinor + row.interestMinor,
      'a schedule instalment is negative or does not follow from the one before',
      { number: row.number },
    );
    principalSum += row.principalMinor;
    expectedOpening = row.closingPrincipalMinor;
  }
  invariant(principalSum === principalMinor && expectedOpening === 0n, 'schedule principal does not repay the loan', {
    principalMinor: principalMinor.toString(),
    repaidMinor: principalSum.toString(),
  });
}

/** One lender's part of one instalment. */
interface InstalmentParts {
  readonly principalMinor: bigint;
  readonly interestMinor: bigint;
  readonly spreadMinor: bigint;
}

/** Divides one instalment among the holders, given each one's outstanding principal before it (in the holders' order). */
type InstalmentDivision = (row: Instalment, holders: readonly string[], outstanding: readonly bigint[]) => readonly InstalmentParts[];

/** A lender's whole remaining share passing to another from a value date (a buyback): the rows due after it are the buyer's. */
export interface ShareMove {
  readonly sellerLenderId: string;
  readonly buyerId: string;
  readonly valueDate: string;
  /** A share transfer's principal; absent for a buyback, which moves the seller's whole share. */
  readonly principalMinor?: bigint;
}

/**
 * Each lender's part of every instalment on the PRO_RATA basis. The principal part is split by the
 * lenders' outstanding principal before the instalment, capped at it, so nobody is repaid more than
 * it has outstanding and every lender reaches 0 with the last instalment; the interest part is split
 * by the same weights. Both go through `split` with `rule`. Returned in the order of `fundingPlan`.
 * A booked loan's sub-schedules, whatever its interest basis, are `loanLenderSchedules`.
 */
export function lenderSchedules(
  schedule: Schedule,
  fundingPlan: readonly ScheduleFunding[],
  rule: RemainderRule,
): LenderSchedule[] {
  checkFundingPlan(schedule, fundingPlan);
  const priorities = fundingPlan.map((part) => part.priority ?? NO_PRIORITY);
  return subSchedules(schedule, fundingPlan, [], (row, _holders, outstanding) => {
    const principalParts: SplitPart[] = [];
    const interestParts: SplitPart[] = [];
    fundingPlan.forEach((part, j) => {
      const weight = outstanding[j]!;
      principalParts.push({ id: part.lenderId, weight, priority: priorities[j]!, cap: weight });
      interestParts.push({ id: part.lenderId, weight, priority: priorities[j]! });
    });
    const principal = split(row.principalMinor, principalParts, rule);
    const interest = split(row.interestMinor, interestParts, rule);
    return fundingPlan.map((part) => ({ principalMinor: principal.get(part.lenderId)!, interestMinor: interest.get(part.lenderId)!, spreadMinor: 0n }));
  });
}

/**
 * The sub-schedules of `fundingPlan`: instalment by instalment, `divide` gives each holder its
 * part from what it holds before the instalment; its outstanding goes down by its principal part.
 * A move passes the seller's outstanding to the buyer before the first instalment due after its
 * value date: the seller's sub-schedule ends there and the buyer's (after the plan's, when it funded
 * nothing) takes the rows from there on. Asserted: the parts sum to the borrower's instalment, none
 * is negative, every lender is repaid exactly what it funded (or what it holds, after moves).
 */
function subSchedules(schedule: Schedule, fundingPlan: readonly ScheduleFunding[], moves: readonly ShareMove[], divide: InstalmentDivision): LenderSchedule[] {
  const holders = [...fundingPlan.map((part) => part.lenderId)];
  for (const move of moves) if (!holders.includes(move.buyerId)) holders.push(move.buyerId);
  const outstanding = holders.map((id) => fundingPlan.find((part) => part.lenderId === id)?.amountMinor ?? 0n);
  const holding = holders.map((id) => fundingPlan.some((part) => part.lenderId === id));
  const pending = [...moves].sort((a, b) => compareIsoDates(a.valueDate, b.valueDate));
  const rows: LenderInstalment[][] = holders.map(() => []);
  for (const row of schedule.instalments) {
    while (pending.length > 0 && compareIsoDates(row.dueDate, pending[0]!.valueDate) > 0) {
      const move = pending.shift()!;
      const seller = holders.indexOf(move.sellerLenderId);
      const buyer = holders.indexOf(move.buyerId);
      invariant(seller >= 0, 'a share moves from a holder', { lenderId: move.sellerLenderId });
      // The plan's holding may be below what was sold when the loan was paid ahead of it: never more than held.
      const moved = move.principalMinor === undefined || move.principalMinor > outstanding[seller]! ? outstanding[seller]! : move.principalMinor;
      outstanding[buyer] = outstanding[buyer]! + moved;
      outstanding[seller] = outstanding[seller]! - moved;
      holding[seller] = outstanding[seller]! > 0n;
      holding[buyer] = true;
    }
    invariant(outstanding.reduce((sum, amount) => sum + amount, 0n) === row.openingPrincipalMinor, 'lenders do not hold the opening principal', {
      number: row.number,
    });
    const parts = divide(row, holders, outstanding);
    holders.forEach((lenderId, j) => {
      const { principalMinor, interestMinor, spreadMinor } = parts[j]!;
      invariant(holding[j]! || principalMinor + interestMinor + spreadMinor === 0n, 'a lender that holds nothing gets nothing', { lenderId, number: row.number });
      if (!holding[j]) return;
      outstanding[j] = outstanding[j]! - principalMinor;
      rows[j]!.push({
        number: row.number,
        dueDate: row.dueDate,
        principalMinor,
        interestMinor,
        spreadMinor,
        totalMinor: principalMinor + interestMinor + spreadMinor,
        closingPrincipalMinor: outstanding[j]!,
      });
    });
  }
  const result = holders.map((lenderId, j): LenderSchedule => lenderScheduleOf(lenderId, rows[j]!));
  assertLenderSchedules(schedule, result, moves.length === 0 ? fundingPlan : null);
  return result;
}

/** A lender's sub-schedule of `instalments`, with its totals. */
function lenderScheduleOf(lenderId: string, instalments: readonly LenderInstalment[]): LenderSchedule {
  return { lenderId, instalments, ...totalsOf(instalments) };
}

function totalsOf(instalments: readonly LenderInstalment[]): Omit<LenderSchedule, 'lenderId' | 'instalments'> {
  let totalPrincipalMinor = 0n;
  let totalInterestMinor = 0n;
  let totalSpreadMinor = 0n;
  for (const row of instalments) {
    totalPrincipalMinor += row.principalMinor;
    totalInterestMinor += row.interestMinor;
    totalSpreadMinor += row.spreadMinor;
  }
  return { totalPrincipalMinor, totalInterestMinor, totalSpreadMinor };
}

function checkFundingPlan(schedule: Schedule, fundingPlan: readonly ScheduleFunding[]): void {
  if (fundingPlan.length === 0) {
    throw new ValidationError('fundingPlan needs at least one lender', { path: 'fundingPlan', rule: 'non-empty' });
  }
  const seen = new Set<string>();
  let sum = 0n;
  fundingPlan.forEach((part, i) => {
    const path = `fundingPlan.${i}`;
    if (typeof part.lenderId !== 'string' || part.lenderId === '' || seen.has(part.lenderId)) {
      throw new ValidationError(`${path}.lenderId must be a non-empty id that appears once`, {
        path: `${path}.lenderId`,
        rule: 'unique-id',
      });
    }
    seen.add(part.lenderId);
    if (typeof part.amountMinor !== 'bigint' || part.amountMinor < 0n) {
      throw new ValidationError(`${path}.amountMinor must be a bigint of zero or more`, {
        path: `${path}.amountMinor`,
        rule: 'non-negative',
      });
    }
    if (part.priority !== undefined && (typeof part.priority !== 'number' || !Number.isFinite(part.priority))) {
      throw new ValidationError(`${path}.priority must be a finite number`, { path: `${path}.priority`, rule: 'finite' });
    }
    sum += part.amountMinor;
  });
  if (sum !== schedule.totalPrincipalMinor) {
    throw new ValidationError(`fundingPlan sums to ${sum}, the schedule repays ${schedule.totalPrincipalMinor}`, {
      path: 'fundingPlan',
      rule: 'plan-sums-to-principal',
    });
  }
}

/** The checks of sub-schedules; `funded` (absent after moves) names what each lender must be repaid. */
function assertLenderSchedules(schedule: Schedule, lenders: readonly LenderSchedule[], funded: readonly ScheduleFunding[] | null): void {
  const byNumber = new Map<number, { principal: bigint; interest: bigint }>();
  for (const lender of lenders) {
    for (const part of lender.instalments) {
      invariant(part.principalMinor >= 0n && part.interestMinor >= 0n && part.spreadMinor >= 0n && part.closingPrincipalMinor >= 0n, 'a lender part is negative', {
        lenderId: lender.lenderId,
        number: part.number,
      });
      const sums = byNumber.get(part.number) ?? { principal: 0n, interest: 0n };
      byNumber.set(part.number, { principal: sums.principal + part.principalMinor, interest: sums.interest + part.interestMinor + part.spreadMinor });
    }
  }
  for (const row of schedule.instalments) {
    const sums = byNumber.get(row.number) ?? { principal: 0n, interest: 0n };
    invariant(sums.principal === row.principalMinor && sums.interest === row.interestMinor, 'lender parts do not sum to the instalment', { number: row.number });
  }
  const lastNumber = schedule.instalments[schedule.instalments.length - 1]?.number;
  lenders.forEach((lender, j) => {
    const last = lender.instalments[lender.instalments.length - 1];
    const fundedMinor = funded === null ? lender.totalPrincipalMinor : funded[j]!.amountMinor;
    // A lender that sold ends its sub-schedule early, with what it sold still outstanding.
    const held = last === undefined || last.number === lastNumber;
    invariant(lender.totalPrincipalMinor === fundedMinor && (!held || last === undefined || last.closingPrincipalMinor === 0n), 'a lender is not repaid exactly its funded amount', {
      lenderId: lender.lenderId,
      repaidMinor: lender.totalPrincipalMinor.toString(),
      fundedMinor: fundedMinor.toString(),
    });
  });
}

/** A booked loan's schedule terms, with the program's day count and rounding mode as they were at booking. */
export function scheduleTermsOf(loan: Loan, firstDueDate?: string): ScheduleTerms {
  return {
    principalMinor: loan.principalMinor,
    annualRate: loan.annualRate,
    termMonths: loan.termMonths,
    method: loan.repaymentMethod,
    disbursementDate: loan.disbursementDate,
    ...(firstDueDate === undefined ? {} : { firstDueDate }),
    dayCount: loan.terms.dayCount,
    roundingMode: loan.terms.roundingMode,
  };
}

/** A booked loan's borrower schedule and lender sub-schedules, ties broken by the participants' priorities. */
export function loanSchedules(loan: Loan, firstDueDate?: string): { borrower: Schedule; lenders: LenderSchedule[] } {
  const borrower = borrowerSchedule(scheduleTermsOf(loan, firstDueDate));
  return { borrower, lenders: loanLenderSchedules(loan, borrower) };
}

/**
 * Each lender's sub-schedule of a borrower schedule of the loan (as booked, or as rebuilt after an
 * early repayment): every instalment divided by the repayment split of the loan's terms, as the
 * account divides that instalment paid in full on its due date. The plan is then what is paid:
 * under LENDER_RATE a partner's interest is its entitlement at its own yield over the instalment's
 * period and the lead's part is the spread.
 */
export function loanLenderSchedules(loan: Loan, borrower: Schedule, moves: readonly ShareMove[] = []): LenderSchedule[] {
  const participants = new Map(loan.terms.participants.map((p) => [p.lenderId, p]));
  const plan = loan.fundingPlan;
  checkFundingPlan(borrower, plan);
  return subSchedules(borrower, plan, moves, (row, holders, outstanding) => {
    const holdings = holders.map((lenderId, j): LenderHolding => {
      const participant = participants.get(lenderId);
      return {
        lenderId,
        // A guarantor holding a share it bought back is paid for it as a partner is.
        role: lenderId === loan.terms.leadLenderId ? 'LEAD' : 'PARTNER',
        outstandingPrincipalMinor: outstanding[j]!,
        yieldRate: participant?.yieldRate ?? null,
        priority: participant?.priority ?? NO_PRIORITY,
      };
    });
    const covered = { ...NOTHING_COVERED, currentPrincipalMinor: row.principalMinor, currentInterestMinor: row.interestMinor };
    const { perLender } = splitRepayment(loan.terms, holdings, covered, { start: row.periodStart, end: row.dueDate });
    return holders.map((lenderId) => {
      const parts = perLender.get(lenderId)!;
      return { principalMinor: parts.principalMinor, interestMinor: parts.interestMinor, spreadMinor: parts.spreadMinor };
    });
  });
}
