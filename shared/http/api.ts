import middy from '@middy/core';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { Logger } from '@aws-lambda-powertools/logger';
import { holdsAnyOf, restrictedTo, type Principal } from '../domain/access.ts';
import { HttpError, toErrorResponse } from './errors.ts';
import { validate } from '../contracts/validate.ts';
import { pathParameters, queryParameters, type PathParameterName } from '../contracts/parameters.ts';
import { toJson } from '../json.ts';
import { bodyLimitOf, isWrite, routeSpec, type RouteKey, type RouteSpec } from './routes.ts';
import { admit, limiterFromEnv, type EdgeLimiter } from './request-limits.ts';
import { invariant } from '../domain/errors.ts';
import { parseIdempotencyKey, runIdempotent } from './idempotency.ts';
import type { KeyReservation, Seal } from '../ports/stores.ts';
import type { Clock, IdempotencyStore } from '../ports/stores.ts';
import { principalFromClaims } from './principal.ts';
import { systemClock } from '../adapters/clock.ts';
import { businessDateAt, PLATFORM_CALENDAR } from '../domain/business-date.ts';
import type { AuditStore } from '../ports/audit.ts';
import { recordAudit } from '../use-cases/audit.ts';
import { requestAuditEvent } from './audit.ts';
import { apiCorrelation } from '../adapters/telemetry/correlation.ts';
import { logger as sharedLogger, tracing } from '../adapters/telemetry/index.ts';

export type ApiEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type ApiResult = APIGatewayProxyStructuredResultV2;

export interface ApiRequest<Body = unknown> {
  readonly route: RouteSpec;
  /** Null only on public routes. */
  readonly principal: Principal | null;
  readonly body: Body;
  /** The JSON body as parsed, before defaults; what the idempotency hash covers. */
  readonly rawBody: unknown;
  readonly pathParameters: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  readonly idempotencyKey: string | null;
}

export interface ApiResponse {
  readonly statusCode: number;
  /** An object (serialized with amounts as strings), an already serialized string, or the bytes of a file (sent base64-encoded). */
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** A binary body (an XLSX export), sent base64-encoded as API Gateway's payload format 2.0 says. */
  readonly isBase64Encoded?: boolean;
  /**
   * How a write's answer came about: first given and recorded under its Idempotency-Key, or
   * replayed from that record. Only `idempotentWrite` and `recordedWrite` set it, and every write
   * route's answer must carry it.
   */
  readonly idempotency?: 'RECORDED' | 'REPLAYED';
}

/** The header that marks a replayed answer. */
export const REPLAYED_HEADER = 'idempotent-replayed';

/** The content types of the files the API hands out, by extension. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** A CSV or XLSX file as a download, its bytes sent base64-encoded (an XLSX is not text). */
export function attachment(fileName: string, body: Uint8Array): ApiResponse {
  const contentType = CONTENT_TYPES[fileName.slice(fileName.lastIndexOf('.') + 1)];
  invariant(contentType !== undefined, 'a file handed out is a CSV or an XLSX', { fileName });
  return {
    statusCode: 200,
    body: Buffer.from(body).toString('base64'),
    isBase64Encoded: true,
    headers: { 'content-type': contentType, 'content-disposition': `attachment; filename="${fileName}"` },
  };
}

export type RouteHandler = (request: ApiRequest) => Promise<ApiResponse>;

/** The parsed caller of a route that requires one. */
export function callerOf(request: ApiRequest): Principal {
  if (!request.principal) throw new HttpError(401, 'UNAUTHORIZED', 'this route needs a token');
  return request.principal;
}

/** Runs over every lender's books (ledger checks, risk updates) are the platform teams' only. */
export function platformOnly(request: ApiRequest, what: string): ApiRequest {
  if (restrictedTo(callerOf(request)) !== null) throw new HttpError(403, 'FORBIDDEN', `${what} cover every lender; they are open to the platform teams only`);
  return request;
}

