import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.ts';
import { mintToken } from '../../infra/local/issuer.ts';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.ts';
import type { CfnTemplate } from '../../infra/local/template.ts';
import { limitWindows } from '../../shared/domain/request-limits.ts';
import { createLenderBody } from '../support/builders.ts';

/**
 * A stack of its own whose stage allows each client 4 requests a day (docs/limits.md): the same
 * handlers as every stage, counting in DynamoDB Local, so one client's quota is used up without
 * touching the shared stack's clients.
 */
const LIMITS = { requestsPerSecond: 4, requestsPerDay: 4 };

let stack: LocalStack;

async function limitedTemplate(): Promise<CfnTemplate> {
  const outdir = await mkdtemp(join(tmpdir(), 'colend-limits-'));
  try {
    const { app, stack: colend } = buildApp({ bundling: false, outdir, context: { 'colend:stage': 'local', 'colend:apiLimits': LIMITS } });
    return app.synth().getStackArtifact(colend.artifactId).template as CfnTemplate;
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, runSchedules: false, template: await limitedTemplate() });
}, 240_000);

afterAll(async () => {
  await stack?.stop();
});

async function call(path: string, token: string, init: { method?: string; body?: unknown; key?: string } = {}) {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.key !== undefined) headers['idempotency-key'] = init.key;
  const response = await fetch(`${stack.baseUrl}${path}`, { method: init.method ?? 'GET', headers, ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }) });
  return { status: response.status, headers: response.headers, json: (await response.json()) as Record<string, unknown> };
}

describe('per-client limits on the local stack (the same handlers as in AWS)', () => {
  it('answers 429 with Retry-After to a client over its daily quota, changing nothing, while another client is served', async () => {
    const run = randomUUID().slice(0, 8).toUpperCase();
    const clientA = await mintToken({ scopes: ['lead'], clientId: `limits-a-${run}` });
    const clientB = await mintToken({ scopes: ['lead'], clientId: `limits-b-${run}` });
    const first = `LIM-${run}-1`;
    const second = `LIM-${run}-2`;

    expect((await call('/v1/lenders', clientA, { method: 'POST', body: createLenderBody({ lenderId: first }), key: `create-${first}` })).status).toBe(201);
    for (let i = 0; i < 3; i += 1) expect((await call(`/v1/lenders/${first}`, clientA)).status).toBe(200);

    const refused = await call('/v1/lenders', clientA, { method: 'POST', body: createLenderBody({ lenderId: second }), key: `create-${second}` });
    const secondsLeft = limitWindows(new Date().toISOString()).secondsLeftInDay;
    expect(refused.status).toBe(429);
    expect(refused.json).toMatchObject({
      code: 'TOO_MANY_REQUESTS',
      details: { limit: 'requestsPerDay', allowed: 4 },
    });
    expect(refused.json.message).toMatch(new RegExp(`^client limits-a-${run} is over its limit of 4 requests per day \\(UTC\\); retry after \\d+ s$`));
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBe((refused.json.details as { retryAfterSeconds: number }).retryAfterSeconds);
    // Measured just after the answer: at most a few seconds fewer than the answer said.
    expect(retryAfter - secondsLeft).toBeGreaterThanOrEqual(0);
    expect(retryAfter - secondsLeft).toBeLessThanOrEqual(5);

    // Nothing changed: the refused lender does not exist, and the first is as it was; client B is unaffected.
    expect((await call(`/v1/lenders/${second}`, clientB)).status).toBe(404);
    const kept = await call(`/v1/lenders/${first}`, clientB);
    expect([kept.status, kept.json.lenderId, kept.json.name]).toEqual([200, first, 'Partner A Bank']);
    // Client A stays refused, reads included.
    expect((await call(`/v1/lenders/${first}`, clientA)).status).toBe(429);
  });

  it('refuses a body over the route limit with 413 before the function runs, counting nothing against the client', async () => {
    const run = randomUUID().slice(0, 8).toUpperCase();
    const client = await mintToken({ scopes: ['lead'], clientId: `limits-c-${run}` });
    const before = stack.invocationCounts();
    const tooLarge = await call('/v1/lenders', client, { method: 'POST', body: createLenderBody({ lenderId: `LIM-${run}`, name: 'x'.repeat(300 * 1024) }), key: `big-${run}` });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.json).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', details: { maxBytes: 262_144 } });
    expect(stack.invocationCounts()).toEqual(before);
    // The 413 used none of the client's 4 requests.
    for (let i = 0; i < 4; i += 1) expect((await call(`/v1/lenders/LIM-${run}`, client)).status).toBe(404);
    expect((await call(`/v1/lenders/LIM-${run}`, client)).status).toBe(429);
  });

  it('answers no Access-Control-Allow-Origin: the stage lists no origin', async () => {
    const client = await mintToken({ scopes: ['lead'], clientId: `limits-d-${randomUUID().slice(0, 8)}` });
    const response = await fetch(`${stack.baseUrl}/v1/openapi.json`, { headers: { origin: 'https://elsewhere.example.com', authorization: `Bearer ${client}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});
