import { describe, expect, it } from 'vitest';
import { deliverWebhook } from '../../../../functions/webhook-delivery/use-case.ts';
import { webhookEvent } from '../../../../functions/webhook-delivery/schema.ts';
import { validate } from '../../../../shared/contracts/validate.ts';
import type { Lender } from '../../../../shared/domain/lender.ts';
import { ValidationError } from '../../../../shared/domain/errors.ts';
import { APPLICATION_ID, PARTNER_A, aPartnerLender } from '../../../support/builders.ts';
import { WebhookDeliveryFailed } from '../../../../shared/adapters/notifier.ts';
import { PrometheusRegistry } from '../../../../shared/adapters/telemetry/prometheus-registry.ts';

const SECRET = 'whsec-partner-a-0123456789abcdef0123456789';
const DETAIL_TEXT = `{"type":"colend.review.requested","applicationId":"${APPLICATION_ID}","lenderId":"${PARTNER_A}","round":2,"askedAmountMinor":"300000"}`;
const event = { version: '0', id: 'ev-1', 'detail-type': 'colend.review.requested', source: 'colend', detail: JSON.parse(DETAIL_TEXT) as unknown };

function deps(lender: Lender | null, failure?: Error) {
  const posted: [{ url: string; secret: string }, string, string][] = [];
  const metrics = new PrometheusRegistry();
  return {
    posted,
    metrics,
    deps: {
      lenders: { get: async (id: string) => (id === lender?.lenderId ? lender : null) },
      post: async (webhook: { url: string; secret: string }, body: string, deliveryId: string) => {
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
  it("posts the event's detail, byte for byte as published, to the lender's webhook with the ask's delivery id", async () => {
    const { deps: d, posted } = deps(aPartnerLender(PARTNER_A, { webhook: { url: 'https://bank-a.example/colend', secret: SECRET } }));
    await expect(deliverWebhook(d, validate(webhookEvent, event))).resolves.toBe('DELIVERED');
    expect(posted).toEqual([[{ url: 'https://bank-a.example/colend', secret: SECRET }, DETAIL_TEXT, `${APPLICATION_ID}:${PARTNER_A}:2`]]);
  });

  it('counts a failed delivery once and hands its error on, so the rule tries again; a delivery counts nothing', async () => {
    const webhook = { url: 'https://bank-a.example/colend', secret: SECRET };
    const failing = deps(aPartnerLender(PARTNER_A, { webhook }), new WebhookDeliveryFailed(webhook.url, 'answered 503'));
    await expect(deliverWebhook(failing.deps, validate(webhookEvent, event))).rejects.toThrow('webhook https://bank-a.example/colend: answered 503');
    expect(failures(failing.metrics)).toBe('colend_webhook_failures_total 1');
    const delivered = deps(aPartnerLender(PARTNER_A, { webhook }));
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
