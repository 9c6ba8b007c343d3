import type { WebhookSecretSet } from '../domain/webhook-secret.ts';

/**
 * Where lenders' webhook signing secrets are kept, by lender id, never in a table: Secrets Manager
 * in AWS (one secret per lender), a file of the local stack's state folder on the local stack.
 */
export interface WebhookSecrets {
  /** The lender's secrets, or null when none is stored. */
  get(lenderId: string): Promise<WebhookSecretSet | null>;
  /** Stores a registering lender's secret (`registered`): version 1, or the same set again for the same secret. */
  put(lenderId: string, secret: string, now: string): Promise<WebhookSecretSet>;
  /** Rotates to a new secret (`rotated`), the replaced one kept for the overlap window; throws NotFound when none is stored. */
  rotate(lenderId: string, secret: string, now: string): Promise<WebhookSecretSet>;
}
