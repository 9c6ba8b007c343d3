import type { IdempotencyEntry, IdempotencyReservation, IdempotencyStore, KeyReservation, Seal } from '../ports/stores.ts';
import { isReservation, WriteConflict } from '../ports/stores.ts';
import type { IdempotencyRecord } from '../ports/stores.ts';
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

/**
 * How long a reservation holds its key when its write never answers (its function died between
 * the write and the answer): longer than any API function runs (29 s, API Gateway's own limit),
 * so a reservation lapses only when its owner can no longer be writing.
 */
export const RESERVATION_SECONDS = 60;

/** Seconds a client waits before it sends again a request whose key is held by the same request under way. */
export const IN_PROGRESS_RETRY_AFTER_SECONDS = 1;

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
 * crash cannot separate them, or, for a write idempotent by its own business id, right after it:
 * such a write first reserves the key (a conditional put of the request's hash, alone or in its
 * own transaction) before or as it writes anything, so of two requests under one key at once only one writes; the other is
 * answered 409 `REQUEST_IN_PROGRESS` (the same body: send it again after `Retry-After`) or 422
 * (another body). A write that fails releases its reservation; one whose function died leaves it
 * until it lapses (`RESERVATION_SECONDS`), and the same request then runs again, which its
 * business id makes book nothing twice.
 */
export async function runIdempotent(
  store: IdempotencyStore,
  scope: IdempotencyScope & { body: unknown; now: string },
  write: (seal: Seal, reservation: KeyReservation) => Promise<void>,
): Promise<StoredResponse> {
  const scopeKey = idempotencyScopeKey(scope);
  const requestHash = sha256(canonicalJson(scope.body));
  const nowEpochSeconds = Math.floor(Date.parse(scope.now) / 1000);
  const earlier = await store.get(scopeKey);
  if (earlier && !lapsed(earlier, nowEpochSeconds)) return answerOf(earlier, requestHash);
  let sealed: IdempotencyRecord | undefined;
  const seal: Seal = (statusCode, body) => {
    sealed = { scopeKey, requestHash, statusCode, responseBody: toJson(body), createdAt: scope.now, expiresAtEpochSeconds: expiresAtEpochSeconds(scope.now) };
    return sealed;
  };
  let reservation: IdempotencyReservation | undefined;
  const taking = (): IdempotencyReservation => ({
    scopeKey,
    requestHash,
    state: 'IN_PROGRESS',
    reservedAt: scope.now,
    reservedUntilEpochSeconds: nowEpochSeconds + RESERVATION_SECONDS,
    expiresAtEpochSeconds: expiresAtEpochSeconds(scope.now),
  });
  const keyReservation: KeyReservation = {
    async take() {
      if (reservation) return;
      const taken = taking();
      await store.reserve(taken, nowEpochSeconds);
      reservation = taken;
    },
    // Written by the write's transaction, or not at all: released below only if it is there.
    inTransaction() {
      reservation ??= taking();
      return reservation;
    },
  };
  try {
    await write(seal, keyReservation);
  } catch (error) {
    // Nothing to answer: the key is free again. Should the release fail too, the reservation lapses.
    if (reservation) await store.release(reservation, nowEpochSeconds).catch(() => undefined);
    if (error instanceof WriteConflict && error.reason === 'IDEMPOTENCY_KEY') {
      const winner = await store.get(scopeKey);
      if (winner) return answerOf(winner, requestHash);
    }
    throw error;
  }
  if (!sealed) throw new Error('a write must seal its response');
  return { statusCode: sealed.statusCode, body: sealed.responseBody, replayed: false };
}

/** A reservation whose owner can no longer be writing: the key is free for the same request, or another. */
function lapsed(entry: IdempotencyEntry, nowEpochSeconds: number): boolean {
  return isReservation(entry) && entry.reservedUntilEpochSeconds < nowEpochSeconds;
}

/** What a request finds under its key: the first answer replayed, the same request under way (409), or another request (422). */
function answerOf(entry: IdempotencyEntry, requestHash: string): StoredResponse {
  if (entry.requestHash !== requestHash) {
    throw new HttpError(422, 'IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with a different request body; nothing was changed', {
      path: 'headers.Idempotency-Key',
      rule: 'same-key-same-body',
    });
  }
  if (isReservation(entry)) {
    throw new HttpError(
      409,
      'REQUEST_IN_PROGRESS',
      'the same request with this Idempotency-Key is being processed; nothing was changed by this one: send it again after Retry-After to get its answer',
      { path: 'headers.Idempotency-Key', rule: 'one-request-at-a-time', retryAfterSeconds: IN_PROGRESS_RETRY_AFTER_SECONDS },
      { 'retry-after': String(IN_PROGRESS_RETRY_AFTER_SECONDS) },
    );
  }
  return { statusCode: entry.statusCode, body: entry.responseBody, replayed: true };
}
