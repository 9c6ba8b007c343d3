import { expiresAtEpochSeconds } from '../../../../../shared/http/idempotency.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../../../../shared/adapters/dynamodb/index.ts';
import { DynamoCalendarStore } from '../../../../../shared/adapters/dynamodb/calendar-store.ts';
import { WriteConflict, type IdempotencyRecord } from '../../../../../shared/ports/stores.ts';
import { rejectedBy } from '../../../../support/expect-error.ts';
import { loadedYear } from '../../../../support/calendar-years.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const TABLES = { ledger: 'LedgerTable-test', state: 'StateTable-test' };
const store = new DynamoCalendarStore(createDocumentClient(new DynamoDBClient({ region: 'cn-north-1' })), TABLES);
afterEach(() => ddb.reset());

const record: IdempotencyRecord = { scopeKey: 'loadCalendarYear#finance-client#key-0001', requestHash: 'a'.repeat(64), statusCode: 201, responseBody: '{}', createdAt: '2026-11-20T08:00:00.000Z', expiresAtEpochSeconds: expiresAtEpochSeconds('2026-11-20T08:00:00.000Z') };

describe('DynamoCalendarStore (docs/access-patterns.md S23)', () => {
  it('writes a version on attribute_not_exists, with its idempotency record in the same transaction', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    const year = loadedYear({ version: 12 });
    await store.putYear(year, record);
    const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items).toEqual([
      { Put: { TableName: TABLES.state, Item: { pk: `IDEM#${record.scopeKey}`, sk: 'IDEM', entityType: 'Idempotency', ...record }, ConditionExpression: 'attribute_not_exists(pk)' } },
      { Put: { TableName: TABLES.state, Item: { pk: 'CALENDAR#CN', sk: 'YEAR#2027#V#000012', entityType: 'CalendarYear', ...year }, ConditionExpression: 'attribute_not_exists(pk)' } },
    ]);
  });

  it('refuses a version that exists: WriteConflict ALREADY_EXISTS on calendar-year', async () => {
    ddb.on(TransactWriteCommand).rejects(new TransactionCanceledException({ message: 'cancelled', $metadata: {}, CancellationReasons: [{ Code: 'ConditionalCheckFailed' }] }));
    const error = await rejectedBy(WriteConflict, () => store.putYear(loadedYear()));
    expect([error.reason, error.entity]).toEqual(['ALREADY_EXISTS', 'calendar-year']);
    expect(ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems).toHaveLength(1);
  });

  it('reads every version of the calendar from its partition, consistently, page by page', async () => {
    const v1 = loadedYear();
    const v2 = loadedYear({ version: 2 });
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [{ pk: 'CALENDAR#CN', sk: 'YEAR#2027#V#000001', entityType: 'CalendarYear', ...v1 }], LastEvaluatedKey: { pk: 'CALENDAR#CN', sk: 'YEAR#2027#V#000001' } })
      .resolvesOnce({ Items: [{ pk: 'CALENDAR#CN', sk: 'YEAR#2027#V#000002', entityType: 'CalendarYear', ...v2 }] });
    expect(await store.loadedYears('CN')).toEqual([v1, v2]);
    const inputs = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(inputs[0]).toEqual({
      TableName: TABLES.state,
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :y)',
      ExpressionAttributeValues: { ':p': 'CALENDAR#CN', ':y': 'YEAR#' },
      ConsistentRead: true,
    });
    expect(inputs[1]?.ExclusiveStartKey).toEqual({ pk: 'CALENDAR#CN', sk: 'YEAR#2027#V#000001' });
  });
});
