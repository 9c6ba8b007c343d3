/** API Gateway HTTP API (payload 2.0) events with JWT claims, and a Lambda context, for handler tests. */
import type { Context } from 'aws-lambda';
import type { Principal } from '../../shared/domain/access.ts';
import type { ApiEvent, ApiResult } from '../../shared/http/api.ts';

export type Claims = Record<string, string | number | boolean | string[]>;

const SCOPES: Readonly<Record<Principal['roles'][number], string>> = { LEAD: 'colend/lead', PARTNER: 'colend/partner', FINANCE: 'colend/finance' };

/** The claims the authorizer passes for a principal's token: a user token when its user is not its client. */
export function claimsOf(principal: Principal): Claims {
  const user: Claims = principal.userId === principal.clientId ? {} : { username: principal.userId };
  return {
    sub: principal.userId,
    client_id: principal.clientId,
    ...user,
    scope: principal.roles.map((role) => SCOPES[role]).join(' '),
    token_use: 'access',
    ...(principal.lenderId === null ? {} : { lender_id: principal.lenderId }),
  };
}

export interface EventOptions {
  readonly claims?: Claims | null;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly pathParameters?: Record<string, string>;
  readonly query?: Record<string, string>;
  readonly idempotencyKey?: string;
  readonly base64?: boolean;
}

/** An event for `routeKey` (e.g. `POST /v1/loans`); a non-string body is sent as JSON. */
export function apiEvent(routeKey: string, options: EventOptions = {}): ApiEvent {
  const [method = 'GET', rawPath = '/'] = routeKey.split(' ');
  const text = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  if (options.idempotencyKey !== undefined) headers['Idempotency-Key'] = options.idempotencyKey;
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
    headers,
    ...(options.query ? { queryStringParameters: options.query } : {}),
    ...(options.pathParameters ? { pathParameters: options.pathParameters } : {}),
    ...(text === undefined ? {} : { body: options.base64 ? Buffer.from(text, 'utf8').toString('base64') : text }),
    isBase64Encoded: options.base64 ?? false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'colendapi',
      domainName: 'api.colend.example',
      domainPrefix: 'api',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '10.0.0.1', userAgent: 'colend-test' },
      requestId: 'req-1',
      routeKey,
      stage: '$default',
      time: '01/Mar/2025:02:00:00 +0000',
      timeEpoch: 1_740_794_400_000,
      authorizer: { principalId: null, integrationLatency: null, jwt: { claims: options.claims ?? {}, scopes: null } },
    },
  };
}

export function lambdaContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'colend-test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:cn-north-1:123456789012:function:colend-test',
    memoryLimitInMB: '512',
    awsRequestId: 'aws-req-1',
    logGroupName: '/aws/lambda/colend-test',
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** The parsed JSON body of a result. */
export function bodyOf(result: ApiResult): Record<string, unknown> {
  return JSON.parse(result.body ?? 'null') as Record<string, unknown>;
}
