import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { FunctionHost, functionsFromTemplate } from '../../infra/local/functions.ts';
import { LOCAL_ISSUER, LOCAL_SCOPES, REPOSITORY_ROOT } from '../../infra/local/issuer.ts';
import type { LocalScope } from '../../infra/local/issuer.ts';
import { stateMachinesFromTemplate, taskStates, unboundTaskStates } from '../../infra/local/state-machines.ts';
import { comparableSpec, listTableNames, tableSpecFromDescription, tableSpecsFromTemplate } from '../../infra/local/tables.ts';
import { TemplateResolver } from '../../infra/local/template.ts';
import { localCacheDir } from '../../infra/local/local-cache.ts';
import { templateSourcesHash } from '../../infra/local/template-cache.ts';
import { api, dynamoDbClient, localTemplate, token } from './support/stack.ts';

/** The local stack runs what the synthesized template defines, and guards it as API Gateway does. */

const resolver = new TemplateResolver(localTemplate());
const dynamo = dynamoDbClient();
afterAll(() => dynamo.destroy());

interface RouteProps {
  RouteKey: string;
  AuthorizationType?: string;
  AuthorizationScopes?: string[];
}

const routes = resolver.resourcesOfType('AWS::ApiGatewayV2::Route').map(([id]) => resolver.properties(id) as unknown as RouteProps);

/** A concrete path for a route key: `GET /v1/lenders/{lenderId}` → `/v1/lenders/X`. */
const pathOf = (routeKey: string): string => (routeKey.split(' ')[1] ?? '/').replace(/\{[^}]+\}/g, 'SMOKE');

describe('the local stack', () => {
  it('reports healthy', async () => {
    expect(await api('/health')).toMatchObject({ status: 200, json: { status: 'ok' } });
  });

  it('has exactly the tables of the template in DynamoDB Local: names, keys, indexes', async () => {
    const specs = tableSpecsFromTemplate(resolver);
    expect(specs.length).toBeGreaterThan(0);
    expect((await listTableNames(dynamo)).sort()).toEqual(specs.map((spec) => spec.tableName).sort());
    for (const spec of specs) {
      const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: spec.tableName }));
      expect(tableSpecFromDescription(spec.logicalId, Table ?? {})).toEqual(comparableSpec(spec));
    }
  });

  it('leaves no Task state unbound', () => {
    const machines = stateMachinesFromTemplate(resolver);
    const functions = new FunctionHost(functionsFromTemplate(resolver), { rootDir: REPOSITORY_ROOT });
    expect(machines.flatMap((machine) => taskStates(machine)).length).toBeGreaterThan(0);
    expect(unboundTaskStates(machines, functions)).toEqual([]);
  });

  it('serves the JWKS its tokens verify against', async () => {
    const res = await api<{ keys: Array<{ kid: string; kty: string }> }>('/local-issuer/.well-known/jwks.json');
    expect(res.status).toBe(200);
    expect(res.json.keys).toEqual([expect.objectContaining({ kty: 'RSA', alg: 'RS256' })]);
    const lead = await token('lead');
    await expect(jwtVerify(lead, createLocalJWKSet(res.json), { issuer: LOCAL_ISSUER })).resolves.toBeDefined();
  });

  const guarded = routes.filter((route) => route.AuthorizationType === 'JWT');

  it('answers 401 without a token on every JWT route', async () => {
    expect(guarded.length).toBeGreaterThan(0);
    for (const route of guarded) {
      const res = await api(pathOf(route.RouteKey), { method: route.RouteKey.split(' ')[0] });
      expect(res.status, route.RouteKey).toBe(401);
      expect(res.json).toEqual({ message: 'Unauthorized' });
    }
  });

  it('answers 403 when the token has none of the route scopes', async () => {
    for (const route of guarded) {
      const allowed = route.AuthorizationScopes ?? [];
      if (allowed.length === 0) continue;
      const other = LOCAL_SCOPES.filter((scope) => !allowed.includes(`colend/${scope}`));
      const scopes: LocalScope[] = other.length > 0 ? [other[0] as LocalScope] : [];
      const res = await api(pathOf(route.RouteKey), { method: route.RouteKey.split(' ')[0], token: await token({ scopes, lenderId: 'SMOKE' }) });
      expect(res.status, route.RouteKey).toBe(403);
      expect(res.json).toEqual({ message: 'Forbidden' });
    }
  });

  it('answers 404 for a route the API does not have', async () => {
    const res = await api('/v1/no-such-route', { token: await token('lead') });
    expect(res).toMatchObject({ status: 404, json: { message: 'Not Found' } });
  });
});

describe('npm install', () => {
  it('prepares the template a first start reuses: synthesized into the cache under its sources, its state machines checked', async () => {
    const script = JSON.parse(readFileSync(join(REPOSITORY_ROOT, 'package.json'), 'utf8')).scripts.postinstall as string;
    expect(script).toBe('tsx infra/local/prepare.ts');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(REPOSITORY_ROOT, 'infra', 'local', 'prepare.ts')], { cwd: REPOSITORY_ROOT, timeout: 120_000 });
    // The stack of this run already synthesized and checked the template of these sources.
    expect(stdout).toMatch(/^local stack: template already prepared \(\d+ ms\)$/m);
    const path = join(localCacheDir(REPOSITORY_ROOT), `template-${templateSourcesHash(REPOSITORY_ROOT).slice(0, 32)}.json`);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(localTemplate());
    expect(existsSync(`${path}.validated`)).toBe(true);
  }, 130_000);
});
