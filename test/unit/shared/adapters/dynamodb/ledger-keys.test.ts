import { describe, expect, it } from 'vitest';
import { ledgerKeys } from '../../../../../shared/adapters/dynamodb/ledger-keys.ts';

describe('ledgerKeys (docs/access-patterns.md L1-L8)', () => {
  it('L1 a loan partition holds its head, events, entries and holders', () => {
    expect(ledgerKeys.loanPartition('LN-2025-000001')).toBe('LOAN#LN-2025-000001');
    expect(ledgerKeys.entryPrefix).toBe('ENTRY#');
    expect(ledgerKeys.head('LN-2025-000001')).toEqual({ pk: 'LOAN#LN-2025-000001', sk: 'HEAD' });
  });

  it('L7/L8 events in order of effect (value date, then arrival in 9 digits), and an event by its id', () => {
    expect(ledgerKeys.event('LN-2025-000001', '2025-04-01', 12)).toEqual({ pk: 'LOAN#LN-2025-000001', sk: 'EV#2025-04-01#000000012' });
    expect(ledgerKeys.eventPrefix < ledgerKeys.event('LN-1', '0001-01-01', 0).sk).toBe(true);
    expect(ledgerKeys.event('LN-1', '9999-12-31', 999_999_999).sk < ledgerKeys.eventsEnd).toBe(true);
    expect(ledgerKeys.eventRef('LN-2025-000001', 'TRANSFER', 'T-1')).toEqual({ pk: 'LOAN#LN-2025-000001', sk: 'REF#TRANSFER#T-1' });
  });

  it('L2 a journal entry is keyed by its event-derived id', () => {
    expect(ledgerKeys.entry('LN-2025-000001', 'DISBURSEMENT#LN-2025-000001')).toEqual({ pk: 'LOAN#LN-2025-000001', sk: 'ENTRY#DISBURSEMENT#LN-2025-000001' });
  });

  it('L3/L4 a holder per lender and loan, indexed by lender', () => {
    expect(ledgerKeys.holder('LN-2025-000001', 'PARTNER-A')).toEqual({ pk: 'LOAN#LN-2025-000001', sk: 'HOLDER#PARTNER-A' });
    expect(ledgerKeys.holderIndex('PARTNER-A', 'LN-2025-000001')).toEqual({ gsi1pk: 'LENDER#PARTNER-A', gsi1sk: 'LOAN#LN-2025-000001' });
    expect(ledgerKeys.lenderPartition('PARTNER-A')).toBe('LENDER#PARTNER-A');
  });

  it('L5 entries of a business date, sharded by the loan hash', () => {
    expect(ledgerKeys.entryIndex('2025-03-01', 'LN-2025-000001', 'DISBURSEMENT#LN-2025-000001')).toEqual({
      gsi1pk: 'ENTRYDATE#2025-03-01#11',
      gsi1sk: 'LN-2025-000001#DISBURSEMENT#LN-2025-000001',
    });
    expect(ledgerKeys.entryIndex('2025-03-01', 'LN-1', 'E').gsi1pk).toBe('ENTRYDATE#2025-03-01#05');
  });
});
