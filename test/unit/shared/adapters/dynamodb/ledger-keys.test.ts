import { describe, expect, it } from 'vitest';
import { ledgerKeys } from '../../../../../shared/adapters/dynamodb/ledger-keys.ts';

describe('ledgerKeys (docs/access-patterns.md L1-L5)', () => {
  it('L1 a loan partition holds its entries and positions', () => {
    expect(ledgerKeys.loanPartition('LN-2025-000001')).toBe('LOAN#LN-2025-000001');
    expect(ledgerKeys.entryPrefix).toBe('ENTRY#');
    expect(ledgerKeys.positionPrefix).toBe('POS#');
  });

  it('L2 a journal entry is keyed by its event-derived id', () => {
    expect(ledgerKeys.entry('LN-2025-000001', 'DISBURSEMENT#LN-2025-000001')).toEqual({ pk: 'LOAN#LN-2025-000001', sk: 'ENTRY#DISBURSEMENT#LN-2025-000001' });
  });

  it('L3/L4 a position per lender and loan, indexed by lender', () => {
    expect(ledgerKeys.position('LN-2025-000001', 'PARTNER-A')).toEqual({ pk: 'LOAN#LN-2025-000001', sk: 'POS#PARTNER-A' });
    expect(ledgerKeys.positionIndex('PARTNER-A', 'LN-2025-000001')).toEqual({ gsi1pk: 'LENDER#PARTNER-A', gsi1sk: 'LOAN#LN-2025-000001' });
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
