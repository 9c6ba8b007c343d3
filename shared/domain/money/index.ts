export {
  CURRENCIES,
  assertCurrency,
  formatMajor,
  formatMinor,
  isCurrencyCode,
  parseMinor,
  parseNonNegativeMinor,
  parsePositiveMinor,
  plus,
} from './amount.ts';
export type { Currency, CurrencyCode } from './amount.ts';
export { parseMajorText } from './major-text.ts';
export type { MajorTextOptions, MajorTextProblem } from './major-text.ts';
export {
  addDays,
  addMonths,
  civilToEpochDay,
  compareIsoDates,
  daysBetween,
  daysInMonth,
  epochDayToCivil,
  formatIsoDate,
  fromEpochDay,
  isEndOfMonth,
  isLeapYear,
  parseIsoDate,
  toCivilDate,
  toEpochDay,
} from './calendar.ts';
export type { CivilDate } from './calendar.ts';
export { DAY_COUNTS, accrueInterest, dayCountFraction, parseDayCount } from './day-count.ts';
export type { DayCount, DayCountFraction } from './day-count.ts';
export { Decimal, parseDecimal, parseRate, parseRatio, toExactFraction } from './decimal.ts';
export type { ExactFraction } from './decimal.ts';
export { ROUNDING_MODES, applyRate, divRound, parseRoundingMode, roundDecimalToMinor } from './rounding.ts';
export type { RoundingMode } from './rounding.ts';
export { split, splitAmounts } from './split.ts';
export type { RemainderRule, SplitPart } from './split.ts';
