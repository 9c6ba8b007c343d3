import type { WebhookSecretSet } from '../../domain/webhook-secret.ts';

const isKey = (value: unknown, stamp: 'since' | 'replacedAt'): boolean => {
  if (typeof value !== 'object' || value === null) return false;
  const key = value as Record<string, unknown>;
  return Number.isSafeInteger(key.version) && (key.version as number) >= 1 && typeof key.secret === 'string' && typeof key[stamp] === 'string';
};

/** A stored set read back; anything else stored under the name is an error that names where it was read. */
export function parseSecretSet(text: string, where: string): WebhookSecretSet {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${where} does not hold a webhook secret set (not JSON)`);
  }
  const set = value as Record<string, unknown> | null;
  if (set === null || typeof set !== 'object' || !isKey(set.current, 'since') || !(set.previous === null || isKey(set.previous, 'replacedAt'))) {
    throw new Error(`${where} does not hold a webhook secret set ({current, previous})`);
  }
  return value as WebhookSecretSet;
}
