import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../../../shared/http/openapi.ts';
import { ROUTES, type RouteSpec } from '../../../../shared/http/routes.ts';

interface Operation {
  operationId: string;
  parameters: { name: string; in: string; required: boolean; schema: Record<string, unknown> }[];
  requestBody?: { required: boolean; content: { 'application/json': { schema: JsonSchema } } };
  responses: Record<string, { description: string; content: { 'application/json': { schema: JsonSchema } } }>;
  security: Record<string, string[]>[];
  'x-colend-roles': string[];
}
interface JsonSchema {
  $schema?: string;
  type?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  required?: string[];
  pattern?: string;
  additionalProperties?: boolean;
}

const document = openApiDocument() as { openapi: string; paths: Record<string, Record<string, Operation>>; components: { securitySchemes: Record<string, unknown> } };

function operation(routeKey: string): Operation {
  const [method = '', path = ''] = routeKey.split(' ');
  const found = document.paths[path]?.[method.toLowerCase()];
  if (!found) throw new Error(`no operation for ${routeKey}`);
  return found;
}

const AMOUNT = { type: 'string', pattern: '^0*[1-9][0-9]{0,29}$', description: 'minor units (fen) as a string of digits, positive; a JSON integer is accepted too' };
const NON_NEGATIVE_AMOUNT = { type: 'string', pattern: '^[0-9]{1,30}$', description: 'minor units (fen) as a string of digits, non-negative; a JSON integer is accepted too' };

describe('openApiDocument', () => {
  it('is OpenAPI 3.1.0', () => {
    expect(document.openapi).toBe('3.1.0');
  });

  it('describes every route of ROUTES with its method and operation id, and nothing else', () => {
    for (const route of ROUTES) expect(operation(route.routeKey).operationId).toBe(route.operationId);
    const described = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    expect(described.sort()).toEqual(ROUTES.map((r) => r.routeKey).sort());
  });

  it('gives each write a required JSON Schema request body and a required Idempotency-Key, and names its business id when it has one', () => {
    for (const route of ROUTES) {
      const op = operation(route.routeKey);
      if (!('requestSchema' in route)) {
        expect(op.requestBody).toBeUndefined();
        continue;
      }
      expect(op.requestBody?.required).toBe(true);
      const schema = op.requestBody?.content['application/json'].schema;
      expect(schema?.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      // A body of several shapes (the disbursement outcomes) is one of closed objects.
      for (const shape of schema?.oneOf ?? [schema]) {
        expect(shape?.type).toBe('object');
        expect(shape?.additionalProperties).toBe(false);
      }
      const header = { name: 'Idempotency-Key', in: 'header', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{8,128}$' } };
      // A read sent as POST (its body holds an identity number) takes a body and no key.
      if ((route as RouteSpec).readOnly === true) expect(op.parameters ?? []).not.toContainEqual(header);
      else expect(op.parameters).toContainEqual(header);
      expect((op as unknown as Record<string, unknown>)['x-colend-business-id']).toBe((route as RouteSpec).keyInBody);
    }
  });

  it('describes amounts as strings of digits (or safe integers)', () => {
    const loan = operation('POST /v1/loans').requestBody?.content['application/json'].schema;
    expect(loan?.properties?.principalMinor).toEqual(AMOUNT);
    expect(loan?.properties?.fundingPlan?.items?.properties?.amountMinor).toEqual(AMOUNT);
    expect(loan?.required).toEqual(expect.arrayContaining(['loanId', 'programId', 'principalMinor', 'fundingPlan']));
    expect(loan?.required).not.toContain('programVersion');
    const lender = operation('POST /v1/lenders').requestBody?.content['application/json'].schema;
    expect(lender?.properties?.limits?.properties?.exposureQuotaMinor).toEqual(NON_NEGATIVE_AMOUNT);
    const program = operation('POST /v1/programs').requestBody?.content['application/json'].schema;
    expect(program?.properties?.amountRange?.properties?.minMinor).toEqual(AMOUNT);
  });

  it('describes the disbursement report as one of its three outcomes', () => {
    const schema = operation('POST /v1/applications/{applicationId}/disbursement').requestBody?.content['application/json'].schema;
    expect(schema?.oneOf?.map((s) => [s.properties?.outcome, s.required])).toEqual([
      [{ type: 'string', const: 'DISBURSED' }, ['outcome', 'disbursementReference', 'disbursementDate']],
      [{ type: 'string', const: 'FAILED' }, ['outcome', 'reason']],
      [{ type: 'string', const: 'CANCELLED' }, ['outcome', 'reason']],
    ]);
  });

  it('lists path parameters and the roles of each route', () => {
    expect(operation('GET /v1/lenders/{lenderId}/positions').parameters?.map((p) => [p.name, p.in, p.required])).toEqual([
      ['lenderId', 'path', true],
      ['limit', 'query', false],
      ['cursor', 'query', false],
    ]);
    expect(operation('POST /v1/loans')['x-colend-roles']).toEqual(['LEAD']);
    expect(operation('POST /v1/loans').security).toEqual([{ oauth2: ['colend/lead'] }]);
    expect(operation('GET /v1/ledger-checks/{businessDate}').security).toEqual([{ oauth2: ['colend/lead', 'colend/finance'] }]);
  });

  it('leaves the document itself public', () => {
    const op = operation('GET /v1/openapi.json');
    expect(op.security).toEqual([]);
    expect(op.parameters).toEqual([]);
  });

  it('describes the error body of every refusal status', () => {
    const op = operation('POST /v1/loans');
    expect(Object.keys(op.responses).sort()).toEqual(['201', '400', '401', '403', '404', '409', '413', '422']);
    const error = op.responses['422']?.content['application/json'].schema;
    expect(error?.required).toEqual(['code', 'message', 'details']);
    expect(operation('POST /v1/ledger-checks').responses['202']?.description).toBe('Success');
  });

  it('declares the client-credentials scopes', () => {
    expect(document.components.securitySchemes.oauth2).toMatchObject({
      type: 'oauth2',
      flows: { clientCredentials: { scopes: { 'colend/lead': expect.any(String), 'colend/partner': expect.any(String), 'colend/finance': expect.any(String) } } },
    });
  });

  it('is plain JSON', () => {
    expect(JSON.parse(JSON.stringify(document))).toEqual(document);
  });
});
