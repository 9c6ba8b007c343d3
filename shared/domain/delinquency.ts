import { ValidationError } from './errors.ts';
import {
  compareIsoDates,
  dayCountFraction,
  daysBetween,
  divRound,
  parseDayCount,
  parseIsoDate,
  parseRate,
  parseRoundingMode,
  toExactFraction,
} from './money/index.ts';
import type { DayCount, RoundingMode } from './money/index.ts';
import type { Classification, RegulatoryProfile } from './regulatory-profile.ts';
import type { Instalment, Schedule } from './schedule.ts';

/**
 * Overdue status of a loan: days past due, overdue and current amounts, penalty and compound
 * interest on what is overdue, and the five-category classification floor by days past due.
 * The rules are written down in docs/repayments.md, "Overdue, penalty and classification".
 */

/** What has been paid of each instalment, by instalment number; a missing number has been paid nothing. */
export type PaidByInstalment = ReadonlyMap<number, bigint>;

export interface OverdueAmounts {
  /** Unpaid principal of instalments due before the date. */
  readonly overduePrincipalMinor: bigint;
  /** Unpaid interest of instalments due before the date. */
  readonly overdueInterestMinor: bigint;
  /** Unpaid principal of the instalment due on the date, if any. */
  readonly currentPrincipalMinor: bigint;
  /** Unpaid interest of the instalment due on the date, if any. */
  readonly currentInterestMinor: bigint;
}

export interface PenaltyTerms {
  readonly overduePrincipalMinor: bigint;
  readonly overdueInterestMinor: bigint;
  /** Annual contract rate as a decimal string, "0.12" for 12%. */
  readonly contractRate: string;
  /** Penalty rate = contract rate × multiplier; the program setting, "1.5" by default. */
  readonly multiplier: string;
  readonly dayCount: DayCount;
  /** Accrual runs over [from, to). */
  readonly from: string;
  readonly to: string;
  readonly roundingMode: RoundingMode;
}

export interface PenaltyInterest {
  /** Penalty interest (罚息) on overdue principal. */
  readonly penaltyMinor: bigint;
  /** Compound interest (复利) on overdue interest. */
  readonly compoundMinor: bigint;
}

/** The five categories from best to worst; a class is worse than another when it comes later. */
export const CLASSIFICATIONS: readonly Classification[] = ['NORMAL', 'SPECIAL_MENTION', 'SUBSTANDARD', 'DOUBTFUL', 'LOSS'];

interface Unpaid {
  readonly instalment: Instalment;
  readonly principalMinor: bigint;
  readonly interestMinor: bigint;
}

/**
 * Days past due at `asOf`: the days from the due date of the oldest instalment that is due before
 * `asOf` and not fully paid (principal and interest) to `asOf`; 0 when none is. An instalment due
 * on `asOf` is not yet overdue.
 */
export function daysPastDue(
  schedule: Schedule,
  paidPrincipalByInstalment: PaidByInstalment,
  paidInterestByInstalment: PaidByInstalment,
  asOf: string,
): number {
  const date = parseIsoDate(asOf, 'asOf');
  let oldest: string | undefined;
  for (const row of unpaidRows(schedule, paidPrincipalByInstalment, paidInterestByInstalment)) {
    const dueDate = row.instalment.dueDate;
    if (compareIsoDates(dueDate, date) >= 0) continue;
    if (oldest === undefined || compareIsoDates(dueDate, oldest) < 0) oldest = dueDate;
  }
  return oldest === undefined ? 0 : daysBetween(oldest, date);
}

/**
 * The unpaid principal and interest at `asOf`: overdue for instalments due before it, current for
 * the instalment due on it. Instalments due later are neither.
 */
export function overdueAmounts(
  schedule: Schedule,
  paidPrincipalByInstalment: PaidByInstalment,
  paidInterestByInstalment: PaidByInstalment,
  asOf: string,
): OverdueAmounts {
  const date = parseIsoDate(asOf, 'asOf');
  let overduePrincipalMinor = 0n;
  let overdueInterestMinor = 0n;
  let currentPrincipalMinor = 0n;
  let currentInterestMinor = 0n;
  for (const row of unpaidRows(schedule, paidPrincipalByInstalment, paidInterestByInstalment)) {
    const order = compareIsoDates(row.instalment.dueDate, date);
    if (order < 0) {
      overduePrincipalMinor += row.principalMinor;
      overdueInterestMinor += row.interestMinor;
    } else if (order === 0) {
      currentPrincipalMinor += row.principalMinor;
      currentInterestMinor += row.interestMinor;
    }
  }
  return { overduePrincipalMinor, overdueInterestMinor, currentPrincipalMinor, currentInterestMinor };
}

