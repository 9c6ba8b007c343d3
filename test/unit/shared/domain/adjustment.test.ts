import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ACCOUNT_OF_COMPONENT,
  ADJUSTMENT_DIRECTIONS,
  MAX_ADJUSTMENT_MINOR,
  adjustmentEntry,
  adjustmentVisibleTo,
  approveAdjustment,
  approvedAs,
  checkBreak,
  checkParties,
  isSameProposal,
  proposeAdjustment,
  ADJUSTABLE_COMPONENTS,
  rejectAdjustment,
  type Adjustment,
} from '../../../../shared/domain/adjustment.ts';
import { DomainError, InvariantViolation, ValidationError } from '../../../../shared/domain/errors.ts';
import { foldEntries, imbalances, type JournalEntry } from '../../../../shared/domain/ledger.ts';
import { verifyLoanLedger } from '../../../../shared/domain/ledger-check.ts';
import { disbursementEntry } from '../../../../shared/domain/loan.ts';
import { movementsOf } from '../../../../shared/domain/settlement.ts';
import { aBreak, aProposal, BREAK_ID } from '../../../support/adjustments.ts';
import { aLeg as leg, aLoan, LEAD_ID, LOAN_ID, NOW, PARTNER_A, PARTNER_B } from '../../../support/builders.ts';
import { thrownBy } from '../../../support/expect-error.ts';

const MAKER = 'finance-maker';
const CHECKER = 'finance-checker';
const LATER = '2025-03-03T03:00:00.000Z';
const LOAN = { loanId: LOAN_ID, currency: 'CNY' };

const proposed = (overrides: Parameters<typeof aProposal>[0] = {}): Adjustment => proposeAdjustment(aProposal(overrides), MAKER, NOW);

function codeOf(action: () => unknown): { code: string; details: Record<string, unknown> } {
  const error = thrownBy(DomainError, action);
  return { code: error.code, details: { ...error.details } };
}

describe('proposeAdjustment', () => {
  it('is PROPOSED by its maker at the time given, version 1, with the reason trimmed and no decision yet', () => {
    expect(proposeAdjustment(aProposal({ reason: '  Interest short  ' }), MAKER, NOW)).toEqual({
      ...aProposal(),
      reason: 'Interest short',
      state: 'PROPOSED',
      proposedBy: MAKER,
      proposedAt: NOW,
      approval: null,
      rejection: null,
      version: 1,
    });
  });

  it.each([
    ['the lender as its own counterparty', { counterparty: PARTNER_A }, 'counterparty', 'other-party'],
    ['no amount', { amountMinor: 0n }, 'amountMinor', 'range'],
    ['a negative amount', { amountMinor: -1n }, 'amountMinor', 'range'],
    ['an amount above the bound', { amountMinor: MAX_ADJUSTMENT_MINOR + 1n }, 'amountMinor', 'range'],
    ['a blank reason', { reason: '   ' }, 'reason', 'required'],
  ])('refuses %s, naming the field and the rule', (_what, overrides, path, rule) => {
    const error = thrownBy(ValidationError, () => proposed(overrides));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details).toMatchObject({ path, rule });
  });

  it('takes the bound itself', () => {
    expect(proposed({ amountMinor: MAX_ADJUSTMENT_MINOR }).amountMinor).toBe(1_000_000_000_000n);
  });

  it('knows the same proposal by the same maker again, and nothing else', () => {
    const stored = proposed();
    expect(isSameProposal(stored, aProposal({ reason: ' Interest of R-1 short in the partner file ' }), MAKER)).toBe(true);
    expect(isSameProposal(stored, aProposal(), CHECKER)).toBe(false);
    expect(isSameProposal(stored, aProposal({ amountMinor: 151n }), MAKER)).toBe(false);
    expect(isSameProposal(stored, aProposal({ breakId: null }), MAKER)).toBe(false);
    expect(isSameProposal(stored, aProposal({ direction: 'LENDER_OWES_COUNTERPARTY' }), MAKER)).toBe(false);
  });
});

