import { describe, expect, it } from 'vitest';
import type { JournalEntry, Position } from '../../../../shared/domain/ledger.ts';
import type { LedgerStore, LoanStore } from '../../../../shared/ports/stores.ts';
import { validate } from '../../../../shared/contracts/validate.ts';
import { bookLoanRequest } from '../../../../shared/contracts/schemas.ts';
import { bookLoan } from '../../../../functions/loans/use-case.ts';
import { verifyShard } from '../../../../functions/ledger-check-shard/use-case.ts';
import { PARTNER_A, aProgram, bookLoanBody, defaultLenders } from '../../../support/builders.ts';
import { createInMemoryStores, sealFor, seed, type InMemoryStores } from '../../../support/in-memory-stores.ts';

// LN-2025-000001 and LN-2025-000012 fall in shard 11, LN-2025-000002 in shard 14.
const SHARD = 11;

async function bookedStores(): Promise<InMemoryStores> {
  const stores = createInMemoryStores();
  seed(stores, { lenders: defaultLenders(), programs: [aProgram()] });
  for (const loanId of ['LN-2025-000001', 'LN-2025-000012', 'LN-2025-000002']) {
    await bookLoan(stores, validate(bookLoanRequest, bookLoanBody({ loanId })), sealFor(`scope-${loanId}`), stores.clock.now());
  }
  return stores;
}

describe('verifyShard', () => {
  it('checks every loan of the shard and finds nothing on correct books', async () => {
    const stores = await bookedStores();
    expect(await verifyShard(stores, SHARD)).toEqual({ shard: SHARD, loansChecked: 2, entriesChecked: 2, differenceCount: 0, differences: [] });
    expect(await verifyShard(stores, 14)).toMatchObject({ loansChecked: 1, entriesChecked: 1, differenceCount: 0 });
    expect(await verifyShard(stores, 0)).toEqual({ shard: 0, loansChecked: 0, entriesChecked: 0, differenceCount: 0, differences: [] });
  });

  it('reports a position that no longer matches its entries', async () => {
    const stores = await bookedStores();
    const key = `LN-2025-000012#${PARTNER_A}`;
    const position = stores.db.positions.get(key);
    if (!position) throw new Error('position missing');
    stores.db.positions.set(key, { ...position, balancesMinor: { ...position.balancesMinor, PRINCIPAL_RECEIVABLE: 299_999n } });
    const result = await verifyShard(stores, SHARD);
    expect(result.differenceCount).toBe(1);
    expect(result.differences).toEqual([
      { loanId: 'LN-2025-000012', kind: 'POSITION_MISMATCH', lenderId: PARTNER_A, entryId: null, detail: 'PRINCIPAL_RECEIVABLE: entries give 300000, position holds 299999' },
    ]);
  });

  it('keeps the first 1000 differences and counts them all', async () => {
    const orphans = (loanId: string): Position[] =>
      Array.from({ length: 600 }, (_, i) => ({ lenderId: `L${i}`, loanId, currency: 'CNY', balancesMinor: { PRINCIPAL_RECEIVABLE: 1n }, version: 1 }));
    const loans: Pick<LoanStore, 'loanIdsOfShard'> = { loanIdsOfShard: async () => ['LN-A', 'LN-B'] };
    const ledger: LedgerStore = {
      positionsOfLender: async () => [],
      loanLedger: async (loanId) => ({ entries: [] as JournalEntry[], positions: orphans(loanId) }),
      entriesOfDate: async () => [],
      entriesOfDayShard: async () => [],
      entryPagesOfDayShard: async function* () {
        yield* [];
      },
    };
    const result = await verifyShard({ loans: loans as LoanStore, ledger }, 3);
    expect(result.differenceCount).toBe(1200);
    expect(result.differences).toHaveLength(1000);
    expect(result.differences[999]).toMatchObject({ loanId: 'LN-B', lenderId: 'L399', kind: 'POSITION_WITHOUT_ENTRIES' });
  });
});
