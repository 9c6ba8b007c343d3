import { describe, expect, it } from 'vitest';
import type { JournalEntry, Leg } from '../../../../shared/domain/ledger.ts';
import { lenderProfit, monthRange } from '../../../../shared/domain/profit.ts';
import { ValidationError } from '../../../../shared/domain/errors.ts';
import { thrownBy } from '../../../support/expect-error.ts';

function leg(lenderId: string, account: Leg['account'], side: Leg['side'], amountMinor: bigint): Leg {
  return { lenderId, account, side, amountMinor, counterparty: null };
}

function entry(entryId: string, businessDate: string, legs: Leg[], loanId = 'LN-1', currency = 'CNY'): JournalEntry {
  return { entryId, eventType: 'REPAYMENT', eventId: entryId, loanId, currency, businessDate, legs, createdAt: '2026-11-01T00:00:00.000Z' };
}

describe('monthRange', () => {
  it('gives every day of the month, leap years included', () => {
    expect(monthRange('2028-02')).toMatchObject({ from: '2028-02-01', to: '2028-02-29' });
    expect(monthRange('2026-02').days).toHaveLength(28);
    expect(monthRange('2026-12').to).toBe('2026-12-31');
  });

  it('refuses anything but YYYY-MM, naming the field', () => {
    const error = thrownBy(ValidationError, () => monthRange('2026-13'));
    expect(error.details).toMatchObject({ path: 'month', rule: 'month' });
  });
});

describe('lenderProfit', () => {
  const entries = [
    entry('REPAYMENT#1', '2026-11-05', [leg('A', 'SETTLEMENT_CLEARING', 'DEBIT', 12_000n), leg('A', 'INTEREST_INCOME', 'CREDIT', 2_000n), leg('A', 'PRINCIPAL_RECEIVABLE', 'CREDIT', 10_000n), leg('L', 'FEE_INCOME', 'CREDIT', 300n), leg('L', 'SETTLEMENT_CLEARING', 'DEBIT', 300n)]),
    entry('REPAYMENT#2', '2026-11-20', [leg('A', 'SETTLEMENT_CLEARING', 'DEBIT', 450n), leg('A', 'PENALTY_INCOME', 'CREDIT', 50n), leg('A', 'INTEREST_INCOME', 'CREDIT', 400n)], 'LN-2'),
    // A reversal in the month counts against what it restates.
    entry('REVERSAL#2', '2026-11-21', [leg('A', 'SETTLEMENT_CLEARING', 'CREDIT', 450n), leg('A', 'PENALTY_INCOME', 'DEBIT', 50n), leg('A', 'INTEREST_INCOME', 'DEBIT', 400n)], 'LN-2'),
    entry('WRITE_OFF#3', '2026-11-30', [leg('A', 'LOSSES', 'DEBIT', 5_000n), leg('A', 'PRINCIPAL_RECEIVABLE', 'CREDIT', 5_000n)], 'LN-3'),
    entry('REPAYMENT#4', '2026-12-01', [leg('A', 'SETTLEMENT_CLEARING', 'DEBIT', 999n), leg('A', 'INTEREST_INCOME', 'CREDIT', 999n)]),
    entry('REPAYMENT#5', '2026-11-10', [leg('A', 'SETTLEMENT_CLEARING', 'DEBIT', 70n), leg('A', 'INTEREST_INCOME', 'CREDIT', 70n)], 'LN-9', 'INR'),
  ];

  it("sums the lender's legs of the month per currency: income, losses and the net", () => {
    const report = lenderProfit('A', '2026-11', entries, () => null);
    expect(report.byCurrency).toEqual([
      { currency: 'CNY', interestIncomeMinor: 2_000n, penaltyIncomeMinor: 0n, feeIncomeMinor: 0n, guaranteeFeesMinor: 0n, lossesMinor: 5_000n, netMinor: -3_000n, loans: 3, entries: 4 },
      { currency: 'INR', interestIncomeMinor: 70n, penaltyIncomeMinor: 0n, feeIncomeMinor: 0n, guaranteeFeesMinor: 0n, lossesMinor: 0n, netMinor: 70n, loans: 1, entries: 1 },
    ]);
  });

  it("reports a guarantor's fee income as guarantee fees", () => {
    const asGuarantor = lenderProfit('L', '2026-11', entries, () => 'L').byCurrency[0];
    expect(asGuarantor).toMatchObject({ feeIncomeMinor: 0n, guaranteeFeesMinor: 300n, netMinor: 300n });
    expect(lenderProfit('L', '2026-11', entries, () => null).byCurrency[0]).toMatchObject({ feeIncomeMinor: 300n, guaranteeFeesMinor: 0n });
  });

  it('has no line for a lender without entries in the month', () => {
    expect(lenderProfit('Z', '2026-11', entries, () => null).byCurrency).toEqual([]);
  });
});
