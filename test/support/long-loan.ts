import { addDays } from '../../shared/domain/money/index.ts';
import { foldRepayments, type RepaymentEvent } from '../../shared/domain/loan-account.ts';
import type { Loan } from '../../shared/domain/loan.ts';
import { loanSchedules } from '../../shared/domain/schedule.ts';
import type { RepaymentStepInput } from '../../shared/contracts/repayments.ts';

/**
 * A 30-year loan's story of 1,000 events, for the benchmark and the test of a long loan's book:
 * every monthly instalment paid in parts (three parts a month for the first 277 months, two after),
 * one month paid 15 days late (with a margin for the penalty, the rest to suspense), an early
 * repayment in month 201 (the rows not yet due rebuilt), a part of month 301 paid twice by
 * mistake, and the reversal of the first of the two once the next two months are booked (a change
 * before booked events: the second copy now covers what the first did, and everything after it
 * is restated).
 */

export const LONG_LOAN_TERMS = {
  principalMinor: 15_000_000n,
  annualRate: '0.059',
  termMonths: 360,
  repaymentMethod: 'EQUAL_INSTALLMENT',
  disbursementDate: '1996-01-10',
} as const;

/** A step of the story: what the SplitAndBook task is given. */
export type LongLoanStep = Extract<RepaymentStepInput, { action: 'BOOK' | 'REVERSE' }>;

const THREE_PART_MONTHS = 277;
const LATE_MONTH = 100;
const LATE_DAYS = 15;
const PREPAYMENT_MONTH = 200;
const REVERSED_MONTH = 300;

/** The loan's 1,000 events in the order they are delivered. */
export function longLoanSteps(loan: Loan): LongLoanStep[] {
  const steps: LongLoanStep[] = [];
  const applied: RepaymentEvent[] = [];
  let rows = loanSchedules(loan).borrower.instalments.map((r) => ({ dueDate: r.dueDate, totalMinor: r.principalMinor + r.interestMinor }));
  let pendingReversal: LongLoanStep | null = null;
  const book = (id: string, valueDate: string, amountMinor: bigint, kind: 'REGULAR' | 'PREPAYMENT' = 'REGULAR') => {
    steps.push({ action: 'BOOK', repayment: { repaymentId: id, loanId: loan.loanId, amountMinor, currency: loan.currency as 'CNY' | 'INR', valueDate, channel: 'AUTO_DEBIT', kind } });
    applied.push({ repaymentId: id, valueDate, amountMinor, kind, seq: applied.length + 1 });
  };
  for (let month = 0; month < rows.length; month++) {
    const row = rows[month]!;
    const late = month === LATE_MONTH;
    const valueDate = late ? addDays(row.dueDate, LATE_DAYS) : row.dueDate;
    const total = late ? row.totalMinor + row.totalMinor / 100n : row.totalMinor;
    const parts = month < THREE_PART_MONTHS ? [(total * 3n) / 10n, (total * 3n) / 10n] : [total / 2n];
    parts.push(total - parts.reduce((a, b) => a + b, 0n));
    parts.forEach((amount, i) => book(`${loan.loanId}-M${month + 1}-P${i + 1}`, valueDate, amount));
    if (month === REVERSED_MONTH) book(`${loan.loanId}-M${month + 1}-P2-AGAIN`, valueDate, parts[1]!);
    if (month === PREPAYMENT_MONTH) {
      const prepaidOn = addDays(row.dueDate, 5);
      book(`${loan.loanId}-PREPAY`, prepaidOn, 1_000_000n, 'PREPAYMENT');
      // The rows not yet due were rebuilt: the months after are paid by the new instalments.
      const account = foldRepayments(loan, applied).account.summary(prepaidOn);
      const rebuilt = account.instalments.filter((r) => r.dueDate > prepaidOn).map((r) => ({ dueDate: r.dueDate, totalMinor: r.principalMinor + r.interestMinor }));
      rows = [...rows.slice(0, month + 1), ...rebuilt];
    }
    if (month === REVERSED_MONTH) {
      pendingReversal = { action: 'REVERSE', loanId: loan.loanId, repaymentId: `${loan.loanId}-M${month + 1}-P2`, reversal: { reversalId: `${loan.loanId}-V1`, reason: 'DUPLICATE', comment: 'paid twice' } };
    }
    if (month === REVERSED_MONTH + 2 && pendingReversal !== null) steps.push(pendingReversal);
  }
  return steps;
}
