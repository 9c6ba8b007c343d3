import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { InternalServerError } from '@aws-sdk/client-dynamodb';
import { SFNClient, SendTaskFailureCommand, SendTaskSuccessCommand, StartExecutionCommand, TaskTimedOut } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import {
  APPLICATION_ID,
  LEAD_ID,
  NOW,
  PARTNER_A,
  PARTNER_B,
  aLeadLender,
  aPartnerDecision,
  aProgram,
  anApplicationRecord,
  anAsk,
  approveBody,
  createApplicationBody,
  declineBody,
  leadOps,
  partnerOf,
} from '../../../support/builders.ts';
import { apiEvent, bodyOf, claimsOf, lambdaContext, type EventOptions } from '../../../support/api-events.ts';
import { applicationItem, askItem, exposureItem, lenderItem, programItem } from '../../../support/dynamo-items.ts';
import { TEST_REVIEW_STATE_MACHINE_ARN, TEST_TABLES, setHandlerEnv } from '../../../support/handler-env.ts';

setHandlerEnv();
const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
const { handler } = await import('../../../../functions/applications/handler.ts');

const KEY = 'application-APP-2025-000001';
const call = (routeKey: string, options: EventOptions) => handler(apiEvent(routeKey, options), lambdaContext());
const path = { applicationId: APPLICATION_ID };
const APP_KEY = { pk: `APP#${APPLICATION_ID}`, sk: 'APP' };
const askKey = (lenderId: string) => ({ pk: `APP#${APPLICATION_ID}`, sk: `ASK#${lenderId}` });
const throughput = () => new InternalServerError({ message: 'throughput exceeded', $metadata: {} });

beforeEach(() => {
  vi.useFakeTimers({ now: new Date(NOW), toFake: ['Date'] });
  ddb.on(GetCommand).resolves({});
  ddb.on(GetCommand, { Key: { pk: `LENDER#${LEAD_ID}`, sk: 'LENDER' } }).resolves({ Item: lenderItem(aLeadLender()) });
  ddb.on(QueryCommand, { KeyConditionExpression: 'pk = :p AND begins_with(sk, :v)' }).resolves({ Items: [programItem(aProgram())] });
  ddb.on(TransactWriteCommand).resolves({});
  sfn.on(StartExecutionCommand).resolves({ executionArn: `${TEST_REVIEW_STATE_MACHINE_ARN.replace('stateMachine', 'execution')}:${APPLICATION_ID}`, startDate: new Date() });
  sfn.on(SendTaskSuccessCommand).resolves({});
  sfn.on(SendTaskFailureCommand).resolves({});
});
afterEach(() => {
  vi.useRealTimers();
  ddb.reset();
  sfn.reset();
});

