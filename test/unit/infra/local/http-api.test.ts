import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FunctionHost } from '../../../../infra/local/functions.ts';
import { authorize, matchRoute, parseRouteKey, startHttpApi } from '../../../../infra/local/http-api.ts';
import type { HttpApiServer, LocalCors, LocalRoute } from '../../../../infra/local/http-api.ts';
import { JWKS_PATH, mintToken, REPOSITORY_ROOT } from '../../../../infra/local/issuer.ts';
import { functionArn } from '../../../../infra/local/template.ts';

const FIXTURES = 'test/unit/infra/local/fixtures';

function route(routeKey: string, authorization: LocalRoute['authorization'] = { type: 'NONE' }): LocalRoute {
  return { apiId: 'Api', routeKey, ...parseRouteKey(routeKey), functionId: 'Echo', authorization };
}

describe('route matching', () => {
  const routes = [
    route('GET /v1/lenders/{lenderId}'),
    route('GET /v1/lenders/special'),
    route('GET /v1/lenders/{lenderId}/positions'),
    route('ANY /files/{path+}'),
    route('GET /files/readme'),
    route('POST /v1/loans'),
  ];

  it('prefers literal segments over parameters, and parameters over greedy ones', () => {
    expect(matchRoute(routes, 'GET', '/v1/lenders/special')?.route.routeKey).toBe('GET /v1/lenders/special');
    expect(matchRoute(routes, 'GET', '/v1/lenders/BANK_A')).toMatchObject({ route: { routeKey: 'GET /v1/lenders/{lenderId}' }, pathParameters: { lenderId: 'BANK_A' } });
    expect(matchRoute(routes, 'GET', '/v1/lenders/BANK%20A/positions')?.pathParameters).toEqual({ lenderId: 'BANK A' });
    expect(matchRoute(routes, 'GET', '/files/readme')?.route.routeKey).toBe('GET /files/readme');
    expect(matchRoute(routes, 'DELETE', '/files/a/b.txt')).toMatchObject({ route: { routeKey: 'ANY /files/{path+}' }, pathParameters: { path: 'a/b.txt' } });
  });

  it('matches nothing for another method, an empty segment or an unknown path', () => {
    expect(matchRoute(routes, 'GET', '/v1/loans')).toBeUndefined();
    expect(matchRoute(routes, 'GET', '/v1/lenders/')).toBeUndefined();
    expect(matchRoute(routes, 'GET', '/v1/lenders/A/B')).toBeUndefined();
    expect(matchRoute(routes, 'GET', '/files')).toBeUndefined();
    expect(matchRoute([...routes, route('$default')], 'GET', '/anything/else')?.route.routeKey).toBe('$default');
  });
});

describe('the JWT authorizer', () => {
  let home: string;
  const previousHome = process.env.COLEND_HOME;
  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'colend-authorizer-'));
    process.env.COLEND_HOME = home;
  });
  afterAll(() => {
    if (previousHome === undefined) delete process.env.COLEND_HOME;
    else process.env.COLEND_HOME = previousHome;
    rmSync(home, { recursive: true, force: true });
  });

  const leadOnly = route('POST /v1/loans', { type: 'JWT', scopes: ['colend/lead'] });
  const anyClient = route('GET /v1/whoami', { type: 'JWT', scopes: [] });

  it('answers 401 without a valid, unexpired token from the local issuer', async () => {
    expect(await authorize(leadOnly, undefined)).toMatchObject({ statusCode: 401 });
    expect(await authorize(leadOnly, 'Bearer not.a.token')).toMatchObject({ statusCode: 401 });
    const expired = await mintToken({ scopes: ['lead'], ttlSeconds: -5 });
    const response = await authorize(leadOnly, `Bearer ${expired}`);
    expect(response).toMatchObject({ statusCode: 401 });
    expect(response && 'body' in response ? response.body.toString() : '').toBe('{"message":"Unauthorized"}');
  });

  it('answers 403 when the token has none of the route scopes', async () => {
    const response = await authorize(leadOnly, `Bearer ${await mintToken({ scopes: ['partner'], lenderId: 'BANK_A' })}`);
    expect(response).toMatchObject({ statusCode: 403 });
    expect(response && 'body' in response ? response.body.toString() : '').toBe('{"message":"Forbidden"}');
  });

  it('hands the claims and scopes on when authorized', async () => {
    const token = await mintToken({ scopes: ['lead', 'finance'] });
    expect(await authorize(leadOnly, `Bearer ${token}`)).toEqual({
      claims: expect.objectContaining({ client_id: 'local-lead-finance-platform', scope: 'colend/lead colend/finance', token_use: 'access', exp: expect.stringMatching(/^\d+$/) }),
      scopes: ['colend/lead', 'colend/finance'],
    });
    expect(await authorize(anyClient, token)).toMatchObject({ scopes: null });
    expect(await authorize(route('GET /open'), undefined)).toBeUndefined();
  });
});

