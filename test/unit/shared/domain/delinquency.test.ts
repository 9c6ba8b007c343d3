import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CLASSIFICATIONS,
  classify,
  classifyLoan,
  compareClassifications,
  daysPastDue,
  overdueAmounts,
  penaltyInterest,
} from '../../../../shared/domain/delinquency.ts';
import type { PenaltyTerms } from '../../../../shared/domain/delinquency.ts';
import { ValidationError } from '../../../../shared/domain/errors.ts';
import { REGULATORY_PROFILES, REGULATORY_PROFILE_IDS } from '../../../../shared/domain/regulatory-profile.ts';
import type { Classification, RegulatoryProfile } from '../../../../shared/domain/regulatory-profile.ts';
import { borrowerSchedule } from '../../../../shared/domain/schedule.ts';

/** 3,000.00 over three months, equal principal at 12%: 1,000.00 principal each, interest 30.00, 20.00, 10.00. */
const schedule = borrowerSchedule({
  principalMinor: 300_000n,
  annualRate: '0.12',
  termMonths: 3,
  method: 'EQUAL_PRINCIPAL',
  disbursementDate: '2025-01-15',
  dayCount: 'ACT/360',
  roundingMode: 'HALF_UP',
});

const NONE = new Map<number, bigint>();

function paid(entries: Record<number, bigint>): Map<number, bigint> {
  return new Map(Object.entries(entries).map(([number, minor]) => [Number(number), minor]));
}

describe('the test schedule', () => {
  it('is the one the examples assume', () => {
    expect(schedule.instalments.map((row) => [row.dueDate, row.principalMinor, row.interestMinor])).toEqual([
      ['2025-02-15', 100_000n, 3_000n],
      ['2025-03-15', 100_000n, 2_000n],
      ['2025-04-15', 100_000n, 1_000n],
    ]);
  });
});

describe('daysPastDue', () => {
  it('is 0 before the first due date and on it (due today is not overdue)', () => {
    expect(daysPastDue(schedule, NONE, NONE, '2025-02-01')).toBe(0);
    expect(daysPastDue(schedule, NONE, NONE, '2025-02-15')).toBe(0);
  });

  it('is 1 the day after an unpaid due date', () => {
    expect(daysPastDue(schedule, NONE, NONE, '2025-02-16')).toBe(1);
  });

  it('counts from the oldest unpaid instalment, not the latest', () => {
    expect(daysPastDue(schedule, NONE, NONE, '2025-03-20')).toBe(33);
  });

  it('counts from the oldest instalment that is only partly paid', () => {
    const principal = paid({ 1: 100_000n });
    expect(daysPastDue(schedule, principal, paid({ 1: 2_999n }), '2025-03-20')).toBe(33);
    expect(daysPastDue(schedule, paid({ 1: 99_999n }), paid({ 1: 3_000n }), '2025-03-20')).toBe(33);
  });

  it('moves to the next instalment once the oldest is paid in full', () => {
    expect(daysPastDue(schedule, paid({ 1: 100_000n }), paid({ 1: 3_000n }), '2025-03-20')).toBe(5);
  });

  it('is 0 when everything due before the date is paid, and after the loan is repaid', () => {
    expect(daysPastDue(schedule, paid({ 1: 100_000n }), paid({ 1: 3_000n }), '2025-03-15')).toBe(0);
    const all = paid({ 1: 100_000n, 2: 100_000n, 3: 100_000n });
    expect(daysPastDue(schedule, all, paid({ 1: 3_000n, 2: 2_000n, 3: 1_000n }), '2026-01-01')).toBe(0);
  });

  it('ignores a later instalment paid ahead of an earlier one', () => {
    expect(daysPastDue(schedule, paid({ 2: 100_000n }), paid({ 2: 2_000n }), '2025-03-20')).toBe(33);
  });

  it('refuses a payment above the instalment, a negative one and an unknown instalment', () => {
    expect(() => daysPastDue(schedule, paid({ 1: 100_001n }), NONE, '2025-03-20')).toThrow(ValidationError);
    expect(() => daysPastDue(schedule, NONE, paid({ 1: -1n }), '2025-03-20')).toThrow(ValidationError);
    expect(() => daysPastDue(schedule, paid({ 4: 1n }), NONE, '2025-03-20')).toThrow(ValidationError);
    expect(() => daysPastDue(schedule, NONE, NONE, '2025-02-30')).toThrow(ValidationError);
  });
});

