import { describe, expect, it } from 'vitest';
import type { JournalEntry, Position } from '../../../../shared/domain/ledger.ts';
import type { LedgerStore, LoanStore } from '../../../../shared/ports/stores.ts';
import { validate } from '../../../../shared/contracts/validate.ts';
import { bookLoanRequest } from '../../../../shared/contracts/schemas.ts';
import { bookLoan } from '../../../../functions/loans/use-case.ts';
import { verifyShard } from '../../../../functions/ledger-check-shard/use-case.ts';
import { PARTNER_A, aProgram, bookLoanBody, defaultLenders } from '../../../support/builders.ts';
import { InMemoryRunDetailStore, createInMemoryStores, sealFor, seed, type InMemoryStores } from '../../../support/in-memory-stores.ts';

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

const DATE = '2025-02-28';
const run = (stores: InMemoryStores, shard: number) => verifyShard(stores, { shard, businessDate: DATE });
const stored = (stores: { runDetails: InMemoryStores['runDetails'] }, shard: number) => stores.runDetails.parts.get(`LEDGERCHECK#${DATE}`)?.get(shard);

describe('verifyShard', () => {
  it('checks every loan of the shard and finds nothing on correct books', async () => {
    const stores = await bookedStores();
    expect(await run(stores, SHARD)).toEqual({ shard: SHARD, loansChecked: 2, entriesChecked: 2, differenceCount: 0 });
    expect(await run(stores, 14)).toMatchObject({ loansChecked: 1, entriesChecked: 1, differenceCount: 0 });
    expect(await run(stores, 0)).toEqual({ shard: 0, loansChecked: 0, entriesChecked: 0, differenceCount: 0 });
    expect(stored(stores, SHARD)).toEqual([]);
  });

  it('stores a position that no longer matches its entries with the date, and passes on its count', async () => {
    const stores = await bookedStores();
    const key = `LN-2025-000012#${PARTNER_A}`;
    const position = stores.db.positions.get(key);
    if (!position) throw new Error('position missing');
    stores.db.positions.set(key, { ...position, balancesMinor: { ...position.balancesMinor, PRINCIPAL_RECEIVABLE: 299_999n } });
    expect(await run(stores, SHARD)).toEqual({ shard: SHARD, loansChecked: 2, entriesChecked: 2, differenceCount: 1 });
    expect(stored(stores, SHARD)).toEqual([
      { loanId: 'LN-2025-000012', kind: 'POSITION_MISMATCH', lenderId: PARTNER_A, entryId: null, detail: 'PRINCIPAL_RECEIVABLE: entries give 300000, position holds 299999' },
    ]);
    // Corrected books checked again replace what the first run stored.
    stores.db.positions.set(key, position);
    expect((await run(stores, SHARD)).differenceCount).toBe(0);
    expect(stored(stores, SHARD)).toEqual([]);
  });

  it('stores every difference of the shard, however many, and counts them all', async () => {
    const orphans = (loanId: string): Position[] =>
      Array.from({ length: 600 }, (_, i) => ({ lenderId: `L${i}`, loanId, currency: 'CNY', balancesMinor: { PRINCIPAL_RECEIVABLE: 1n }, version: 1 }));
    const loans: Pick<LoanStore, 'loanIdsOfShard'> = { loanIdsOfShard: async () => ['LN-A', 'LN-B'] };
    const ledger: LedgerStore = {
      positionsOfLender: async () => ({ items: [], cursor: null }),
      entryPageOfDays: async () => ({ items: [], cursor: null }),
      loanLedger: async (loanId) => ({ entries: [] as JournalEntry[], positions: orphans(loanId) }),
      entriesOfDate: async () => [],
      entriesOfDayShard: async () => [],
      entryPagesOfDayShard: async function* () {
        yield* [];
      },
    };
    const runDetails = new InMemoryRunDetailStore();
    const result = await verifyShard({ loans: loans as LoanStore, ledger, runDetails }, { shard: 3, scheduledTime: '2025-02-28T16:00:00Z' });
    expect(result).toEqual({ shard: 3, loansChecked: 2, entriesChecked: 0, differenceCount: 1200 });
    expect(stored({ runDetails }, 3)).toHaveLength(1200);
    expect(stored({ runDetails }, 3)?.[1199]).toMatchObject({ loanId: 'LN-B', lenderId: 'L599', kind: 'POSITION_WITHOUT_ENTRIES' });
  });
});
