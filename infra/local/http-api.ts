import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import {
  authorizerClaims,
  buildHttpApiEvent,
  INTERNAL_SERVER_ERROR,
  jsonResponse,
  newRequestId,
  responseFromResult,
  tokenScopes,
} from './api-event.ts';
import type { ApiResponse, JwtAuthorizerContext } from './api-event.ts';
import { LOOPBACK } from './free-port.ts';
import type { FunctionHost } from './functions.ts';
import { JWKS_PATH, localJwks, OPENID_CONFIGURATION_PATH, openIdConfiguration, verifyLocalToken } from './issuer.ts';
import { LOCAL_TOKEN_COOKIE, LOCAL_TOKEN_HEADER, sameToken } from './state-file.ts';
import { asRecord, asString, functionNameFromArn } from './template.ts';
import { localMetrics } from '../../shared/adapters/telemetry/index.ts';
import { PROMETHEUS_CONTENT_TYPE } from '../../shared/adapters/telemetry/prometheus-registry.ts';
import type { TemplateResolver } from './template.ts';
import { bodyLimitOf, routeSpec } from '../../shared/http/routes.ts';

/**
 * The HTTP API of the template served by node:http: the same routes as API Gateway, the same
 * payload format 2.0 events, the JWT authorizer emulated against the local issuer.
 */

export const MAX_BODY_BYTES = 10 * 1024 * 1024;

/**
 * The largest body a route of the route table accepts (docs/limits.md): the same limit as its
 * function's, enforced here before the body is read (by its declared length, then as it arrives);
 * a route of another template gets API Gateway's 10 MB.
 */
export function routeBodyLimit(routeKey: string): number {
  const spec = routeSpec(routeKey);
  return spec === undefined ? MAX_BODY_BYTES : bodyLimitOf(spec);
}

/** The CORS settings of the template's HTTP API (`CorsConfiguration`); none: no browser origin is answered. */
export interface LocalCors {
  readonly allowOrigins: readonly string[];
  readonly allowMethods: readonly string[];
  readonly allowHeaders: readonly string[];
  readonly maxAgeSeconds?: number;
}

/** The CORS configuration of the template's HTTP API, resolved; undefined when it has none (closed). */
export function corsFromTemplate(resolver: TemplateResolver): LocalCors | undefined {
  const apis = resolver.resourcesOfType('AWS::ApiGatewayV2::Api');
  const config = apis.map(([id]) => asRecord(resolver.properties(id).CorsConfiguration)).find((found) => found !== undefined);
  if (config === undefined) return undefined;
  const list = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);
  return {
    allowOrigins: list(config.AllowOrigins),
    allowMethods: list(config.AllowMethods).map((method) => method.toUpperCase()),
    allowHeaders: list(config.AllowHeaders).map((header) => header.toLowerCase()),
    ...(typeof config.MaxAge === 'number' ? { maxAgeSeconds: config.MaxAge } : {}),
  };
}

/**
 * The CORS headers API Gateway adds for a request from `origin`: none unless the API lists that
 * origin exactly (no wildcard is ever configured, docs/limits.md).
 */
export function corsHeaders(cors: LocalCors | undefined, origin: string | undefined): Array<[string, string]> {
  if (cors === undefined || origin === undefined || !cors.allowOrigins.includes(origin)) return [];
  return [
    ['access-control-allow-origin', origin],
    ['vary', 'origin'],
  ];
}

/** The answer to a preflight (`OPTIONS` with `Access-Control-Request-Method`) of an allowed origin and method; undefined otherwise. */
export function preflightResponse(cors: LocalCors | undefined, origin: string | undefined, requestMethod: string | undefined): ApiResponse | undefined {
  if (cors === undefined || origin === undefined || requestMethod === undefined) return undefined;
  if (!cors.allowOrigins.includes(origin) || !cors.allowMethods.includes(requestMethod.toUpperCase())) return undefined;
  return {
    statusCode: 204,
    headers: [
      ...corsHeaders(cors, origin),
      ['access-control-allow-methods', cors.allowMethods.join(',')],
      ['access-control-allow-headers', cors.allowHeaders.join(',')],
      ...(cors.maxAgeSeconds === undefined ? [] : ([['access-control-max-age', String(cors.maxAgeSeconds)]] as Array<[string, string]>)),
    ],
    body: Buffer.alloc(0),
  };
}

