import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import type { DayCount } from '../../../../../shared/domain/money/index.ts';
import {
  DAY_COUNTS,
  Decimal,
  accrueInterest,
  addDays,
  dayCountFraction,
  parseDayCount,
} from '../../../../../shared/domain/money/index.ts';
import { expectValidation } from './expect-domain-error.ts';

describe('dayCountFraction: actual days', () => {
  it.each([
    ['2024-01-31', '2024-03-01', 'ACT/360', 30n, 360n], // 29 days to Feb 29 (leap year) + 1
    ['2023-01-31', '2023-03-01', 'ACT/360', 29n, 360n],
    ['2024-01-01', '2025-01-01', 'ACT/365', 366n, 365n], // a leap year still counts over 365
    ['2023-01-01', '2024-01-01', 'ACT/365', 365n, 365n],
    ['2024-02-28', '2024-03-01', 'ACT/365', 2n, 365n],
    ['2024-06-30', '2024-07-31', 'ACT/360', 31n, 360n],
    ['2024-05-05', '2024-05-05', 'ACT/360', 0n, 360n],
  ] as const)('%s to %s %s is %s / %s', (start, end, dayCount, days, basis) => {
    expect(dayCountFraction(start, end, dayCount)).toEqual({ days, basis });
  });
});

describe('dayCountFraction: 30/360 US bond basis', () => {
  it.each([
    ['2024-01-15', '2024-02-15', 30n], // plain month
    ['2024-01-31', '2024-02-29', 29n], // D1 31 -> 30: 30 + (29 - 30); February is not adjusted
    ['2023-01-31', '2023-02-28', 28n], // 30 + (28 - 30)
    ['2024-01-30', '2024-03-31', 60n], // D1 = 30, so D2 31 -> 30: 60 + 0
    ['2024-01-31', '2024-03-31', 60n], // D1 31 -> 30, then D2 31 -> 30
    ['2024-01-29', '2024-03-31', 62n], // D1 = 29 < 30, so D2 stays 31: 60 + 2
    ['2024-02-29', '2024-03-31', 32n], // D1 = 29: 30 + (31 - 29)
    ['2023-02-28', '2023-03-31', 33n], // 30 + (31 - 28)
    ['2023-12-31', '2024-12-31', 360n], // 360 x 1 + 0 + (30 - 30)
    ['2024-01-30', '2024-01-31', 0n], // D2 31 -> 30 because D1 = 30
    ['2024-03-01', '2024-03-31', 30n], // D1 = 1, D2 stays 31
    ['2024-07-15', '2025-01-15', 180n], // 360 x 1 + 30 x (1 - 7)
  ])('%s to %s counts %s days over 360', (start, end, days) => {
    expect(dayCountFraction(start, end, '30/360')).toEqual({ days, basis: 360n });
  });
});

describe('dayCountFraction: refusals', () => {
  it('refuses an end before the start, bad dates and unknown conventions', () => {
    expectValidation(() => dayCountFraction('2024-03-02', '2024-03-01', 'ACT/360'), 'end', 'not-before-start');
    expectValidation(() => dayCountFraction('2024-02-30', '2024-03-01', 'ACT/360'), 'start', 'iso-date');
    expectValidation(() => dayCountFraction('2024-02-01', '2024-3-01', '30/360'), 'end', 'iso-date');
    expectValidation(() => dayCountFraction('2024-02-01', '2024-03-01', 'ACT/ACT' as DayCount), 'dayCount', 'day-count');
  });

  it('parseDayCount accepts the three conventions', () => {
    for (const dc of DAY_COUNTS) expect(parseDayCount(dc, 'program.dayCount')).toBe(dc);
    expectValidation(() => parseDayCount('act/360', 'program.dayCount'), 'program.dayCount', 'day-count');
  });

  it('never counts negative days for ordered dates', () => {
    const date = fc.integer({ min: 0, max: 40_000 }).map((d) => addDays('1990-01-01', d));
    fc.assert(
      fc.property(date, fc.integer({ min: 0, max: 3_000 }), fc.constantFrom(...DAY_COUNTS), (start, length, dc) => {
        const { days } = dayCountFraction(start, addDays(start, length), dc);
        expect(days >= 0n).toBe(true);
      }),
    );
  });
});

