import { afterEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBClient, ProvisionedThroughputExceededException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient, queryAll, tablesFromEnv, transactWrite, type TransactItems } from '../../../../../shared/adapters/dynamodb/client.ts';
import { WriteConflict } from '../../../../../shared/ports/stores.ts';
import { rejectedBy } from '../../../../support/expect-error.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const doc = createDocumentClient(new DynamoDBClient({ region: 'cn-north-1' }));
afterEach(() => {
  ddb.reset();
  vi.restoreAllMocks();
});

function cancelled(...codes: string[]): TransactionCanceledException {
  return new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code, ...(Code === 'None' ? {} : { Message: Code }) })),
  });
}

const ITEMS: TransactItems = [
  { Put: { TableName: 'State', Item: { pk: 'IDEM#k', sk: 'IDEM' }, ConditionExpression: 'attribute_not_exists(pk)' } },
  { Put: { TableName: 'State', Item: { pk: 'LENDER#A', sk: 'LENDER' }, ConditionExpression: 'attribute_not_exists(pk)' } },
];
const ENTITIES = ['idempotency', 'lender'];

describe('tablesFromEnv', () => {
  it('reads both table names', () => {
    expect(tablesFromEnv({ LEDGER_TABLE: 'Ledger', STATE_TABLE: 'State' })).toEqual({ ledger: 'Ledger', state: 'State' });
  });

  it('refuses a missing name', () => {
    expect(() => tablesFromEnv({ LEDGER_TABLE: 'Ledger' })).toThrow('LEDGER_TABLE and STATE_TABLE must be set');
    expect(() => tablesFromEnv({ STATE_TABLE: 'State', LEDGER_TABLE: '' })).toThrow('LEDGER_TABLE and STATE_TABLE must be set');
  });
});

describe('createDocumentClient', () => {
  it('drops undefined values when marshalling', () => {
    expect(doc).toBeInstanceOf(DynamoDBDocumentClient);
    expect(doc.config.translateConfig?.marshallOptions?.removeUndefinedValues).toBe(true);
  });
});

describe('queryAll', () => {
  it('reads every page, passing each LastEvaluatedKey on', async () => {
    const page2Key = { pk: 'LOAN#1', sk: 'POS#B' };
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [{ n: 1 }, { n: 2 }], LastEvaluatedKey: page2Key })
      .resolvesOnce({ Items: [{ n: 3 }], LastEvaluatedKey: { pk: 'LOAN#1', sk: 'POS#C' } })
      .resolvesOnce({});
    const input = { TableName: 'Ledger', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'LOAN#1' } };
    expect(await queryAll(doc, input)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    const calls = ddb.commandCalls(QueryCommand);
    expect(calls).toHaveLength(3);
    expect(calls[0]?.args[0].input).toEqual({ ...input, ExclusiveStartKey: undefined });
    expect(calls[1]?.args[0].input).toEqual({ ...input, ExclusiveStartKey: page2Key });
    expect(calls[2]?.args[0].input.ExclusiveStartKey).toEqual({ pk: 'LOAN#1', sk: 'POS#C' });
  });

  it('reads one empty page', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    expect(await queryAll(doc, { TableName: 'Ledger' })).toEqual([]);
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(1);
  });
});

describe('transactWrite', () => {
  it('sends the items as one transaction', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await transactWrite(doc, ITEMS, ENTITIES);
    expect(ddb.commandCalls(TransactWriteCommand).map((c) => c.args[0].input)).toEqual([{ TransactItems: ITEMS }]);
  });

  it('a failed condition on item 0 is a conflict on the idempotency key', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'));
    const conflict = await rejectedBy(WriteConflict, () => transactWrite(doc, ITEMS, ENTITIES));
    expect([conflict.reason, conflict.entity]).toEqual(['IDEMPOTENCY_KEY', 'idempotency']);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it('a failed condition on item 1 means the item exists, named by its entity', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled('None', 'ConditionalCheckFailed'));
    const conflict = await rejectedBy(WriteConflict, () => transactWrite(doc, ITEMS, ENTITIES));
    expect([conflict.reason, conflict.entity]).toEqual(['ALREADY_EXISTS', 'lender']);
    expect(conflict.message).toBe('write conflict on lender: ALREADY_EXISTS');
  });

  it('the first failed item decides when several fail', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'ConditionalCheckFailed'));
    expect((await rejectedBy(WriteConflict, () => transactWrite(doc, ITEMS, ENTITIES))).reason).toBe('IDEMPOTENCY_KEY');
  });

  it('retries a conflict with a transaction in flight, then succeeds', async () => {
    ddb.on(TransactWriteCommand).rejectsOnce(cancelled('TransactionConflict', 'None')).rejectsOnce(cancelled('None', 'TransactionConflict')).resolves({});
    await transactWrite(doc, ITEMS, ENTITIES);
    const calls = ddb.commandCalls(TransactWriteCommand);
    expect(calls).toHaveLength(3);
    for (const call of calls) expect(call.args[0].input).toEqual({ TransactItems: ITEMS });
  });

  it('gives up after the last attempt with WriteConflict BUSY', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled('TransactionConflict', 'None'));
    const conflict = await rejectedBy(WriteConflict, () => transactWrite(doc, ITEMS, ENTITIES, 3));
    expect([conflict.reason, conflict.entity]).toEqual(['BUSY', 'idempotency,lender']);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(3);
  });

  /** The waits asked for between attempts; each wait then passes at once. */
  function recordWaits(): number[] {
    const waits: number[] = [];
    const schedule = globalThis.setTimeout;
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: () => void, ms?: number) => {
      waits.push(ms ?? 0);
      return schedule(callback, 0);
    }) as typeof setTimeout);
    return waits;
  }

  it('makes eight attempts by default', async () => {
    const waits = recordWaits();
    ddb.on(TransactWriteCommand).rejects(cancelled('TransactionConflict'));
    expect((await rejectedBy(WriteConflict, () => transactWrite(doc, ITEMS.slice(0, 1), ['idempotency']))).reason).toBe('BUSY');
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(8);
    expect(waits).toHaveLength(7);
  });

  it('waits a random time between attempts, below a bound that doubles from 20 ms up to 500 ms', async () => {
    const waits = recordWaits();
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.999_999);
    ddb.on(TransactWriteCommand).rejects(cancelled('TransactionConflict'));
    await rejectedBy(WriteConflict, () => transactWrite(doc, ITEMS, ENTITIES));
    expect(waits).toEqual([19, 39, 79, 159, 319, 499, 499]);
    random.mockReturnValue(0);
    waits.length = 0;
    await rejectedBy(WriteConflict, () => transactWrite(doc, ITEMS, ENTITIES, 3));
    expect(waits).toEqual([0, 0]);
  });

  it('lets a cancellation for another reason through unchanged', async () => {
    const throttled = cancelled('ThrottlingError', 'None');
    ddb.on(TransactWriteCommand).rejects(throttled);
    await expect(transactWrite(doc, ITEMS, ENTITIES)).rejects.toBe(throttled);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it('lets any other error through unchanged, without retrying', async () => {
    const error = new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} });
    ddb.on(TransactWriteCommand).rejects(error);
    await expect(transactWrite(doc, ITEMS, ENTITIES)).rejects.toBe(error);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });
});
