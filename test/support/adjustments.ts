import type { AdjustmentProposal } from '../../shared/domain/adjustment.ts';
import type { ReconciliationBreak } from '../../shared/domain/reconciliation-break.ts';
import { LOAN_ID, NOW, PARTNER_A } from './builders.ts';

export const BREAK_ID = 'BK-20250303-PR-0123456789abcdef0123';

/** A break of PARTNER_A's repayment file of 2025-03-03, opened that day: its interest is 1.50 short in their file. */
export function aBreak(overrides: Partial<ReconciliationBreak> = {}): ReconciliationBreak {
  return {
    breakId: BREAK_ID,
    type: 'PARTNER_REPAYMENTS',
    businessDate: '2025-03-03',
    counterparty: PARTNER_A,
    kind: 'AMOUNT_MISMATCH',
    component: 'INTEREST',
    recordKey: `${LOAN_ID}|R-1`,
    lenderId: PARTNER_A,
    currency: 'CNY',
    oursMinor: 2_700n,
    theirsMinor: 2_550n,
    differenceMinor: -150n,
    ours: null,
    theirs: null,
    lines: [2],
    openedOn: '2025-03-03',
    openedAt: NOW,
    reconciliationId: 'RC-20250303-PARTNER_REPAYMENTS-PARTNER-A-0123456789ab',
    state: 'OPEN',
    owner: null,
    history: [],
    escalatedAt: null,
    version: 1,
    ...overrides,
  };
}

/** PARTNER_A is owed 1.50 of interest by the collection account on the default loan, for the break above. */
export function aProposal(overrides: Partial<AdjustmentProposal> = {}): AdjustmentProposal {
  return {
    adjustmentId: 'ADJ-1',
    breakId: BREAK_ID,
    loanId: LOAN_ID,
    lenderId: PARTNER_A,
    counterparty: 'ESCROW',
    currency: 'CNY',
    component: 'INTEREST',
    direction: 'COUNTERPARTY_OWES_LENDER',
    amountMinor: 150n,
    reason: 'Interest of R-1 short in the partner file',
    ...overrides,
  };
}
