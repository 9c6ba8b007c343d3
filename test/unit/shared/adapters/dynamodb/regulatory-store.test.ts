import { expiresAtEpochSeconds } from '../../../../../shared/http/idempotency.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { ConditionalCheckFailedException, DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../../../../shared/adapters/dynamodb/index.ts';
import { DynamoRegulatoryFiguresStore, DynamoRegulatoryReportStore } from '../../../../../shared/adapters/dynamodb/regulatory-store.ts';
import type { RegulatoryFigures } from '../../../../../shared/domain/regulatory-figures.ts';
import { NO_MEASURES } from '../../../../../shared/domain/regulatory-report.ts';
import { WriteConflict, type IdempotencyRecord, type RegulatoryReportRun } from '../../../../../shared/ports/stores.ts';
import { rejectedBy } from '../../../../support/expect-error.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const TABLES = { ledger: 'LedgerTable-test', state: 'StateTable-test' };
const doc = createDocumentClient(new DynamoDBClient({ region: 'cn-north-1' }));
const figuresStore = new DynamoRegulatoryFiguresStore(doc, TABLES);
const reports = new DynamoRegulatoryReportStore(doc, TABLES);
afterEach(() => ddb.reset());

const FIGURES: RegulatoryFigures = {
  lenderId: 'PARTNER-A',
  effectiveDate: '2025-03-16',
  version: 2,
  netTier1CapitalMinor: 123_456_789_012_345_678_901n,
  totalLoansMinor: 900_000_000n,
  source: '2025 Q1 capital notice',
  setBy: 'lead-ops',
  setAt: '2025-03-16T02:00:00.000Z',
};
const RECORD: IdempotencyRecord = { scopeKey: 'setRegulatoryFigures#lead-ops#k1', requestHash: 'a'.repeat(64), statusCode: 201, responseBody: '{}', createdAt: '2025-03-16T02:00:00.000Z', expiresAtEpochSeconds: expiresAtEpochSeconds('2025-03-16T02:00:00.000Z') };
const STORED = { ...FIGURES, netTier1CapitalMinor: '123456789012345678901', totalLoansMinor: '900000000' };

describe('DynamoRegulatoryFiguresStore (docs/access-patterns.md S31)', () => {
  it('writes a version once, in the lender\'s partition, with its idempotency record in the same transaction; amounts as strings', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await figuresStore.put(FIGURES, RECORD);
    expect(ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems).toEqual([
      { Put: { TableName: TABLES.state, Item: { pk: `IDEM#${RECORD.scopeKey}`, sk: 'IDEM', entityType: 'Idempotency', ...RECORD }, ConditionExpression: 'attribute_not_exists(pk)' } },
      { Put: { TableName: TABLES.state, Item: { pk: 'LENDER#PARTNER-A', sk: 'FIGURES#2025-03-16#V#000002', entityType: 'RegulatoryFigures', ...STORED }, ConditionExpression: 'attribute_not_exists(pk)' } },
    ]);
  });

  it('refuses a version that exists: WriteConflict ALREADY_EXISTS on regulatory-figures', async () => {
    ddb.on(TransactWriteCommand).rejects(new TransactionCanceledException({ message: 'cancelled', $metadata: {}, CancellationReasons: [{ Code: 'None' }, { Code: 'ConditionalCheckFailed' }] }));
    const error = await rejectedBy(WriteConflict, () => figuresStore.put(FIGURES, RECORD));
    expect([error.reason, error.entity]).toEqual(['ALREADY_EXISTS', 'regulatory-figures']);
  });

  it("reads every version of the lender's figures, consistently, without its other items", async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ pk: 'LENDER#PARTNER-A', sk: 'FIGURES#2025-03-16#V#000002', entityType: 'RegulatoryFigures', ...STORED }] });
    expect(await figuresStore.versions('PARTNER-A')).toEqual([FIGURES]);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toEqual({
      TableName: TABLES.state,
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :f)',
      ExpressionAttributeValues: { ':p': 'LENDER#PARTNER-A', ':f': 'FIGURES#' },
      ConsistentRead: true,
    });
  });
});

describe('DynamoRegulatoryReportStore (docs/access-patterns.md S32-S33)', () => {
  const run: RegulatoryReportRun = { businessDate: '2025-03-31', status: 'RUNNING', attempt: 2, shardCount: 16, startedAt: '2025-04-01T02:00:00.000Z', doneAt: null, loans: 0, report: null, failure: null };

  it('creates a run on attribute_not_exists and replaces it only over the attempt read', async () => {
    ddb.on(PutCommand).resolves({});
    await reports.putRun({ ...run, attempt: 1 }, 0);
    await reports.putRun(run, 1);
    const [created, replaced] = ddb.commandCalls(PutCommand).map((c) => c.args[0].input);
    expect(created).toEqual({ TableName: TABLES.state, Item: { pk: 'REGREPORT#2025-03-31', sk: 'RUN', entityType: 'RegulatoryReportRun', ...run, attempt: 1 }, ConditionExpression: 'attribute_not_exists(pk)' });
    expect([replaced?.ConditionExpression, replaced?.ExpressionAttributeValues]).toEqual(['attempt = :a', { ':a': 1 }]);
  });

  it('turns a lost condition into WriteConflict on regulatory-report-run', async () => {
    ddb.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));
    expect((await rejectedBy(WriteConflict, () => reports.putRun(run, 1))).reason).toBe('VERSION');
    expect((await rejectedBy(WriteConflict, () => reports.putRun(run, 0))).reason).toBe('ALREADY_EXISTS');
  });

  it('writes a shard whole and reads the shards of a date back with their amounts', async () => {
    ddb.on(PutCommand).resolves({});
    const shard = { businessDate: '2025-03-31', shard: 7, attempt: 2, measures: { ...NO_MEASURES, loans: 1, totalMinor: { 'PARTNER-A|CNY': 300_000n } } };
    await reports.putShard(shard);
    const item = ddb.commandCalls(PutCommand)[0]?.args[0].input.Item;
    expect(item).toMatchObject({ pk: 'REGREPORT#2025-03-31', sk: 'SHARD#07', entityType: 'RegulatoryReportShard', measures: { totalMinor: { 'PARTNER-A|CNY': '300000' } } });
    ddb.on(QueryCommand).resolves({ Items: [item!] });
    expect(await reports.shards('2025-03-31')).toEqual([shard]);
    ddb.on(GetCommand).resolves({});
    expect(await reports.getRun('2025-03-31')).toBeNull();
  });
});
