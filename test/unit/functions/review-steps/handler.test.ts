import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { ProvisionedThroughputExceededException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { ValidationError } from '../../../../shared/domain/errors.ts';
import {
  APPLICATION_ID,
  LEAD_ID,
  PARTNER_A,
  PARTNER_B,
  PROGRAM_ID,
  aPartnerDecision,
  aProgram,
  aQuotaShard,
  anApplicationRecord,
  anAsk,
  defaultLenders,
} from '../../../support/builders.ts';
import { lambdaContext } from '../../../support/api-events.ts';
import { applicationItem, askItem, lenderItem, programItem, quotaShardItem } from '../../../support/dynamo-items.ts';
import { TEST_TABLES, setHandlerEnv } from '../../../support/handler-env.ts';

setHandlerEnv();
const ddb = mockClient(DynamoDBDocumentClient);
const { handler } = await import('../../../../functions/review-steps/handler.ts');

const APP_KEY = { pk: `APP#${APPLICATION_ID}`, sk: 'APP' };
const ASKS_QUERY = { KeyConditionExpression: 'pk = :p AND begins_with(sk, :a)' };
const declined = (lenderId: string) => askItem(anAsk({ lenderId, state: 'DECLINED', decision: aPartnerDecision({ decision: 'DECLINE', approvedAmountMinor: null, reasonCodes: ['POLICY'] }) }));

beforeEach(() => {
  ddb.on(GetCommand).resolves({});
  ddb.on(GetCommand, { Key: APP_KEY }).resolves({ Item: applicationItem(anApplicationRecord({ round: 0 })) });
  ddb.on(GetCommand, { Key: { pk: `PROGRAM#${PROGRAM_ID}`, sk: 'V#000001' } }).resolves({ Item: programItem(aProgram()) });
  ddb.on(BatchGetCommand).resolves({ Responses: { [TEST_TABLES.state]: defaultLenders().map(lenderItem) } });
  ddb.on(QueryCommand).resolves({ Items: [] });
  ddb.on(QueryCommand, ASKS_QUERY).resolves({ Items: [] });
  ddb.on(TransactWriteCommand).resolves({});
});
afterEach(() => ddb.reset());

describe('JointReview steps', () => {
  it('ChooseCandidates writes the round and its asks in one transaction and answers the asks to map over', async () => {
    expect(await handler({ step: 'ChooseCandidates', applicationId: APPLICATION_ID, round: 1 }, lambdaContext())).toEqual({
      applicationId: APPLICATION_ID,
      round: 1,
      asks: [
        { applicationId: APPLICATION_ID, lenderId: PARTNER_A, round: 1, timeoutSeconds: 86_400 },
        { applicationId: APPLICATION_ID, lenderId: PARTNER_B, round: 1, timeoutSeconds: 86_400 },
      ],
      outcome: 'ASK',
    });
    const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items.map((i) => i.Update?.Key?.sk ?? i.Put?.Item?.sk)).toEqual(['APP', `ASK#${PARTNER_A}`, `ASK#${PARTNER_B}`]);
    expect(items[1]?.Put?.Item).toMatchObject({ gsi1pk: `AWAITING#${PARTNER_A}`, askedAmountMinor: '300000', state: 'PENDING' });
    expect(ddb.commandCalls(QueryCommand, { KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)' }).map((c) => c.args[0].input)).toEqual(
      // Each lender's quota shards and its principal shards (what was repaid or moved since booking).
      [LEAD_ID, PARTNER_A, PARTNER_B].flatMap((lenderId) =>
        ['SHARD#', 'PRINCIPAL#'].map((prefix) => ({ TableName: TEST_TABLES.state, KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)', ExpressionAttributeValues: { ':p': `QUOTA#${lenderId}`, ':s': prefix }, ConsistentRead: true, ExclusiveStartKey: undefined })),
      ),
    );
  });

  it("ChooseCandidates counts what all of a partner's stored quota shards hold", async () => {
    // Partner B's shards hold 99,999,800,000 of its 100,000,000,000: 200,000 left, under its 300,000 floor.
    const shards = [0, 3, 7].map((shard) => aQuotaShard({ lenderId: PARTNER_B, shard, committedMinor: 12_500_000_000n, version: 2 }));
    const reserved = [1, 2, 4, 5, 6].map((shard) => aQuotaShard({ lenderId: PARTNER_B, shard, reservedMinor: 12_499_960_000n, version: 4 }));
    ddb.on(QueryCommand, { KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)', ExpressionAttributeValues: { ':p': `QUOTA#${PARTNER_B}`, ':s': 'SHARD#' } }).resolves({ Items: [...shards, ...reserved].map(quotaShardItem) });
    const result = await handler({ step: 'ChooseCandidates', applicationId: APPLICATION_ID, round: 1 }, lambdaContext());
    expect(result).toMatchObject({ asks: [{ lenderId: PARTNER_A }], outcome: 'ASK' });
    const [update] = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(update?.Update?.ExpressionAttributeNames?.['#f1']).toBe('dropped');
    expect(update?.Update?.ExpressionAttributeValues?.[':v1']).toEqual([
      {
        lenderId: PARTNER_B,
        rule: 'EXPOSURE_QUOTA',
        reason: `${PARTNER_B} has 200000 of its exposure quota left (quota 100000000000 - outstanding 37500000000 - reserved 62499800000); it must fund at least 300000 (the CN-2021 partner floor of 30%)`,
        figures: { quotaMinor: '100000000000', outstandingMinor: '37500000000', reservedMinor: '62499800000', remainingMinor: '200000', minimumMinor: '300000' },
      },
    ]);
  });

  it('RecordTimeout marks the ask and answers its final outcome', async () => {
    ddb.on(GetCommand, { Key: { pk: `APP#${APPLICATION_ID}`, sk: `ASK#${PARTNER_B}` } }).resolves({ Item: askItem(anAsk({ lenderId: PARTNER_B, state: 'TIMED_OUT' })) });
    expect(await handler({ step: 'RecordTimeout', applicationId: APPLICATION_ID, lenderId: PARTNER_B, round: 1, error: 'States.Timeout' }, lambdaContext())).toEqual({
      lenderId: PARTNER_B,
      decision: 'TIMEOUT',
    });
    const [update] = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(update?.Update?.ConditionExpression).toBe('#s = :pending');
  });

  it('RecordTimeout answers the decision that arrived first', async () => {
    ddb.on(TransactWriteCommand).rejects(new TransactionCanceledException({ message: 'cancelled', $metadata: {}, CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }] }));
    ddb.on(GetCommand, { Key: { pk: `APP#${APPLICATION_ID}`, sk: `ASK#${PARTNER_A}` } }).resolves({ Item: askItem(anAsk({ state: 'APPROVED', decision: aPartnerDecision() })) });
    expect(await handler({ step: 'RecordTimeout', applicationId: APPLICATION_ID, lenderId: PARTNER_A, round: 1 }, lambdaContext())).toEqual({
      lenderId: PARTNER_A,
      decision: 'APPROVE',
      approvedAmountMinor: 300_000n,
    });
  });

  it('Allocate rejects when every partner declined, recording REJECTED', async () => {
    ddb.on(GetCommand, { Key: APP_KEY }).resolves({ Item: applicationItem(anApplicationRecord({ round: 1 })) });
    ddb.on(QueryCommand, ASKS_QUERY).resolves({ Items: [declined(PARTNER_A), declined(PARTNER_B)] });
    expect(await handler({ step: 'Allocate', applicationId: APPLICATION_ID, round: 1 }, lambdaContext())).toEqual({ applicationId: APPLICATION_ID, outcome: 'REJECT', round: 1 });
    const [update] = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(update?.Update?.ExpressionAttributeValues).toMatchObject({ ':step': 'Allocate#1', ':g1': 'APPSTATUS#REJECTED' });
  });

  it('refuses an input that names no known step or no round', async () => {
    await expect(handler({ step: 'Guess', applicationId: APPLICATION_ID, round: 1 }, lambdaContext())).rejects.toBeInstanceOf(ValidationError);
    await expect(handler({ step: 'Allocate', applicationId: APPLICATION_ID }, lambdaContext())).rejects.toBeInstanceOf(ValidationError);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('fails the task with the DynamoDB error, so the workflow retries it', async () => {
    const error = new ProvisionedThroughputExceededException({ message: 'throughput exceeded', $metadata: {} });
    ddb.on(GetCommand).rejects(error);
    await expect(handler({ step: 'ChooseCandidates', applicationId: APPLICATION_ID, round: 1 }, lambdaContext())).rejects.toBe(error);
  });
});
