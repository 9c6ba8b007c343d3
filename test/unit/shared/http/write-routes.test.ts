import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { ROUTES, isWrite, type ApiFunctionName, type RouteSpec } from '../../../../shared/http/routes.ts';
import { idempotencyScopeKey, expiresAtEpochSeconds } from '../../../../shared/http/idempotency.ts';
import type { Principal } from '../../../../shared/domain/access.ts';
import type { ApiEvent, ApiResult } from '../../../../shared/http/api.ts';
import { canonicalJson, sha256 } from '../../../../shared/json.ts';
import { NOW, PARTNER_A, PROGRAM_ID, bookLoanBody, createApplicationBody, createLenderBody, createProgramBody, leadOps, partnerOf, platformFinance } from '../../../support/builders.ts';
import { apiEvent, bodyOf, claimsOf, lambdaContext } from '../../../support/api-events.ts';
import { idempotencyItem } from '../../../support/dynamo-items.ts';
import { setHandlerEnv } from '../../../support/handler-env.ts';

/**
 * One rule for every write of the route table (docs/architecture.md, Requests): it takes an
 * Idempotency-Key; the same key and body answer the first answer, status and body, marked by
 * `idempotent-replayed: true`, and touch nothing; the same key with another body is refused with
 * 422 IDEMPOTENCY_KEY_REUSED; the key belongs to the caller's client and user. This walks every
 * write route through the function that serves it, so a route added without the rule fails here.
 */

setHandlerEnv();
process.env.FILES_DIR = '/nonexistent-files-dir-of-the-write-route-test';
const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
const events = mockClient(EventBridgeClient);
const s3 = mockClient(S3Client);
afterAll(() => {
  for (const client of [ddb, sfn, events, s3]) client.restore();
});

interface WriteProbe {
  readonly pathParameters?: Record<string, string>;
  readonly body: Record<string, unknown>;
  /** A field said otherwise, the body still valid. */
  readonly other: Record<string, unknown>;
}

const DATE = '2026-11-02';
const LOAN = 'LN-WRITE-0001';

