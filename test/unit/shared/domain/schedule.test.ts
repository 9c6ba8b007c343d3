import { describe, expect, it } from 'vitest';
import { InvariantViolation, ValidationError } from '../../../../shared/domain/errors.ts';
import { bookLoan } from '../../../../shared/domain/loan.ts';
import type { RemainderRule } from '../../../../shared/domain/money/index.ts';
import type { RepaymentMethod } from '../../../../shared/domain/program.ts';
import type { Schedule, ScheduleFunding } from '../../../../shared/domain/schedule.ts';
import {
  borrowerSchedule,
  lenderSchedules,
  levelPaymentMinor,
  loanLenderSchedules,
  loanSchedules,
  scheduleDueDates,
  scheduleRemainderRule,
  scheduleTermsOf,
} from '../../../../shared/domain/schedule.ts';
import {
  LEAD_ID,
  NOW,
  PARTNER_A,
  PARTNER_B,
  aBookLoanRequest,
  aProgram,
  aProgramTerms,
  lenderMap,
} from '../../../support/builders.ts';
import { thrownBy } from '../../../support/expect-error.ts';
import { scheduleTerms } from '../../../support/schedule-terms.ts';
import { expectValidation } from './money/expect-domain-error.ts';

const terms = scheduleTerms;

/** [principal, interest, total, closing] of every instalment. */
function figures(schedule: Schedule): bigint[][] {
  return schedule.instalments.map((i) => [i.principalMinor, i.interestMinor, i.totalMinor, i.closingPrincipalMinor]);
}

describe('borrowerSchedule: EQUAL_INSTALLMENT', () => {
  it('repays 10,000.00 over 12 months at 12% with 888.49 a month', () => {
    // r = 12% / 12 = 1% a month; (1.01)^12 = 1.126825030131969720661201
    // A = 10,000.00 x 0.01 / (1 - 1 / 1.126825...) = 100 / 0.1125507759... = 888.4878867... -> 888.49
    expect(levelPaymentMinor(1_000_000n, '0.12', 12, 'HALF_UP')).toBe(88_849n);
    const schedule = borrowerSchedule(terms());
    const rows = figures(schedule);
    // month 1: interest 10,000.00 x 1% = 100.00; principal 888.49 - 100.00 = 788.49; left 9,211.51
    expect(rows[0]).toEqual([78_849n, 10_000n, 88_849n, 921_151n]);
    // month 2: interest 9,211.51 x 1% = 92.1151 -> 92.12; principal 796.37; left 8,415.14
    expect(rows[1]).toEqual([79_637n, 9_212n, 88_849n, 841_514n]);
    // months 1-11 pay 888.49 each; month 12 repays the 879.67 left plus 8.7967 -> 8.80 of interest
    expect(rows.slice(0, 11).every((r) => r[2] === 88_849n)).toBe(true);
    expect(rows[11]).toEqual([87_967n, 880n, 88_847n, 0n]);
    // 11 x 888.49 + 888.47 - 10,000.00 = 661.86 of interest
    expect(schedule.totalInterestMinor).toBe(66_186n);
    expect(schedule.totalPrincipalMinor).toBe(1_000_000n);
  });

  it('computes the level payment exactly, so an exact payment survives DOWN', () => {
    // 201.00 over 2 months at 1%: A = 201 x 0.01 x 1.0201 / 0.0201 = 102.01 exactly
    expect(levelPaymentMinor(20_100n, '0.12', 2, 'DOWN')).toBe(10_201n);
    // at rate 0 the payment is P / n: 1,000,001 / 7 = 142857.28... -> 142857 (DOWN), 142857 (HALF_UP)
    expect(levelPaymentMinor(1_000_001n, '0', 7, 'DOWN')).toBe(142_857n);
  });

  it('accrues an odd first period daily and keeps the principal part at zero when interest exceeds the payment', () => {
    // 10,000.00 at 30% disbursed 2024-01-10, first due 2024-03-25: 75 days ACT/365
    // interest 1,000,000 x 0.3 x 75 / 365 = 61,643.8 -> 61,644 fen, above the level payment of 55,913
    const schedule = borrowerSchedule(
      terms({ annualRate: '0.3', termMonths: 24, disbursementDate: '2024-01-10', firstDueDate: '2024-03-25' }),
    );
    const first = schedule.instalments[0]!;
    expect(first).toMatchObject({ days: 75, principalMinor: 0n, interestMinor: 61_644n, totalMinor: 61_644n });
    // month 2 is regular: 1,000,000 x 0.3 / 12 = 25,000; principal 55,913 - 25,000
    expect(schedule.instalments[1]).toMatchObject({ interestMinor: 25_000n, principalMinor: 30_913n });
  });

  it('handles the longest term with a long rate exactly', () => {
    const schedule = borrowerSchedule(
      terms({ principalMinor: 10n ** 12n, annualRate: '0.123457', termMonths: 600, roundingMode: 'HALF_EVEN' }),
    );
    expect(schedule.instalments).toHaveLength(600);
    expect(schedule.instalments[599]!.closingPrincipalMinor).toBe(0n);
    expect(schedule.instalments[599]!.dueDate).toBe('2074-01-15');
  });

  it('takes a one-month term as a single instalment of principal and interest', () => {
    const schedule = borrowerSchedule(terms({ termMonths: 1 }));
    expect(figures(schedule)).toEqual([[1_000_000n, 10_000n, 1_010_000n, 0n]]);
  });
});

