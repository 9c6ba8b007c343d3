import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../../../shared/http/routes.ts';
import { apiEvent, bodyOf, lambdaContext } from '../../../support/api-events.ts';
import { setHandlerEnv } from '../../../support/handler-env.ts';

setHandlerEnv();
const { handler } = await import('../../../../functions/openapi/handler.ts');

describe('GET /v1/openapi.json', () => {
  it('answers the OpenAPI document to anyone', async () => {
    const result = await handler(apiEvent('GET /v1/openapi.json', { claims: null }), lambdaContext());
    expect(result.statusCode).toBe(200);
    expect(result.headers).toEqual({ 'content-type': 'application/json' });
    const document = bodyOf(result) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toHaveLength(new Set(ROUTES.map((r) => r.routeKey.split(' ')[1])).size);
  });

  it('answers 404 to any other route', async () => {
    const result = await handler(apiEvent('GET /v1/lenders', { claims: null }), lambdaContext());
    expect(result.statusCode).toBe(404);
    expect(bodyOf(result).code).toBe('NOT_FOUND');
  });
});