/** A valid request for every write route; a write route without one fails the walk. */
const PROBES: Readonly<Record<string, WriteProbe>> = {
  'POST /v1/lenders': { body: createLenderBody(), other: { name: 'Another name' } },
  'POST /v1/lenders/{lenderId}/webhook-secret': {
    pathParameters: { lenderId: PARTNER_A },
    body: { secret: 'whsec-partner-a-rotated-0123456789abcdef01' },
    other: { secret: 'whsec-partner-a-another-0123456789abcdef01' },
  },
  'POST /v1/programs': { body: createProgramBody(), other: { name: 'Another name' } },
  'POST /v1/loans': { body: bookLoanBody(), other: { disbursementReference: 'D-OTHER' } },
  'POST /v1/loans/{loanId}/transfers': {
    pathParameters: { loanId: LOAN },
    body: { transferId: 'TR-0001', fromLenderId: PARTNER_A, toLenderId: 'LEAD', principalMinor: '100', valueDate: DATE },
    other: { principalMinor: '101' },
  },
  'POST /v1/loans/{loanId}/buybacks': { pathParameters: { loanId: LOAN }, body: { buybackId: 'BB-0001', sellerLenderId: PARTNER_A, buyerId: 'LEAD', valueDate: DATE }, other: { valueDate: '2026-11-03' } },
  'POST /v1/loans/{loanId}/loss-events/{eventId}/reversal': {
    pathParameters: { loanId: LOAN, eventId: 'WO-0001' },
    body: { reversalId: 'LR-0001', type: 'WRITE_OFF', reason: 'WRONG_DATE' },
    other: { reason: 'MISTAKEN' },
  },
  'POST /v1/loans/{loanId}/write-off': { pathParameters: { loanId: LOAN }, body: { writeOffId: 'WO-0001', valueDate: DATE, reason: 'Fraud confirmed' }, other: { reason: 'Borrower deceased' } },
  'POST /v1/repayments': {
    body: { repayments: [{ repaymentId: 'R-0001', loanId: LOAN, amountMinor: '100', currency: 'CNY', valueDate: DATE, channel: 'BANK_TRANSFER' }] },
    other: { repayments: [{ repaymentId: 'R-0001', loanId: LOAN, amountMinor: '101', currency: 'CNY', valueDate: DATE, channel: 'BANK_TRANSFER' }] },
  },
  'POST /v1/repayments/{repaymentId}/reversal': { pathParameters: { repaymentId: 'R-0001' }, body: { reversalId: 'RV-0001', reason: 'MISTAKEN' }, other: { reason: 'BOUNCED' } },
  'POST /v1/applications': { body: createApplicationBody(), other: { purpose: 'Another purpose' } },
  'POST /v1/applications/{applicationId}/decisions': { pathParameters: { applicationId: 'APP-0001' }, body: { decision: 'DECLINE', reasonCodes: ['POLICY'] }, other: { reasonCodes: ['PRICE'] } },
  'POST /v1/applications/{applicationId}/disbursement': { pathParameters: { applicationId: 'APP-0001' }, body: { outcome: 'CANCELLED', reason: 'Withdrawn' }, other: { reason: 'Borrower withdrew' } },
  'POST /v1/ledger-checks': { body: { businessDate: DATE }, other: { businessDate: '2026-11-03' } },
  'POST /v1/risk-updates': { body: { businessDate: DATE }, other: { businessDate: '2026-11-03' } },
  'POST /v1/settlement-runs': { body: { businessDate: DATE }, other: { businessDate: '2026-11-03' } },
  'POST /v1/settlement-runs/{businessDate}/instructions/{instructionId}/executed': {
    pathParameters: { businessDate: DATE, instructionId: `SI-20261102-${PARTNER_A}-ESCROW-LEAD` },
    body: { bankReference: 'REF-0001', executedAt: '2026-11-03T02:00:00Z' },
    other: { bankReference: 'REF-0002' },
  },
  'POST /v1/profit-runs': { body: { programId: PROGRAM_ID, period: '2026-10' }, other: { period: '2026-09' } },
  'PUT /v1/calendars/{calendar}/years/{year}': { pathParameters: { calendar: 'CN', year: '2150' }, body: { holidays: ['2150-01-01'], workingDays: [], source: 'State Council notice' }, other: { source: 'State Council notice, corrected' } },
  'PUT /v1/bank-formats/{bankId}': {
    pathParameters: { bankId: 'BANK-X' },
    body: { name: 'Bank X statements', format: { kind: 'CSV' }, columns: { bankReference: '流水号', valueDate: '日期' }, amount: { kind: 'SIGNED', column: '金额' }, currency: { fixed: 'CNY' } },
    other: { name: 'Bank X statements, second layout' },
  },
  'PUT /v1/lenders/{lenderId}/regulatory-figures/{effectiveDate}': {
    pathParameters: { lenderId: PARTNER_A, effectiveDate: '2026-11-01' },
    body: { netTier1CapitalMinor: '10000000000000', totalLoansMinor: '80000000000000', source: 'Annual report 2025' },
    other: { source: 'Annual report 2025, restated' },
  },
  'POST /v1/regulatory-reports': { body: { businessDate: DATE }, other: { businessDate: '2026-11-03' } },
  'POST /v1/reconciliation-uploads': { body: { fileName: 'bank-a-20261102.txt', sha256: '9b0c5a0f0e6d1a5c2e3f4a5b6c7d8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f9' }, other: { fileName: 'bank-a-20261103.txt' } },
  'POST /v1/reconciliations': { body: { uploadId: 'UP-0001', type: 'PARTNER_REPAYMENTS', businessDate: DATE, lenderId: PARTNER_A }, other: { uploadId: 'UP-0002' } },
  'PUT /v1/reconciliation-settings/{counterparty}': { pathParameters: { counterparty: PARTNER_A }, body: { amountToleranceMinor: '0', dateToleranceDays: 0, escalateAfterDays: 3 }, other: { escalateAfterDays: 4 } },
  'POST /v1/breaks/{breakId}/actions': { pathParameters: { breakId: 'BK-20261102-PR-00000000000000000001' }, body: { action: 'ASSIGN', owner: 'reconciliation-desk' }, other: { owner: 'finance-desk' } },
  'POST /v1/adjustments': {
    body: {
      adjustmentId: 'ADJ-0001',
      loanId: LOAN,
      lenderId: PARTNER_A,
      counterparty: 'ESCROW',
      currency: 'CNY',
      component: 'INTEREST',
      direction: 'COUNTERPARTY_OWES_LENDER',
      amountMinor: '1',
      reason: 'Short-paid interest',
    },
    other: { amountMinor: '2' },
  },
  'POST /v1/adjustments/{adjustmentId}/approval': { pathParameters: { adjustmentId: 'ADJ-0001' }, body: { reason: 'Checked' }, other: { reason: 'Checked twice' } },
  'POST /v1/adjustments/{adjustmentId}/rejection': { pathParameters: { adjustmentId: 'ADJ-0001' }, body: { reason: 'Not needed' }, other: { reason: 'Not needed at all' } },
};

