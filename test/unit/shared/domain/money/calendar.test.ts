import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  addDays,
  addMonths,
  compareIsoDates,
  daysBetween,
  daysInMonth,
  fromEpochDay,
  isEndOfMonth,
  isLeapYear,
  parseIsoDate,
  toCivilDate,
  toEpochDay,
} from '../../../../../shared/domain/money/index.ts';
import { expectValidation } from './expect-domain-error.ts';

const MS_PER_DAY = 86_400_000;

describe('parseIsoDate', () => {
  it('accepts real calendar dates', () => {
    for (const date of ['2024-02-29', '2000-02-29', '2023-12-31', '0001-01-01', '9999-12-31', '2024-04-30']) {
      expect(parseIsoDate(date, 'loan.valueDate')).toBe(date);
    }
    expect(toCivilDate('2024-03-09', 'd')).toEqual({ year: 2024, month: 3, day: 9 });
  });

  it.each([
    ['2023-02-29'],
    ['1900-02-29'],
    ['2024-02-30'],
    ['2024-04-31'],
    ['2024-13-01'],
    ['2024-00-10'],
    ['2024-01-00'],
    ['2024-01-32'],
    ['2024-1-05'],
    ['20240105'],
    ['2024/01/05'],
    ['2024-01-05T00:00:00Z'],
    [' 2024-01-05'],
    ['0000-01-01'],
    ['+2024-01-05'],
    [''],
    [20240105],
    [null],
    [undefined],
  ])('refuses %j with the path', (value) => {
    expectValidation(() => parseIsoDate(value, 'loan.valueDate'), 'loan.valueDate', 'iso-date');
  });
});

describe('leap years and month lengths', () => {
  it('follow the Gregorian rules', () => {
    expect([2024, 2000, 2400, 1600].map(isLeapYear)).toEqual([true, true, true, true]);
    expect([2023, 1900, 2100, 2200].map(isLeapYear)).toEqual([false, false, false, false]);
    expect(daysInMonth(2024, 2)).toBe(29);
    expect(daysInMonth(2023, 2)).toBe(28);
    expect(daysInMonth(2024, 4)).toBe(30);
    expect(daysInMonth(2024, 12)).toBe(31);
  });
});

