import { describe, expect, it } from 'vitest';
import { InvariantViolation } from '../../../../shared/domain/errors.ts';
import type { Loan } from '../../../../shared/domain/loan.ts';
import type { RemainderRule } from '../../../../shared/domain/money/index.ts';
import type { Schedule, ScheduleFunding, ShareMove } from '../../../../shared/domain/schedule.ts';
import { borrowerSchedule, lenderSchedules, loanLenderSchedules, loanSchedules } from '../../../../shared/domain/schedule.ts';
import { LEAD_ID, PARTNER_A, PARTNER_B, aLoan } from '../../../support/builders.ts';
import { thrownBy } from '../../../support/expect-error.ts';
import { scheduleTerms } from '../../../support/schedule-terms.ts';

/**
 * `lenderSchedules` and `loanLenderSchedules` take the borrower schedule from their caller (a loan
 * account rebuilds it from its rows), so the checks that end the computation can be reached by a
 * schedule that does not hold together: each is named here by its exact message and details.
 */

const terms = scheduleTerms;

const THREE: ScheduleFunding[] = [
  { lenderId: 'LEAD', amountMinor: 300_000n, priority: 0 },
  { lenderId: 'BANK-A', amountMinor: 500_000n, priority: 1 },
  { lenderId: 'BANK-B', amountMinor: 200_000n, priority: 2 },
];
const TWO: ScheduleFunding[] = [
  { lenderId: 'LEAD', amountMinor: 600_000n },
  { lenderId: 'BANK', amountMinor: 400_000n },
];
const TO_LEAD: RemainderRule = { kind: 'ROUNDING_PARTY', party: 'LEAD', mode: 'HALF_UP' };

/** Expects the invariant violation of `message` with exactly `details`. */
function expectViolation(action: () => unknown, message: string, details: Record<string, unknown>): void {
  const error = thrownBy(InvariantViolation, action);
  expect([error.code, error.message, error.details]).toEqual(['INVARIANT_VIOLATED', message, details]);
}

/** The schedule with instalment 2 numbered 1, every amount and opening left as it was. */
function secondNumberedFirst(schedule: Schedule): Schedule {
  return { ...schedule, instalments: schedule.instalments.map((row) => (row.number === 2 ? { ...row, number: 1 } : row)) };
}

/** The default loan (10,000.00 at 7.25% over 12 months: LEAD 4,000.00, partners 3,000.00 each) under LENDER_RATE, the partners earning 4.5%. */
function lenderRateLoan(): Loan {
  const base = aLoan();
  return {
    ...base,
    terms: {
      ...base.terms,
      participants: base.terms.participants.map((p) => (p.role === 'PARTNER' ? { ...p, yieldRate: '0.045' } : p)),
      split: { ...base.terms.split, interestBasis: 'LENDER_RATE' },
    },
  };
}

describe('lenderSchedules: a borrower schedule that does not hold together', () => {
  const schedule = borrowerSchedule(terms());

  it('an opening principal that is not what the lenders hold: named by its instalment', () => {
    const broken: Schedule = {
      ...schedule,
      instalments: schedule.instalments.map((row) => (row.number === 2 ? { ...row, openingPrincipalMinor: row.openingPrincipalMinor + 1n } : row)),
    };
    expectViolation(() => lenderSchedules(broken, THREE, TO_LEAD), 'lenders do not hold the opening principal', { number: 2 });
  });

  it('no instalment at all: the first lender is repaid nothing of what it funded', () => {
    expectViolation(() => lenderSchedules({ ...schedule, instalments: [] }, THREE, TO_LEAD), 'a lender is not repaid exactly its funded amount', {
      lenderId: 'LEAD',
      repaidMinor: '0',
      fundedMinor: '300000',
    });
  });

  it('the last instalment missing: the first lender is repaid its funded amount less its part of it', () => {
    // LEAD's part of instalment 12's principal is 263.90: 3,000.00 - 263.90 = 2,736.10 repaid
    const [lead] = lenderSchedules(schedule, THREE, TO_LEAD);
    expect(lead!.instalments[11]!.principalMinor).toBe(26_390n);
    expectViolation(
      () => lenderSchedules({ ...schedule, instalments: schedule.instalments.slice(0, 11) }, THREE, TO_LEAD),
      'a lender is not repaid exactly its funded amount',
      { lenderId: 'LEAD', repaidMinor: '273610', fundedMinor: '300000' },
    );
  });

  it('two instalments of one number, interest only: the interest of number 1 counted twice', () => {
    // 10,000.00 interest only at 12%: instalments 1 and 2 are 0 of principal and 100.00 of interest each
    const interestOnly = borrowerSchedule(terms({ termMonths: 3, method: 'INTEREST_ONLY' }));
    expect(interestOnly.instalments.map((row) => [row.principalMinor, row.interestMinor])).toEqual([
      [0n, 10_000n],
      [0n, 10_000n],
      [1_000_000n, 10_000n],
    ]);
    expectViolation(() => lenderSchedules(secondNumberedFirst(interestOnly), TWO, TO_LEAD), 'lender parts do not sum to the instalment', { number: 1 });
  });

  it('two instalments of one number, no interest: the principal of number 1 counted twice', () => {
    // 10,000.00 at 0% in equal principal: 3,333.33, 3,333.33, 3,333.34 and no interest
    const noInterest = borrowerSchedule(terms({ termMonths: 3, method: 'EQUAL_PRINCIPAL', annualRate: '0' }));
    expect(noInterest.instalments.map((row) => [row.principalMinor, row.interestMinor])).toEqual([
      [333_333n, 0n],
      [333_333n, 0n],
      [333_334n, 0n],
    ]);
    expectViolation(() => lenderSchedules(secondNumberedFirst(noInterest), TWO, TO_LEAD), 'lender parts do not sum to the instalment', { number: 1 });
  });
});

