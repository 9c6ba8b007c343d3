import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient, createStores } from '../../../../../shared/adapters/dynamodb/index.ts';
import { WriteConflict, type IdempotencyRecord, type ReconciliationSettings } from '../../../../../shared/ports/stores.ts';
import { PARTNER_A } from '../../../../support/builders.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const TABLES = { ledger: 'LedgerTable-test', state: 'StateTable-test' };
// Built as a function builds it: its writes pass the guard of the key families the store declares.
const { reconciliations } = createStores(createDocumentClient(new DynamoDBClient({ region: 'cn-north-1' })), TABLES, ['reconciliations']);
afterEach(() => ddb.reset());

const settings: ReconciliationSettings = { counterparty: PARTNER_A, amountToleranceMinor: 100n, dateToleranceDays: 1, escalateAfterDays: 5, version: 2, setBy: 'fin.wang', setAt: '2026-12-07T02:00:00.000Z' };
const answer: IdempotencyRecord = { scopeKey: 'putReconciliationSettings#fin#K1', requestHash: 'h', statusCode: 201, responseBody: '{}', createdAt: '2026-12-07T02:00:00.000Z', expiresAtEpochSeconds: 1_796_000_000 };

describe("a counterparty's reconciliation settings in DynamoDB (R4)", () => {
  it('writes a new version and the answer of the request that set it in one transaction, each on condition that it is new', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await reconciliations.putSettings(settings, answer);
    const items = ddb.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(items.map((item) => [item.Put?.TableName, item.Put?.Item?.pk, item.Put?.Item?.sk, item.Put?.ConditionExpression])).toEqual([
      [TABLES.state, `RECONSETTINGS#${PARTNER_A}`, 'V#000002', 'attribute_not_exists(pk)'],
      [TABLES.state, 'IDEM#putReconciliationSettings#fin#K1', 'IDEM', 'attribute_not_exists(pk)'],
    ]);
    expect(items[0]!.Put?.Item).toMatchObject({ entityType: 'ReconciliationSettings', amountToleranceMinor: '100', version: 2 });
  });

  it('names what lost: the version written by another request, or the key holding another answer', async () => {
    const cancelled = (codes: string[]) => new TransactionCanceledException({ message: 'cancelled', $metadata: {}, CancellationReasons: codes.map((Code) => ({ Code })) });
    ddb.on(TransactWriteCommand).rejectsOnce(cancelled(['ConditionalCheckFailed', 'None'])).rejectsOnce(cancelled(['None', 'ConditionalCheckFailed']));
    await expect(reconciliations.putSettings(settings, answer)).rejects.toEqual(new WriteConflict('ALREADY_EXISTS', 'reconciliation-settings'));
    await expect(reconciliations.putSettings(settings, answer)).rejects.toEqual(new WriteConflict('IDEMPOTENCY_KEY', 'idempotency'));
  });
});
