import { describe, expect, it } from 'vitest';
import { verifyLoanLedger } from '../../../../shared/domain/ledger-check.ts';
import { applyEntry, openPosition, type JournalEntry, type Position } from '../../../../shared/domain/ledger.ts';
import { bookLoan } from '../../../../shared/domain/loan.ts';
import { LEAD_ID, LOAN_ID, NOW, PARTNER_A, PARTNER_B, aBookLoanRequest, aProgram, lenderMap } from '../../../support/builders.ts';

const ENTRY_ID = `DISBURSEMENT#${LOAN_ID}`;

/** The default loan's entry and the positions booked with it. */
function bookedLedger(): { entries: JournalEntry[]; positions: Position[] } {
  const { loan, entry } = bookLoan(aBookLoanRequest(), aProgram(), lenderMap(), NOW);
  const positions = loan.fundingPlan.map((p) => applyEntry(openPosition(p.lenderId, LOAN_ID, 'CNY'), entry));
  return { entries: [entry], positions };
}

describe('verifyLoanLedger', () => {
  it('finds nothing on a correctly booked loan', () => {
    const { entries, positions } = bookedLedger();
    expect(verifyLoanLedger(LOAN_ID, entries, positions)).toEqual([]);
  });

  it('finds nothing on a loan without entries or positions', () => {
    expect(verifyLoanLedger(LOAN_ID, [], [])).toEqual([]);
  });

  it('finds a position that differs from its entries, per account, with both figures', () => {
    const { entries, positions } = bookedLedger();
    const [lead, a, b] = positions as [Position, Position, Position];
    const tampered: Position = { ...a, balancesMinor: { ...a.balancesMinor, PRINCIPAL_RECEIVABLE: 299_999n, SUSPENSE: 1n } };
    expect(verifyLoanLedger(LOAN_ID, entries, [lead, tampered, b])).toEqual([
      { loanId: LOAN_ID, kind: 'POSITION_MISMATCH', lenderId: PARTNER_A, entryId: null, detail: 'PRINCIPAL_RECEIVABLE: entries give 300000, position holds 299999' },
      { loanId: LOAN_ID, kind: 'POSITION_MISMATCH', lenderId: PARTNER_A, entryId: null, detail: 'SUSPENSE: entries give 0, position holds 1' },
    ]);
  });

  it('reports entries that take a principal below zero instead of stopping', () => {
    const { entries, positions } = bookedLedger();
    const overRepaid: JournalEntry = {
      ...(entries[0] as JournalEntry),
      entryId: 'REPAYMENT#X',
      legs: [
        { lenderId: PARTNER_A, account: 'SETTLEMENT_CLEARING', side: 'DEBIT', amountMinor: 300_001n, counterparty: 'ESCROW' },
        { lenderId: PARTNER_A, account: 'PRINCIPAL_RECEIVABLE', side: 'CREDIT', amountMinor: 300_001n, counterparty: null },
      ],
    };
    const found = verifyLoanLedger(LOAN_ID, [...entries, overRepaid], positions);
    expect(found.filter((d) => d.kind === 'NEGATIVE_PRINCIPAL')).toEqual([
      { loanId: LOAN_ID, kind: 'NEGATIVE_PRINCIPAL', lenderId: PARTNER_A, entryId: null, detail: 'entries give a principal of -1' },
    ]);
  });

  it('finds a lender whose entries have no stored position', () => {
    const { entries, positions } = bookedLedger();
    expect(verifyLoanLedger(LOAN_ID, entries, positions.filter((p) => p.lenderId !== PARTNER_B))).toEqual([
      { loanId: LOAN_ID, kind: 'POSITION_MISSING', lenderId: PARTNER_B, entryId: null, detail: 'entries book to a lender that has no stored position' },
    ]);
  });

  it('finds a stored position without entries behind it', () => {
    const { positions } = bookedLedger();
    expect(verifyLoanLedger(LOAN_ID, [], positions).map((d) => [d.kind, d.lenderId])).toEqual([
      ['POSITION_WITHOUT_ENTRIES', LEAD_ID],
      ['POSITION_WITHOUT_ENTRIES', PARTNER_A],
      ['POSITION_WITHOUT_ENTRIES', PARTNER_B],
    ]);
  });

  it('finds an entry that does not balance in a book, naming the entry and the figures', () => {
    const { entries, positions } = bookedLedger();
    const [entry] = entries as [JournalEntry];
    const legs = entry.legs.map((l, i) => (i === 0 ? { ...l, amountMinor: 400_001n } : l));
    const found = verifyLoanLedger(LOAN_ID, [{ ...entry, legs }], positions);
    expect(found[0]).toEqual({ loanId: LOAN_ID, kind: 'ENTRY_UNBALANCED', lenderId: LEAD_ID, entryId: ENTRY_ID, detail: 'debits 400001 ≠ credits 400000' });
    // the stored lead position no longer matches what the (wrong) entry gives either
    expect(found.slice(1)).toEqual([
      { loanId: LOAN_ID, kind: 'POSITION_MISMATCH', lenderId: LEAD_ID, entryId: null, detail: 'PRINCIPAL_RECEIVABLE: entries give 400001, position holds 400000' },
    ]);
  });
});