describe('loanLenderSchedules: moves and a borrower schedule from the caller', () => {
  const loan = aLoan();
  const { borrower } = loanSchedules(loan);

  it('the last instalment missing after a move: a lender that holds to the end must close at zero', () => {
    // PARTNER-B sells to PARTNER-A after instalment 1; LEAD-BANK repays 3,655.51 in instalments 1 to 11
    // and still holds its part of instalment 12 (its repaid amount is its funded amount after moves)
    const moves: ShareMove[] = [{ sellerLenderId: PARTNER_B, buyerId: PARTNER_A, valueDate: '2025-04-11' }];
    expectViolation(
      () => loanLenderSchedules(loan, { ...borrower, instalments: borrower.instalments.slice(0, 11) }, moves),
      'a lender is not repaid exactly its funded amount',
      { lenderId: LEAD_ID, repaidMinor: '365551', fundedMinor: '365551' },
    );
  });

  it('a move dated after the last due date moves nothing: the buyer gets an empty sub-schedule', () => {
    const lenders = loanLenderSchedules(loan, borrower, [{ sellerLenderId: PARTNER_B, buyerId: 'OUTSIDER', valueDate: '2026-03-01' }]);
    expect(lenders.map((l) => [l.lenderId, l.instalments.length, l.totalPrincipalMinor, l.totalInterestMinor, l.totalSpreadMinor])).toEqual([
      [LEAD_ID, 12, 400_000n, 15_880n, 0n],
      [PARTNER_A, 12, 300_000n, 11_913n, 0n],
      [PARTNER_B, 12, 300_000n, 11_913n, 0n],
      ['OUTSIDER', 0, 0n, 0n, 0n],
    ]);
    expect(lenders.slice(0, 3)).toEqual(loanSchedules(loan).lenders);
  });

  it('the first lender of the plan sells its whole share: its sub-schedule ends, the buyer holds both shares', () => {
    // instalment 1 (principal 806.00): LEAD-BANK 322.40, each partner 241.80; LEAD-BANK's 3,677.60 left passes to PARTNER-A
    const lenders = loanLenderSchedules(loan, borrower, [{ sellerLenderId: LEAD_ID, buyerId: PARTNER_A, valueDate: '2025-04-11' }]);
    expect(lenders.map((l) => [l.lenderId, l.instalments.length, l.totalPrincipalMinor])).toEqual([
      [LEAD_ID, 1, 32_240n],
      [PARTNER_A, 12, 667_760n],
      [PARTNER_B, 12, 300_000n],
    ]);
    // instalment 2 (principal 810.87) split over 6,435.80 / 2,758.20 of 9,194.00: 567.61 and 243.26
    expect(lenders.map((l) => l.instalments.find((row) => row.number === 2)?.principalMinor)).toEqual([undefined, 56_761n, 24_326n]);
  });

  it('under LENDER_RATE a lead that sold its whole share would still be given the spread: stopped, named', () => {
    const rated = lenderRateLoan();
    expectViolation(
      () => loanLenderSchedules(rated, loanSchedules(rated).borrower, [{ sellerLenderId: LEAD_ID, buyerId: PARTNER_A, valueDate: '2025-04-11' }]),
      'a lender that holds nothing gets nothing',
      { lenderId: LEAD_ID, number: 2 },
    );
  });
});
