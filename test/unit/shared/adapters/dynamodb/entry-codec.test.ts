import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { entryItem, entryOf } from '../../../../../shared/adapters/dynamodb/entry-codec.ts';
import { ACCOUNTS, type JournalEntry, type Leg } from '../../../../../shared/domain/ledger.ts';

const entry: JournalEntry = {
  entryId: 'REVERSAL#V-1',
  eventType: 'REVERSAL',
  eventId: 'V-1',
  loanId: 'LN-1',
  currency: 'CNY',
  businessDate: '2025-04-02',
  legs: [
    { lenderId: 'BANK-A', account: 'SETTLEMENT_CLEARING', side: 'CREDIT', amountMinor: 9_007_199_254_740_993n, counterparty: 'ESCROW' },
    { lenderId: 'BANK-A', account: 'PRINCIPAL_RECEIVABLE', side: 'DEBIT', amountMinor: 9_007_199_254_740_993n, counterparty: null },
  ],
  createdAt: '2025-04-02T01:00:00.000Z',
  reverses: 'REPAYMENT#R-1',
};

describe('the stored form of a journal entry', () => {
  it('keys the entry by loan and id, indexes it by business date, and keeps each leg as one string', () => {
    expect(entryItem(entry)).toEqual({
      pk: 'LOAN#LN-1',
      sk: 'ENTRY#REVERSAL#V-1',
      gsi1pk: 'ENTRYDATE#2025-04-02#05',
      gsi1sk: 'LN-1#REVERSAL#V-1',
      entityType: 'JournalEntry',
      entryId: 'REVERSAL#V-1',
      eventType: 'REVERSAL',
      eventId: 'V-1',
      loanId: 'LN-1',
      currency: 'CNY',
      businessDate: '2025-04-02',
      createdAt: '2025-04-02T01:00:00.000Z',
      reverses: 'REPAYMENT#R-1',
      legs: ['BANK-A SETTLEMENT_CLEARING C 9007199254740993 ESCROW', 'BANK-A PRINCIPAL_RECEIVABLE D 9007199254740993 '],
    });
  });

  it('reads back exactly what was written, for any legs', () => {
    const id = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,20}$/);
    const leg = fc.record<Leg>({
      lenderId: id,
      account: fc.constantFrom(...ACCOUNTS),
      side: fc.constantFrom('DEBIT', 'CREDIT'),
      amountMinor: fc.bigInt({ min: 0n, max: 10n ** 20n }),
      counterparty: fc.option(id, { nil: null }),
    });
    fc.assert(
      fc.property(fc.array(leg, { maxLength: 30 }), (legs) => {
        expect(entryOf(entryItem({ ...entry, legs }))).toEqual({ ...entry, legs });
      }),
    );
  });

  it('refuses a stored leg it cannot read, naming it', () => {
    expect(() => entryOf({ ...entryItem(entry), legs: ['BANK-A SETTLEMENT_CLEARING X 5 ESCROW'] })).toThrow('a stored leg must read "lenderId account D|C amount counterparty", got "BANK-A SETTLEMENT_CLEARING X 5 ESCROW"');
  });
});
