import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { formatReplay, replay, type ReplayReport } from '../../infra/cli/replay.ts';
import { replayOn, type ReplayStack } from '../../infra/cli/replay-targets.ts';
import { eventBusNamesFromTemplate } from '../../infra/local/eventbridge.ts';
import { TemplateResolver } from '../../infra/local/template.ts';
import { api, baseUrl, dynamodbEndpoint, eventsEndpoint, localTemplate, sfnEndpoint, token } from './support/stack.ts';
import { lenderBody, post } from './support/world.ts';

const LOCAL = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
const QUEUE = 'WebhookDeadLetters';

/** A partner's webhook that answers 503 until it is fixed, and records every delivery id it was sent. */
let server: Server;
let url = '';
let broken = true;
const received: { deliveryId: string; answered: number }[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const answered = broken ? 503 : 200;
      received.push({ deliveryId: String(request.headers['colend-delivery']), answered });
      response.writeHead(answered).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://localhost:${(server.address() as AddressInfo).port}/colend/reviews`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const stack = (): ReplayStack => ({ kind: 'local', baseUrl: baseUrl(), localToken: inject('localToken'), sfnEndpoint: sfnEndpoint(), dynamodbEndpoint: dynamodbEndpoint() });

/** `colend replay WebhookDeadLetters [--dry-run]` against the running local stack. */
async function replayWebhooks(dryRun: boolean): Promise<ReplayReport> {
  let report: ReplayReport | undefined;
  await replayOn(stack(), QUEUE, async (queue, targets) => {
    report = await replay(queue, targets, { dryRun, max: 100 });
  });
  return report as ReplayReport;
}

async function depth(): Promise<number> {
  const answer = await api<{ messages: unknown[] }>(`/local/dead-letters/${QUEUE}?max=100`);
  expect(answer.status).toBe(200);
  return answer.json.messages.length;
}

async function until(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('a webhook delivery that fails every retry is kept, and colend replay redrives it once', () => {
  it('lands in WebhookDeadLetters after the function\'s 2 retries, stays there while the webhook fails, is redriven once when fixed, and a second replay does nothing', async () => {
    const lenderId = `DLQ_${randomUUID().slice(0, 8).toUpperCase()}`;
    const deliveryId = `APP-${lenderId}:${lenderId}:1`;
    const lead = await token({ scopes: ['lead'] });
    expect((await post('/v1/lenders', lead, lenderBody(lenderId, ['PARTNER'], { webhook: { url, secret: `whsec-${randomUUID()}` } }))).status).toBe(201);
    const before = await depth();

    const [busName] = eventBusNamesFromTemplate(new TemplateResolver(localTemplate()));
    const events = new EventBridgeClient({ endpoint: eventsEndpoint(), ...LOCAL });
    const detail = JSON.stringify({ type: 'colend.review.requested', applicationId: `APP-${lenderId}`, lenderId, round: 1 });
    await events.send(new PutEventsCommand({ Entries: [{ EventBusName: busName, Source: 'colend', DetailType: 'colend.review.requested', Detail: detail }] }));
    events.destroy();

    // The first try and Lambda's 2 retries of an asynchronous invocation, then the on-failure destination.
    await until(async () => (await depth()) === before + 1, 'the dead letter');
    const mine = () => received.filter((r) => r.deliveryId === deliveryId);
    expect(mine()).toEqual([
      { deliveryId, answered: 503 },
      { deliveryId, answered: 503 },
      { deliveryId, answered: 503 },
    ]);
    const kept = await api<{ messages: { body: string }[] }>(`/local/dead-letters/${QUEUE}?max=100`);
    const record = JSON.parse(kept.json.messages.at(-1)!.body) as { requestContext: { functionArn: string; condition: string }; requestPayload: { detail: unknown } };
    expect(record.requestContext).toMatchObject({ functionArn: expect.stringMatching(/:function:WebhookDeliveryFunction[0-9A-F]{8}:\$LATEST$/), condition: 'RetriesExhausted' });
    expect(record.requestPayload.detail).toEqual(JSON.parse(detail));

    // A dry run says what it would do and sends nothing.
    const dry = await replayWebhooks(true);
    expect(dry.lines.filter((line) => line.what.includes(lenderId)).map((line) => line.outcome)).toEqual(['would redrive']);
    expect(mine()).toHaveLength(3);
    expect(await depth()).toBe(before + 1);

    // Still broken: the redrive fails and the message is kept.
    const stillBroken = await replayWebhooks(false);
    expect(stillBroken.lines.filter((line) => line.what.includes(lenderId)).map((line) => [line.outcome, line.detail])).toEqual([
      ['failed', expect.stringMatching(/503.*\(kept in the queue\)$/)],
    ]);
    expect(mine()).toHaveLength(4);
    expect(await depth()).toBe(before + 1);

    broken = false;
    const fixed = await replayWebhooks(false);
    const line = fixed.lines.find((l) => l.what.includes(lenderId));
    expect(line).toMatchObject({ outcome: 'redriven', what: `colend.review.requested APP-${lenderId}:${lenderId}:1 (event ${String((record.requestPayload as { id?: string }).id)}) → ${record.requestContext.functionArn.split(':')[6]}` });
    expect(formatReplay(fixed, false).split('\n').at(-1)).toBe(`${QUEUE}: ${fixed.lines.length} redriven and deleted, 0 failed, 0 not understood`);
    expect(mine()).toEqual([...Array.from({ length: 4 }, () => ({ deliveryId, answered: 503 })), { deliveryId, answered: 200 }]);
    expect(await depth()).toBe(before);

    const again = await replayWebhooks(false);
    expect(again.lines).toEqual([]);
    expect(formatReplay(again, false)).toBe(`${QUEUE}: no dead letters`);
    expect(mine()).toHaveLength(5);
  }, 90_000);

  it('refuses to read a queue the stack does not have, naming the ones it has', async () => {
    const answer = await api<{ message: string }>('/local/dead-letters/NoSuchQueue');
    expect(answer.status).toBe(404);
    expect(answer.json.message).toMatch(/^no dead-letter queue NoSuchQueue \(known: InvocationDeadLetters[0-9A-F]{8}, PublishDeadLetters[0-9A-F]{8}, ScheduleDeadLetters[0-9A-F]{8}, WebhookDeadLetters[0-9A-F]{8}\)$/);
    const listed = await api<{ queues: { queue: string; depth: number }[] }>('/local/dead-letters');
    expect(listed.json.queues.map((q) => q.queue.replace(/[0-9A-F]{8}$/, ''))).toEqual(['InvocationDeadLetters', 'PublishDeadLetters', 'ScheduleDeadLetters', 'WebhookDeadLetters']);
  });
});
