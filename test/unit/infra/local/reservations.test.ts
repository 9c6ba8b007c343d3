import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from '../../../../shared/adapters/dynamodb/index.ts';
import { lapseReservationsOfEarlierRun } from '../../../../infra/local/reservations.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const TABLES = { ledger: 'LedgerTable-test', state: 'StateTable-test' };
const doc = createDocumentClient(new DynamoDBClient({ region: 'cn-north-1' }));
afterEach(() => ddb.reset());

function reservationItem(key: string, reservedAt: string) {
  return { pk: `IDEM#${key}`, sk: 'IDEM', entityType: 'Idempotency', scopeKey: key, requestHash: `hash-${key}`, state: 'IN_PROGRESS', reservedAt, reservedUntilEpochSeconds: 1_796_000_060, expiresAtEpochSeconds: 1_796_604_800 };
}

describe('a restarted stack lapses the key reservations of the run before it', () => {
  it('scans the state table page by page for reservations not released, and lapses each one, only that very reservation', async () => {
    ddb
      .on(ScanCommand)
      .resolvesOnce({ Items: [reservationItem('POST /v1/repayments#C1#K1', '2026-12-07T01:00:00.000Z')], LastEvaluatedKey: { pk: 'IDEM#x', sk: 'IDEM' } })
      .resolvesOnce({ Items: [reservationItem('POST /v1/repayments#C2#K2', '2026-12-07T01:00:01.000Z')] });
    ddb.on(UpdateCommand).resolves({});
    const lapsed = await lapseReservationsOfEarlierRun(doc, TABLES, new Date('2026-12-07T01:00:30.000Z'));
    expect(lapsed).toBe(2);
    const scans = ddb.commandCalls(ScanCommand).map((c) => c.args[0].input);
    expect(scans).toHaveLength(2);
    expect(scans[0]).toMatchObject({
      TableName: TABLES.state,
      FilterExpression: 'entityType = :idempotency AND #state = :inProgress AND reservedUntilEpochSeconds > :released',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':idempotency': 'Idempotency', ':inProgress': 'IN_PROGRESS', ':released': 0 },
    });
    expect(scans[1]?.ExclusiveStartKey).toEqual({ pk: 'IDEM#x', sk: 'IDEM' });
    expect(ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input)).toEqual(
      [
        ['POST /v1/repayments#C1#K1', '2026-12-07T01:00:00.000Z'],
        ['POST /v1/repayments#C2#K2', '2026-12-07T01:00:01.000Z'],
      ].map(([key, reservedAt]) => ({
        TableName: TABLES.state,
        Key: { pk: `IDEM#${key}`, sk: 'IDEM' },
        UpdateExpression: 'SET reservedUntilEpochSeconds = :lapsed, expiresAtEpochSeconds = :now',
        ConditionExpression: '#state = :inProgress AND requestHash = :hash AND reservedAt = :reservedAt',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':inProgress': 'IN_PROGRESS', ':hash': `hash-${key}`, ':reservedAt': reservedAt, ':lapsed': 0, ':now': 1_796_605_230 },
      })),
    );
  });

  it('takes a reservation that is no longer there (its key now holds an answer) for no failure: the update is conditioned on that very reservation', async () => {
    ddb.on(ScanCommand).resolves({ Items: [reservationItem('K3', '2026-12-07T01:00:00.000Z')] });
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));
    expect(await lapseReservationsOfEarlierRun(doc, TABLES, new Date('2026-12-07T01:00:30.000Z'))).toBe(1);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(1);
  });
});
