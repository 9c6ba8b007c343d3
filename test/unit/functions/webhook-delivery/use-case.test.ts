import { describe, expect, it } from 'vitest';
import { deliverWebhook } from '../../../../functions/webhook-delivery/use-case.ts';
import { webhookEvent } from '../../../../functions/webhook-delivery/schema.ts';
import { validate } from '../../../../shared/contracts/validate.ts';
import type { Lender } from '../../../../shared/domain/lender.ts';
import { InvariantViolation, ValidationError } from '../../../../shared/domain/errors.ts';
import type { WebhookKey } from '../../../../shared/domain/webhook-secret.ts';
import { createInMemoryStores } from '../../../support/in-memory-stores.ts';
import { rejectedBy } from '../../../support/expect-error.ts';
import { APPLICATION_ID, PARTNER_A, aPartnerLender } from '../../../support/builders.ts';
import { WebhookDeliveryFailed } from '../../../../shared/adapters/notifier.ts';
import { PrometheusRegistry } from '../../../../shared/adapters/telemetry/prometheus-registry.ts';

const SECRET = 'whsec-partner-a-0123456789abcdef0123456789';
const DETAIL_TEXT = `{"type":"colend.review.requested","applicationId":"${APPLICATION_ID}","lenderId":"${PARTNER_A}","round":2,"askedAmountMinor":"300000"}`;
const event = { version: '0', id: 'ev-1', 'detail-type': 'colend.review.requested', source: 'colend', detail: JSON.parse(DETAIL_TEXT) as unknown };

const NEXT = 'whsec-partner-a-rotated-0123456789abcdef01';
const ROTATED_AT = '2025-03-01T02:00:00.000Z';

function deps(lender: Lender | null, now = '2025-03-01T10:00:00.000Z', failure?: Error) {
  const posted: [{ url: string; keys: readonly WebhookKey[] }, string, string][] = [];
  const stores = createInMemoryStores();
  const metrics = new PrometheusRegistry();
  if (lender !== null) stores.db.lenders.set(lender.lenderId, lender);
  return {
    posted,
    stores,
    metrics,
    deps: {
      lenders: stores.lenders,
      webhookSecrets: stores.webhookSecrets,
      now: () => now,
      post: async (webhook: { url: string; keys: readonly WebhookKey[] }, body: string, deliveryId: string) => {
        posted.push([webhook, body, deliveryId]);
        if (failure !== undefined) throw failure;
        return 'DELIVERED' as const;
      },
      metrics,
    },
  };
}

const failures = (metrics: PrometheusRegistry): string | undefined => metrics.render().split('\n').find((line) => line.startsWith('colend_webhook_failures_total '));

describe('deliverWebhook', () => {
  it("posts the event's detail, byte for byte as published, to the lender's webhook with the ask's delivery id, signed with the stored secret", async () => {
    const { deps: d, posted, stores } = deps(aPartnerLender(PARTNER_A, { webhook: { url: 'https://bank-a.example/colend', secretVersion: 1 } }));
    await stores.webhookSecrets.put(PARTNER_A, SECRET, '2025-02-01T00:00:00.000Z');
    await expect(deliverWebhook(d, validate(webhookEvent, event))).resolves.toBe('DELIVERED');
    expect(posted).toEqual([[{ url: 'https://bank-a.example/colend', keys: [{ version: 1, secret: SECRET }] }, DETAIL_TEXT, `${APPLICATION_ID}:${PARTNER_A}:2`]]);
  });

  it('signs with the new secret and the replaced one within 24 hours of a rotation, and with the new one alone from then', async () => {
    const lender = aPartnerLender(PARTNER_A, { webhook: { url: 'https://bank-a.example/colend', secretVersion: 2 } });
    const within = deps(lender, '2025-03-02T01:59:59.999Z');
    await within.stores.webhookSecrets.put(PARTNER_A, SECRET, '2025-02-01T00:00:00.000Z');
    await within.stores.webhookSecrets.rotate(PARTNER_A, NEXT, ROTATED_AT);
    await deliverWebhook(within.deps, validate(webhookEvent, event));
    expect(within.posted[0]?.[0].keys).toEqual([{ version: 2, secret: NEXT }, { version: 1, secret: SECRET }]);
    const after = deps(lender, '2025-03-02T02:00:00.000Z');
    after.stores.webhookSecrets.sets.set(PARTNER_A, (await within.stores.webhookSecrets.get(PARTNER_A))!);
    await deliverWebhook(after.deps, validate(webhookEvent, event));
    expect(after.posted[0]?.[0].keys).toEqual([{ version: 2, secret: NEXT }]);
  });

  it('signs with a secret still on the record, as version 0, until it is moved', async () => {
    const { deps: d, posted, stores } = deps(aPartnerLender(PARTNER_A, { webhook: { url: 'https://bank-a.example/colend', secretVersion: 0 } }));
    stores.db.plainWebhookSecrets.set(PARTNER_A, { lenderId: PARTNER_A, url: 'https://bank-a.example/colend', secret: SECRET });
    await deliverWebhook(d, validate(webhookEvent, event));
    expect(posted[0]?.[0].keys).toEqual([{ version: 0, secret: SECRET }]);
  });

  it('fails, to be tried again, when a webhook has no secret anywhere, and posts nothing', async () => {
    const { deps: d, posted } = deps(aPartnerLender(PARTNER_A, { webhook: { url: 'https://bank-a.example/colend', secretVersion: 1 } }));
    const error = await rejectedBy(InvariantViolation, () => deliverWebhook(d, validate(webhookEvent, event)));
    expect(error.details).toEqual({ lenderId: PARTNER_A });
    expect(posted).toEqual([]);
  });

  it('counts a failed delivery once and hands its error on, so the rule tries again; a delivery counts nothing', async () => {
    const webhook = { url: 'https://bank-a.example/colend', secretVersion: 1 };
    const failing = deps(aPartnerLender(PARTNER_A, { webhook }), undefined, new WebhookDeliveryFailed(webhook.url, 'answered 503'));
    await failing.stores.webhookSecrets.put(PARTNER_A, SECRET, '2025-02-01T00:00:00.000Z');
    await expect(deliverWebhook(failing.deps, validate(webhookEvent, event))).rejects.toThrow('webhook https://bank-a.example/colend: answered 503');
    expect(failures(failing.metrics)).toBe('colend_webhook_failures_total 1');
    const delivered = deps(aPartnerLender(PARTNER_A, { webhook }));
    await delivered.stores.webhookSecrets.put(PARTNER_A, SECRET, '2025-02-01T00:00:00.000Z');
    await deliverWebhook(delivered.deps, validate(webhookEvent, event));
    expect(failures(delivered.metrics)).toBeUndefined();
  });

  it('posts nothing for a lender without a webhook, or one that does not exist', async () => {
    for (const lender of [aPartnerLender(PARTNER_A), null]) {
      const { deps: d, posted } = deps(lender);
      await expect(deliverWebhook(d, validate(webhookEvent, event))).resolves.toBe('NO_WEBHOOK');
      expect(posted).toEqual([]);
    }
  });

  it('refuses an event without the lender it is for, naming the field', () => {
    expect(() => validate(webhookEvent, { ...event, detail: { applicationId: APPLICATION_ID, round: 1 } })).toThrow(ValidationError);
    try {
      validate(webhookEvent, { ...event, detail: { applicationId: APPLICATION_ID, round: 1 } });
    } catch (error) {
      expect((error as ValidationError).message).toContain('detail.lenderId');
    }
  });
});