describe('maker-checker', () => {
  it('refuses the maker as checker, whatever the state', () => {
    for (const adjustment of [proposed(), approvedAs(recorded(), '2025-03-03'), rejectAdjustment(proposed(), CHECKER, LATER, 'No')]) {
      expect(codeOf(() => approveAdjustment(adjustment, MAKER, LATER, 'Looks right'))).toEqual({
        code: 'MAKER_CANNOT_APPROVE',
        details: { adjustmentId: 'ADJ-1', proposedBy: MAKER },
      });
    }
  });

  it("records another user's approval first, the adjustment still PROPOSED, with the entry it books", () => {
    const step = approveAdjustment(proposed(), CHECKER, LATER, ' Checked against the bank statement ');
    expect(step).toEqual({
      kind: 'BOOK',
      recorded: true,
      adjustment: {
        ...proposed(),
        approval: { by: CHECKER, at: LATER, reason: 'Checked against the bank statement', entryId: 'ADJUSTMENT#ADJ-1', bookedOn: null },
        version: 2,
      },
    });
  });

  it('books under the approval recorded before, whoever asks again; answers an approved adjustment as it is', () => {
    expect(approveAdjustment(recorded(), 'third-user', '2025-03-04T00:00:00.000Z', 'Again')).toEqual({ kind: 'BOOK', adjustment: recorded(), recorded: false });
    const approved = approvedAs(recorded(), '2025-03-03');
    expect(approveAdjustment(approved, 'third-user', '2025-03-04T00:00:00.000Z', 'Again')).toEqual({ kind: 'APPROVED', adjustment: approved });
  });

  it('needs a reason to approve', () => {
    expect(thrownBy(ValidationError, () => approveAdjustment(proposed(), CHECKER, LATER, ' ')).details).toMatchObject({ path: 'reason', rule: 'required' });
  });

  it('refuses to approve a rejected or withdrawn adjustment', () => {
    expect(codeOf(() => approveAdjustment(rejectAdjustment(proposed(), MAKER, LATER, 'Typed the wrong loan'), CHECKER, LATER, 'Yes')).code).toBe('ADJUSTMENT_REJECTED');
  });

  it('completes an approval with the settlement day of its entry; only a recorded approval', () => {
    expect(approvedAs(recorded(), '2025-03-03')).toEqual({ ...recorded(), state: 'APPROVED', approval: { ...recorded().approval!, bookedOn: '2025-03-03' }, version: 3 });
    thrownBy(InvariantViolation, () => approvedAs(proposed(), '2025-03-03'));
  });

  it('lets the maker withdraw and a checker reject, with a reason; a rejected one answers as it is', () => {
    const withdrawn = rejectAdjustment(proposed(), MAKER, LATER, 'Typed the wrong loan');
    expect(withdrawn).toMatchObject({ state: 'REJECTED', rejection: { by: MAKER, at: LATER, reason: 'Typed the wrong loan', withdrawn: true }, version: 2 });
    const rejected = rejectAdjustment(proposed(), CHECKER, LATER, 'The bank paid it since');
    expect(rejected.rejection).toEqual({ by: CHECKER, at: LATER, reason: 'The bank paid it since', withdrawn: false });
    expect(rejectAdjustment(rejected, 'third-user', NOW, 'Again')).toBe(rejected);
    expect(thrownBy(ValidationError, () => rejectAdjustment(proposed(), CHECKER, LATER, '')).details).toMatchObject({ path: 'reason' });
  });

  it('refuses to reject once an approval is recorded or complete', () => {
    expect(codeOf(() => rejectAdjustment(recorded(), MAKER, LATER, 'Too late')).code).toBe('ADJUSTMENT_APPROVED');
    expect(codeOf(() => rejectAdjustment(approvedAs(recorded(), '2025-03-03'), MAKER, LATER, 'Too late')).code).toBe('ADJUSTMENT_APPROVED');
  });

  it('shows an adjustment to the platform and to its two parties only', () => {
    const between = proposed({ counterparty: PARTNER_B });
    expect([null, PARTNER_A, PARTNER_B, LEAD_ID].map((only) => adjustmentVisibleTo(between, only))).toEqual([true, true, true, false]);
  });
});

function recorded(): Adjustment {
  const step = approveAdjustment(proposed(), CHECKER, LATER, 'Checked');
  return step.adjustment;
}

