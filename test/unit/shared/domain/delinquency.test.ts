import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CLASSIFICATIONS,
  classify,
  classifyAt,
  compareClassifications,
  daysPastDue,
  overdueAmounts,
  penaltyInterest,
} from '../../../../shared/domain/delinquency.ts';
import type { ClassificationFacts, LoanClass, PenaltyTerms } from '../../../../shared/domain/delinquency.ts';
import { addDays } from '../../../../shared/domain/money/index.ts';
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
  const boundaries: Readonly<Record<string, readonly [number, Classification][]>> = {
    // 2023 measures: any overdue at least special mention, past 90 substandard, past 270 doubtful, past 360 loss.
    'CN-2021': [
      [0, 'NORMAL'],
      [1, 'SPECIAL_MENTION'],
      [30, 'SPECIAL_MENTION'],
      [31, 'SPECIAL_MENTION'],
      [60, 'SPECIAL_MENTION'],
      [61, 'SPECIAL_MENTION'],
      [90, 'SPECIAL_MENTION'],
      [91, 'SUBSTANDARD'],
      [270, 'SUBSTANDARD'],
      [271, 'DOUBTFUL'],
      [360, 'DOUBTFUL'],
      [361, 'LOSS'],
    ],
    // RBI: SMA-0 1-30, SMA-1 31-60, SMA-2 61-90, NPA past 90; days alone never make it doubtful or loss.
    'IN-2025': [
      [0, 'NORMAL'],
      [1, 'SMA_0'],
      [30, 'SMA_0'],
      [31, 'SMA_1'],
      [60, 'SMA_1'],
      [61, 'SMA_2'],
      [90, 'SMA_2'],
      [91, 'SUBSTANDARD'],
      [271, 'SUBSTANDARD'],
      [361, 'SUBSTANDARD'],
      [10_000, 'SUBSTANDARD'],
    ],
  };

  for (const id of REGULATORY_PROFILE_IDS) {
    it.each(boundaries[id]!)(`${id}: %i days past due is at least %s`, (dpd, expected) => {
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

const CN = REGULATORY_PROFILES['CN-2021'];
const IN = REGULATORY_PROFILES['IN-2025'];

/** Facts at `asOf`: arrears of 100.00 when anything is past due, none otherwise, unless told. */
function facts(asOf: string, dpd: number, previous: LoanClass | null, arrearsMinor: bigint = dpd > 0 ? 10_000n : 0n): ClassificationFacts {
  return { asOf, dpd, arrearsMinor, previous };
}

describe('classifyAt', () => {
  it('IN-2025: first assessments take the RBI class of the DPD, an NPA dated from the day it passed 90', () => {
    expect(classifyAt(facts('2025-06-01', 0, null), IN)).toEqual({ classification: 'NORMAL', since: '2025-06-01', clearSince: '2025-06-01' });
    expect(classifyAt(facts('2025-06-01', 45, null), IN)).toEqual({ classification: 'SMA_1', since: '2025-06-01' });
    expect(classifyAt(facts('2025-06-01', 91, null), IN)).toEqual({ classification: 'SUBSTANDARD', since: '2025-06-01', nonPerformingSince: '2025-06-01' });
    expect(classifyAt(facts('2025-06-01', 100, null), IN)).toEqual({ classification: 'SUBSTANDARD', since: '2025-06-01', nonPerformingSince: '2025-05-23' });
  });

  it('IN-2025: an NPA is sub-standard for 12 months, then doubtful', () => {
    const npa: LoanClass = { classification: 'SUBSTANDARD', since: '2025-04-01', nonPerformingSince: '2025-04-01' };
    expect(classifyAt(facts('2026-03-31', 455, npa), IN).classification).toBe('SUBSTANDARD');
    expect(classifyAt(facts('2026-04-01', 456, npa), IN)).toEqual({ classification: 'DOUBTFUL', since: '2026-04-01', nonPerformingSince: '2025-04-01' });
    // Seen for the first time 12 months after it passed 90 days: doubtful at once.
    expect(classifyAt(facts('2026-04-01', 456, null), IN)).toEqual({ classification: 'DOUBTFUL', since: '2026-04-01', nonPerformingSince: '2025-04-01' });
    expect(classifyAt(facts('2026-03-31', 455, null), IN).classification).toBe('SUBSTANDARD');
  });

  it('IN-2025: an SMA follows the DPD both ways; an NPA stays until every arrear is paid, then is standard at once', () => {
    const sma2: LoanClass = { classification: 'SMA_2', since: '2025-05-01' };
    expect(classifyAt(facts('2025-05-10', 10, sma2), IN)).toEqual({ classification: 'SMA_0', since: '2025-05-10' });
    const npa: LoanClass = { classification: 'SUBSTANDARD', since: '2025-05-01', nonPerformingSince: '2025-05-01' };
    // A part payment brings the DPD down to 40: still an NPA, not SMA-1.
    expect(classifyAt(facts('2025-05-20', 40, npa), IN)).toEqual({ classification: 'SUBSTANDARD', since: '2025-05-01', nonPerformingSince: '2025-05-01' });
    // Nothing past due but 0.01 of penalty unpaid: still an NPA.
    expect(classifyAt(facts('2025-05-21', 0, npa, 1n), IN).classification).toBe('SUBSTANDARD');
    // Every arrear paid: standard the same day.
    expect(classifyAt(facts('2025-05-22', 0, npa), IN)).toEqual({ classification: 'NORMAL', since: '2025-05-22', clearSince: '2025-05-22' });
    const doubtful: LoanClass = { classification: 'DOUBTFUL', since: '2025-05-01', nonPerformingSince: '2024-05-01' };
    expect(classifyAt(facts('2025-05-22', 0, doubtful), IN).classification).toBe('NORMAL');
  });

  it('CN-2021: special mention returns to normal once nothing is past due', () => {
    const mention: LoanClass = { classification: 'SPECIAL_MENTION', since: '2025-03-02' };
    expect(classifyAt(facts('2025-03-20', 19, mention), CN)).toEqual({ classification: 'SPECIAL_MENTION', since: '2025-03-02' });
    expect(classifyAt(facts('2025-03-21', 0, mention), CN)).toEqual({ classification: 'NORMAL', since: '2025-03-21', clearSince: '2025-03-21' });
  });

  it('CN-2021: a non-performing loan moves up only six months after its arrears are all paid', () => {
    const doubtful: LoanClass = { classification: 'DOUBTFUL', since: '2025-01-10', nonPerformingSince: '2024-07-10' };
    // A part payment: 100 days past due, still arrears: doubtful stays (never below it while in arrears).
    expect(classifyAt(facts('2025-06-09', 100, doubtful), CN)).toEqual(doubtful);
    // Arrears all paid on 2025-06-10: the observation starts.
    const clear = classifyAt(facts('2025-06-10', 0, doubtful), CN);
    expect(clear).toEqual({ ...doubtful, clearSince: '2025-06-10' });
    expect(classifyAt(facts('2025-12-09', 0, clear), CN)).toEqual({ ...doubtful, clearSince: '2025-06-10' });
    expect(classifyAt(facts('2025-12-10', 0, clear), CN)).toEqual({ classification: 'NORMAL', since: '2025-12-10', clearSince: '2025-06-10' });
    // New arrears inside the observation start it again.
    const late = classifyAt(facts('2025-08-02', 1, clear), CN);
    expect(late).toEqual(doubtful);
    const clearAgain = classifyAt(facts('2025-08-05', 0, late), CN);
    expect(classifyAt(facts('2025-12-10', 0, clearAgain), CN).classification).toBe('DOUBTFUL');
    expect(classifyAt(facts('2026-02-05', 0, clearAgain), CN).classification).toBe('NORMAL');
  });

  it('CN-2021: a loan past 90 days that is paid down under 90 stays substandard', () => {
    const sub: LoanClass = { classification: 'SUBSTANDARD', since: '2025-04-01', nonPerformingSince: '2025-04-01' };
    expect(classifyAt(facts('2025-04-15', 20, sub), CN).classification).toBe('SUBSTANDARD');
    expect(classifyAt(facts('2025-04-15', 280, sub), CN)).toEqual({ classification: 'DOUBTFUL', since: '2025-04-15', nonPerformingSince: '2025-04-01' });
  });

  it('decides from the facts as of the date: a class dated after it is no history of it', () => {
    const later: LoanClass = { classification: 'LOSS', since: '9999-12-31', nonPerformingSince: '9999-12-31' };
    expect(classifyAt(facts('2025-05-01', 0, later), CN)).toEqual({ classification: 'NORMAL', since: '2025-05-01', clearSince: '2025-05-01' });
    expect(classifyAt(facts('2025-05-01', 95, later), IN)).toEqual({ classification: 'SUBSTANDARD', since: '2025-05-01', nonPerformingSince: '2025-04-27' });
  });

  it('refuses facts that contradict each other and an unknown or malformed history, naming the field', () => {
    expectField(() => classifyAt(facts('2025-05-01', 3, null, 0n), CN), 'arrearsMinor', 'arrears-with-dpd');
    expectField(() => classifyAt(facts('2025-05-01', 0, null, -1n), CN), 'arrearsMinor', 'arrears-with-dpd');
    expectField(() => classifyAt(facts('2025-05-01', 0, { classification: 'WATCH' as Classification, since: '2025-04-01' }), CN), 'classification', 'classification');
    expectField(() => classifyAt(facts('2025-05-01', 0, { classification: 'NORMAL', since: '2025-05-0x' }), CN), 'previous.since');
    expectField(() => classifyAt(facts('2025-05-32', 0, null), CN), 'asOf');
    expectField(() => classifyAt(facts('2025-05-01', -1, null), CN), 'dpd', 'non-negative-integer');
  });
});

function expectField(run: () => unknown, path: string, rule?: string): void {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).details).toMatchObject(rule === undefined ? { path } : { path, rule });
    return;
  }
  throw new Error(`expected a ValidationError on ${path}`);
}