/** Where a Prometheus server scrapes the local stack's metrics; in AWS they are CloudWatch's. */
export const METRICS_PATH = '/metrics';

export interface LocalRoute {
  apiId: string;
  routeKey: string;
  /** Upper-case method, or `ANY`; undefined for the `$default` route. */
  method?: string;
  segments: RouteSegment[];
  functionId: string;
  authorization: { type: 'NONE' } | { type: 'JWT'; scopes: string[] };
}

type RouteSegment = { literal: string } | { parameter: string } | { greedy: string };

export class RouteError extends Error {
  override name = 'RouteError';
}

/** `GET /v1/lenders/{lenderId}` → method and path segments; `$default` matches anything. */
export function parseRouteKey(routeKey: string): { method?: string; segments: RouteSegment[] } {
  if (routeKey === '$default') return { segments: [{ greedy: '' }] };
  const [method, path] = routeKey.split(' ');
  if (!method || !path || !path.startsWith('/')) throw new RouteError(`Unsupported route key ${routeKey}`);
  const segments = path
    .split('/')
    .slice(1)
    .map((segment): RouteSegment => {
      const greedy = /^\{(\w+)\+\}$/.exec(segment);
      if (greedy) return { greedy: greedy[1] as string };
      const parameter = /^\{(\w+)\}$/.exec(segment);
      return parameter ? { parameter: parameter[1] as string } : { literal: segment };
    });
  return { method: method.toUpperCase(), segments };
}

/** The routes of every `AWS::ApiGatewayV2::Api` in the template, each bound to its function. */
export function routesFromTemplate(resolver: TemplateResolver, functions: FunctionHost): LocalRoute[] {
  const integrations = new Map(resolver.resourcesOfType('AWS::ApiGatewayV2::Integration').map(([id]) => [id, resolver.properties(id)]));
  const authorizers = new Map(resolver.resourcesOfType('AWS::ApiGatewayV2::Authorizer').map(([id]) => [id, resolver.properties(id)]));
  return resolver.resourcesOfType('AWS::ApiGatewayV2::Route').map(([logicalId]) => {
    const props = resolver.properties(logicalId);
    const routeKey = String(props.RouteKey);
    const target = asString(props.Target) ?? '';
    const integrationId = /^integrations\/(.+)$/.exec(target)?.[1];
    const integration = integrationId === undefined ? undefined : integrations.get(integrationId);
    if (!integration) throw new RouteError(`Route ${routeKey} (${logicalId}) has no integration the local API can serve`);
    if (asString(integration.IntegrationType) !== 'AWS_PROXY') {
      throw new RouteError(`Route ${routeKey}: only Lambda proxy integrations are served locally`);
    }
    if (asString(integration.PayloadFormatVersion) !== '2.0') {
      throw new RouteError(`Route ${routeKey}: only payload format 2.0 is served locally`);
    }
    const uri = asString(integration.IntegrationUri) ?? '';
    const functionArn = /arn:aws[\w-]*:lambda:[^:]+:[^:]+:function:[^/:]+/.exec(uri)?.[0];
    const name = functionArn === undefined ? undefined : functionNameFromArn(functionArn);
    const fn = name === undefined ? undefined : functions.get(name);
    if (!fn || !functions.isRunnable(fn.logicalId)) {
      throw new RouteError(`Route ${routeKey}: its function ${name ?? uri} has no handler module to run locally`);
    }
    const type = asString(props.AuthorizationType) ?? 'NONE';
    let authorization: LocalRoute['authorization'];
    if (type === 'NONE') {
      authorization = { type: 'NONE' };
    } else if (type === 'JWT') {
      const authorizer = authorizers.get(asString(props.AuthorizerId) ?? '');
      if (!authorizer || asString(authorizer.AuthorizerType) !== 'JWT') {
        throw new RouteError(`Route ${routeKey}: its JWT authorizer is missing from the template`);
      }
      const scopes = Array.isArray(props.AuthorizationScopes) ? props.AuthorizationScopes.map(String) : [];
      authorization = { type: 'JWT', scopes };
    } else {
      throw new RouteError(`Route ${routeKey}: authorization type ${type} is not emulated locally`);
    }
    return {
      apiId: asString(props.ApiId) ?? 'local',
      routeKey,
      ...parseRouteKey(routeKey),
      functionId: fn.logicalId,
      authorization,
    };
  });
}

