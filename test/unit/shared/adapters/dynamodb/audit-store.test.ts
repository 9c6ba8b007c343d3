import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoAuditStore, auditTableFromEnv } from '../../../../../shared/adapters/dynamodb/audit-store.ts';
import { createDocumentClient } from '../../../../../shared/adapters/dynamodb/client.ts';
import { auditKeys } from '../../../../../shared/adapters/dynamodb/audit-keys.ts';
import { GENESIS_HASH, chainOf, chainRecord, type AuditEvent } from '../../../../../shared/domain/audit.ts';
import { ValidationError } from '../../../../../shared/domain/errors.ts';
import { rejectedBy } from '../../../../support/expect-error.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const newStore = (): DynamoAuditStore => new DynamoAuditStore(createDocumentClient(new DynamoDBClient({ region: 'cn-north-1' })), 'Audit');
/** A store of its own per test: a store knows the heads it wrote. */
let store = newStore();
beforeEach(() => {
  store = newStore();
});
afterEach(() => ddb.reset());

const EVENT: AuditEvent = {
  auditKey: 'REQ#bookLoan#lead-ops-client#k-1',
  at: '2025-03-01T02:00:00.000Z',
  actor: { kind: 'USER', principalId: 'lead-ops-client', clientId: 'lead-ops-client', roles: ['LEAD'] },
  action: 'bookLoan',
  route: 'POST /v1/loans',
  target: {},
  requestId: 'req-1',
  executionId: null,
  status: 201,
  before: null,
  after: { loanId: 'L-1' },
  lenderIds: ['PARTNER-A', 'LEAD-BANK'],
};
const CHAIN = chainOf(EVENT.auditKey);
/** Another request's audit key on the same chain as EVENT's. */
const AGAIN = Array.from({ length: 100 }, (_, i) => `${EVENT.auditKey}-${i}`).find((k) => chainOf(k) === CHAIN) as string;

function cancelled(...codes: string[]): TransactionCanceledException {
  return new TransactionCanceledException({ message: 'cancelled', $metadata: {}, CancellationReasons: codes.map((Code) => ({ Code })) });
}

describe('DynamoAuditStore.append', () => {
  it('reads the head consistently and puts the once-marker, the record and a pointer per lender, each only if new', async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ seq: 6, hash: 'b'.repeat(64) }] });
    ddb.on(TransactWriteCommand).resolves({});
    const record = await store.append(EVENT);
    expect(record).toMatchObject({ seq: 7, prevHash: 'b'.repeat(64), chain: CHAIN, date: '2025-03-01', lenderIds: ['LEAD-BANK', 'PARTNER-A'] });
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({ TableName: 'Audit', ScanIndexForward: false, Limit: 1, ConsistentRead: true, ExpressionAttributeValues: { ':p': `DAY#2025-03-01#C0${CHAIN}`, ':s': 'SEQ#' } });
    const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items.map((i) => [i.Put?.Item?.pk, i.Put?.Item?.sk, i.Put?.ConditionExpression])).toEqual([
      [auditKeys.once(EVENT.auditKey).pk, 'ONCE', 'attribute_not_exists(pk)'],
      [`DAY#2025-03-01#C0${CHAIN}`, 'SEQ#000000000007', 'attribute_not_exists(pk)'],
      ['LENDER#LEAD-BANK#2025-03-01', `2025-03-01T02:00:00.000Z#C0${CHAIN}#000000000007`, 'attribute_not_exists(pk)'],
      ['LENDER#PARTNER-A#2025-03-01', `2025-03-01T02:00:00.000Z#C0${CHAIN}#000000000007`, 'attribute_not_exists(pk)'],
    ]);
    expect(items[1]?.Put?.Item).toMatchObject({ entityType: 'AuditRecord', hash: record?.hash, status: 201, seq: 7 });
    expect(items.every((i) => i.Update === undefined && i.Delete === undefined)).toBe(true);
  });

  it('reads the head again when another writer took the seq, and follows it', async () => {
    const other = chainRecord({ ...EVENT, auditKey: 'other' }, null);
    ddb.on(QueryCommand).resolvesOnce({ Items: [] }).resolves({ Items: [{ seq: 1, hash: other.hash }] });
    ddb.on(TransactWriteCommand).rejectsOnce(cancelled('None', 'ConditionalCheckFailed', 'None', 'None')).resolves({});
    const record = await store.append(EVENT);
    expect(record).toMatchObject({ seq: 2, prevHash: other.hash });
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(2);
  });

  it('writes nothing and answers null when the audit key was recorded before', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None', 'None', 'None'));
    expect(await store.append(EVENT)).toBeNull();
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it('follows the record it wrote last on a chain without reading the head again', async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ seq: 6, hash: 'b'.repeat(64) }] });
    ddb.on(TransactWriteCommand).resolves({});
    const first = await store.append(EVENT);
    const second = await store.append({ ...EVENT, auditKey: AGAIN, at: '2025-03-01T02:00:01.000Z' });
    expect(second).toMatchObject({ chain: CHAIN, seq: 8, prevHash: first?.hash });
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(1);
  });

  it('writes appends of one chain made at once one after the other: consecutive seqs, one read of the head, no seq lost', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(TransactWriteCommand).resolves({});
    const keys = Array.from({ length: 200 }, (_, i) => `REQ#bookLoan#c#k-${i}`).filter((k) => chainOf(k) === CHAIN).slice(0, 5);
    const records = await Promise.all(keys.map((auditKey) => store.append({ ...EVENT, auditKey })));
    expect(records.map((r) => r?.seq)).toEqual([1, 2, 3, 4, 5]);
    for (let i = 1; i < records.length; i++) expect(records[i]?.prevHash).toBe(records[i - 1]?.hash);
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(1);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(5);
  });

  it('reads the head again after another process took the seq it expected to follow', async () => {
    ddb.on(QueryCommand).resolvesOnce({ Items: [] }).resolves({ Items: [{ seq: 4, hash: 'c'.repeat(64) }] });
    ddb.on(TransactWriteCommand).resolvesOnce({}).rejectsOnce(cancelled('None', 'ConditionalCheckFailed', 'None', 'None')).resolves({});
    await store.append(EVENT);
    const later = await store.append({ ...EVENT, auditKey: AGAIN });
    expect(later).toMatchObject({ seq: 5, prevHash: 'c'.repeat(64) });
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(2);
    expect(ddb.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems?.[1]?.Put?.Item?.sk)).toEqual(['SEQ#000000000001', 'SEQ#000000000002', 'SEQ#000000000005']);
  });

  it('starts a chain at the genesis hash', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(TransactWriteCommand).resolves({});
    expect(await store.append(EVENT)).toMatchObject({ seq: 1, prevHash: GENESIS_HASH });
  });
});

