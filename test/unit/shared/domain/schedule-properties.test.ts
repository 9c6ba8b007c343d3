import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { RemainderRule } from '../../../../shared/domain/money/index.ts';
import { DAY_COUNTS, ROUNDING_MODES, addDays } from '../../../../shared/domain/money/index.ts';
import type { Schedule, ScheduleFunding, ScheduleTerms } from '../../../../shared/domain/schedule.ts';
import { REPAYMENT_METHODS, borrowerSchedule, lenderSchedules, levelPaymentMinor } from '../../../../shared/domain/schedule.ts';

/** A rate from 0 to 0.36 with 0 to 6 decimal places, as a decimal string. */
const annualRate = fc.integer({ min: 0, max: 6 }).chain((places) =>
  fc.integer({ min: 0, max: Math.floor((36 * 10 ** places) / 100) }).map((units) => {
    if (places === 0) return String(units);
    const digits = String(units).padStart(places + 1, '0');
    return `${digits.slice(0, -places)}.${digits.slice(-places)}`;
  }),
);

/** Dates from 2000 to about 2040; an optional first due date 1 to 62 days after disbursement. */
const dates = fc
  .record({ offset: fc.integer({ min: 0, max: 14_600 }), firstDueAfter: fc.option(fc.integer({ min: 1, max: 62 })) })
  .map(({ offset, firstDueAfter }) => {
    const disbursementDate = addDays('2000-01-01', offset);
    return firstDueAfter === null
      ? { disbursementDate }
      : { disbursementDate, firstDueDate: addDays(disbursementDate, firstDueAfter) };
  });

const scheduleTerms: fc.Arbitrary<ScheduleTerms> = fc
  .record({
    principalMinor: fc.bigInt({ min: 1n, max: 10n ** 12n }),
    annualRate,
    termMonths: fc.integer({ min: 1, max: 60 }),
    method: fc.constantFrom(...REPAYMENT_METHODS),
    dates,
    dayCount: fc.constantFrom(...DAY_COUNTS),
    roundingMode: fc.constantFrom(...ROUNDING_MODES),
  })
  .map(({ dates: when, ...rest }) => ({ ...rest, ...when }));

/**
 * A funding plan of 1 to 20 lenders summing to the principal: random weights turned into amounts
 * (floors, the first lender takes what is left), so tiny principals give lenders of zero.
 */
function fundingPlan(principalMinor: bigint): fc.Arbitrary<ScheduleFunding[]> {
  return fc
    .array(fc.record({ weight: fc.integer({ min: 1, max: 1_000 }), priority: fc.option(fc.integer({ min: 0, max: 3 })) }), {
      minLength: 1,
      maxLength: 20,
    })
    .map((lenders) => {
      const weightTotal = BigInt(lenders.reduce((s, l) => s + l.weight, 0));
      const amounts = lenders.map((l) => (principalMinor * BigInt(l.weight)) / weightTotal);
      amounts[0] = amounts[0]! + principalMinor - amounts.reduce((s, a) => s + a, 0n);
      return lenders.map((l, i): ScheduleFunding => {
        const lenderId = `L${String(i).padStart(2, '0')}`;
        return l.priority === null
          ? { lenderId, amountMinor: amounts[i]! }
          : { lenderId, amountMinor: amounts[i]!, priority: l.priority };
      });
    });
}

function checkBorrower(terms: ScheduleTerms, schedule: Schedule): void {
  const rows = schedule.instalments;
  expect(rows).toHaveLength(terms.method === 'BULLET' ? 1 : terms.termMonths);
  expect(rows.reduce((s, r) => s + r.principalMinor, 0n)).toBe(terms.principalMinor);
  expect(schedule.totalPrincipalMinor).toBe(terms.principalMinor);
  expect(schedule.totalInterestMinor).toBe(rows.reduce((s, r) => s + r.interestMinor, 0n));
  let opening = terms.principalMinor;
  for (const row of rows) {
    expect(row.principalMinor >= 0n && row.interestMinor >= 0n).toBe(true);
    expect(row.openingPrincipalMinor).toBe(opening);
    expect(row.closingPrincipalMinor).toBe(opening - row.principalMinor);
    expect(row.closingPrincipalMinor <= opening && row.closingPrincipalMinor >= 0n).toBe(true);
    expect(row.totalMinor).toBe(row.principalMinor + row.interestMinor);
    expect(row.days).toBeGreaterThan(0);
    opening = row.closingPrincipalMinor;
  }
  expect(opening).toBe(0n);
}