describe('accrueInterest', () => {
  it('accrues 1,000,000.00 CNY at 3.65% ACT/365 over January 2024', () => {
    // 100,000,000 fen x 0.0365 x 31 / 365 = 100,000,000 x 365 x 31 / (10,000 x 365) = 310,000 fen exactly
    expect(accrueInterest(100_000_000n, new Decimal('0.0365'), '2024-01-01', '2024-02-01', 'ACT/365', 'HALF_UP')).toBe(
      310_000n,
    );
  });

  it('accrues 12,345.67 CNY at 4.35% ACT/360 over February of a leap year', () => {
    // 1,234,567 x 435 x 29 / (10,000 x 360) = 15,574,062,705 / 3,600,000 = 4326.1285... -> 4326 fen
    const rate = new Decimal('0.0435');
    expect(accrueInterest(1_234_567n, rate, '2024-02-01', '2024-03-01', 'ACT/360', 'HALF_UP')).toBe(4326n);
    expect(accrueInterest(1_234_567n, rate, '2024-02-01', '2024-03-01', 'ACT/360', 'DOWN')).toBe(4326n);
  });

  it('rounds a half fen with the mode', () => {
    // 100 fen x 0.18 x 10 / 360 = 180 / 360 = 0.5 fen
    const rate = new Decimal('0.18');
    expect(accrueInterest(100n, rate, '2024-01-01', '2024-01-11', 'ACT/360', 'HALF_UP')).toBe(1n);
    expect(accrueInterest(100n, rate, '2024-01-01', '2024-01-11', 'ACT/360', 'HALF_EVEN')).toBe(0n);
    expect(accrueInterest(100n, rate, '2024-01-01', '2024-01-11', 'ACT/360', 'DOWN')).toBe(0n);
    // 300 fen x 0.18 x 10 / 360 = 1.5 fen
    expect(accrueInterest(300n, rate, '2024-01-01', '2024-01-11', 'ACT/360', 'HALF_UP')).toBe(2n);
    expect(accrueInterest(300n, rate, '2024-01-01', '2024-01-11', 'ACT/360', 'HALF_EVEN')).toBe(2n);
    expect(accrueInterest(300n, rate, '2024-01-01', '2024-01-11', 'ACT/360', 'DOWN')).toBe(1n);
  });

  it('accrues 30/360 from a month end', () => {
    // 10,000.00 CNY at 6%, 2024-01-31 to 2024-02-29 = 29 days (30/360):
    // 1,000,000 x 6 x 29 / (100 x 360) = 174,000,000 / 36,000 = 4833.33... -> 4833 fen
    expect(accrueInterest(1_000_000n, new Decimal('0.06'), '2024-01-31', '2024-02-29', '30/360', 'HALF_UP')).toBe(4833n);
    // 50,000.00 CNY at 4.35%, 2024-01-31 to 2024-03-31 = 60 days (30/360):
    // 5,000,000 x 435 x 60 / (10,000 x 360) = 130,500,000,000 / 3,600,000 = 36,250 fen exactly
    expect(accrueInterest(5_000_000n, new Decimal('0.0435'), '2024-01-31', '2024-03-31', '30/360', 'DOWN')).toBe(36_250n);
  });

  it('stays exact far beyond float precision', () => {
    // 10^13 fen x 0.0365 x 366 / 365 = 10^13 x 0.0366 = 366,000,000,000 fen
    expect(
      accrueInterest(10_000_000_000_000n, new Decimal('0.0365'), '2024-01-01', '2025-01-01', 'ACT/365', 'HALF_UP'),
    ).toBe(366_000_000_000n);
    // 10^13 fen x 0.000000000000000000001 x 360 / 360 = 0.01 fen -> 0
    expect(
      accrueInterest(10_000_000_000_000n, new Decimal('0.000000000000000000001'), '2024-01-01', '2024-12-27', 'ACT/360', 'HALF_UP'),
    ).toBe(0n);
  });

  it('is zero for no days or a zero rate', () => {
    expect(accrueInterest(1_000_000n, new Decimal('0.05'), '2024-01-01', '2024-01-01', 'ACT/365', 'HALF_UP')).toBe(0n);
    expect(accrueInterest(1_000_000n, new Decimal('0'), '2024-01-01', '2024-12-01', 'ACT/365', 'HALF_UP')).toBe(0n);
  });

  it('refuses a negative principal, a negative or non-finite rate and reversed dates', () => {
    const rate = new Decimal('0.05');
    expectValidation(() => accrueInterest(-1n, rate, '2024-01-01', '2024-02-01', 'ACT/365', 'HALF_UP'), 'principalMinor', 'non-negative');
    expectValidation(
      () => accrueInterest(1n, new Decimal('-0.01'), '2024-01-01', '2024-02-01', 'ACT/365', 'HALF_UP'),
      'annualRate',
      'non-negative',
    );
    expectValidation(
      () => accrueInterest(1n, new Decimal(NaN), '2024-01-01', '2024-02-01', 'ACT/365', 'HALF_UP'),
      'annualRate',
      'non-negative',
    );
    expectValidation(() => accrueInterest(1n, rate, '2024-02-01', '2024-01-01', 'ACT/365', 'HALF_UP'), 'end', 'not-before-start');
  });

  it('orders the modes: DOWN <= HALF_EVEN <= HALF_UP <= DOWN + 1, and grows with the days', () => {
    const principal = fc.bigInt({ min: 0n, max: 10n ** 13n });
    const rate = fc.integer({ min: 0, max: 400_000 }).map((bp) => new Decimal(bp).div(1_000_000));
    fc.assert(
      fc.property(principal, rate, fc.integer({ min: 0, max: 800 }), fc.constantFrom(...DAY_COUNTS), (p, r, days, dc) => {
        const start = '2024-01-31';
        const end = addDays(start, days);
        const down = accrueInterest(p, r, start, end, dc, 'DOWN');
        const even = accrueInterest(p, r, start, end, dc, 'HALF_EVEN');
        const up = accrueInterest(p, r, start, end, dc, 'HALF_UP');
        expect(down <= even && even <= up && up <= down + 1n).toBe(true);
        const later = accrueInterest(p, r, start, addDays(end, 1), dc, 'DOWN');
        expect(later >= down).toBe(true);
      }),
    );
  });
});