describe('DynamoAuditStore.page', () => {
  it('hands the next chain on when a chain is read to its end, and stops after the last', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    const first = await store.page('2025-03-01', null, { limit: 10 });
    expect(first.cursor).not.toBeNull();
    const second = await store.page('2025-03-01', null, { limit: 10, cursor: first.cursor as string });
    expect(ddb.commandCalls(QueryCommand)[1]?.args[0].input).toMatchObject({ ExpressionAttributeValues: { ':p': 'DAY#2025-03-01#C01' }, ExclusiveStartKey: { pk: 'DAY#2025-03-01#C01', sk: 'SEQ#' } });
    let cursor = second.cursor;
    for (let chain = 2; chain < 8; chain++) cursor = (await store.page('2025-03-01', null, { limit: 10, cursor: cursor as string })).cursor;
    expect(cursor).toBeNull();
  });

  it("reads a lender's pointers, then its records by key", async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ pk: 'LENDER#PARTNER-A#2025-03-01', sk: 'x', chain: 3, seq: 9 }] });
    ddb.on(BatchGetCommand).resolves({ Responses: { Audit: [{ pk: 'DAY#2025-03-01#C03', sk: 'SEQ#000000000009', entityType: 'AuditRecord', seq: 9, chain: 3 }] } });
    const page = await store.page('2025-03-01', 'PARTNER-A', { limit: 10 });
    expect(page).toEqual({ items: [{ seq: 9, chain: 3 }], cursor: null });
    expect(ddb.commandCalls(BatchGetCommand)[0]?.args[0].input.RequestItems?.Audit?.Keys).toEqual([{ pk: 'DAY#2025-03-01#C03', sk: 'SEQ#000000000009' }]);
  });

  it("refuses a cursor of another day's or another lender's listing before reading", async () => {
    const otherDay = Buffer.from(JSON.stringify({ pk: 'DAY#2025-03-02#C00', sk: 'SEQ#' })).toString('base64url');
    await rejectedBy(ValidationError, () => store.page('2025-03-01', null, { limit: 10, cursor: otherDay }));
    const otherLender = Buffer.from(JSON.stringify({ pk: 'LENDER#B#2025-03-01', sk: 'x' })).toString('base64url');
    await rejectedBy(ValidationError, () => store.page('2025-03-01', 'PARTNER-A', { limit: 10, cursor: otherLender }));
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
  });
});

describe('auditTableFromEnv', () => {
  it('reads AUDIT_TABLE, or says it is missing', () => {
    expect(auditTableFromEnv({ AUDIT_TABLE: 'A' })).toBe('A');
    expect(() => auditTableFromEnv({})).toThrow('AUDIT_TABLE must be set');
  });
});
