import { describe, expect, it } from 'vitest';
import type { LedgerDifference } from '../../../../shared/domain/ledger-check.ts';
import { recordReport } from '../../../../functions/ledger-check-report/use-case.ts';
import type { ShardResult } from '../../../../shared/contracts/ledger-check.ts';
import { createInMemoryStores } from '../../../support/in-memory-stores.ts';

const COMPLETED = '2025-03-01T16:03:00.000Z';

function difference(loanId: string, i = 0): LedgerDifference {
  return { loanId, kind: 'POSITION_MISMATCH', lenderId: `L${i}`, entryId: null, detail: 'PRINCIPAL_RECEIVABLE: entries give 1, position holds 0' };
}

function shard(n: number, loansChecked: number, differences: LedgerDifference[] = [], differenceCount = differences.length): ShardResult {
  return { shard: n, loansChecked, entriesChecked: loansChecked * 2, differenceCount, differences };
}

describe('recordReport', () => {
  it('is BALANCED when no shard found a difference, and is stored', async () => {
    const stores = createInMemoryStores(COMPLETED);
    const report = await recordReport(stores, { businessDate: '2025-02-28', shards: [shard(0, 3), shard(1, 4), shard(2, 0)] });
    expect(report).toEqual({ businessDate: '2025-02-28', status: 'BALANCED', loansChecked: 7, entriesChecked: 14, differences: [], differenceCount: 0, completedAt: COMPLETED });
    expect(stores.db.ledgerChecks.get('2025-02-28')).toEqual(report);
  });

  it('is DIFFERENCES with every shard difference, in shard order', async () => {
    const stores = createInMemoryStores(COMPLETED);
    const report = await recordReport(stores, { businessDate: '2025-02-28', shards: [shard(0, 2, [difference('LN-A')]), shard(1, 1), shard(2, 5, [difference('LN-B'), difference('LN-C')])] });
    expect(report.status).toBe('DIFFERENCES');
    expect(report.differenceCount).toBe(3);
    expect(report.differences.map((d) => d.loanId)).toEqual(['LN-A', 'LN-B', 'LN-C']);
  });

  it('counts differences a shard did not keep, and keeps at most 1000', async () => {
    const many = (loanId: string) => Array.from({ length: 700 }, (_, i) => difference(loanId, i));
    const report = await recordReport(createInMemoryStores(), { businessDate: '2025-02-28', shards: [shard(0, 1, many('LN-A'), 900), shard(1, 1, many('LN-B'))] });
    expect(report.differenceCount).toBe(1600);
    expect(report.differences).toHaveLength(1000);
    expect(report.differences[999]).toEqual(difference('LN-B', 299));
    expect(report.status).toBe('DIFFERENCES');
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
    await recordReport(stores, { businessDate: '2025-02-28', shards: [shard(0, 1, [difference('LN-A')])] });
    stores.clock.set(COMPLETED);
    await recordReport(stores, { businessDate: '2025-02-28', shards: [shard(0, 1)] });
    expect(stores.db.ledgerChecks.get('2025-02-28')).toMatchObject({ status: 'BALANCED', completedAt: COMPLETED });
    expect(stores.db.ledgerChecks.size).toBe(1);
  });
});
