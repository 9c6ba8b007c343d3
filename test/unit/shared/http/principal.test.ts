import { describe, expect, it } from 'vitest';
import { HttpError } from '../../../../shared/http/errors.ts';
import { principalFromClaims } from '../../../../shared/http/principal.ts';
import { hasRole, holdsAnyOf, restrictedTo } from '../../../../shared/domain/access.ts';
import { PARTNER_A } from '../../../support/builders.ts';
import { thrownBy } from '../../../support/expect-error.ts';

function forbidden(claims: Record<string, unknown> | undefined): HttpError {
  const error = thrownBy(HttpError, () => principalFromClaims(claims));
  expect(error.statusCode).toBe(403);
  expect(error.code).toBe('FORBIDDEN');
  return error;
}

describe('principalFromClaims', () => {
  it('reads lead operations from colend/lead', () => {
    expect(principalFromClaims({ scope: 'colend/lead', client_id: 'lead-ops' })).toEqual({ roles: ['LEAD'], clientId: 'lead-ops', userId: 'lead-ops', lenderId: null });
  });

  it('reads a partner and its lender from colend/partner', () => {
    expect(principalFromClaims({ scope: 'colend/partner', client_id: 'pa', lender_id: PARTNER_A })).toEqual({ roles: ['PARTNER'], clientId: 'pa', userId: 'pa', lenderId: PARTNER_A });
  });

  it("reads a finance team, restricted to a lender or the platform's own", () => {
    expect(principalFromClaims({ scope: 'colend/finance', client_id: 'fin', lender_id: PARTNER_A })).toEqual({ roles: ['FINANCE'], clientId: 'fin', userId: 'fin', lenderId: PARTNER_A });
    expect(principalFromClaims({ scope: 'colend/finance', client_id: 'fin' })).toEqual({ roles: ['FINANCE'], clientId: 'fin', userId: 'fin', lenderId: null });
    expect(principalFromClaims({ scope: 'colend/finance', client_id: 'fin', lender_id: '' }).lenderId).toBeNull();
  });

  it('falls back to sub when there is no client_id, and ignores scopes of other resource servers', () => {
    expect(principalFromClaims({ scope: 'openid colend/lead profile', sub: 'abc' })).toEqual({ roles: ['LEAD'], clientId: 'abc', userId: 'abc', lenderId: null });
  });

  it('names the signed-in user of a user token, and the client of a client-credentials token', () => {
    // Cognito: a user's access token carries username and sub beside the app client.
    const user = { scope: 'openid colend/finance', client_id: 'console', username: 'fin.wang', sub: '7f3c2a9e-0d1b-4c55-9e0a-2f6b1d8c4e11' };
    expect(principalFromClaims(user)).toEqual({ roles: ['FINANCE'], clientId: 'console', userId: 'fin.wang', lenderId: null });
    // Without username (a pool signing in by e-mail alias keeps it), the sub names the user.
    expect(principalFromClaims({ ...user, username: undefined }).userId).toBe('7f3c2a9e-0d1b-4c55-9e0a-2f6b1d8c4e11');
    expect(principalFromClaims({ ...user, username: '' }).userId).toBe('7f3c2a9e-0d1b-4c55-9e0a-2f6b1d8c4e11');
    // A client-credentials token: its sub is the client itself.
    expect(principalFromClaims({ scope: 'colend/lead', client_id: 'lead-ops', sub: 'lead-ops' }).userId).toBe('lead-ops');
    // Two users of one console are two callers.
    const li = principalFromClaims({ ...user, username: 'fin.li', sub: 'c1d2' });
    expect([li.clientId, li.userId]).toEqual(['console', 'fin.li']);
  });

  it('accepts the same scope twice', () => {
    expect(principalFromClaims({ scope: 'colend/lead colend/lead', client_id: 'x' }).roles).toEqual(['LEAD']);
  });

  it('grants every role a token carries: a bank\'s client that is its partner and its finance team', () => {
    const both = principalFromClaims({ scope: 'colend/finance openid colend/partner', client_id: 'pa', lender_id: PARTNER_A });
    expect(both).toEqual({ roles: ['PARTNER', 'FINANCE'], clientId: 'pa', userId: 'pa', lenderId: PARTNER_A });
    expect([hasRole(both, 'PARTNER'), hasRole(both, 'FINANCE'), hasRole(both, 'LEAD')]).toEqual([true, true, false]);
    expect([holdsAnyOf(both, ['LEAD']), holdsAnyOf(both, ['LEAD', 'FINANCE']), holdsAnyOf(both, ['PARTNER'])]).toEqual([false, true, true]);
    // The token's lender bounds every role it holds; lead operations see every lender whatever else the token holds.
    expect(restrictedTo(both)).toBe(PARTNER_A);
    expect(restrictedTo(principalFromClaims({ scope: 'colend/partner colend/lead', client_id: 'x', lender_id: PARTNER_A }))).toBeNull();
  });

  it('refuses a partner scope without a lender even beside another role', () => {
    const error = forbidden({ scope: 'colend/lead colend/partner', client_id: 'x' });
    expect(error.message).toBe('a partner token must name its lender (claim lender_id)');
  });

  it('refuses a token without a colend scope, and no claims at all', () => {
    expect(forbidden({ scope: 'openid', client_id: 'x' }).message).toBe('the token must carry at least one of the scopes colend/lead, colend/partner, colend/finance');
    expect(forbidden({ scope: 'openid', client_id: 'x' }).details).toEqual({ scopes: ['openid'] });
    expect(forbidden(undefined).details).toEqual({ scopes: [] });
  });

  it('refuses a token without a client', () => {
    forbidden({ scope: 'colend/lead' });
  });

  it('refuses a partner token without lender_id', () => {
    const error = forbidden({ scope: 'colend/partner', client_id: 'pa' });
    expect(error.message).toBe('a partner token must name its lender (claim lender_id)');
    forbidden({ scope: 'colend/partner', client_id: 'pa', lender_id: 42 });
  });
});