describe('the entry of an adjustment', () => {
  it('with the collection account: the lender clears with ESCROW, naming the component, against the component account', () => {
    const entry = adjustmentEntry(proposed(), LOAN, '2025-03-03', LATER);
    expect(entry).toEqual({
      entryId: 'ADJUSTMENT#ADJ-1',
      eventType: 'ADJUSTMENT',
      eventId: 'ADJ-1',
      loanId: LOAN_ID,
      currency: 'CNY',
      businessDate: '2025-03-03',
      createdAt: LATER,
      legs: [leg(PARTNER_A, 'SETTLEMENT_CLEARING', 'D', 150n, 'ESCROW', 'INTEREST'), leg(PARTNER_A, 'INTEREST_INCOME', 'C', 150n)],
    });
    expect(movementsOf(entry)).toEqual([{ lenderId: PARTNER_A, counterparty: 'ESCROW', component: 'INTEREST', amountMinor: 150n }]);
  });

  it('between two lenders: both books move, mirrored, and settlement counts the movement once', () => {
    const entry = adjustmentEntry(proposed({ counterparty: PARTNER_B, component: 'FEE', direction: 'LENDER_OWES_COUNTERPARTY', amountMinor: 12_345n }), LOAN, '2025-03-03', LATER);
    expect(entry.legs).toEqual([
      leg(PARTNER_A, 'SETTLEMENT_CLEARING', 'C', 12_345n, PARTNER_B, 'FEE'),
      leg(PARTNER_A, 'FEE_INCOME', 'D', 12_345n),
      leg(PARTNER_B, 'SETTLEMENT_CLEARING', 'D', 12_345n, PARTNER_A, 'FEE'),
      leg(PARTNER_B, 'FEE_INCOME', 'C', 12_345n),
    ]);
    // PARTNER-A sorts first: it owes PARTNER-B.
    expect(movementsOf(entry)).toEqual([{ lenderId: PARTNER_A, counterparty: PARTNER_B, component: 'FEE', amountMinor: -12_345n }]);
  });

  it('uses the account of each component', () => {
    expect(ACCOUNT_OF_COMPONENT).toEqual({
      PRINCIPAL: 'PRINCIPAL_RECEIVABLE',
      INTEREST: 'INTEREST_INCOME',
      PENALTY: 'PENALTY_INCOME',
      FEE: 'FEE_INCOME',
      SUSPENSE: 'SUSPENSE',
      GUARANTEE: 'GUARANTEE_RECEIVABLE',
      LOSS: 'LOSSES',
    });
  });

  it('balances in every book and moves exactly its amount, in its direction, for its component (any adjustment)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ADJUSTABLE_COMPONENTS),
        fc.constantFrom(...ADJUSTMENT_DIRECTIONS),
        fc.bigInt({ min: 1n, max: MAX_ADJUSTMENT_MINOR }),
        fc.constantFrom('ESCROW', PARTNER_B, LEAD_ID),
        (component, direction, amountMinor, counterparty) => {
          const entry = adjustmentEntry(proposed({ component, direction, amountMinor, counterparty }), LOAN, '2025-03-03', LATER);
          expect(imbalances(entry)).toEqual([]);
          const [movement, ...more] = movementsOf(entry);
          expect(more).toEqual([]);
          const owedToLender = direction === 'COUNTERPARTY_OWES_LENDER' ? amountMinor : -amountMinor;
          const lenderFirst = counterparty === 'ESCROW' || PARTNER_A < counterparty;
          expect(movement).toEqual({
            lenderId: lenderFirst ? PARTNER_A : counterparty,
            counterparty: lenderFirst ? counterparty : PARTNER_A,
            component,
            amountMinor: lenderFirst ? owedToLender : -owedToLender,
          });
        },
      ),
    );
  });

  it('is folded by the ledger check like any entry: positions from entries agree', () => {
    const loan = aLoan();
    const entries: JournalEntry[] = [
      disbursementEntry(loan, NOW),
      adjustmentEntry(proposed({ counterparty: PARTNER_B, component: 'INTEREST', amountMinor: 1_000n }), loan, '2025-03-03', LATER),
      adjustmentEntry(proposed({ adjustmentId: 'ADJ-2', component: 'PENALTY', direction: 'LENDER_OWES_COUNTERPARTY', amountMinor: 77n }), loan, '2025-03-03', LATER),
    ];
    const positions = [...foldEntries(loan.loanId, entries).values()];
    expect(verifyLoanLedger(loan.loanId, entries, positions)).toEqual([]);
    expect(positions.find((p) => p.lenderId === PARTNER_A)?.balancesMinor).toEqual({ PRINCIPAL_RECEIVABLE: 300_000n, SETTLEMENT_CLEARING: -299_077n, INTEREST_INCOME: -1_000n, PENALTY_INCOME: 77n });
    expect(positions.find((p) => p.lenderId === PARTNER_B)?.balancesMinor).toEqual({ PRINCIPAL_RECEIVABLE: 300_000n, SETTLEMENT_CLEARING: -301_000n, INTEREST_INCOME: 1_000n });
  });
});

