import { describe, expect, it, vi } from 'vitest';
import type { Logger } from '@aws-lambda-powertools/logger';
import { apiHandler, type ApiRequest, type RouteHandler } from '../../../../shared/http/api.ts';
import { CLIENT_LIMITS_ENV, limitSettingsFromEnv, limitsOf, type LimitSettings } from '../../../../shared/http/request-limits.ts';
import type { RouteKey } from '../../../../shared/http/routes.ts';
import { leadOps, partnerOf } from '../../../support/builders.ts';
import { apiEvent, bodyOf, claimsOf, lambdaContext } from '../../../support/api-events.ts';
import { InMemoryAuditStore } from '../../../support/in-memory-audit.ts';
import { InMemoryRequestCounter } from '../../../support/in-memory-request-counter.ts';

const SETTINGS: LimitSettings = {
  default: { requestsPerSecond: 2, requestsPerDay: 5 },
  clients: [{ clientId: 'bank-a-client', requestsPerSecond: 1, requestsPerDay: 100 }],
};

/** A handler of GET /v1/lenders and POST /v1/lenders on a clock the test moves, counting into memory. */
function serve(settings: LimitSettings = SETTINGS) {
  let now = '2026-12-07T10:00:00.100Z';
  const counter = new InMemoryRequestCounter();
  const answered: ApiRequest[] = [];
  const route: RouteHandler = async (request) => {
    answered.push(request);
    return { statusCode: 200, body: { ok: true }, idempotency: 'RECORDED' };
  };
  const logger = { error: vi.fn(), resetKeys: vi.fn(), addContext: vi.fn(), appendKeys: vi.fn() } as unknown as Logger;
  const handler = apiHandler({ 'GET /v1/lenders': route, 'GET /v1/openapi.json': route } as Partial<Record<RouteKey, RouteHandler>>, {
    logger,
    audit: new InMemoryAuditStore(),
    clock: { now: () => now },
    limiter: { settings, counter },
  });
  return {
    call: (claims: ReturnType<typeof claimsOf> | undefined, routeKey = 'GET /v1/lenders') => handler(apiEvent(routeKey, claims === undefined ? {} : { claims }), lambdaContext()),
    at: (instant: string) => {
      now = instant;
    },
    counter,
    answered,
  };
}

const lead = claimsOf(leadOps);

describe('per-client limits at the edge', () => {
  it('answers 429 with Retry-After 1 and the limit it is over to the third request of a second; the route never ran for it', async () => {
    const edge = serve();
    expect((await edge.call(lead)).statusCode).toBe(200);
    expect((await edge.call(lead)).statusCode).toBe(200);
    const refused = await edge.call(lead);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers?.['retry-after']).toBe('1');
    expect(bodyOf(refused)).toEqual({
      code: 'TOO_MANY_REQUESTS',
      message: 'client lead-ops-client is over its limit of 2 requests per second; retry after 1 s',
      details: { limit: 'requestsPerSecond', allowed: 2, retryAfterSeconds: 1 },
    });
    expect(edge.answered).toHaveLength(2);
    // The next second the client is served again.
    edge.at('2026-12-07T10:00:01.000Z');
    expect((await edge.call(lead)).statusCode).toBe(200);
  });

  it('answers 429 with the seconds left in the UTC day once the daily quota is used, and serves another client meanwhile', async () => {
    const edge = serve();
    for (let second = 0; second < 5; second += 1) {
      edge.at(`2026-12-07T10:00:0${second}.000Z`);
      expect((await edge.call(lead)).statusCode).toBe(200);
    }
    edge.at('2026-12-07T23:59:00.000Z');
    const refused = await edge.call(lead);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers?.['retry-after']).toBe('60');
    expect(bodyOf(refused)).toEqual({
      code: 'TOO_MANY_REQUESTS',
      message: 'client lead-ops-client is over its limit of 5 requests per day (UTC); retry after 60 s',
      details: { limit: 'requestsPerDay', allowed: 5, retryAfterSeconds: 60 },
    });
    const other = await edge.call(claimsOf(partnerOf()));
    expect(other.statusCode).toBe(200);
    expect(edge.answered).toHaveLength(6);
    // A new UTC day, a new quota.
    edge.at('2026-12-08T00:00:00.000Z');
    expect((await edge.call(lead)).statusCode).toBe(200);
  });

  it("a client's own limits win over the default", async () => {
    const edge = serve();
    const bankA = claimsOf(partnerOf('BANK-A'));
    expect((await edge.call(bankA)).statusCode).toBe(200);
    const refused = await edge.call(bankA);
    expect([refused.statusCode, bodyOf(refused).details]).toEqual([429, { limit: 'requestsPerSecond', allowed: 1, retryAfterSeconds: 1 }]);
  });

  it('counts nothing for a public route, and nothing for a caller refused before (403)', async () => {
    const edge = serve();
    expect((await edge.call(undefined, 'GET /v1/openapi.json')).statusCode).toBe(200);
    const noScope = await edge.call({ ...lead, scope: 'colend/unknown' });
    expect(noScope.statusCode).toBe(403);
    expect(edge.counter.counted).toEqual([]);
  });
});

describe('limit settings from the environment', () => {
  it('reads the JSON the stack sets; none when absent', () => {
    expect(limitSettingsFromEnv({})).toBeUndefined();
    expect(limitSettingsFromEnv({ [CLIENT_LIMITS_ENV]: JSON.stringify(SETTINGS) })).toEqual(SETTINGS);
    expect(limitsOf(SETTINGS, 'bank-a-client')).toEqual({ requestsPerSecond: 1, requestsPerDay: 100 });
    expect(limitsOf(SETTINGS, 'someone-else')).toEqual({ requestsPerSecond: 2, requestsPerDay: 5 });
  });

  it('refuses limits that are not whole and positive', () => {
    const bad = { ...SETTINGS, default: { requestsPerSecond: 0, requestsPerDay: 5 } };
    expect(() => limitSettingsFromEnv({ [CLIENT_LIMITS_ENV]: JSON.stringify(bad) })).toThrow(
      `${CLIENT_LIMITS_ENV} is not valid: requestsPerSecond must be a whole number of at least 1, not 0`,
    );
  });
});
