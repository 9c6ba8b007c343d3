import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient, ALL_STORES, createStores } from '../../../../../shared/adapters/dynamodb/index.ts';
import { ValidationError } from '../../../../../shared/domain/errors.ts';
import { rejectedBy } from '../../../../support/expect-error.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const TABLES = { ledger: 'LedgerTable-test', state: 'StateTable-test' };
const stores = createStores(createDocumentClient(new DynamoDBClient({ region: 'cn-north-1' })), TABLES, ALL_STORES);
const RUN = 'LEDGERCHECK#2025-02-28';

afterEach(() => ddb.reset());

const detail = (n: number) => ({ loanId: `LN-${n}`, kind: 'POSITION_MISSING' });

describe('DynamoRunDetailStore.replace', () => {
  it('raises the head, writes one item per detail 25 a call, and stops there when nothing was stored before', async () => {
    ddb.on(GetCommand).resolves({});
    ddb.on(BatchWriteCommand).resolves({});
    ddb.on(PutCommand).resolves({});
    await stores.runDetails.replace(RUN, 7, Array.from({ length: 30 }, (_, i) => detail(i)));
    const batches = ddb.commandCalls(BatchWriteCommand).map((c) => c.args[0].input.RequestItems?.[TABLES.state] ?? []);
    expect(batches.map((b) => b.length)).toEqual([25, 5]);
    expect(batches[0]?.[0]).toEqual({ PutRequest: { Item: { pk: 'DETAIL#LEDGERCHECK#2025-02-28', sk: '007#0000000', entityType: 'RunDetail', detail: detail(0) } } });
    expect(batches[1]?.[4]).toEqual({ PutRequest: { Item: { pk: 'DETAIL#LEDGERCHECK#2025-02-28', sk: '007#0000029', entityType: 'RunDetail', detail: detail(29) } } });
    expect(ddb.commandCalls(PutCommand).map((c) => c.args[0].input.Item)).toEqual([{ pk: 'DETAILHEAD#LEDGERCHECK#2025-02-28', sk: '007', entityType: 'RunDetailHead', count: 30 }]);
  });

  it('deletes what an earlier attempt stored past the new count, then lowers the head', async () => {
    ddb.on(GetCommand).resolves({ Item: { pk: 'DETAILHEAD#LEDGERCHECK#2025-02-28', sk: '007', count: 3 } });
    ddb.on(BatchWriteCommand).resolves({});
    ddb.on(PutCommand).resolves({});
    await stores.runDetails.replace(RUN, 7, [detail(0)]);
    expect(ddb.commandCalls(BatchWriteCommand)[0]?.args[0].input.RequestItems?.[TABLES.state]).toEqual([
      { PutRequest: { Item: { pk: 'DETAIL#LEDGERCHECK#2025-02-28', sk: '007#0000000', entityType: 'RunDetail', detail: detail(0) } } },
      { DeleteRequest: { Key: { pk: 'DETAIL#LEDGERCHECK#2025-02-28', sk: '007#0000001' } } },
      { DeleteRequest: { Key: { pk: 'DETAIL#LEDGERCHECK#2025-02-28', sk: '007#0000002' } } },
    ]);
    expect(ddb.commandCalls(PutCommand).map((c) => c.args[0].input.Item?.count)).toEqual([1]);
  });

  it('sends unprocessed items again', async () => {
    ddb.on(GetCommand).resolves({});
    ddb.on(PutCommand).resolves({});
    const first = { PutRequest: { Item: { pk: 'DETAIL#LEDGERCHECK#2025-02-28', sk: '000#0000000', entityType: 'RunDetail', detail: detail(0) } } };
    ddb.on(BatchWriteCommand).resolvesOnce({ UnprocessedItems: { [TABLES.state]: [first] } }).resolves({});
    await stores.runDetails.replace(RUN, 0, [detail(0), detail(1)]);
    expect(ddb.commandCalls(BatchWriteCommand).map((c) => c.args[0].input.RequestItems?.[TABLES.state]?.length)).toEqual([2, 1]);
  });
});

describe('DynamoRunDetailStore.page', () => {
  it('reads one page of the run with the limit and answers the last key as the cursor', async () => {
    const last = { pk: 'DETAIL#LEDGERCHECK#2025-02-28', sk: '003#0000001' };
    ddb.on(QueryCommand).resolves({ Items: [{ detail: detail(0) }, { detail: detail(1) }], LastEvaluatedKey: last });
    const page = await stores.runDetails.page(RUN, { limit: 2 });
    expect(page.items).toEqual([detail(0), detail(1)]);
    expect(JSON.parse(Buffer.from(page.cursor ?? '', 'base64url').toString('utf8'))).toEqual(last);
    await stores.runDetails.page(RUN, { limit: 2, cursor: page.cursor ?? '' });
    expect(ddb.commandCalls(QueryCommand)[1]?.args[0].input).toEqual({
      TableName: TABLES.state,
      KeyConditionExpression: 'pk = :p',
      ExpressionAttributeValues: { ':p': 'DETAIL#LEDGERCHECK#2025-02-28' },
      Limit: 2,
      ExclusiveStartKey: last,
    });
  });

  it("refuses another run's cursor without reading", async () => {
    const other = Buffer.from(JSON.stringify({ pk: 'DETAIL#LEDGERCHECK#2025-02-27', sk: '003#0000001' })).toString('base64url');
    const error = await rejectedBy(ValidationError, () => stores.runDetails.page(RUN, { limit: 2, cursor: other }));
    expect(error.details).toEqual({ path: 'cursor', rule: 'cursor' });
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
  });
});
