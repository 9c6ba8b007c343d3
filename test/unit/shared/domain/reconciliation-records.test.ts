import { describe, expect, it } from 'vitest';
import type { PartnerLoanRow } from '../../../../shared/domain/counterpart-records.ts';
import { loanRowRecord, shareAtSixDecimals } from '../../../../shared/domain/reconciliation-records.ts';

describe('shareAtSixDecimals', () => {
  it('writes a share as our files do, six decimals rounded half up', () => {
    expect(['0.3', '0.300000', '0.3000004', '0.3000005', '0.333333333', '1', '001.0', '0.9999995', '0.0000004'].map(shareAtSixDecimals)).toEqual([
      '0.300000',
      '0.300000',
      '0.300000',
      '0.300001',
      '0.333333',
      '1.000000',
      '1.000000',
      '1.000000',
      '0.000000',
    ]);
  });
});

describe('loanRowRecord', () => {
  const row: PartnerLoanRow = {
    line: 7,
    businessDate: '2026-03-02',
    lenderId: 'JN_RCB',
    loanId: 'L-1',
    programId: 'P-1',
    currency: 'CNY',
    disbursementDate: '2026-01-05',
    loanPrincipalMinor: 10_000_000n,
    fundedMinor: 3_000_000n,
    fundingShare: '0.3',
    principalBalanceMinor: 2_500_000n,
    interestReceivableMinor: 1_201n,
    guaranteeReceivableMinor: 0n,
    suspenseBalanceMinor: 5n,
    interestIncomeMinor: 90_000n,
    penaltyIncomeMinor: 300n,
    feeIncomeMinor: 12n,
    feeExpenseMinor: 4_000n,
    lossMinor: 0n,
    dpd: 31,
    classification: 'SPECIAL_MENTION',
    riskAsOf: '2026-03-01',
  };

  it('compares the principal, the funded amount, every balance, the share, the disbursement date, the class and the DPD', () => {
    expect(loanRowRecord(row)).toEqual({
      key: 'L-1',
      group: 'L-1',
      line: 7,
      lenderId: 'JN_RCB',
      currency: 'CNY',
      date: '2026-01-05',
      dateName: 'DISBURSEMENT_DATE',
      amountsMinor: {
        LOAN_PRINCIPAL: 10_000_000n,
        FUNDED: 3_000_000n,
        PRINCIPAL_BALANCE: 2_500_000n,
        INTEREST_RECEIVABLE: 1_201n,
        GUARANTEE_RECEIVABLE: 0n,
        SUSPENSE_BALANCE: 5n,
        INTEREST_INCOME: 90_000n,
        PENALTY_INCOME: 300n,
        FEE_INCOME: 12n,
        FEE_EXPENSE: 4_000n,
        LOSS: 0n,
      },
      totalMinor: 2_500_000n,
      figures: { SHARE: '0.300000' },
      attributes: { CLASS: 'SPECIAL_MENTION', DPD: '31' },
    });
  });
});
