import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvariantViolation, ValidationError } from '../../../../shared/domain/errors.ts';
import { overlapEndsAt, registered, rotated, signingKeys, WEBHOOK_SECRET_OVERLAP_HOURS, type WebhookSecretSet } from '../../../../shared/domain/webhook-secret.ts';
import { thrownBy } from '../../../support/expect-error.ts';

const A = 'whsec-a-0123456789abcdef0123456789abcdef';
const B = 'whsec-b-0123456789abcdef0123456789abcdef';
const C = 'whsec-c-0123456789abcdef0123456789abcdef';
const T1 = '2025-03-01T00:00:00.000Z';
const T2 = '2025-03-02T12:00:00.000Z';

describe('registered', () => {
  it('stores a first secret as version 1, and the same secret again changes nothing', () => {
    const set = registered(null, A, T1);
    expect(set).toEqual({ current: { version: 1, secret: A, since: T1 }, previous: null });
    expect(registered(set, A, T2)).toBe(set);
  });

  it('replaces a secret a registration that did not finish left, with no overlap', () => {
    expect(registered(registered(null, A, T1), B, T2)).toEqual({ current: { version: 2, secret: B, since: T2 }, previous: null });
  });

  it('refuses a short or long secret naming the field and the rule', () => {
    const error = thrownBy(ValidationError, () => registered(null, 'x'.repeat(31), T1));
    expect(error.details).toEqual({ path: 'webhook.secret', rule: 'webhook-secret-length', length: 31 });
    expect(thrownBy(ValidationError, () => registered(null, 'x'.repeat(257), T1)).details).toMatchObject({ length: 257 });
  });
});

describe('rotated and signingKeys', () => {
  const first = registered(null, A, T1);

  it('keeps the replaced secret signing after the new one until 24 hours after the rotation, not a millisecond longer', () => {
    const set = rotated(first, B, T2);
    expect(set).toEqual({ current: { version: 2, secret: B, since: T2 }, previous: { version: 1, secret: A, replacedAt: T2 } });
    expect(WEBHOOK_SECRET_OVERLAP_HOURS).toBe(24);
    expect(overlapEndsAt(set)).toBe('2025-03-03T12:00:00.000Z');
    expect(signingKeys(set, T2)).toEqual([{ version: 2, secret: B }, { version: 1, secret: A }]);
    expect(signingKeys(set, '2025-03-03T11:59:59.999Z')).toEqual([{ version: 2, secret: B }, { version: 1, secret: A }]);
    expect(signingKeys(set, '2025-03-03T12:00:00.000Z')).toEqual([{ version: 2, secret: B }]);
    expect(overlapEndsAt(first)).toBeNull();
  });

  it('rotating to the secret in force is no rotation; a second rotation drops the oldest', () => {
    const set = rotated(first, B, T2);
    expect(rotated(set, B, '2025-03-02T13:00:00.000Z')).toBe(set);
    expect(rotated(set, C, '2025-03-02T13:00:00.000Z')).toEqual({
      current: { version: 3, secret: C, since: '2025-03-02T13:00:00.000Z' },
      previous: { version: 2, secret: B, replacedAt: '2025-03-02T13:00:00.000Z' },
    });
  });

  it('refuses a rotation dated before the secret it replaces, and a short secret naming the field', () => {
    thrownBy(InvariantViolation, () => rotated(rotated(first, B, T2), C, T1));
    expect(thrownBy(ValidationError, () => rotated(first, 'short', T2)).details).toEqual({ path: 'secret', rule: 'webhook-secret-length', length: 5 });
  });

  it('property: whatever the rotations, versions rise by one per new secret, the current key signs first, and at most two keys sign', () => {
    const secret = fc.string({ minLength: 32, maxLength: 40 });
    fc.assert(
      fc.property(secret, fc.array(fc.tuple(secret, fc.integer({ min: 0, max: 72 * 3_600_000 })), { maxLength: 12 }), fc.integer({ min: 0, max: 72 * 3_600_000 }), (start, steps, probeAfterMs) => {
        let set: WebhookSecretSet = registered(null, start, T1);
        let atMs = Date.parse(T1);
        let distinct = 1;
        for (const [next, afterMs] of steps) {
          atMs += afterMs;
          const before = set;
          set = rotated(set, next, new Date(atMs).toISOString());
          if (next !== before.current.secret) distinct++;
        }
        expect(set.current.version).toBe(distinct);
        const probeMs = atMs + probeAfterMs;
        const keys = signingKeys(set, new Date(probeMs).toISOString());
        expect(keys[0]).toEqual({ version: set.current.version, secret: set.current.secret });
        const overlapping = set.previous !== null && probeMs < Date.parse(set.previous.replacedAt) + 24 * 3_600_000;
        expect(keys).toEqual(overlapping && set.previous !== null ? [keys[0], { version: set.previous.version, secret: set.previous.secret }] : [keys[0]]);
      }),
    );
  });
});