describe('overdueAmounts', () => {
  it('has nothing overdue or current before the first due date', () => {
    expect(overdueAmounts(schedule, NONE, NONE, '2025-02-14')).toEqual({
      overduePrincipalMinor: 0n,
      overdueInterestMinor: 0n,
      currentPrincipalMinor: 0n,
      currentInterestMinor: 0n,
    });
  });

  it('makes the instalment due on the date current, not overdue', () => {
    expect(overdueAmounts(schedule, NONE, NONE, '2025-02-15')).toEqual({
      overduePrincipalMinor: 0n,
      overdueInterestMinor: 0n,
      currentPrincipalMinor: 100_000n,
      currentInterestMinor: 3_000n,
    });
  });

  it('sums what is unpaid of earlier instalments as overdue and leaves later ones out', () => {
    expect(overdueAmounts(schedule, paid({ 1: 40_000n }), paid({ 1: 3_000n }), '2025-03-15')).toEqual({
      overduePrincipalMinor: 60_000n,
      overdueInterestMinor: 0n,
      currentPrincipalMinor: 100_000n,
      currentInterestMinor: 2_000n,
    });
    expect(overdueAmounts(schedule, paid({ 1: 40_000n }), paid({ 2: 500n }), '2025-03-16')).toEqual({
      overduePrincipalMinor: 160_000n,
      overdueInterestMinor: 4_500n,
      currentPrincipalMinor: 0n,
      currentInterestMinor: 0n,
    });
  });
});

describe('penaltyInterest', () => {
  const base: PenaltyTerms = {
    overduePrincipalMinor: 1_000_000n,
    overdueInterestMinor: 0n,
    contractRate: '0.12',
    multiplier: '1.5',
    dayCount: 'ACT/360',
    from: '2025-03-01',
    to: '2025-03-31',
    roundingMode: 'HALF_UP',
  };

  it('charges 150.00 on 10,000.00 overdue for 30 days at 12% x 1.5, ACT/360', () => {
    expect(penaltyInterest(base)).toEqual({ penaltyMinor: 15_000n, compoundMinor: 0n });
  });

  it('charges compound interest on overdue interest at the same rate, rounded on its own', () => {
    // 2,345.67 x 0.18 x 30 / 360 = 35.18505
    const terms = { ...base, overdueInterestMinor: 234_567n };
    expect(penaltyInterest(terms)).toEqual({ penaltyMinor: 15_000n, compoundMinor: 3_519n });
    expect(penaltyInterest({ ...terms, roundingMode: 'DOWN' })).toEqual({ penaltyMinor: 15_000n, compoundMinor: 3_518n });
  });

  it('rounds a half fen by the rounding mode', () => {
    // 50.00 x 0.18 / 360 for one day = 2.5 fen; 30.00 likewise = 1.5 fen.
    const oneDay = { ...base, from: '2025-03-01', to: '2025-03-02', overduePrincipalMinor: 5_000n, overdueInterestMinor: 3_000n };
    expect(penaltyInterest({ ...oneDay, roundingMode: 'HALF_UP' })).toEqual({ penaltyMinor: 3n, compoundMinor: 2n });
    expect(penaltyInterest({ ...oneDay, roundingMode: 'HALF_EVEN' })).toEqual({ penaltyMinor: 2n, compoundMinor: 2n });
    expect(penaltyInterest({ ...oneDay, roundingMode: 'DOWN' })).toEqual({ penaltyMinor: 2n, compoundMinor: 1n });
  });

  it('follows the day count', () => {
    // ACT/365: 10,000.00 x 0.18 x 30 / 365 = 147.945...
    expect(penaltyInterest({ ...base, dayCount: 'ACT/365' }).penaltyMinor).toBe(14_795n);
    // February 2025: 28 actual days, 30 days on the 30/360 basis.
    const february = { ...base, from: '2025-02-01', to: '2025-03-01' };
    expect(penaltyInterest({ ...february, dayCount: 'ACT/360' }).penaltyMinor).toBe(14_000n);
    expect(penaltyInterest({ ...february, dayCount: '30/360' }).penaltyMinor).toBe(15_000n);
  });

  it('uses the multiplier given and accrues nothing over an empty period', () => {
    expect(penaltyInterest({ ...base, multiplier: '1' }).penaltyMinor).toBe(10_000n);
    expect(penaltyInterest({ ...base, to: base.from })).toEqual({ penaltyMinor: 0n, compoundMinor: 0n });
  });

  it('refuses a period that ends before it starts, negative amounts and bad rates', () => {
    expect(() => penaltyInterest({ ...base, to: '2025-02-28' })).toThrow(ValidationError);
    expect(() => penaltyInterest({ ...base, overdueInterestMinor: -1n })).toThrow(ValidationError);
    expect(() => penaltyInterest({ ...base, contractRate: '-0.12' })).toThrow(ValidationError);
    expect(() => penaltyInterest({ ...base, multiplier: '1.5x' })).toThrow(ValidationError);
  });
});

