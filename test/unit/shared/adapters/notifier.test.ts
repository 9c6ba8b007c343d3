import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { EVENT_SOURCE, EventBridgeNotifier, KEY_VERSION_HEADER, REVIEW_REQUESTED, SIGNATURE_HEADER, postWebhook, webhookSignature, webhookSignatures, WebhookDeliveryFailed, type WebhookOptions } from '../../../../shared/adapters/notifier.ts';
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
      if (res.statusCode >= 300 && res.statusCode < 400) res.setHeader('location', '/elsewhere');
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

/** A clock at NOW, and a log that keeps what it is told. */
function options(requireHttps = false) {
  const logged: { message: string; detail: Record<string, unknown> }[] = [];
  const opts: WebhookOptions = { timeoutMs: 5_000, now: () => NOW, log: (message, detail) => logged.push({ message, detail }), requireHttps };
  return { opts, logged };
}

const DELIVERY = `${APPLICATION_ID}:${PARTNER_A}:1`;
const WEBHOOK = (url: string) => ({ url, keys: [{ version: 1, secret: SECRET }] });
const PREVIOUS = 'whsec-partner-a-previous-0123456789abcdef';

/** NOW in unix seconds. */
const T0 = 1_740_794_400;
const hmac = (t: number, body: string) => `t=${t},v1=${createHmac('sha256', SECRET).update(`${t}.${body}`).digest('hex')}`;

/**
 * What a partner does (docs/webhooks.md): split the header, keep `t` and every `v1`, refuse an old
 * time, recompute with each secret it holds, and accept when any pair matches in constant time.
 */