export function pathParam(request: ApiRequest, name: string): string {
  const value = request.pathParameters[name];
  if (value === undefined) throw new HttpError(400, 'VALIDATION_FAILED', `path parameter ${name} is missing`, { path: `path.${name}` });
  return value;
}

/** What the request layer hands the handler: the parsed request and the route that serves it. */
interface ApiContext extends Context {
  routed?: { readonly request: ApiRequest; readonly handle: RouteHandler };
}

/** What the edge needs besides the routes: its logger and clock (the shared ones by default), and the audit trail every write route's answer is recorded in. */
export interface EdgeDeps {
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Required when any route served writes. */
  readonly audit?: AuditStore;
  /**
   * Where each client's requests are counted against its limits (docs/limits.md); by default the
   * stage's, from the environment (none when the environment names no limits). `null`: none.
   */
  readonly limiter?: EdgeLimiter | null;
}

/**
 * One Lambda serves a few routes, as an onion: tracing and the log context outermost (the
 * request's correlation ids on every line, docs/operations.md); then a layer that turns every
 * named error into `{code, message, details}` with its status; the inner layer finds the route,
 * checks who calls, and parses and validates the body; the handler calls the route, writes the
 * audit record of a write that was answered (docs/audit.md) and serializes its answer.
 */
export function apiHandler(routes: Partial<Record<RouteKey, RouteHandler>>, deps: EdgeDeps = {}) {
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? sharedLogger;
  const { audit } = deps;
  const limiter = deps.limiter === undefined ? limiterFromEnv() : (deps.limiter ?? undefined);
  const writes = Object.keys(routes).filter((routeKey) => isWrite({ routeKey }));
  invariant(writes.length === 0 || audit !== undefined, 'a function serving write routes is given the audit trail', { routes: writes.join(',') });
  return middy<ApiEvent, ApiResult, Error, ApiContext>()
    .use(tracing)
    .use(logContext(logger))
    .use(errorResponses(logger))
    .use(routeRequests(routes, clock, logger, limiter))
    .handler(async (event, context) => {
      if (!context.routed) throw new Error('the request layer did not run');
      const { route } = context.routed.request;
      const response = await context.routed.handle(context.routed.request);
      // One rule for every write: its answer is recorded under its Idempotency-Key, or it is not sent.
      invariant(!isWrite(route) || response.idempotency !== undefined, `${route.routeKey} answered without recording its answer under the Idempotency-Key`, { routeKey: route.routeKey });
      // A write answered (first or replayed) is audited once; a failed audit write never costs the answer.
      if (isWrite(route) && audit !== undefined) {
        const { request } = context.routed;
        const audited = { ...request, principal: callerOf(request), requestId: event.requestContext.requestId };
        await recordAudit(audit, requestAuditEvent(audited, response, clock.now()), logger);
      }
      const result = respond(response.statusCode, response.body, response.headers);
      return response.isBase64Encoded === true ? { ...result, isBase64Encoded: true } : result;
    });
}

/** The log context of a request: the Lambda context and the request's ids, those of the previous request dropped. */
function logContext(logger: Logger): middy.MiddlewareObj<ApiEvent, ApiResult, Error, ApiContext> {
  return {
    before: (request) => {
      logger.resetKeys();
      logger.addContext(request.context);
      logger.appendKeys({ ...apiCorrelation(request.event, undefined) });
    },
  };
}

/** The outer layer: a named error becomes its status and body; anything else a logged 500. */
function errorResponses(logger: Logger): middy.MiddlewareObj<ApiEvent, ApiResult, Error, ApiContext> {
  return {
    onError: (request) => {
      const { statusCode, body, unexpected, headers } = toErrorResponse(request.error);
      if (unexpected) logger.error('request failed', { routeKey: request.event.routeKey, error: request.error as Error });
      request.response = respond(statusCode, body.code === 'INTERNAL_ERROR' ? { ...body, message: unexpectedMessage(routeSpec(request.event.routeKey)) } : body, headers);
    },
  };
}