export interface RouteMatch {
  route: LocalRoute;
  pathParameters: Record<string, string>;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function matchSegments(route: LocalRoute, parts: string[]): Record<string, string> | undefined {
  const parameters: Record<string, string> = {};
  for (let index = 0; index < route.segments.length; index += 1) {
    const segment = route.segments[index] as RouteSegment;
    if ('greedy' in segment) {
      const rest = parts.slice(index);
      if (rest.length === 0 || (segment.greedy !== '' && rest.join('/') === '')) return undefined;
      if (segment.greedy !== '') parameters[segment.greedy] = rest.map(decodeSegment).join('/');
      return parameters;
    }
    const part = parts[index];
    if (part === undefined) return undefined;
    if ('literal' in segment) {
      if (segment.literal !== part) return undefined;
    } else {
      if (part === '') return undefined;
      parameters[segment.parameter] = decodeSegment(part);
    }
  }
  return route.segments.length === parts.length ? parameters : undefined;
}

/** Rank of a route: literal segments beat parameters, which beat greedy ones; `$default` last. */
function specificity(route: LocalRoute): number[] {
  return route.segments.map((segment) => ('literal' in segment ? 3 : 'parameter' in segment ? 2 : 'greedy' in segment && segment.greedy !== '' ? 1 : 0));
}

function compareSpecificity(a: LocalRoute, b: LocalRoute): number {
  const left = specificity(a);
  const right = specificity(b);
  for (let index = 0; index < Math.max(left.length, right.length); index += 1) {
    const difference = (right[index] ?? -1) - (left[index] ?? -1);
    if (difference !== 0) return difference;
  }
  if (a.method === 'ANY' && b.method !== 'ANY') return 1;
  if (b.method === 'ANY' && a.method !== 'ANY') return -1;
  return 0;
}

/** The route API Gateway would choose for a method and raw path, if any. */
export function matchRoute(routes: LocalRoute[], method: string, rawPath: string): RouteMatch | undefined {
  const parts = rawPath.split('/').slice(1);
  const candidates = routes
    .filter((route) => route.method === undefined || route.method === 'ANY' || route.method === method.toUpperCase())
    .sort(compareSpecificity);
  for (const route of candidates) {
    const pathParameters = matchSegments(route, parts);
    if (pathParameters) return { route, pathParameters };
  }
  return undefined;
}

const UNAUTHORIZED = (description?: string): ApiResponse =>
  jsonResponse(401, { message: 'Unauthorized' }, [
    ['www-authenticate', description ? `Bearer error="invalid_token" error_description="${description}"` : 'Bearer'],
  ]);
const FORBIDDEN = jsonResponse(403, { message: 'Forbidden' });
const NOT_FOUND = jsonResponse(404, { message: 'Not Found' });
/** API Gateway's own refusal of a body over its 10 MB, for a route outside the route table. */
const TOO_LARGE = jsonResponse(413, { message: 'Request Entity Too Large' });

/** The JWT authorizer: 401 for a missing, invalid or expired token; 403 when no route scope is granted. */
export async function authorize(
  route: LocalRoute,
  authorizationHeader: string | undefined,
): Promise<JwtAuthorizerContext | ApiResponse | undefined> {
  if (route.authorization.type === 'NONE') return undefined;
  const header = (authorizationHeader ?? '').trim();
  if (header === '') return UNAUTHORIZED();
  const token = /^bearer\s+/i.test(header) ? header.replace(/^bearer\s+/i, '') : header;
  let payload: Record<string, unknown>;
  try {
    payload = await verifyLocalToken(token);
  } catch (error) {
    const code = (error as { code?: string }).code;
    return UNAUTHORIZED(code === 'ERR_JWT_EXPIRED' ? 'the token has expired' : 'the token is not valid');
  }
  const granted = tokenScopes(payload);
  const required = route.authorization.scopes;
  if (required.length > 0 && !required.some((scope) => granted.includes(scope))) return FORBIDDEN;
  return { claims: authorizerClaims(payload), scopes: required.length > 0 ? granted : null };
}

export interface HttpApiOptions {
  routes: LocalRoute[];
  functions: FunctionHost;
  log?: (line: string) => void;
  /** Extra local endpoints served before the API routes (health, JWKS, test hooks). */
  localHandlers?: Array<(request: IncomingMessage, url: URL) => Promise<ApiResponse | undefined> | ApiResponse | undefined>;
  isReady: () => boolean;
  baseUrl: () => string;
  /** The API's CORS settings from the template; absent: closed, as the API in AWS. */
  cors?: LocalCors;
  /**
   * The secret of the local-only endpoints: with it set, `/local/*` answers 401 unless the request
   * carries it (header `x-colend-local-token`, or the console's cookie); uploads under
   * `/local/uploads/` are let through to their own signature check instead.
   */
  localToken?: string;
}

const LOCAL_PREFIX = '/local/';
const SIGNED_LOCAL_PREFIXES = ['/local/uploads/'];

/** The value of one cookie of a request's `cookie` header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/** Whether a request may reach a local-only endpoint: it names the stack's local token. */
export function localAccessGranted(request: IncomingMessage, pathname: string, localToken: string | undefined): boolean {
  if (localToken === undefined || !pathname.startsWith(LOCAL_PREFIX)) return true;
  if (SIGNED_LOCAL_PREFIXES.some((prefix) => pathname.startsWith(prefix))) return true;
  const header = request.headers[LOCAL_TOKEN_HEADER];
  const presented = typeof header === 'string' ? header : cookieValue(request.headers.cookie, LOCAL_TOKEN_COOKIE);
  return sameToken(localToken, presented);
}

const LOCAL_UNAUTHORIZED = jsonResponse(401, {
  code: 'LOCAL_TOKEN_REQUIRED',
  message: `local-only endpoints need the header ${LOCAL_TOKEN_HEADER} with the localToken of the running stack's state file (.colend/local-stack.json)`,
  details: { path: `headers.${LOCAL_TOKEN_HEADER}` },
});

/** Past this much, an oversized body is no longer drained: the connection is dropped. */
const MAX_DRAIN_BYTES = 10 * MAX_BODY_BYTES;

/**
 * The request body, or undefined when it is over `maxBytes`: refused by its declared length
 * before a byte is read, or as soon as what arrived passes the limit (nothing past it is kept).
 * The rest of an oversized body is drained, up to a point, so the client receives the 413
 * instead of a reset connection.
 */
async function readBody(request: IncomingMessage, maxBytes: number = MAX_BODY_BYTES): Promise<Buffer | undefined> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    drain(request);
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      drain(request);
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Reads and drops what is left of a refused body, up to MAX_DRAIN_BYTES; past that the connection is dropped. */
function drain(request: IncomingMessage): void {
  let drained = 0;
  request.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > MAX_DRAIN_BYTES) request.destroy();
  });
  request.resume();
}