describe('classify', () => {
  const boundaries: readonly [number, Classification][] = [
    [0, 'NORMAL'],
    [1, 'SPECIAL_MENTION'],
    [90, 'SPECIAL_MENTION'],
    [91, 'SUBSTANDARD'],
    [270, 'SUBSTANDARD'],
    [271, 'DOUBTFUL'],
    [360, 'DOUBTFUL'],
    [361, 'LOSS'],
  ];

  for (const id of REGULATORY_PROFILE_IDS) {
    it.each(boundaries)(`${id}: %i days past due is at least %s`, (dpd, expected) => {
      expect(classify(dpd, REGULATORY_PROFILES[id])).toBe(expected);
    });
  }

  it('reads the thresholds from the profile', () => {
    const profile: RegulatoryProfile = {
      ...REGULATORY_PROFILES['IN-2025'],
      classificationFloors: [
        { dpdOver: 60, atLeast: 'SUBSTANDARD' },
        { dpdOver: 30, atLeast: 'SPECIAL_MENTION' },
      ],
    };
    expect(classify(30, profile)).toBe('NORMAL');
    expect(classify(31, profile)).toBe('SPECIAL_MENTION');
    expect(classify(61, profile)).toBe('SUBSTANDARD');
    expect(classify(10_000, profile)).toBe('SUBSTANDARD');
  });

  it('refuses a DPD that is negative or not whole', () => {
    expect(() => classify(-1, REGULATORY_PROFILES['CN-2021'])).toThrow(ValidationError);
    expect(() => classify(1.5, REGULATORY_PROFILES['CN-2021'])).toThrow(ValidationError);
  });
});

describe('classifyLoan', () => {
  const profile = REGULATORY_PROFILES['CN-2021'];

  it('raises a better class to the floor', () => {
    expect(classifyLoan(91, profile, 'NORMAL')).toBe('SUBSTANDARD');
    expect(classifyLoan(1, profile, 'NORMAL')).toBe('SPECIAL_MENTION');
  });

  it('keeps a worse class already assigned, even with nothing overdue', () => {
    expect(classifyLoan(0, profile, 'DOUBTFUL')).toBe('DOUBTFUL');
    expect(classifyLoan(100, profile, 'LOSS')).toBe('LOSS');
    expect(classifyLoan(0, profile, 'NORMAL')).toBe('NORMAL');
  });

  it('refuses an unknown class', () => {
    expect(() => classifyLoan(0, profile, 'WATCH' as Classification)).toThrow(ValidationError);
  });
});

describe('classification properties', () => {
  const profileArb = fc.constantFrom(...REGULATORY_PROFILE_IDS.map((id) => REGULATORY_PROFILES[id]));
  const dpdArb = fc.integer({ min: 0, max: 2_000 });

  it('never improves as DPD grows', () => {
    fc.assert(
      fc.property(profileArb, dpdArb, dpdArb, (profile, a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        expect(compareClassifications(classify(low, profile), classify(high, profile))).toBeLessThanOrEqual(0);
      }),
    );
  });

  it('classifyLoan never improves along any sequence of DPDs and is never below the floor', () => {
    fc.assert(
      fc.property(profileArb, fc.constantFrom(...CLASSIFICATIONS), fc.array(dpdArb, { maxLength: 20 }), (profile, start, dpds) => {
        let current = start;
        for (const dpd of dpds) {
          const next = classifyLoan(dpd, profile, current);
          expect(compareClassifications(next, current)).toBeGreaterThanOrEqual(0);
          expect(compareClassifications(next, classify(dpd, profile))).toBeGreaterThanOrEqual(0);
          current = next;
        }
      }),
    );
  });
});