describe('borrowerSchedule: other methods', () => {
  it('EQUAL_PRINCIPAL repays 12,000.00 in 12 parts of 1,000.00 with falling interest', () => {
    const schedule = borrowerSchedule(terms({ principalMinor: 1_200_000n, method: 'EQUAL_PRINCIPAL' }));
    // interest is 1% of what is left: 120.00, 110.00, ..., 10.00; 10.00 x (12 + 11 + ... + 1) = 780.00
    expect(schedule.instalments.map((i) => i.principalMinor)).toEqual(new Array<bigint>(12).fill(100_000n));
    expect(schedule.instalments.map((i) => i.interestMinor)).toEqual(
      Array.from({ length: 12 }, (_, k) => BigInt(12 - k) * 1_000n),
    );
    expect(schedule.totalInterestMinor).toBe(78_000n);
  });

  it('EQUAL_PRINCIPAL lets the last instalment absorb the residue of P / n', () => {
    // 10,000.00 / 36 = 277.7777... -> 277.78 (HALF_UP) for 35 months, 10,000.00 - 35 x 277.78 = 277.70 last
    const schedule = borrowerSchedule(terms({ termMonths: 36, method: 'EQUAL_PRINCIPAL' }));
    expect(schedule.instalments[0]!.principalMinor).toBe(27_778n);
    expect(schedule.instalments[35]!.principalMinor).toBe(27_770n);
  });

  it('INTEREST_ONLY pays 500.00 a month on 100,000.00 at 6% and the principal with the last', () => {
    const schedule = borrowerSchedule(terms({ principalMinor: 10_000_000n, annualRate: '0.06', method: 'INTEREST_ONLY' }));
    const rows = figures(schedule);
    expect(rows.slice(0, 11).every((r) => r[0] === 0n && r[1] === 50_000n && r[3] === 10_000_000n)).toBe(true);
    expect(rows[11]).toEqual([10_000_000n, 50_000n, 10_050_000n, 0n]);
  });

  it('BULLET accrues daily over the whole term: 366 days over 365 in a leap year', () => {
    // 100,000.00 x 4.35% x 366 / 365 = 4,361.9178... -> 4,361.92
    const schedule = borrowerSchedule(
      terms({ principalMinor: 10_000_000n, annualRate: '0.0435', method: 'BULLET' }),
    );
    expect(schedule.instalments).toEqual([
      {
        number: 1,
        dueDate: '2025-01-15',
        periodStart: '2024-01-15',
        periodEnd: '2025-01-15',
        days: 366,
        principalMinor: 10_000_000n,
        interestMinor: 436_192n,
        totalMinor: 10_436_192n,
        openingPrincipalMinor: 10_000_000n,
        closingPrincipalMinor: 0n,
      },
    ]);
  });

  it('BULLET under 30/360 accrues 88 days from 30 November to 28 February (90 actual days)', () => {
    // 30/360: 360 x 1 + 30 x (2 - 11) + (28 - 30) = 88 days; 5,000,000 x 0.12 x 88 / 360 = 146,666.67 -> 146,667
    const schedule = borrowerSchedule(
      terms({ principalMinor: 5_000_000n, termMonths: 3, method: 'BULLET', disbursementDate: '2024-11-30', dayCount: '30/360' }),
    );
    expect(schedule.instalments[0]).toMatchObject({ dueDate: '2025-02-28', days: 90, interestMinor: 146_667n });
  });
});