const WRITES = ROUTES.filter((route) => isWrite(route));

/** A user signed in to the platform's client that holds the route's role: the record is the user's. */
function callerFor(route: RouteSpec): Principal {
  const base = route.roles.includes('LEAD') ? leadOps : route.roles.includes('FINANCE') ? platformFinance : partnerOf(PARTNER_A);
  return { ...base, userId: `${base.clientId}.user-wang` };
}

const handlers = new Map<ApiFunctionName, (event: ApiEvent, context: ReturnType<typeof lambdaContext>) => Promise<ApiResult>>();
async function handlerOf(name: ApiFunctionName) {
  const known = handlers.get(name);
  if (known) return known;
  const module = (await import(`../../../../functions/${name}/handler.ts`)) as { handler: (event: ApiEvent, context: ReturnType<typeof lambdaContext>) => Promise<ApiResult> };
  handlers.set(name, module.handler);
  return module.handler;
}

const KEY = 'write-route-0001';
const REUSED = {
  code: 'IDEMPOTENCY_KEY_REUSED',
  message: 'this Idempotency-Key was used with a different request body; nothing was changed',
  details: { path: 'headers.Idempotency-Key', rule: 'same-key-same-body' },
};
const FIRST = { statusCode: 201, body: '{"first":"answer","amountMinor":"100"}' };

beforeEach(() => {
  ddb.reset();
  sfn.reset();
  events.reset();
  s3.reset();
  ddb.on(GetCommand).resolves({});
  sfn.onAnyCommand().resolves({ executionArn: 'arn:aws-cn:states:cn-north-1:123456789012:execution:JointReview:APP-0001', startDate: new Date(NOW) });
});

/**
 * What a replay or a refusal sent besides reading: nothing is written, published or stored. (A
 * replayed application starts its review again by the application's name, which Step Functions
 * refuses as a second execution; that is how a start lost after the write is made good.)
 */
function otherCommands(): string[] {
  return [...ddb.calls(), ...events.calls(), ...s3.calls()]
    .map((call) => (call.args[0] as { constructor: { name: string } }).constructor.name)
    .filter((name) => !['GetCommand', 'QueryCommand', 'BatchGetCommand'].includes(name));
}

function anotherPathValue(name: string, value: string): string {
  if (name === 'year') return String(Number(value) + 1);
  if (name === 'businessDate' || name === 'effectiveDate') return '2026-11-04';
  if (name === 'breakId') return value.replace(/1$/, '2');
  return `${value}2`;
}