describe('epoch days', () => {
  it('count from 1970-01-01', () => {
    expect(toEpochDay('1970-01-01')).toBe(0);
    expect(toEpochDay('1969-12-31')).toBe(-1);
    expect(toEpochDay('2000-03-01')).toBe(11017);
    expect(toEpochDay('0001-01-01')).toBe(-719162);
    expect(toEpochDay('9999-12-31')).toBe(2932896);
    expect(fromEpochDay(0)).toBe('1970-01-01');
    expect(fromEpochDay(19782)).toBe('2024-02-29');
  });

  it('agree with the proleptic Gregorian calendar for every date and round-trip', () => {
    fc.assert(
      fc.property(fc.integer({ min: toEpochDay('0100-01-01'), max: 2932896 }), (epochDay) => {
        const date = fromEpochDay(epochDay);
        expect(toEpochDay(date)).toBe(epochDay);
        const { year, month, day } = toCivilDate(date, 'date');
        expect(Date.UTC(year, month - 1, day) / MS_PER_DAY).toBe(epochDay);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuse days outside the years 0001-9999', () => {
    expectValidation(() => fromEpochDay(2932897), 'date', 'date-range');
    expectValidation(() => fromEpochDay(-719163), 'date', 'date-range');
  });
});

describe('daysBetween', () => {
  it.each([
    ['2024-01-01', '2024-12-31', 365],
    ['2023-01-01', '2023-12-31', 364],
    ['2024-01-01', '2025-01-01', 366],
    ['2024-02-28', '2024-03-01', 2],
    ['2023-02-28', '2023-03-01', 1],
    ['2024-01-31', '2024-02-29', 29],
    ['2023-12-31', '2024-01-01', 1],
    ['2024-03-15', '2024-03-15', 0],
    ['2024-03-15', '2024-03-10', -5],
    ['1999-12-31', '2000-03-01', 61],
  ])('%s to %s is %i days', (start, end, days) => {
    expect(daysBetween(start, end)).toBe(days);
  });

  it('names the bad side', () => {
    expectValidation(() => daysBetween('2024-02-30', '2024-03-01'), 'start', 'iso-date');
    expectValidation(() => daysBetween('2024-02-01', '2024-02-30'), 'end', 'iso-date');
  });
});

describe('addDays', () => {
  it.each([
    ['2024-02-28', 1, '2024-02-29'],
    ['2024-02-28', 2, '2024-03-01'],
    ['2023-02-28', 1, '2023-03-01'],
    ['2024-12-31', 1, '2025-01-01'],
    ['2024-03-01', -1, '2024-02-29'],
    ['2024-01-15', 0, '2024-01-15'],
    ['2024-01-01', 366, '2025-01-01'],
  ])('%s + %i days is %s', (date, days, expected) => {
    expect(addDays(date, days)).toBe(expected);
  });

  it('refuses fractional days and dates outside the calendar', () => {
    expectValidation(() => addDays('2024-01-01', 1.5), 'days', 'integer');
    expectValidation(() => addDays('2024-01-01', NaN), 'days', 'integer');
    expectValidation(() => addDays('9999-12-31', 1), 'date', 'date-range');
    expectValidation(() => addDays('2024-01-32', 1), 'date', 'iso-date');
  });

  it('moves by exactly the days asked', () => {
    fc.assert(
      fc.property(fc.integer({ min: -719162, max: 2932896 }), fc.integer({ min: -4000, max: 4000 }), (epochDay, days) => {
        fc.pre(epochDay + days >= -719162 && epochDay + days <= 2932896);
        const start = fromEpochDay(epochDay);
        expect(daysBetween(start, addDays(start, days))).toBe(days);
      }),
    );
  });
});

describe('addMonths', () => {
  it.each([
    ['2024-01-31', 1, '2024-02-29'],
    ['2023-01-31', 1, '2023-02-28'],
    ['2024-03-31', -1, '2024-02-29'],
    ['2024-10-31', 1, '2024-11-30'],
    ['2024-01-30', 1, '2024-02-29'],
    ['2024-01-29', 1, '2024-02-29'],
    ['2024-01-28', 1, '2024-02-28'],
    ['2024-12-15', 1, '2025-01-15'],
    ['2024-01-15', -1, '2023-12-15'],
    ['2024-02-29', 12, '2025-02-28'],
    ['2024-02-29', 48, '2028-02-29'],
    ['2024-05-31', -13, '2023-04-30'],
    ['2024-08-31', 0, '2024-08-31'],
    ['2024-01-31', 2, '2024-03-31'],
  ])('%s + %i months is %s', (date, months, expected) => {
    expect(addMonths(date, months)).toBe(expected);
  });

  it('refuses fractional months and years outside the calendar', () => {
    expectValidation(() => addMonths('2024-01-31', 0.5), 'months', 'integer');
    expectValidation(() => addMonths('9999-12-01', 1), 'months', 'date-range');
    expectValidation(() => addMonths('0001-01-01', -1), 'months', 'date-range');
  });
});

describe('compareIsoDates and isEndOfMonth', () => {
  it('order dates and spot month ends', () => {
    expect(compareIsoDates('2024-01-31', '2024-02-01')).toBe(-1);
    expect(compareIsoDates('2024-02-01', '2024-01-31')).toBe(1);
    expect(compareIsoDates('2024-02-01', '2024-02-01')).toBe(0);
    expect(isEndOfMonth('2024-02-29')).toBe(true);
    expect(isEndOfMonth('2023-02-28')).toBe(true);
    expect(isEndOfMonth('2024-02-28')).toBe(false);
    expect(isEndOfMonth('2024-04-30')).toBe(true);
  });
});
