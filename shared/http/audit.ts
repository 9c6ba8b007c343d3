import type { AuditEvent } from '../domain/audit.ts';
import type { Principal } from '../domain/access.ts';
import { restrictedTo } from '../domain/access.ts';
import { userActor } from '../use-cases/audit.ts';
import { idempotencyScopeKey } from './idempotency.ts';
import type { RouteSpec } from './routes.ts';

/** The fields of an answer that say what a write made: its ids, version, state and entry. */
const RESULT_FIELD = /^(id|[A-Za-z]+Id|version|attempt|status|state)$/;

/** How deep the request and answer are searched for the lenders a write concerns. */
const LENDER_SEARCH_DEPTH = 4;

export interface AuditedRequest {
  readonly route: RouteSpec;
  readonly principal: Principal;
  readonly pathParameters: Readonly<Record<string, string>>;
  readonly rawBody: unknown;
  readonly idempotencyKey: string | null;
  readonly requestId: string;
}

/**
 * The audit record of a write the edge answered: who (the token's user, client and roles), what
 * (the operation on the path's ids), the status and what the answer names (ids, version, state),
 * and every lender the request, its answer or its caller concern. Its key is the request's
 * idempotency scope, so a replay of the same request finds it written and writes nothing.
 */
export function requestAuditEvent(request: AuditedRequest, answer: { readonly statusCode: number; readonly body: unknown }, at: string): AuditEvent {
  const { route, principal } = request;
  const once = request.idempotencyKey === null ? `REQUEST#${request.requestId}` : idempotencyScopeKey({ operation: route.operationId, clientId: principal.clientId, userId: principal.userId, key: request.idempotencyKey });
  const own = restrictedTo(principal);
  const body = parsedBody(answer.body);
  return {
    auditKey: `REQ#${once}`,
    at,
    actor: userActor(principal),
    action: route.operationId,
    route: route.routeKey,
    target: { ...request.pathParameters },
    requestId: request.requestId,
    executionId: null,
    status: answer.statusCode,
    before: null,
    after: resultFields(body),
    lenderIds: [...new Set([...(own === null ? [] : [own]), ...lenderIdsIn(request.pathParameters), ...lenderIdsIn(request.rawBody), ...lenderIdsIn(body)])],
  };
}

/** An answer already serialized (a replay's, a file's text) read back as JSON where it is JSON. */
function parsedBody(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return null;
  }
}

/** The top-level ids, version and state an answer holds; null for an answer that is not an object. */
export function resultFields(body: unknown): Record<string, string | number | boolean | null> | null {
  if (body === null || typeof body !== 'object' || Array.isArray(body) || body instanceof Uint8Array) return null;
  const fields = Object.entries(body as Record<string, unknown>).filter(
    ([key, value]) => RESULT_FIELD.test(key) && (typeof value === 'string' || typeof value === 'boolean' || value === null || (typeof value === 'number' && Number.isFinite(value))),
  );
  return Object.fromEntries(fields) as Record<string, string | number | boolean | null>;
}

/** Every `lenderId` (and each of `lenderIds`) in a value, a few levels deep. */
export function lenderIdsIn(value: unknown, depth = LENDER_SEARCH_DEPTH): string[] {
  if (depth < 0 || value === null || typeof value !== 'object' || value instanceof Uint8Array) return [];
  if (Array.isArray(value)) return value.flatMap((v) => lenderIdsIn(v, depth - 1));
  const found: string[] = [];
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (key === 'lenderId' && typeof v === 'string') found.push(v);
    else if (key === 'lenderIds' && Array.isArray(v)) found.push(...v.filter((x): x is string => typeof x === 'string'));
    else found.push(...lenderIdsIn(v, depth - 1));
  }
  return found;
}
