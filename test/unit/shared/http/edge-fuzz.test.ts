import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { z } from 'zod';
import type { Logger } from '@aws-lambda-powertools/logger';
import { apiHandler, pathParameterNames, type ApiRequest, type RouteHandler } from '../../../../shared/http/api.ts';
import { ROUTES, type RouteKey, type RouteSpec } from '../../../../shared/http/routes.ts';
import { PATH_PARAMETERS } from '../../../../shared/contracts/parameters.ts';
import type { Principal } from '../../../../shared/domain/access.ts';
import { LEAD_ID, NOW, PARTNER_A, approveBody, bookLoanBody, createApplicationBody, createLenderBody, createProgramBody, leadOps, partnerOf, platformFinance, type JsonBody } from '../../../support/builders.ts';
import { apiEvent, bodyOf, claimsOf, lambdaContext, type EventOptions } from '../../../support/api-events.ts';
import { frozenClock } from '../../../support/in-memory-stores.ts';
import { InMemoryAuditStore } from '../../../support/in-memory-audit.ts';

/**
 * The API's edge under hostile input: every route of the route table is served by a route that
 * records each call, so a refusal is seen to happen before any work (no state can change).
 */
const calls: ApiRequest[] = [];
const record: RouteHandler = async (request) => {
  calls.push(request);
  // A write's answer is recorded under its Idempotency-Key, as every write route's is.
  return { statusCode: 200, body: { ok: true }, idempotency: 'RECORDED' };
};
const handler = apiHandler(
  Object.fromEntries(ROUTES.map((r) => [r.routeKey, record])) as Record<RouteKey, RouteHandler>,
  { logger: { error: vi.fn(), resetKeys: vi.fn(), addContext: vi.fn(), appendKeys: vi.fn() } as unknown as Logger, clock: frozenClock(NOW), audit: new InMemoryAuditStore() },
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
  eventId: 'W-1',
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

/**
 * A valid body of every route that takes a date or an amount, and where they are. Today is
 * 2025-03-01 (the clock reads NOW); `after` dates may not be after it, `any` dates are in the
 * platform window; `positive` amounts refuse 0, `nonNegative` take it.
 */
interface BodyCase {
  readonly body: JsonBody;
  readonly path?: Readonly<Record<string, string>>;
  readonly dates?: Readonly<Record<string, 'pastDate' | 'calendarDate'>>;
  readonly amounts?: Readonly<Record<string, 'positive' | 'nonNegative'>>;
}

const DAY = '2025-02-28';
const BODIES: Partial<Record<RouteKey, BodyCase>> = {
  'POST /v1/lenders': {
    body: createLenderBody(),
    amounts: { 'limits.exposureQuotaMinor': 'nonNegative', 'limits.perBorrowerCapMinor': 'nonNegative', netTier1CapitalMinor: 'nonNegative', totalLoansMinor: 'nonNegative' },
  },
  'POST /v1/programs': { body: createProgramBody(), amounts: { 'amountRange.minMinor': 'positive', 'amountRange.maxMinor': 'positive' } },
  'POST /v1/loans': { body: bookLoanBody({ disbursementDate: DAY }), dates: { disbursementDate: 'pastDate' }, amounts: { principalMinor: 'positive', 'fundingPlan.0.amountMinor': 'positive' } },
  'POST /v1/loans/{loanId}/transfers': {
    body: { transferId: 'T-1', fromLenderId: LEAD_ID, toLenderId: PARTNER_A, principalMinor: '100', valueDate: DAY },
    path: { loanId: 'LN-1' },
    dates: { valueDate: 'pastDate' },
    amounts: { principalMinor: 'positive' },
  },
  'POST /v1/loans/{loanId}/buybacks': {
    body: { buybackId: 'B-1', sellerLenderId: PARTNER_A, buyerId: LEAD_ID, valueDate: DAY, expectedPriceMinor: '100' },
    path: { loanId: 'LN-1' },
    dates: { valueDate: 'pastDate' },
    amounts: { expectedPriceMinor: 'positive' },
  },
  'POST /v1/loans/{loanId}/loss-events/{eventId}/reversal': { body: { reversalId: 'LR-1', type: 'WRITE_OFF', reason: 'WRONG_DATE' }, path: { loanId: 'LN-1', eventId: 'W-1' } },
  'POST /v1/loans/{loanId}/write-off': { body: { writeOffId: 'W-1', valueDate: DAY, reason: 'Fraud confirmed' }, path: { loanId: 'LN-1' }, dates: { valueDate: 'pastDate' } },
  'POST /v1/repayments': {
    body: { repayments: [{ repaymentId: 'R-1', loanId: 'LN-1', amountMinor: '100', currency: 'CNY', valueDate: DAY, channel: 'AUTO_DEBIT' }] },
    dates: { 'repayments.0.valueDate': 'calendarDate' },
    amounts: { 'repayments.0.amountMinor': 'positive' },
  },
  'POST /v1/applications': { body: createApplicationBody(), amounts: { amountMinor: 'positive' } },
  'POST /v1/applications/{applicationId}/decisions': { body: approveBody(), path: { applicationId: 'APP-1' }, amounts: { approvedAmountMinor: 'positive' } },
  'POST /v1/applications/{applicationId}/disbursement': {
    body: { outcome: 'DISBURSED', disbursementReference: 'DISB-1', disbursementDate: DAY },
    path: { applicationId: 'APP-1' },
    dates: { disbursementDate: 'pastDate' },
  },
  'POST /v1/ledger-checks': { body: { businessDate: DAY }, dates: { businessDate: 'pastDate' } },
  'POST /v1/risk-updates': { body: { businessDate: DAY }, dates: { businessDate: 'pastDate' } },
  'POST /v1/settlement-runs': { body: { businessDate: DAY }, dates: { businessDate: 'pastDate' } },
  'POST /v1/regulatory-reports': { body: { businessDate: DAY }, dates: { businessDate: 'pastDate' } },
  'POST /v1/reconciliations': { body: { uploadId: 'UP-1', type: 'PARTNER_REPAYMENTS', businessDate: DAY, lenderId: PARTNER_A }, dates: { businessDate: 'pastDate' } },
  'PUT /v1/lenders/{lenderId}/regulatory-figures/{effectiveDate}': {
    body: { netTier1CapitalMinor: '1000000', totalLoansMinor: '8000000', source: 'Q4 report' },
    path: { lenderId: PARTNER_A, effectiveDate: DAY },
    amounts: { netTier1CapitalMinor: 'positive', totalLoansMinor: 'positive' },
  },
  'PUT /v1/reconciliation-settings/{counterparty}': {
    body: { amountToleranceMinor: '0', dateToleranceDays: 0, escalateAfterDays: 3 },
    path: { counterparty: PARTNER_A },
    amounts: { amountToleranceMinor: 'nonNegative' },
  },
  'POST /v1/adjustments': {
    body: { adjustmentId: 'ADJ-1', loanId: 'LN-1', lenderId: PARTNER_A, counterparty: 'ESCROW', currency: 'CNY', component: 'FEE', direction: 'COUNTERPARTY_OWES_LENDER', amountMinor: '100', reason: 'bank fee' },
    amounts: { amountMinor: 'positive' },
  },
};

/** `value` at the dotted `path` of a copy of `body`. */
function withValue(body: JsonBody, path: string, value: unknown): JsonBody {
  const copy = structuredClone(body);
  const keys = path.split('.');
  let node: Record<string, unknown> = copy;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[keys.at(-1)!] = value;
  return copy;
}

const specOf = (routeKey: string) => ROUTES.find((r) => r.routeKey === routeKey)!;
const cases = Object.entries(BODIES) as [RouteKey, BodyCase][];

/** Dates no route takes: not calendar dates, or outside the platform window (1970-01-01 to 2099-12-31). */
const BAD_DATES = ['0000-01-01', '9999-12-31', '2025-02-30', '2023-02-29', '2100-01-01', '1969-12-31', '2025-2-1', '20250228', '', 20250228, null];
/** Amounts no route takes. */
const BAD_AMOUNTS = ['-1', -1, 2 ** 53, '1000000000000000000000000000000', '999999999999999999999999999999', '1000000000000001', '1.5', 1.5, '0.01', '1e3', '1E+30', 1e30, ' 100', '0x10', '', true, [], {}];

describe('dates and amounts on every route that takes them: 400, and the route never runs', () => {
  it('covers every route whose body holds a date or an amount', () => {
    const holding = ROUTES.filter((r) => 'requestSchema' in r && /Date|date|Minor/.test(JSON.stringify(z.toJSONSchema(r.requestSchema as z.ZodType, { unrepresentable: 'any', io: 'input' }))));
    // A calendar's days are checked by the domain's table rules, a bank format's date columns are names, an execution's time is an instant.
    const elsewhere = ['PUT /v1/calendars/{calendar}/years/{year}', 'PUT /v1/bank-formats/{bankId}', 'POST /v1/settlement-runs/{businessDate}/instructions/{instructionId}/executed'];
    expect(holding.map((r) => r.routeKey).filter((k) => !(k in BODIES) && !elsewhere.includes(k))).toEqual([]);
  });

  it.each(cases.map(([routeKey]) => routeKey))('%s takes its valid body', async (routeKey) => {
    const { body, path } = BODIES[routeKey]!;
    const { status, reached } = await call(specOf(routeKey), { body, ...(path ? { pathParameters: path } : {}) });
    expect([status, reached]).toEqual([200, 1]);
  });

  it.each(cases.flatMap(([routeKey, c]) => Object.entries(c.dates ?? {}).flatMap(([field, kind]) => BAD_DATES.map((date) => [routeKey, field, kind, date] as const))))(
    '%s refuses %s (%s) = %j',
    async (routeKey, field, _kind, date) => {
      const { body, path } = BODIES[routeKey]!;
      const { status, body: error, reached } = await call(specOf(routeKey), { body: withValue(body, field, date), ...(path ? { pathParameters: path } : {}) });
      expect([status, error.details['path'], reached]).toEqual([400, field, 0]);
      expect(['VALIDATION_FAILED', 'DATE_OUT_OF_WINDOW']).toContain(error.code);
      if (typeof date === 'string' && /^(9999|2100|1969)/.test(date)) expect(error.details).toMatchObject({ field, from: '1970-01-01' });
    },
  );

  it.each(cases.flatMap(([routeKey, c]) => Object.entries(c.dates ?? {}).filter(([, kind]) => kind === 'pastDate').map(([field]) => [routeKey, field] as const)))(
    '%s refuses a %s after today with DATE_OUT_OF_WINDOW and the window, and takes today',
    async (routeKey, field) => {
      const { body, path } = BODIES[routeKey]!;
      const pathParameters = path ? { pathParameters: path } : {};
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 27_000 }), async (ahead) => {
          const date = new Date(Date.UTC(2025, 2, 1 + ahead)).toISOString().slice(0, 10);
          const { status, body: error, reached } = await call(specOf(routeKey), { body: withValue(body, field, date), ...pathParameters });
          expect([status, error.code, error.details['field'], error.details['to'], reached]).toEqual([400, 'DATE_OUT_OF_WINDOW', field, date > '2099-12-31' ? '2099-12-31' : '2025-03-01', 0]);
        }),
        { numRuns: 25 },
      );
      expect((await call(specOf(routeKey), { body: withValue(body, field, '2025-03-01'), ...pathParameters })).reached).toBe(1);
    },
  );

  it.each(cases.flatMap(([routeKey, c]) => Object.entries(c.amounts ?? {}).flatMap(([field, kind]) => [...BAD_AMOUNTS, ...(kind === 'positive' ? ['0', 0] : [])].map((amount) => [routeKey, field, amount] as const))))(
    '%s refuses %s = %j',
    async (routeKey, field, amount) => {
      const { body, path } = BODIES[routeKey]!;
      const { status, body: error, reached } = await call(specOf(routeKey), { body: withValue(body, field, amount), ...(path ? { pathParameters: path } : {}) });
      expect([status, error.details['path'], reached]).toEqual([400, field, 0]);
      if (amount === '1000000000000001') expect([error.code, error.details['amount'], error.details['maximum']]).toEqual(['AMOUNT_TOO_LARGE', '1000000000000001', '1000000000000000']);
    },
  );

  it('refuses any string that is not a whole number of fen as an amount, and any whole number above 10^15', async () => {
    const spec = specOf('POST /v1/repayments');
    const { body } = BODIES['POST /v1/repayments']!;
    const amounts = fc.oneof(
      fc.string({ maxLength: 40 }).filter((v) => !/^\d{1,30}$/.test(v) || BigInt(v) === 0n || BigInt(v) > 10n ** 15n),
      fc.bigInt({ min: 10n ** 15n + 1n, max: 10n ** 40n }).map(String),
      fc.double().filter((v) => !Number.isSafeInteger(v) || v <= 0 || v > 1e15),
    );
    await fc.assert(
      fc.asyncProperty(amounts, async (amount) => {
        const { status, body: error, reached } = await call(spec, { body: withValue(body, 'repayments.0.amountMinor', amount) });
        expect([status, error.details['path'], reached]).toEqual([400, 'repayments.0.amountMinor', 0]);
      }),
      { numRuns: 300 },
    );
  });
});
