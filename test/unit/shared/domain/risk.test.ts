import { describe, expect, it } from 'vitest';
import { LoanAccount } from '../../../../shared/domain/loan-account.ts';
import type { Loan } from '../../../../shared/domain/loan.ts';
import { compareIsoDates } from '../../../../shared/domain/money/index.ts';
import { decideRepayment, emptyLedger, type RepaymentLedger } from '../../../../shared/domain/repayment-booking.ts';
import { assessLoan } from '../../../../shared/domain/risk.ts';
import { NOW, aLoan } from '../../../support/builders.ts';

/** Everything due by `date` and not paid: the rows due on or before it and the penalty. */
function owedBy(loan: Loan, ledger: RepaymentLedger, date: string): bigint {
  const account = ledger.state === null ? new LoanAccount(loan) : LoanAccount.restore(loan, ledger.state);
  const summary = account.summary(date);
  let owed = summary.penaltyOutstandingMinor;
  for (const row of summary.instalments) {
    if (compareIsoDates(row.dueDate, date) <= 0) owed += row.principalMinor - row.paidPrincipalMinor + row.interestMinor - row.paidInterestMinor;
  }
  return owed;
}

/** The borrower pays everything due by `date`, on `date`. */
function payUp(loan: Loan, ledger: RepaymentLedger, date: string): RepaymentLedger {
  const decision = decideRepayment(
    loan,
    ledger,
    { repaymentId: `R-${date}`, loanId: loan.loanId, amountMinor: owedBy(loan, ledger, date), currency: loan.currency, valueDate: date, channel: 'TEST', kind: 'REGULAR' },
    date,
    NOW,
  );
  if (decision.kind !== 'BOOK') throw new Error('expected a booking');
  return decision.ledger;
}

function assess(loan: Loan, ledger: RepaymentLedger, date: string): RepaymentLedger {
  const assessment = assessLoan(loan, ledger, date, date, NOW);
  if (assessment.ledger === null) throw new Error(`expected an assessment on ${date}`);
  return assessment.ledger;
}

/** The loan's class and its dates, without what the assessment did (`outcome`, tested below). */
function classOf(ledger: RepaymentLedger): Omit<NonNullable<RepaymentLedger['risk']>, 'outcome'> | undefined {
  if (ledger.risk === undefined) return undefined;
  const { outcome: _outcome, ...facts } = ledger.risk;
  return facts;
}

describe('assessLoan: what an assessment did, kept on the loan for the same run retried', () => {
  const RUN = 'execution:risk-2025-04-02';
  it('keeps whether the class changed and which run changed it; the same run again reports it without writing; another run or date reports nothing of it', () => {
    const loan = aLoan();
    const first = assess(loan, emptyLedger(loan.loanId), '2025-04-01');
    expect(first.risk?.outcome).toEqual({ runId: null, reclassified: false, compensated: false, writtenOff: false, held: null });
    const changed = assessLoan(loan, first, '2025-04-02', '2025-04-02', NOW, undefined, RUN);
    expect([changed.reclassified, changed.risk?.classification, changed.risk?.outcome]).toEqual([
      true,
      'SPECIAL_MENTION',
      { runId: RUN, reclassified: true, compensated: false, writtenOff: false, held: null },
    ]);
    const retried = assessLoan(loan, changed.ledger!, '2025-04-02', '2025-04-02', NOW, undefined, RUN);
    expect([retried.ledger, retried.reclassified, retried.compensated, retried.writtenOff, retried.held]).toEqual([null, true, false, false, null]);
    const rerun = assessLoan(loan, changed.ledger!, '2025-04-02', '2025-04-02', NOW, undefined, 'execution:risk-2025-04-02-rerun');
    expect([rerun.ledger, rerun.reclassified]).toEqual([null, false]);
    expect(assessLoan(loan, changed.ledger!, '2025-04-02', '2025-04-02', NOW).reclassified).toBe(false);
    const earlier = assessLoan(loan, changed.ledger!, '2025-04-01', '2025-04-02', NOW, undefined, RUN);
    expect([earlier.ledger, earlier.reclassified]).toEqual([null, false]);
  });
});

