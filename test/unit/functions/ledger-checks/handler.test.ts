import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { InternalServerError } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { LedgerCheckReport } from '../../../../shared/ports/stores.ts';
import { NOW, PARTNER_A, financeOf, leadOps, partnerOf, platformFinance, startLedgerCheckBody } from '../../../support/builders.ts';
import { apiEvent, bodyOf, claimsOf, lambdaContext, type EventOptions } from '../../../support/api-events.ts';
import { ledgerCheckItem } from '../../../support/dynamo-items.ts';
import { TEST_STATE_MACHINE_ARN, setHandlerEnv } from '../../../support/handler-env.ts';

setHandlerEnv();
const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
const { handler } = await import('../../../../functions/ledger-checks/handler.ts');

const KEY = 'check-2025-02-28-0001';
const EXECUTION = `ledger-check-2025-02-28-${createHash('sha256').update(KEY).digest('hex').slice(0, 16)}`;
const EXECUTION_ARN = `arn:aws-cn:states:cn-north-1:123456789012:execution:LedgerCheck:${EXECUTION}`;
const call = (routeKey: string, options: EventOptions) => handler(apiEvent(routeKey, options), lambdaContext());

const report: LedgerCheckReport = { businessDate: '2025-02-28', status: 'BALANCED', loansChecked: 12, entriesChecked: 12, differenceCount: 0, completedAt: NOW };

beforeEach(() => {
  ddb.on(GetCommand).resolves({});
  ddb.on(PutCommand).resolves({});
  sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: new Date(NOW) });
});
afterEach(() => {
  ddb.reset();
  sfn.reset();
});

describe('POST /v1/ledger-checks', () => {
  it('starts the named execution and answers 202', async () => {
    const result = await call('POST /v1/ledger-checks', { claims: claimsOf(platformFinance), body: startLedgerCheckBody(), idempotencyKey: KEY });
    expect(result.statusCode).toBe(202);
    expect(bodyOf(result)).toEqual({ businessDate: '2025-02-28', executionArn: EXECUTION_ARN, status: 'STARTED' });
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({ stateMachineArn: TEST_STATE_MACHINE_ARN, name: EXECUTION, input: '{"businessDate":"2025-02-28"}' });
    // The key reserved before the start, then the answer over the reservation.
    const key = `IDEM#startLedgerCheck#${platformFinance.clientId}#${KEY}`;
    expect(ddb.commandCalls(PutCommand).map((c) => [c.args[0].input.Item?.pk, c.args[0].input.Item?.state])).toEqual([
      [key, 'IN_PROGRESS'],
      [key, undefined],
    ]);
  });

  it("answers 403 to a lender's own finance team and to a partner, starting nothing", async () => {
    const finance = await call('POST /v1/ledger-checks', { claims: claimsOf(financeOf(PARTNER_A)), body: startLedgerCheckBody(), idempotencyKey: KEY });
    expect(finance.statusCode).toBe(403);
    const partner = await call('POST /v1/ledger-checks', { claims: claimsOf(partnerOf()), body: startLedgerCheckBody(), idempotencyKey: KEY });
    expect(partner.statusCode).toBe(403);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('answers 400 for a date that does not exist', async () => {
    const result = await call('POST /v1/ledger-checks', { claims: claimsOf(leadOps), body: startLedgerCheckBody({ businessDate: '2025-02-29' }), idempotencyKey: KEY });
    expect(result.statusCode).toBe(400);
    expect(bodyOf(result)).toMatchObject({ code: 'VALIDATION_FAILED', details: { path: 'businessDate' } });
  });

  it('answers 500 INTERNAL_ERROR when DynamoDB fails', async () => {
    ddb.on(GetCommand).rejects(new InternalServerError({ message: 'throughput exceeded', $metadata: {} }));
    const result = await call('POST /v1/ledger-checks', { claims: claimsOf(leadOps), body: startLedgerCheckBody(), idempotencyKey: KEY });
    expect(result.statusCode).toBe(500);
    expect(bodyOf(result).code).toBe('INTERNAL_ERROR');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});

describe('GET /v1/ledger-checks/{businessDate}', () => {
  it('answers the report', async () => {
    ddb.on(GetCommand, { Key: { pk: 'LEDGERCHECK#2025-02-28', sk: 'REPORT' } }).resolves({ Item: ledgerCheckItem(report) });
    ddb.on(QueryCommand).resolves({ Items: [] });
    const result = await call('GET /v1/ledger-checks/{businessDate}', { claims: claimsOf(leadOps), pathParameters: { businessDate: '2025-02-28' } });
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toEqual({ ...report, differences: [], cursor: null });
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({ KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'DETAIL#LEDGERCHECK#2025-02-28' }, Limit: 50 });
  });

  it('refuses a limit above 100 and a tampered cursor with 400 naming the field, reading nothing', async () => {
    ddb.on(GetCommand).resolves({ Item: ledgerCheckItem(report) });
    const tooMany = await call('GET /v1/ledger-checks/{businessDate}', { claims: claimsOf(leadOps), pathParameters: { businessDate: '2025-02-28' }, query: { limit: '101' } });
    expect([tooMany.statusCode, bodyOf(tooMany).details]).toEqual([400, expect.objectContaining({ path: 'limit' })]);
    const tampered = await call('GET /v1/ledger-checks/{businessDate}', {
      claims: claimsOf(leadOps),
      pathParameters: { businessDate: '2025-02-28' },
      query: { cursor: Buffer.from(JSON.stringify({ pk: 'LEDGERCHECK#2025-02-28', sk: 'REPORT' })).toString('base64url') },
    });
    expect([tampered.statusCode, bodyOf(tampered).details]).toEqual([400, { path: 'cursor', rule: 'cursor' }]);
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
  });

  it('answers 404 for a date without a report and 400 for a malformed date', async () => {
    const missing = await call('GET /v1/ledger-checks/{businessDate}', { claims: claimsOf(leadOps), pathParameters: { businessDate: '2025-02-27' } });
    expect([missing.statusCode, bodyOf(missing).code]).toEqual([404, 'NOT_FOUND']);
    const malformed = await call('GET /v1/ledger-checks/{businessDate}', { claims: claimsOf(leadOps), pathParameters: { businessDate: '28-02-2025' } });
    expect([malformed.statusCode, bodyOf(malformed).code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('answers 500 INTERNAL_ERROR when DynamoDB fails', async () => {
    ddb.on(GetCommand).rejects(new InternalServerError({ message: 'throughput exceeded', $metadata: {} }));
    const result = await call('GET /v1/ledger-checks/{businessDate}', { claims: claimsOf(leadOps), pathParameters: { businessDate: '2025-02-28' } });
    expect(result.statusCode).toBe(500);
  });
});