/** The 413 of a route's function, given before its body is read (the same code, limit and details); API Gateway's own for another route. */
function tooLarge(routeKey: string, maxBytes: number, declaredBytes: number | undefined): ApiResponse {
  if (routeSpec(routeKey) === undefined) return TOO_LARGE;
  const size = declaredBytes === undefined || !Number.isFinite(declaredBytes) ? 'larger than that' : `${declaredBytes} bytes`;
  return jsonResponse(413, {
    code: 'PAYLOAD_TOO_LARGE',
    message: `the body is ${size}; at most ${maxBytes} are accepted on ${routeKey}`,
    details: { maxBytes, ...(declaredBytes !== undefined && Number.isFinite(declaredBytes) ? { bytes: declaredBytes } : {}) },
  });
}

function write(response: ServerResponse, result: ApiResponse, requestId: string, closeConnection = false): void {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of result.headers) {
    const existing = headers[name];
    if (existing === undefined) headers[name] = name === 'set-cookie' ? [value] : value;
    else if (Array.isArray(existing)) existing.push(value);
    else headers[name] = `${existing},${value}`;
  }
  headers['apigw-requestid'] = requestId;
  headers['content-length'] = String(result.body.length);
  if (closeConnection) headers.connection = 'close';
  response.writeHead(result.statusCode, headers);
  response.end(result.body);
}

