import { createHash } from 'node:crypto';
import { NotFound, ValidationError } from '../../../../shared/domain/errors.ts';
import { HttpError } from '../../../../shared/http/errors.ts';
import { describe, expect, it } from 'vitest';
import { runIdempotent } from '../../../../shared/http/idempotency.ts';
import type { LedgerCheckReport } from '../../../../shared/ports/stores.ts';
import { getLedgerCheck, startLedgerCheck } from '../../../../functions/ledger-checks/use-case.ts';
import { NOW } from '../../../support/builders.ts';
import { rejectedBy } from '../../../support/expect-error.ts';
import { createInMemoryStores, sealFor, type InMemoryStores } from '../../../support/in-memory-stores.ts';

const KEY = 'check-2025-02-28-a';
const KEY_HASH = createHash('sha256').update(KEY).digest('hex').slice(0, 16);
const EXECUTION = `ledger-check-2025-02-28-${KEY_HASH}`;

function start(stores: InMemoryStores, businessDate: string, key = KEY) {
  return runIdempotent(stores.idempotency, { operation: 'startLedgerCheck', clientId: 'fin', userId: 'fin', key, body: { businessDate }, now: NOW }, (seal) =>
    startLedgerCheck(stores, businessDate, key, seal),
  );
}

describe('startLedgerCheck', () => {
  it('starts an execution named by the date and a hash of the key, and records a 202', async () => {
    const stores = createInMemoryStores();
    await startLedgerCheck(stores, '2025-02-28', KEY, sealFor('scope'));
    expect(EXECUTION).toMatch(/^ledger-check-2025-02-28-[0-9a-f]{16}$/);
    expect(stores.workflow.starts).toEqual([{ name: EXECUTION, input: { businessDate: '2025-02-28' } }]);
    const record = stores.db.idempotency.get('scope');
    expect(record?.statusCode).toBe(202);
    expect(JSON.parse(record?.responseBody ?? '')).toEqual({
      businessDate: '2025-02-28',
      executionArn: `arn:aws:states:cn-north-1:123456789012:execution:LedgerCheck:${EXECUTION}`,
      status: 'STARTED',
    });
  });

  it('names two requests with different keys differently, so both run', async () => {
    const stores = createInMemoryStores();
    await start(stores, '2025-02-28', KEY);
    await start(stores, '2025-02-28', 'check-2025-02-28-b');
    const [first, second] = stores.workflow.starts;
    expect(first?.name).not.toBe(second?.name);
  });

  it('replays the first answer for the same key and date without starting again', async () => {
    const stores = createInMemoryStores();
    const first = await start(stores, '2025-02-28');
    const again = await start(stores, '2025-02-28');
    expect(again).toEqual({ ...first, replayed: true });
    expect(stores.workflow.starts).toHaveLength(1);
  });

  it('refuses the same key for another date, and starts nothing', async () => {
    const stores = createInMemoryStores();
    await start(stores, '2025-02-28');
    const error = await rejectedBy(HttpError, () => start(stores, '2025-03-01'));
    expect([error.statusCode, error.code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
    expect(stores.workflow.starts).toHaveLength(1);
  });
});

describe('getLedgerCheck', () => {
  it('returns the report of the date', async () => {
    const stores = createInMemoryStores();
    const report: LedgerCheckReport = { businessDate: '2025-02-28', status: 'BALANCED', loansChecked: 3, entriesChecked: 3, differenceCount: 0, completedAt: NOW };
    await stores.ledgerChecks.put(report);
    expect(await getLedgerCheck(stores, '2025-02-28', { limit: 50 })).toEqual({ ...report, differences: [], cursor: null });
  });

  it("pages the date's differences as the shards stored them: 3 a page, shard by shard, then no cursor", async () => {
    const stores = createInMemoryStores();
    await stores.ledgerChecks.put({ businessDate: '2025-02-28', status: 'DIFFERENCES', loansChecked: 4, entriesChecked: 4, differenceCount: 5, completedAt: NOW });
    const difference = (loanId: string) => ({ loanId, kind: 'POSITION_MISSING', lenderId: 'A', entryId: null, detail: 'd' });
    await stores.runDetails.replace('LEDGERCHECK#2025-02-28', 11, [difference('LN-11a'), difference('LN-11b')]);
    await stores.runDetails.replace('LEDGERCHECK#2025-02-28', 2, [difference('LN-2a'), difference('LN-2b'), difference('LN-2c')]);
    await stores.runDetails.replace('LEDGERCHECK#2025-02-27', 0, [difference('LN-other-date')]);
    const first = await getLedgerCheck(stores, '2025-02-28', { limit: 3 });
    expect(first.differences.map((d) => d.loanId)).toEqual(['LN-2a', 'LN-2b', 'LN-2c']);
    const second = await getLedgerCheck(stores, '2025-02-28', { limit: 3, cursor: first.cursor ?? '' });
    expect([second.differences.map((d) => d.loanId), second.cursor]).toEqual([['LN-11a', 'LN-11b'], null]);
    expect(second.differenceCount).toBe(5);
  });

  it("refuses a cursor of another date's differences, or one tampered with, as a 400 naming cursor", async () => {
    const stores = createInMemoryStores();
    await stores.ledgerChecks.put({ businessDate: '2025-02-28', status: 'DIFFERENCES', loansChecked: 4, entriesChecked: 4, differenceCount: 1, completedAt: NOW });
    await stores.ledgerChecks.put({ businessDate: '2025-02-27', status: 'DIFFERENCES', loansChecked: 4, entriesChecked: 4, differenceCount: 1, completedAt: NOW });
    await stores.runDetails.replace('LEDGERCHECK#2025-02-27', 0, [{ loanId: 'X' }, { loanId: 'Y' }]);
    const other = await getLedgerCheck(stores, '2025-02-27', { limit: 1 });
    for (const cursor of [other.cursor ?? '', 'not-a-cursor', Buffer.from('{"pk":1,"sk":"x"}').toString('base64url')]) {
      const error = await rejectedBy(ValidationError, () => getLedgerCheck(stores, '2025-02-28', { limit: 1, cursor }));
      expect(error.details).toEqual({ path: 'cursor', rule: 'cursor' });
    }
  });

  it('answers 404 for a date without a report', async () => {
    const error = await rejectedBy(NotFound, () => getLedgerCheck(createInMemoryStores(), '2025-02-27', { limit: 50 }));
    expect([error.code, error.message]).toEqual(['NOT_FOUND', 'ledgerCheck 2025-02-27 was not found']);
  });
});
