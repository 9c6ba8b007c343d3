import { describe, expect, it } from 'vitest';
import { InvariantViolation, RuleViolation, ValidationError } from '../../../../shared/domain/errors.ts';
import { priceOfLegs } from '../../../../shared/domain/buyback.ts';
import { LoanAccount, compareEvents, foldRepayments, type AccountInstalment, type RepaymentEvent, type RepaymentKind } from '../../../../shared/domain/loan-account.ts';
import type { Loan } from '../../../../shared/domain/loan.ts';
import { NOTHING_COVERED, type Covered, type Dues, type LenderRepaymentParts } from '../../../../shared/domain/repayment.ts';
import { loanSchedules } from '../../../../shared/domain/schedule.ts';
import { GUARANTOR_ID, LEAD_ID, PARTNER_A, PARTNER_B, aLoan, aParticipant, aProgramTerms } from '../../../support/builders.ts';
import { thrownBy } from '../../../support/expect-error.ts';

/*
 * The test loan (aLoan): 1,000,000 fen at 7.25% over 12 months, EQUAL_INSTALLMENT, disbursed
 * 2025-03-01, funded 400,000 (LEAD-BANK) / 300,000 (PARTNER-A) / 300,000 (PARTNER-B); ACT/360,
 * HALF_UP, penalty multiplier 1.5, split PRO_RATA with the lead as rounding party.
 *
 * Worked out by hand from docs/schedules.md and docs/repayment-booking.md:
 *   r = 0.0725 / 12 = 0.00604166...
 *   level payment A = P·r / (1 − (1 + r)^−12) = 86,642.04 → 86,642
 *   instalment 1 (2025-03-01 .. 2025-04-01): interest 1,000,000 × 0.0725 / 12 = 6,041.67 → 6,042,
 *     principal 86,642 − 6,042 = 80,600
 *   instalment 2 (2025-04-01 .. 2025-05-01): interest 919,400 × 0.0725 / 12 = 5,554.71 → 5,555,
 *     principal 86,642 − 5,555 = 81,087
 *   penalty rate = 0.0725 × 1.5 = 0.10875
 *
 * Pro rata among 400,000 / 300,000 / 300,000 under ROUNDING_PARTY (lead), HALF_UP: each partner gets
 * its 30% rounded, the lead the rest.
 */

const loan = aLoan();

const LEVEL = 86_642n;
const I1 = { principal: 80_600n, interest: 6_042n };
const I2 = { principal: 81_087n, interest: 5_555n };

function ev(repaymentId: string, valueDate: string, amountMinor: bigint, seq: number, kind: RepaymentKind = 'REGULAR'): RepaymentEvent {
  return { repaymentId, valueDate, amountMinor, kind, seq };
}

function parts(principalMinor: bigint, interestMinor: bigint, penaltyMinor = 0n, spreadMinor = 0n): LenderRepaymentParts {
  return { principalMinor, interestMinor, penaltyMinor, feeMinor: 0n, spreadMinor };
}

function perLender(lead: LenderRepaymentParts, a: LenderRepaymentParts, b: LenderRepaymentParts): Map<string, LenderRepaymentParts> {
  return new Map([
    [LEAD_ID, lead],
    [PARTNER_A, a],
    [PARTNER_B, b],
  ]);
}

function dues(overrides: Partial<Dues> = {}): Dues {
  const { excessMinor: _excess, ...nothing } = NOTHING_COVERED;
  return { ...nothing, ...overrides };
}

function covered(overrides: Partial<Covered> = {}): Covered {
  return { ...dues(), excessMinor: 0n, ...overrides };
}

function outstanding(account: LoanAccount, asOf: string): [string, bigint][] {
  return [...account.summary(asOf).outstandingByLender];
}

function row(overrides: Partial<AccountInstalment> & Pick<AccountInstalment, 'number' | 'dueDate' | 'periodStart' | 'principalMinor' | 'interestMinor'>): AccountInstalment {
  return { paidPrincipalMinor: 0n, paidInterestMinor: 0n, prepayment: false, ...overrides };
}

/** Instalment 1 paid on its due date. */
const ON_TIME = ev('R-1', '2025-04-01', LEVEL, 1);

describe('the test loan', () => {
  it('starts from the booked schedule: 12 rows, the first two as worked out by hand', () => {
    const account = new LoanAccount(loan);
    const summary = account.summary('2025-03-01');
    expect(summary.instalments).toHaveLength(12);
    expect(summary.instalments.slice(0, 2)).toEqual([
      row({ number: 1, dueDate: '2025-04-01', periodStart: '2025-03-01', principalMinor: I1.principal, interestMinor: I1.interest }),
      row({ number: 2, dueDate: '2025-05-01', periodStart: '2025-04-01', principalMinor: I2.principal, interestMinor: I2.interest }),
    ]);
    expect(summary.instalments[11]?.dueDate).toBe('2026-03-01');
    expect(summary).toMatchObject({ status: 'ACTIVE', outstandingPrincipalMinor: 1_000_000n, penaltyOutstandingMinor: 0n, suspenseMinor: 0n, reschedules: 0 });
    expect(outstanding(account, '2025-03-01')).toEqual([
      [LEAD_ID, 400_000n],
      [PARTNER_A, 300_000n],
      [PARTNER_B, 300_000n],
    ]);
  });
});

describe('LoanAccount.apply: regular payments', () => {
  it('an on-time instalment covers its dues, is split 40/30/30 to the fen and leaves nothing in suspense', () => {
    const account = new LoanAccount(loan);
    const outcome = account.apply(ON_TIME);
    expect(outcome.dues).toEqual(dues({ currentInterestMinor: 6_042n, currentPrincipalMinor: 80_600n }));
    expect(outcome.covered).toEqual(covered({ currentInterestMinor: 6_042n, currentPrincipalMinor: 80_600n }));
    expect(outcome.dpdBefore).toBe(0);
    expect([outcome.prepaidPrincipalMinor, outcome.prepaidInterestMinor]).toEqual([0n, 0n]);
    // principal 80,600 × 0.3 = 24,180 exactly; lead 80,600 − 48,360 = 32,240
    // interest 6,042 × 0.3 = 1,812.6 → 1,813; lead 6,042 − 3,626 = 2,416
    expect(outcome.split).toEqual({
      perLender: perLender(parts(32_240n, 2_416n), parts(24_180n, 1_813n), parts(24_180n, 1_813n)),
      suspenseMinor: 0n,
      suspenseLenderId: LEAD_ID,
      paidMinor: LEVEL,
    });
    expect([...outcome.split.perLender.keys()]).toEqual([LEAD_ID, PARTNER_A, PARTNER_B]);
    const summary = account.summary('2025-04-01');
    expect(summary.instalments[0]).toEqual(
      row({ number: 1, dueDate: '2025-04-01', periodStart: '2025-03-01', principalMinor: 80_600n, interestMinor: 6_042n, paidPrincipalMinor: 80_600n, paidInterestMinor: 6_042n }),
    );
    expect(summary.outstandingPrincipalMinor).toBe(919_400n);
    expect(summary.suspenseMinor).toBe(0n);
    expect(outstanding(account, '2025-04-01')).toEqual([
      [LEAD_ID, 367_760n],
      [PARTNER_A, 275_820n],
      [PARTNER_B, 275_820n],
    ]);
  });

  it('a payment before any due date covers nothing: all of it is suspense under the default SUSPENSE program', () => {
    const account = new LoanAccount(loan);
    const outcome = account.apply(ev('R-1', '2025-03-15', 10_000n, 1));
    expect(outcome.dues).toEqual(dues());
    expect(outcome.covered).toEqual(covered({ excessMinor: 10_000n }));
    expect(outcome.split).toEqual({
      perLender: perLender(parts(0n, 0n), parts(0n, 0n), parts(0n, 0n)),
      suspenseMinor: 10_000n,
      suspenseLenderId: LEAD_ID,
      paidMinor: 10_000n,
    });
    const summary = account.summary('2025-03-15');
    expect([summary.suspenseMinor, summary.outstandingPrincipalMinor, summary.reschedules]).toEqual([10_000n, 1_000_000n, 0]);
  });

  it('a partial payment pays interest before principal (the waterfall order)', () => {
    const short = new LoanAccount(loan).apply(ev('R-1', '2025-04-01', 5_000n, 1));
    // 5,000 < 6,042 of interest: all interest, no principal; 5,000 × 0.3 = 1,500 each, lead 2,000
    expect(short.covered).toEqual(covered({ currentInterestMinor: 5_000n }));
    expect(short.split.perLender).toEqual(perLender(parts(0n, 2_000n), parts(0n, 1_500n), parts(0n, 1_500n)));

    const account = new LoanAccount(loan);
    const outcome = account.apply(ev('R-1', '2025-04-01', 10_000n, 1));
    // 10,000: 6,042 of interest, then 3,958 of principal; 3,958 × 0.3 = 1,187.4 → 1,187, lead 3,958 − 2,374 = 1,584
    expect(outcome.covered).toEqual(covered({ currentInterestMinor: 6_042n, currentPrincipalMinor: 3_958n }));
    expect(outcome.split.perLender).toEqual(perLender(parts(1_584n, 2_416n), parts(1_187n, 1_813n), parts(1_187n, 1_813n)));
    expect(outcome.split.suspenseMinor).toBe(0n);
    const summary = account.summary('2025-04-01');
    expect([summary.instalments[0]?.paidInterestMinor, summary.instalments[0]?.paidPrincipalMinor]).toEqual([6_042n, 3_958n]);
    expect(outstanding(account, '2025-04-01')).toEqual([
      [LEAD_ID, 398_416n],
      [PARTNER_A, 298_813n],
      [PARTNER_B, 298_813n],
    ]);
    // what is left of the instalment is still current on its due date, and overdue the day after
    const rest = account.apply(ev('R-2', '2025-04-01', 76_642n, 2));
    expect(rest.dues).toEqual(dues({ currentPrincipalMinor: 76_642n }));
    expect(account.daysPastDue('2025-04-02')).toBe(0);
  });

  it('a payment 9 days late pays penalty and compound interest first, each rounded HALF_UP once', () => {
    const account = new LoanAccount(loan);
    const outcome = account.apply(ev('R-1', '2025-04-10', 86_877n, 1));
    // instalment 1 due 2025-04-01, unpaid; 9 days to 2025-04-10 under ACT/360:
    //   penalty  80,600 × 0.10875 × 9 / 360 = 219.13125 → 219
    //   compound  6,042 × 0.10875 × 9 / 360 =  16.4266875 → 16
    expect(outcome.dpdBefore).toBe(9);
    expect(outcome.dues).toEqual(dues({ penaltyMinor: 235n, overdueInterestMinor: 6_042n, overduePrincipalMinor: 80_600n }));
    expect(outcome.covered).toEqual(covered({ penaltyMinor: 235n, overdueInterestMinor: 6_042n, overduePrincipalMinor: 80_600n }));
    // penalty 235 pro rata: 235 × 0.3 = 70.5 → 71 each, lead 235 − 142 = 93
    expect(outcome.split).toEqual({
      perLender: perLender(parts(32_240n, 2_416n, 93n), parts(24_180n, 1_813n, 71n), parts(24_180n, 1_813n, 71n)),
      suspenseMinor: 0n,
      suspenseLenderId: LEAD_ID,
      paidMinor: 86_877n,
    });
    const summary = account.summary('2025-04-10');
    expect([summary.penaltyOutstandingMinor, account.daysPastDue('2025-04-10')]).toEqual([0n, 0]);
  });

  it('penalty paid is not due again: the next accrual runs from the last one, not from the due date', () => {
    const account = new LoanAccount(loan);
    const first = account.apply(ev('R-1', '2025-04-10', 235n, 1));
    expect(first.covered).toEqual(covered({ penaltyMinor: 235n }));
    expect(account.summary('2025-04-10').penaltyOutstandingMinor).toBe(0n);
    // 10 more days (2025-04-10 .. 2025-04-20) on what is still unpaid:
    //   penalty  80,600 × 0.10875 × 10 / 360 = 243.479... → 243
    //   compound  6,042 × 0.10875 × 10 / 360 =  18.251875 → 18
    const second = account.apply(ev('R-2', '2025-04-20', 261n, 2));
    expect(second.dpdBefore).toBe(19);
    expect(second.dues).toEqual(dues({ penaltyMinor: 261n, overdueInterestMinor: 6_042n, overduePrincipalMinor: 80_600n }));
    expect(second.covered).toEqual(covered({ penaltyMinor: 261n }));
  });

  it('after a late instalment is paid in full the next one on time has no penalty and no days past due', () => {
    const account = new LoanAccount(loan);
    account.apply(ev('R-1', '2025-04-10', 86_877n, 1));
    const next = account.apply(ev('R-2', '2025-05-01', LEVEL, 2));
    expect(next.dpdBefore).toBe(0);
    expect(next.dues).toEqual(dues({ currentInterestMinor: 5_555n, currentPrincipalMinor: 81_087n }));
    // by outstanding 367,760 / 275,820 / 275,820 (still 40/30/30):
    //   interest 5,555 × 0.3 = 1,666.5 → 1,667, lead 5,555 − 3,334 = 2,221
    //   principal 81,087 × 0.3 = 24,326.1 → 24,326, lead 81,087 − 48,652 = 32,435
    expect(next.split.perLender).toEqual(perLender(parts(32_435n, 2_221n), parts(24_326n, 1_667n), parts(24_326n, 1_667n)));
  });

  it('an overpayment covers the dues and holds the rest in suspense in the lead book', () => {
    const account = new LoanAccount(loan);
    const outcome = account.apply(ev('R-1', '2025-04-01', 100_000n, 1));
    expect(outcome.covered).toEqual(covered({ currentInterestMinor: 6_042n, currentPrincipalMinor: 80_600n, excessMinor: 13_358n }));
    expect(outcome.split).toEqual({
      perLender: perLender(parts(32_240n, 2_416n), parts(24_180n, 1_813n), parts(24_180n, 1_813n)),
      suspenseMinor: 13_358n,
      suspenseLenderId: LEAD_ID,
      paidMinor: 100_000n,
    });
    const summary = account.summary('2025-04-01');
    expect([summary.suspenseMinor, summary.reschedules, summary.instalments.length]).toEqual([13_358n, 0, 12]);
    expect(summary.instalments[1]).toEqual(row({ number: 2, dueDate: '2025-05-01', periodStart: '2025-04-01', principalMinor: I2.principal, interestMinor: I2.interest }));
  });
});