describe('due dates', () => {
  it('anchors every due date, so a month-end day survives February', () => {
    expect(scheduleDueDates('2024-01-31', 4)).toEqual(['2024-02-29', '2024-03-31', '2024-04-30', '2024-05-31']);
    expect(scheduleDueDates('2023-12-15', 3, '2024-01-31')).toEqual(['2024-01-31', '2024-02-29', '2024-03-31']);
    // a first due date on a clamped day is the day of month the borrower chose
    expect(scheduleDueDates('2024-01-31', 3, '2024-02-29')).toEqual(['2024-02-29', '2024-03-29', '2024-04-29']);
  });

  it('treats a first due date one month after disbursement as a regular period', () => {
    const regular = borrowerSchedule(terms({ disbursementDate: '2024-01-31', firstDueDate: '2024-02-29' }));
    // 29 days, yet a full month's interest: 1,000,000 x 1%
    expect(regular.instalments[0]).toMatchObject({ days: 29, interestMinor: 10_000n });
  });

  it('accrues a short first period daily', () => {
    // 46 days from 2024-03-05 to 2024-04-20: 5,000,000 x 0.0888 x 46 / 365 = 55,956.16 -> 55,956
    const schedule = borrowerSchedule(
      terms({ principalMinor: 5_000_000n, annualRate: '0.0888', termMonths: 24, disbursementDate: '2024-03-05', firstDueDate: '2024-04-20' }),
    );
    expect(schedule.instalments[0]).toMatchObject({ periodStart: '2024-03-05', days: 46, interestMinor: 55_956n });
    expect(schedule.instalments[1]).toMatchObject({ periodStart: '2024-04-20', dueDate: '2024-05-20' });
  });
});

describe('borrowerSchedule: refusals', () => {
  it('refuses terms that cannot make a schedule', () => {
    expectValidation(() => borrowerSchedule(terms({ principalMinor: 0n })), 'principalMinor', 'positive');
    expect(() => borrowerSchedule(terms({ principalMinor: -1n }))).toThrow(ValidationError);
    expectValidation(() => borrowerSchedule(terms({ termMonths: 0 })), 'termMonths', 'term-range');
    expectValidation(() => borrowerSchedule(terms({ termMonths: 601 })), 'termMonths', 'term-range');
    expectValidation(() => borrowerSchedule(terms({ termMonths: 1.5 })), 'termMonths', 'term-range');
    expectValidation(() => borrowerSchedule(terms({ annualRate: '-0.01' })), 'annualRate', 'non-negative');
    expectValidation(() => borrowerSchedule(terms({ annualRate: '1e-2' })), 'annualRate', 'decimal-format');
    expectValidation(() => borrowerSchedule(terms({ method: 'BALLOON' as RepaymentMethod })), 'method', 'repayment-method');
    expectValidation(() => borrowerSchedule(terms({ disbursementDate: '2024-02-30' })), 'disbursementDate', 'iso-date');
    expectValidation(() => borrowerSchedule(terms({ firstDueDate: '2024-01-15' })), 'firstDueDate', 'after-disbursement');
    expectValidation(() => borrowerSchedule(terms({ dayCount: 'ACT/ACT' as 'ACT/360' })), 'dayCount', 'day-count');
    expectValidation(() => borrowerSchedule(terms({ roundingMode: 'UP' as 'DOWN' })), 'roundingMode', 'rounding-mode');
  });
});

const THREE: ScheduleFunding[] = [
  { lenderId: 'LEAD', amountMinor: 300_000n, priority: 0 },
  { lenderId: 'BANK-A', amountMinor: 500_000n, priority: 1 },
  { lenderId: 'BANK-B', amountMinor: 200_000n, priority: 2 },
];
const TO_LEAD: RemainderRule = { kind: 'ROUNDING_PARTY', party: 'LEAD', mode: 'HALF_UP' };

