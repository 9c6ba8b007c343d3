import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { colendHome } from '../../infra/local/issuer.ts';
import { eventBusNamesFromTemplate } from '../../infra/local/eventbridge.ts';
import { TemplateResolver } from '../../infra/local/template.ts';
import { api, dynamodbEndpoint, eventsEndpoint, localTemplate, token } from './support/stack.ts';
import { lenderBody, post } from './support/world.ts';

const SECRET = `whsec-first-${randomUUID()}`;
const ROTATED = `whsec-second-${randomUUID()}`;
const LOCAL = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };

interface Delivery {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

let server: Server;
let url = '';
const deliveries: Delivery[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      deliveries.push({ headers: request.headers, body });
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://localhost:${(server.address() as AddressInfo).port}/colend/reviews`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** What a partner does (docs/webhooks.md): every `v1`, each secret it holds, a constant-time match. */
function verifies(header: string, body: string, secrets: readonly string[]): boolean {
  const parts = header.split(',').map((part) => [part.slice(0, part.indexOf('=')), part.slice(part.indexOf('=') + 1)] as const);
  const t = parts.find(([key]) => key === 't')?.[1] ?? '';
  const given = parts.filter(([key]) => key === 'v1').map(([, value]) => Buffer.from(value));
  return secrets.some((secret) => {
    const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${body}`).digest('hex'));
    return given.some((g) => g.length === expected.length && timingSafeEqual(g, expected));
  });
}

/** Every item of every table of DynamoDB Local, as its wire text. */
async function everyItemText(): Promise<string> {
  const client = new DynamoDBClient({ endpoint: dynamodbEndpoint(), ...LOCAL });
  const { TableNames = [] } = await client.send(new ListTablesCommand({}));
  let text = '';
  for (const table of TableNames) {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start as never }));
      text += JSON.stringify(page.Items ?? []);
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
  }
  client.destroy();
  expect(TableNames.length).toBeGreaterThanOrEqual(2);
  return text;
}

/** Puts a review request for the lender on the local bus, and waits for the webhook to receive it. */
async function deliveredFor(lenderId: string, round: number): Promise<Delivery> {
  const [busName] = eventBusNamesFromTemplate(new TemplateResolver(localTemplate()));
  const events = new EventBridgeClient({ endpoint: eventsEndpoint(), ...LOCAL });
  const detail = JSON.stringify({ type: 'colend.review.requested', applicationId: `APP-${lenderId}`, lenderId, round });
  await events.send(new PutEventsCommand({ Entries: [{ EventBusName: busName, Source: 'colend', DetailType: 'colend.review.requested', Detail: detail }] }));
  events.destroy();
  const deadline = Date.now() + 15_000;
  for (;;) {
    const found = deliveries.find((d) => d.headers['colend-delivery'] === `APP-${lenderId}:${lenderId}:${round}`);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no delivery for ${lenderId} round ${round}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('webhook secrets are kept out of the tables', () => {
  it('stores the secret in the state folder file only, signs with it, and after a rotation signs with the new and the replaced one', async () => {
    const lenderId = `HOOK_${randomUUID().slice(0, 8).toUpperCase()}`;
    const lead = await token({ scopes: ['lead'] });
    const created = await post('/v1/lenders', lead, lenderBody(lenderId, ['PARTNER'], { webhook: { url, secret: SECRET } }));
    expect([created.status, (created.json as { webhook: unknown }).webhook]).toEqual([201, { url, secretConfigured: true, secretVersion: 1 }]);

    const tables = await everyItemText();
    expect(tables).toContain(lenderId);
    expect(tables).not.toContain(SECRET);
    const folder = join(colendHome(), 'webhook-secrets');
    const holding = readdirSync(folder).map((name) => join(folder, name)).filter((path) => readFileSync(path, 'utf8').includes(SECRET));
    expect(holding).toHaveLength(1);
    expect(statSync(holding[0] as string).mode & 0o777).toBe(0o600);

    const first = await deliveredFor(lenderId, 1);
    expect(first.headers['colend-key-version']).toBe('1');
    expect(String(first.headers['colend-signature'])).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect([verifies(String(first.headers['colend-signature']), first.body, [SECRET]), verifies(String(first.headers['colend-signature']), first.body, [ROTATED])]).toEqual([true, false]);

    const partner = await token({ scopes: ['partner'], lenderId });
    const rotation = await post(`/v1/lenders/${lenderId}/webhook-secret`, partner, { secret: ROTATED });
    expect(rotation.status).toBe(200);
    expect(rotation.json).toMatchObject({ lenderId, secretVersion: 2, previousVersion: 1 });
    expect((await api(`/v1/lenders/${lenderId}`, { token: lead })).json).toMatchObject({ webhook: { url, secretConfigured: true, secretVersion: 2 } });
    expect(await everyItemText()).not.toContain(ROTATED);

    const second = await deliveredFor(lenderId, 2);
    const header = String(second.headers['colend-signature']);
    expect(second.headers['colend-key-version']).toBe('2');
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    expect([verifies(header, second.body, [ROTATED]), verifies(header, second.body, [SECRET]), verifies(header, second.body, ['whsec-neither-0123456789abcdef0123456789'])]).toEqual([true, true, false]);
  }, 60_000);
});
