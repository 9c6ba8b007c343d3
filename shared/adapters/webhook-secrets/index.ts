import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { WebhookSecrets } from '../../ports/webhook-secrets.ts';
import { LocalFileWebhookSecrets } from './local-file.ts';
import { SecretsManagerWebhookSecrets } from './secrets-manager.ts';

export { LocalFileWebhookSecrets } from './local-file.ts';
export { SecretsManagerWebhookSecrets, WEBHOOK_SECRET_CACHE_TTL_MS } from './secrets-manager.ts';

/** The environment that says where the secrets are (docs/architecture.md). */
export const WEBHOOK_SECRETS_ENV = {
  /** In AWS: the stage's name prefix, `colend/<stage>/webhook/`. */
  prefix: 'WEBHOOK_SECRETS_PREFIX',
  /** On the local stack: the file of its state folder that stands in for Secrets Manager. */
  file: 'WEBHOOK_SECRETS_FILE',
} as const;

/** The store of the environment: the local stack's file when it set one, else the stage's Secrets Manager secrets. */
export function webhookSecretsFromEnv(env: NodeJS.ProcessEnv = process.env): WebhookSecrets {
  const file = env[WEBHOOK_SECRETS_ENV.file];
  if (file !== undefined && file !== '') return new LocalFileWebhookSecrets(file);
  const prefix = env[WEBHOOK_SECRETS_ENV.prefix];
  if (prefix === undefined || prefix === '') throw new Error(`${WEBHOOK_SECRETS_ENV.prefix} is not set: the stack names the stage's webhook secrets`);
  return new SecretsManagerWebhookSecrets(new SecretsManagerClient({}), { namePrefix: prefix });
}