describe('lenderSchedules', () => {
  it('splits each instalment by outstanding principal, the lead taking the rounding', () => {
    const lenders = lenderSchedules(borrowerSchedule(terms()), THREE, TO_LEAD);
    // month 1 principal 788.49: BANK-A 39,424.5 -> 39,425, BANK-B 15,769.8 -> 15,770, LEAD the rest 23,654
    // interest 100.00 splits 30.00 / 50.00 / 20.00 exactly
    expect(lenders.map((l) => [l.lenderId, l.instalments[0]!.principalMinor, l.instalments[0]!.interestMinor])).toEqual([
      ['LEAD', 23_654n, 3_000n],
      ['BANK-A', 39_425n, 5_000n],
      ['BANK-B', 15_770n, 2_000n],
    ]);
    expect(lenders.map((l) => l.totalPrincipalMinor)).toEqual([300_000n, 500_000n, 200_000n]);
    expect(lenders.map((l) => l.instalments[11]!.closingPrincipalMinor)).toEqual([0n, 0n, 0n]);
    expect(lenders.reduce((s, l) => s + l.totalInterestMinor, 0n)).toBe(66_186n);
  });

  it('gives leftover units to the largest remainders under LARGEST_REMAINDER', () => {
    const lenders = lenderSchedules(borrowerSchedule(terms()), THREE, { kind: 'LARGEST_REMAINDER' });
    // exact 23,654.7 / 39,424.5 / 15,769.8: floors leave 2 fen, to BANK-B (.8) and LEAD (.7)
    expect(lenders.map((l) => l.instalments[0]!.principalMinor)).toEqual([23_655n, 39_424n, 15_770n]);
  });

  it('weights later instalments by what each lender still holds', () => {
    const schedule = borrowerSchedule(terms());
    const lenders = lenderSchedules(schedule, THREE, TO_LEAD);
    // month 2 weights: LEAD 276,346, BANK-A 460,575, BANK-B 184,230 (sum 921,151 = the opening principal)
    expect(lenders.map((l) => l.instalments[0]!.closingPrincipalMinor)).toEqual([276_346n, 460_575n, 184_230n]);
    expect(schedule.instalments[1]!.openingPrincipalMinor).toBe(921_151n);
  });

  it('keeps lenders of zero at zero and gives a single lender everything', () => {
    const schedule = borrowerSchedule(terms({ termMonths: 3 }));
    const [only, nobody] = lenderSchedules(
      schedule,
      [
        { lenderId: 'ONLY', amountMinor: 1_000_000n },
        { lenderId: 'NOBODY', amountMinor: 0n },
      ],
      { kind: 'LARGEST_REMAINDER' },
    );
    expect(only!.instalments.map((i) => i.totalMinor)).toEqual(schedule.instalments.map((i) => i.totalMinor));
    expect(nobody!.instalments.every((i) => i.totalMinor === 0n)).toBe(true);
  });

  it('refuses a plan that does not fund the schedule', () => {
    const schedule = borrowerSchedule(terms());
    expectValidation(() => lenderSchedules(schedule, [], TO_LEAD), 'fundingPlan', 'non-empty');
    expectValidation(
      () => lenderSchedules(schedule, [{ lenderId: 'LEAD', amountMinor: 999_999n }], TO_LEAD),
      'fundingPlan',
      'plan-sums-to-principal',
    );
    expectValidation(
      () => lenderSchedules(schedule, [THREE[0]!, { ...THREE[1]!, lenderId: 'LEAD' }, THREE[2]!], TO_LEAD),
      'fundingPlan.1.lenderId',
      'unique-id',
    );
    expectValidation(
      () => lenderSchedules(schedule, [{ ...THREE[0]!, amountMinor: 500_000n }, { ...THREE[1]!, amountMinor: -200_000n }, { ...THREE[2]!, amountMinor: 700_000n }], TO_LEAD),
      'fundingPlan.1.amountMinor',
      'non-negative',
    );
    expectValidation(
      () => lenderSchedules(schedule, [{ ...THREE[0]!, priority: Number.NaN }, THREE[1]!, THREE[2]!], TO_LEAD),
      'fundingPlan.0.priority',
      'finite',
    );
    expectValidation(() => lenderSchedules(schedule, THREE, { kind: 'ROUNDING_PARTY', party: 'OTHER', mode: 'HALF_UP' }), 'rule.party');
  });

  it('stops with an invariant violation on a schedule that does not hold together', () => {
    const schedule = borrowerSchedule(terms({ termMonths: 2 }));
    const broken: Schedule = {
      ...schedule,
      instalments: schedule.instalments.map((i) => (i.number === 2 ? { ...i, openingPrincipalMinor: i.openingPrincipalMinor + 1n } : i)),
    };
    expect(() => lenderSchedules(broken, THREE, TO_LEAD)).toThrow(InvariantViolation);
  });

  it('builds a 360-month schedule for 20 lenders whose sub-schedules sum to it', () => {
    // 20 lenders of 500,000,000.00 (the first 3 fen more), 30 years at 4.35%
    const plan = Array.from({ length: 20 }, (_, i): ScheduleFunding => ({
      lenderId: `L${String(i).padStart(2, '0')}`,
      amountMinor: i === 0 ? 50_000_000_003n : 50_000_000_000n,
      priority: i,
    }));
    const loanTerms = terms({ principalMinor: 1_000_000_000_003n, annualRate: '0.0435', termMonths: 360, disbursementDate: '2024-01-31' });
    const rules: RemainderRule[] = [{ ...TO_LEAD, party: 'L00' }, { kind: 'LARGEST_REMAINDER' }];
    for (const rule of rules) {
      const borrower = borrowerSchedule(loanTerms);
      const lenders = lenderSchedules(borrower, plan, rule);
      expect(lenders[19]!.instalments).toHaveLength(360);
      expect(lenders.reduce((sum, l) => sum + l.totalPrincipalMinor, 0n)).toBe(1_000_000_000_003n);
    }
  });
});

