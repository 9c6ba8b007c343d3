import { describe, expect, it } from 'vitest';
import { recordReport } from '../../../../functions/ledger-check-report/use-case.ts';
import type { ShardResult } from '../../../../shared/contracts/ledger-check.ts';
import { createInMemoryStores } from '../../../support/in-memory-stores.ts';

const COMPLETED = '2025-03-01T16:03:00.000Z';

function shard(n: number, loansChecked: number, differenceCount = 0): ShardResult {
  return { shard: n, loansChecked, entriesChecked: loansChecked * 2, differenceCount };
}

describe('recordReport', () => {
  it('is BALANCED when no shard found a difference, and is stored', async () => {
    const stores = createInMemoryStores(COMPLETED);
    const report = await recordReport(stores, { businessDate: '2025-02-28', shards: [shard(0, 3), shard(1, 4), shard(2, 0)] });
    expect(report).toEqual({ businessDate: '2025-02-28', status: 'BALANCED', loansChecked: 7, entriesChecked: 14, differenceCount: 0, completedAt: COMPLETED });
    expect(stores.db.ledgerChecks.get('2025-02-28')).toEqual(report);
  });

  it('is DIFFERENCES with the count of every shard, the differences left where the shards stored them', async () => {
    const stores = createInMemoryStores(COMPLETED);
    const report = await recordReport(stores, { businessDate: '2025-02-28', shards: [shard(0, 2, 1), shard(1, 1), shard(2, 5, 12_499)] });
    expect(report).toEqual({ businessDate: '2025-02-28', status: 'DIFFERENCES', loansChecked: 8, entriesChecked: 16, differenceCount: 12_500, completedAt: COMPLETED });
  });

  it('reports the business date the scheduled run closes (China Standard Time)', async () => {
    const stores = createInMemoryStores();
    expect((await recordReport(stores, { scheduledTime: '2025-03-01T16:00:00Z', shards: [] })).businessDate).toBe('2025-03-01');
    expect((await recordReport(stores, { scheduledTime: '2025-01-01T00:30:00+08:00', shards: [] })).businessDate).toBe('2024-12-31');
    expect((await recordReport(stores, { scheduledTime: '2024-02-29T17:00:00Z', shards: [] })).businessDate).toBe('2024-02-29');
  });

  it('prefers a business date that is given to the scheduled time', async () => {
    const report = await recordReport(createInMemoryStores(), { businessDate: '2025-02-20', scheduledTime: '2025-03-01T16:00:00Z', shards: [] });
    expect(report.businessDate).toBe('2025-02-20');
  });

  it('replaces the report of an earlier run of the same date', async () => {
    const stores = createInMemoryStores();
    await recordReport(stores, { businessDate: '2025-02-28', shards: [shard(0, 1, 1)] });
    stores.clock.set(COMPLETED);
    await recordReport(stores, { businessDate: '2025-02-28', shards: [shard(0, 1)] });
    expect(stores.db.ledgerChecks.get('2025-02-28')).toMatchObject({ status: 'BALANCED', completedAt: COMPLETED });
    expect(stores.db.ledgerChecks.size).toBe(1);
  });
});
