import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { InternalServerError } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { LEAD_ID, NOW, PARTNER_A, PARTNER_B, PROGRAM_ID, aProgram, createProgramBody, defaultLenders, leadOps, partnerOf } from '../../../support/builders.ts';
import { apiEvent, bodyOf, claimsOf, lambdaContext, type EventOptions } from '../../../support/api-events.ts';
import { lenderItem, programItem } from '../../../support/dynamo-items.ts';
import { TEST_TABLES, setHandlerEnv } from '../../../support/handler-env.ts';

setHandlerEnv();
const ddb = mockClient(DynamoDBDocumentClient);
const { handler } = await import('../../../../functions/programs/handler.ts');

const KEY = 'program-consumer-v1';
const call = (routeKey: string, options: EventOptions) => handler(apiEvent(routeKey, options), lambdaContext());

beforeEach(() => {
  vi.useFakeTimers({ now: new Date(NOW), toFake: ['Date'] });
  ddb.on(GetCommand).resolves({});
  ddb.on(BatchGetCommand).resolves({ Responses: { [TEST_TABLES.state]: defaultLenders().map(lenderItem) } });
});
afterEach(() => {
  vi.useRealTimers();
  ddb.reset();
});

describe('POST /v1/programs', () => {
  it('writes the next version: 201 with version 2 after version 1', async () => {
    ddb.on(QueryCommand).resolves({ Items: [programItem(aProgram({ version: 1 }))] });
    ddb.on(TransactWriteCommand).resolves({});
    const result = await call('POST /v1/programs', { claims: claimsOf(leadOps), body: createProgramBody(), idempotencyKey: KEY });
    expect(result.statusCode).toBe(201);
    expect(bodyOf(result)).toMatchObject({ programId: PROGRAM_ID, version: 2, regulatoryProfile: 'CN-2021', createdAt: NOW, amountRange: { minMinor: '100000', maxMinor: '50000000' } });
    const put = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems?.[1]?.Put;
    expect([put?.Item?.pk, put?.Item?.sk, put?.ConditionExpression]).toEqual([`PROGRAM#${PROGRAM_ID}`, 'V#000002', 'attribute_not_exists(pk)']);
  });

  it('answers 422 naming the rule, the figures and the participant', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    const participants = [
      { lenderId: LEAD_ID, role: 'LEAD', targetShareBps: 5000 },
      { lenderId: PARTNER_A, role: 'PARTNER', targetShareBps: 3000 },
      { lenderId: PARTNER_B, role: 'PARTNER', targetShareBps: 2000 },
    ];
    const result = await call('POST /v1/programs', { claims: claimsOf(leadOps), body: createProgramBody({ participants }), idempotencyKey: KEY });
    expect(result.statusCode).toBe(422);
    expect(bodyOf(result)).toEqual({
      code: 'PARTNER_MIN_SHARE',
      message: `under CN-2021 a partner funds at least 30% of each loan; ${PARTNER_B} targets 20%`,
      details: { path: 'participants.2.targetShareBps', rule: 'PARTNER_MIN_SHARE', profile: 'CN-2021', minimumBps: 3000, actualBps: 2000 },
    });
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });
});

describe('GET /v1/programs and /v1/programs/{programId}', () => {
  it('gets a given version with ?version=N', async () => {
    ddb.on(GetCommand, { Key: { pk: `PROGRAM#${PROGRAM_ID}`, sk: 'V#000001' } }).resolves({ Item: programItem(aProgram()) });
    const result = await call('GET /v1/programs/{programId}', { claims: claimsOf(partnerOf(PARTNER_A)), pathParameters: { programId: PROGRAM_ID }, query: { version: '1' } });
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toMatchObject({ programId: PROGRAM_ID, version: 1 });
  });

  it('answers 400 for a version that is not a number, naming it', async () => {
    const result = await call('GET /v1/programs/{programId}', { claims: claimsOf(leadOps), pathParameters: { programId: PROGRAM_ID }, query: { version: 'latest' } });
    expect(result.statusCode).toBe(400);
    expect(bodyOf(result)).toMatchObject({ code: 'VALIDATION_FAILED', details: { path: 'version' } });
  });

  it('answers 404 to a partner that is not in the program', async () => {
    ddb.on(QueryCommand).resolves({ Items: [programItem(aProgram())] });
    const result = await call('GET /v1/programs/{programId}', { claims: claimsOf(partnerOf('PARTNER-Z')), pathParameters: { programId: PROGRAM_ID } });
    expect(result.statusCode).toBe(404);
  });

  it('lists the latest versions', async () => {
    // The index read newest version first: a program's first version met is its latest.
    ddb.on(QueryCommand).resolves({ Items: [programItem(aProgram({ version: 2 })), programItem(aProgram({ version: 1 }))] });
    const result = await call('GET /v1/programs', { claims: claimsOf(leadOps) });
    expect((bodyOf(result).programs as { version: number }[]).map((p) => p.version)).toEqual([2]);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({ ScanIndexForward: false, Limit: 50 });
    const tooMany = await call('GET /v1/programs', { claims: claimsOf(leadOps), query: { limit: '101' } });
    expect([tooMany.statusCode, (bodyOf(tooMany).details as { path: string }).path]).toEqual([400, 'limit']);
  });

  it('answers 500 INTERNAL_ERROR when DynamoDB fails', async () => {
    ddb.on(QueryCommand).rejects(new InternalServerError({ message: 'throughput exceeded', $metadata: {} }));
    const result = await call('GET /v1/programs', { claims: claimsOf(leadOps) });
    expect(result.statusCode).toBe(500);
    expect(bodyOf(result).code).toBe('INTERNAL_ERROR');
  });
});
