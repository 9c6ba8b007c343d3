import { z } from 'zod';
import { ROUTES, type RouteSpec } from './routes.ts';
import { MINOR_AMOUNT, errorResponse } from '../contracts/schemas.ts';

const ERRORS: Readonly<Record<string, string>> = {
  '400': 'Malformed JSON, a missing Idempotency-Key, or a field that breaks its rule (details.path names it)',
  '401': 'No valid token',
  '403': 'The token does not grant this route',
  '404': 'Not found, or not visible to the caller',
  '409': 'The item already exists, or is in a state that refuses the request',
  '413': 'Body too large',
  '422': 'A business or regulatory rule refused the request (details name the rule and figures), or the Idempotency-Key was used with another request (IDEMPOTENCY_KEY_REUSED)',
};

/** An amount is published as the string form it takes: digits, positive or not negative. */
function publishAmount(ctx: { jsonSchema: Record<string, unknown> }): void {
  const sign = ctx.jsonSchema[MINOR_AMOUNT];
  if (sign === undefined) return;
  for (const key of Object.keys(ctx.jsonSchema)) delete ctx.jsonSchema[key];
  Object.assign(ctx.jsonSchema, {
    type: 'string',
    pattern: sign === 'positive' ? '^0*[1-9][0-9]{0,29}$' : '^[0-9]{1,30}$',
    description: `minor units (fen) as a string of digits, ${String(sign)}; a JSON integer is accepted too`,
  });
}

function requestSchemaOf(schema: z.ZodType): unknown {
  return z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any', override: publishAmount as never });
}

function queryParameters(schema: z.ZodType | undefined): unknown[] {
  if (!schema) return [];
  const json = z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' }) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({ name, in: 'query', required: json.required?.includes(name) ?? false, schema: s }));
}

/** The OpenAPI 3.1 document, generated from the same zod schemas that validate requests. */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const errorSchema = z.toJSONSchema(errorResponse, { target: 'draft-2020-12' });
  for (const route of ROUTES as readonly RouteSpec[]) {
    const [method = 'GET', path = '/'] = route.routeKey.split(' ');
    const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const operation: Record<string, unknown> = {
      operationId: route.operationId,
      summary: route.summary,
      'x-colend-roles': route.roles,
      ...(route.keyInBody === undefined ? {} : { 'x-colend-business-id': route.keyInBody }),
      parameters: [
        ...params,
        ...queryParameters(route.querySchema),
        ...(route.idempotent ? [{ name: 'Idempotency-Key', in: 'header', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{8,128}$' } }] : []),
      ],
      responses: {
        [String(route.successStatus)]: { description: 'Success', content: { 'application/json': { schema: { type: 'object' } } } },
        ...Object.fromEntries(Object.entries(ERRORS).map(([code, description]) => [code, { description, content: { 'application/json': { schema: errorSchema } } }])),
      },
      ...(route.roles.length > 0 ? { security: [{ oauth2: route.roles.map((r) => `colend/${r.toLowerCase()}`) }] } : { security: [] }),
    };
    if (route.requestSchema) {
      operation.requestBody = {
        required: true,
        content: { 'application/json': { schema: requestSchemaOf(route.requestSchema) } },
      };
    }
    paths[path] = { ...(paths[path] ?? {}), [method.toLowerCase()]: operation };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Colend API', version: '1.0.0', description: 'Co-lending settlement: lenders, programs, loans and positions. Amounts are minor units (fen) as strings.' },
    paths,
    components: {
      securitySchemes: {
        oauth2: {
          type: 'oauth2',
          flows: { clientCredentials: { tokenUrl: '/oauth2/token', scopes: { 'colend/lead': 'lead operations', 'colend/partner': 'a partner lender', 'colend/finance': 'a finance team' } } },
        },
      },
    },
  };
}
