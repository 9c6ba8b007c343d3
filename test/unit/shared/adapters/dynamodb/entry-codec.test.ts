import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { entryItem, entryOf } from '../../../../../shared/adapters/dynamodb/entry-codec.ts';
import { ACCOUNTS, SETTLEMENT_COMPONENTS, type JournalEntry, type Leg } from '../../../../../shared/domain/ledger.ts';

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
    }).chain((l) => fc.option(fc.constantFrom(...SETTLEMENT_COMPONENTS), { nil: undefined }).map((component): Leg => (component === undefined ? l : { ...l, component })));
    fc.assert(
      fc.property(fc.array(leg, { maxLength: 30 }), (legs) => {
        expect(entryOf(entryItem({ ...entry, legs }))).toEqual({ ...entry, legs });
      }),
    );
  });

  it('indexes an entry by the settlement day it was booked in, and keeps the component of a leg', () => {
    const booked: JournalEntry = {
      ...entry,
      bookedOn: '2025-04-07',
      legs: [
        { lenderId: 'BANK-A', account: 'SETTLEMENT_CLEARING', side: 'CREDIT', amountMinor: 500n, counterparty: 'GUAR-1', component: 'FEE' },
        { lenderId: 'BANK-A', account: 'INTEREST_INCOME', side: 'DEBIT', amountMinor: 500n, counterparty: null },
      ],
    };
    const item = entryItem(booked);
    expect(item.gsi1pk).toBe('ENTRYDATE#2025-04-07#05');
    expect(item.legs).toEqual(['BANK-A SETTLEMENT_CLEARING C 500 GUAR-1 FEE', 'BANK-A INTEREST_INCOME D 500 ']);
    expect(entryOf(item)).toEqual(booked);
  });

  it('refuses a stored leg it cannot read, naming it', () => {
    expect(() => entryOf({ ...entryItem(entry), legs: ['BANK-A SETTLEMENT_CLEARING X 5 ESCROW'] })).toThrow('a stored leg must read "lenderId account D|C amount counterparty", got "BANK-A SETTLEMENT_CLEARING X 5 ESCROW"');
  });
});