function unpaidRows(schedule: Schedule, paidPrincipal: PaidByInstalment, paidInterest: PaidByInstalment): Unpaid[] {
  const numbers = new Set(schedule.instalments.map((row) => row.number));
  checkPaidNumbers(paidPrincipal, numbers, 'paidPrincipalByInstalment');
  checkPaidNumbers(paidInterest, numbers, 'paidInterestByInstalment');
  const rows: Unpaid[] = [];
  for (const instalment of schedule.instalments) {
    const principalMinor = unpaid(instalment.principalMinor, paidPrincipal, instalment.number, 'paidPrincipalByInstalment');
    const interestMinor = unpaid(instalment.interestMinor, paidInterest, instalment.number, 'paidInterestByInstalment');
    if (principalMinor > 0n || interestMinor > 0n) rows.push({ instalment, principalMinor, interestMinor });
  }
  return rows;
}

function checkPaidNumbers(paid: PaidByInstalment, numbers: ReadonlySet<number>, path: string): void {
  for (const number of paid.keys()) {
    if (!numbers.has(number)) {
      throw new ValidationError(`${path} names instalment ${String(number)}, which the schedule does not have`, {
        path: `${path}.${String(number)}`,
        rule: 'known-instalment',
      });
    }
  }
}

function unpaid(dueMinor: bigint, paid: PaidByInstalment, number: number, path: string): bigint {
  const paidMinor = paid.get(number) ?? 0n;
  if (typeof paidMinor !== 'bigint' || paidMinor < 0n || paidMinor > dueMinor) {
    throw new ValidationError(
      `${path}.${number} must be a bigint from 0 to the ${dueMinor} due, got ${String(paidMinor)}`,
      { path: `${path}.${number}`, rule: 'paid-within-due' },
    );
  }
  return dueMinor - paidMinor;
}

/**
 * Penalty interest on overdue principal and compound interest on overdue interest, both at the
 * penalty rate (contract rate × multiplier), accrued daily with the day count over [from, to).
 * Each is computed exactly and rounded once with the rounding mode.
 */
export function penaltyInterest(terms: PenaltyTerms): PenaltyInterest {
  const principal = checkAmount(terms.overduePrincipalMinor, 'overduePrincipalMinor');
  const interest = checkAmount(terms.overdueInterestMinor, 'overdueInterestMinor');
  const rate = toExactFraction(parseRate(terms.contractRate, 'contractRate'));
  const multiplier = toExactFraction(parseRate(terms.multiplier, 'multiplier'));
  const dayCount = parseDayCount(terms.dayCount, 'dayCount');
  const mode = parseRoundingMode(terms.roundingMode, 'roundingMode');
  const from = parseIsoDate(terms.from, 'from');
  const to = parseIsoDate(terms.to, 'to');
  if (compareIsoDates(to, from) < 0) {
    throw new ValidationError(`to ${to} is before from ${from}`, { path: 'to', rule: 'not-before-from' });
  }
  const { days, basis } = dayCountFraction(from, to, dayCount);
  const numerator = rate.numerator * multiplier.numerator * days;
  const denominator = rate.denominator * multiplier.denominator * basis;
  return {
    penaltyMinor: divRound(principal * numerator, denominator, mode),
    compoundMinor: divRound(interest * numerator, denominator, mode),
  };
}

function checkAmount(value: bigint, path: string): bigint {
  if (typeof value !== 'bigint' || value < 0n) {
    throw new ValidationError(`${path} must be a bigint of zero or more, got ${String(value)}`, {
      path,
      rule: 'non-negative',
    });
  }
  return value;
}

/**
 * The classification floor at `dpd` days past due: the worst class among the profile's floors whose
 * `dpdOver` the DPD exceeds; NORMAL when it exceeds none.
 */
export function classify(dpd: number, profile: RegulatoryProfile): Classification {
  if (!Number.isSafeInteger(dpd) || dpd < 0) {
    throw new ValidationError(`dpd must be a whole number of days, zero or more, got ${String(dpd)}`, {
      path: 'dpd',
      rule: 'non-negative-integer',
    });
  }
  let floor: Classification = 'NORMAL';
  for (const rule of profile.classificationFloors) {
    if (dpd > rule.dpdOver) floor = worseOf(floor, rule.atLeast);
  }
  return floor;
}

/**
 * The loan's class at `dpd`: the floor from the profile, or `currentClass` when that is already
 * worse. It never improves a class; an upgrade is a separate decision.
 */
export function classifyLoan(dpd: number, profile: RegulatoryProfile, currentClass: Classification): Classification {
  return worseOf(classify(dpd, profile), checkClassification(currentClass));
}

/** Negative when `a` is better than `b`, positive when worse, 0 when equal. */
export function compareClassifications(a: Classification, b: Classification): number {
  return rankOf(a) - rankOf(b);
}

function worseOf(a: Classification, b: Classification): Classification {
  return compareClassifications(a, b) >= 0 ? a : b;
}

function rankOf(value: Classification): number {
  return CLASSIFICATIONS.indexOf(checkClassification(value));
}

function checkClassification(value: Classification): Classification {
  if (!CLASSIFICATIONS.includes(value)) {
    throw new ValidationError(`a classification must be one of ${CLASSIFICATIONS.join(', ')}, got ${String(value)}`, {
      path: 'classification',
      rule: 'classification',
    });
  }
  return value;
}