describe('every write route of the route table', () => {
  it('is idempotent by its Idempotency-Key in the route table, and has a probe here', () => {
    expect(WRITES.length).toBeGreaterThan(20);
    expect(WRITES.filter((r) => !r.idempotent).map((r) => r.routeKey)).toEqual([]);
    expect(ROUTES.filter((r) => !isWrite(r) && r.idempotent).map((r) => r.routeKey)).toEqual([]);
    expect(Object.keys(PROBES).sort()).toEqual(WRITES.map((r) => r.routeKey).sort());
  });

  for (const route of WRITES) {
    describe(route.routeKey, () => {
      const probe = PROBES[route.routeKey] ?? { body: {}, other: {} };
      const caller = callerFor(route);
      const call = async (options: { body: unknown; key?: string; as?: Principal; pathParameters?: Record<string, string> }) =>
        (await handlerOf(route.function))(
          apiEvent(route.routeKey, {
            claims: claimsOf(options.as ?? caller),
            body: options.body,
            pathParameters: options.pathParameters ?? probe.pathParameters ?? {},
            ...(options.key === undefined ? {} : { idempotencyKey: options.key }),
          }),
          lambdaContext(),
        );
      const stored = (as: Principal = caller) => {
        const scopeKey = idempotencyScopeKey({ operation: route.operationId, clientId: as.clientId, userId: as.userId, key: KEY });
        const path = probe.pathParameters ?? {};
        const request = Object.keys(path).length === 0 ? probe.body : { ...path, body: probe.body };
        const record = { scopeKey, requestHash: sha256(canonicalJson(request)), statusCode: FIRST.statusCode, responseBody: FIRST.body, createdAt: NOW, expiresAtEpochSeconds: expiresAtEpochSeconds(NOW) };
        ddb.on(GetCommand, { Key: { pk: `IDEM#${scopeKey}`, sk: 'IDEM' } }).resolves({ Item: idempotencyItem(record) });
        return scopeKey;
      };

      it('refuses a request without an Idempotency-Key, touching nothing', async () => {
        const result = await call({ body: probe.body });
        expect(result.statusCode, result.body).toBe(400);
        expect(bodyOf(result).code).toBe('IDEMPOTENCY_KEY_REQUIRED');
        expect([...ddb.calls(), ...sfn.calls()]).toEqual([]);
      });

      it("answers a repeat with the first answer, its status and body, marked as replayed, and touches nothing; the caller's user owns the key", async () => {
        const scopeKey = stored();
        expect(scopeKey).toBe(`${route.operationId}#${caller.clientId}#${caller.userId}#${KEY}`);
        const result = await call({ body: probe.body, key: KEY });
        expect([result.statusCode, result.body, result.headers?.['idempotent-replayed']]).toEqual([FIRST.statusCode, FIRST.body, 'true']);
        expect(otherCommands()).toEqual([]);
      });

      it('refuses the same key with another body with 422 IDEMPOTENCY_KEY_REUSED, touching nothing', async () => {
        stored();
        const result = await call({ body: { ...probe.body, ...probe.other }, key: KEY });
        expect(result.statusCode, result.body).toBe(422);
        expect(bodyOf(result)).toEqual(REUSED);
        expect(otherCommands()).toEqual([]);
      });

      if (probe.pathParameters !== undefined) {
        it('refuses the same key and body sent to another path (another loan, adjustment, year) with 422, touching nothing', async () => {
          stored();
          const path = probe.pathParameters ?? {};
          const [first = ''] = Object.keys(path);
          const result = await call({ body: probe.body, key: KEY, pathParameters: { ...path, [first]: anotherPathValue(first, path[first] ?? '') } });
          expect(result.statusCode, result.body).toBe(422);
          expect(bodyOf(result)).toEqual(REUSED);
          expect(otherCommands()).toEqual([]);
        });
      }

      it("never replays one user's answer to another user of the same client", async () => {
        stored();
        const colleague = { ...caller, userId: `${caller.clientId}.user-li` };
        const gets: string[] = [];
        ddb.on(GetCommand).callsFake((input: { Key: { pk: string } }) => {
          gets.push(input.Key.pk);
          return {};
        });
        await call({ body: probe.body, key: KEY, as: colleague }).catch(() => undefined);
        expect(gets).toContain(`IDEM#${route.operationId}#${caller.clientId}#${colleague.userId}#${KEY}`);
        expect(gets).not.toContain(`IDEM#${route.operationId}#${caller.clientId}#${caller.userId}#${KEY}`);
      });
    });
  }
});