describe('a booked loan', () => {
  it('derives terms, rule and priorities from the loan and its program', () => {
    const { loan } = bookLoan(aBookLoanRequest(), aProgram(), lenderMap(), NOW);
    expect(scheduleTermsOf(loan)).toEqual({
      principalMinor: 1_000_000n,
      annualRate: '0.0725',
      termMonths: 12,
      method: 'EQUAL_INSTALLMENT',
      disbursementDate: '2025-03-01',
      dayCount: 'ACT/360',
      roundingMode: 'HALF_UP',
    });
    expect(scheduleTermsOf(loan, '2025-04-10').firstDueDate).toBe('2025-04-10');
    const { borrower, lenders } = loanSchedules(loan);
    expect(lenders.map((l) => [l.lenderId, l.totalPrincipalMinor])).toEqual([
      [LEAD_ID, 400_000n],
      [PARTNER_A, 300_000n],
      [PARTNER_B, 300_000n],
    ]);
    expect(lenders.reduce((s, l) => s + l.totalInterestMinor, 0n)).toBe(borrower.totalInterestMinor);
  });

  it('maps the program split settings to a remainder rule', () => {
    expect(scheduleRemainderRule(aProgramTerms())).toEqual({ kind: 'ROUNDING_PARTY', party: LEAD_ID, mode: 'HALF_UP' });
    const named = aProgramTerms({
      roundingMode: 'HALF_EVEN',
      split: { ...aProgramTerms().split, roundingParty: PARTNER_A },
    });
    expect(scheduleRemainderRule(named)).toEqual({ kind: 'ROUNDING_PARTY', party: PARTNER_A, mode: 'HALF_EVEN' });
    const largest = aProgramTerms({ split: { ...aProgramTerms().split, remainderRule: 'LARGEST_REMAINDER' } });
    expect(scheduleRemainderRule(largest)).toEqual({ kind: 'LARGEST_REMAINDER' });
  });
});

/** Expects a 400-class refusal: code VALIDATION_FAILED, the exact message, path and rule. */
function expectRefusal(action: () => unknown, message: string, details: Record<string, unknown>): void {
  const error = thrownBy(ValidationError, action);
  expect(error.code).toBe('VALIDATION_FAILED');
  expect(error.message).toBe(message);
  expect(error.details).toEqual(details);
}

