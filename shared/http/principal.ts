import { ROLE_SCOPES, type Principal, type PrincipalRole } from '../domain/access.ts';
import { HttpError } from './errors.ts';

const ROLES = Object.keys(ROLE_SCOPES) as PrincipalRole[];

/**
 * The caller, from the claims the JWT authorizer verified. A token grants every role whose scope
 * it carries (at least one); a token with the partner scope but no lender is refused, since it
 * could not be scoped to any data. A user token names its user; a client-credentials token's
 * user is its client.
 */
export function principalFromClaims(claims: Readonly<Record<string, unknown>> | undefined): Principal {
  const scopes = String(claims?.scope ?? '').split(' ').filter(Boolean);
  const roles = ROLES.filter((role) => scopes.includes(ROLE_SCOPES[role]));
  const clientId = String(claims?.client_id ?? claims?.sub ?? '');
  const userId = userOf(claims) ?? clientId;
  const lenderClaim = claims?.lender_id;
  const lenderId = typeof lenderClaim === 'string' && lenderClaim !== '' ? lenderClaim : null;
  if (roles.length === 0 || clientId === '') {
    throw new HttpError(403, 'FORBIDDEN', 'the token must carry at least one of the scopes colend/lead, colend/partner, colend/finance', { scopes });
  }
  if (roles.includes('PARTNER') && lenderId === null) {
    throw new HttpError(403, 'FORBIDDEN', 'a partner token must name its lender (claim lender_id)', {});
  }
  return { roles, clientId, userId, lenderId };
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