describe('classification properties', () => {
  const profileArb = fc.constantFrom(...REGULATORY_PROFILE_IDS.map((id) => REGULATORY_PROFILES[id]));
  const dpdArb = fc.integer({ min: 0, max: 2_000 });

  it('the floor never improves as DPD grows, and every floor is one of the profile\'s classes', () => {
    fc.assert(
      fc.property(profileArb, dpdArb, dpdArb, (profile, a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        expect(compareClassifications(classify(low, profile), classify(high, profile))).toBeLessThanOrEqual(0);
        expect(profile.classes).toContain(classify(high, profile));
      }),
    );
  });

  it("keeps each profile's classes in the order of CLASSIFICATIONS, so worse means the same in both", () => {
    for (const id of REGULATORY_PROFILE_IDS) {
      const classes = REGULATORY_PROFILES[id].classes;
      expect(CLASSIFICATIONS.filter((c) => classes.includes(c))).toEqual(classes);
    }
  });

  /** A day-by-day history: each day the DPD goes up by one or a payment cuts it (to 0 with or without penalty left). */
  const dayArb = fc.oneof(fc.constant({ kind: 'LATE' as const }), fc.record({ kind: fc.constant('PAY' as const), dpd: fc.integer({ min: 0, max: 400 }), penaltyLeft: fc.boolean() }));

  it('never below the DPD floor; a non-performing class never improves while in arrears; same class for the same facts', () => {
    fc.assert(
      fc.property(profileArb, fc.array(dayArb, { maxLength: 400 }), (profile, days) => {
        let previous: LoanClass | null = null;
        let dpd = 0;
        days.forEach((day, i) => {
          const asOf = addDays('2025-01-01', i);
          dpd = day.kind === 'LATE' ? dpd + 1 : Math.min(day.dpd, dpd);
          const arrearsMinor = dpd > 0 ? 10_000n : day.kind === 'PAY' && day.penaltyLeft ? 1n : 0n;
          const next = classifyAt({ asOf, dpd, arrearsMinor, previous }, profile);
          expect(classifyAt({ asOf, dpd, arrearsMinor, previous }, profile)).toEqual(next);
          expect(profile.classes).toContain(next.classification);
          expect(compareClassifications(next.classification, classify(dpd, profile))).toBeGreaterThanOrEqual(0);
          if (previous !== null && arrearsMinor > 0n && compareClassifications(previous.classification, profile.nonPerformingFrom) >= 0) {
            expect(compareClassifications(next.classification, previous.classification)).toBeGreaterThanOrEqual(0);
          }
          if (profile.upgradeObservationMonths === 0 && arrearsMinor === 0n) expect(next.classification).toBe('NORMAL');
          previous = next;
        });
      }),
    );
  });
});