describe('borrowerSchedule properties', () => {
  it('repays exactly the principal, never negative, closing principal falling to 0', () => {
    fc.assert(
      fc.property(scheduleTerms, (terms) => {
        checkBorrower(terms, borrowerSchedule(terms));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps EQUAL_INSTALLMENT at the level payment until the last, unless the principal part is held in range', () => {
    const equalInstalment = scheduleTerms.map((t): ScheduleTerms => ({ ...t, method: 'EQUAL_INSTALLMENT' }));
    fc.assert(
      fc.property(equalInstalment, (terms) => {
        const level = levelPaymentMinor(terms.principalMinor, terms.annualRate, terms.termMonths, terms.roundingMode);
        const rows = borrowerSchedule(terms).instalments;
        for (const row of rows.slice(0, -1)) {
          const heldInRange = row.principalMinor === 0n || row.closingPrincipalMinor === 0n;
          if (!heldInRange) expect(row.totalMinor).toBe(level);
        }
      }),
    );
  });
});

describe('lenderSchedules properties', () => {
  const withPlan = scheduleTerms.chain((terms) =>
    fc.record({
      terms: fc.constant(terms),
      plan: fundingPlan(terms.principalMinor),
      mode: fc.constantFrom(...ROUNDING_MODES),
      partyIndex: fc.nat(),
    }),
  );

  it('sums exactly to the borrower schedule and repays each lender exactly its funded amount', () => {
    fc.assert(
      fc.property(withPlan, ({ terms, plan, mode, partyIndex }) => {
        const schedule = borrowerSchedule(terms);
        const party = plan[partyIndex % plan.length]!.lenderId;
        const rules: RemainderRule[] = [{ kind: 'ROUNDING_PARTY', party, mode }, { kind: 'LARGEST_REMAINDER' }];
        for (const rule of rules) {
          const lenders = lenderSchedules(schedule, plan, rule);
          expect(lenders.map((l) => l.lenderId)).toEqual(plan.map((p) => p.lenderId));
          schedule.instalments.forEach((row, k) => {
            const parts = lenders.map((l) => l.instalments[k]!);
            expect(parts.every((p) => p.number === row.number && p.dueDate === row.dueDate)).toBe(true);
            expect(parts.every((p) => p.principalMinor >= 0n && p.interestMinor >= 0n)).toBe(true);
            expect(parts.reduce((s, p) => s + p.principalMinor, 0n)).toBe(row.principalMinor);
            expect(parts.reduce((s, p) => s + p.interestMinor, 0n)).toBe(row.interestMinor);
            expect(parts.reduce((s, p) => s + p.totalMinor, 0n)).toBe(row.totalMinor);
            expect(parts.reduce((s, p) => s + p.closingPrincipalMinor, 0n)).toBe(row.closingPrincipalMinor);
          });
          lenders.forEach((lender, j) => {
            const funded = plan[j]!.amountMinor;
            expect(lender.instalments.reduce((s, i) => s + i.principalMinor, 0n)).toBe(funded);
            expect(lender.totalPrincipalMinor).toBe(funded);
            let outstanding = funded;
            for (const part of lender.instalments) {
              expect(part.principalMinor <= outstanding).toBe(true);
              outstanding -= part.principalMinor;
              expect(part.closingPrincipalMinor).toBe(outstanding);
            }
            expect(outstanding).toBe(0n);
          });
        }
      }),
      { numRuns: 150 },
    );
  });
});
