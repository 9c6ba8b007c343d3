import { describe, expect, it } from 'vitest';
import {
  authorizerClaims,
  buildHttpApiEvent,
  eventBody,
  eventHeaders,
  queryParameters,
  requestTime,
  responseFromResult,
  tokenScopes,
} from '../../../../infra/local/api-event.ts';
import type { IncomingApiRequest } from '../../../../infra/local/api-event.ts';

const now = new Date('2026-03-12T19:03:58.123Z');

function request(overrides: Partial<IncomingApiRequest> = {}): IncomingApiRequest {
  return {
    method: 'POST',
    url: '/v1/lenders/BANK%20A/positions?asOf=2026-03-12&tag=a&tag=b&empty',
    rawHeaders: [
      'Host', '127.0.0.1:3000',
      'User-Agent', 'curl/8.5.0',
      'Content-Type', 'application/json',
      'X-Multi', 'one',
      'x-multi', 'two',
      'Cookie', 'session=abc; theme=dark',
      'Authorization', 'Bearer t0k3n',
      'X-Amzn-Trace-Id', 'Root=1-fixed',
    ],
    body: Buffer.from('{"a":1}'),
    sourceIp: '127.0.0.1',
    protocol: 'HTTP/1.1',
    now,
    requestId: 'JKJaXmPLvHcESHA=',
    ...overrides,
  };
}

describe('payload format 2.0 events', () => {
  it('builds the event API Gateway sends for an authorized route', () => {
    const event = buildHttpApiEvent(request(), {
      routeKey: 'POST /v1/lenders/{lenderId}/positions',
      apiId: 'HttpApiF5A9A8A7',
      pathParameters: { lenderId: 'BANK A' },
      authorizer: { claims: { client_id: 'local-lead-platform', scope: 'colend/lead' }, scopes: ['colend/lead'] },
    });
    expect(event).toEqual({
      version: '2.0',
      routeKey: 'POST /v1/lenders/{lenderId}/positions',
      rawPath: '/v1/lenders/BANK%20A/positions',
      rawQueryString: 'asOf=2026-03-12&tag=a&tag=b&empty',
      cookies: ['session=abc', 'theme=dark'],
      headers: {
        host: '127.0.0.1:3000',
        'user-agent': 'curl/8.5.0',
        'content-type': 'application/json',
        'x-multi': 'one,two',
        authorization: 'Bearer t0k3n',
        'x-amzn-trace-id': 'Root=1-fixed',
        'x-forwarded-for': '127.0.0.1',
        'x-forwarded-port': '3000',
        'x-forwarded-proto': 'http',
      },
      queryStringParameters: { asOf: '2026-03-12', tag: 'a,b', empty: '' },
      requestContext: {
        accountId: '000000000000',
        apiId: 'HttpApiF5A9A8A7',
        authorizer: { jwt: { claims: { client_id: 'local-lead-platform', scope: 'colend/lead' }, scopes: ['colend/lead'] } },
        domainName: '127.0.0.1:3000',
        domainPrefix: '127',
        http: { method: 'POST', path: '/v1/lenders/BANK%20A/positions', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'curl/8.5.0' },
        requestId: 'JKJaXmPLvHcESHA=',
        routeKey: 'POST /v1/lenders/{lenderId}/positions',
        stage: '$default',
        time: '12/Mar/2026:19:03:58 +0000',
        timeEpoch: now.getTime(),
      },
      pathParameters: { lenderId: 'BANK A' },
      body: '{"a":1}',
      isBase64Encoded: false,
    });
  });

  it('leaves out what the request does not have: query, cookies, path parameters, body, authorizer', () => {
    const event = buildHttpApiEvent(request({ method: 'GET', url: '/v1/openapi.json', rawHeaders: ['Host', 'localhost'], body: Buffer.alloc(0) }), {
      routeKey: 'GET /v1/openapi.json',
      apiId: 'Api',
      pathParameters: {},
    });
    expect(event.rawQueryString).toBe('');
    expect(event).not.toHaveProperty('queryStringParameters');
    expect(event).not.toHaveProperty('cookies');
    expect(event).not.toHaveProperty('pathParameters');
    expect(event).not.toHaveProperty('body');
    expect(event.requestContext).not.toHaveProperty('authorizer');
    expect(event.isBase64Encoded).toBe(false);
    expect(event.headers['x-forwarded-port']).toBe('80');
    expect(event.headers['x-amzn-trace-id']).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(event.requestContext.http.userAgent).toBe('');
  });

  it('carries text bodies as UTF-8 and anything else as base64', () => {
    expect(eventBody(Buffer.from('借款 ok'), 'text/plain; charset=utf-8')).toEqual({ body: '借款 ok', isBase64Encoded: false });
    expect(eventBody(Buffer.from('{"x":1}'), 'application/problem+json')).toEqual({ body: '{"x":1}', isBase64Encoded: false });
    expect(eventBody(Buffer.from('{"x":1}'), undefined)).toEqual({ body: '{"x":1}', isBase64Encoded: false });
    expect(eventBody(Buffer.from([0xff, 0xfe, 0x00]), 'application/json')).toEqual({ body: '//4A', isBase64Encoded: true });
    expect(eventBody(Buffer.from('PK\u0003\u0004'), 'application/zip')).toEqual({ body: 'UEsDBA==', isBase64Encoded: true });
    expect(eventBody(Buffer.from('a=1&b=2'), 'application/x-www-form-urlencoded')).toEqual({ body: 'YT0xJmI9Mg==', isBase64Encoded: true });
    expect(eventBody(Buffer.alloc(0), 'application/json')).toEqual({ isBase64Encoded: false });
  });

  it('combines repeated headers and query parameters with commas', () => {
    expect(eventHeaders(['Accept', 'a', 'ACCEPT', 'b', 'Cookie', 'x=1', 'cookie', 'y=2']).headers).toEqual({ accept: 'a,b' });
    expect(eventHeaders(['Cookie', 'x=1', 'cookie', 'y=2; z=3']).cookies).toEqual(['x=1', 'y=2', 'z=3']);
    expect(queryParameters('a=1&a=2&b=%E5%80%9F+x&c')).toEqual({ a: '1,2', b: '借 x', c: '' });
    expect(queryParameters('')).toBeUndefined();
  });

  it('formats the request time as API Gateway does', () => {
    expect(requestTime(new Date('2026-01-05T03:04:05Z'))).toBe('05/Jan/2026:03:04:05 +0000');
  });
});

