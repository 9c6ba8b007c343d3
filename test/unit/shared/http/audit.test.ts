import { describe, expect, it, vi } from 'vitest';
import type { Logger } from '@aws-lambda-powertools/logger';
import { apiHandler, idempotentWrite, type RouteHandler } from '../../../../shared/http/api.ts';
import { lenderIdsIn, resultFields } from '../../../../shared/http/audit.ts';
import { AUDIT_NOT_WRITTEN } from '../../../../shared/use-cases/audit.ts';
import { InvariantViolation } from '../../../../shared/domain/errors.ts';
import { NOW, PARTNER_A, approveBody, leadOps, partnerOf } from '../../../support/builders.ts';
import { apiEvent, bodyOf, claimsOf, lambdaContext } from '../../../support/api-events.ts';
import { InMemoryAuditStore } from '../../../support/in-memory-audit.ts';
import { createInMemoryStores, frozenClock } from '../../../support/in-memory-stores.ts';
import { thrownBy } from '../../../support/expect-error.ts';

const DATE = NOW.slice(0, 10);

function edge() {
  const stores = createInMemoryStores();
  const audit = new InMemoryAuditStore();
  const error = vi.fn();
  const deps = { idempotency: stores.idempotency, clock: frozenClock(NOW) };
  let writes = 0;
  // A partner's decision, answered as the applications function answers it.
  const decide: RouteHandler = (req) =>
    idempotentWrite(req, deps, async (seal) => {
      writes++;
      await stores.idempotency.put(seal(201, { applicationId: req.pathParameters.applicationId, lenderId: PARTNER_A, decision: 'APPROVE', status: 'IN_REVIEW', plan: [{ lenderId: 'LEAD-BANK' }] }));
    });
  const read: RouteHandler = async () => ({ statusCode: 200, body: { ok: true } });
  const handler = apiHandler({ 'POST /v1/applications/{applicationId}/decisions': decide, 'GET /v1/applications/{applicationId}': read }, { logger: { error, warn: vi.fn(), resetKeys: vi.fn(), addContext: vi.fn(), appendKeys: vi.fn() } as unknown as Logger, clock: frozenClock(NOW), audit });
  const call = (routeKey: string, key = 'decide-0001') =>
    handler(apiEvent(routeKey, { claims: claimsOf(partnerOf()), pathParameters: { applicationId: 'APP-1' }, body: approveBody(), idempotencyKey: key }), lambdaContext());
  return { audit, error, call, writes: () => writes };
}

describe('the edge audits every write it answered', () => {
  it('records who, what, the target, the status, what the answer names and every lender concerned', async () => {
    const { audit, call } = edge();
    const result = await call('POST /v1/applications/{applicationId}/decisions');
    expect(result.statusCode).toBe(201);
    const [record, ...others] = audit.all(DATE);
    expect(others).toEqual([]);
    expect(record).toMatchObject({
      auditKey: 'REQ#decideApplication#partner-a-client#decide-0001',
      at: NOW,
      actor: { kind: 'USER', principalId: 'partner-a-client', clientId: 'partner-a-client', roles: ['PARTNER'] },
      action: 'decideApplication',
      route: 'POST /v1/applications/{applicationId}/decisions',
      target: { applicationId: 'APP-1' },
      requestId: 'req-1',
      executionId: null,
      status: 201,
      before: null,
      after: { applicationId: 'APP-1', lenderId: PARTNER_A, status: 'IN_REVIEW' },
      lenderIds: ['LEAD-BANK', PARTNER_A],
      date: DATE,
      seq: 1,
    });
  });

  it('writes nothing for a replay of a request already audited, nor for a read', async () => {
    const { audit, call, writes } = edge();
    await call('POST /v1/applications/{applicationId}/decisions');
    const replay = await call('POST /v1/applications/{applicationId}/decisions');
    expect(replay.headers?.['idempotent-replayed']).toBe('true');
    await call('GET /v1/applications/{applicationId}');
    expect(writes()).toBe(1);
    expect(audit.all(DATE)).toHaveLength(1);
  });

  it('keeps the answer when the audit table fails, logs the whole record, and writes it when the request is repeated', async () => {
    const { audit, error, call } = edge();
    audit.failNext = 1;
    const first = await call('POST /v1/applications/{applicationId}/decisions');
    expect(first.statusCode).toBe(201);
    expect(bodyOf(first)).toMatchObject({ applicationId: 'APP-1', decision: 'APPROVE' });
    expect(audit.all(DATE)).toEqual([]);
    expect(error).toHaveBeenCalledTimes(1);
    expect(error.mock.calls[0]?.[0]).toBe(AUDIT_NOT_WRITTEN);
    expect(error.mock.calls[0]?.[1]).toMatchObject({ auditRecord: { auditKey: 'REQ#decideApplication#partner-a-client#decide-0001', status: 201 } });
    await call('POST /v1/applications/{applicationId}/decisions');
    expect(audit.all(DATE).map((r) => [r.auditKey, r.status])).toEqual([['REQ#decideApplication#partner-a-client#decide-0001', 201]]);
  });

  it('refuses to serve write routes without the audit trail', () => {
    const write: RouteHandler = async () => ({ statusCode: 201, body: {}, idempotency: 'RECORDED' });
    expect(thrownBy(InvariantViolation, () => apiHandler({ 'POST /v1/lenders': write })).message).toBe('a function serving write routes is given the audit trail');
    expect(() => apiHandler({ 'GET /v1/lenders': write })).not.toThrow();
  });
});

describe('what a record takes from an answer', () => {
  it('keeps the top-level ids, version and state, nothing else', () => {
    expect(resultFields({ loanId: 'L-1', version: 3, status: 'BOOKED', principalMinor: '100', lines: [1], id: 'x', attempt: 2 })).toEqual({ loanId: 'L-1', version: 3, status: 'BOOKED', id: 'x', attempt: 2 });
    expect(resultFields([1, 2])).toBeNull();
    expect(resultFields('text')).toBeNull();
  });

  it('finds every lender a few levels deep, and no deeper', () => {
    expect(lenderIdsIn({ lenderId: 'A', participants: [{ lenderId: 'B' }, { lenderIds: ['C', 7] }], deep: { a: { b: { c: { d: { lenderId: 'TOO-DEEP' } } } } } })).toEqual(['A', 'B', 'C']);
    expect(lenderIdsIn({ lender: leadOps.lenderId })).toEqual([]);
  });
});