describe('refusals, exactly: message, path and rule', () => {
  it('principal: a positive bigint, 1 fen the least', () => {
    expectRefusal(() => borrowerSchedule(terms({ principalMinor: 0n })), 'principalMinor must be a positive bigint, got 0', { path: 'principalMinor', rule: 'positive' });
    expectRefusal(() => borrowerSchedule(terms({ principalMinor: -1n })), 'principalMinor must be a positive bigint, got -1', { path: 'principalMinor', rule: 'positive' });
    expectRefusal(() => borrowerSchedule(terms({ principalMinor: 5 as unknown as bigint })), 'principalMinor must be a positive bigint, got 5', { path: 'principalMinor', rule: 'positive' });
    expectRefusal(() => levelPaymentMinor(0n, '0.12', 12, 'HALF_UP'), 'principalMinor must be a positive bigint, got 0', { path: 'principalMinor', rule: 'positive' });
    // 1 fen over 1 month at 12%: interest 0.01 x 1% = 0.0001 -> 0
    expect(figures(borrowerSchedule(terms({ principalMinor: 1n, termMonths: 1 })))).toEqual([[1n, 0n, 1n, 0n]]);
  });

  it('term: a whole number of months from 1 to 600, in every entry point', () => {
    const term = (got: string) => `termMonths must be a whole number from 1 to 600, got ${got}`;
    const details = { path: 'termMonths', rule: 'term-range' };
    expectRefusal(() => borrowerSchedule(terms({ termMonths: 0 })), term('0'), details);
    expectRefusal(() => borrowerSchedule(terms({ termMonths: 601 })), term('601'), details);
    expectRefusal(() => borrowerSchedule(terms({ termMonths: 1.5 })), term('1.5'), details);
    expectRefusal(() => borrowerSchedule(terms({ termMonths: 2 ** 53 })), term('9007199254740992'), details);
    expectRefusal(() => scheduleDueDates('2024-01-15', 0), term('0'), details);
    expectRefusal(() => scheduleDueDates('2024-01-15', 601), term('601'), details);
    expectRefusal(() => levelPaymentMinor(100n, '0.12', 0, 'HALF_UP'), term('0'), details);
    expectRefusal(() => levelPaymentMinor(100n, '0.12', 601, 'HALF_UP'), term('601'), details);
    expect(scheduleDueDates('2024-01-15', 1)).toEqual(['2024-02-15']);
    const longest = scheduleDueDates('2024-01-15', 600);
    expect([longest.length, longest[599]]).toEqual([600, '2074-01-15']);
  });

  it('level payment: the rate and the rounding mode are named by their own paths', () => {
    expectValidation(() => levelPaymentMinor(100n, '-0.12', 12, 'HALF_UP'), 'annualRate', 'non-negative');
    expectValidation(() => levelPaymentMinor(100n, '0.12', 12, 'UP' as 'DOWN'), 'mode', 'rounding-mode');
  });

  it('method: one of the four, named in the message', () => {
    expectRefusal(
      () => borrowerSchedule(terms({ method: 'BALLOON' as RepaymentMethod })),
      'method must be one of EQUAL_INSTALLMENT, EQUAL_PRINCIPAL, INTEREST_ONLY, BULLET, got BALLOON',
      { path: 'method', rule: 'repayment-method' },
    );
  });

  it('first due date: after the disbursement date, the next day the earliest', () => {
    const details = { path: 'firstDueDate', rule: 'after-disbursement' };
    expectRefusal(() => borrowerSchedule(terms({ firstDueDate: '2024-01-15' })), 'firstDueDate 2024-01-15 must be after the disbursement date 2024-01-15', details);
    expectRefusal(() => borrowerSchedule(terms({ firstDueDate: '2024-01-14' })), 'firstDueDate 2024-01-14 must be after the disbursement date 2024-01-15', details);
    expectValidation(() => borrowerSchedule(terms({ firstDueDate: '2024-01-32' })), 'firstDueDate', 'iso-date');
    // one day at 12% ACT/365 on 10,000.00: 1,000,000 x 0.12 / 365 = 328.77 -> 329
    const schedule = borrowerSchedule(terms({ termMonths: 2, firstDueDate: '2024-01-16' }));
    expect(schedule.instalments[0]).toMatchObject({ periodStart: '2024-01-15', dueDate: '2024-01-16', days: 1, interestMinor: 329n });
  });
});