describe('assessLoan: classes move back up when the arrears are paid', () => {
  it('CN-2021: special mention on the first day past due, normal again the day the arrears are paid', () => {
    const loan = aLoan();
    let ledger = assess(loan, emptyLedger(loan.loanId), '2025-04-02');
    expect(classOf(ledger)).toEqual({ asOf: '2025-04-02', dpd: 1, classification: 'SPECIAL_MENTION', since: '2025-04-02' });
    ledger = payUp(loan, ledger, '2025-04-03');
    ledger = assess(loan, ledger, '2025-04-03');
    expect(classOf(ledger)).toEqual({ asOf: '2025-04-03', dpd: 0, classification: 'NORMAL', since: '2025-04-03', clearSince: '2025-04-03' });
  });

  it('CN-2021: substandard past 90 days, held six months after the arrears are paid, then normal', () => {
    const loan = aLoan();
    let ledger = assess(loan, emptyLedger(loan.loanId), '2025-06-30');
    expect(ledger.risk?.classification).toBe('SPECIAL_MENTION');
    ledger = assess(loan, ledger, '2025-07-01');
    expect(classOf(ledger)).toEqual({ asOf: '2025-07-01', dpd: 91, classification: 'SUBSTANDARD', since: '2025-07-01', nonPerformingSince: '2025-07-01' });
    ledger = assess(loan, payUp(loan, ledger, '2025-07-02'), '2025-07-02');
    expect(classOf(ledger)).toEqual({ asOf: '2025-07-02', dpd: 0, classification: 'SUBSTANDARD', since: '2025-07-01', clearSince: '2025-07-02', nonPerformingSince: '2025-07-01' });
    for (const due of ['2025-08-01', '2025-09-01', '2025-10-01', '2025-11-01', '2025-12-01', '2026-01-01']) {
      ledger = assess(loan, payUp(loan, ledger, due), due);
      expect(ledger.risk?.classification).toBe('SUBSTANDARD');
    }
    ledger = assess(loan, ledger, '2026-01-02');
    expect(classOf(ledger)).toEqual({ asOf: '2026-01-02', dpd: 0, classification: 'NORMAL', since: '2026-01-02', clearSince: '2025-07-02' });
  });

  it('CN-2021: an instalment paid late inside the observation starts it again', () => {
    const loan = aLoan();
    let ledger = assess(loan, emptyLedger(loan.loanId), '2025-07-01');
    ledger = assess(loan, payUp(loan, ledger, '2025-07-02'), '2025-07-02');
    for (const due of ['2025-08-01', '2025-09-01', '2025-10-01', '2025-11-01']) ledger = assess(loan, payUp(loan, ledger, due), due);
    ledger = assess(loan, ledger, '2025-12-02');
    expect(classOf(ledger)).toEqual({ asOf: '2025-12-02', dpd: 1, classification: 'SUBSTANDARD', since: '2025-07-01', nonPerformingSince: '2025-07-01' });
    ledger = assess(loan, payUp(loan, ledger, '2025-12-03'), '2025-12-03');
    expect(ledger.risk?.clearSince).toBe('2025-12-03');
    for (const due of ['2026-01-01', '2026-02-01']) ledger = assess(loan, payUp(loan, ledger, due), due);
    ledger = assess(loan, ledger, '2026-02-02');
    expect(ledger.risk?.classification).toBe('SUBSTANDARD');
  });

  it('IN-2025: SMA-1 at 31 days, an NPA past 90 that is standard again the day every arrear is paid', () => {
    const cn = aLoan();
    const loan: Loan = { ...cn, terms: { ...cn.terms, regulatoryProfile: 'IN-2025' } };
    let ledger = assess(loan, emptyLedger(loan.loanId), '2025-05-02');
    expect(classOf(ledger)).toEqual({ asOf: '2025-05-02', dpd: 31, classification: 'SMA_1', since: '2025-05-02' });
    ledger = assess(loan, ledger, '2025-07-01');
    expect(classOf(ledger)).toEqual({ asOf: '2025-07-01', dpd: 91, classification: 'SUBSTANDARD', since: '2025-07-01', nonPerformingSince: '2025-07-01' });
    ledger = payUp(loan, ledger, '2025-07-02');
    ledger = assess(loan, ledger, '2025-07-02');
    expect(classOf(ledger)).toEqual({ asOf: '2025-07-02', dpd: 0, classification: 'NORMAL', since: '2025-07-02', clearSince: '2025-07-02' });
  });
});