describe('JWT authorizer context', () => {
  it('hands claims on as strings', () => {
    expect(authorizerClaims({ iss: 'x', exp: 1700000000, admin: true, groups: ['a', 'b'], nested: { k: 1 }, gone: null })).toEqual({
      iss: 'x',
      exp: '1700000000',
      admin: 'true',
      groups: '[a b]',
      nested: '{"k":1}',
    });
  });

  it('reads scopes from scope or scp', () => {
    expect(tokenScopes({ scope: 'colend/lead colend/finance' })).toEqual(['colend/lead', 'colend/finance']);
    expect(tokenScopes({ scp: ['colend/partner'] })).toEqual(['colend/partner']);
    expect(tokenScopes({})).toEqual([]);
  });
});

describe('function results as HTTP responses', () => {
  it('maps a structured result: status, headers, cookies, body', () => {
    const response = responseFromResult({
      statusCode: 201,
      headers: { 'Content-Type': 'application/json', 'X-Count': 3 },
      cookies: ['a=1; Path=/', 'b=2'],
      body: '{"ok":true}',
    });
    expect(response.statusCode).toBe(201);
    expect(response.headers).toEqual([
      ['content-type', 'application/json'],
      ['x-count', '3'],
      ['set-cookie', 'a=1; Path=/'],
      ['set-cookie', 'b=2'],
    ]);
    expect(response.body.toString()).toBe('{"ok":true}');
  });

  it('decodes base64 bodies and defaults the content type', () => {
    const response = responseFromResult({ statusCode: 200, body: 'aGk=', isBase64Encoded: true });
    expect(response.body.toString()).toBe('hi');
    expect(response.headers).toEqual([['content-type', 'text/plain; charset=utf-8']]);
    expect(responseFromResult({ statusCode: 204 }).body.length).toBe(0);
  });

  it('answers 200 JSON for a result without statusCode', () => {
    const object = responseFromResult({ lenders: [] });
    expect(object.statusCode).toBe(200);
    expect(object.headers).toEqual([['content-type', 'application/json']]);
    expect(object.body.toString()).toBe('{"lenders":[]}');
    expect(responseFromResult('hello').body.toString()).toBe('"hello"');
    expect(responseFromResult(null).body.toString()).toBe('null');
  });

  it('answers 500 for a status code that is not one', () => {
    expect(responseFromResult({ statusCode: 'soon' }).statusCode).toBe(500);
    expect(responseFromResult({ statusCode: 42 }).statusCode).toBe(500);
  });
});
