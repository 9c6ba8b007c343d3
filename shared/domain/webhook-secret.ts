import { invariant, ValidationError } from './errors.ts';

/**
 * A lender's webhook signing secrets (docs/webhooks.md, Rotation). They are kept apart from the
 * lender's record (docs/adr/0009-webhook-secrets-out-of-the-tables.md): the record names the
 * version in force, the secret store holds the secrets.
 */

/** How long a replaced secret still signs beside the new one: a partner switches within this window. */
export const WEBHOOK_SECRET_OVERLAP_HOURS = 24;
const OVERLAP_MS = WEBHOOK_SECRET_OVERLAP_HOURS * 3_600_000;

export const WEBHOOK_SECRET_MIN_LENGTH = 32;
export const WEBHOOK_SECRET_MAX_LENGTH = 256;

/** One signing secret and the version that names it in the `colend-key-version` header. */
export interface WebhookKey {
  readonly version: number;
  readonly secret: string;
}

/** What the store holds for one lender: the secret in force, and the one it replaced while that still signs. */
export interface WebhookSecretSet {
  readonly current: WebhookKey & { readonly since: string };
  readonly previous: (WebhookKey & { readonly replacedAt: string }) | null;
}

/** A secret of the right length; the path names the field it came from. */
export function assertWebhookSecret(secret: string, path: string): string {
  if (secret.length < WEBHOOK_SECRET_MIN_LENGTH || secret.length > WEBHOOK_SECRET_MAX_LENGTH) {
    throw new ValidationError(`${path} must have ${WEBHOOK_SECRET_MIN_LENGTH} to ${WEBHOOK_SECRET_MAX_LENGTH} characters`, {
      path,
      rule: 'webhook-secret-length',
      length: secret.length,
    });
  }
  return secret;
}

/**
 * The set after a lender's registration stores its secret. Nobody has verified with a secret the
 * store held before a registration that did not finish, so it is replaced outright, with no
 * overlap; the same secret again (a repeated registration) changes nothing.
 */
export function registered(stored: WebhookSecretSet | null, secret: string, now: string): WebhookSecretSet {
  assertWebhookSecret(secret, 'webhook.secret');
  if (stored === null) return { current: { version: 1, secret, since: now }, previous: null };
  if (stored.current.secret === secret) return stored;
  return { current: { version: stored.current.version + 1, secret, since: now }, previous: null };
}

/**
 * The set after a rotation: the new secret signs from now, the one it replaces keeps signing
 * beside it for the overlap window. Rotating to the secret already in force changes nothing, so a
 * repeated rotation is one rotation.
 */
export function rotated(stored: WebhookSecretSet, secret: string, now: string): WebhookSecretSet {
  assertWebhookSecret(secret, 'secret');
  if (stored.current.secret === secret) return stored;
  invariant(Date.parse(now) >= Date.parse(stored.current.since), 'a rotation happens after the secret it replaces was set', { since: stored.current.since, now });
  const { version, secret: replaced } = stored.current;
  return { current: { version: version + 1, secret, since: now }, previous: { version, secret: replaced, replacedAt: now } };
}

/**
 * The secrets a delivery is signed with at an instant: the current one first, then the replaced
 * one while its overlap window lasts (it stops at `replacedAt` + 24 hours exactly).
 */
export function signingKeys(set: WebhookSecretSet, now: string): WebhookKey[] {
  const keys: WebhookKey[] = [{ version: set.current.version, secret: set.current.secret }];
  const previous = set.previous;
  if (previous !== null && Date.parse(now) < Date.parse(previous.replacedAt) + OVERLAP_MS) keys.push({ version: previous.version, secret: previous.secret });
  return keys;
}

/** The instant the replaced secret stops signing; null when there is none. */
export function overlapEndsAt(set: WebhookSecretSet): string | null {
  return set.previous === null ? null : new Date(Date.parse(set.previous.replacedAt) + OVERLAP_MS).toISOString();
}
