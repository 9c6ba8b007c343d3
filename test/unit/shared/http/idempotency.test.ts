import { describe, expect, it, vi } from 'vitest';
import { HttpError } from '../../../../shared/http/errors.ts';
import { IDEMPOTENCY_WINDOW_SECONDS, RESERVATION_SECONDS, idempotencyScopeKey, parseIdempotencyKey, runIdempotent, expiresAtEpochSeconds } from '../../../../shared/http/idempotency.ts';
import type { KeyReservation, Seal } from '../../../../shared/ports/stores.ts';
import { canonicalJson, sha256 } from '../../../../shared/json.ts';
import { WriteConflict } from '../../../../shared/ports/stores.ts';
import { NOW } from '../../../support/builders.ts';
import { rejectedBy, thrownBy } from '../../../support/expect-error.ts';
import { InMemoryDb, InMemoryIdempotencyStore } from '../../../support/in-memory-stores.ts';

const KEY = 'book-LN-0001-attempt';
const SCOPE_KEY = `bookLoan#lead-ops#${KEY}`;

function setup() {
  const db = new InMemoryDb();
  return { db, store: new InMemoryIdempotencyStore(db) };
}

function scope(body: unknown, key = KEY) {
  return { operation: 'bookLoan', clientId: 'lead-ops', userId: 'lead-ops', key, body, now: NOW };
}

/** A write that stores its record through the store, as the real writes do in their transaction. */
function writeThrough(store: InMemoryIdempotencyStore, body: unknown) {
  return vi.fn(async (seal: Seal) => {
    await store.put(seal(201, body));
  });
}

describe('parseIdempotencyKey', () => {
  it('accepts 8-128 letters, digits and . _ : -', () => {
    expect(parseIdempotencyKey('abcd-123')).toBe('abcd-123');
    expect(parseIdempotencyKey('a'.repeat(128))).toBe('a'.repeat(128));
    expect(parseIdempotencyKey('2025-03-01T02:00:00.000Z_x')).toBe('2025-03-01T02:00:00.000Z_x');
  });

  it('requires the header', () => {
    for (const missing of [undefined, '']) {
      const error = thrownBy(HttpError, () => parseIdempotencyKey(missing));
      expect([error.statusCode, error.code]).toEqual([400, 'IDEMPOTENCY_KEY_REQUIRED']);
      expect(error.details).toEqual({ path: 'headers.Idempotency-Key', rule: 'required' });
    }
  });

  it.each(['short', 'a'.repeat(129), 'has space x', 'key#with#hash', 'ключ-12345'])('refuses %j', (key) => {
    const error = thrownBy(HttpError, () => parseIdempotencyKey(key));
    expect([error.statusCode, error.code, error.details.path]).toEqual([400, 'VALIDATION_FAILED', 'headers.Idempotency-Key']);
  });
});

