import { ValidationError } from '../errors.ts';
import { describeValue } from './describe-value.ts';

/**
 * Calendar dates are ISO `YYYY-MM-DD` strings (proleptic Gregorian, years 0001-9999), compared
 * and counted as civil dates: no time of day, no time zone, no clock.
 */
export interface CivilDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MIN_EPOCH_DAY = -719162; // 0001-01-01
const MAX_EPOCH_DAY = 2932896; // 9999-12-31

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function refuseDate(value: unknown, path: string): never {
  throw new ValidationError(`${path} must be a calendar date YYYY-MM-DD, got ${describeValue(value)}`, {
    path,
    rule: 'iso-date',
  });
}

/** The parts of a valid date; refuses '2023-02-29', '2024-13-01', '2024-1-5', '0000-01-01'. */
export function toCivilDate(value: unknown, path: string): CivilDate {
  if (typeof value !== 'string') return refuseDate(value, path);
  const match = ISO_DATE.exec(value);
  if (match === null) return refuseDate(value, path);
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return refuseDate(value, path);
  return { year, month, day };
}

/** A valid ISO date string, as given. */
export function parseIsoDate(value: unknown, path: string): string {
  toCivilDate(value, path);
  return value as string;
}

export function formatIsoDate({ year, month, day }: CivilDate): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** Days since 1970-01-01 of a civil date (the days_from_civil construction on 400-year eras). */
export function civilToEpochDay({ year, month, day }: CivilDate): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

export function epochDayToCivil(epochDay: number): CivilDate {
  const z = epochDay + 719468;
  const era = Math.floor(z / 146097);
  const dayOfEra = z - era * 146097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1;
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return { year, month, day };
}

export function toEpochDay(date: string, path = 'date'): number {
  return civilToEpochDay(toCivilDate(date, path));
}

export function fromEpochDay(epochDay: number, path = 'date'): string {
  if (!Number.isSafeInteger(epochDay) || epochDay < MIN_EPOCH_DAY || epochDay > MAX_EPOCH_DAY) {
    throw new ValidationError(`${path} falls outside the years 0001-9999 (epoch day ${epochDay})`, {
      path,
      rule: 'date-range',
    });
  }
  return formatIsoDate(epochDayToCivil(epochDay));
}

/** Actual days from start to end (negative when end is before start). */
export function daysBetween(start: string, end: string): number {
  return toEpochDay(end, 'end') - toEpochDay(start, 'start');
}

function assertWholeCount(count: number, path: string): void {
  if (!Number.isSafeInteger(count)) {
    throw new ValidationError(`${path} must be a whole number, got ${describeValue(count)}`, { path, rule: 'integer' });
  }
}

export function addDays(date: string, days: number): string {
  assertWholeCount(days, 'days');
  return fromEpochDay(toEpochDay(date) + days);
}

/** The same day `months` later (or earlier), clamped to the month's last day: 2024-01-31 + 1 -> 2024-02-29. */
export function addMonths(date: string, months: number): string {
  assertWholeCount(months, 'months');
  const { year, month, day } = toCivilDate(date, 'date');
  const monthIndex = year * 12 + (month - 1) + months;
  const newYear = Math.floor(monthIndex / 12);
  const newMonth = monthIndex - newYear * 12 + 1;
  if (newYear < 1 || newYear > 9999) {
    throw new ValidationError(`months: ${date} + ${months} months falls outside the years 0001-9999`, {
      path: 'months',
      rule: 'date-range',
    });
  }
  return formatIsoDate({ year: newYear, month: newMonth, day: Math.min(day, daysInMonth(newYear, newMonth)) });
}

export function compareIsoDates(a: string, b: string): -1 | 0 | 1 {
  const difference = toEpochDay(a, 'a') - toEpochDay(b, 'b');
  return difference < 0 ? -1 : difference > 0 ? 1 : 0;
}

/** Whether the date is the last day of its month (used by month-end schedule rules). */
export function isEndOfMonth(date: string): boolean {
  const { year, month, day } = toCivilDate(date, 'date');
  return day === daysInMonth(year, month);
}
