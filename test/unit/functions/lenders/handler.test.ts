import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { ProvisionedThroughputExceededException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { canonicalJson, sha256 } from '../../../../shared/json.ts';
import { LEAD_ID, NOW, PARTNER_A, PARTNER_B, aLender, createLenderBody, leadOps, partnerOf } from '../../../support/builders.ts';
import { apiEvent, bodyOf, claimsOf, lambdaContext, type EventOptions } from '../../../support/api-events.ts';
import { idempotencyItem, lenderItem } from '../../../support/dynamo-items.ts';
import { TEST_TABLES, setHandlerEnv } from '../../../support/handler-env.ts';

setHandlerEnv();
const ddb = mockClient(DynamoDBDocumentClient);
const { handler } = await import('../../../../functions/lenders/handler.ts');

const KEY = 'create-partner-a-0001';
const SECRET = 'whsec-partner-a-0123456789abcdef0123456789';
const call = (routeKey: string, options: EventOptions) => handler(apiEvent(routeKey, options), lambdaContext());

beforeEach(() => {
  vi.useFakeTimers({ now: new Date(NOW), toFake: ['Date'] });
  ddb.on(GetCommand).resolves({});
});
afterEach(() => {
  vi.useRealTimers();
  ddb.reset();
});

describe('POST /v1/lenders', () => {
  it('creates the lender: 201 with the lender, amounts as strings, written with its idempotency record', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    const result = await call('POST /v1/lenders', { claims: claimsOf(leadOps), body: createLenderBody(), idempotencyKey: KEY });
    expect(result.statusCode).toBe(201);
    expect(bodyOf(result)).toEqual({ ...createLenderBody(), webhook: null, createdAt: NOW });
    const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items.map((i) => [i.Put?.TableName, i.Put?.Item?.pk])).toEqual([
      [TEST_TABLES.state, `IDEM#createLender#${leadOps.clientId}#${KEY}`],
      [TEST_TABLES.state, `LENDER#${PARTNER_A}`],
    ]);
    expect(items[0]?.Put?.Item?.responseBody).toBe(result.body);
  });

  it('stores the webhook with its secret, and answers only its url', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    const webhook = { url: 'https://partner-a.example/colend/reviews', secret: SECRET };
    const result = await call('POST /v1/lenders', { claims: claimsOf(leadOps), body: createLenderBody({ webhook }), idempotencyKey: KEY });
    expect(result.statusCode).toBe(201);
    expect(bodyOf(result).webhook).toEqual({ url: webhook.url, secretConfigured: true });
    expect(result.body).not.toContain(SECRET);
    const [idem, lender] = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(lender?.Put?.Item?.webhook).toEqual(webhook);
    expect(String(idem?.Put?.Item?.responseBody)).not.toContain(SECRET);
  });

  it('answers 400 for a webhook over plain http or with a short secret', async () => {
    const plain = await call('POST /v1/lenders', { claims: claimsOf(leadOps), body: createLenderBody({ webhook: { url: 'http://partner-a.example/hook', secret: SECRET } }), idempotencyKey: KEY });
    expect([plain.statusCode, bodyOf(plain).details]).toMatchObject([400, { path: 'webhook.url' }]);
    const short = await call('POST /v1/lenders', { claims: claimsOf(leadOps), body: createLenderBody({ webhook: { url: 'https://partner-a.example/hook', secret: 'short' } }), idempotencyKey: KEY });
    expect([short.statusCode, bodyOf(short).details]).toMatchObject([400, { path: 'webhook.secret' }]);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('replays the stored response for the same key and body', async () => {
    const body = createLenderBody();
    const record = { scopeKey: `createLender#${leadOps.clientId}#${KEY}`, requestHash: sha256(canonicalJson(body)), statusCode: 201, responseBody: '{"lenderId":"PARTNER-A"}', createdAt: NOW };
    ddb.on(GetCommand, { Key: { pk: `IDEM#${record.scopeKey}`, sk: 'IDEM' } }).resolves({ Item: idempotencyItem(record) });
    const result = await call('POST /v1/lenders', { claims: claimsOf(leadOps), body, idempotencyKey: KEY });
    expect(result).toEqual({ statusCode: 201, headers: { 'content-type': 'application/json', 'idempotent-replayed': 'true' }, body: '{"lenderId":"PARTNER-A"}' });
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('answers 409 LENDER_EXISTS when the lender id is taken', async () => {
    ddb.on(TransactWriteCommand).rejects(new TransactionCanceledException({ message: 'cancelled', $metadata: {}, CancellationReasons: [{ Code: 'None' }, { Code: 'ConditionalCheckFailed' }] }));
    const result = await call('POST /v1/lenders', { claims: claimsOf(leadOps), body: createLenderBody(), idempotencyKey: KEY });
    expect(result.statusCode).toBe(409);
    expect(bodyOf(result)).toEqual({ code: 'LENDER_EXISTS', message: 'the lender already exists', details: { entity: 'lender' } });
  });

  it('answers 400 naming the field of an invalid body', async () => {
    const result = await call('POST /v1/lenders', { claims: claimsOf(leadOps), body: createLenderBody({ limits: { exposureQuotaMinor: '1.5', perBorrowerCapMinor: '0' } }), idempotencyKey: KEY });
    expect(result.statusCode).toBe(400);
    expect(bodyOf(result)).toMatchObject({ code: 'VALIDATION_FAILED', details: { path: 'limits.exposureQuotaMinor' } });
    expect(ddb.calls()).toHaveLength(0);
  });

  it('answers 403 to a partner', async () => {
    const result = await call('POST /v1/lenders', { claims: claimsOf(partnerOf()), body: createLenderBody(), idempotencyKey: KEY });
    expect(result.statusCode).toBe(403);
    expect(bodyOf(result).code).toBe('FORBIDDEN');
  });
});

describe('GET /v1/lenders and /v1/lenders/{lenderId}', () => {
  it('lists lenders to lead operations', async () => {
    ddb.on(QueryCommand).resolves({ Items: [lenderItem(aLender({ lenderId: PARTNER_B })), lenderItem(aLender({ lenderId: LEAD_ID, roles: ['LEAD'] }))] });
    const result = await call('GET /v1/lenders', { claims: claimsOf(leadOps) });
    expect(result.statusCode).toBe(200);
    const { lenders } = bodyOf(result) as { lenders: { lenderId: string; limits: { perBorrowerCapMinor: string } }[] };
    expect(lenders.map((l) => l.lenderId)).toEqual([LEAD_ID, PARTNER_B]);
    expect(lenders[0]?.limits.perBorrowerCapMinor).toBe('50000000');
  });

  it("gets a partner's own record, and 404 for another lender's", async () => {
    ddb.on(GetCommand, { Key: { pk: `LENDER#${PARTNER_A}`, sk: 'LENDER' } }).resolves({ Item: lenderItem(aLender()) });
    const own = await call('GET /v1/lenders/{lenderId}', { claims: claimsOf(partnerOf(PARTNER_A)), pathParameters: { lenderId: PARTNER_A } });
    expect(own.statusCode).toBe(200);
    expect(bodyOf(own)).toMatchObject({ lenderId: PARTNER_A, netTier1CapitalMinor: '50000000000000' });
    const other = await call('GET /v1/lenders/{lenderId}', { claims: claimsOf(partnerOf(PARTNER_B)), pathParameters: { lenderId: PARTNER_A } });
    expect(other.statusCode).toBe(404);
    expect(bodyOf(other)).toEqual({ code: 'NOT_FOUND', message: `lender ${PARTNER_A} was not found`, details: { lenderId: PARTNER_A } });
  });

  it('never answers the webhook secret of a stored lender', async () => {
    const webhook = { url: 'https://partner-a.example/colend/reviews', secret: SECRET };
    ddb.on(GetCommand, { Key: { pk: `LENDER#${PARTNER_A}`, sk: 'LENDER' } }).resolves({ Item: lenderItem(aLender({ webhook })) });
    ddb.on(QueryCommand).resolves({ Items: [lenderItem(aLender({ webhook }))] });
    const one = await call('GET /v1/lenders/{lenderId}', { claims: claimsOf(partnerOf(PARTNER_A)), pathParameters: { lenderId: PARTNER_A } });
    const all = await call('GET /v1/lenders', { claims: claimsOf(leadOps) });
    expect(bodyOf(one).webhook).toEqual({ url: webhook.url, secretConfigured: true });
    expect((bodyOf(all) as { lenders: { webhook: unknown }[] }).lenders[0]?.webhook).toEqual({ url: webhook.url, secretConfigured: true });
    expect(`${one.body}${all.body}`).not.toContain(SECRET);
  });

  it('answers 500 INTERNAL_ERROR when DynamoDB fails', async () => {
    ddb.on(GetCommand).rejects(new ProvisionedThroughputExceededException({ message: 'throughput exceeded', $metadata: {} }));
    const result = await call('GET /v1/lenders/{lenderId}', { claims: claimsOf(leadOps), pathParameters: { lenderId: PARTNER_A } });
    expect(result.statusCode).toBe(500);
    expect(bodyOf(result)).toMatchObject({ code: 'INTERNAL_ERROR', details: {} });
    expect(result.body).not.toContain('throughput');
  });

  it('answers 404 to a route of another function', async () => {
    expect((await call('POST /v1/loans', { claims: claimsOf(leadOps) })).statusCode).toBe(404);
  });
});
