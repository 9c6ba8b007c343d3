import { expiresAtEpochSeconds } from '../../../../shared/http/idempotency.ts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { InternalServerError, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { canonicalJson, sha256 } from '../../../../shared/json.ts';
import { LEAD_ID, NOW, PARTNER_A, PARTNER_B, aLender, createLenderBody, leadOps, partnerOf, platformFinance } from '../../../support/builders.ts';
import { apiEvent, bodyOf, claimsOf, lambdaContext, type EventOptions } from '../../../support/api-events.ts';
import { idempotencyItem, lenderItem } from '../../../support/dynamo-items.ts';
import { TEST_TABLES, TEST_WEBHOOK_SECRETS_PREFIX, setHandlerEnv } from '../../../support/handler-env.ts';
import { CreateSecretCommand, GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { versionToken } from '../../../../shared/adapters/webhook-secrets/secrets-manager.ts';

setHandlerEnv();
const ddb = mockClient(DynamoDBDocumentClient);
const secrets = mockClient(SecretsManagerClient);
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
  secrets.reset();
});

describe('POST /v1/lenders', () => {
  it('creates the lender: 201 with the lender, amounts as strings, written with its idempotency record', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    const result = await call('POST /v1/lenders', { claims: claimsOf(leadOps), body: createLenderBody(), idempotencyKey: KEY });
    expect(result.statusCode).toBe(201);
    const body = createLenderBody();
    // The answer is kept in the idempotency record: the account number is masked in it (docs/personal-data.md).
    expect(bodyOf(result)).toEqual({ ...body, settlementAccount: { ...(body['settlementAccount'] as object), accountNumber: '****2222' }, webhook: null, createdAt: NOW });
    const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items.map((i) => [i.Put?.TableName, i.Put?.Item?.pk])).toEqual([
      [TEST_TABLES.state, `IDEM#createLender#${leadOps.clientId}#${KEY}`],
      [TEST_TABLES.state, `LENDER#${PARTNER_A}`],
    ]);
    expect(items[0]?.Put?.Item?.responseBody).toBe(result.body);
    expect(JSON.stringify(items)).not.toContain('6222000011112222');
  });

  it("stores the webhook's secret in the stage's Secrets Manager secret, the record naming its version only, and answers only its url", async () => {
    ddb.on(TransactWriteCommand).resolves({});
    secrets.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: 'not found', $metadata: {} }));
    secrets.on(CreateSecretCommand).resolves({});
    const webhook = { url: 'https://partner-a.example/colend/reviews', secret: SECRET };
    const result = await call('POST /v1/lenders', { claims: claimsOf(leadOps), body: createLenderBody({ webhook }), idempotencyKey: KEY });
    expect(result.statusCode).toBe(201);
    expect(bodyOf(result).webhook).toEqual({ url: webhook.url, secretConfigured: true, secretVersion: 1 });
    expect(result.body).not.toContain(SECRET);
    const name = `${TEST_WEBHOOK_SECRETS_PREFIX}${PARTNER_A}`;
    expect(secrets.commandCalls(CreateSecretCommand).map((c) => c.args[0].input)).toEqual([
      {
        Name: name,
        Description: `Webhook signing secrets of lender ${PARTNER_A}`,
        SecretString: JSON.stringify({ current: { version: 1, secret: SECRET, since: NOW }, previous: null }),
        ClientRequestToken: versionToken(name, 1),
      },
    ]);
    const [idem, lender] = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(lender?.Put?.Item?.webhook).toEqual({ url: webhook.url, secretVersion: 1 });
    expect(JSON.stringify(ddb.calls().map((c) => c.args[0].input))).not.toContain(SECRET);
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
    const record = { scopeKey: `createLender#${leadOps.clientId}#${KEY}`, requestHash: sha256(canonicalJson(body)), statusCode: 201, responseBody: '{"lenderId":"PARTNER-A"}', createdAt: NOW, expiresAtEpochSeconds: expiresAtEpochSeconds(NOW) };
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
    ddb.on(QueryCommand).resolves({ Items: [lenderItem(aLender({ lenderId: LEAD_ID, roles: ['LEAD'] })), lenderItem(aLender({ lenderId: PARTNER_B }))] });
    const result = await call('GET /v1/lenders', { claims: claimsOf(leadOps) });
    expect(result.statusCode).toBe(200);
    const { lenders, cursor } = bodyOf(result) as { lenders: { lenderId: string; limits: { perBorrowerCapMinor: string } }[]; cursor: string | null };
    expect([lenders.map((l) => l.lenderId), cursor]).toEqual([[LEAD_ID, PARTNER_B], null]);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({ IndexName: 'gsi1', ExpressionAttributeValues: { ':p': 'LENDERS' }, Limit: 50 });
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

  it('never answers the webhook secret still on a record from before secrets were kept apart: its version reads 0', async () => {
    const webhook = { url: 'https://partner-a.example/colend/reviews', secret: SECRET };
    const legacy = { ...lenderItem(aLender()), webhook };
    ddb.on(GetCommand, { Key: { pk: `LENDER#${PARTNER_A}`, sk: 'LENDER' } }).resolves({ Item: legacy });
    ddb.on(QueryCommand).resolves({ Items: [legacy] });
    const one = await call('GET /v1/lenders/{lenderId}', { claims: claimsOf(partnerOf(PARTNER_A)), pathParameters: { lenderId: PARTNER_A } });
    const all = await call('GET /v1/lenders', { claims: claimsOf(leadOps) });
    expect(bodyOf(one).webhook).toEqual({ url: webhook.url, secretConfigured: true, secretVersion: 0 });
    expect((bodyOf(all) as { lenders: { webhook: unknown }[] }).lenders[0]?.webhook).toEqual({ url: webhook.url, secretConfigured: true, secretVersion: 0 });
    expect(`${one.body}${all.body}`).not.toContain(SECRET);
  });

  it('answers 500 INTERNAL_ERROR when DynamoDB fails', async () => {
    ddb.on(GetCommand).rejects(new InternalServerError({ message: 'throughput exceeded', $metadata: {} }));
    const result = await call('GET /v1/lenders/{lenderId}', { claims: claimsOf(leadOps), pathParameters: { lenderId: PARTNER_A } });
    expect(result.statusCode).toBe(500);
    expect(bodyOf(result)).toMatchObject({ code: 'INTERNAL_ERROR', details: {} });
    expect(result.body).not.toContain('throughput');
  });

  it('answers 404 to a route of another function', async () => {
    expect((await call('POST /v1/loans', { claims: claimsOf(leadOps) })).statusCode).toBe(404);
  });
});

