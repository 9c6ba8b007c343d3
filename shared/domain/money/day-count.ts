import { ValidationError } from '../errors.ts';
import { toCivilDate, civilToEpochDay } from './calendar.ts';
import type { Decimal } from './decimal.ts';
import { toExactFraction } from './decimal.ts';
import { describeValue } from './describe-value.ts';
import type { RoundingMode } from './rounding.ts';
import { divRound } from './rounding.ts';

/**
 * Day-count conventions for daily accrual:
 * - ACT/360: actual days over 360;
 * - ACT/365: actual days over 365 (fixed, leap years included);
 * - 30/360: the US bond basis, every month counted as 30 days (see `thirty360Days`).
 */
export type DayCount = 'ACT/360' | 'ACT/365' | '30/360';

export const DAY_COUNTS: readonly DayCount[] = ['ACT/360', 'ACT/365', '30/360'];

export function parseDayCount(value: unknown, path: string): DayCount {
  if (value === 'ACT/360' || value === 'ACT/365' || value === '30/360') return value;
  return refuseDayCount(value, path);
}

function refuseDayCount(value: unknown, path: string): never {
  throw new ValidationError(`${path} must be one of ${DAY_COUNTS.join(', ')}, got ${describeValue(value)}`, {
    path,
    rule: 'day-count',
  });
}

export interface DayCountFraction {
  readonly days: bigint;
  readonly basis: bigint;
}

/**
 * 30/360 US bond basis (ISDA 2006 4.16(f)): days = 360 (Y2 - Y1) + 30 (M2 - M1) + (D2 - D1), where
 * D1 = 31 becomes 30, and D2 = 31 becomes 30 when D1 (after that change) is 30. February's last day
 * is not adjusted: 2024-01-31 to 2024-02-29 counts 29 days and 2024-02-29 to 2024-03-31 counts 32.
 */
function thirty360Days(start: string, end: string): number {
  const from = toCivilDate(start, 'start');
  const to = toCivilDate(end, 'end');
  const d1 = from.day === 31 ? 30 : from.day;
  const d2 = to.day === 31 && d1 >= 30 ? 30 : to.day;
  return 360 * (to.year - from.year) + 30 * (to.month - from.month) + (d2 - d1);
}

/** The accrual fraction days / basis from start (inclusive) to end (exclusive); end must not precede start. */
export function dayCountFraction(start: string, end: string, dayCount: DayCount): DayCountFraction {
  const actualDays = civilToEpochDay(toCivilDate(end, 'end')) - civilToEpochDay(toCivilDate(start, 'start'));
  if (actualDays < 0) {
    throw new ValidationError(`end ${end} is before start ${start}`, { path: 'end', rule: 'not-before-start' });
  }
  switch (dayCount) {
    case 'ACT/360':
      return { days: BigInt(actualDays), basis: 360n };
    case 'ACT/365':
      return { days: BigInt(actualDays), basis: 365n };
    case '30/360':
      return { days: BigInt(thirty360Days(start, end)), basis: 360n };
    default:
      return refuseDayCount(dayCount, 'dayCount');
  }
}

/**
 * Simple interest principal x annualRate x days / basis over [start, end), rounded once with `mode`.
 * Computed exactly: the rate becomes an exact fraction and the product is divided in bigint.
 */
export function accrueInterest(
  principalMinor: bigint,
  annualRate: Decimal,
  start: string,
  end: string,
  dayCount: DayCount,
  mode: RoundingMode,
): bigint {
  if (principalMinor < 0n) {
    throw new ValidationError(`principalMinor must not be negative, got ${principalMinor}`, {
      path: 'principalMinor',
      rule: 'non-negative',
    });
  }
  if (!annualRate.isFinite() || (annualRate.isNegative() && !annualRate.isZero())) {
    throw new ValidationError(`annualRate must be a finite rate of zero or more, got ${annualRate.toString()}`, {
      path: 'annualRate',
      rule: 'non-negative',
    });
  }
  const { days, basis } = dayCountFraction(start, end, dayCount);
  const rate = toExactFraction(annualRate);
  return divRound(principalMinor * rate.numerator * days, rate.denominator * basis, mode);
}
