import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { collectionsByLender } from '../../../../shared/domain/collections.ts';
import { ESCROW, SETTLEMENT_COMPONENTS, type JournalEntry, type Leg } from '../../../../shared/domain/ledger.ts';
import { movementsOf, SettlementItems, type SettlementItem } from '../../../../shared/domain/settlement.ts';
import { aLeg as leg } from '../../../support/builders.ts';

const entry = (eventType: JournalEntry['eventType'], eventId: string, legs: Leg[]): JournalEntry => ({
  entryId: `${eventType}#${eventId}`,
  eventType,
  eventId,
  loanId: 'LN-1',
  currency: 'CNY',
  businessDate: '2026-11-02',
  legs,
  createdAt: '2026-11-02T02:00:00.000Z',
});

/** The items of a date's entries, as a shard gathers them. */
function itemsOf(...entries: JournalEntry[]): SettlementItem[] {
  const items = new SettlementItems();
  for (const e of entries) for (const m of movementsOf(e)) items.add(e.currency, 'PROG', m);
  return items.list();
}

// A loan of 10,000.00 funded 6,000.00 / 4,000.00; an instalment of 1,000.00 + 80.00 interest; 0.45 to suspense with the lead.
const disbursement = entry('DISBURSEMENT', 'LN-1', [
  leg('LEAD', 'PRINCIPAL_RECEIVABLE', 'D', 600_000n),
  leg('LEAD', 'SETTLEMENT_CLEARING', 'C', 600_000n, ESCROW),
  leg('P-A', 'PRINCIPAL_RECEIVABLE', 'D', 400_000n),
  leg('P-A', 'SETTLEMENT_CLEARING', 'C', 400_000n, ESCROW),
]);
const repayment = entry('REPAYMENT', 'R-1', [
  leg('LEAD', 'SETTLEMENT_CLEARING', 'D', 64_845n, ESCROW),
  leg('LEAD', 'PRINCIPAL_RECEIVABLE', 'C', 60_000n),
  leg('LEAD', 'INTEREST_INCOME', 'C', 4_800n),
  leg('LEAD', 'SUSPENSE', 'C', 45n),
  leg('P-A', 'SETTLEMENT_CLEARING', 'D', 43_200n, ESCROW),
  leg('P-A', 'PRINCIPAL_RECEIVABLE', 'C', 40_000n),
  leg('P-A', 'INTEREST_INCOME', 'C', 3_200n),
]);
// The guarantor pays P-A 400.00: between two lenders, not a collection.
const compensation = entry('COMPENSATION', 'C-1', [
  leg('G', 'SETTLEMENT_CLEARING', 'C', 40_000n, 'P-A'),
  leg('G', 'GUARANTEE_RECEIVABLE', 'D', 40_000n),
  leg('P-A', 'SETTLEMENT_CLEARING', 'D', 40_000n, 'G'),
  leg('P-A', 'PRINCIPAL_RECEIVABLE', 'C', 40_000n),
]);

describe('collectionsByLender', () => {
  it("gives each lender what was collected for it, per component, and what it owes the collection account, to the fen", () => {
    expect(collectionsByLender(itemsOf(disbursement, repayment, compensation))).toEqual([
      { lenderId: 'LEAD', currency: 'CNY', collectedMinor: 64_845n, componentsMinor: { PRINCIPAL: 60_000n, INTEREST: 4_800n, SUSPENSE: 45n }, owedToEscrowMinor: 600_000n, netMinor: -535_155n },
      { lenderId: 'P-A', currency: 'CNY', collectedMinor: 43_200n, componentsMinor: { PRINCIPAL: 40_000n, INTEREST: 3_200n }, owedToEscrowMinor: 400_000n, netMinor: -356_800n },
    ]);
  });

  it('keeps a reversed collection apart from what was collected', () => {
    const reversal = entry(
      'REVERSAL',
      'V-1',
      repayment.legs.map((l) => ({ ...l, side: l.side === 'DEBIT' ? 'CREDIT' : 'DEBIT' })),
    );
    const [lead] = collectionsByLender(itemsOf(repayment, reversal));
    expect(lead).toMatchObject({ lenderId: 'LEAD', collectedMinor: 64_845n, owedToEscrowMinor: 64_845n, netMinor: 0n });
  });

  it('lists nothing for a date without collection-account items', () => {
    expect(collectionsByLender(itemsOf(compensation))).toEqual([]);
    expect(collectionsByLender([])).toEqual([]);
  });

  const item = fc.record({
    currency: fc.constantFrom('CNY', 'INR'),
    programId: fc.constantFrom('P1', 'P2'),
    lenderId: fc.constantFrom('A', 'B', 'C'),
    counterparty: fc.constantFrom(ESCROW, 'B', 'D'),
    component: fc.constantFrom(...SETTLEMENT_COMPONENTS),
    receivableMinor: fc.bigInt({ min: 0n, max: 10n ** 15n }),
    payableMinor: fc.bigInt({ min: 0n, max: 10n ** 15n }),
  });

  it('adds up exactly the collection-account items: per lender and currency, its components make what was collected', () => {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 40 }), (items) => {
        const collections = collectionsByLender(items);
        const escrow = items.filter((i) => i.counterparty === ESCROW);
        expect(collections.reduce((s, c) => s + c.collectedMinor, 0n)).toBe(escrow.reduce((s, i) => s + i.receivableMinor, 0n));
        expect(collections.reduce((s, c) => s + c.owedToEscrowMinor, 0n)).toBe(escrow.reduce((s, i) => s + i.payableMinor, 0n));
        for (const c of collections) {
          expect(Object.values(c.componentsMinor).reduce((s, v) => s + (v ?? 0n), 0n)).toBe(c.collectedMinor);
          expect(c.netMinor).toBe(c.collectedMinor - c.owedToEscrowMinor);
          expect(escrow.some((i) => i.lenderId === c.lenderId && i.currency === c.currency)).toBe(true);
        }
        expect(new Set(collections.map((c) => `${c.lenderId}|${c.currency}`)).size).toBe(collections.length);
      }),
    );
  });
});