/*
 * Early repayment on 2025-04-16, after instalment 1 was paid on time. Principal not yet due:
 * 1,000,000 − 80,600 = 919,400. Interest accrued on it since the current period began (2025-04-01),
 * 15 days ACT/360: 919,400 × 0.0725 × 15 / 360 = 2,777.354... → 2,777.
 * A PREPAYMENT of 300,000 pays that interest and 297,223 of principal; 622,177 is left.
 * The prepayment split by outstanding 367,760 / 275,820 / 275,820 (exactly 40/30/30):
 *   principal 297,223 × 0.3 = 89,166.9 → 89,167 each, lead 297,223 − 178,334 = 118,889
 *   interest    2,777 × 0.3 =    833.1 →    833 each, lead   2,777 −   1,666 =   1,111
 */
const ACCRUED = 2_777n;
const PREPAID = 297_223n;
const LEFT = 622_177n;

/*
 * LOWER_INSTALMENT: the 11 rows not yet due rebuilt on 622,177 from 2025-04-16, next due date kept
 * (2025-05-01). Level payment over 11 months: 622,177 · r / (1 − (1 + r)^−11) = 58,632. The first
 * period is odd (15 days), so its interest accrues daily: 622,177 × 0.0725 × 15 / 360 = 1,879.49 → 1,879;
 * every later month is opening × 0.0725 / 12; the last row takes the principal left.
 */
const LOWER_ROWS: [string, string, bigint, bigint][] = [
  ['2025-04-16', '2025-05-01', 56_753n, 1_879n],
  ['2025-05-01', '2025-06-01', 55_216n, 3_416n],
  ['2025-06-01', '2025-07-01', 55_549n, 3_083n],
  ['2025-07-01', '2025-08-01', 55_885n, 2_747n],
  ['2025-08-01', '2025-09-01', 56_223n, 2_409n],
  ['2025-09-01', '2025-10-01', 56_562n, 2_070n],
  ['2025-10-01', '2025-11-01', 56_904n, 1_728n],
  ['2025-11-01', '2025-12-01', 57_248n, 1_384n],
  ['2025-12-01', '2026-01-01', 57_594n, 1_038n],
  ['2026-01-01', '2026-02-01', 57_942n, 690n],
  ['2026-02-01', '2026-03-01', 56_301n, 340n],
];

function rebuilt(rows: readonly [string, string, bigint, bigint][], firstNumber: number): AccountInstalment[] {
  return rows.map(([periodStart, dueDate, principalMinor, interestMinor], i) => row({ number: firstNumber + i, periodStart, dueDate, principalMinor, interestMinor }));
}