describe('given due dates (a schedule rebuilt after an early repayment)', () => {
  const given = ['2024-02-20', '2024-03-20', '2024-04-20'];

  it('pays on exactly the dates given, the first period odd when it is not one month long', () => {
    const schedule = borrowerSchedule(terms({ principalMinor: 300_000n, termMonths: 3, method: 'EQUAL_PRINCIPAL', dueDates: given }));
    expect(schedule.instalments.map((i) => [i.periodStart, i.dueDate, i.days])).toEqual([
      ['2024-01-15', '2024-02-20', 36],
      ['2024-02-20', '2024-03-20', 29],
      ['2024-03-20', '2024-04-20', 31],
    ]);
    // 36 days: 300,000 x 0.12 x 36 / 365 = 3,550.68 -> 3,551; then 1% a month of 200,000 and 100,000
    expect(figures(schedule)).toEqual([
      [100_000n, 3_551n, 103_551n, 200_000n],
      [100_000n, 2_000n, 102_000n, 100_000n],
      [100_000n, 1_000n, 101_000n, 0n],
    ]);
  });

  it('a first given date one month after the disbursement is a regular period', () => {
    const schedule = borrowerSchedule(terms({ principalMinor: 300_000n, termMonths: 2, method: 'INTEREST_ONLY', dueDates: ['2024-02-15', '2024-03-20'] }));
    expect(schedule.instalments.map((i) => i.interestMinor)).toEqual([3_000n, 3_000n]);
  });

  it('BULLET matures on the last date given', () => {
    const schedule = borrowerSchedule(terms({ principalMinor: 365_000n, termMonths: 3, method: 'BULLET', dueDates: given }));
    // 96 days: 365,000 x 0.12 x 96 / 365 = 11,520 exactly
    expect(schedule.instalments).toEqual([
      {
        number: 1,
        dueDate: '2024-04-20',
        periodStart: '2024-01-15',
        periodEnd: '2024-04-20',
        days: 96,
        principalMinor: 365_000n,
        interestMinor: 11_520n,
        totalMinor: 376_520n,
        openingPrincipalMinor: 365_000n,
        closingPrincipalMinor: 0n,
      },
    ]);
  });

  it('refuses one date too few or too many, naming the term', () => {
    const details = { path: 'dueDates', rule: 'one-per-month' };
    expectRefusal(() => borrowerSchedule(terms({ termMonths: 3, dueDates: given.slice(0, 2) })), 'dueDates must hold one date per month of the term (3), got 2', details);
    expectRefusal(() => borrowerSchedule(terms({ termMonths: 3, dueDates: [...given, '2024-05-20'] })), 'dueDates must hold one date per month of the term (3), got 4', details);
  });

  it('refuses a date not after the one before it (the disbursement for the first), naming its index', () => {
    expectRefusal(
      () => borrowerSchedule(terms({ termMonths: 3, dueDates: ['2024-01-15', '2024-02-15', '2024-03-15'] })),
      'dueDates.0 2024-01-15 must come after 2024-01-15',
      { path: 'dueDates.0', rule: 'increasing' },
    );
    expectRefusal(
      () => borrowerSchedule(terms({ termMonths: 3, dueDates: ['2024-02-20', '2024-02-20', '2024-03-20'] })),
      'dueDates.1 2024-02-20 must come after 2024-02-20',
      { path: 'dueDates.1', rule: 'increasing' },
    );
    // each date is compared with the one before it, not with the disbursement
    expectRefusal(
      () => borrowerSchedule(terms({ termMonths: 3, dueDates: ['2024-03-20', '2024-02-20', '2024-04-20'] })),
      'dueDates.1 2024-02-20 must come after 2024-03-20',
      { path: 'dueDates.1', rule: 'increasing' },
    );
    expectValidation(() => borrowerSchedule(terms({ termMonths: 3, dueDates: ['2024-02-20', '2024-02-30', '2024-04-20'] })), 'dueDates.1', 'iso-date');
  });
});

describe('funding plan refusals, exactly', () => {
  const schedule = borrowerSchedule(terms());

  it('names the empty plan, the bad id, amount and priority by index, and the sum', () => {
    expectRefusal(() => lenderSchedules(schedule, [], TO_LEAD), 'fundingPlan needs at least one lender', { path: 'fundingPlan', rule: 'non-empty' });
    const id = { path: 'fundingPlan.1.lenderId', rule: 'unique-id' };
    const idMessage = 'fundingPlan.1.lenderId must be a non-empty id that appears once';
    expectRefusal(() => lenderSchedules(schedule, [THREE[0]!, { ...THREE[1]!, lenderId: 'LEAD' }, THREE[2]!], TO_LEAD), idMessage, id);
    expectRefusal(() => lenderSchedules(schedule, [THREE[0]!, { ...THREE[1]!, lenderId: '' }, THREE[2]!], TO_LEAD), idMessage, id);
    expectRefusal(() => lenderSchedules(schedule, [THREE[0]!, { ...THREE[1]!, lenderId: 7 as unknown as string }, THREE[2]!], TO_LEAD), idMessage, id);
    const amount = { path: 'fundingPlan.2.amountMinor', rule: 'non-negative' };
    const amountMessage = 'fundingPlan.2.amountMinor must be a bigint of zero or more';
    expectRefusal(() => lenderSchedules(schedule, [THREE[0]!, THREE[1]!, { ...THREE[2]!, amountMinor: -1n }], TO_LEAD), amountMessage, amount);
    expectRefusal(() => lenderSchedules(schedule, [THREE[0]!, THREE[1]!, { ...THREE[2]!, amountMinor: 200_000 as unknown as bigint }], TO_LEAD), amountMessage, amount);
    const priority = { path: 'fundingPlan.1.priority', rule: 'finite' };
    const priorityMessage = 'fundingPlan.1.priority must be a finite number';
    expectRefusal(() => lenderSchedules(schedule, [THREE[0]!, { ...THREE[1]!, priority: Number.POSITIVE_INFINITY }, THREE[2]!], TO_LEAD), priorityMessage, priority);
    expectRefusal(() => lenderSchedules(schedule, [THREE[0]!, { ...THREE[1]!, priority: '1' as unknown as number }, THREE[2]!], TO_LEAD), priorityMessage, priority);
    expectRefusal(
      () => lenderSchedules(schedule, [{ lenderId: 'LEAD', amountMinor: 1_000_001n }], TO_LEAD),
      'fundingPlan sums to 1000001, the schedule repays 1000000',
      { path: 'fundingPlan', rule: 'plan-sums-to-principal' },
    );
  });
});

