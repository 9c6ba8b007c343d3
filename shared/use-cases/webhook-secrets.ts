import { InvariantViolation } from '../domain/errors.ts';
import { signingKeys, type WebhookKey } from '../domain/webhook-secret.ts';
import type { Lender } from '../domain/lender.ts';
import type { LenderStore, PlainWebhookSecret } from '../ports/stores.ts';
import type { WebhookSecrets } from '../ports/webhook-secrets.ts';

export interface WebhookSecretDeps {
  readonly lenders: Pick<LenderStore, 'setWebhook'>;
  readonly webhookSecrets: WebhookSecrets;
}

/**
 * Moves a secret found on a lender's record to the secret store, as version 1, and leaves the
 * record with the url and the version only. The record is changed only if it still holds a plain
 * secret, so a move run twice moves once.
 */
export async function moveWebhookSecret(deps: WebhookSecretDeps, plain: PlainWebhookSecret, now: string): Promise<number> {
  const set = await deps.webhookSecrets.put(plain.lenderId, plain.secret, now);
  await deps.lenders.setWebhook(plain.lenderId, 0, { url: plain.url, secretVersion: set.current.version }, null);
  return set.current.version;
}

/**
 * The keys a delivery to a lender is signed with now: from the secret store, the current one and
 * the replaced one in its overlap window. A record not moved yet (secret version 0) is signed with
 * the plain secret it still holds, as version 0, until it is moved. A webhook with no secret
 * anywhere is a defect: the delivery fails and is tried again.
 */
export async function webhookKeysOf(deps: { readonly lenders: Pick<LenderStore, 'plainWebhookSecret'>; readonly webhookSecrets: Pick<WebhookSecrets, 'get'> }, lender: Lender, now: string): Promise<WebhookKey[]> {
  if (lender.webhook !== null && lender.webhook.secretVersion === 0) {
    const plain = await deps.lenders.plainWebhookSecret(lender.lenderId);
    if (plain !== null) return [{ version: 0, secret: plain.secret }];
  }
  const set = await deps.webhookSecrets.get(lender.lenderId);
  if (set === null) throw new InvariantViolation(`lender ${lender.lenderId} has a webhook but no signing secret is stored`, { lenderId: lender.lenderId });
  return signingKeys(set, now);
}