describe('LoanAccount.apply: early repayment', () => {
  it('a PREPAYMENT mid-period pays the interest accrued on the principal not yet due, then that principal', () => {
    const account = new LoanAccount(loan);
    account.apply(ON_TIME);
    const outcome = account.apply(ev('R-2', '2025-04-16', 300_000n, 2, 'PREPAYMENT'));
    expect(outcome.dues).toEqual(dues());
    expect(outcome.covered).toEqual(covered({ currentInterestMinor: ACCRUED, currentPrincipalMinor: PREPAID }));
    expect([outcome.prepaidInterestMinor, outcome.prepaidPrincipalMinor]).toEqual([ACCRUED, PREPAID]);
    expect(outcome.split).toEqual({
      perLender: perLender(parts(118_889n, 1_111n), parts(89_167n, 833n), parts(89_167n, 833n)),
      suspenseMinor: 0n,
      suspenseLenderId: LEAD_ID,
      paidMinor: 300_000n,
    });
    const summary = account.summary('2025-04-16');
    expect(summary.outstandingPrincipalMinor).toBe(LEFT);
    // 367,760 − 118,889 = 248,871; 275,820 − 89,167 = 186,653
    expect(outstanding(account, '2025-04-16')).toEqual([
      [LEAD_ID, 248_871n],
      [PARTNER_A, 186_653n],
      [PARTNER_B, 186_653n],
    ]);
    expect(summary.reschedules).toBe(1);
    expect(account.rescheduled).toBe(true);
  });

  it('rebuilds the rows not yet due LOWER_INSTALMENT: as many rows, smaller, keeping the next due date', () => {
    const account = new LoanAccount(loan);
    account.apply(ON_TIME);
    account.apply(ev('R-2', '2025-04-16', 300_000n, 2, 'PREPAYMENT'));
    const { instalments } = account.summary('2025-04-16');
    expect(instalments).toEqual([
      row({ number: 1, dueDate: '2025-04-01', periodStart: '2025-03-01', principalMinor: 80_600n, interestMinor: 6_042n, paidPrincipalMinor: 80_600n, paidInterestMinor: 6_042n }),
      row({ number: 2, dueDate: '2025-04-16', periodStart: '2025-04-01', principalMinor: PREPAID, interestMinor: ACCRUED, paidPrincipalMinor: PREPAID, paidInterestMinor: ACCRUED, prepayment: true }),
      ...rebuilt(LOWER_ROWS, 3),
    ]);
    expect(instalments.slice(2).every((r) => r.principalMinor + r.interestMinor <= LEVEL)).toBe(true);
    // the first rebuilt instalment is then due as rebuilt
    const next = account.apply(ev('R-3', '2025-05-01', 58_632n, 3));
    expect(next.dues).toEqual(dues({ currentInterestMinor: 1_879n, currentPrincipalMinor: 56_753n }));
  });

  it('schedules(): borrower rows repay the principal; each lender sub-schedule row sums to the borrower row', () => {
    const account = new LoanAccount(loan);
    account.apply(ON_TIME);
    account.apply(ev('R-2', '2025-04-16', 300_000n, 2, 'PREPAYMENT'));
    const { borrower, lenders } = account.schedules();
    expect(borrower.instalments).toHaveLength(13);
    expect(borrower.instalments.reduce((s, r) => s + r.principalMinor, 0n)).toBe(1_000_000n);
    expect(borrower.totalPrincipalMinor).toBe(1_000_000n);
    expect(borrower.totalInterestMinor).toBe(6_042n + ACCRUED + LOWER_ROWS.reduce((s, r) => s + r[3], 0n));
    expect(borrower.instalments[1]).toMatchObject({ number: 2, dueDate: '2025-04-16', periodStart: '2025-04-01', days: 15, openingPrincipalMinor: 919_400n, closingPrincipalMinor: LEFT });
    expect(borrower.instalments[12]?.closingPrincipalMinor).toBe(0n);
    expect(lenders.map((l) => [l.lenderId, l.totalPrincipalMinor])).toEqual([
      [LEAD_ID, 400_000n],
      [PARTNER_A, 300_000n],
      [PARTNER_B, 300_000n],
    ]);
    borrower.instalments.forEach((r, k) => {
      expect(lenders.reduce((s, l) => s + l.instalments[k]!.principalMinor, 0n)).toBe(r.principalMinor);
      expect(lenders.reduce((s, l) => s + l.instalments[k]!.interestMinor, 0n)).toBe(r.interestMinor);
    });
    for (const lender of lenders) expect(lender.instalments.reduce((s, r) => s + r.principalMinor, 0n)).toBe(lender.totalPrincipalMinor);
    // the row before the rebuild keeps the booked sub-schedule; the settled row is split as the payment was
    const booked = loanSchedules(loan).lenders;
    expect(lenders.map((l) => l.instalments[0])).toEqual(booked.map((l) => l.instalments[0]));
    expect(lenders.map((l) => [l.instalments[1]!.principalMinor, l.instalments[1]!.interestMinor])).toEqual([
      [118_889n, 1_111n],
      [89_167n, 833n],
      [89_167n, 833n],
    ]);
  });

  it('SHORTER_TERM, EQUAL_INSTALLMENT: the fewest months whose level payment is not above the old instalment', () => {
    const shorter = aLoan({}, { prepayment: { excess: 'SUSPENSE', reschedule: 'SHORTER_TERM' } });
    const account = new LoanAccount(shorter);
    account.apply(ON_TIME);
    account.apply(ev('R-2', '2025-04-16', 300_000n, 2, 'PREPAYMENT'));
    // level payment of 622,177 over 7 months: 91,043 > 86,642; over 8 months: 79,901 ≤ 86,642 → 8 rows.
    // First period daily (1,879 as above), then opening × 0.0725 / 12, the last row takes the rest.
    const expected = rebuilt(
      [
        ['2025-04-16', '2025-05-01', 78_022n, 1_879n],
        ['2025-05-01', '2025-06-01', 76_613n, 3_288n],
        ['2025-06-01', '2025-07-01', 77_076n, 2_825n],
        ['2025-07-01', '2025-08-01', 77_542n, 2_359n],
        ['2025-08-01', '2025-09-01', 78_010n, 1_891n],
        ['2025-09-01', '2025-10-01', 78_482n, 1_419n],
        ['2025-10-01', '2025-11-01', 78_956n, 945n],
        ['2025-11-01', '2025-12-01', 77_476n, 468n],
      ],
      3,
    );
    const { instalments } = account.summary('2025-04-16');
    expect(instalments.slice(2)).toEqual(expected);
    expect(instalments).toHaveLength(10);
    expect(instalments.slice(2).every((r) => r.principalMinor + r.interestMinor <= LEVEL)).toBe(true);
    expect(instalments.slice(2).reduce((s, r) => s + r.principalMinor, 0n)).toBe(LEFT);
  });

  it('SHORTER_TERM, EQUAL_PRINCIPAL: as many rows as the old principal per instalment needs, the rest divided equally', () => {
    const ep = aLoan({ repaymentMethod: 'EQUAL_PRINCIPAL' }, { prepayment: { excess: 'SUSPENSE', reschedule: 'SHORTER_TERM' } });
    const account = new LoanAccount(ep);
    // EQUAL_PRINCIPAL: 1,000,000 / 12 = 83,333.33 → 83,333 a month; instalment 1 = 83,333 + 6,042 = 89,375,
    // instalment 2 = 83,333 + 916,667 × 0.0725 / 12 (= 5,538.197 → 5,538) = 88,871
    const first = account.apply(ev('R-1', '2025-04-01', 89_375n, 1));
    expect(first.dues).toEqual(dues({ currentInterestMinor: 6_042n, currentPrincipalMinor: 83_333n }));
    expect(account.summary('2025-04-01').instalments[1]).toMatchObject({ principalMinor: 83_333n, interestMinor: 5_538n });
    const outcome = account.apply(ev('R-2', '2025-04-16', 300_000n, 2, 'PREPAYMENT'));
    // accrued on 916,667 over 15 days: 916,667 × 0.0725 × 15 / 360 = 2,769.098 → 2,769;
    // principal 300,000 − 2,769 = 297,231; left 916,667 − 297,231 = 619,436
    expect([outcome.prepaidInterestMinor, outcome.prepaidPrincipalMinor]).toEqual([2_769n, 297_231n]);
    const rows = account.summary('2025-04-16').instalments.slice(2);
    // 619,436 at the old 83,333 a month needs ⌈619,436 / 83,333⌉ = 8 rows (11 before); the principal
    // left divided equally: 619,436 / 8 = 77,429.5 → 77,430, the last row 619,436 − 7 × 77,430 = 77,426.
    // The first period accrues daily from the value date: 619,436 × 0.0725 × 15 / 360 = 1,871.2 → 1,871;
    // then opening × 0.0725 / 12, e.g. 542,006 × 0.0725 / 12 = 3,274.6 → 3,275.
    expect(rows).toEqual(
      rebuilt(
        [
          ['2025-04-16', '2025-05-01', 77_430n, 1_871n],
          ['2025-05-01', '2025-06-01', 77_430n, 3_275n],
          ['2025-06-01', '2025-07-01', 77_430n, 2_807n],
          ['2025-07-01', '2025-08-01', 77_430n, 2_339n],
          ['2025-08-01', '2025-09-01', 77_430n, 1_871n],
          ['2025-09-01', '2025-10-01', 77_430n, 1_403n],
          ['2025-10-01', '2025-11-01', 77_430n, 936n],
          ['2025-11-01', '2025-12-01', 77_426n, 468n],
        ],
        3,
      ),
    );
    expect(rows.every((r) => r.principalMinor + r.interestMinor <= 88_871n)).toBe(true);
  });

  it("the program's prepayment.excess = PREPAY prepays the excess of a REGULAR payment", () => {
    const prepay = aLoan({}, { prepayment: { excess: 'PREPAY', reschedule: 'LOWER_INSTALMENT' } });
    const account = new LoanAccount(prepay);
    const outcome = account.apply(ev('R-1', '2025-04-01', 100_000n, 1));
    // excess 100,000 − 86,642 = 13,358; interest accrued on the period starting that day: 0 days → 0
    expect([outcome.prepaidInterestMinor, outcome.prepaidPrincipalMinor]).toEqual([0n, 13_358n]);
    expect(outcome.covered).toEqual(covered({ currentInterestMinor: 6_042n, currentPrincipalMinor: 93_958n }));
    // principal 93,958 × 0.3 = 28,187.4 → 28,187 each, lead 93,958 − 56,374 = 37,584
    expect(outcome.split).toEqual({
      perLender: perLender(parts(37_584n, 2_416n), parts(28_187n, 1_813n), parts(28_187n, 1_813n)),
      suspenseMinor: 0n,
      suspenseLenderId: LEAD_ID,
      paidMinor: 100_000n,
    });
    // rebuilt on 919,400 − 13,358 = 906,042 over 11 months from 2025-04-01, a regular first month:
    // interest 906,042 × 0.0725 / 12 = 5,474.004 → 5,474; level 85,383 → principal 79,909
    const { instalments, suspenseMinor } = account.summary('2025-04-01');
    expect(suspenseMinor).toBe(0n);
    expect(instalments).toHaveLength(13);
    expect(instalments[1]).toEqual(
      row({ number: 2, dueDate: '2025-04-01', periodStart: '2025-04-01', principalMinor: 13_358n, interestMinor: 0n, paidPrincipalMinor: 13_358n, prepayment: true }),
    );
    expect(instalments[2]).toEqual(row({ number: 3, dueDate: '2025-05-01', periodStart: '2025-04-01', principalMinor: 79_909n, interestMinor: 5_474n }));
    expect(instalments[12]).toEqual(row({ number: 13, dueDate: '2026-03-01', periodStart: '2026-02-01', principalMinor: 84_873n, interestMinor: 513n }));
  });

  it('two early repayments of the same principal on one day each settle their own row', () => {
    const account = new LoanAccount(loan);
    account.apply(ON_TIME);
    // on a due date the current period has just begun: no interest accrued, all 50,000 is principal
    const first = account.apply(ev('R-2', '2025-04-01', 50_000n, 2, 'PREPAYMENT'));
    const second = account.apply(ev('R-3', '2025-04-01', 50_000n, 3, 'PREPAYMENT'));
    expect([first.prepaidPrincipalMinor, second.prepaidPrincipalMinor, second.prepaidInterestMinor]).toEqual([50_000n, 50_000n, 0n]);
    const summary = account.summary('2025-04-01');
    // 919,400 − 100,000 = 819,400 left, rebuilt over 11 months from 2025-04-01 (a regular first month):
    // interest 819,400 × 0.0725 / 12 = 4,950.54 → 4,951; level 77,218 → principal 72,267
    expect(summary.outstandingPrincipalMinor).toBe(819_400n);
    expect(summary.instalments).toHaveLength(14);
    expect(summary.instalments.slice(1, 4)).toEqual([
      row({ number: 2, dueDate: '2025-04-01', periodStart: '2025-04-01', principalMinor: 50_000n, interestMinor: 0n, paidPrincipalMinor: 50_000n, prepayment: true }),
      row({ number: 3, dueDate: '2025-04-01', periodStart: '2025-04-01', principalMinor: 50_000n, interestMinor: 0n, paidPrincipalMinor: 50_000n, prepayment: true }),
      row({ number: 4, dueDate: '2025-05-01', periodStart: '2025-04-01', principalMinor: 72_267n, interestMinor: 4_951n }),
    ]);
    expect(summary.instalments.reduce((s, r) => s + r.principalMinor - r.paidPrincipalMinor, 0n)).toBe(819_400n);
    expect(account.schedules().borrower.instalments.reduce((s, r) => s + r.principalMinor, 0n)).toBe(1_000_000n);
  });

  it('the same excess stays in suspense under the default SUSPENSE program', () => {
    const account = new LoanAccount(loan);
    const outcome = account.apply(ev('R-1', '2025-04-01', 100_000n, 1));
    expect(outcome.prepaidPrincipalMinor).toBe(0n);
    expect(account.rescheduled).toBe(false);
  });

  it('a full payoff settles the loan: PAID_OFF, nothing outstanding for any lender', () => {
    const account = new LoanAccount(loan);
    account.apply(ON_TIME);
    // 919,400 of principal + 2,777 of interest accrued since 2025-04-01
    const outcome = account.apply(ev('R-2', '2025-04-16', 922_177n, 2, 'PREPAYMENT'));
    expect(outcome.covered).toEqual(covered({ currentInterestMinor: ACCRUED, currentPrincipalMinor: 919_400n }));
    // each lender is repaid exactly what it holds
    expect(outcome.split.perLender).toEqual(perLender(parts(367_760n, 1_111n), parts(275_820n, 833n), parts(275_820n, 833n)));
    const summary = account.summary('2025-04-16');
    expect(summary.status).toBe('PAID_OFF');
    expect(summary.outstandingPrincipalMinor).toBe(0n);
    expect([...summary.outstandingByLender]).toEqual([
      [LEAD_ID, 0n],
      [PARTNER_A, 0n],
      [PARTNER_B, 0n],
    ]);
    expect(summary.instalments).toHaveLength(2);
    expect(account.schedules().borrower.instalments.map((r) => r.principalMinor)).toEqual([80_600n, 919_400n]);
  });

  it('a payoff above everything owed repays it all and holds the rest in suspense', () => {
    const account = new LoanAccount(loan);
    account.apply(ON_TIME);
    const outcome = account.apply(ev('R-2', '2025-04-16', 927_177n, 2, 'PREPAYMENT'));
    expect(outcome.covered).toEqual(covered({ currentInterestMinor: ACCRUED, currentPrincipalMinor: 919_400n, excessMinor: 5_000n }));
    const summary = account.summary('2025-04-16');
    expect([summary.status, summary.suspenseMinor]).toEqual(['PAID_OFF', 5_000n]);
  });

  it('an excess exactly equal to the accrued interest repays that interest alone and rebuilds from the value date', () => {
    const account = new LoanAccount(loan);
    account.apply(ON_TIME);
    const outcome = account.apply(ev('R-2', '2025-04-16', ACCRUED, 2, 'PREPAYMENT'));
    expect(outcome.covered).toEqual(covered({ currentInterestMinor: ACCRUED }));
    expect([outcome.prepaidInterestMinor, outcome.prepaidPrincipalMinor, outcome.split.suspenseMinor]).toEqual([ACCRUED, 0n, 0n]);
    const { instalments, reschedules, outstandingPrincipalMinor } = account.summary('2025-04-16');
    expect([reschedules, outstandingPrincipalMinor]).toEqual([1, 919_400n]);
    expect(instalments[1]).toEqual(
      row({ number: 2, dueDate: '2025-04-16', periodStart: '2025-04-01', principalMinor: 0n, interestMinor: ACCRUED, paidInterestMinor: ACCRUED, prepayment: true }),
    );
    // 919,400 rebuilt over 11 months from 2025-04-16: level 86,642 again; the first period accrues daily,
    // 919,400 × 0.0725 × 15 / 360 = 2,777.35 → 2,777, so it repays 86,642 − 2,777 = 83,865 of principal
    expect(instalments).toHaveLength(13);
    expect(instalments[2]).toEqual(row({ number: 3, dueDate: '2025-05-01', periodStart: '2025-04-16', principalMinor: 83_865n, interestMinor: 2_777n }));
  });

  it('an excess smaller than the accrued interest is not an early repayment: it goes to suspense', () => {
    const account = new LoanAccount(loan);
    account.apply(ON_TIME);
    const outcome = account.apply(ev('R-2', '2025-04-16', 2_776n, 2, 'PREPAYMENT'));
    expect(outcome.covered).toEqual(covered({ excessMinor: 2_776n }));
    expect([outcome.prepaidInterestMinor, outcome.prepaidPrincipalMinor, outcome.split.suspenseMinor]).toEqual([0n, 0n, 2_776n]);
    const summary = account.summary('2025-04-16');
    expect([summary.reschedules, summary.instalments.length, summary.outstandingPrincipalMinor]).toEqual([0, 12, 919_400n]);
  });
});