/** What a client may do after an unexpected error: a read is retried as it is; a write with the key that makes it once. */
function unexpectedMessage(spec: RouteSpec | undefined): string {
  const retry = spec?.idempotent ? 'retrying with the same Idempotency-Key is safe' : spec?.keyInBody ? `retrying with the same ${spec.keyInBody} is safe` : 'retrying is safe';
  return `an unexpected error occurred; ${retry}`;
}

/**
 * The inner layer: route, caller, the caller's limits, the body's size, then Idempotency-Key and
 * body, or a refusal before any work. A client over its limits is refused before anything else
 * is read or written; an oversized body before it is decoded or parsed.
 */
function routeRequests(routes: Partial<Record<RouteKey, RouteHandler>>, clock: Clock, logger: Logger, limiter: EdgeLimiter | undefined): middy.MiddlewareObj<ApiEvent, ApiResult, Error, ApiContext> {
  return {
    before: async (request) => {
      const spec = routeSpec(request.event.routeKey);
      const handle = spec ? routes[spec.routeKey as RouteKey] : undefined;
      if (!spec || !handle) throw new HttpError(404, 'NOT_FOUND', `no route ${request.event.routeKey}`);
      const principal = principalOf(spec, request.event);
      if (principal !== null && limiter !== undefined) await admit(limiter, principal.clientId, clock.now());
      refuseOversized(spec, request.event);
      const parsed = parseRequest(spec, request.event, clock, principal);
      // The ids the body names (a loan, a repayment, a business date), now that it is known to be JSON.
      logger.appendKeys({ ...apiCorrelation(request.event, parsed.rawBody) });
      request.context.routed = { request: parsed, handle };
    },
  };
}

/** The caller of a route that requires one, holding one of its roles; null on public routes. */
function principalOf(spec: RouteSpec, event: ApiEvent): Principal | null {
  const principal = spec.roles.length === 0 ? null : principalFromClaims(event.requestContext.authorizer?.jwt?.claims);
  if (principal && !holdsAnyOf(principal, spec.roles)) {
    throw new HttpError(403, 'FORBIDDEN', `${spec.routeKey} is not open to ${principal.roles.join(', ')}`, { allowedRoles: spec.roles, roles: principal.roles });
  }
  return principal;
}

/** A body over the route's limit is refused with 413 by its size alone: never decoded, never parsed. */
function refuseOversized(spec: RouteSpec, event: ApiEvent): void {
  if (event.body === undefined) return;
  const maxBytes = bodyLimitOf(spec);
  // A base64 body decodes to at most three bytes of every four characters; exact for the limit's purpose once padding is counted.
  const bytes = event.isBase64Encoded ? Buffer.byteLength(event.body, 'base64') : Buffer.byteLength(event.body, 'utf8');
  if (bytes > maxBytes) {
    throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `the body is ${bytes} bytes; at most ${maxBytes} are accepted on ${spec.routeKey}`, { maxBytes, bytes });
  }
}

function parseRequest(spec: RouteSpec, event: ApiEvent, clock: Clock, principal: Principal | null): ApiRequest {
  const pathValues = validate(pathParameters(pathParameterNames(spec)), event.pathParameters ?? {});
  const query = validate(queryParameters, event.queryStringParameters ?? {});
  const headers = lowerCase(event.headers ?? {});
  const idempotencyKey = spec.idempotent ? parseIdempotencyKey(headers['idempotency-key']) : null;
  const rawBody = spec.requestSchema ? parseJsonBody(event) : undefined;
  // Dates of things done (a run's business date, a disbursement) may not be after the platform's today.
  const body = spec.requestSchema ? validate(spec.requestSchema, rawBody, { today: businessDateAt(clock.now(), PLATFORM_CALENDAR) }) : undefined;
  return {
    route: spec,
    principal,
    body,
    rawBody,
    pathParameters: pathValues,
    query,
    idempotencyKey,
  };
}

