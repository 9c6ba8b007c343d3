import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { EVENT_SOURCE, EventBridgeNotifier, REVIEW_REQUESTED, webhookSignature, type WebhookOptions } from '../../../../shared/adapters/notifier.ts';
import type { ReviewRequested } from '../../../../shared/ports/stores.ts';
import { APPLICATION_ID, NOW, PARTNER_A, REVIEW_DEADLINE, aPartnerLender } from '../../../support/builders.ts';

const events = mockClient(EventBridgeClient);
const BUS = 'colend-events-test';
const SECRET = 'whsec-partner-a-0123456789abcdef0123456789';

const request: ReviewRequested = {
  applicationId: APPLICATION_ID,
  lenderId: PARTNER_A,
  round: 1,
  askedAmountMinor: 300_000n,
  minimumAmountMinor: 300_000n,
  deadline: REVIEW_DEADLINE,
  application: { programId: 'CONSUMER-2025', amountMinor: 1_000_000n, termMonths: 12 },
};
const BODY =
  `{"type":"colend.review.requested","applicationId":"${APPLICATION_ID}","lenderId":"${PARTNER_A}","round":1,` +
  `"askedAmountMinor":"300000","minimumAmountMinor":"300000","deadline":"${REVIEW_DEADLINE}",` +
  `"application":{"programId":"CONSUMER-2025","amountMinor":"1000000","termMonths":12}}`;

interface Received {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A partner's webhook on 127.0.0.1 that answers each request with the next status of `statuses` (the last one repeats). */
function webhookServer(statuses: readonly number[]): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = statuses[Math.min(received.length, statuses.length) - 1] ?? 200;
      res.end();
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}/colend/reviews`, received, close: () => new Promise((done) => server.close(() => done())) });
    });
  });
}

/** A clock that gives each attempt its own instant, and a log that keeps what it is told. */
function options(attempts: number) {
  let tick = 0;
  const logged: { message: string; detail: Record<string, unknown> }[] = [];
  const opts: WebhookOptions = {
    attempts,
    firstDelayMs: 1,
    timeoutMs: 5_000,
    now: () => new Date(Date.parse(NOW) + 1_000 * tick++).toISOString(),
    log: (message, detail) => logged.push({ message, detail }),
  };
  return { opts, logged };
}

const hmac = (timestamp: string, body: string) => `sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${body}`).digest('hex')}`;

beforeEach(() => {
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
});
afterEach(() => events.reset());

describe('webhookSignature', () => {
  it('is HMAC-SHA256 in hex over `<timestamp>.<body>`, prefixed sha256=', () => {
    expect(webhookSignature(SECRET, NOW, BODY)).toBe(hmac(NOW, BODY));
    expect(webhookSignature(SECRET, NOW, BODY)).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(webhookSignature(SECRET, '2025-03-01T02:00:01.000Z', BODY)).not.toBe(webhookSignature(SECRET, NOW, BODY));
  });
});

