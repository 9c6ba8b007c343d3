import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { InvariantViolation } from '../../../../../shared/domain/errors.ts';
import { createDocumentClient, createStores } from '../../../../../shared/adapters/dynamodb/index.ts';
import { guardKeys } from '../../../../../shared/adapters/dynamodb/key-guard.ts';
import { stateFamilies } from '../../../../../shared/adapters/dynamodb/state-keys.ts';
import { ledgerFamilies } from '../../../../../shared/adapters/dynamodb/ledger-keys.ts';
import { WriteConflict } from '../../../../../shared/ports/stores.ts';

const TABLES = { ledger: 'L', state: 'S' };
const ddb = mockClient(DynamoDBDocumentClient);
const doc = createDocumentClient(new DynamoDBClient({ region: 'cn-north-1' }));
const keys = { reads: [stateFamilies.lender], queries: [stateFamilies.lenders], writes: [stateFamilies.lender, stateFamilies.idempotency] };
const guarded = guardKeys(doc, TABLES, keys, 'lenders');

beforeEach(() => {
  ddb.reset();
  ddb.onAnyCommand().resolves({});
});

async function refusal(send: Promise<unknown>): Promise<{ message: string; details: unknown }> {
  const error = await send.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvariantViolation);
  return { message: (error as InvariantViolation).message, details: (error as InvariantViolation).details };
}

describe('guardKeys: a store sends only requests on its declared families', () => {
  it('sends a read, a query of gsi1 and a write of its own families', async () => {
    await guarded.send(new GetCommand({ TableName: 'S', Key: { pk: 'LENDER#A', sk: 'LENDER' } }));
    await guarded.send(new QueryCommand({ TableName: 'S', IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': 'LENDERS' } }));
    await guarded.send(
      new TransactWriteCommand({ TransactItems: [{ Put: { TableName: 'S', Item: { pk: 'IDEM#k', sk: 'IDEM' } } }, { Put: { TableName: 'S', Item: { pk: 'LENDER#A', sk: 'LENDER' } } }] }),
    );
    expect(ddb.calls()).toHaveLength(3);
  });

  it('refuses a read of another family, naming the store, the table and the key, and sends nothing', async () => {
    const { message, details } = await refusal(guarded.send(new GetCommand({ TableName: 'S', Key: { pk: 'LOAN#1', sk: 'LOAN' } })));
    expect(message).toBe('the lenders store reads a key outside its declared families');
    expect(details).toEqual({ store: 'lenders', table: 'state', pk: 'LOAN#1' });
    expect(ddb.calls()).toHaveLength(0);
  });

  it('refuses a write of a family it only reads or does not hold, in a transaction one item is enough', async () => {
    const { message, details } = await refusal(
      guarded.send(
        new TransactWriteCommand({ TransactItems: [{ Put: { TableName: 'S', Item: { pk: 'LENDER#A', sk: 'LENDER' } } }, { Update: { TableName: 'S', Key: { pk: 'QUOTA#A', sk: 'SHARD#00' }, UpdateExpression: 'SET v = :v' } }] }),
      ),
    );
    expect(message).toBe('the lenders store writes a key outside its declared families');
    expect(details).toEqual({ store: 'lenders', table: 'state', pk: 'QUOTA#A' });
    expect(ddb.calls()).toHaveLength(0);
  });

  it('refuses the same family on the other table, a query of the table where it declared the index, and a batch write', async () => {
    expect((await refusal(guarded.send(new PutCommand({ TableName: 'L', Item: { pk: 'LENDER#A', sk: 'X' } })))).details).toEqual({ store: 'lenders', table: 'ledger', pk: 'LENDER#A' });
    const query = await refusal(guarded.send(new QueryCommand({ TableName: 'S', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'LENDERS' } })));
    expect(query.details).toEqual({ store: 'lenders', table: 'state', pk: 'LENDERS' });
    const batch = await refusal(guarded.send(new BatchWriteCommand({ RequestItems: { S: [{ DeleteRequest: { Key: { pk: 'IDEM#k', sk: 'IDEM' } } }, { DeleteRequest: { Key: { pk: 'APP#1', sk: 'APP' } } }] } })));
    expect(batch.details).toEqual({ store: 'lenders', table: 'state', pk: 'APP#1' });
    expect(ddb.calls()).toHaveLength(0);
  });

  it('refuses a query of an index on a family it declared only for the table', async () => {
    const withLedger = guardKeys(doc, TABLES, { reads: [ledgerFamilies.loan], queries: [ledgerFamilies.holdings], writes: [] }, 'ledger');
    const { message, details } = await refusal(withLedger.send(new QueryCommand({ TableName: 'L', IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': 'LOAN#1' } })));
    expect(message).toBe('the ledger store queries gsi1 on a key outside its declared families');
    expect(details).toEqual({ store: 'ledger', table: 'ledger', gsi1pk: 'LOAN#1' });
  });
});

describe('createStores: each store behind its own guard, as the function uses it', () => {
  it('a store built to read only refuses its own writes before they are sent', async () => {
    const stores = createStores(doc, TABLES, ['lenders:read', 'idempotency']);
    await stores.lenders.get('A');
    expect(ddb.calls()).toHaveLength(1);
    const record = { scopeKey: 'k', requestHash: 'h', statusCode: 201, body: {}, createdAt: '2026-01-01T00:00:00Z', expiresAtEpochSeconds: 1 };
    const { details } = await refusal(stores.lenders.create({ lenderId: 'A' } as never, record as never));
    expect(details).toEqual({ store: 'lenders:read', table: 'state', pk: 'IDEM#k' });
    expect(ddb.calls()).toHaveLength(1);
    expect(Object.keys(stores).sort()).toEqual(['idempotency', 'lenders']);
  });

  it('a store writing its own families sends them, and a failed condition is still a conflict', async () => {
    const stores = createStores(doc, TABLES, ['idempotency']);
    ddb.on(TransactWriteCommand).rejects(Object.assign(new Error('cancelled'), { name: 'TransactionCanceledException' }));
    await expect(stores.idempotency.get('k')).resolves.toBeNull();
    expect(WriteConflict).toBeDefined();
  });
});