/*
 * LENDER_RATE: PARTNER-A yields 5%, PARTNER-B 6%; the lead takes the spread.
 * Instalment 1's period 2025-03-01 .. 2025-04-01 is 31 days (ACT/360):
 *   PARTNER-A 300,000 × 0.05 × 31 / 360 = 1,291.67 → 1,292
 *   PARTNER-B 300,000 × 0.06 × 31 / 360 = 1,550
 * Instalment 2's period 2025-04-01 .. 2025-05-01 is 30 days:
 *   PARTNER-A 300,000 × 0.05 × 30 / 360 = 1,250;  PARTNER-B 300,000 × 0.06 × 30 / 360 = 1,500
 */
function lenderRateLoan(): Loan {
  return aLoan(
    {},
    {
      participants: [
        aParticipant(LEAD_ID, 'LEAD', 4000, { priority: 0 }),
        aParticipant(PARTNER_A, 'PARTNER', 3000, { priority: 1, yieldRate: '0.05' }),
        aParticipant(PARTNER_B, 'PARTNER', 3000, { priority: 2, yieldRate: '0.06' }),
      ],
      split: { ...aProgramTerms().split, interestBasis: 'LENDER_RATE' },
    },
  );
}

describe('LoanAccount.apply: LENDER_RATE', () => {
  it('partners get their entitlement for the instalment period, the lead the spread', () => {
    const outcome = new LoanAccount(lenderRateLoan()).apply(ON_TIME);
    // spread 6,042 − (1,292 + 1,550) = 3,200; principal split as under PRO_RATA
    expect(outcome.split.perLender).toEqual(perLender(parts(32_240n, 0n, 0n, 3_200n), parts(24_180n, 1_292n), parts(24_180n, 1_550n)));
    expect(outcome.split.paidMinor).toBe(LEVEL);
  });

  it('each instalment covered by one payment is split on its own period', () => {
    const outcome = new LoanAccount(lenderRateLoan()).apply(ev('R-1', '2025-05-01', 174_069n, 1));
    // instalment 1 overdue 30 days: penalty 80,600 × 0.10875 × 30 / 360 = 730.4375 → 730,
    // compound 6,042 × 0.10875 × 30 / 360 = 54.755625 → 55; together 785
    // 785 + 6,042 + 80,600 + 5,555 + 81,087 = 174,069
    expect(outcome.dues).toEqual(dues({ penaltyMinor: 785n, overdueInterestMinor: 6_042n, overduePrincipalMinor: 80_600n, currentInterestMinor: 5_555n, currentPrincipalMinor: 81_087n }));
    // principal 161,687 × 0.3 = 48,506.1 → 48,506 each, lead 64,675
    // penalty 785 × 0.3 = 235.5 → 236 each, lead 313
    // interest: A 1,292 + 1,250 = 2,542; B 1,550 + 1,500 = 3,050; spread (6,042 − 2,842) + (5,555 − 2,750) = 6,005
    expect(outcome.split.perLender).toEqual(perLender(parts(64_675n, 0n, 313n, 6_005n), parts(48_506n, 2_542n, 236n), parts(48_506n, 3_050n, 236n)));
  });

  it('a second partial payment of the same instalment never pays a partner beyond its entitlement', () => {
    const account = new LoanAccount(lenderRateLoan());
    const first = account.apply(ev('R-1', '2025-04-01', 2_000n, 1));
    // 2,000 < 2,842 entitled: divided by entitlements 1,292 : 1,550, the lead (weight 0) yields the
    // rounding to the largest entitlement (PARTNER-B): A 2,000 × 1,292 / 2,842 = 909.22 → 909, B 1,091
    expect(first.split.perLender).toEqual(perLender(parts(0n, 0n), parts(0n, 909n), parts(0n, 1_091n)));
    const second = account.apply(ev('R-2', '2025-04-01', 84_642n, 2));
    // 4,042 of interest left; entitlements left A 1,292 − 909 = 383, B 1,550 − 1,091 = 459; spread 4,042 − 842 = 3,200
    expect(second.split.perLender).toEqual(perLender(parts(32_240n, 0n, 0n, 3_200n), parts(24_180n, 383n), parts(24_180n, 459n)));
    const a = first.split.perLender.get(PARTNER_A)!.interestMinor + second.split.perLender.get(PARTNER_A)!.interestMinor;
    const b = first.split.perLender.get(PARTNER_B)!.interestMinor + second.split.perLender.get(PARTNER_B)!.interestMinor;
    expect([a, b]).toEqual([1_292n, 1_550n]);
  });
});

describe('foldRepayments', () => {
  const events = [
    ev('R-1', '2025-04-01', LEVEL, 1),
    ev('R-2', '2025-05-10', 90_000n, 2),
    ev('R-3', '2025-06-15', 100_000n, 3, 'PREPAYMENT'),
    ev('R-4', '2025-06-15', 5_000n, 4),
    ev('R-5', '2025-03-20', 1_000n, 5),
  ];

  it('gives the same account and outcomes whatever the order the payments are given in', () => {
    const reference = foldRepayments(loan, events);
    const summary = reference.account.summary('2025-07-01');
    const orders = [[...events].reverse(), [events[2]!, events[4]!, events[0]!, events[3]!, events[1]!], [events[3]!, events[2]!, events[1]!, events[0]!, events[4]!]];
    for (const order of orders) {
      const folded = foldRepayments(loan, order);
      expect(folded.account.summary('2025-07-01')).toEqual(summary);
      expect(folded.outcomes).toEqual(reference.outcomes);
      expect(folded.account.schedules()).toEqual(reference.account.schedules());
    }
    // and the same as applying them one by one in value date, then arrival, order
    const account = new LoanAccount(loan);
    for (const e of [events[4]!, events[0]!, events[1]!, events[2]!, events[3]!]) account.apply(e);
    expect(account.summary('2025-07-01')).toEqual(summary);
  });

  it('applies payments of one value date in arrival order', () => {
    const { outcomes } = foldRepayments(loan, [ev('B', '2025-04-01', 80_000n, 2), ev('A', '2025-04-01', 6_042n, 1)]);
    expect(outcomes.get('A')?.covered).toEqual(covered({ currentInterestMinor: 6_042n }));
    expect(outcomes.get('B')?.covered).toEqual(covered({ currentPrincipalMinor: 80_000n }));
  });
});

describe('LoanAccount refusals', () => {
  it('refuses a value date before the disbursement', () => {
    const error = thrownBy(RuleViolation, () => new LoanAccount(loan).apply(ev('R-1', '2025-02-28', 1_000n, 1)));
    expect(error.code).toBe('VALUE_DATE_BEFORE_DISBURSEMENT');
    expect(error.details).toEqual({ path: 'valueDate', valueDate: '2025-02-28', disbursementDate: '2025-03-01' });
  });

  it('takes a payment on the disbursement date itself', () => {
    const outcome = new LoanAccount(loan).apply(ev('R-1', '2025-03-01', 1_000n, 1));
    expect(outcome.split.suspenseMinor).toBe(1_000n);
  });

  it('refuses an amount of zero or less', () => {
    for (const amount of [0n, -1n]) {
      const error = thrownBy(ValidationError, () => new LoanAccount(loan).apply(ev('R-1', '2025-04-01', amount, 1)));
      expect(error.details).toMatchObject({ path: 'amountMinor', rule: 'positive' });
    }
  });

  it('apply out of order of effect is an invariant violation', () => {
    const account = new LoanAccount(loan);
    account.apply(ev('R-2', '2025-05-01', 1_000n, 2));
    thrownBy(InvariantViolation, () => account.apply(ev('R-1', '2025-04-01', 1_000n, 1)));
    thrownBy(InvariantViolation, () => account.apply(ev('R-0', '2025-05-01', 1_000n, 1)));
    thrownBy(InvariantViolation, () => account.apply(ev('R-2', '2025-05-01', 1_000n, 2)));
  });
});

describe('accruals', () => {
  it('accrues the current period daily on the principal not yet due, and splits it by outstanding', () => {
    // 1,000,000 x 0.0725 x 10/360 = 2,013.89 -> 2,014; 30% of it is 604.2 -> 604 for each partner.
    const { account } = foldRepayments(aLoan(), []);
    const accruals = account.accruals('2025-03-11');
    expect(accruals).toMatchObject({ interestDueMinor: 0n, interestAccruedMinor: 2_014n, penaltyMinor: 0n });
    expect([...accruals.byLender].map(([id, p]) => [id, p.interestMinor, p.penaltyMinor])).toEqual([
      ['LEAD-BANK', 806n, 0n],
      ['PARTNER-A', 604n, 0n],
      ['PARTNER-B', 604n, 0n],
    ]);
  });

  it('adds the interest of a missed instalment and the penalty on it, ten days late', () => {
    // Due 2025-04-01 and unpaid: 6,042 interest. Accrued since: 919,400 x 0.0725 x 10/360 = 1,851.60 -> 1,852.
    // Penalty 80,600 x 0.10875 x 10/360 = 243.47 -> 243, compound 6,042 x 0.10875 x 10/360 = 18.25 -> 18.
    const { account } = foldRepayments(aLoan(), []);
    const accruals = account.accruals('2025-04-11');
    expect(accruals).toMatchObject({ interestDueMinor: 6_042n, interestAccruedMinor: 1_852n, penaltyMinor: 261n });
    // 7,894 interest: 2,368.2 -> 2,368 per partner, 3,158 to the lead; 261 penalty: 78.3 -> 78, lead 105.
    expect([...accruals.byLender].map(([id, p]) => [id, p.interestMinor, p.penaltyMinor])).toEqual([
      ['LEAD-BANK', 3_158n, 105n],
      ['PARTNER-A', 2_368n, 78n],
      ['PARTNER-B', 2_368n, 78n],
    ]);
  });
});