export function createApiRequestHandler(options: HttpApiOptions) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const requestId = newRequestId();
    const now = new Date();
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname === '/health') {
      const ready = options.isReady();
      write(response, jsonResponse(ready ? 200 : 503, { status: ready ? 'ok' : 'starting' }), requestId);
      return;
    }
    // The business metrics the handlers of this process recorded, in Prometheus text (docs/operations.md).
    if (request.method === 'GET' && url.pathname === METRICS_PATH) {
      write(response, { statusCode: 200, headers: [['content-type', PROMETHEUS_CONTENT_TYPE]], body: Buffer.from(localMetrics.render(), 'utf8') }, requestId);
      return;
    }
    if (request.method === 'GET' && url.pathname === JWKS_PATH) {
      write(response, jsonResponse(200, await localJwks()), requestId);
      return;
    }
    if (request.method === 'GET' && url.pathname === OPENID_CONFIGURATION_PATH) {
      write(response, jsonResponse(200, openIdConfiguration(options.baseUrl())), requestId);
      return;
    }
    if (!localAccessGranted(request, url.pathname, options.localToken)) {
      request.resume();
      write(response, LOCAL_UNAUTHORIZED, requestId);
      return;
    }
    for (const local of options.localHandlers ?? []) {
      const handled = await local(request, url);
      if (handled) {
        write(response, handled, requestId);
        return;
      }
    }
    const rawUrl = request.url ?? '/';
    const rawPath = rawUrl.split('?')[0] ?? '/';
    const origin = typeof request.headers.origin === 'string' ? request.headers.origin : undefined;
    const requestedMethod = request.headers['access-control-request-method'];
    if (request.method === 'OPTIONS') {
      const preflight = preflightResponse(options.cors, origin, typeof requestedMethod === 'string' ? requestedMethod : undefined);
      if (preflight) {
        request.resume();
        write(response, preflight, requestId);
        return;
      }
    }
    const cors = corsHeaders(options.cors, origin);
    const match = matchRoute(options.routes, request.method ?? 'GET', rawPath);
    if (!match) {
      request.resume();
      write(response, withHeaders(NOT_FOUND, cors), requestId);
      return;
    }
    const maxBytes = routeBodyLimit(match.route.routeKey);
    const body = await readBody(request, maxBytes);
    if (body === undefined) {
      write(response, withHeaders(tooLarge(match.route.routeKey, maxBytes, Number(request.headers['content-length'])), cors), requestId, true);
      return;
    }
    const authorizer = await authorize(match.route, request.headers.authorization);
    if (authorizer && 'statusCode' in authorizer) {
      write(response, withHeaders(authorizer, cors), requestId);
      return;
    }
    const event = buildHttpApiEvent(
      {
        method: request.method ?? 'GET',
        url: rawUrl,
        rawHeaders: request.rawHeaders,
        body,
        sourceIp: (request.socket.remoteAddress ?? LOOPBACK).replace(/^::ffff:/, ''),
        protocol: `HTTP/${request.httpVersion}`,
        now,
        requestId,
      },
      { routeKey: match.route.routeKey, apiId: match.route.apiId, pathParameters: match.pathParameters, ...(authorizer ? { authorizer } : {}) },
    );
    let result: ApiResponse;
    try {
      result = responseFromResult(await options.functions.invoke(match.route.functionId, event));
    } catch (error) {
      options.log?.(
        `${match.route.routeKey} (${match.route.functionId}) failed: ${error instanceof Error ? (error.cause instanceof Error ? (error.cause.stack ?? error.message) : error.message) : String(error)}`,
      );
      result = INTERNAL_SERVER_ERROR;
    }
    write(response, withHeaders(result, cors), requestId);
  };
}

function withHeaders(result: ApiResponse, headers: Array<[string, string]>): ApiResponse {
  return headers.length === 0 ? result : { ...result, headers: [...result.headers, ...headers] };
}

export interface HttpApiServer {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

/** Listens on the loopback interface (port 0 = any free port). */
export async function startHttpApi(options: HttpApiOptions, port: number): Promise<HttpApiServer> {
  const handle = createApiRequestHandler(options);
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      options.log?.(`HTTP API error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      if (!response.headersSent) write(response, INTERNAL_SERVER_ERROR, newRequestId());
      else response.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, LOOPBACK, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    server,
    port: typeof address === 'object' && address !== null ? address.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Reads a JSON body of a local endpoint (test hooks), small by design. */
export async function readJsonBody(request: IncomingMessage): Promise<Record<string, unknown>> {
  const body = await readBody(request);
  if (!body || body.length === 0) return {};
  try {
    return asRecord(JSON.parse(body.toString('utf8'))) ?? {};
  } catch {
    return {};
  }
}
