import type { Principal, PrincipalRole } from '../domain/access.ts';
import { HttpError } from './errors.ts';

const SCOPE_ROLES: Readonly<Record<string, PrincipalRole>> = {
  'colend/lead': 'LEAD',
  'colend/partner': 'PARTNER',
  'colend/finance': 'FINANCE',
};

/**
 * The caller, from the claims the JWT authorizer verified. A token grants one role; a partner
 * token without a lender is refused, since it could not be scoped to any data.
 */
export function principalFromClaims(claims: Readonly<Record<string, unknown>> | undefined): Principal {
  const scopes = String(claims?.scope ?? '').split(' ').filter(Boolean);
  const roles = [...new Set(scopes.map((s) => SCOPE_ROLES[s]).filter((r): r is PrincipalRole => r !== undefined))];
  const clientId = String(claims?.client_id ?? claims?.sub ?? '');
  const lenderClaim = claims?.lender_id;
  const lenderId = typeof lenderClaim === 'string' && lenderClaim !== '' ? lenderClaim : null;
  const [role] = roles;
  if (roles.length !== 1 || role === undefined || clientId === '') {
    throw new HttpError(403, 'FORBIDDEN', 'the token must carry exactly one of the scopes colend/lead, colend/partner, colend/finance', { scopes });
  }
  if (role === 'PARTNER' && lenderId === null) {
    throw new HttpError(403, 'FORBIDDEN', 'a partner token must name its lender (claim lender_id)', {});
  }
  return { role, clientId, lenderId };
}