describe('LoanAccount refusals, exactly: code, message and details', () => {
  it('an amount that is not a positive bigint names the field, the rule and what was given', () => {
    for (const [amount, got] of [[0n, '0'], [-1n, '-1'], [1_000 as unknown as bigint, '1000']] as const) {
      const error = thrownBy(ValidationError, () => new LoanAccount(loan).apply(ev('R-1', '2025-04-01', amount, 1)));
      expect([error.code, error.message, error.details]).toEqual([
        'VALIDATION_FAILED',
        `amountMinor must be a positive whole number of minor units, got ${got}`,
        { path: 'amountMinor', rule: 'positive' },
      ]);
    }
    // 1 fen is a payment: on the due date it pays 1 fen of the current interest
    expect(new LoanAccount(loan).apply(ev('R-1', '2025-04-01', 1n, 1)).covered).toEqual(covered({ currentInterestMinor: 1n }));
  });

  it('a value date the day before the disbursement names the loan, both dates and the path, for payments and events alike', () => {
    const message = `value date 2025-02-28 is before the disbursement of loan ${loan.loanId} on 2025-03-01`;
    const details = { path: 'valueDate', valueDate: '2025-02-28', disbursementDate: '2025-03-01' };
    const payment = thrownBy(RuleViolation, () => new LoanAccount(loan).apply(ev('R-1', '2025-02-28', 1_000n, 1)));
    expect([payment.code, payment.message, payment.details]).toEqual(['VALUE_DATE_BEFORE_DISBURSEMENT', message, details]);
    const account = new LoanAccount(loan);
    const event = thrownBy(RuleViolation, () => account.applyEvent({ type: 'WRITE_OFF', eventId: 'W-1', valueDate: '2025-02-28', seq: 1 }));
    expect([event.code, event.message, event.details]).toEqual(['VALUE_DATE_BEFORE_DISBURSEMENT', message, details]);
    // nothing was entered: the same account still takes a payment at seq 1
    expect(account.apply(ev('R-1', '2025-03-01', 1_000n, 1)).split.suspenseMinor).toBe(1_000n);
  });

  it('an event out of order of effect names the last event applied and the next one', () => {
    const account = new LoanAccount(loan);
    account.apply(ev('R-2', '2025-05-01', 1_000n, 2));
    for (const [id, date, seq] of [['R-1', '2025-04-01', 9], ['R-0', '2025-05-01', 1], ['R-2', '2025-05-01', 2]] as const) {
      const error = thrownBy(InvariantViolation, () => account.apply(ev(id, date, 1_000n, seq)));
      expect([error.code, error.message, error.details]).toEqual(['INVARIANT_VIOLATED', 'events are applied in order of effect', { last: 'R-2', next: id }]);
    }
    // a later arrival on the same value date is in order
    expect(account.apply(ev('R-3', '2025-05-01', 1_000n, 3)).valueDate).toBe('2025-05-01');
  });

  it('the order of effect: value date first, then arrival', () => {
    expect(compareEvents({ valueDate: '2025-04-01', seq: 9 }, { valueDate: '2025-04-02', seq: 1 })).toBe(-1);
    expect(compareEvents({ valueDate: '2025-04-02', seq: 1 }, { valueDate: '2025-04-01', seq: 9 })).toBe(1);
    expect(compareEvents({ valueDate: '2025-04-01', seq: 2 }, { valueDate: '2025-04-01', seq: 5 })).toBe(-3);
    expect(compareEvents({ valueDate: '2025-04-01', seq: 5 }, { valueDate: '2025-04-01', seq: 2 })).toBe(3);
    expect(compareEvents({ valueDate: '2025-04-01', seq: 5 }, { valueDate: '2025-04-01', seq: 5 })).toBe(0);
  });

  it('a restored account has no whole schedule to give', () => {
    const whole = new LoanAccount(loan);
    whole.apply(ON_TIME);
    const error = thrownBy(InvariantViolation, () => LoanAccount.restore(loan, whole.state()).schedules());
    expect([error.message, error.details]).toEqual(['the whole schedule comes from the whole fold, not from a restored state', { loanId: loan.loanId }]);
  });
});

describe('the account state', () => {
  const standing = { claim: null, compensated: false, writtenOff: null, interestOwed: [] };
  const book = (lenderId: string, role: string, minor: bigint, interestByInstalment: [number, bigint][] = []) => ({
    lenderId,
    role,
    outstandingMinor: minor,
    heldMinor: minor,
    interestByInstalment,
  });

  it('before any event: nothing applied, accrued through the disbursement, no open rows', () => {
    expect(new LoanAccount(lenderRateLoan()).state()).toEqual({
      last: null,
      accruedThrough: '2025-03-01',
      penaltyOutstandingMinor: 0n,
      suspenseMinor: 0n,
      reschedules: 0,
      books: [book(LEAD_ID, 'LEAD', 400_000n), book(PARTNER_A, 'PARTNER', 300_000n), book(PARTNER_B, 'PARTNER', 300_000n)],
      openRows: [],
      basis: null,
      ...standing,
    });
  });

  it('keeps the rows due and not fully paid, and the interest received of each instalment still open, nothing else', () => {
    const lenderRate = lenderRateLoan();
    const account = new LoanAccount(lenderRate);
    // 2,000 of instalment 1's 6,042 interest on its due date: PARTNER-A 909, PARTNER-B 1,091 (as above)
    account.apply(ev('R-1', '2025-04-01', 2_000n, 1));
    const first = account.state();
    expect(first).toEqual({
      last: { id: 'R-1', valueDate: '2025-04-01', seq: 1 },
      accruedThrough: '2025-04-01',
      penaltyOutstandingMinor: 0n,
      suspenseMinor: 0n,
      reschedules: 0,
      books: [book(LEAD_ID, 'LEAD', 400_000n), book(PARTNER_A, 'PARTNER', 300_000n, [[1, 909n]]), book(PARTNER_B, 'PARTNER', 300_000n, [[1, 1_091n]])],
      openRows: [{ number: 1, dueDate: '2025-04-01', periodStart: '2025-03-01', principalMinor: I1.principal, interestMinor: I1.interest, paidPrincipalMinor: 0n, paidInterestMinor: 2_000n, prepayment: false }],
      basis: null,
      ...standing,
    });
    // On 2025-05-01 the rest of instalment 1 (30 days late) and instalment 2 on its due date:
    // penalty 80,600 x 0.10875 x 30 / 360 = 730.44 -> 730, compound 4,042 x 0.10875 x 30 / 360 = 36.63 -> 37;
    // 767 + 4,042 + 80,600 + 5,555 + 81,087 = 172,051
    const second = ev('R-2', '2025-05-01', 172_051n, 2);
    const restored = LoanAccount.restore(lenderRate, first);
    expect(restored.apply(second)).toEqual(account.apply(second));
    // both rows paid: none is open, and no instalment's interest is kept (instalment 2 is due on the cut, not after it)
    const paid = account.state();
    expect(paid).toMatchObject({ last: { id: 'R-2', valueDate: '2025-05-01', seq: 2 }, accruedThrough: '2025-05-01', penaltyOutstandingMinor: 0n, openRows: [] });
    expect(paid.books.map((b) => [b.lenderId, b.outstandingMinor, b.interestByInstalment])).toEqual([
      [LEAD_ID, 400_000n - 64_675n, []],
      [PARTNER_A, 300_000n - 48_506n, []],
      [PARTNER_B, 300_000n - 48_506n, []],
    ]);
    expect(restored.state()).toEqual(paid);
    // the next instalment on its due date, from the restored account and the whole fold alike
    const third = ev('R-3', '2025-06-01', LEVEL, 3);
    expect(restored.apply(third)).toEqual(account.apply(third));
    expect(restored.summary('2025-06-01')).toEqual(account.summary('2025-06-01'));
  });
});