describe('POST /v1/applications', () => {
  it('stores the application with its idempotency record, answers 202 and starts the review named by the application', async () => {
    const result = await call('POST /v1/applications', { claims: claimsOf(leadOps), body: createApplicationBody(), idempotencyKey: KEY });
    expect(result.statusCode).toBe(202);
    expect(bodyOf(result)).toMatchObject({ application: { applicationId: APPLICATION_ID, amountMinor: '1000000', programVersion: 1 }, status: 'IN_REVIEW', asks: [] });
    const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items.map((i) => [i.Put?.TableName, i.Put?.Item?.pk, i.Put?.Item?.gsi1pk])).toEqual([
      [TEST_TABLES.state, `IDEM#createApplication#${leadOps.clientId}#${KEY}`, undefined],
      [TEST_TABLES.state, `APP#${APPLICATION_ID}`, 'APPSTATUS#IN_REVIEW'],
    ]);
    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input)).toEqual([
      { stateMachineArn: TEST_REVIEW_STATE_MACHINE_ARN, name: APPLICATION_ID, input: `{"applicationId":"${APPLICATION_ID}","round":1}` },
    ]);
  });

  it("answers 422 for a borrower over the unsecured cap across its loans, writes nothing and starts nothing", async () => {
    const exposure = { borrowerId: 'BRW-0001', unsecuredPersonalOutstandingMinor: 19_500_000n, totalOutstandingMinor: 19_500_000n, perLenderMinor: {}, version: 1 };
    ddb.on(GetCommand, { Key: { pk: 'BORROWER#BRW-0001', sk: 'EXPOSURE' } }).resolves({ Item: exposureItem(exposure) });
    const result = await call('POST /v1/applications', { claims: claimsOf(leadOps), body: createApplicationBody(), idempotencyKey: KEY });
    expect(result.statusCode).toBe(422);
    expect(bodyOf(result)).toMatchObject({ code: 'UNSECURED_PERSONAL_CAP', details: { path: 'amountMinor', existingMinor: '19500000' } });
    expect([ddb.commandCalls(TransactWriteCommand).length, sfn.commandCalls(StartExecutionCommand).length]).toEqual([0, 0]);
  });

  it('answers 400 naming the field of an invalid body, and 403 to a partner', async () => {
    const invalid = await call('POST /v1/applications', { claims: claimsOf(leadOps), body: createApplicationBody({ leadApproval: { approved: false, reference: 'R', approvedAt: NOW } }), idempotencyKey: KEY });
    expect([invalid.statusCode, bodyOf(invalid).details]).toMatchObject([400, { path: 'leadApproval.approved' }]);
    const partner = await call('POST /v1/applications', { claims: claimsOf(partnerOf()), body: createApplicationBody(), idempotencyKey: KEY });
    expect(partner.statusCode).toBe(403);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('answers 500 when DynamoDB fails, and starts no review', async () => {
    ddb.on(TransactWriteCommand).rejects(throughput());
    const result = await call('POST /v1/applications', { claims: claimsOf(leadOps), body: createApplicationBody(), idempotencyKey: KEY });
    expect([result.statusCode, bodyOf(result).code]).toEqual([500, 'INTERNAL_ERROR']);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});

describe('GET /v1/applications and /v1/applications/{applicationId}', () => {
  beforeEach(() => {
    ddb.on(GetCommand, { Key: APP_KEY }).resolves({ Item: applicationItem(anApplicationRecord()) });
    ddb.on(QueryCommand, { KeyConditionExpression: 'pk = :p AND begins_with(sk, :a)' }).resolves({
      Items: [askItem(anAsk(), 'token-a'), askItem(anAsk({ lenderId: PARTNER_B, priority: 2 }), 'token-b')],
    });
  });

  it('shows lead operations every ask, without task tokens', async () => {
    const result = await call('GET /v1/applications/{applicationId}', { claims: claimsOf(leadOps), pathParameters: path });
    expect(result.statusCode).toBe(200);
    const body = bodyOf(result) as { status: string; asks: { lenderId: string; askedAmountMinor: string }[] };
    expect([body.status, body.asks.map((a) => [a.lenderId, a.askedAmountMinor])]).toEqual(['IN_REVIEW', [[PARTNER_A, '300000'], [PARTNER_B, '300000']]]);
    expect(result.body).not.toContain('token-');
  });

  it('shows a partner only its own ask, and answers 404 to a lender that was not asked', async () => {
    const own = await call('GET /v1/applications/{applicationId}', { claims: claimsOf(partnerOf(PARTNER_B)), pathParameters: path });
    expect((bodyOf(own).asks as { lenderId: string }[]).map((a) => a.lenderId)).toEqual([PARTNER_B]);
    const stranger = await call('GET /v1/applications/{applicationId}', { claims: claimsOf(partnerOf('PARTNER-C')), pathParameters: path });
    expect([stranger.statusCode, bodyOf(stranger)]).toEqual([404, { code: 'NOT_FOUND', message: `application ${APPLICATION_ID} was not found`, details: { applicationId: APPLICATION_ID } }]);
  });

  it("lists the lead's applications in review by default, from the status index", async () => {
    ddb.on(QueryCommand, { IndexName: 'gsi1' }).resolves({ Items: [applicationItem(anApplicationRecord())] });
    const result = await call('GET /v1/applications', { claims: claimsOf(leadOps) });
    expect(bodyOf(result)).toEqual({ applications: [{ applicationId: APPLICATION_ID, status: 'IN_REVIEW', amountMinor: '1000000', createdAt: NOW }], cursor: null });
    expect(ddb.commandCalls(QueryCommand, { IndexName: 'gsi1' })[0]?.args[0].input.ExpressionAttributeValues).toEqual({ ':p': 'APPSTATUS#IN_REVIEW' });
    await call('GET /v1/applications', { claims: claimsOf(leadOps), query: { status: 'AWAITING_DISBURSEMENT' } });
    expect(ddb.commandCalls(QueryCommand, { IndexName: 'gsi1' })[1]?.args[0].input.ExpressionAttributeValues).toEqual({ ':p': 'APPSTATUS#AWAITING_DISBURSEMENT' });
  });

  it('lists for a partner what awaits its decision', async () => {
    ddb.on(QueryCommand, { IndexName: 'gsi1' }).resolves({ Items: [askItem(anAsk())] });
    ddb.on(GetCommand, { Key: askKey(PARTNER_A) }).resolves({ Item: askItem(anAsk(), 'token-a') });
    const result = await call('GET /v1/applications', { claims: claimsOf(partnerOf(PARTNER_A)) });
    expect(bodyOf(result)).toEqual({ applications: [{ applicationId: APPLICATION_ID, askedAmountMinor: '300000', minimumAmountMinor: '300000', deadline: '2025-03-02T02:00:00.000Z' }], cursor: null });
    expect(ddb.commandCalls(QueryCommand, { IndexName: 'gsi1' })[0]?.args[0].input.ExpressionAttributeValues).toEqual({ ':p': `AWAITING#${PARTNER_A}` });
  });

  it('answers 400 for an unknown status, and 500 when DynamoDB fails', async () => {
    const invalid = await call('GET /v1/applications', { claims: claimsOf(leadOps), query: { status: 'LOST' } });
    expect([invalid.statusCode, bodyOf(invalid).code]).toEqual([400, 'VALIDATION_FAILED']);
    ddb.on(GetCommand).rejects(throughput());
    expect((await call('GET /v1/applications/{applicationId}', { claims: claimsOf(leadOps), pathParameters: path })).statusCode).toBe(500);
  });
});

describe('POST /v1/applications/{applicationId}/decisions', () => {
  const decided = askItem(anAsk({ state: 'APPROVED', decision: aPartnerDecision() }), 'token-a');

  it('stores the decision (201), then resumes the review with the outcome and the ask token', async () => {
    ddb.on(GetCommand, { Key: askKey(PARTNER_A) }).resolvesOnce({ Item: askItem(anAsk(), 'token-a') }).resolves({ Item: decided });
    const result = await call('POST /v1/applications/{applicationId}/decisions', { claims: claimsOf(partnerOf(PARTNER_A)), pathParameters: path, body: approveBody(), idempotencyKey: KEY });
    expect(result.statusCode).toBe(201);
    expect(bodyOf(result)).toMatchObject({ lenderId: PARTNER_A, state: 'APPROVED', decision: { approvedAmountMinor: '300000', decidedBy: partnerOf(PARTNER_A).clientId, decidedAt: NOW } });
    const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items.map((i) => i.Put?.Item?.pk ?? i.Update?.Key?.sk)).toEqual([`IDEM#decideApplication#${partnerOf(PARTNER_A).clientId}#${KEY}`, `ASK#${PARTNER_A}`]);
    expect(sfn.commandCalls(SendTaskSuccessCommand).map((c) => c.args[0].input)).toEqual([
      { taskToken: 'token-a', output: `{"lenderId":"${PARTNER_A}","decision":"APPROVE","approvedAmountMinor":"300000"}` },
    ]);
  });

  it('answers 409 DECISION_ALREADY_MADE to a second decision, and 409 REVIEW_CLOSED after the deadline', async () => {
    ddb.on(GetCommand, { Key: askKey(PARTNER_A) }).resolves({ Item: decided });
    const again = await call('POST /v1/applications/{applicationId}/decisions', { claims: claimsOf(partnerOf(PARTNER_A)), pathParameters: path, body: declineBody(), idempotencyKey: KEY });
    expect([again.statusCode, bodyOf(again).code]).toEqual([409, 'DECISION_ALREADY_MADE']);
    ddb.on(GetCommand, { Key: askKey(PARTNER_B) }).resolves({ Item: askItem(anAsk({ lenderId: PARTNER_B, deadline: NOW }), 'token-b') });
    const late = await call('POST /v1/applications/{applicationId}/decisions', { claims: claimsOf(partnerOf(PARTNER_B)), pathParameters: path, body: approveBody(), idempotencyKey: KEY });
    expect([late.statusCode, bodyOf(late).code]).toEqual([409, 'REVIEW_CLOSED']);
    expect([ddb.commandCalls(TransactWriteCommand).length, sfn.commandCalls(SendTaskSuccessCommand).length]).toEqual([0, 0]);
  });

  it('answers 404 to a lender that was not asked, and 403 to lead operations', async () => {
    const stranger = await call('POST /v1/applications/{applicationId}/decisions', { claims: claimsOf(partnerOf('PARTNER-C')), pathParameters: path, body: approveBody(), idempotencyKey: KEY });
    expect(stranger.statusCode).toBe(404);
    const lead = await call('POST /v1/applications/{applicationId}/decisions', { claims: claimsOf(leadOps), pathParameters: path, body: approveBody(), idempotencyKey: KEY });
    expect(lead.statusCode).toBe(403);
  });

  it('answers 500 when the write fails, and resumes nothing', async () => {
    ddb.on(GetCommand, { Key: askKey(PARTNER_A) }).resolves({ Item: askItem(anAsk(), 'token-a') });
    ddb.on(TransactWriteCommand).rejects(throughput());
    const result = await call('POST /v1/applications/{applicationId}/decisions', { claims: claimsOf(partnerOf(PARTNER_A)), pathParameters: path, body: approveBody(), idempotencyKey: KEY });
    expect(result.statusCode).toBe(500);
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
  });
});

describe('POST /v1/applications/{applicationId}/disbursement', () => {
  const awaiting = applicationItem(anApplicationRecord({ status: 'AWAITING_DISBURSEMENT' }), ['Submitted', 'AwaitDisbursement'], 'token-d');
  const disbursed = { outcome: 'DISBURSED', disbursementReference: 'DISB-20250303-0042', disbursementDate: '2025-02-28' };

  it('resumes the saga with the disbursement and answers 202', async () => {
    ddb.on(GetCommand, { Key: APP_KEY }).resolves({ Item: awaiting });
    const result = await call('POST /v1/applications/{applicationId}/disbursement', { claims: claimsOf(leadOps), pathParameters: path, body: disbursed, idempotencyKey: KEY });
    expect([result.statusCode, bodyOf(result)]).toEqual([202, { applicationId: APPLICATION_ID, outcome: 'DISBURSED', acceptedAt: NOW }]);
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input).toEqual({
      taskToken: 'token-d',
      output: `{"applicationId":"${APPLICATION_ID}","disbursementReference":"DISB-20250303-0042","disbursementDate":"2025-02-28"}`,
    });
    expect(ddb.commandCalls(PutCommand).map((c) => c.args[0].input.Item?.pk)).toEqual([`IDEM#confirmDisbursement#${leadOps.clientId}#${KEY}`]);
  });

  it('fails the wait with DisbursementFailed for a failed disbursement', async () => {
    ddb.on(GetCommand, { Key: APP_KEY }).resolves({ Item: awaiting });
    const result = await call('POST /v1/applications/{applicationId}/disbursement', { claims: claimsOf(leadOps), pathParameters: path, body: { outcome: 'FAILED', reason: 'account frozen' }, idempotencyKey: KEY });
    expect(result.statusCode).toBe(202);
    expect(sfn.commandCalls(SendTaskFailureCommand)[0]?.args[0].input).toEqual({ taskToken: 'token-d', error: 'DisbursementFailed', cause: 'account frozen' });
  });

  it('answers 409 NOT_AWAITING_DISBURSEMENT when the application is not waiting, or stopped waiting', async () => {
    const plannedItem = applicationItem(anApplicationRecord({ status: 'PLANNED' }));
    ddb.on(GetCommand, { Key: APP_KEY }).resolvesOnce({ Item: plannedItem }).resolvesOnce({ Item: plannedItem }).resolves({ Item: awaiting });
    const planned = await call('POST /v1/applications/{applicationId}/disbursement', { claims: claimsOf(leadOps), pathParameters: path, body: disbursed, idempotencyKey: KEY });
    expect([planned.statusCode, bodyOf(planned).code, bodyOf(planned).details]).toEqual([409, 'NOT_AWAITING_DISBURSEMENT', { applicationId: APPLICATION_ID, status: 'PLANNED' }]);
    sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'timed out', $metadata: {} }));
    const expired = await call('POST /v1/applications/{applicationId}/disbursement', { claims: claimsOf(leadOps), pathParameters: path, body: disbursed, idempotencyKey: KEY });
    expect([expired.statusCode, bodyOf(expired).code]).toEqual([409, 'NOT_AWAITING_DISBURSEMENT']);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('answers 400 for an unknown outcome, and 500 when DynamoDB fails', async () => {
    const invalid = await call('POST /v1/applications/{applicationId}/disbursement', { claims: claimsOf(leadOps), pathParameters: path, body: { outcome: 'LOST' }, idempotencyKey: KEY });
    expect(invalid.statusCode).toBe(400);
    ddb.on(GetCommand).rejects(throughput());
    const failed = await call('POST /v1/applications/{applicationId}/disbursement', { claims: claimsOf(leadOps), pathParameters: path, body: disbursed, idempotencyKey: KEY });
    expect(failed.statusCode).toBe(500);
    expect(sfn.calls()).toHaveLength(0);
  });
});