function verify(header: string, body: string, nowSeconds: number, secrets: readonly string[] = [SECRET], toleranceSeconds = 300): boolean {
  const parts = header.split(',').map((part) => [part.slice(0, part.indexOf('=')), part.slice(part.indexOf('=') + 1)] as const);
  const t = Number(parts.find(([key]) => key === 't')?.[1]);
  const signatures = parts.filter(([key]) => key === 'v1').map(([, value]) => Buffer.from(value));
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds || signatures.length === 0) return false;
  return secrets.some((secret) => {
    const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${body}`).digest('hex'));
    return signatures.some((given) => expected.length === given.length && timingSafeEqual(expected, given));
  });
}

beforeEach(() => {
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
});
afterEach(() => events.reset());

describe('webhookSignature', () => {
  it('is `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`', () => {
    expect(Date.parse(NOW) / 1000).toBe(T0);
    expect(webhookSignature(SECRET, T0, BODY)).toBe(hmac(T0, BODY));
    expect(webhookSignature(SECRET, T0, BODY)).toMatch(/^t=1740794400,v1=[0-9a-f]{64}$/);
    expect(webhookSignature(SECRET, T0 + 1, BODY)).not.toBe(webhookSignature(SECRET, T0, BODY));
  });

  it("verifies as the partners' page says, and fails on another body, another time, another secret or an old time", () => {
    const header = webhookSignature(SECRET, T0, BODY);
    expect(verify(header, BODY, T0 + 10)).toBe(true);
    expect(verify(header, BODY.replace('300000', '300001'), T0)).toBe(false);
    expect(verify(header.replace(`t=${T0}`, `t=${T0 + 1}`), BODY, T0)).toBe(false);
    expect(verify(webhookSignature(`${SECRET}x`, T0, BODY), BODY, T0)).toBe(false);
    expect(verify(header, BODY, T0 + 301)).toBe(false);
  });
});

describe('EventBridgeNotifier', () => {
  it('publishes the review request to the bus, amounts as strings, and calls no webhook itself', async () => {
    const hook = await webhookServer([200]);
    try {
      const lender = aPartnerLender(PARTNER_A, { webhook: { url: hook.url, secretVersion: 1 } });
      await new EventBridgeNotifier(new EventBridgeClient({ region: 'cn-north-1' }), BUS).reviewRequested(lender, request);
      expect(events.commandCalls(PutEventsCommand).map((c) => c.args[0].input)).toEqual([
        { Entries: [{ EventBusName: BUS, Source: EVENT_SOURCE, DetailType: REVIEW_REQUESTED, Detail: BODY }] },
      ]);
      expect([EVENT_SOURCE, REVIEW_REQUESTED]).toEqual(['colend', 'colend.review.requested']);
      expect(hook.received).toEqual([]);
    } finally {
      await hook.close();
    }
  });

  it('fails when the bus refuses the entry', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] });
    await expect(new EventBridgeNotifier(new EventBridgeClient({ region: 'cn-north-1' }), BUS).reviewRequested(aPartnerLender(), request)).rejects.toThrow(
      'the event bus refused colend.review.requested: try again',
    );
  });

  it('lets an error of the bus through', async () => {
    const error = new Error('throttled');
    events.on(PutEventsCommand).rejects(error);
    await expect(new EventBridgeNotifier(new EventBridgeClient({ region: 'cn-north-1' }), BUS).reviewRequested(aPartnerLender(), request)).rejects.toBe(error);
  });
});

describe('postWebhook', () => {
  it('posts the body once, signed over the time and the body with the lender secret, with the delivery id', async () => {
    const hook = await webhookServer([200]);
    try {
      const { opts, logged } = options();
      await expect(postWebhook(WEBHOOK(hook.url), BODY, DELIVERY, opts)).resolves.toBe('DELIVERED');
      expect(hook.received).toHaveLength(1);
      const [only] = hook.received;
      expect([only?.method, only?.url, only?.body]).toEqual(['POST', '/colend/reviews', BODY]);
      expect(only?.headers).toMatchObject({ 'content-type': 'application/json', 'colend-signature': hmac(T0, BODY), 'colend-key-version': '1', 'colend-delivery': DELIVERY });
      expect(only?.headers['x-colend-timestamp']).toBeUndefined();
      expect(SIGNATURE_HEADER).toBe('colend-signature');
      expect(verify(String(only?.headers['colend-signature']), only?.body ?? '', T0 + 1)).toBe(true);
      expect(logged).toEqual([]);
    } finally {
      await hook.close();
    }
  });

  it('during a rotation signs with the new secret first and the replaced one after it; a partner holding either verifies, another secret does not', async () => {
    const hook = await webhookServer([200]);
    try {
      await postWebhook({ url: hook.url, keys: [{ version: 2, secret: SECRET }, { version: 1, secret: PREVIOUS }] }, BODY, DELIVERY, options().opts);
      const header = String(hook.received[0]?.headers['colend-signature']);
      const previous = createHmac('sha256', PREVIOUS).update(`${T0}.${BODY}`).digest('hex');
      expect(header).toBe(`${hmac(T0, BODY)},v1=${previous}`);
      expect(webhookSignatures([{ version: 2, secret: SECRET }, { version: 1, secret: PREVIOUS }], T0, BODY)).toBe(header);
      expect(hook.received[0]?.headers[KEY_VERSION_HEADER]).toBe('2');
      expect([verify(header, BODY, T0, [SECRET]), verify(header, BODY, T0, [PREVIOUS]), verify(header, BODY, T0, [PREVIOUS, SECRET]), verify(header, BODY, T0, [`${SECRET}x`])]).toEqual([true, true, true, false]);
    } finally {
      await hook.close();
    }
  });

  it('throws on an error status, so the rule tries again', async () => {
    const hook = await webhookServer([503]);
    try {
      const failure = await postWebhook(WEBHOOK(hook.url), BODY, DELIVERY, options().opts).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(WebhookDeliveryFailed);
      expect((failure as Error).message).toBe(`webhook ${hook.url}: answered 503`);
      expect(hook.received).toHaveLength(1);
    } finally {
      await hook.close();
    }
  });

  it('throws when nothing answers', async () => {
    const hook = await webhookServer([200]);
    await hook.close(); // nothing listens on that port any more
    await expect(postWebhook(WEBHOOK(hook.url), BODY, DELIVERY, options().opts)).rejects.toThrow(/^webhook http:\/\/127\.0\.0\.1:\d+\/colend\/reviews: unreachable: /);
  });

  it('never follows a redirect: the signed body goes only to the registered address, once, and is not tried again', async () => {
    const hook = await webhookServer([307]);
    try {
      const { opts, logged } = options();
      await expect(postWebhook(WEBHOOK(hook.url), BODY, DELIVERY, opts)).resolves.toBe('REDIRECTED');
      expect(hook.received.map((r) => r.url)).toEqual(['/colend/reviews']);
      expect(logged).toEqual([{ message: 'webhook answered with a redirect, not followed', detail: { url: hook.url, status: 307, deliveryId: DELIVERY } }]);
    } finally {
      await hook.close();
    }
  });

  it('calls no http:// webhook outside the local stage', async () => {
    const hook = await webhookServer([200]);
    try {
      const { opts, logged } = options(true);
      await expect(postWebhook(WEBHOOK(hook.url), BODY, DELIVERY, opts)).resolves.toBe('NOT_HTTPS');
      expect(hook.received).toEqual([]);
      expect(logged).toEqual([{ message: 'webhook not called: only https outside the local stage', detail: { url: hook.url, deliveryId: DELIVERY } }]);
    } finally {
      await hook.close();
    }
  });
});