describe('PUT and GET /v1/lenders/{lenderId}/regulatory-figures', () => {
  const FIGURES_KEY = 'figures-partner-a-2025q1';
  const body = { netTier1CapitalMinor: '180000000', totalLoansMinor: '900000000', source: '2024 Q4 regulatory report' };
  const put = (pathParameters: Record<string, string>, options: Partial<EventOptions> = {}) =>
    call('PUT /v1/lenders/{lenderId}/regulatory-figures/{effectiveDate}', { claims: claimsOf(leadOps), body, idempotencyKey: FIGURES_KEY, pathParameters, ...options });

  beforeEach(() => {
    ddb.on(GetCommand, { Key: { pk: `LENDER#${PARTNER_A}`, sk: 'LENDER' } }).resolves({ Item: lenderItem(aLender()) });
    ddb.on(QueryCommand).resolves({ Items: [] });
  });

  it('stores version 1 of the date with who set it, in one transaction with its idempotency record: 201', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    const result = await put({ lenderId: PARTNER_A, effectiveDate: '2025-03-01' });
    expect(result.statusCode).toBe(201);
    expect(bodyOf(result)).toEqual({ lenderId: PARTNER_A, effectiveDate: '2025-03-01', version: 1, ...body, setBy: leadOps.clientId, setAt: NOW });
    const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items.map((i) => [i.Put?.Item?.pk, i.Put?.Item?.sk, i.Put?.ConditionExpression])).toEqual([
      [`IDEM#setRegulatoryFigures#${leadOps.clientId}#${FIGURES_KEY}`, 'IDEM', 'attribute_not_exists(pk)'],
      [`LENDER#${PARTNER_A}`, 'FIGURES#2025-03-01#V#000001', 'attribute_not_exists(pk)'],
    ]);
    expect(items[1]?.Put?.Item?.netTier1CapitalMinor).toBe('180000000');
  });

  it.each([
    [{ effectiveDate: '2025-02-30' }, {}, 'effectiveDate'],
    [{ effectiveDate: '2025-3-01' }, {}, 'effectiveDate'],
    [{}, { body: { ...body, netTier1CapitalMinor: '0' } }, 'netTier1CapitalMinor'],
    [{}, { body: { ...body, totalLoansMinor: '-5' } }, 'totalLoansMinor'],
    [{}, { body: { ...body, totalLoansMinor: '12.5' } }, 'totalLoansMinor'],
    [{}, { body: { ...body, source: '  ' } }, 'source'],
  ] as const)('answers 400 naming the field, and writes nothing: %j %j', async (path, options, field) => {
    const result = await put({ lenderId: PARTNER_A, effectiveDate: '2025-03-01', ...path }, options);
    expect(result.statusCode).toBe(400);
    expect(bodyOf(result)).toMatchObject({ code: 'VALIDATION_FAILED', details: { path: field } });
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('answers 422 EFFECTIVE_DATE_IN_FUTURE for a date after today, and 403 to anyone but lead operations', async () => {
    const future = await put({ lenderId: PARTNER_A, effectiveDate: '2025-03-02' });
    expect(future.statusCode).toBe(422);
    expect(bodyOf(future)).toMatchObject({ code: 'EFFECTIVE_DATE_IN_FUTURE', details: { path: 'effectiveDate', today: '2025-03-01' } });
    for (const caller of [partnerOf(PARTNER_A), platformFinance]) {
      expect((await put({ lenderId: PARTNER_A, effectiveDate: '2025-03-01' }, { claims: claimsOf(caller) })).statusCode).toBe(403);
    }
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it("lists a bank's figures, its registration's first, with those in force today; another partner's are not found", async () => {
    const stored = { lenderId: PARTNER_A, effectiveDate: '2025-03-01', version: 1, ...body, setBy: 'lead-ops-client', setAt: NOW };
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ':p': `LENDER#${PARTNER_A}`, ':f': 'FIGURES#' } }).resolves({ Items: [{ pk: `LENDER#${PARTNER_A}`, sk: 'FIGURES#2025-03-01#V#000001', entityType: 'RegulatoryFigures', ...stored }] });
    const own = await call('GET /v1/lenders/{lenderId}/regulatory-figures', { claims: claimsOf(partnerOf(PARTNER_A)), pathParameters: { lenderId: PARTNER_A } });
    expect(own.statusCode).toBe(200);
    expect(bodyOf(own)).toMatchObject({ lenderId: PARTNER_A, today: '2025-03-01', inForce: { version: 1, netTier1CapitalMinor: '180000000' } });
    expect((bodyOf(own).figures as { version: number; source: string }[]).map((f) => [f.version, f.source])).toEqual([
      [0, 'lender registration'],
      [1, '2024 Q4 regulatory report'],
    ]);
    const other = await call('GET /v1/lenders/{lenderId}/regulatory-figures', { claims: claimsOf(partnerOf(PARTNER_B)), pathParameters: { lenderId: PARTNER_A } });
    expect(other.statusCode).toBe(404);
  });
});
