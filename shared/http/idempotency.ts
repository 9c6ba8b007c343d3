import type { IdempotencyRecord, IdempotencyStore, Seal } from '../ports/stores.ts';
import { WriteConflict } from '../ports/stores.ts';
import { HttpError } from './errors.ts';
import { canonicalJson, sha256, toJson } from '../json.ts';

export interface StoredResponse {
  readonly statusCode: number;
  readonly body: string;
  readonly replayed: boolean;
}

const KEY_PATTERN = /^[A-Za-z0-9._:-]{8,128}$/;

export function parseIdempotencyKey(header: string | undefined): string {
  if (header === undefined || header === '') {
    throw new HttpError(400, 'IDEMPOTENCY_KEY_REQUIRED', 'every write takes an Idempotency-Key header', { path: 'headers.Idempotency-Key', rule: 'required' });
  }
  if (!KEY_PATTERN.test(header)) {
    throw new HttpError(400, 'VALIDATION_FAILED', "Idempotency-Key must be 8-128 letters, digits, '.', '_', ':' or '-'", {
      path: 'headers.Idempotency-Key',
      rule: 'idempotency-key-format',
    });
  }
  return header;
}

/**
 * Runs a write at most once per (operation, client, key). The same key and body returns the first
 * response unchanged; the same key with another body is refused and changes nothing. The record
 * is written in the same transaction as the business write, so a crash cannot separate them.
 */
export async function runIdempotent(
  store: IdempotencyStore,
  scope: { operation: string; clientId: string; key: string; body: unknown; now: string },
  write: (seal: Seal) => Promise<void>,
): Promise<StoredResponse> {
  const scopeKey = `${scope.operation}#${scope.clientId}#${scope.key}`;
  const requestHash = sha256(canonicalJson(scope.body));
  const earlier = await store.get(scopeKey);
  if (earlier) return replay(earlier, requestHash);
  let sealed: IdempotencyRecord | undefined;
  const seal: Seal = (statusCode, body) => {
    sealed = { scopeKey, requestHash, statusCode, responseBody: toJson(body), createdAt: scope.now };
    return sealed;
  };
  try {
    await write(seal);
  } catch (error) {
    if (error instanceof WriteConflict && error.reason === 'IDEMPOTENCY_KEY') {
      const winner = await store.get(scopeKey);
      if (winner) return replay(winner, requestHash);
    }
    throw error;
  }
  if (!sealed) throw new Error('a write must seal its response');
  return { statusCode: sealed.statusCode, body: sealed.responseBody, replayed: false };
}

function replay(record: IdempotencyRecord, requestHash: string): StoredResponse {
  if (record.requestHash !== requestHash) {
    throw new HttpError(409, 'IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with a different request body; nothing was changed', {
      path: 'headers.Idempotency-Key',
      rule: 'same-key-same-body',
    });
  }
  return { statusCode: record.statusCode, body: record.responseBody, replayed: true };
}
