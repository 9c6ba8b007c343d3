import type { WebhookKey } from '../../shared/domain/webhook-secret.ts';
import type { WebhookOutcome } from '../../shared/adapters/notifier.ts';
import type { LenderStore } from '../../shared/ports/stores.ts';
import type { WebhookSecrets } from '../../shared/ports/webhook-secrets.ts';
import { webhookKeysOf } from '../../shared/use-cases/webhook-secrets.ts';
import type { MetricsSink } from '../../shared/ports/telemetry.ts';
import type { WebhookEvent } from './schema.ts';

export interface DeliveryDeps {
  readonly lenders: Pick<LenderStore, 'get' | 'plainWebhookSecret'>;
  readonly webhookSecrets: Pick<WebhookSecrets, 'get'>;
  readonly now: () => string;
  /** Posts the body once, signed with each key; throws when it may pass, so the rule tries again. */
  readonly post: (webhook: { url: string; keys: readonly WebhookKey[] }, body: string, deliveryId: string) => Promise<WebhookOutcome>;
  /** Counts each failed delivery (WebhookFailures), then the error goes on to Lambda's retries of the invocation. */
  readonly metrics: MetricsSink;
}

/**
 * Delivers one event to the webhook of the lender it names. The body is the event's detail as it
 * was published, and the delivery id names the ask and its round, the same on every retry, so a
 * partner that receives it twice handles it once. It is signed with the lender's secret in force,
 * and during a rotation's overlap with the replaced one too, read from the secret store.
 */
export async function deliverWebhook(deps: DeliveryDeps, event: WebhookEvent): Promise<WebhookOutcome | 'NO_WEBHOOK'> {
  const { lenderId, applicationId, round } = event.detail;
  const lender = await deps.lenders.get(lenderId);
  if (lender?.webhook == null) return 'NO_WEBHOOK';
  const keys = await webhookKeysOf(deps, lender, deps.now());
  try {
    return await deps.post({ url: lender.webhook.url, keys }, event.body, `${applicationId}:${lenderId}:${round}`);
  } catch (error) {
    deps.metrics.measure('webhookFailures', 1);
    throw error;
  }
}
