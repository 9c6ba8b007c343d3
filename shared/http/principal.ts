import { ROLE_SCOPES, type Principal, type PrincipalRole } from '../domain/access.ts';
import { HttpError } from './errors.ts';

const SCOPE_ROLES: Readonly<Record<string, PrincipalRole>> = Object.fromEntries(Object.entries(ROLE_SCOPES).map(([role, scope]) => [scope, role as PrincipalRole]));

/**
 * The caller, from the claims the JWT authorizer verified. A token grants one role; a partner
 * token without a lender is refused, since it could not be scoped to any data. A user token
 * names its user; a client-credentials token's user is its client.
 */
export function principalFromClaims(claims: Readonly<Record<string, unknown>> | undefined): Principal {
  const scopes = String(claims?.scope ?? '').split(' ').filter(Boolean);
  const roles = [...new Set(scopes.map((s) => SCOPE_ROLES[s]).filter((r): r is PrincipalRole => r !== undefined))];
  const clientId = String(claims?.client_id ?? claims?.sub ?? '');
  const userId = userOf(claims) ?? clientId;
  const lenderClaim = claims?.lender_id;
  const lenderId = typeof lenderClaim === 'string' && lenderClaim !== '' ? lenderClaim : null;
  const [role] = roles;
  if (roles.length !== 1 || role === undefined || clientId === '') {
    throw new HttpError(403, 'FORBIDDEN', 'the token must carry exactly one of the scopes colend/lead, colend/partner, colend/finance', { scopes });
  }
  if (role === 'PARTNER' && lenderId === null) {
    throw new HttpError(403, 'FORBIDDEN', 'a partner token must name its lender (claim lender_id)', {});
  }
  return { role, clientId, userId, lenderId };
}

/**
 * The signed-in user of a user token: Cognito's `username` (the sub when the pool signs in by
 * alias), else a `sub` other than the client. A client-credentials token has no user: its `sub`
 * is the client id, and the client acts for itself.
 */
function userOf(claims: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
  const username = text(claims?.username);
  if (username !== undefined) return username;
  const sub = text(claims?.sub);
  return sub !== undefined && sub !== text(claims?.client_id) ? sub : undefined;
}