/** The names in the route's path, `{loanId}` and the like; each is bounded by PATH_PARAMETERS. */
export function pathParameterNames(spec: Pick<RouteSpec, 'routeKey'>): PathParameterName[] {
  return [...spec.routeKey.matchAll(/\{([A-Za-z]+)\}/g)].map((m) => m[1] as PathParameterName);
}

function lowerCase(headers: Record<string, string | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

function parseJsonBody(event: ApiEvent): unknown {
  const text = event.body === undefined ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (text.trim() === '') throw new HttpError(400, 'MALFORMED_JSON', 'the request needs a JSON body', { path: 'body', rule: 'required' });
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpError(400, 'MALFORMED_JSON', `the body is not valid JSON: ${(error as Error).message}`, { path: 'body', rule: 'json' });
  }
}

function respond(statusCode: number, body: unknown, headers: Readonly<Record<string, string>> = {}): ApiResult {
  if (body instanceof Uint8Array) {
    return { statusCode, headers: { 'content-type': 'application/octet-stream', ...headers }, body: Buffer.from(body).toString('base64'), isBase64Encoded: true };
  }
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : toJson(body),
  };
}

/**
 * A write route: at most once per Idempotency-Key of the caller (its client and user), the first
 * response, status and body, replayed for repeats with the header `idempotent-replayed: true`.
 * The write seals its answer into the record it stores in its own transaction.
 */
export async function idempotentWrite(
  request: ApiRequest,
  deps: { idempotency: IdempotencyStore; clock: Clock },
  write: (seal: Seal, now: string, reservation: KeyReservation) => Promise<void>,
): Promise<ApiResponse> {
  const principal = callerOf(request);
  if (request.idempotencyKey === null) throw new HttpError(400, 'IDEMPOTENCY_KEY_REQUIRED', 'every write takes an Idempotency-Key header');
  const now = deps.clock.now();
  const stored = await runIdempotent(
    deps.idempotency,
    { operation: request.route.operationId, clientId: principal.clientId, userId: principal.userId, key: request.idempotencyKey, body: requestOf(request), now },
    (seal, reservation) => write(seal, now, reservation),
  );
  return stored.replayed
    ? { statusCode: stored.statusCode, body: stored.body, headers: { [REPLAYED_HEADER]: 'true' }, idempotency: 'REPLAYED' }
    : { statusCode: stored.statusCode, body: stored.body, headers: {}, idempotency: 'RECORDED' };
}

/**
 * What the same key must find again to replay: the body and, for a route with path parameters,
 * those too (the same key and body for another adjustment, calendar year or loan is another
 * request, refused as a reuse of the key, never answered with the first one's answer).
 */
function requestOf(request: ApiRequest): unknown {
  return Object.keys(request.pathParameters).length === 0 ? request.rawBody : { ...request.pathParameters, body: request.rawBody };
}

/**
 * A write that is idempotent by its own business id (a repayment's, a transfer's, an adjustment's)
 * and writes no record itself: it runs, and its answer is then recorded under the Idempotency-Key,
 * so a repeat answers exactly the first answer. Before or as it writes anything it reserves the
 * key (`reservation`, handed to the write: taken right before its first write, or written in the
 * write's own transaction), so two requests under one key at once never both write: the other is
 * answered 409 `REQUEST_IN_PROGRESS` or 422. A write that reserves nothing (a refusal answered 200)
 * records its answer on the free key, under the same condition. Should the function die between
 * the write and the record, the reservation lapses and the repeat runs the write again, which its
 * business id makes book nothing twice.
 */
export function recordedWrite(
  request: ApiRequest,
  deps: { idempotency: IdempotencyStore; clock: Clock },
  write: (now: string, reservation: KeyReservation) => Promise<{ readonly statusCode: number; readonly body: unknown }>,
): Promise<ApiResponse> {
  return idempotentWrite(request, deps, async (seal, now, reservation) => {
    const answer = await write(now, reservation);
    await deps.idempotency.put(seal(answer.statusCode, answer.body));
  });
}