describe('schedules() after a share transfer', () => {
  it('a transfer on a due date passes on the rows due after it; a share the borrower fell behind on moves only what the plan holds', () => {
    // Nothing paid; on 2025-06-01, the due date of instalment 3, PARTNER-B sells its whole book (300,000) to PARTNER-A.
    const account = new LoanAccount(loan);
    account.applyEvent({ type: 'TRANSFER', eventId: 'T-1', valueDate: '2025-06-01', seq: 1, fromLenderId: PARTNER_B, toLenderId: PARTNER_A, principalMinor: 300_000n });
    const { borrower, lenders } = account.schedules();
    // instalment 3: interest 838,313 x 0.0725 / 12 = 5,064.81 -> 5,065, principal 86,642 - 5,065 = 81,577
    expect(borrower.instalments.slice(0, 3).map((r) => r.principalMinor)).toEqual([80_600n, 81_087n, 81_577n]);
    const b = lenders.find((l) => l.lenderId === PARTNER_B)!;
    const a = lenders.find((l) => l.lenderId === PARTNER_A)!;
    // PARTNER-B keeps the rows due up to and on the value date: 30% of each principal, 24,180 + 24,326 + 24,473
    expect(b.instalments.map((i) => [i.number, i.principalMinor, i.closingPrincipalMinor])).toEqual([
      [1, 24_180n, 275_820n],
      [2, 24_326n, 251_494n],
      [3, 24_473n, 227_021n],
    ]);
    expect(b.totalPrincipalMinor).toBe(72_979n);
    // the plan holds 227,021 of PARTNER-B's share then, not the 300,000 sold: PARTNER-A takes that on
    expect(a.instalments.map((i) => i.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(a.instalments[2]!.closingPrincipalMinor).toBe(227_021n);
    // instalment 4: interest 756,736 x 0.0725 / 12 = 4,571.95 -> 4,572, principal 82,070; PARTNER-A holds
    // 454,042 of the 756,736 left: 82,070 x 454,042 / 756,736 = 49,242.00004 -> 49,242
    expect(a.instalments[3]!.principalMinor).toBe(49_242n);
    expect(a.totalPrincipalMinor).toBe(300_000n + 227_021n);
    expect(a.instalments[11]!.closingPrincipalMinor).toBe(0n);
  });
});

describe('summary: the status', () => {
  it('stays ACTIVE while penalty is owed, every row paid and every lender repaid; PAID_OFF once the penalty is paid', () => {
    // One month, penalty last in the waterfall: 1,000,000 + 6,042 due 2025-04-01, paid 10 days late.
    const oneMonth = aLoan({ termMonths: 1 }, { waterfall: ['OVERDUE_INTEREST', 'OVERDUE_PRINCIPAL', 'CURRENT_INTEREST', 'CURRENT_PRINCIPAL', 'PENALTY', 'FEES'] });
    const account = new LoanAccount(oneMonth);
    const outcome = account.apply(ev('R-1', '2025-04-11', 1_006_042n, 1));
    // penalty 1,000,000 x 0.10875 x 10 / 360 = 3,020.83 -> 3,021, compound 6,042 x 0.10875 x 10 / 360 = 18.25 -> 18
    expect(outcome.dues).toEqual(dues({ penaltyMinor: 3_039n, overdueInterestMinor: 6_042n, overduePrincipalMinor: 1_000_000n }));
    expect(outcome.covered).toEqual(covered({ overdueInterestMinor: 6_042n, overduePrincipalMinor: 1_000_000n }));
    expect(outcome.dpdBefore).toBe(10);
    const owing = account.summary('2025-04-11');
    expect([owing.status, owing.outstandingPrincipalMinor, owing.penaltyOutstandingMinor]).toEqual(['ACTIVE', 0n, 3_039n]);
    // nothing overdue is left to accrue penalty on, and no day past due
    expect(account.summary('2025-05-11').penaltyOutstandingMinor).toBe(3_039n);
    expect(account.daysPastDue('2025-05-11')).toBe(0);
    account.apply(ev('R-2', '2025-05-11', 3_039n, 2));
    const paid = account.summary('2025-05-11');
    expect([paid.status, paid.outstandingPrincipalMinor, paid.penaltyOutstandingMinor, paid.suspenseMinor]).toEqual(['PAID_OFF', 0n, 0n, 0n]);
  });

  it('stays ACTIVE while a row is unpaid', () => {
    const account = new LoanAccount(loan);
    account.apply(ON_TIME);
    expect(account.summary('2025-04-01').status).toBe('ACTIVE');
    expect(account.daysPastDue('2025-05-01')).toBe(0);
    expect(account.daysPastDue('2025-05-02')).toBe(1);
  });
});

describe('accruals: the edges', () => {
  it('on the disbursement date nothing has accrued and no lender has a part', () => {
    const accruals = new LoanAccount(loan).accruals('2025-03-01');
    expect(accruals.interestDueMinor + accruals.interestAccruedMinor + accruals.penaltyMinor).toBe(0n);
    expect(accruals.byLender.size).toBe(0);
  });

  it('after the last due date nothing accrues on principal not yet due: the unpaid interest and the penalty only', () => {
    const account = new LoanAccount(aLoan({ termMonths: 1 }));
    const accruals = account.accruals('2025-04-11');
    // 6,042 due 2025-04-01; penalty 3,021 + compound 18 (as in the status test)
    expect([accruals.interestDueMinor, accruals.interestAccruedMinor, accruals.penaltyMinor]).toEqual([6_042n, 0n, 3_039n]);
    // interest 6,042 x 0.3 = 1,812.6 -> 1,813 per partner, lead 2,416; penalty 3,039 x 0.3 = 911.7 -> 912, lead 1,215
    expect([...accruals.byLender].map(([id, p]) => [id, p.interestMinor, p.penaltyMinor])).toEqual([
      [LEAD_ID, 2_416n, 1_215n],
      [PARTNER_A, 1_813n, 912n],
      [PARTNER_B, 1_813n, 912n],
    ]);
  });

  it('LENDER_RATE: each partner accrues its yield over the days of the period, the lead the spread, and nothing is recorded', () => {
    const account = new LoanAccount(lenderRateLoan());
    const accruals = account.accruals('2025-03-11');
    // 2,014 accrued (as under PRO_RATA); PARTNER-A 300,000 x 0.05 x 10 / 360 = 416.67 -> 417,
    // PARTNER-B 300,000 x 0.06 x 10 / 360 = 500; the lead's spread 2,014 - 917 = 1,097
    expect(accruals.interestAccruedMinor).toBe(2_014n);
    expect([...accruals.byLender].map(([id, p]) => [id, p.interestMinor, p.spreadMinor])).toEqual([
      [LEAD_ID, 0n, 1_097n],
      [PARTNER_A, 417n, 0n],
      [PARTNER_B, 500n, 0n],
    ]);
    // the instalment paid on its due date still gives each partner its whole entitlement
    expect(account.apply(ON_TIME).split.perLender).toEqual(perLender(parts(32_240n, 0n, 0n, 3_200n), parts(24_180n, 1_292n), parts(24_180n, 1_550n)));
  });
});

describe('early repayment: the edges', () => {
  it('a PREPAYMENT after the last due date has nothing to prepay: its excess is suspense', () => {
    const account = new LoanAccount(aLoan({ termMonths: 1 }));
    // 3,039 penalty + 6,042 + 1,000,000 + 5,000 more
    const outcome = account.apply(ev('R-1', '2025-04-11', 1_014_081n, 1, 'PREPAYMENT'));
    expect(outcome.covered).toEqual(covered({ penaltyMinor: 3_039n, overdueInterestMinor: 6_042n, overduePrincipalMinor: 1_000_000n, excessMinor: 5_000n }));
    expect([outcome.prepaidPrincipalMinor, outcome.prepaidInterestMinor, outcome.split.suspenseMinor]).toEqual([0n, 0n, 5_000n]);
    expect(account.summary('2025-04-11')).toMatchObject({ status: 'PAID_OFF', reschedules: 0, suspenseMinor: 5_000n });
  });
});

describe('foldRepayments: typed events', () => {
  it('folds a payment typed REPAYMENT as a payment, beside a loan event', () => {
    const typed: RepaymentEvent = { ...ON_TIME, type: 'REPAYMENT' };
    const { outcomes, eventOutcomes, account } = foldRepayments(loan, [typed], [{ type: 'WRITE_OFF', eventId: 'W-1', valueDate: '2025-06-01', seq: 2 }]);
    expect([...outcomes.keys()]).toEqual(['R-1']);
    expect(outcomes.get('R-1')!.covered).toEqual(covered({ currentInterestMinor: I1.interest, currentPrincipalMinor: I1.principal }));
    expect([...eventOutcomes.keys()]).toEqual(['W-1']);
    expect(account.summary('2025-06-01').status).toBe('WRITTEN_OFF');
  });
});

/** The test loan with a guarantor that funds nothing, paid by the borrower 10% of each repayment's interest. */
function guaranteedLoan(): Loan {
  return aLoan(
    {},
    {
      participants: [...loan.terms.participants, aParticipant(GUARANTOR_ID, 'GUARANTOR', null, { priority: 5 })],
      fees: {
        serviceFeeRate: null,
        guaranteeFeeRate: null,
        guarantorLenderId: GUARANTOR_ID,
        rules: [{ id: 'GUARANTEE', kind: 'GUARANTEE', payee: GUARANTOR_ID, base: 'REPAYMENT_INTEREST', rate: '0.1', amountMinor: null, period: 'PER_REPAYMENT', payer: { kind: 'BORROWER' } }],
      },
    },
  );
}

describe('what the mutants of the loan account left unpinned', () => {
  it('a row whose interest alone is unpaid keeps the loan ACTIVE, is past due and accrues compound interest', () => {
    // Two months, principal first in the waterfall. Level payment 504,536: instalment 1 is 6,042 +
    // 498,494, instalment 2 501,506 x 0.0725 / 12 = 3,029.93 -> 3,030 + 501,506.
    const principalFirst = aLoan({ termMonths: 2 }, { waterfall: ['OVERDUE_PRINCIPAL', 'CURRENT_PRINCIPAL', 'OVERDUE_INTEREST', 'CURRENT_INTEREST', 'PENALTY', 'FEES'] });
    const account = new LoanAccount(principalFirst);
    account.apply(ev('R-1', '2025-04-01', 504_536n, 1));
    // on its due date 501,506 repays every lender and leaves instalment 2's 3,030 of interest unpaid
    expect(account.apply(ev('R-2', '2025-05-01', 501_506n, 2)).covered).toEqual(covered({ currentPrincipalMinor: 501_506n }));
    const summary = account.summary('2025-05-01');
    expect([summary.status, summary.outstandingPrincipalMinor, summary.penaltyOutstandingMinor]).toEqual(['ACTIVE', 0n, 0n]);
    expect(summary.instalments.map((r) => [r.paidPrincipalMinor, r.paidInterestMinor])).toEqual([
      [498_494n, 6_042n],
      [501_506n, 0n],
    ]);
    expect(account.daysPastDue('2025-05-11')).toBe(10);
    // compound interest 3,030 x 0.10875 x 10 / 360 = 9.15 -> 9
    expect(account.summary('2025-05-11')).toMatchObject({ status: 'ACTIVE', penaltyOutstandingMinor: 9n });
  });

  it('SHORTER_TERM keeps the term of an INTEREST_ONLY loan: its rows are interest until the last', () => {
    const interestOnly = aLoan({ repaymentMethod: 'INTEREST_ONLY' }, { prepayment: { excess: 'SUSPENSE', reschedule: 'SHORTER_TERM' } });
    const account = new LoanAccount(interestOnly);
    // each month 1,000,000 x 0.0725 / 12 = 6,041.67 -> 6,042 of interest, the principal with the last
    expect(account.apply(ev('R-1', '2025-04-01', 6_042n, 1)).covered).toEqual(covered({ currentInterestMinor: 6_042n }));
    // 990,000 prepaid on a due date (nothing accrued): 10,000 left. Its level payment over 2 months
    // (5,030) is below the old instalment (6,042), yet the 11 rows stay, each 10,000 x 0.0725 / 12
    // = 60.42 -> 60 of interest, the last with the 10,000.
    const outcome = account.apply(ev('R-2', '2025-04-01', 990_000n, 2, 'PREPAYMENT'));
    expect([outcome.prepaidInterestMinor, outcome.prepaidPrincipalMinor]).toEqual([0n, 990_000n]);
    const { instalments, reschedules } = account.summary('2025-04-01');
    expect([instalments.length, reschedules]).toEqual([13, 1]);
    expect(instalments[2]).toEqual(row({ number: 3, dueDate: '2025-05-01', periodStart: '2025-04-01', principalMinor: 0n, interestMinor: 60n }));
    expect(instalments.slice(2, 12).every((r) => r.principalMinor === 0n && r.interestMinor === 60n)).toBe(true);
    expect(instalments[12]).toEqual(row({ number: 13, dueDate: '2026-03-01', periodStart: '2026-02-01', principalMinor: 10_000n, interestMinor: 60n }));
  });

  it('SHORTER_TERM, EQUAL_PRINCIPAL: an early repayment of interest alone keeps the rows left, though the old part needs one more', () => {
    const ep = aLoan({ repaymentMethod: 'EQUAL_PRINCIPAL' }, { prepayment: { excess: 'SUSPENSE', reschedule: 'SHORTER_TERM' } });
    const account = new LoanAccount(ep);
    account.apply(ev('R-1', '2025-04-01', 89_375n, 1));
    // 2,769 accrued on 916,667 over 15 days (as above), nothing of the principal: 916,667 is left on
    // 11 rows of 83,333 and a last of 83,337. ⌈916,667 / 83,333⌉ = 12 > 11: the 11 rows stay.
    const outcome = account.apply(ev('R-2', '2025-04-16', 2_769n, 2, 'PREPAYMENT'));
    expect([outcome.prepaidInterestMinor, outcome.prepaidPrincipalMinor]).toEqual([2_769n, 0n]);
    const rows = account.summary('2025-04-16').instalments.slice(2);
    // 916,667 over 11 months: 83,333 a month, the last 83,337; the first period daily from the value
    // date, 916,667 x 0.0725 x 15 / 360 = 2,769.1 -> 2,769, then opening x 0.0725 / 12 (833,334 -> 5,035)
    expect(rows.map((r) => [r.number, r.dueDate, r.principalMinor, r.interestMinor])).toEqual([
      [3, '2025-05-01', 83_333n, 2_769n],
      [4, '2025-06-01', 83_333n, 5_035n],
      [5, '2025-07-01', 83_333n, 4_531n],
      [6, '2025-08-01', 83_333n, 4_028n],
      [7, '2025-09-01', 83_333n, 3_524n],
      [8, '2025-10-01', 83_333n, 3_021n],
      [9, '2025-11-01', 83_333n, 2_517n],
      [10, '2025-12-01', 83_333n, 2_014n],
      [11, '2026-01-01', 83_333n, 1_510n],
      [12, '2026-02-01', 83_333n, 1_007n],
      [13, '2026-03-01', 83_337n, 503n],
    ]);
  });

  it('a borrower fee paid to a guarantor that holds nothing: its part in lender id order, before the lenders', () => {
    const guaranteed = guaranteedLoan();
    // 10% of instalment 1's 6,042 of interest: 604.2 -> 604, due in the FEES slot: 86,642 + 604
    const outcome = new LoanAccount(guaranteed).apply(ev('R-1', '2025-04-01', 87_246n, 1));
    expect(outcome.covered).toEqual(covered({ currentInterestMinor: 6_042n, currentPrincipalMinor: 80_600n, feesMinor: 604n }));
    expect([...outcome.split.perLender]).toEqual([
      [GUARANTOR_ID, { principalMinor: 0n, interestMinor: 0n, penaltyMinor: 0n, feeMinor: 604n, spreadMinor: 0n }],
      [LEAD_ID, parts(32_240n, 2_416n)],
      [PARTNER_A, parts(24_180n, 1_813n)],
      [PARTNER_B, parts(24_180n, 1_813n)],
    ]);
    expect([outcome.split.paidMinor, outcome.split.suspenseMinor]).toEqual([87_246n, 0n]);
  });
  it('LENDER_RATE: a buyback prices the seller\'s yield on the days of the period before it, due and accrued', () => {
    // PARTNER-A (5%) sells its 300,000 to the lead. On 2025-03-11, 10 days into period 1:
    // 300,000 x 0.05 x 10 / 360 = 416.67 -> 417 accrued. On 2025-04-11, instalment 1 unpaid: its
    // whole period's 1,292 (as above) and 10 days of period 2, 417: 1,709.
    const midPeriod = new LoanAccount(lenderRateLoan()).applyEvent({ type: 'BUYBACK', eventId: 'B-1', valueDate: '2025-03-11', seq: 1, sellerLenderId: PARTNER_A, buyerId: LEAD_ID });
    expect(priceOfLegs(midPeriod.legs, PARTNER_A, LEAD_ID)).toEqual({ principalMinor: 300_000n, interestMinor: 417n, penaltyMinor: 0n, premiumMinor: 0n, priceMinor: 300_417n });
    const late = new LoanAccount(lenderRateLoan()).applyEvent({ type: 'BUYBACK', eventId: 'B-1', valueDate: '2025-04-11', seq: 1, sellerLenderId: PARTNER_A, buyerId: LEAD_ID });
    expect(priceOfLegs(late.legs, PARTNER_A, LEAD_ID)).toEqual({ principalMinor: 300_000n, interestMinor: 1_709n, penaltyMinor: 0n, premiumMinor: 0n, priceMinor: 301_709n });
  });

  it('LENDER_RATE: the instalments of one payment split on their own periods and merged in lender id order', () => {
    // as "each instalment covered by one payment is split on its own period" above
    const outcome = new LoanAccount(lenderRateLoan()).apply(ev('R-1', '2025-05-01', 174_069n, 1));
    expect([...outcome.split.perLender]).toEqual([
      [LEAD_ID, parts(64_675n, 0n, 313n, 6_005n)],
      [PARTNER_A, parts(48_506n, 2_542n, 236n)],
      [PARTNER_B, parts(48_506n, 3_050n, 236n)],
    ]);
    expect([outcome.split.paidMinor, outcome.split.suspenseMinor, outcome.split.suspenseLenderId]).toEqual([174_069n, 0n, LEAD_ID]);
  });
  it('the state: rows with principal or interest left, restored before any event, after a rebuild and after a payoff', () => {
    // 10,000 on 2025-04-01 pays instalment 1's interest and 3,958 of its principal: the row stays open
    const partial = new LoanAccount(loan);
    partial.apply(ev('R-1', '2025-04-01', 10_000n, 1));
    expect(partial.state().openRows).toEqual([row({ number: 1, dueDate: '2025-04-01', periodStart: '2025-03-01', principalMinor: 80_600n, interestMinor: 6_042n, paidPrincipalMinor: 3_958n, paidInterestMinor: 6_042n })]);
    // principal first in the waterfall: the row's principal is paid, its interest is not
    const principalFirst = new LoanAccount(aLoan({}, { waterfall: ['OVERDUE_PRINCIPAL', 'CURRENT_PRINCIPAL', 'OVERDUE_INTEREST', 'CURRENT_INTEREST', 'PENALTY', 'FEES'] }));
    principalFirst.apply(ev('R-1', '2025-04-01', 80_600n, 1));
    expect(principalFirst.state().openRows).toEqual([row({ number: 1, dueDate: '2025-04-01', periodStart: '2025-03-01', principalMinor: 80_600n, interestMinor: 6_042n, paidPrincipalMinor: 80_600n })]);

    // before any event: nothing applied, the booked rows
    const fresh = LoanAccount.restore(loan, new LoanAccount(loan).state());
    expect(fresh.apply(ON_TIME)).toEqual(new LoanAccount(loan).apply(ON_TIME));

    // after an early repayment the rows not yet due are the rebuilt ones (LOWER_ROWS above)
    const rebuiltAccount = new LoanAccount(loan);
    rebuiltAccount.apply(ON_TIME);
    rebuiltAccount.apply(ev('R-2', '2025-04-16', 300_000n, 2, 'PREPAYMENT'));
    const afterRebuild = LoanAccount.restore(loan, rebuiltAccount.state());
    expect(afterRebuild.summary('2025-04-16').instalments).toEqual(rebuilt(LOWER_ROWS, 3));
    const next = ev('R-3', '2025-05-01', 58_632n, 3);
    expect(afterRebuild.apply(next).dues).toEqual(dues({ currentInterestMinor: 1_879n, currentPrincipalMinor: 56_753n }));
    expect(afterRebuild.state()).toEqual((rebuiltAccount.apply(next), rebuiltAccount.state()));

    // after a payoff nothing is left to rebuild: the basis says so, and the restored account has no row
    const paidOff = new LoanAccount(loan);
    paidOff.apply(ON_TIME);
    paidOff.apply(ev('R-2', '2025-04-16', 922_177n, 2, 'PREPAYMENT'));
    expect(paidOff.state().basis).toEqual({ from: '2025-04-16', principalMinor: 0n, termMonths: 0, firstDueIndex: 0, firstNumber: 3 });
    expect(LoanAccount.restore(loan, paidOff.state()).summary('2025-04-16')).toMatchObject({ status: 'PAID_OFF', outstandingPrincipalMinor: 0n, instalments: [] });
  });

  it('the state keeps the interest received of each open instalment in instalment order, whatever order it was received in', () => {
    // LENDER_RATE, the current interest first in the waterfall. 1,000 on 2025-05-01 pays instalment 2's
    // interest (30 days: entitlements A 1,250, B 1,500): A 1,000 x 1,250 / 2,750 = 454.5 -> 455, B 545.
    // 1,000 on 2025-05-02 pays overdue interest, the oldest first, instalment 1's (31 days: A 1,292,
    // B 1,550): A 1,000 x 1,292 / 2,842 = 454.6 -> 455, B 545.
    const currentFirst = aLoan({}, { ...lenderRateLoan().terms, waterfall: ['CURRENT_INTEREST', 'OVERDUE_INTEREST', 'PENALTY', 'OVERDUE_PRINCIPAL', 'CURRENT_PRINCIPAL', 'FEES'] });
    const account = new LoanAccount(currentFirst);
    expect(account.apply(ev('R-1', '2025-05-01', 1_000n, 1)).covered).toEqual(covered({ currentInterestMinor: 1_000n }));
    expect(account.apply(ev('R-2', '2025-05-02', 1_000n, 2)).covered).toEqual(covered({ overdueInterestMinor: 1_000n }));
    expect(account.state().books.map((b) => [b.lenderId, b.interestByInstalment])).toEqual([
      [LEAD_ID, []],
      [PARTNER_A, [[1, 455n], [2, 455n]]],
      [PARTNER_B, [[1, 545n], [2, 545n]]],
    ]);
  });

  it('an event is entered in the order of effect: the state names it, and a payment before it is refused', () => {
    const account = new LoanAccount(loan);
    account.applyEvent({ type: 'WRITE_OFF', eventId: 'W-1', valueDate: '2025-06-01', seq: 2 });
    expect(account.state().last).toEqual({ id: 'W-1', valueDate: '2025-06-01', seq: 2 });
    const error = thrownBy(InvariantViolation, () => account.apply(ev('R-1', '2025-05-01', 1_000n, 1)));
    expect([error.code, error.message, error.details]).toEqual(['INVARIANT_VIOLATED', 'events are applied in order of effect', { last: 'W-1', next: 'R-1' }]);
  });

  it('a write-off under LEAD_FIRST_LOSS says how much the lead took first', () => {
    const firstLoss = aLoan({}, { lossSharing: { method: 'LEAD_FIRST_LOSS', leadFirstLossCapBps: 2000, guaranteeTriggerDpd: null, guaranteeCoversInterest: true, writeOffDpd: null } });
    const outcome = new LoanAccount(firstLoss).applyEvent({ type: 'WRITE_OFF', eventId: 'W-1', valueDate: '2025-06-01', seq: 1 });
    // the cap is 20% of 1,000,000 = 200,000, taken first by the lead; 800,000 left, 40/30/30
    expect(outcome.leadFirstLossMinor).toBe(200_000n);
    expect(outcome.legs.filter((l) => l.account === 'LOSSES').map((l) => [l.lenderId, l.amountMinor])).toEqual([
      [LEAD_ID, 520_000n],
      [PARTNER_A, 240_000n],
      [PARTNER_B, 240_000n],
    ]);
  });
  it('SHORTER_TERM, EQUAL_INSTALLMENT: a level payment exactly the old instalment is not above it', () => {
    const shorter = aLoan({}, { prepayment: { excess: 'SUSPENSE', reschedule: 'SHORTER_TERM' } });
    const account = new LoanAccount(shorter);
    account.apply(ON_TIME);
    // 81,084 prepaid on a due date (nothing accrued): 919,400 - 81,084 = 838,316 left, whose level
    // payment over 10 months is 86,642, the old instalment itself: 10 rows, not 11 (and not the
    // ⌈838,316 / 81,087⌉ = 11 of the old principal part). Interest 838,316 x 0.0725 / 12 = 5,064.8 -> 5,065.
    expect(account.apply(ev('R-2', '2025-04-01', 81_084n, 2, 'PREPAYMENT')).prepaidPrincipalMinor).toBe(81_084n);
    const rows = account.summary('2025-04-01').instalments.slice(2);
    expect(rows).toHaveLength(10);
    expect(rows[0]).toEqual(row({ number: 3, dueDate: '2025-05-01', periodStart: '2025-04-01', principalMinor: 81_577n, interestMinor: 5_065n }));
    expect(rows.slice(0, 9).every((r) => r.principalMinor + r.interestMinor === LEVEL)).toBe(true);
    expect(rows[9]).toEqual(row({ number: 12, dueDate: '2026-02-01', periodStart: '2026-01-01', principalMinor: 86_127n, interestMinor: 520n }));
  });

  it('SHORTER_TERM, EQUAL_PRINCIPAL: a principal left of exactly eight old parts takes eight rows', () => {
    const ep = aLoan({ repaymentMethod: 'EQUAL_PRINCIPAL' }, { prepayment: { excess: 'SUSPENSE', reschedule: 'SHORTER_TERM' } });
    const account = new LoanAccount(ep);
    account.apply(ev('R-1', '2025-04-01', 89_375n, 1));
    // 250,003 prepaid on a due date: 916,667 - 250,003 = 666,664 = 8 x 83,333 left; interest
    // 666,664 x 0.0725 / 12 = 4,027.8 -> 4,028 first
    expect(account.apply(ev('R-2', '2025-04-01', 250_003n, 2, 'PREPAYMENT')).prepaidPrincipalMinor).toBe(250_003n);
    const rows = account.summary('2025-04-01').instalments.slice(2);
    expect(rows.map((r) => [r.number, r.principalMinor, r.interestMinor])).toEqual([
      [3, 83_333n, 4_028n],
      [4, 83_333n, 3_524n],
      [5, 83_333n, 3_021n],
      [6, 83_333n, 2_517n],
      [7, 83_333n, 2_014n],
      [8, 83_333n, 1_510n],
      [9, 83_333n, 1_007n],
      [10, 83_333n, 503n],
    ]);
    expect(rows[7]!.dueDate).toBe('2025-12-01');
  });

  it('borrower fees owed: a payment of them alone pays them, and a restored account still owes them', () => {
    const guaranteed = guaranteedLoan();
    // 87,000 on 2025-04-01 pays instalment 1 (86,642) and 358 of its 604 of fee: 246 owed
    const account = new LoanAccount(guaranteed);
    account.apply(ev('R-1', '2025-04-01', 87_000n, 1));
    expect(account.state().feesOwed).toEqual([['GUARANTEE', 246n]]);
    const restored = LoanAccount.restore(guaranteed, account.state());
    // nothing else is due on 2025-04-10: 246 pays the fee owed, nothing to suspense
    const feeOnly = ev('R-2', '2025-04-10', 246n, 2);
    const outcome = restored.apply(feeOnly);
    expect([outcome.dues, outcome.covered]).toEqual([dues({ feesMinor: 246n }), covered({ feesMinor: 246n })]);
    expect(outcome.split.perLender.get(GUARANTOR_ID)).toEqual({ principalMinor: 0n, interestMinor: 0n, penaltyMinor: 0n, feeMinor: 246n, spreadMinor: 0n });
    expect(account.apply(feeOnly)).toEqual(outcome);
    expect([restored.state().feesOwed, account.state().feesOwed]).toEqual([undefined, undefined]);
  });

  it('a penalty multiplier that is no rate is refused with its path', () => {
    const broken = { ...loan, terms: { ...loan.terms, penaltyRateMultiplier: 'abc' } };
    const error = thrownBy(ValidationError, () => new LoanAccount(broken));
    expect([error.code, error.message, error.details]).toEqual([
      'VALIDATION_FAILED',
      'penaltyRateMultiplier must be a decimal string such as "0.0365" (no exponent, no \'+\') or a safe integer, got "abc"',
      { path: 'penaltyRateMultiplier', rule: 'decimal-format' },
    ]);
  });

  it('a buyback with nothing accrued since the period began: on a due date, and after the last one', () => {
    const price = (l: Loan, valueDate: string) =>
      priceOfLegs(new LoanAccount(l).applyEvent({ type: 'BUYBACK', eventId: 'B-1', valueDate, seq: 1, sellerLenderId: PARTNER_A, buyerId: LEAD_ID }).legs, PARTNER_A, LEAD_ID);
    // instalment 1's 6,042 unpaid, PARTNER-A's 30%: 1,812.6 -> 1,813; no day of the next period
    expect(price(loan, '2025-04-01')).toEqual({ principalMinor: 300_000n, interestMinor: 1_813n, penaltyMinor: 0n, premiumMinor: 0n, priceMinor: 301_813n });
    // one month, 10 days past its only due date: no row is not yet due; the penalty is not in the price
    expect(price(aLoan({ termMonths: 1 }), '2025-04-11')).toEqual({ principalMinor: 300_000n, interestMinor: 1_813n, penaltyMinor: 0n, premiumMinor: 0n, priceMinor: 301_813n });
  });

  it('schedules(): each row totals its principal and interest', () => {
    const account = new LoanAccount(loan);
    account.apply(ON_TIME);
    account.apply(ev('R-2', '2025-04-16', 300_000n, 2, 'PREPAYMENT'));
    const totals = account.schedules().borrower.instalments.slice(0, 3).map((r) => r.totalMinor);
    expect(totals).toEqual([LEVEL, PREPAID + ACCRUED, 56_753n + 1_879n]);
  });

  it('a summary or accruals asked for a date before the last accrual or the disbursement accrue nothing', () => {
    const account = new LoanAccount(loan);
    // 1,000 on 2025-04-11 pays the 261 of penalty (as above) and 739 of instalment 1's interest
    expect(account.apply(ev('R-1', '2025-04-11', 1_000n, 1)).covered).toEqual(covered({ penaltyMinor: 261n, overdueInterestMinor: 739n }));
    expect(account.summary('2025-04-05').penaltyOutstandingMinor).toBe(0n);
    // 10 more days from 2025-04-11: 80,600 x 0.10875 x 10 / 360 = 243.5 -> 243, 5,303 x 0.10875 x 10 / 360 = 16.0 -> 16
    expect(account.summary('2025-04-21').penaltyOutstandingMinor).toBe(259n);
    expect(new LoanAccount(loan).accruals('2025-02-20')).toEqual({ interestDueMinor: 0n, interestAccruedMinor: 0n, penaltyMinor: 0n, byLender: new Map() });
  });
  it('ACTUALS: interest a buyer owes for an instalment moves only with that instalment\'s interest, not with its principal', () => {
    const actuals = aLoan({}, { transfers: { interest: 'ACTUALS' }, waterfall: ['OVERDUE_PRINCIPAL', 'CURRENT_PRINCIPAL', 'OVERDUE_INTEREST', 'CURRENT_INTEREST', 'PENALTY', 'FEES'] });
    const account = new LoanAccount(actuals);
    // The lead sells 50,000 to PARTNER-A on 2025-04-16, 15 days into instalment 2's period:
    // PARTNER-A owes the lead 50,000 x 0.0725 x 15 / 360 = 151.04 -> 151 of that instalment's interest.
    account.applyEvent({ type: 'TRANSFER', eventId: 'T-1', valueDate: '2025-04-16', seq: 1, fromLenderId: LEAD_ID, toLenderId: PARTNER_A, principalMinor: 50_000n });
    // On 2025-05-01, principal first: both instalments' principal and 1,000 of instalment 1's interest.
    const outcome = account.apply(ev('R-1', '2025-05-01', 80_600n + 81_087n + 1_000n, 2));
    expect(outcome.covered).toEqual(covered({ overduePrincipalMinor: 80_600n, currentPrincipalMinor: 81_087n, overdueInterestMinor: 1_000n }));
    // by 350,000 / 350,000 / 300,000: principal 161,687 -> PARTNER-B 48,506.1 -> 48,506, PARTNER-A
    // 56,590.45 -> 56,590, the lead 56,591; interest 1,000 -> 300, 350, the lead 350. Nothing of
    // instalment 2's interest is paid, so nothing of the 151 moves.
    expect([...outcome.split.perLender]).toEqual([
      [LEAD_ID, parts(56_591n, 350n)],
      [PARTNER_A, parts(56_590n, 350n)],
      [PARTNER_B, parts(48_506n, 300n)],
    ]);
    expect(account.state().interestOwed).toEqual([{ number: 2, buyer: PARTNER_A, seller: LEAD_ID, remainingMinor: 151n }]);
  });

  it('a restored book of a lender the program does not name takes its part with no yield and the last priority', () => {
    const state = new LoanAccount(loan).state();
    const renamed = { ...state, books: state.books.map((b) => (b.lenderId === PARTNER_B ? { ...b, lenderId: 'PARTNER-Z' } : b)) };
    const outcome = LoanAccount.restore(loan, renamed).apply(ON_TIME);
    expect([...outcome.split.perLender]).toEqual([
      [LEAD_ID, parts(32_240n, 2_416n)],
      [PARTNER_A, parts(24_180n, 1_813n)],
      ['PARTNER-Z', parts(24_180n, 1_813n)],
    ]);
  });
});

describe('borrower period fees on the account', () => {
  it('a borrower period fee billed is owed from its date, paid in the FEES slot, kept through a restored state, and keeps the loan active until paid', () => {
    // the test loan paying its guarantor a quarterly flat fee of 3,000, billed for 2025-Q1 on 2025-03-31
    const flat = aLoan(
      {},
      {
        participants: [...loan.terms.participants, aParticipant(GUARANTOR_ID, 'GUARANTOR', null, { priority: 5 })],
        fees: {
          serviceFeeRate: null,
          guaranteeFeeRate: null,
          guarantorLenderId: GUARANTOR_ID,
          rules: [{ id: 'GUARANTEE-Q', kind: 'GUARANTEE', payee: GUARANTOR_ID, base: 'FLAT', rate: null, amountMinor: 3_000n, period: 'QUARTERLY', payer: { kind: 'BORROWER' } }],
        },
      },
    );
    const bill = { type: 'FEE' as const, eventId: 'GUARANTEE-Q#2025-Q1#L', valueDate: '2025-03-31', seq: 1, ruleId: 'GUARANTEE-Q', amountMinor: 3_000n };
    const account = new LoanAccount(flat);
    expect(account.applyEvent(bill)).toEqual({ eventId: bill.eventId, type: 'FEE', valueDate: '2025-03-31', legs: [] });
    expect(account.state().feesOwed).toEqual([['GUARANTEE-Q', 3_000n]]);
    expect(() => new LoanAccount(flat).applyEvent({ ...bill, ruleId: 'NO-SUCH-RULE' })).toThrow(InvariantViolation);
    expect(() => new LoanAccount(flat).applyEvent({ ...bill, amountMinor: 0n })).toThrow(InvariantViolation);
    // nothing accrues at the bill: the penalty of a later late payment is the same as without it
    const restored = LoanAccount.restore(flat, account.state());
    const late = ev('R-1', '2025-04-11', 86_642n + 1_000n, 2);
    const withBill = restored.apply(late);
    const withoutBill = new LoanAccount(flat).apply({ ...late, seq: 1 });
    expect(withBill.dues).toEqual({ ...withoutBill.dues, feesMinor: 3_000n });
    // 10 days late: penalty 80,600 × 0.10875 × 10 / 360 = 243.49 → 243 and compound 6,042 × 0.10875
    // × 10 / 360 = 18.25 → 18; 87,642 pays the 261, the instalment, then 739 of the fee (FEES last)
    expect(withBill.dues.penaltyMinor).toBe(261n);
    expect([withBill.covered.penaltyMinor, withBill.covered.overdueInterestMinor, withBill.covered.overduePrincipalMinor, withBill.covered.feesMinor]).toEqual([261n, 6_042n, 80_600n, 739n]);
    expect(withBill.split.perLender.get(GUARANTOR_ID)?.feeMinor).toBe(739n);
    expect(restored.state().feesOwed).toEqual([['GUARANTEE-Q', 2_261n]]);
    // nothing else is due on 2025-04-12: 200,000 pays the 2,261 owed, the rest to suspense
    const after = restored.apply(ev('R-2', '2025-04-12', 200_000n, 3));
    expect([after.covered.feesMinor, after.split.suspenseMinor]).toEqual([2_261n, 197_739n]);
    expect(after.split.perLender.get(GUARANTOR_ID)).toEqual({ principalMinor: 0n, interestMinor: 0n, penaltyMinor: 0n, feeMinor: 2_261n, spreadMinor: 0n });
    expect(restored.state().feesOwed).toBeUndefined();
    // a loan otherwise paid off is ACTIVE while a fee is owed, PAID_OFF once it is paid
    const short = aLoan({ termMonths: 1 }, flat.terms);
    const paidOff = foldRepayments(short, [ev('R-1', '2025-04-01', 1_006_042n, 2)], [{ ...bill, seq: 1 }]).account;
    expect(paidOff.summary('2025-04-01')).toMatchObject({ status: 'ACTIVE', outstandingPrincipalMinor: 0n });
    paidOff.apply(ev('R-2', '2025-04-02', 3_000n, 3));
    expect(paidOff.summary('2025-04-02')).toMatchObject({ status: 'PAID_OFF', suspenseMinor: 0n });
  });
});
