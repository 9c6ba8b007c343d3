import { describe, expect, it } from 'vitest';
import { RuleViolation, ValidationError } from '../../../../shared/domain/errors.ts';
import { foldEntries, type JournalEntry } from '../../../../shared/domain/ledger.ts';
import type { Loan } from '../../../../shared/domain/loan.ts';
import { bookPeriodFees, type PeriodFeeDeps } from '../../../../shared/use-cases/period-fees.ts';
import { LEAD_ID, PARTNER_A, PARTNER_B, aLoan } from '../../../support/builders.ts';
import { thrownBy } from '../../../support/expect-error.ts';
import { createInMemoryStores, seedBookedLoan, type InMemoryStores } from '../../../support/in-memory-stores.ts';

/*
 * The test loan (aLoan): 1,000,000 fen disbursed 2025-03-01, PARTNER-A and PARTNER-B 300,000 each,
 * the lead 400,000; ACT/360, HALF_UP. A service fee of 1% a year on each partner's outstanding
 * principal, billed monthly to the lead. March 2025 has 31 days, all outstanding:
 *   300,000 × 31 × 0.01 / 360 = 93,000 / 360 = 258.33 → 258 fen per partner.
 */

const AT = '2025-04-02T04:00:00.000Z';

function setup(): { stores: InMemoryStores; deps: PeriodFeeDeps; loan: Loan } {
  const stores = createInMemoryStores(AT);
  const loan = aLoan(
    {},
    {
      fees: {
        serviceFeeRate: null,
        guaranteeFeeRate: null,
        guarantorLenderId: null,
        rules: [{ id: 'SERVICE', kind: 'SERVICE', payee: LEAD_ID, base: 'OUTSTANDING_PRINCIPAL', rate: '0.01', amountMinor: null, period: 'MONTHLY', payer: { kind: 'DEDUCTED_FROM_INTEREST', lenders: 'ALL_PARTNERS' } }],
      },
    },
  );
  seedBookedLoan(stores, loan);
  return { stores, loan, deps: { loan: (id) => stores.loans.get(id), repayments: stores.repayments, ledger: stores.ledger, clock: stores.clock } };
}

function entriesOf(stores: InMemoryStores, loanId: string): JournalEntry[] {
  return [...stores.db.entries.entries()].filter(([key]) => key.startsWith(`${loanId}#`)).map(([, e]) => e);
}

describe('bookPeriodFees', () => {
  it("books the month's service fee once per loan, each partner's 258 fen owed to the lead", async () => {
    const { stores, deps, loan } = setup();
    const result = await bookPeriodFees(deps, loan.loanId, '2025-03');
    const entryId = `FEE#SERVICE#2025-03#${loan.loanId}`;
    expect(result).toEqual({ loanId: loan.loanId, period: '2025-03', booked: [entryId], replayed: [] });
    const entry = entriesOf(stores, loan.loanId).find((e) => e.entryId === entryId)!;
    expect(entry).toMatchObject({ eventType: 'FEE', businessDate: '2025-03-31', bookedOn: '2025-04-02' });
    expect(entry.legs.map((l) => [l.lenderId, l.account, l.side, l.amountMinor, l.counterparty])).toEqual([
      [PARTNER_A, 'FEE_EXPENSE', 'DEBIT', 258n, null],
      [PARTNER_A, 'SETTLEMENT_CLEARING', 'CREDIT', 258n, LEAD_ID],
      [PARTNER_B, 'FEE_EXPENSE', 'DEBIT', 258n, null],
      [PARTNER_B, 'SETTLEMENT_CLEARING', 'CREDIT', 258n, LEAD_ID],
      [LEAD_ID, 'SETTLEMENT_CLEARING', 'DEBIT', 258n, PARTNER_A],
      [LEAD_ID, 'SETTLEMENT_CLEARING', 'DEBIT', 258n, PARTNER_B],
      [LEAD_ID, 'FEE_INCOME', 'CREDIT', 516n, null],
    ]);
  });

  it('keeps the stored positions equal to the fold of the entries', async () => {
    const { stores, deps, loan } = setup();
    await bookPeriodFees(deps, loan.loanId, '2025-03');
    const folded = foldEntries(loan.loanId, entriesOf(stores, loan.loanId));
    const stored = [...stores.db.positions.values()].filter((p) => p.loanId === loan.loanId);
    for (const p of stored) expect(p.balancesMinor).toEqual(folded.get(p.lenderId)!.balancesMinor);
    expect(folded.get(LEAD_ID)!.balancesMinor.FEE_INCOME).toBe(-516n);
  });

  it('books nothing twice when run again for the same period', async () => {
    const { stores, deps, loan } = setup();
    await bookPeriodFees(deps, loan.loanId, '2025-03');
    const before = entriesOf(stores, loan.loanId).length;
    const again = await bookPeriodFees(deps, loan.loanId, '2025-03');
    expect(again).toEqual({ loanId: loan.loanId, period: '2025-03', booked: [], replayed: [`FEE#SERVICE#2025-03#${loan.loanId}`] });
    expect(entriesOf(stores, loan.loanId)).toHaveLength(before);
  });

  it('bills a quarter only for quarterly rules, and refuses a bad period or an unknown loan', async () => {
    const { deps, loan } = setup();
    expect((await bookPeriodFees(deps, loan.loanId, '2025-Q1')).booked).toEqual([]);
    await expect(bookPeriodFees(deps, loan.loanId, '2025/03')).rejects.toBeInstanceOf(ValidationError);
    const missing = await bookPeriodFees(deps, 'NO-SUCH-LOAN', '2025-03').catch((e: unknown) => e);
    expect(thrownBy(RuleViolation, () => { throw missing; }).code).toBe('LOAN_NOT_FOUND');
  });
});
