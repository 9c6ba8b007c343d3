import { expiresAtEpochSeconds } from '../../../../../shared/http/idempotency.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { ConditionalCheckFailedException, DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../../../../shared/adapters/dynamodb/index.ts';
import { DynamoAdjustmentStore } from '../../../../../shared/adapters/dynamodb/adjustment-store.ts';
import { DynamoBreakStore } from '../../../../../shared/adapters/dynamodb/break-store.ts';
import { proposeAdjustment } from '../../../../../shared/domain/adjustment.ts';
import { ValidationError } from '../../../../../shared/domain/errors.ts';
import { WriteConflict, type IdempotencyRecord } from '../../../../../shared/ports/stores.ts';
import { aBreak, aProposal, BREAK_ID } from '../../../../support/adjustments.ts';
import { NOW, PARTNER_A } from '../../../../support/builders.ts';
import { rejectedBy } from '../../../../support/expect-error.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const TABLES = { ledger: 'LedgerTable-test', state: 'StateTable-test' };
const doc = createDocumentClient(new DynamoDBClient({ region: 'cn-north-1' }));
const store = new DynamoAdjustmentStore(doc, TABLES);
afterEach(() => ddb.reset());

const adjustment = proposeAdjustment(aProposal(), 'finance-maker', NOW);
/** The item as stored: keys, index, entity type, the amount as a string. */
const item = { pk: 'ADJUSTMENT#ADJ-1', sk: 'ADJUSTMENT', gsi1pk: 'ADJUSTMENTS#PROPOSED', gsi1sk: `${NOW}#ADJ-1`, entityType: 'Adjustment', ...adjustment, amountMinor: '150' };
const conditionFailed = () => new ConditionalCheckFailedException({ message: 'failed', $metadata: {} });

describe('DynamoAdjustmentStore (docs/reconciliation.md R5)', () => {
  it('creates an adjustment once, indexed by state and proposal time, its amount a string', async () => {
    ddb.on(PutCommand).resolves({});
    await store.create(adjustment);
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input).toEqual({ TableName: TABLES.state, Item: item, ConditionExpression: 'attribute_not_exists(pk)' });
  });

  it('refuses an id taken (ALREADY_EXISTS) and a write on a version that moved (VERSION)', async () => {
    ddb.on(PutCommand).rejects(conditionFailed());
    expect((await rejectedBy(WriteConflict, () => store.create(adjustment))).reason).toBe('ALREADY_EXISTS');
    const error = await rejectedBy(WriteConflict, () => store.put({ ...adjustment, state: 'REJECTED', version: 2 }, 1));
    expect([error.reason, error.entity]).toEqual(['VERSION', 'adjustment']);
  });

  it('writes a change on the version read, moving it to the index of its new state', async () => {
    ddb.on(PutCommand).resolves({});
    await store.put({ ...adjustment, state: 'REJECTED', version: 2 }, 1);
    const input = ddb.commandCalls(PutCommand)[0]?.args[0].input;
    expect([input?.Item?.gsi1pk, input?.ConditionExpression, input?.ExpressionAttributeValues]).toEqual(['ADJUSTMENTS#REJECTED', 'version = :v', { ':v': 1 }]);
  });

  it('reads an adjustment consistently, its amount a bigint again', async () => {
    ddb.on(GetCommand, { TableName: TABLES.state, Key: { pk: 'ADJUSTMENT#ADJ-1', sk: 'ADJUSTMENT' }, ConsistentRead: true }).resolves({ Item: item });
    expect(await store.get('ADJ-1')).toEqual(adjustment);
    ddb.on(GetCommand).resolves({});
    expect(await store.get('ADJ-2')).toBeNull();
  });

  it("lists a state's partition a page at a time, one query a request; a lender's listing filters on the two parties and may answer fewer than the limit", async () => {
    const lastKey = { pk: 'ADJUSTMENT#ADJ-1', sk: 'ADJUSTMENT', gsi1pk: 'ADJUSTMENTS#PROPOSED', gsi1sk: `${NOW}#ADJ-1` };
    ddb.on(QueryCommand).resolvesOnce({ Items: [item], LastEvaluatedKey: lastKey }).resolves({ Items: [] });
    const page = await store.list({ state: 'PROPOSED', lenderId: PARTNER_A, limit: 2 });
    expect(page.items.map((a) => a.adjustmentId)).toEqual(['ADJ-1']);
    expect(page.cursor).not.toBeNull();
    const inputs = () => ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(inputs()).toEqual([
      {
        TableName: TABLES.state,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :p',
        FilterExpression: 'lenderId = :l OR counterparty = :l',
        ExpressionAttributeValues: { ':p': 'ADJUSTMENTS#PROPOSED', ':l': PARTNER_A },
        Limit: 2,
      },
    ]);
    const next = await store.list({ state: 'PROPOSED', lenderId: PARTNER_A, limit: 2, cursor: page.cursor! });
    expect(next).toEqual({ items: [], cursor: null });
    expect(inputs()[1]?.ExclusiveStartKey).toEqual(lastKey);
    // A cursor of the proposed ones is not a cursor of the approved ones.
    const error = await rejectedBy(ValidationError, () => store.list({ state: 'APPROVED', lenderId: null, limit: 10, cursor: page.cursor! }));
    expect(error.details).toEqual({ path: 'cursor', rule: 'cursor' });
    expect(inputs()).toHaveLength(2);
  });

  it('refuses a cursor no listing gave, naming it', async () => {
    const error = await rejectedBy(ValidationError, () => store.list({ state: 'PROPOSED', lenderId: null, limit: 10, cursor: 'not-a-cursor' }));
    expect(error.details).toEqual({ path: 'cursor', rule: 'cursor' });
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
  });
});

