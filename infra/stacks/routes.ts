import { ROUTES, type ApiFunctionName } from '../../shared/http/routes.ts';
import type { PrincipalRole } from '../../shared/domain/access.ts';
import type { ClientScope } from '../config.ts';

export type { ApiFunctionName };

export interface ApiRoute {
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly path: string;
  readonly function: ApiFunctionName;
  /** Any one of these scopes is enough; `undefined` means the route has no authorizer. */
  readonly scopes?: readonly ClientScope[];
}

/** The client scope that carries each role. */
const SCOPE_OF: Readonly<Record<PrincipalRole, ClientScope>> = { LEAD: 'lead', PARTNER: 'partner', FINANCE: 'finance' };

/**
 * Every route of the API with the scopes API Gateway checks before the function runs: the one
 * route table (`shared/http/routes.ts`), so the gateway and the handlers' role checks agree.
 */
export const API_ROUTES: readonly ApiRoute[] = ROUTES.map((route) => {
  const [method, path] = route.routeKey.split(' ') as ['GET' | 'POST' | 'PUT', string];
  const roles: readonly PrincipalRole[] = route.roles;
  return { method, path, function: route.function, ...(roles.length === 0 ? {} : { scopes: roles.map((role) => SCOPE_OF[role]) }) };
});