describe('runIdempotent', () => {
  it('runs the first write and stores its sealed response', async () => {
    const { db, store } = setup();
    const body = { loanId: 'LN-1', principalMinor: '1000000' };
    const write = writeThrough(store, { loanId: 'LN-1', principalMinor: 1_000_000n });
    const result = await runIdempotent(store, scope(body), write);
    expect(result).toEqual({ statusCode: 201, body: '{"loanId":"LN-1","principalMinor":"1000000"}', replayed: false });
    expect(write).toHaveBeenCalledTimes(1);
    expect(db.idempotency.get(SCOPE_KEY)).toEqual({
      scopeKey: SCOPE_KEY,
      requestHash: sha256(canonicalJson(body)),
      statusCode: 201,
      responseBody: '{"loanId":"LN-1","principalMinor":"1000000"}',
      createdAt: NOW,
      // Seven days after NOW, in seconds since the epoch: the table's time to live.
      expiresAtEpochSeconds: Date.parse(NOW) / 1000 + 604_800,
    });
  });

  it('replays the identical body for the same key and body, without writing again', async () => {
    const { store } = setup();
    const body = { loanId: 'LN-1', principalMinor: '1000000' };
    const first = await runIdempotent(store, scope(body), writeThrough(store, { n: 1 }));
    const again = writeThrough(store, { n: 2 });
    const replay = await runIdempotent(store, { ...scope({ principalMinor: '1000000', loanId: 'LN-1' }), now: '2025-03-02T00:00:00.000Z' }, again);
    expect(replay).toEqual({ statusCode: first.statusCode, body: first.body, replayed: true });
    expect(again).not.toHaveBeenCalled();
  });

  it('refuses the same key with another body with 422 IDEMPOTENCY_KEY_REUSED, and does not write', async () => {
    const { db, store } = setup();
    await runIdempotent(store, scope({ principalMinor: '1000000' }), writeThrough(store, { n: 1 }));
    const stored = db.idempotency.get(SCOPE_KEY);
    const second = writeThrough(store, { n: 2 });
    const error = await rejectedBy(HttpError, () => runIdempotent(store, scope({ principalMinor: '1000001' }), second));
    expect([error.statusCode, error.code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
    expect(error.details).toEqual({ path: 'headers.Idempotency-Key', rule: 'same-key-same-body' });
    expect(second).not.toHaveBeenCalled();
    expect(db.idempotency.get(SCOPE_KEY)).toEqual(stored);
  });

  it('scopes keys by operation, client and user', async () => {
    const { db, store } = setup();
    await runIdempotent(store, scope({ a: 1 }), writeThrough(store, { n: 1 }));
    const other = await runIdempotent(store, { ...scope({ a: 2 }), clientId: 'another-client', userId: 'another-client' }, writeThrough(store, { n: 2 }));
    expect(other).toEqual({ statusCode: 201, body: '{"n":2}', replayed: false });
    const otherOperation = await runIdempotent(store, { ...scope({ a: 3 }), operation: 'createLender' }, writeThrough(store, { n: 3 }));
    expect(otherOperation.replayed).toBe(false);
    // Two users of one console client, the same key: two writes, each replayed to its own user only.
    const wang = { ...scope({ a: 4 }), clientId: 'console', userId: 'fin.wang' };
    const li = { ...scope({ a: 5 }), clientId: 'console', userId: 'fin.li' };
    expect(await runIdempotent(store, wang, writeThrough(store, { by: 'wang' }))).toEqual({ statusCode: 201, body: '{"by":"wang"}', replayed: false });
    expect(await runIdempotent(store, li, writeThrough(store, { by: 'li' }))).toEqual({ statusCode: 201, body: '{"by":"li"}', replayed: false });
    expect(await runIdempotent(store, wang, writeThrough(store, { by: 'never' }))).toEqual({ statusCode: 201, body: '{"by":"wang"}', replayed: true });
    expect([...db.idempotency.keys()]).toEqual([SCOPE_KEY, `bookLoan#another-client#${KEY}`, `createLender#lead-ops#${KEY}`, `bookLoan#console#fin.wang#${KEY}`, `bookLoan#console#fin.li#${KEY}`]);
  });

  it('names the record by client alone for a client acting for itself, and by client and user for a user', () => {
    expect(idempotencyScopeKey({ operation: 'op', clientId: 'c', userId: 'c', key: 'k' })).toBe('op#c#k');
    expect(idempotencyScopeKey({ operation: 'op', clientId: 'c', userId: 'u', key: 'k' })).toBe('op#c#u#k');
  });

  it('keeps a record seven days: longer than any retry', () => {
    expect(IDEMPOTENCY_WINDOW_SECONDS).toBe(7 * 86_400);
    expect(expiresAtEpochSeconds('2026-11-20T08:00:00.000Z')).toBe(Date.parse('2026-11-27T08:00:00.000Z') / 1000);
  });

  it('replays the winner when it loses the race for the key', async () => {
    const { db, store } = setup();
    const body = { loanId: 'LN-1' };
    const winner = { scopeKey: SCOPE_KEY, requestHash: sha256(canonicalJson(body)), statusCode: 201, responseBody: '{"winner":true}', createdAt: NOW, expiresAtEpochSeconds: expiresAtEpochSeconds(NOW) };
    const loser = vi.fn(async (seal: Seal) => {
      seal(201, { winner: false });
      db.idempotency.set(SCOPE_KEY, winner); // the other request committed in between
      throw new WriteConflict('IDEMPOTENCY_KEY', 'idempotency');
    });
    expect(await runIdempotent(store, scope(body), loser)).toEqual({ statusCode: 201, body: '{"winner":true}', replayed: true });
  });

  it('refuses with 422 when the winner of the race had another body', async () => {
    const { db, store } = setup();
    const winner = { scopeKey: SCOPE_KEY, requestHash: sha256(canonicalJson({ loanId: 'LN-2' })), statusCode: 201, responseBody: '{}', createdAt: NOW, expiresAtEpochSeconds: expiresAtEpochSeconds(NOW) };
    const loser = async () => {
      db.idempotency.set(SCOPE_KEY, winner);
      throw new WriteConflict('IDEMPOTENCY_KEY', 'idempotency');
    };
    expect((await rejectedBy(HttpError, () => runIdempotent(store, scope({ loanId: 'LN-1' }), loser))).code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('lets other conflicts and errors through', async () => {
    const { store } = setup();
    const exists = await rejectedBy(WriteConflict, () =>
      runIdempotent(store, scope({ a: 1 }), async () => {
        throw new WriteConflict('ALREADY_EXISTS', 'loan');
      }),
    );
    expect([exists.reason, exists.entity]).toEqual(['ALREADY_EXISTS', 'loan']);
    const boom = new Error('network');
    await expect(runIdempotent(store, scope({ a: 1 }), () => Promise.reject(boom))).rejects.toBe(boom);
  });

  describe('a write that reserves its key before it writes (recorded after, by its business id)', () => {
    const later = (seconds: number) => new Date(Date.parse(NOW) + seconds * 1000).toISOString();
    /** A write idempotent by its own id: it reserves the key, "books" (a call counted), then records its answer. */
    function booking(store: InMemoryIdempotencyStore, booked: string[], id: string, during?: () => Promise<void>) {
      return async (seal: Seal, reservation: KeyReservation) => {
        await reservation.take();
        await reservation.take(); // taken once per request, however often asked
        booked.push(id);
        await during?.();
        await store.put(seal(200, { id }));
      };
    }

    it('stores the reservation (hash, instant, lapse) before the write, then the answer over it', async () => {
      const { db, store } = setup();
      const body = { repaymentId: 'RP-1' };
      let seen: unknown;
      const result = await runIdempotent(store, scope(body), booking(store, [], 'RP-1', async () => {
        seen = db.keyReservations.get(SCOPE_KEY);
      }));
      expect(seen).toEqual({
        scopeKey: SCOPE_KEY,
        requestHash: sha256(canonicalJson(body)),
        state: 'IN_PROGRESS',
        reservedAt: NOW,
        reservedUntilEpochSeconds: Date.parse(NOW) / 1000 + RESERVATION_SECONDS,
        expiresAtEpochSeconds: Date.parse(NOW) / 1000 + 604_800,
      });
      expect(result).toEqual({ statusCode: 200, body: '{"id":"RP-1"}', replayed: false });
      expect(db.keyReservations.size).toBe(0);
      expect(db.idempotency.get(SCOPE_KEY)?.responseBody).toBe('{"id":"RP-1"}');
    });

    it('a request with another body under a key reserved by one under way is refused with 422 and writes nothing', async () => {
      const { db, store } = setup();
      const booked: string[] = [];
      let second: Promise<unknown> | undefined;
      await runIdempotent(store, scope({ repaymentId: 'RP-1' }), booking(store, booked, 'RP-1', async () => {
        second = runIdempotent(store, scope({ repaymentId: 'RP-2' }), booking(store, booked, 'RP-2')).catch((e: unknown) => e);
        await second;
      }));
      const error = (await second) as HttpError;
      expect([error.statusCode, error.code, error.details]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED', { path: 'headers.Idempotency-Key', rule: 'same-key-same-body' }]);
      expect(booked).toEqual(['RP-1']);
      expect(db.idempotency.get(SCOPE_KEY)?.responseBody).toBe('{"id":"RP-1"}');
    });

    it('the same request under way is answered 409 REQUEST_IN_PROGRESS with Retry-After, then replayed once answered', async () => {
      const { store } = setup();
      const booked: string[] = [];
      let during: unknown;
      const body = { repaymentId: 'RP-1' };
      await runIdempotent(store, scope(body), booking(store, booked, 'RP-1', async () => {
        during = await runIdempotent(store, scope(body), booking(store, booked, 'RP-1')).catch((e: unknown) => e);
      }));
      const error = during as HttpError;
      expect([error.statusCode, error.code, error.headers]).toEqual([409, 'REQUEST_IN_PROGRESS', { 'retry-after': '1' }]);
      expect(error.details).toEqual({ path: 'headers.Idempotency-Key', rule: 'one-request-at-a-time', retryAfterSeconds: 1 });
      expect(await runIdempotent(store, scope(body), booking(store, booked, 'RP-1'))).toEqual({ statusCode: 200, body: '{"id":"RP-1"}', replayed: true });
      expect(booked).toEqual(['RP-1']);
    });

    it('a reservation left by a crash holds the key until it lapses; then the same request runs again', async () => {
      const { db, store } = setup();
      const booked: string[] = [];
      const body = { repaymentId: 'RP-1' };
      // The function dies after the booking, before its answer is recorded: it never comes back.
      void runIdempotent(store, scope(body), async (_, reservation) => {
        await reservation.take();
        booked.push('RP-1');
        await new Promise(() => undefined);
      });
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(db.keyReservations.get(SCOPE_KEY)?.reservedUntilEpochSeconds).toBe(Date.parse(NOW) / 1000 + RESERVATION_SECONDS);
      const held = await rejectedBy(HttpError, () => runIdempotent(store, { ...scope(body), now: later(RESERVATION_SECONDS) }, booking(store, booked, 'RP-1')));
      expect([held.statusCode, held.code]).toEqual([409, 'REQUEST_IN_PROGRESS']);
      const other = await rejectedBy(HttpError, () => runIdempotent(store, { ...scope({ repaymentId: 'RP-9' }), now: later(RESERVATION_SECONDS) }, booking(store, booked, 'RP-9')));
      expect([other.statusCode, other.code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
      const retried = await runIdempotent(store, { ...scope(body), now: later(RESERVATION_SECONDS + 1) }, booking(store, booked, 'RP-1'));
      expect(retried).toEqual({ statusCode: 200, body: '{"id":"RP-1"}', replayed: false });
      expect(booked).toEqual(['RP-1', 'RP-1']);
      expect(db.keyReservations.size).toBe(0);
    });

    it('a write that fails releases its reservation, so the same request may be sent again at once', async () => {
      const { db, store } = setup();
      const body = { repaymentId: 'RP-1' };
      const boom = new Error('throttled');
      await expect(runIdempotent(store, scope(body), async (_, reservation) => {
        await reservation.take();
        throw boom;
      })).rejects.toBe(boom);
      // Lapsed at once, and soon gone by the table's time to live.
      expect(db.keyReservations.get(SCOPE_KEY)).toMatchObject({ reservedUntilEpochSeconds: 0, expiresAtEpochSeconds: Date.parse(NOW) / 1000 });
      expect((await runIdempotent(store, scope(body), booking(store, [], 'RP-1'))).replayed).toBe(false);
      expect(db.keyReservations.size).toBe(0);
    });

    it('a reservation that goes in the write\'s own transaction is there only if the transaction is; a refusal after a lost one leaves nothing', async () => {
      const { db, store } = setup();
      const body = { reversalId: 'RV-2' };
      const refused = new HttpError(409, 'ALREADY_REVERSED', 'reversed by RV-1');
      await expect(runIdempotent(store, scope(body), async (_, reservation) => {
        const item = reservation.inTransaction();
        expect(item).toMatchObject({ scopeKey: SCOPE_KEY, requestHash: sha256(canonicalJson(body)), state: 'IN_PROGRESS', reservedAt: NOW });
        expect(reservation.inTransaction()).toBe(item); // one reservation per request
        throw refused; // its transaction lost to another change, and the change refused on the new head
      })).rejects.toBe(refused);
      expect([db.keyReservations.size, db.idempotency.size]).toEqual([0, 0]);
    });

    it('a write that refuses before it reserves leaves nothing behind', async () => {
      const { db, store } = setup();
      await expect(runIdempotent(store, scope({ a: 1 }), () => Promise.reject(new HttpError(404, 'NOT_FOUND', 'no loan')))).rejects.toThrow('no loan');
      expect([db.keyReservations.size, db.idempotency.size]).toEqual([0, 0]);
    });
  });

  it('refuses a write that does not seal its response', async () => {
    const { store } = setup();
    await expect(runIdempotent(store, scope({ a: 1 }), async () => undefined)).rejects.toThrow('a write must seal its response');
  });
});