describe('loanLenderSchedules with share moves', () => {
  it('stops with an invariant violation on a move from a lender that holds no part of the loan', () => {
    const { loan } = bookLoan(aBookLoanRequest(), aProgram(), lenderMap(), NOW);
    const { borrower } = loanSchedules(loan);
    const error = thrownBy(InvariantViolation, () =>
      loanLenderSchedules(loan, borrower, [{ sellerLenderId: 'NOBODY', buyerId: PARTNER_A, valueDate: '2025-04-11' }]),
    );
    expect([error.message, error.details]).toEqual(['a share moves from a holder', { lenderId: 'NOBODY' }]);
  });
});

describe('the entry points check what the monthly rows would not', () => {
  it('BULLET: the term is checked though no monthly due date is computed', () => {
    expectRefusal(() => borrowerSchedule(terms({ method: 'BULLET', termMonths: 601 })), 'termMonths must be a whole number from 1 to 600, got 601', { path: 'termMonths', rule: 'term-range' });
    expectRefusal(() => borrowerSchedule(terms({ method: 'BULLET', termMonths: 0 })), 'termMonths must be a whole number from 1 to 600, got 0', { path: 'termMonths', rule: 'term-range' });
  });

  it('a booked loan: no first due date key unless one is given, and a borrower schedule of another principal is refused', () => {
    const { loan } = bookLoan(aBookLoanRequest(), aProgram(), lenderMap(), NOW);
    expect(Object.keys(scheduleTermsOf(loan))).not.toContain('firstDueDate');
    const other = borrowerSchedule({ ...scheduleTermsOf(loan), principalMinor: 999_999n });
    expectRefusal(() => loanLenderSchedules(loan, other), 'fundingPlan sums to 1000000, the schedule repays 999999', { path: 'fundingPlan', rule: 'plan-sums-to-principal' });
  });
});

describe('loanLenderSchedules: moves given directly', () => {
  it('takes the moves in order of value date, and a buyer that is no participant as a partner ranked last', () => {
    const { loan } = bookLoan(aBookLoanRequest(), aProgram(), lenderMap(), NOW);
    const { borrower } = loanSchedules(loan);
    // given out of order: PARTNER-B's whole share to PARTNER-A on 2025-04-11, then PARTNER-A's whole share to OUTSIDER on 2025-06-11
    const lenders = loanLenderSchedules(loan, borrower, [
      { sellerLenderId: PARTNER_A, buyerId: 'OUTSIDER', valueDate: '2025-06-11' },
      { sellerLenderId: PARTNER_B, buyerId: PARTNER_A, valueDate: '2025-04-11' },
    ]);
    const of = (id: string) => lenders.find((l) => l.lenderId === id)!;
    expect(lenders.map((l) => l.lenderId)).toEqual([LEAD_ID, PARTNER_A, PARTNER_B, 'OUTSIDER']);
    expect(of(PARTNER_B).instalments.map((i) => i.number)).toEqual([1]);
    expect(of(PARTNER_A).instalments.map((i) => i.number)).toEqual([1, 2, 3]);
    expect(of('OUTSIDER').instalments.map((i) => i.number)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12]);
    // PARTNER-A holds 275,820 + 275,820 = 551,640 of 919,400 (60%) after instalment 1:
    // instalment 2 81,087 x 0.6 = 48,652.2 -> 48,652; instalment 3 81,577 x 502,988 / 838,313 = 48,946.2 -> 48,946
    expect(of(PARTNER_A).instalments.map((i) => [i.principalMinor, i.closingPrincipalMinor])).toEqual([
      [24_180n, 275_820n],
      [48_652n, 502_988n],
      [48_946n, 454_042n],
    ]);
    expect(of('OUTSIDER').totalPrincipalMinor).toBe(454_042n);
    expect(lenders.reduce((sum, l) => sum + l.totalPrincipalMinor, 0n)).toBe(1_000_000n);
  });
});
