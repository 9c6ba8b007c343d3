import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { ConditionalCheckFailedException, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SFNClient, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ValidationError } from '../../../../shared/domain/errors.ts';
import { APPLICATION_ID, PARTNER_A, aPartnerDecision, aPartnerLender, anApplicationRecord, anAsk } from '../../../support/builders.ts';
import { lambdaContext } from '../../../support/api-events.ts';
import { applicationItem, askItem, lenderItem } from '../../../support/dynamo-items.ts';
import { TEST_EVENT_BUS, setHandlerEnv } from '../../../support/handler-env.ts';

setHandlerEnv();
const ddb = mockClient(DynamoDBDocumentClient);
const events = mockClient(EventBridgeClient);
const sfn = mockClient(SFNClient);
const { handler } = await import('../../../../functions/review-ask/handler.ts');

const input = { applicationId: APPLICATION_ID, lenderId: PARTNER_A, round: 1, timeoutSeconds: 86_400, taskToken: 'token-a' };
const ASK_KEY = { pk: `APP#${APPLICATION_ID}`, sk: `ASK#${PARTNER_A}` };

beforeEach(() => {
  ddb.on(UpdateCommand).resolves({});
  ddb.on(GetCommand).resolves({});
  ddb.on(GetCommand, { Key: ASK_KEY }).resolves({ Item: askItem(anAsk(), 'token-a') });
  ddb.on(GetCommand, { Key: { pk: `LENDER#${PARTNER_A}`, sk: 'LENDER' } }).resolves({ Item: lenderItem(aPartnerLender(PARTNER_A)) });
  ddb.on(GetCommand, { Key: { pk: `APP#${APPLICATION_ID}`, sk: 'APP' } }).resolves({ Item: applicationItem(anApplicationRecord()) });
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
  sfn.on(SendTaskSuccessCommand).resolves({});
});
afterEach(() => {
  ddb.reset();
  events.reset();
  sfn.reset();
});

describe('AskPartner task', () => {
  it('keeps the task token on the ask, then publishes the review request to the bus', async () => {
    await handler(input, lambdaContext());
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({ Key: ASK_KEY, ExpressionAttributeValues: { ':t': 'token-a' } });
    const [put] = events.commandCalls(PutEventsCommand);
    const entry = put?.args[0].input.Entries?.[0];
    expect([entry?.EventBusName, entry?.Source, entry?.DetailType]).toEqual([TEST_EVENT_BUS, 'colend', 'colend.review.requested']);
    expect(JSON.parse(entry?.Detail ?? '{}')).toMatchObject({ applicationId: APPLICATION_ID, lenderId: PARTNER_A, round: 1, askedAmountMinor: '300000', application: { amountMinor: '1000000' } });
    expect(sfn.calls()).toHaveLength(0);
  });

  it('resumes the review instead when the partner decided before the token was kept', async () => {
    ddb.on(GetCommand, { Key: ASK_KEY }).resolves({ Item: askItem(anAsk({ state: 'APPROVED', decision: aPartnerDecision() }), 'token-a') });
    await handler(input, lambdaContext());
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input).toEqual({ taskToken: 'token-a', output: `{"lenderId":"${PARTNER_A}","decision":"APPROVE","approvedAmountMinor":"300000"}` });
    expect(events.calls()).toHaveLength(0);
  });

  it('refuses an input without a task token', async () => {
    const { taskToken: _token, ...withoutToken } = input;
    await expect(handler(withoutToken, lambdaContext())).rejects.toBeInstanceOf(ValidationError);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('fails the task when the ask does not exist or DynamoDB fails, notifying nobody', async () => {
    const missing = new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    ddb.on(UpdateCommand).rejectsOnce(missing);
    await expect(handler(input, lambdaContext())).rejects.toBe(missing);
    const error = new ProvisionedThroughputExceededException({ message: 'throughput exceeded', $metadata: {} });
    ddb.on(GetCommand).rejects(error);
    await expect(handler(input, lambdaContext())).rejects.toBe(error);
    expect(events.calls()).toHaveLength(0);
  });
});
