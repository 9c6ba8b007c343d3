import { invariant, ValidationError } from './errors.ts';
import {
  addDays,
  addMonths,
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

/**
 * Every class of every profile, best to worst; a class is worse than another when it comes later.
 * Each profile's own classes (`RegulatoryProfile.classes`) keep this order.
 */
export const CLASSIFICATIONS: readonly Classification[] = ['NORMAL', 'SMA_0', 'SMA_1', 'SMA_2', 'SPECIAL_MENTION', 'SUBSTANDARD', 'DOUBTFUL', 'LOSS'];

/** The facts a loan's class is decided from, as of a date. */
export interface ClassificationFacts {
  readonly asOf: string;
  /** Days past due at `asOf` (`daysPastDue`). */
  readonly dpd: number;
  /** Principal, interest and penalty due before `asOf` and not paid. */
  readonly arrearsMinor: bigint;
  /** The loan's class at its last assessment before `asOf`; null at its first. */
  readonly previous: LoanClass | null;
}

/** A loan's class and the history its next class is decided from. */
export interface LoanClass {
  readonly classification: Classification;
  /** The date the loan entered this class. */
  readonly since: string;
  /** The first date of the loan's current stretch without arrears; absent while in arrears. */
  readonly clearSince?: string;
  /** The date the loan became non-performing, while it is; absent while it performs. */
  readonly nonPerformingSince?: string;
}

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
 * The loan's class at `facts.asOf`, a pure function of the days past due, the arrears and the class
 * before (docs/risk-update.md, "Classification"):
 * - a performing loan's class is the profile's floor for its DPD, up or down;
 * - a non-performing loan keeps its class (or worsens, by DPD or by its time as non-performing)
 *   until every arrear is paid, and then until it has stayed clear of arrears for the profile's
 *   observation months; it then takes the floor of its DPD again.
 */
export function classifyAt(facts: ClassificationFacts, profile: RegulatoryProfile): LoanClass {
  const { dpd, arrearsMinor } = facts;
  const asOf = parseIsoDate(facts.asOf, 'asOf');
  const floor = classify(dpd, profile);
  if (typeof arrearsMinor !== 'bigint' || arrearsMinor < 0n || (dpd > 0 && arrearsMinor === 0n)) {
    throw new ValidationError(`arrearsMinor must be a bigint of zero or more, and more than 0 when ${String(dpd)} days are past due, got ${String(arrearsMinor)}`, {
      path: 'arrearsMinor',
      rule: 'arrears-with-dpd',
    });
  }
  const previous = historyAsOf(facts.previous, asOf);
  const clearSince = arrearsMinor > 0n ? undefined : (previous?.clearSince ?? asOf);
  const held = previous !== null && isNonPerforming(previous.classification, profile) ? previous : null;
  let classification: Classification;
  let nonPerformingSince: string | undefined;
  if (held !== null && !observed(clearSince, asOf, profile)) {
    nonPerformingSince = held.nonPerformingSince ?? held.since;
    classification = worseOf(worseOf(floor, held.classification), ageFloor(nonPerformingSince, asOf, profile));
  } else if (isNonPerforming(floor, profile)) {
    // Past the threshold by DPD: non-performing since the day the DPD passed it.
    nonPerformingSince = addDays(asOf, -(dpd - nonPerformingDpd(profile) - 1));
    classification = worseOf(floor, ageFloor(nonPerformingSince, asOf, profile));
  } else {
    classification = floor;
  }
  const since = previous !== null && previous.classification === classification ? previous.since : asOf;
  return {
    classification,
    since,
    ...(clearSince === undefined ? {} : { clearSince }),
    ...(nonPerformingSince === undefined ? {} : { nonPerformingSince }),
  };
}

/**
 * The history that is a fact as of `asOf`: a previous class dated after it (an assessment of a later
 * date, or a wrong one) says nothing about `asOf`, and the class is decided as at a first assessment.
 */
function historyAsOf(previous: LoanClass | null, asOf: string): LoanClass | null {
  if (previous === null) return null;
  checkClassification(previous.classification);
  for (const field of ['since', 'clearSince', 'nonPerformingSince'] as const) {
    const date = previous[field];
    if (date !== undefined && compareIsoDates(parseIsoDate(date, `previous.${field}`), asOf) > 0) return null;
  }
  return previous;
}

/** Whether a loan clear of arrears since `clearSince` has waited out the profile's observation. */
function observed(clearSince: string | undefined, asOf: string, profile: RegulatoryProfile): boolean {
  return clearSince !== undefined && compareIsoDates(asOf, addMonths(clearSince, profile.upgradeObservationMonths)) >= 0;
}

/** The worst class of the profile's floors by time as non-performing. */
function ageFloor(nonPerformingSince: string, asOf: string, profile: RegulatoryProfile): Classification {
  let floor: Classification = 'NORMAL';
  for (const rule of profile.nonPerformingAgeFloors) {
    if (compareIsoDates(asOf, addMonths(nonPerformingSince, rule.monthsAtLeast)) >= 0) floor = worseOf(floor, rule.atLeast);
  }
  return floor;
}

function isNonPerforming(classification: Classification, profile: RegulatoryProfile): boolean {
  return compareClassifications(classification, profile.nonPerformingFrom) >= 0;
}

/** The DPD past which a loan is non-performing: the lowest floor that reaches a non-performing class. */
function nonPerformingDpd(profile: RegulatoryProfile): number {
  const floors = profile.classificationFloors.filter((rule) => isNonPerforming(rule.atLeast, profile)).map((rule) => rule.dpdOver);
  invariant(floors.length > 0, 'a profile names the DPD past which a loan is non-performing', { profile: profile.id });
  return Math.min(...floors);
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
