import { describe, expect, it, vi } from 'vitest';
import type { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import { RuleViolation, ValidationError } from '../../../../shared/domain/errors.ts';
import { apiHandler, callerOf, idempotentWrite, pathParam, recordedWrite, type ApiRequest, type RouteHandler } from '../../../../shared/http/api.ts';
import { validate } from '../../../../shared/contracts/validate.ts';
import { HttpError } from '../../../../shared/http/errors.ts';
import type { Seal } from '../../../../shared/ports/stores.ts';
import { routeSpec, type RouteKey } from '../../../../shared/http/routes.ts';
import { PARTNER_A, bookLoanBody, createLenderBody, financeOf, leadOps, partnerOf, platformFinance } from '../../../support/builders.ts';
import { apiEvent, bodyOf, claimsOf, lambdaContext, type EventOptions } from '../../../support/api-events.ts';
import { thrownBy } from '../../../support/expect-error.ts';
import { createInMemoryStores } from '../../../support/in-memory-stores.ts';
import { InMemoryAuditStore } from '../../../support/in-memory-audit.ts';

const KEY = 'request-0001';
const lead = claimsOf(leadOps);

function silentLogger() {
  const error = vi.fn();
  return { logger: { error, resetKeys: vi.fn(), addContext: vi.fn(), appendKeys: vi.fn() } as unknown as Logger, error };
}

/** A handler serving `routes`, whose route functions record what they were given. */
function serve(routes: Partial<Record<RouteKey, RouteHandler>>) {
  const { logger, error } = silentLogger();
  const handler = apiHandler(routes, { logger, audit: new InMemoryAuditStore() });
  const call = (routeKey: string, options: EventOptions = {}) => handler(apiEvent(routeKey, options), lambdaContext());
  return { call, loggedError: error };
}

/** A route that records what it was given and answers `response`, as a write does: recorded under its key. */
function recording(response: { statusCode: number; body: unknown } = { statusCode: 200, body: { ok: true } }) {
  const requests: ApiRequest[] = [];
  const route: RouteHandler = async (request) => {
    requests.push(request);
    return { ...response, idempotency: 'RECORDED' };
  };
  return { route, requests };
}

describe('apiHandler: routing and access', () => {
  it('answers 404 for a route it does not know', async () => {
    const { call } = serve({});
    const result = await call('GET /v1/unknown', { claims: lead });
    expect(result.statusCode).toBe(404);
    expect(bodyOf(result)).toEqual({ code: 'NOT_FOUND', message: 'no route GET /v1/unknown', details: {} });
  });

  it('answers 404 for a known route this function does not serve', async () => {
    const { call } = serve({ 'GET /v1/lenders': recording().route });
    expect((await call('GET /v1/programs', { claims: lead })).statusCode).toBe(404);
  });

  it('answers 403 to a role the route is not open to, before reading the body', async () => {
    const { route, requests } = recording();
    const { call } = serve({ 'POST /v1/lenders': route });
    const result = await call('POST /v1/lenders', { claims: claimsOf(partnerOf()), body: '{not json', idempotencyKey: KEY });
    expect(result.statusCode).toBe(403);
    expect(bodyOf(result)).toEqual({ code: 'FORBIDDEN', message: 'POST /v1/lenders is not open to PARTNER', details: { allowedRoles: ['LEAD'], roles: ['PARTNER'] } });
    expect(requests).toEqual([]);
  });

  it('keeps ledger checks to lead operations and finance teams', async () => {
    const { call } = serve({ 'GET /v1/ledger-checks/{businessDate}': recording().route });
    const options = { pathParameters: { businessDate: '2025-02-28' } };
    expect((await call('GET /v1/ledger-checks/{businessDate}', { ...options, claims: claimsOf(financeOf(PARTNER_A)) })).statusCode).toBe(200);
    expect((await call('GET /v1/ledger-checks/{businessDate}', { ...options, claims: lead })).statusCode).toBe(200);
    expect((await call('GET /v1/ledger-checks/{businessDate}', { ...options, claims: claimsOf(partnerOf()) })).statusCode).toBe(403);
  });

  it('lets a client holding several roles into each route by the one it needs: a bank that is partner and guarantor, with its finance team', async () => {
    // The bank funds loans as a partner and guarantees others (its lender roles PARTNER and GUARANTOR);
    // its one client decides reviews (colend/partner) and reads its reconciliation (colend/finance).
    const bank = { scope: 'colend/partner colend/finance', client_id: 'bank-client', sub: 'bank-client', lender_id: PARTNER_A };
    const decide = recording({ statusCode: 201, body: {} });
    const formats = recording();
    const { call } = serve({ 'POST /v1/applications/{applicationId}/decisions': decide.route, 'GET /v1/bank-formats': formats.route, 'POST /v1/lenders': recording().route });
    const decision = await call('POST /v1/applications/{applicationId}/decisions', {
      claims: bank,
      pathParameters: { applicationId: 'APP-1' },
      body: { decision: 'DECLINE', reasonCodes: ['POLICY'] },
      idempotencyKey: KEY,
    });
    expect(decision.statusCode).toBe(201);
    expect(decide.requests[0]?.principal).toEqual({ roles: ['PARTNER', 'FINANCE'], clientId: 'bank-client', userId: 'bank-client', lenderId: PARTNER_A });
    expect((await call('GET /v1/bank-formats', { claims: bank })).statusCode).toBe(200);
    const lenders = await call('POST /v1/lenders', { claims: bank, body: createLenderBody(), idempotencyKey: KEY });
    expect(lenders.statusCode).toBe(403);
    expect(bodyOf(lenders)).toEqual({ code: 'FORBIDDEN', message: 'POST /v1/lenders is not open to PARTNER, FINANCE', details: { allowedRoles: ['LEAD'], roles: ['PARTNER', 'FINANCE'] } });
  });

  it('answers 403 to a token without a colend scope', async () => {
    const { call } = serve({ 'GET /v1/lenders': recording().route });
    const result = await call('GET /v1/lenders', { claims: { sub: 'x', scope: 'openid' } });
    expect(result.statusCode).toBe(403);
    expect(bodyOf(result).code).toBe('FORBIDDEN');
  });

  it('serves a public route without a token', async () => {
    const { route, requests } = recording({ statusCode: 200, body: { openapi: '3.1.0' } });
    const { call } = serve({ 'GET /v1/openapi.json': route });
    const result = await call('GET /v1/openapi.json', { claims: null });
    expect(result.statusCode).toBe(200);
    expect(requests[0]?.principal).toBeNull();
  });
});

describe('apiHandler: the request body', () => {
  const post = (options: EventOptions) => {
    const recorder = recording({ statusCode: 201, body: { principalMinor: 1_000_000n } });
    const { call, loggedError } = serve({ 'POST /v1/loans': recorder.route });
    return { result: call('POST /v1/loans', { claims: lead, idempotencyKey: KEY, ...options }), requests: recorder.requests, loggedError };
  };

  it('parses and validates the body, and hands the route the caller, the key and both forms of the body', async () => {
    const { result, requests } = post({ body: bookLoanBody(), pathParameters: { x: '1' }, query: { q: 'v' } });
    const response = await result;
    expect(response).toEqual({ statusCode: 201, headers: { 'content-type': 'application/json' }, body: '{"principalMinor":"1000000"}' });
    const [request] = requests;
    expect(request?.principal).toEqual({ roles: ['LEAD'], clientId: leadOps.clientId, userId: leadOps.userId, lenderId: leadOps.lenderId });
    expect(request?.idempotencyKey).toBe(KEY);
    expect((request?.body as { principalMinor: bigint }).principalMinor).toBe(1_000_000n);
    expect((request?.rawBody as { principalMinor: string }).principalMinor).toBe('1000000');
    // Only the route's own path parameters reach it (POST /v1/loans has none).
    expect(request?.pathParameters).toEqual({});
    expect(request?.query).toEqual({ q: 'v' });
    expect(request?.route.operationId).toBe('bookLoan');
  });

  it('reads a base64-encoded body', async () => {
    const { result, requests } = post({ body: bookLoanBody(), base64: true });
    expect((await result).statusCode).toBe(201);
    expect((requests[0]?.body as { loanId: string }).loanId).toBe('LN-2025-000001');
  });

  it('finds the Idempotency-Key header whatever its case', async () => {
    const { result, requests } = post({ body: bookLoanBody(), headers: { 'IDEMPOTENCY-KEY': 'upper-case-key' }, idempotencyKey: undefined });
    expect((await result).statusCode).toBe(201);
    expect(requests[0]?.idempotencyKey).toBe('upper-case-key');
  });

  it('answers 400 MALFORMED_JSON naming the body and the rule for a body that is not JSON, and for no body', async () => {
    const bad = await post({ body: '{"loanId": ' }).result;
    expect(bad.statusCode).toBe(400);
    expect(bodyOf(bad)).toMatchObject({ code: 'MALFORMED_JSON', details: { path: 'body', rule: 'json' } });
    expect(String(bodyOf(bad).message).startsWith('the body is not valid JSON: ')).toBe(true);
    const none = await post({}).result;
    expect(bodyOf(none)).toEqual({ code: 'MALFORMED_JSON', message: 'the request needs a JSON body', details: { path: 'body', rule: 'required' } });
  });

  it('answers 413 for a body over 256 KiB, counting bytes, and reads one of exactly 256 KiB', async () => {
    const padTo = (bytes: number, char: string) => `{"pad":"${char.repeat(Math.floor((bytes - 10) / Buffer.byteLength(char)))}"}`;
    const over = '{"pad":"' + 'x'.repeat(262_145 - 10) + '"}';
    expect(Buffer.byteLength(over)).toBe(262_145);
    const tooLarge = await post({ body: over }).result;
    expect(tooLarge.statusCode).toBe(413);
    expect(bodyOf(tooLarge)).toEqual({
      code: 'PAYLOAD_TOO_LARGE',
      message: 'the body is 262145 bytes; at most 262144 are accepted on POST /v1/loans',
      details: { maxBytes: 262_144, bytes: 262_145 },
    });
    const exact = '{"pad":"' + 'x'.repeat(262_144 - 10) + '"}';
    expect(Buffer.byteLength(exact)).toBe(262_144);
    const read = await post({ body: exact }).result;
    expect(read.statusCode).toBe(400);
    expect(bodyOf(read).code).toBe('VALIDATION_FAILED');
    // 3-byte characters: fewer than 256 Ki characters, more than 256 KiB
    const wide = padTo(262_144 + 30, '贷');
    expect(wide.length).toBeLessThan(262_144);
    expect((await post({ body: wide }).result).statusCode).toBe(413);
  });

  it('answers 400 when a write has no Idempotency-Key', async () => {
    const result = await post({ body: bookLoanBody(), idempotencyKey: undefined }).result;
    expect(result.statusCode).toBe(400);
    expect(bodyOf(result)).toEqual({
      code: 'IDEMPOTENCY_KEY_REQUIRED',
      message: 'every write takes an Idempotency-Key header',
      details: { path: 'headers.Idempotency-Key', rule: 'required' },
    });
  });

  it('answers 400 VALIDATION_FAILED naming the field', async () => {
    const result = await post({ body: bookLoanBody({ principalMinor: '1.5' }) }).result;
    expect(result.statusCode).toBe(400);
    expect(bodyOf(result)).toMatchObject({ code: 'VALIDATION_FAILED', details: { path: 'principalMinor', rule: 'invalid_format' } });
  });
});

describe('apiHandler: errors of the route', () => {
  it('maps a named error and does not log it', async () => {
    const { call, loggedError } = serve({
      'GET /v1/lenders': async () => {
        throw new RuleViolation('SOMETHING_REFUSED', 'refused', { path: 'x' });
      },
    });
    const result = await call('GET /v1/lenders', { claims: lead });
    expect(result.statusCode).toBe(422);
    expect(bodyOf(result)).toEqual({ code: 'SOMETHING_REFUSED', message: 'refused', details: { path: 'x' } });
    expect(loggedError).not.toHaveBeenCalled();
  });

  it('answers 500 INTERNAL_ERROR to anything else and logs it with the route', async () => {
    const failure = new Error('socket hang up');
    const { call, loggedError } = serve({
      'GET /v1/lenders': async () => {
        throw failure;
      },
    });
    const result = await call('GET /v1/lenders', { claims: lead });
    expect(result.statusCode).toBe(500);
    // A read takes no Idempotency-Key: the message says it may simply be retried.
    expect(bodyOf(result)).toEqual({ code: 'INTERNAL_ERROR', message: 'an unexpected error occurred; retrying is safe', details: {} });
    expect(loggedError).toHaveBeenCalledWith('request failed', { routeKey: 'GET /v1/lenders', error: failure });
  });

  it("answers DynamoDB's throttling 503 RETRY_LATER with Retry-After, unlogged; other answers carry no Retry-After", async () => {
    const { call, loggedError } = serve({
      'GET /v1/lenders': async () => {
        throw Object.assign(new Error('Rate of requests exceeds the allowed throughput'), { name: 'ThrottlingException' });
      },
      'GET /v1/programs': async () => {
        throw new RuleViolation('SOMETHING_REFUSED', 'refused', {});
      },
    });
    const result = await call('GET /v1/lenders', { claims: lead });
    expect(result.statusCode).toBe(503);
    expect(result.headers?.['retry-after']).toBe('1');
    expect(bodyOf(result)).toEqual({ code: 'RETRY_LATER', message: 'the database is throttling requests; retry with the same Idempotency-Key', details: {} });
    expect(loggedError).not.toHaveBeenCalled();
    expect((await call('GET /v1/programs', { claims: lead })).headers?.['retry-after']).toBeUndefined();
  });

  it('passes a body the route already serialized through unchanged, with its headers', async () => {
    const { call } = serve({ 'GET /v1/lenders': async () => ({ statusCode: 200, body: '{"b":1,"a":2}', headers: { 'x-extra': 'y' } }) });
    expect(await call('GET /v1/lenders', { claims: lead })).toEqual({ statusCode: 200, headers: { 'content-type': 'application/json', 'x-extra': 'y' }, body: '{"b":1,"a":2}' });
  });
});

describe('validate', () => {
  it('returns the parsed value', () => {
    expect(validate(z.object({ n: z.coerce.number() }), { n: '2' })).toEqual({ n: 2 });
  });

  it('names the first field and lists every issue', () => {
    const error = thrownBy(ValidationError, () => validate(z.object({ a: z.string(), b: z.object({ c: z.number() }) }), { a: 1, b: { c: 'x' } }));
    expect(error.message).toBe('a: Invalid input: expected string, received number');
    expect(error.details).toEqual({
      path: 'a',
      rule: 'invalid_type',
      issues: [
        { path: 'a', message: 'Invalid input: expected string, received number', rule: 'invalid_type' },
        { path: 'b.c', message: 'Invalid input: expected number, received string', rule: 'invalid_type' },
      ],
    });
  });

  it('names the body itself when the value at the root is wrong', () => {
    expect(thrownBy(ValidationError, () => validate(z.string(), 5)).details.path).toBe('body');
  });
});

describe('callerOf, pathParam and idempotentWrite', () => {
  const spec = routeSpec('POST /v1/lenders');
  if (!spec) throw new Error('route POST /v1/lenders is missing');
  const request = (overrides: Partial<ApiRequest> = {}): ApiRequest => ({
    route: spec,
    principal: leadOps,
    body: {},
    rawBody: createLenderBody(),
    pathParameters: {},
    query: {},
    idempotencyKey: KEY,
    ...overrides,
  });

  it('callerOf refuses a request without a principal with 401', () => {
    const error = thrownBy(HttpError, () => callerOf(request({ principal: null })));
    expect([error.statusCode, error.code]).toEqual([401, 'UNAUTHORIZED']);
    expect(callerOf(request())).toBe(leadOps);
  });

  it('pathParam refuses a missing parameter naming it', () => {
    const error = thrownBy(HttpError, () => pathParam(request(), 'lenderId'));
    expect([error.statusCode, error.code, error.details]).toEqual([400, 'VALIDATION_FAILED', { path: 'path.lenderId' }]);
    expect(pathParam(request({ pathParameters: { lenderId: PARTNER_A } }), 'lenderId')).toBe(PARTNER_A);
  });

  it('idempotentWrite answers the first write, then replays it with a header', async () => {
    const stores = createInMemoryStores();
    const write = vi.fn(async (seal: Seal, now: string) => {
      await stores.idempotency.put(seal(201, { created: now }));
    });
    const first = await idempotentWrite(request(), stores, write);
    expect(first).toEqual({ statusCode: 201, body: `{"created":"${stores.clock.now()}"}`, headers: {}, idempotency: 'RECORDED' });
    const again = await idempotentWrite(request(), stores, write);
    expect(again).toEqual({ statusCode: 201, body: first.body, headers: { 'idempotent-replayed': 'true' }, idempotency: 'REPLAYED' });
    expect(write).toHaveBeenCalledTimes(1);
    expect([...stores.db.idempotency.keys()]).toEqual([`createLender#${leadOps.clientId}#${KEY}`]);
  });

  it('idempotentWrite keys the record by the user of a user token, and covers the path: another path with the same key and body is refused', async () => {
    const stores = createInMemoryStores();
    const wang = { ...platformFinance, userId: 'fin.wang' };
    const path = routeSpec('POST /v1/adjustments/{adjustmentId}/approval')!;
    const approve = (adjustmentId: string) =>
      idempotentWrite(request({ route: path, principal: wang, rawBody: { reason: 'Checked' }, pathParameters: { adjustmentId } }), stores, async (seal) => {
        await stores.idempotency.put(seal(200, { adjustmentId }));
      });
    expect(await approve('ADJ-1')).toEqual({ statusCode: 200, body: '{"adjustmentId":"ADJ-1"}', headers: {}, idempotency: 'RECORDED' });
    expect([...stores.db.idempotency.keys()]).toEqual([`approveAdjustment#${platformFinance.clientId}#fin.wang#${KEY}`]);
    const other = await approve('ADJ-2').catch((error: unknown) => error);
    expect(other).toMatchObject({ statusCode: 422, code: 'IDEMPOTENCY_KEY_REUSED' });
  });

  it('recordedWrite runs a write idempotent by its business id, records its answer, and replays it with its status', async () => {
    const stores = createInMemoryStores();
    const write = vi.fn(async () => ({ statusCode: 201, body: { status: 'BOOKED', amountMinor: 100n } }));
    const first = await recordedWrite(request(), stores, write);
    expect(first).toEqual({ statusCode: 201, body: '{"status":"BOOKED","amountMinor":"100"}', headers: {}, idempotency: 'RECORDED' });
    const again = await recordedWrite(request(), stores, write);
    expect(again).toEqual({ statusCode: 201, body: first.body, headers: { 'idempotent-replayed': 'true' }, idempotency: 'REPLAYED' });
    expect(write).toHaveBeenCalledTimes(1);
  });

  it('refuses to answer a write route whose answer was not recorded under its key: 500, logged', async () => {
    const { call, loggedError } = serve({ 'POST /v1/lenders': async () => ({ statusCode: 201, body: {} }) });
    const result = await call('POST /v1/lenders', { claims: lead, body: createLenderBody(), idempotencyKey: KEY });
    expect([result.statusCode, bodyOf(result).code, bodyOf(result).message]).toEqual([500, 'INVARIANT_VIOLATED', 'POST /v1/lenders answered without recording its answer under the Idempotency-Key']);
    expect(loggedError).toHaveBeenCalledOnce();
  });

  it('idempotentWrite refuses a request without a key', async () => {
    const stores = createInMemoryStores();
    await expect(idempotentWrite(request({ idempotencyKey: null }), stores, async () => undefined)).rejects.toMatchObject({ statusCode: 400, code: 'IDEMPOTENCY_KEY_REQUIRED' });
  });
});

describe('apiHandler: files', () => {
  it('sends the bytes of a file base64-encoded, with the headers the route gives', async () => {
    const bytes = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0xff, 0x00]);
    const { call } = serve({ 'GET /v1/lenders': async () => ({ statusCode: 200, body: bytes, headers: { 'content-disposition': 'attachment; filename="x.xlsx"' } }) });
    const result = await call('GET /v1/lenders', { claims: lead });
    expect(result).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/octet-stream', 'content-disposition': 'attachment; filename="x.xlsx"' },
      body: bytes.toString('base64'),
      isBase64Encoded: true,
    });
  });
});