describe('what an adjustment must fit', () => {
  it('refuses a currency other than the loan’s, and parties that never held a part of the loan', () => {
    const holders = new Set([LEAD_ID, PARTNER_A]);
    expect(codeOf(() => checkParties(aProposal({ currency: 'INR' }), LOAN, holders))).toEqual({ code: 'CURRENCY_MISMATCH', details: { path: 'currency', loanCurrency: 'CNY' } });
    expect(codeOf(() => checkParties(aProposal({ lenderId: PARTNER_B }), LOAN, holders)).details).toEqual({ path: 'lenderId', lenderId: PARTNER_B });
    expect(codeOf(() => checkParties(aProposal({ counterparty: PARTNER_B }), LOAN, holders))).toEqual({ code: 'NOT_A_HOLDER', details: { path: 'counterparty', counterparty: PARTNER_B } });
    expect(() => checkParties(aProposal(), LOAN, holders)).not.toThrow();
    expect(() => checkParties(aProposal({ counterparty: LEAD_ID }), LOAN, holders)).not.toThrow();
  });

  it('takes an open or investigating break of either party, in its currency; refuses a closed one and another party’s', () => {
    expect(() => checkBreak(aProposal(), aBreak())).not.toThrow();
    expect(() => checkBreak(aProposal(), aBreak({ state: 'INVESTIGATING' }))).not.toThrow();
    expect(() => checkBreak(aProposal({ lenderId: LEAD_ID, counterparty: PARTNER_A }), aBreak())).not.toThrow();
    expect(codeOf(() => checkBreak(aProposal(), aBreak({ state: 'ACCEPTED' })))).toEqual({ code: 'BREAK_CLOSED', details: { path: 'breakId', breakId: BREAK_ID, state: 'ACCEPTED' } });
    expect(codeOf(() => checkBreak(aProposal(), aBreak({ state: 'RESOLVED' }))).code).toBe('BREAK_CLOSED');
    expect(codeOf(() => checkBreak(aProposal(), aBreak({ lenderId: PARTNER_B })))).toEqual({ code: 'BREAK_OF_ANOTHER_PARTY', details: { path: 'breakId', breakLenderId: PARTNER_B } });
    expect(codeOf(() => checkBreak(aProposal({ currency: 'INR' }), aBreak())).code).toBe('CURRENCY_MISMATCH');
  });

  it('takes the break this very adjustment resolved (an approval finished again)', () => {
    const resolved = aBreak({ state: 'RESOLVED', history: [{ at: LATER, by: CHECKER, from: 'OPEN', to: 'RESOLVED', reason: 'Checked', adjustmentId: 'ADJ-1' }] });
    expect(() => checkBreak(aProposal(), resolved)).not.toThrow();
    expect(codeOf(() => checkBreak(aProposal({ adjustmentId: 'ADJ-9' }), resolved)).code).toBe('BREAK_CLOSED');
  });

  it.each(['PRINCIPAL', 'GUARANTEE', 'LOSS'] as const)("refuses %s, which the loan's account holds, when proposed and when an entry is built", (component) => {
    const refusal = { code: 'ADJUSTMENT_OF_LOAN_ACCOUNT', details: { path: 'component', component, adjustable: ['INTEREST', 'PENALTY', 'FEE', 'SUSPENSE'] } };
    expect(codeOf(() => proposeAdjustment(aProposal({ component }), MAKER, NOW))).toEqual(refusal);
    expect(codeOf(() => adjustmentEntry({ ...proposed(), component }, LOAN, '2025-03-03', LATER))).toEqual(refusal);
  });
});