describe('EventBridgeNotifier', () => {
  it('publishes the review request to the bus, amounts as strings; a lender without webhook gets nothing more', async () => {
    const { opts, logged } = options(3);
    await new EventBridgeNotifier(new EventBridgeClient({ region: 'cn-north-1' }), BUS, opts).reviewRequested(aPartnerLender(PARTNER_A), request);
    expect(events.commandCalls(PutEventsCommand).map((c) => c.args[0].input)).toEqual([
      { Entries: [{ EventBusName: BUS, Source: EVENT_SOURCE, DetailType: REVIEW_REQUESTED, Detail: BODY }] },
    ]);
    expect([EVENT_SOURCE, REVIEW_REQUESTED]).toEqual(['colend', 'colend.review.requested']);
    expect(logged).toEqual([]);
  });

  it('posts the same body to the webhook, signed over its timestamp with the lender secret', async () => {
    const hook = await webhookServer([200]);
    try {
      const { opts, logged } = options(3);
      const lender = aPartnerLender(PARTNER_A, { webhook: { url: hook.url, secret: SECRET } });
      await new EventBridgeNotifier(new EventBridgeClient({ region: 'cn-north-1' }), BUS, opts).reviewRequested(lender, request);
      expect(hook.received).toHaveLength(1);
      const [only] = hook.received;
      expect([only?.method, only?.url, only?.body]).toEqual(['POST', '/colend/reviews', BODY]);
      expect(only?.headers).toMatchObject({
        'content-type': 'application/json',
        'x-colend-timestamp': NOW,
        'x-colend-signature': hmac(NOW, BODY),
        'x-colend-delivery': `${APPLICATION_ID}:${PARTNER_A}:1`,
      });
      expect(logged).toEqual([]);
    } finally {
      await hook.close();
    }
  });

  it('retries a webhook that answers 500, each attempt signed over its own timestamp, until it succeeds', async () => {
    const hook = await webhookServer([500, 503, 204]);
    try {
      const { opts, logged } = options(5);
      const lender = aPartnerLender(PARTNER_A, { webhook: { url: hook.url, secret: SECRET } });
      await new EventBridgeNotifier(new EventBridgeClient({ region: 'cn-north-1' }), BUS, opts).reviewRequested(lender, request);
      expect(hook.received).toHaveLength(3);
      for (const r of hook.received) expect(r.headers['x-colend-signature']).toBe(hmac(String(r.headers['x-colend-timestamp']), r.body));
      expect(hook.received.map((r) => r.headers['x-colend-timestamp'])).toEqual(['2025-03-01T02:00:00.000Z', '2025-03-01T02:00:01.000Z', '2025-03-01T02:00:02.000Z']);
      expect(logged).toEqual([
        { message: 'webhook answered with an error', detail: { url: hook.url, status: 500, attempt: 1 } },
        { message: 'webhook answered with an error', detail: { url: hook.url, status: 503, attempt: 2 } },
      ]);
    } finally {
      await hook.close();
    }
  });

  it('gives up after the last attempt without failing: the request stays on the bus', async () => {
    const hook = await webhookServer([500]);
    try {
      const { opts, logged } = options(3);
      const lender = aPartnerLender(PARTNER_A, { webhook: { url: hook.url, secret: SECRET } });
      await expect(new EventBridgeNotifier(new EventBridgeClient({ region: 'cn-north-1' }), BUS, opts).reviewRequested(lender, request)).resolves.toBeUndefined();
      expect(hook.received).toHaveLength(3);
      expect(logged.map((l) => l.detail.attempt)).toEqual([1, 2, 3]);
      expect(events.commandCalls(PutEventsCommand)).toHaveLength(1);
    } finally {
      await hook.close();
    }
  });

  it('logs an unreachable webhook and goes on', async () => {
    const hook = await webhookServer([200]);
    await hook.close(); // nothing listens on that port any more
    const { opts, logged } = options(2);
    const lender = aPartnerLender(PARTNER_A, { webhook: { url: hook.url, secret: SECRET } });
    await new EventBridgeNotifier(new EventBridgeClient({ region: 'cn-north-1' }), BUS, opts).reviewRequested(lender, request);
    expect(logged.map((l) => [l.message, l.detail.attempt])).toEqual([
      ['webhook unreachable', 1],
      ['webhook unreachable', 2],
    ]);
  });

  it('fails, before any webhook, when the bus refuses the entry', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] });
    const hook = await webhookServer([200]);
    try {
      const { opts } = options(3);
      const lender = aPartnerLender(PARTNER_A, { webhook: { url: hook.url, secret: SECRET } });
      await expect(new EventBridgeNotifier(new EventBridgeClient({ region: 'cn-north-1' }), BUS, opts).reviewRequested(lender, request)).rejects.toThrow(
        'the event bus refused colend.review.requested: try again',
      );
      expect(hook.received).toHaveLength(0);
    } finally {
      await hook.close();
    }
  });

  it('lets an error of the bus through', async () => {
    const error = new Error('throttled');
    events.on(PutEventsCommand).rejects(error);
    const { opts } = options(1);
    await expect(new EventBridgeNotifier(new EventBridgeClient({ region: 'cn-north-1' }), BUS, opts).reviewRequested(aPartnerLender(), request)).rejects.toBe(error);
  });
});
