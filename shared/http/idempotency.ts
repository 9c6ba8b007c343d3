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

/**
 * How long a write's answer is kept for replay: longer than any client retries a request (the
 * CLI's and the partners' retries give up within hours; a batch re-sent the next business day is
 * still inside the window). DynamoDB's time to live deletes the record some time after this (up
 * to a few days later); until then it is still replayed.
 */
export const IDEMPOTENCY_WINDOW_SECONDS = 7 * 24 * 60 * 60;

/** Who sent a write: its client and, for a user token, its user (two users of one console never share a key). */
export interface IdempotencyScope {
  readonly operation: string;
  readonly clientId: string;
  readonly userId: string;
  readonly key: string;
}

/**
 * The record's key: `{operation}#{clientId}#{key}` for a client acting for itself (a
 * client-credentials token, whose user is its client), `{operation}#{clientId}#{userId}#{key}`
 * for a user of a client. The key itself never holds a `#`.
 */
export function idempotencyScopeKey(scope: IdempotencyScope): string {
  const who = scope.userId === scope.clientId ? [scope.clientId] : [scope.clientId, scope.userId];
  return [scope.operation, ...who, scope.key].join('#');
}

/** The time (seconds since the epoch, as DynamoDB's time to live reads it) after which a record written at `now` may go. */
export function expiresAtEpochSeconds(now: string): number {
  return Math.floor(Date.parse(now) / 1000) + IDEMPOTENCY_WINDOW_SECONDS;
}

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
 * Runs a write at most once per (operation, client, user, key). The same key and body returns the
 * first response unchanged, status included; the same key with another body is refused and
 * changes nothing. The record is written in the same transaction as the business write, so a
 * crash cannot separate them, or, for a write idempotent by its own business id, right after it.
 */
export async function runIdempotent(
  store: IdempotencyStore,
  scope: IdempotencyScope & { body: unknown; now: string },
  write: (seal: Seal) => Promise<void>,
): Promise<StoredResponse> {
  const scopeKey = idempotencyScopeKey(scope);
  const requestHash = sha256(canonicalJson(scope.body));
  const earlier = await store.get(scopeKey);
  if (earlier) return replay(earlier, requestHash);
  let sealed: IdempotencyRecord | undefined;
  const seal: Seal = (statusCode, body) => {
    sealed = { scopeKey, requestHash, statusCode, responseBody: toJson(body), createdAt: scope.now, expiresAtEpochSeconds: expiresAtEpochSeconds(scope.now) };
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
    throw new HttpError(422, 'IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with a different request body; nothing was changed', {
      path: 'headers.Idempotency-Key',
      rule: 'same-key-same-body',
    });
  }
  return { statusCode: record.statusCode, body: record.responseBody, replayed: true };
}
