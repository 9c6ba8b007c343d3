import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, ROUTES, routeSpec, type RouteSpec, isWrite } from '../../../../shared/http/routes.ts';

describe('ROUTES', () => {
  it('holds each route once, each operation id once, all under /v1', () => {
    expect(new Set(ROUTES.map((r) => r.routeKey)).size).toBe(ROUTES.length);
    expect(new Set(ROUTES.map((r) => r.operationId)).size).toBe(ROUTES.length);
    for (const route of ROUTES) expect(route.routeKey).toMatch(/^(GET|POST|PUT) \/v1\//);
  });

  it('makes every POST and PUT an idempotent write by its Idempotency-Key, with a request schema, and no GET; some also carry a business id', () => {
    for (const route of ROUTES as readonly RouteSpec[]) {
      const post = !route.routeKey.startsWith('GET ');
      const write = post && route.readOnly !== true;
      expect(isWrite(route), route.routeKey).toBe(write);
      expect(route.idempotent, route.routeKey).toBe(write);
      expect(route.keyInBody === undefined || write, route.routeKey).toBe(true);
      expect('requestSchema' in route).toBe(post);
    }
    expect(['PATCH /v1/x', 'DELETE /v1/x', 'PUT /v1/x', 'POST /v1/x', 'GET /v1/x'].map((routeKey) => isWrite({ routeKey }))).toEqual([true, true, true, true, false]);
    expect(routeSpec('POST /v1/repayments')?.keyInBody).toBe('repayments[].repaymentId');
    expect(routeSpec('POST /v1/repayments/{repaymentId}/reversal')?.keyInBody).toBe('reversalId');
  });

  it('sends the lookup of a person as a POST that reads: its identity number stays out of the URL, and it keeps no answer', () => {
    const reads = (ROUTES as readonly RouteSpec[]).filter((r) => r.readOnly === true);
    expect(reads.map((r) => [r.routeKey, r.function, r.roles, r.idempotent, isWrite(r)])).toEqual([['POST /v1/borrower-lookups', 'loans', ['LEAD', 'FINANCE'], false, false]]);
  });

  it('opens writes of lenders, programs and loans to lead operations only', () => {
    expect(routeSpec('POST /v1/lenders')?.roles).toEqual(['LEAD']);
    expect(routeSpec('POST /v1/programs')?.roles).toEqual(['LEAD']);
    expect(routeSpec('POST /v1/loans')?.roles).toEqual(['LEAD']);
    expect(routeSpec('POST /v1/ledger-checks')?.roles).toEqual(['LEAD', 'FINANCE']);
    expect(routeSpec('PUT /v1/calendars/{calendar}/years/{year}')?.roles).toEqual(['LEAD', 'FINANCE']);
    expect(routeSpec('GET /v1/calendars/{calendar}')?.roles).toEqual(['LEAD', 'PARTNER', 'FINANCE']);
    expect(routeSpec('GET /v1/openapi.json')?.roles).toEqual([]);
    expect(routeSpec('GET /v1/loans/{loanId}')?.roles).toEqual(['LEAD', 'PARTNER', 'FINANCE']);
  });

  it('opens the joint review to each role for its own part', () => {
    expect(routeSpec('POST /v1/applications')?.roles).toEqual(['LEAD']);
    expect(routeSpec('POST /v1/applications/{applicationId}/decisions')?.roles).toEqual(['PARTNER']);
    expect(routeSpec('POST /v1/applications/{applicationId}/disbursement')?.roles).toEqual(['LEAD']);
    expect(routeSpec('GET /v1/applications')?.roles).toEqual(['LEAD', 'PARTNER', 'FINANCE']);
    expect(routeSpec('GET /v1/applications/{applicationId}')?.roles).toEqual(['LEAD', 'PARTNER', 'FINANCE']);
    expect(routeSpec('GET /v1/loans/{loanId}/schedule')?.roles).toEqual(['LEAD', 'PARTNER', 'FINANCE']);
    expect([routeSpec('POST /v1/applications')?.successStatus, routeSpec('POST /v1/applications/{applicationId}/decisions')?.successStatus, routeSpec('POST /v1/applications/{applicationId}/disbursement')?.successStatus]).toEqual([
      202, 201, 202,
    ]);
  });

  it('answers the success status of each write', () => {
    expect(routeSpec('POST /v1/loans')?.successStatus).toBe(201);
    expect(routeSpec('POST /v1/ledger-checks')?.successStatus).toBe(202);
    expect(routeSpec('PUT /v1/calendars/{calendar}/years/{year}')?.successStatus).toBe(201);
  });

  it('finds nothing for an unknown route key', () => {
    expect(routeSpec('DELETE /v1/loans/{loanId}')).toBeUndefined();
  });

  it('accepts bodies up to 256 KiB', () => {
    expect(MAX_BODY_BYTES).toBe(262_144);
  });
});
