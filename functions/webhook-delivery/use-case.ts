import type { WebhookOutcome } from '../../shared/adapters/notifier.ts';
import type { LenderStore } from '../../shared/ports/stores.ts';
import type { MetricsSink } from '../../shared/ports/telemetry.ts';
import type { WebhookEvent } from './schema.ts';

export interface DeliveryDeps {
  readonly lenders: Pick<LenderStore, 'get'>;
  /** Posts the body once, signed; throws when it may pass, so the rule tries again. */
  readonly post: (webhook: { url: string; secret: string }, body: string, deliveryId: string) => Promise<WebhookOutcome>;
  /** Counts each failed delivery (WebhookFailures), then the error goes on to the rule's retry. */
  readonly metrics: MetricsSink;
}

/**
 * Delivers one event to the webhook of the lender it names. The body is the event's detail as it
 * was published, and the delivery id names the ask and its round, the same on every retry, so a
 * partner that receives it twice handles it once.
 */
export async function deliverWebhook(deps: DeliveryDeps, event: WebhookEvent): Promise<WebhookOutcome | 'NO_WEBHOOK'> {
  const { lenderId, applicationId, round } = event.detail;
  const lender = await deps.lenders.get(lenderId);
  if (lender?.webhook == null) return 'NO_WEBHOOK';
  try {
    return await deps.post(lender.webhook, event.body, `${applicationId}:${lenderId}:${round}`);
  } catch (error) {
    deps.metrics.measure('webhookFailures', 1);
    throw error;
  }
}
