import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { LOCAL_ACCOUNT } from './template.ts';

/**
 * API Gateway HTTP API payload format 2.0: the event a route's function receives, and how the
 * function's result becomes the HTTP response. Pure functions, so they are tested on their own.
 */

export interface JwtAuthorizerContext {
  claims: Record<string, string>;
  scopes: string[] | null;
}

export type ApiGatewayEvent = APIGatewayProxyEventV2 & {
  requestContext: APIGatewayProxyEventV2['requestContext'] & { authorizer?: { jwt: JwtAuthorizerContext } };
};

export interface IncomingApiRequest {
  method: string;
  /** Path and query exactly as received, e.g. `/v1/loans/L%201?x=1`. */
  url: string;
  /** Header names and values in order, as Node's `rawHeaders` lists them. */
  rawHeaders: string[];
  body: Buffer;
  sourceIp: string;
  protocol: string;
  now: Date;
  requestId: string;
}

export interface MatchedRoute {
  routeKey: string;
  apiId: string;
  pathParameters: Record<string, string>;
  authorizer?: JwtAuthorizerContext;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `12/Mar/2020:19:03:58 +0000`, the requestContext.time format. */
export function requestTime(now: Date): string {
  const pad = (value: number): string => String(value).padStart(2, '0');
  return `${pad(now.getUTCDate())}/${MONTHS[now.getUTCMonth()]}/${now.getUTCFullYear()}:${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())} +0000`;
}

/** Request ids look like API Gateway's: 16 characters of base64 ending in `=`. */
export function newRequestId(): string {
  return `${randomBytes(10).toString('base64').slice(0, 15)}=`;
}

function splitUrl(url: string): { rawPath: string; rawQueryString: string } {
  const question = url.indexOf('?');
  return question === -1
    ? { rawPath: url, rawQueryString: '' }
    : { rawPath: url.slice(0, question), rawQueryString: url.slice(question + 1) };
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

/** Duplicate keys are combined with commas, as format 2.0 does. */
export function queryParameters(rawQueryString: string): Record<string, string> | undefined {
  if (rawQueryString === '') return undefined;
  const params: Record<string, string> = {};
  for (const pair of rawQueryString.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const key = decode(equals === -1 ? pair : pair.slice(0, equals));
    const value = equals === -1 ? '' : decode(pair.slice(equals + 1));
    params[key] = params[key] === undefined ? value : `${params[key]},${value}`;
  }
  return Object.keys(params).length > 0 ? params : undefined;
}

/**
 * Lowercase names, duplicates combined with commas; cookies move to their own field.
 * API Gateway also adds the forwarding headers a load balancer would.
 */
export function eventHeaders(rawHeaders: string[]): { headers: Record<string, string>; cookies: string[] } {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    const name = (rawHeaders[index] as string).toLowerCase();
    const value = rawHeaders[index + 1] as string;
    if (name === 'cookie') {
      cookies.push(...value.split(';').map((cookie) => cookie.trim()).filter((cookie) => cookie !== ''));
      continue;
    }
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  return { headers, cookies };
}

const TEXT_TYPES = [/^text\//, /^application\/(.+\+)?json/, /^application\/(.+\+)?xml/, /^application\/javascript/, /^application\/graphql/];

/** The body as format 2.0 carries it: UTF-8 text for textual content types, base64 otherwise. */
export function eventBody(body: Buffer, contentType: string | undefined): { body?: string; isBase64Encoded: boolean } {
  if (body.length === 0) return { isBase64Encoded: false };
  const type = (contentType ?? '').toLowerCase().trim();
  const textual = type === '' || TEXT_TYPES.some((pattern) => pattern.test(type));
  if (textual) {
    try {
      return { body: new TextDecoder('utf-8', { fatal: true }).decode(body), isBase64Encoded: false };
    } catch {
      // Not valid UTF-8: falls through to base64.
    }
  }
  return { body: body.toString('base64'), isBase64Encoded: true };
}

function traceId(now: Date): string {
  return `Root=1-${Math.floor(now.getTime() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
}

export function buildHttpApiEvent(request: IncomingApiRequest, route: MatchedRoute): ApiGatewayEvent {
  const { rawPath, rawQueryString } = splitUrl(request.url);
  const { headers, cookies } = eventHeaders(request.rawHeaders);
  headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${request.sourceIp}` : request.sourceIp;
  headers['x-forwarded-proto'] ??= 'http';
  const host = headers.host ?? 'localhost';
  const port = /:(\d+)$/.exec(host)?.[1];
  headers['x-forwarded-port'] ??= port ?? '80';
  headers['x-amzn-trace-id'] ??= traceId(request.now);
  const queryStringParameters = queryParameters(rawQueryString);
  const { body, isBase64Encoded } = eventBody(request.body, headers['content-type']);
  const domainPrefix = host.replace(/:\d+$/, '').split('.')[0] ?? host;
  return {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath,
    rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    requestContext: {
      accountId: LOCAL_ACCOUNT,
      apiId: route.apiId,
      ...(route.authorizer ? { authorizer: { jwt: route.authorizer } } : {}),
      domainName: host,
      domainPrefix,
      http: {
        method: request.method,
        path: rawPath,
        protocol: request.protocol,
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: request.requestId,
      routeKey: route.routeKey,
      stage: '$default',
      time: requestTime(request.now),
      timeEpoch: request.now.getTime(),
    },
    ...(Object.keys(route.pathParameters).length > 0 ? { pathParameters: route.pathParameters } : {}),
    ...(body !== undefined ? { body } : {}),
    isBase64Encoded,
  } as ApiGatewayEvent;
}

/**
 * JWT claims as the authorizer hands them on: every value a string, arrays as `[a b]`,
 * objects as JSON, null claims left out.
 */
export function authorizerClaims(payload: Record<string, unknown>): Record<string, string> {
  const claims: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload)) {
    if (value === null || value === undefined) continue;
    if (Array.isArray(value)) claims[name] = `[${value.map((item) => (typeof item === 'object' ? JSON.stringify(item) : String(item))).join(' ')}]`;
    else if (typeof value === 'object') claims[name] = JSON.stringify(value);
    else claims[name] = String(value);
  }
  return claims;
}

/** The scopes a token grants, from `scope` (space separated) or `scp`. */
export function tokenScopes(payload: Record<string, unknown>): string[] {
  const raw = payload.scope ?? payload.scp;
  if (Array.isArray(raw)) return raw.map(String);
  if (typeof raw === 'string') return raw.split(' ').filter((scope) => scope !== '');
  return [];
}

export interface ApiResponse {
  statusCode: number;
  headers: Array<[string, string]>;
  body: Buffer;
}

export const INTERNAL_SERVER_ERROR: ApiResponse = jsonResponse(500, { message: 'Internal Server Error' });

export function jsonResponse(statusCode: number, body: unknown, headers: Array<[string, string]> = []): ApiResponse {
  return { statusCode, headers: [['content-type', 'application/json'], ...headers], body: Buffer.from(JSON.stringify(body)) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A format 2.0 result as HTTP: `{statusCode, headers, cookies, body, isBase64Encoded}`; any
 * other JSON value (no statusCode) is a 200 with the value as its JSON body.
 */
export function responseFromResult(result: unknown): ApiResponse {
  if (!isRecord(result) || !('statusCode' in result)) {
    return jsonResponse(200, result ?? null);
  }
  const statusCode = Number(result.statusCode);
  if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) return INTERNAL_SERVER_ERROR;
  const headers: Array<[string, string]> = [];
  if (isRecord(result.headers)) {
    for (const [name, value] of Object.entries(result.headers)) {
      if (value !== undefined && value !== null) headers.push([name.toLowerCase(), String(value)]);
    }
  }
  if (Array.isArray(result.cookies)) {
    for (const cookie of result.cookies) headers.push(['set-cookie', String(cookie)]);
  }
  if (!headers.some(([name]) => name === 'content-type')) headers.push(['content-type', 'text/plain; charset=utf-8']);
  const rawBody = result.body === undefined || result.body === null ? '' : String(result.body);
  const body = result.isBase64Encoded === true ? Buffer.from(rawBody, 'base64') : Buffer.from(rawBody, 'utf8');
  return { statusCode, headers, body };
}