describe('DynamoBreakStore: a break changed with the idempotency record of the request', () => {
  const breaks = new DynamoBreakStore(doc, TABLES);
  const record: IdempotencyRecord = { scopeKey: 'actOnBreak#finance-user#key-0001', requestHash: 'a'.repeat(64), statusCode: 200, responseBody: '{}', createdAt: NOW, expiresAtEpochSeconds: expiresAtEpochSeconds(NOW) };
  const changed = { ...aBreak(), state: 'INVESTIGATING' as const, version: 2 };

  it('writes both in one transaction: the record once, the break on its version', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await breaks.put(changed, 1, record);
    const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items.map((i) => [i.Put?.Item?.pk, i.Put?.Item?.sk, i.Put?.Item?.gsi1pk, i.Put?.ConditionExpression, i.Put?.ExpressionAttributeValues])).toEqual([
      [`IDEM#${record.scopeKey}`, 'IDEM', undefined, 'attribute_not_exists(pk)', undefined],
      [`BREAK#${BREAK_ID}`, 'BREAK', 'BREAKS#INVESTIGATING', 'version = :v', { ':v': 1 }],
    ]);
    expect(items[1]?.Put?.Item?.differenceMinor).toBe('-150');
  });

  it('tells a break that moved (VERSION) from a key already used (IDEMPOTENCY_KEY)', async () => {
    const cancelled = (at: number) =>
      new TransactionCanceledException({ message: 'cancelled', $metadata: {}, CancellationReasons: [0, 1].map((i) => ({ Code: i === at ? 'ConditionalCheckFailed' : 'None' })) });
    ddb.on(TransactWriteCommand).rejectsOnce(cancelled(1)).rejectsOnce(cancelled(0));
    expect((await rejectedBy(WriteConflict, () => breaks.put(changed, 1, record))).reason).toBe('VERSION');
    expect((await rejectedBy(WriteConflict, () => breaks.put(changed, 1, record))).reason).toBe('IDEMPOTENCY_KEY');
  });

  it('writes a break alone with a conditional put, as before', async () => {
    ddb.on(PutCommand).rejects(conditionFailed());
    expect((await rejectedBy(WriteConflict, () => breaks.put(changed, 1))).reason).toBe('VERSION');
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });
});

describe('DynamoBreakStore.list: a page across the states, one query per state at most', () => {
  const breaks = new DynamoBreakStore(doc, TABLES);
  const stored = (breakId: string, state: string) => ({ pk: `BREAK#${breakId}`, sk: 'BREAK', gsi1pk: `BREAKS#${state}`, gsi1sk: `${PARTNER_A}#2025-03-03#${breakId}`, entityType: 'ReconciliationBreak', ...aBreak({ breakId, state: state as 'OPEN' }), oursMinor: '2700', theirsMinor: '2550', differenceMinor: '-150' });

  it('fills the page from the open breaks, then the investigating ones, and goes on from the last key in the state it stopped in', async () => {
    const lastKey = { pk: 'BREAK#B-3', sk: 'BREAK', gsi1pk: 'BREAKS#INVESTIGATING', gsi1sk: `${PARTNER_A}#2025-03-03#B-3` };
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [stored('B-1', 'OPEN'), stored('B-2', 'OPEN')] })
      .resolvesOnce({ Items: [stored('B-3', 'INVESTIGATING')], LastEvaluatedKey: lastKey })
      .resolves({ Items: [] });
    const page = await breaks.list({ limit: 3 });
    expect(page.items.map((b) => b.breakId)).toEqual(['B-1', 'B-2', 'B-3']);
    const inputs = () => ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(inputs().map((i) => [i.ExpressionAttributeValues?.[':p'], i.Limit])).toEqual([
      ['BREAKS#OPEN', 3],
      ['BREAKS#INVESTIGATING', 1],
    ]);
    const next = await breaks.list({ limit: 3, cursor: page.cursor! });
    expect(next).toEqual({ items: [], cursor: null });
    // It goes on in INVESTIGATING from the last key, then reads RESOLVED and ACCEPTED, never OPEN again.
    expect(inputs().slice(2).map((i) => [i.ExpressionAttributeValues?.[':p'], i.ExclusiveStartKey])).toEqual([
      ['BREAKS#INVESTIGATING', lastKey],
      ['BREAKS#RESOLVED', undefined],
      ['BREAKS#ACCEPTED', undefined],
    ]);
  });

  it("refuses a cursor of a state the listing does not read, or of another lender's breaks, without reading", async () => {
    const cursor = (key: object) => Buffer.from(JSON.stringify(key)).toString('base64url');
    const resolved = cursor({ pk: 'BREAK#B-9', sk: 'BREAK', gsi1pk: 'BREAKS#RESOLVED', gsi1sk: `${PARTNER_A}#2025-03-03#B-9` });
    expect((await rejectedBy(ValidationError, () => breaks.list({ state: 'OPEN', limit: 3, cursor: resolved }))).details).toEqual({ path: 'cursor', rule: 'cursor' });
    const otherLender = cursor({ pk: 'BREAK#B-9', sk: 'BREAK', gsi1pk: 'BREAKS#OPEN', gsi1sk: 'PARTNER-B#2025-03-03#B-9' });
    expect((await rejectedBy(ValidationError, () => breaks.list({ lenderId: PARTNER_A, limit: 3, cursor: otherLender }))).details).toEqual({ path: 'cursor', rule: 'cursor' });
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
  });
});