describe('the HTTP server', () => {
  let server: HttpApiServer;
  let baseUrl: string;
  let ready = false;
  const logged: string[] = [];
  const functions = new FunctionHost(
    [{ logicalId: 'Echo', entry: `${FIXTURES}/echo-handler.ts`, arn: functionArn('Echo'), environment: {}, timeoutSeconds: 3, memoryMb: 128 }],
    {
      rootDir: REPOSITORY_ROOT,
      loadModule: async () => ({
        handler: async (event: { rawPath: string; body?: string; isBase64Encoded: boolean }) => {
          if (event.rawPath === '/boom') throw new Error('handler exploded');
          return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size: event.body?.length ?? 0, isBase64Encoded: event.isBase64Encoded }) };
        },
      }),
    },
  );

  beforeAll(async () => {
    server = await startHttpApi(
      { routes: [route('POST /upload'), route('GET /boom')], functions, log: (line) => logged.push(line), isReady: () => ready, baseUrl: () => baseUrl },
      0,
    );
    baseUrl = `http://127.0.0.1:${server.port}`;
  });
  afterAll(() => server.close());

  it('reports health only once ready', async () => {
    expect((await fetch(`${baseUrl}/health`)).status).toBe(503);
    ready = true;
    const response = await fetch(`${baseUrl}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('serves the JWKS of the local issuer', async () => {
    const response = await fetch(`${baseUrl}${JWKS_PATH}`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { keys: unknown[] }).keys).toHaveLength(1);
  });

  it('answers 404 for an unknown route, 413 over 10 MB, 500 when the handler throws', async () => {
    const notFound = await fetch(`${baseUrl}/nowhere`);
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toEqual({ message: 'Not Found' });
    expect(notFound.headers.get('apigw-requestid')).toMatch(/=$/);

    const ok = await fetch(`${baseUrl}/upload`, { method: 'POST', body: new Uint8Array(1024).fill(7), headers: { 'content-type': 'application/octet-stream' } });
    expect(await ok.json()).toEqual({ size: 1368, isBase64Encoded: true });

    const large = await fetch(`${baseUrl}/upload`, { method: 'POST', body: new Uint8Array(10 * 1024 * 1024 + 1) });
    expect(large.status).toBe(413);
    expect(await large.json()).toEqual({ message: 'Request Entity Too Large' });

    const boom = await fetch(`${baseUrl}/boom`);
    expect(boom.status).toBe(500);
    expect(await boom.json()).toEqual({ message: 'Internal Server Error' });
    expect(logged.some((line) => line.includes('handler exploded'))).toBe(true);
  });
});

describe('the HTTP server at the edge: body limits per route and CORS', () => {
  const invoked: string[] = [];
  const functions = new FunctionHost(
    [{ logicalId: 'Echo', entry: `${FIXTURES}/echo-handler.ts`, arn: functionArn('Echo'), environment: {}, timeoutSeconds: 3, memoryMb: 128 }],
    {
      rootDir: REPOSITORY_ROOT,
      loadModule: async () => ({
        handler: async (event: { rawPath: string }) => {
          invoked.push(event.rawPath);
          return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{}' };
        },
      }),
    },
  );
  const servers: HttpApiServer[] = [];
  const serve = async (cors?: LocalCors): Promise<string> => {
    const server = await startHttpApi({ routes: [route('POST /v1/loans'), route('GET /v1/lenders')], functions, isReady: () => true, baseUrl: () => '', ...(cors ? { cors } : {}) }, 0);
    servers.push(server);
    return `http://127.0.0.1:${server.port}`;
  };
  afterAll(async () => {
    for (const server of servers) await server.close();
  });

  it("refuses a body over the route's limit with its function's 413, by the declared length, before the function runs", async () => {
    const baseUrl = await serve();
    const over = await fetch(`${baseUrl}/v1/loans`, { method: 'POST', body: new Uint8Array(262_145).fill(32), headers: { 'content-type': 'application/json' } });
    expect(over.status).toBe(413);
    expect(await over.json()).toEqual({
      code: 'PAYLOAD_TOO_LARGE',
      message: 'the body is 262145 bytes; at most 262144 are accepted on POST /v1/loans',
      details: { maxBytes: 262_144, bytes: 262_145 },
    });
    expect(invoked).toEqual([]);
    const exact = await fetch(`${baseUrl}/v1/loans`, { method: 'POST', body: new Uint8Array(262_144).fill(32), headers: { 'content-type': 'application/json' } });
    expect(exact.status).toBe(200);
    expect(invoked).toEqual(['/v1/loans']);
  });

  it('refuses a body sent without a declared length as soon as it passes the limit', async () => {
    const baseUrl = await serve();
    invoked.length = 0;
    const chunks = [new Uint8Array(200_000).fill(32), new Uint8Array(200_000).fill(32)];
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    const over = await fetch(`${baseUrl}/v1/loans`, { method: 'POST', body, duplex: 'half' } as RequestInit);
    expect(over.status).toBe(413);
    expect(await over.json()).toEqual({ code: 'PAYLOAD_TOO_LARGE', message: 'the body is larger than that; at most 262144 are accepted on POST /v1/loans', details: { maxBytes: 262_144 } });
    expect(invoked).toEqual([]);
  });

  it('answers no Access-Control-Allow-Origin and no preflight when the API has no CORS configuration', async () => {
    const baseUrl = await serve();
    const read = await fetch(`${baseUrl}/v1/lenders`, { headers: { origin: 'https://console.example.com' } });
    expect(read.status).toBe(200);
    expect(read.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${baseUrl}/v1/lenders`, { method: 'OPTIONS', headers: { origin: 'https://console.example.com', 'access-control-request-method': 'GET' } });
    expect(preflight.status).toBe(404);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers exactly the configured origins, their preflights included, and no other', async () => {
    const baseUrl = await serve({ allowOrigins: ['https://console.example.com'], allowMethods: ['GET', 'POST', 'PUT'], allowHeaders: ['authorization', 'content-type', 'idempotency-key'], maxAgeSeconds: 3600 });
    const allowed = await fetch(`${baseUrl}/v1/lenders`, { headers: { origin: 'https://console.example.com' } });
    expect([allowed.headers.get('access-control-allow-origin'), allowed.headers.get('vary')]).toEqual(['https://console.example.com', 'origin']);
    const other = await fetch(`${baseUrl}/v1/lenders`, { headers: { origin: 'https://elsewhere.example.com' } });
    expect([other.status, other.headers.get('access-control-allow-origin')]).toEqual([200, null]);
    const preflight = await fetch(`${baseUrl}/v1/loans`, { method: 'OPTIONS', headers: { origin: 'https://console.example.com', 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(204);
    expect(Object.fromEntries([...preflight.headers].filter(([name]) => name.startsWith('access-control-')))).toEqual({
      'access-control-allow-origin': 'https://console.example.com',
      'access-control-allow-methods': 'GET,POST,PUT',
      'access-control-allow-headers': 'authorization,content-type,idempotency-key',
      'access-control-max-age': '3600',
    });
    const refused = await fetch(`${baseUrl}/v1/loans`, { method: 'OPTIONS', headers: { origin: 'https://elsewhere.example.com', 'access-control-request-method': 'POST' } });
    expect([refused.status, refused.headers.get('access-control-allow-origin')]).toEqual([404, null]);
  });
});
