import { systemClock } from '../../shared/adapters/clock.ts';
import { createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { postWebhook } from '../../shared/adapters/notifier.ts';
import { webhookSecretsFromEnv } from '../../shared/adapters/webhook-secrets/index.ts';
import { eventHandler, logger, metrics } from '../../shared/adapters/telemetry/index.ts';
import { validate } from '../../shared/contracts/validate.ts';
import { webhookEvent } from './schema.ts';
import { deliverWebhook, type DeliveryDeps } from './use-case.ts';
import { STORES } from './stores.ts';

const options = {
  timeoutMs: 5_000,
  now: systemClock.now,
  log: (message: string, detail: Record<string, unknown>) => logger.warn(message, detail),
  requireHttps: process.env.WEBHOOKS_REQUIRE_HTTPS !== 'false',
};
const deps: DeliveryDeps = {
  lenders: createStores(createDocumentClient(), tablesFromEnv(), STORES).lenders,
  webhookSecrets: webhookSecretsFromEnv(),
  now: systemClock.now,
  post: (webhook, body, deliveryId) => postWebhook(webhook, body, deliveryId, options),
  metrics,
};

/** The target of the bus's webhooks rule: an error is run again by Lambda, then kept in WebhookDeadLetters (docs/operations.md, Dead letters). */
export const handler = eventHandler((event) => deliverWebhook(deps, validate(webhookEvent, event)));
