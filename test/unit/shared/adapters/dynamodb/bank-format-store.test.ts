import { expiresAtEpochSeconds } from '../../../../../shared/http/idempotency.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../../../../shared/adapters/dynamodb/index.ts';
import { DynamoBankFormatStore } from '../../../../../shared/adapters/dynamodb/bank-format-store.ts';
import { GENERIC_BANK_MAPPING, type BankFormatVersion } from '../../../../../shared/domain/counterpart-records.ts';
import { WriteConflict, type IdempotencyRecord } from '../../../../../shared/ports/stores.ts';
import { rejectedBy } from '../../../../support/expect-error.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const TABLES = { ledger: 'LedgerTable-test', state: 'StateTable-test' };
const store = new DynamoBankFormatStore(createDocumentClient(new DynamoDBClient({ region: 'cn-north-1' })), TABLES);
afterEach(() => ddb.reset());

const record: IdempotencyRecord = { scopeKey: 'loadBankFormat#finance-client#key-0001', requestHash: 'a'.repeat(64), statusCode: 201, responseBody: '{}', createdAt: '2026-11-20T08:00:00.000Z', expiresAtEpochSeconds: expiresAtEpochSeconds('2026-11-20T08:00:00.000Z') };
const format = (version: number): BankFormatVersion => ({ bankId: 'ICBC', version, mapping: { ...GENERIC_BANK_MAPPING, bankId: 'ICBC' }, loadedBy: 'finance-client', loadedAt: '2026-11-20T08:00:00.000Z' });

describe('DynamoBankFormatStore (docs/access-patterns.md S34)', () => {
  it('writes a version on attribute_not_exists, indexed for the list, with its idempotency record in the same transaction', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await store.put(format(3), record);
    expect(ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems).toEqual([
      { Put: { TableName: TABLES.state, Item: { pk: `IDEM#${record.scopeKey}`, sk: 'IDEM', entityType: 'Idempotency', ...record }, ConditionExpression: 'attribute_not_exists(pk)' } },
      {
        Put: {
          TableName: TABLES.state,
          Item: { pk: 'BANKFORMAT#ICBC', sk: 'V#000003', gsi1pk: 'BANKFORMATS', gsi1sk: 'ICBC#V#000003', entityType: 'BankFormat', ...format(3) },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ]);
  });

  it('refuses a version that exists: WriteConflict ALREADY_EXISTS on bank-format', async () => {
    ddb.on(TransactWriteCommand).rejects(new TransactionCanceledException({ message: 'cancelled', $metadata: {}, CancellationReasons: [{ Code: 'None' }, { Code: 'ConditionalCheckFailed' }] }));
    const error = await rejectedBy(WriteConflict, () => store.put(format(1), record));
    expect([error.reason, error.entity]).toEqual(['ALREADY_EXISTS', 'bank-format']);
  });

  it("reads a bank's versions from its partition, consistently, and every bank's from the index", async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ pk: 'BANKFORMAT#ICBC', sk: 'V#000001', gsi1pk: 'BANKFORMATS', gsi1sk: 'ICBC#V#000001', entityType: 'BankFormat', ...format(1) }] });
    expect(await store.versions('ICBC')).toEqual([format(1)]);
    expect(await store.pageLatest({ limit: 10 })).toEqual({ items: [format(1)], cursor: null });
    const [one, all] = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(one).toEqual({ TableName: TABLES.state, KeyConditionExpression: 'pk = :p AND begins_with(sk, :v)', ExpressionAttributeValues: { ':p': 'BANKFORMAT#ICBC', ':v': 'V#' }, ConsistentRead: true });
    expect(all).toEqual({ TableName: TABLES.state, IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': 'BANKFORMATS' }, ScanIndexForward: false, Limit: 10 });
  });
});
