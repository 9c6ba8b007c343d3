import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import type { Logger } from '@aws-lambda-powertools/logger';
import { apiHandler, pathParameterNames, type ApiRequest, type RouteHandler } from '../../../../shared/http/api.ts';
import { ROUTES, type RouteKey, type RouteSpec } from '../../../../shared/http/routes.ts';
import { PATH_PARAMETERS } from '../../../../shared/contracts/parameters.ts';
import type { Principal } from '../../../../shared/domain/access.ts';
import { NOW, leadOps, partnerOf, platformFinance } from '../../../support/builders.ts';
import { apiEvent, bodyOf, claimsOf, lambdaContext, type EventOptions } from '../../../support/api-events.ts';
import { frozenClock } from '../../../support/in-memory-stores.ts';

/**
 * The API's edge under hostile input: every route of the route table is served by a route that
 * records each call, so a refusal is seen to happen before any work (no state can change).
 */
const calls: ApiRequest[] = [];
const record: RouteHandler = async (request) => {
  calls.push(request);
  return { statusCode: 200, body: { ok: true } };
};
const handler = apiHandler(
  Object.fromEntries(ROUTES.map((r) => [r.routeKey, record])) as Record<RouteKey, RouteHandler>,
  { error: vi.fn() } as unknown as Logger,
  frozenClock(NOW),
);

const callerFor = (spec: RouteSpec): Principal | null =>
  spec.roles.length === 0 ? null : spec.roles.includes('LEAD') ? leadOps : spec.roles.includes('FINANCE') ? platformFinance : partnerOf();

async function call(spec: RouteSpec, options: EventOptions) {
  calls.length = 0;
  const caller = callerFor(spec);
  const result = await handler(apiEvent(spec.routeKey, { ...(caller ? { claims: claimsOf(caller) } : {}), idempotencyKey: 'fuzz-0001', ...options }), lambdaContext());
  return { status: result.statusCode, body: bodyOf(result) as { code: string; message: string; details: Record<string, unknown> }, reached: calls.length };
}

/** A valid value of each path parameter. */
const SAMPLE_PATH: Readonly<Record<string, string>> = {
  lenderId: 'BANK_A',
  programId: 'CONSUMER-2025',
  loanId: 'LN-1',
  repaymentId: 'R-1',
  applicationId: 'APP-1',
  adjustmentId: 'ADJ-1',
  bankId: 'GENERIC-CN',
  counterparty: 'BANK_A',
  breakId: 'BK-20250301-ES-0123456789abcdef0123',
  businessDate: '2025-02-28',
  effectiveDate: '2025-02-28',
  period: '2025-02',
  instructionId: 'SI-20250228-BANK_A',
  fileName: 'statement.csv',
  reconciliationId: 'RC-20250228-PARTNER_REPAYMENTS-BANK_A-0123456789ab',
  calendar: 'CN',
  year: '2027',
};

const ROUTES_WITH_PARAMETERS = ROUTES.filter((r) => pathParameterNames(r).length > 0);

describe('path parameters: bounded in one place, 400 naming the parameter, before any work', () => {
  it('knows a rule and a sample of every path parameter of the route table', () => {
    const names = new Set(ROUTES.flatMap((r) => pathParameterNames(r)));
    expect([...names].filter((n) => !(n in PATH_PARAMETERS) || !(n in SAMPLE_PATH))).toEqual([]);
  });

  it.each(ROUTES_WITH_PARAMETERS.flatMap((spec) => pathParameterNames(spec).map((name) => [spec.routeKey, name] as const)))('%s: a %s of 2,048 bytes is a 400 naming it', async (routeKey, name) => {
    const spec = ROUTES.find((r) => r.routeKey === routeKey)!;
    const pathParameters = { ...Object.fromEntries(pathParameterNames(spec).map((n) => [n, SAMPLE_PATH[n]!])), [name]: 'A'.repeat(2048) };
    const { status, body, reached } = await call(spec, { pathParameters, body: {} });
    expect([status, body.details['path'], reached]).toEqual([400, name, 0]);
    expect(body.message).not.toContain('Idempotency-Key');
  });

  it('refuses a path parameter of characters it never holds, whatever they are', async () => {
    const spec = ROUTES.find((r) => r.routeKey === 'GET /v1/loans/{loanId}')!;
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 80 }).filter((s) => !/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/.test(s)), async (loanId) => {
        const { status, body, reached } = await call(spec, { pathParameters: { loanId } });
        expect([status, body.code, body.details['path'], reached]).toEqual([400, 'VALIDATION_FAILED', 'loanId', 0]);
      }),
      { numRuns: 200 },
    );
  });

  it('names the date of a path, never a placeholder: year 0000 and Feb 30 are refused as businessDate', async () => {
    const spec = ROUTES.find((r) => r.routeKey === 'GET /v1/risk-updates/{businessDate}')!;
    for (const businessDate of ['0000-01-01', '2025-02-30', '9999-99-99']) {
      const { status, body, reached } = await call(spec, { pathParameters: { businessDate } });
      expect([status, body.code, body.details['path'], reached]).toEqual([400, 'VALIDATION_FAILED', 'businessDate', 0]);
    }
  });
});

describe('query parameters: bounded in one place', () => {
  const list = ROUTES.find((r) => r.routeKey === 'GET /v1/settlement-runs')!;

  it('refuses a value longer than 2,048 characters, or with a control character, naming the parameter', async () => {
    const long = await call(list, { query: { to: 'A'.repeat(2049) } });
    expect([long.status, long.body.details['path'], long.reached]).toEqual([400, 'to', 0]);
    const control = await call(list, { query: { to: '2025-02-28\u0000' } });
    expect([control.status, control.body.details['path'], control.reached]).toEqual([400, 'to', 0]);
  });

  it('refuses more than 16 parameters, and a name that is not one', async () => {
    const many = await call(list, { query: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`p${i}`, '1'])) });
    expect([many.status, many.reached]).toEqual([400, 0]);
    const odd = await call(list, { query: { 'a b': '1' } });
    expect([odd.status, odd.reached]).toEqual([400, 0]);
  });

  it('takes the route a bounded query and hands it on', async () => {
    const taken = await call(list, { query: { to: '2025-02-28', limit: '5' } });
    expect([taken.status, taken.reached]).toEqual([200, 1]);
  });
});
