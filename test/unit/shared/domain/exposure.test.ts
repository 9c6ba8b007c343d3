import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvariantViolation, RuleViolation } from '../../../../shared/domain/errors.ts';
import {
  QUOTA_SHARDS,
  addBorrowerExposure,
  commitQuota,
  noBorrowerExposure,
  noBorrowerPrincipal,
  lenderOutstanding,
  outstandingMoveOf,
  principalMoves,
  quotaTotals,
  quotaUsageOf,
  releaseQuota,
  reserveQuota,
  takeQuota,
  type BorrowerExposure,
  type QuotaChange,
  type QuotaShard,
  type QuotaUsage,
  type Reservation,
} from '../../../../shared/domain/exposure.ts';
import type { FundingShare } from '../../../../shared/domain/loan.ts';
import { APPLICATION_ID, LEAD_ID, LOAN_ID, NOW, PARTNER_A, PARTNER_B, aBorrower, aLimits, aPartnerLender, aQuotaShard, lenderMap } from '../../../support/builders.ts';
import { thrownBy } from '../../../support/expect-error.ts';

/** Quota 1,000,000: 125,000 on each of the 8 shards. */
const QUOTA_MINOR = 1_000_000n;
const lender = aPartnerLender(PARTNER_A, { limits: aLimits({ exposureQuotaMinor: QUOTA_MINOR, perBorrowerCapMinor: QUOTA_MINOR }) });
const fresh = quotaUsageOf(lender, [], []);
const share = (lenderId: string, amountMinor: bigint, role: FundingShare['role'] = 'PARTNER'): FundingShare => ({ lenderId, amountMinor, role });
/** A shard of `lender`'s quota as stored. */
const shard = (n: number, overrides: Partial<QuotaShard> = {}): QuotaShard => aQuotaShard({ shard: n, allotmentMinor: 125_000n, ...overrides });

/** Keys whose start shard is pinned below (FNV-1a of the key, modulo 8). */
const KEY_AT_0 = APPLICATION_ID;
const KEY_AT_3 = LOAN_ID;
const KEY_AT_4 = 'a';
const KEY_AT_7 = 'h';

function shardOf(usage: QuotaUsage, n: number): QuotaShard {
  const found = usage.shards.find((s) => s.shard === n);
  if (!found) throw new Error(`the usage has no shard ${n}`);
  return found;
}

/** The usage after the changes are written. */
const withChanges = (usage: QuotaUsage, changes: readonly QuotaChange[]): QuotaUsage => ({
  ...usage,
  shards: usage.shards.map((s) => changes.find((c) => c.after.shard === s.shard)?.after ?? s),
});

/** FNV-1a over UTF-16 code units, computed here on its own as a check on the shard a key starts at. */
function fnv1a(key: string): number {
  let hash = 2_166_136_261;
  for (const unit of Array.from({ length: key.length }, (_, i) => key.charCodeAt(i))) {
    hash = (hash ^ unit) >>> 0;
    hash = Number((BigInt(hash) * 16_777_619n) % 4_294_967_296n);
  }
  return hash;
}

describe('quotaUsageOf', () => {
  it('splits a quota of 1,000,000,007 fen into 8 allotments summing to it exactly: the 7 odd fen go to shards 0-6', () => {
    const big = aPartnerLender(PARTNER_A, { limits: aLimits({ exposureQuotaMinor: 1_000_000_007n }) });
    const usage = quotaUsageOf(big, [], []);
    expect(QUOTA_SHARDS).toBe(8);
    expect(usage.lenderId).toBe(PARTNER_A);
    expect(usage.shards.map((s) => s.allotmentMinor)).toEqual([...Array<bigint>(7).fill(125_000_001n), 125_000_000n]);
    expect(usage.shards.reduce((sum, s) => sum + s.allotmentMinor, 0n)).toBe(1_000_000_007n);
    expect(usage.shards[0]).toEqual({ lenderId: PARTNER_A, shard: 0, allotmentMinor: 125_000_001n, reservedMinor: 0n, committedMinor: 0n, committedByLeadMinor: {}, version: 0 });
    expect(usage.shards.map((s) => [s.shard, s.version, s.reservedMinor, s.committedMinor])).toEqual(Array.from({ length: 8 }, (_, n) => [n, 0, 0n, 0n]));
  });

  it('gives a quota smaller than the shard count one fen per shard from shard 0, and a zero quota nothing', () => {
    const allotments = (quota: bigint) => quotaUsageOf(aPartnerLender(PARTNER_A, { limits: aLimits({ exposureQuotaMinor: quota }) }), [], []).shards.map((s) => s.allotmentMinor);
    expect(allotments(5n)).toEqual([1n, 1n, 1n, 1n, 1n, 0n, 0n, 0n]);
    expect(allotments(0n)).toEqual(Array<bigint>(8).fill(0n));
    expect(allotments(QUOTA_MINOR)).toEqual(Array<bigint>(8).fill(125_000n));
  });

  it('any quota: the allotments sum to it exactly and differ by at most one fen, the larger ones first', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 18n }), (quota) => {
        const allotments = quotaUsageOf(aPartnerLender(PARTNER_A, { limits: aLimits({ exposureQuotaMinor: quota }) }), [], []).shards.map((s) => s.allotmentMinor);
        expect(allotments).toHaveLength(QUOTA_SHARDS);
        expect(allotments.reduce((a, b) => a + b, 0n)).toBe(quota);
        const base = quota / 8n;
        expect(allotments).toEqual(Array.from({ length: 8 }, (_, n) => (BigInt(n) < quota % 8n ? base + 1n : base)));
      }),
    );
  });

  it('keeps the stored shards as they are, in shard order, and fills the others untouched at version 0', () => {
    const stored = [shard(5, { committedMinor: 70_000n, committedByLeadMinor: { [LEAD_ID]: 70_000n }, version: 4 }), shard(2, { reservedMinor: 10_000n, allotmentMinor: 99_000n, version: 1 })];
    const usage = quotaUsageOf(lender, stored, []);
    expect(usage.shards.map((s) => s.shard)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(shardOf(usage, 5)).toEqual(stored[0]);
    expect(shardOf(usage, 2)).toEqual(stored[1]);
    for (const n of [0, 1, 3, 4, 6, 7]) expect(shardOf(usage, n)).toEqual({ lenderId: PARTNER_A, shard: n, allotmentMinor: 125_000n, reservedMinor: 0n, committedMinor: 0n, committedByLeadMinor: {}, version: 0 });
  });
});

describe('quotaTotals', () => {
  it('sums reserved, committed and committed per lead over the shards', () => {
    const shards = [
      shard(0, { reservedMinor: 1n, committedMinor: 10n, committedByLeadMinor: { [LEAD_ID]: 10n } }),
      shard(3, { reservedMinor: 20n, committedMinor: 300n, committedByLeadMinor: { [LEAD_ID]: 100n, 'LEAD-2': 200n } }),
      shard(7, { reservedMinor: 4_000n, committedMinor: 0n }),
    ];
    expect(quotaTotals(shards)).toEqual({ reservedMinor: 4_021n, committedMinor: 310n, committedByLeadMinor: { [LEAD_ID]: 110n, 'LEAD-2': 200n } });
    expect(quotaTotals([])).toEqual({ reservedMinor: 0n, committedMinor: 0n, committedByLeadMinor: {} });
  });
});

describe('takeQuota', () => {
  it("starts at the shard the key hashes to (FNV-1a modulo 8, pinned: stored reservations name their shards)", () => {
    expect([KEY_AT_0, KEY_AT_3, KEY_AT_4, KEY_AT_7].map((key) => takeQuota(lender, fresh, 100n, key))).toEqual([
      [{ shard: 0, amountMinor: 100n }],
      [{ shard: 3, amountMinor: 100n }],
      [{ shard: 4, amountMinor: 100n }],
      [{ shard: 7, amountMinor: 100n }],
    ]);
    for (const key of [KEY_AT_0, KEY_AT_3, KEY_AT_4, KEY_AT_7, 'LN-2025-000002', 'APP-1', '', '贷款-一']) {
      expect(takeQuota(lender, fresh, 1n, key)).toEqual([{ shard: fnv1a(key) % 8, amountMinor: 1n }]);
    }
  });

  it('takes a whole shard exactly from it alone', () => {
    expect(takeQuota(lender, fresh, 125_000n, KEY_AT_3)).toEqual([{ shard: 3, amountMinor: 125_000n }]);
  });

  it('spills what its shard lacks into the next shards in order, wrapping after the last', () => {
    expect(takeQuota(lender, fresh, 300_000n, KEY_AT_7)).toEqual([
      { shard: 7, amountMinor: 125_000n },
      { shard: 0, amountMinor: 125_000n },
      { shard: 1, amountMinor: 50_000n },
    ]);
    expect(takeQuota(lender, fresh, 125_001n, KEY_AT_3)).toEqual([
      { shard: 3, amountMinor: 125_000n },
      { shard: 4, amountMinor: 1n },
    ]);
  });

  it('passes over shards with no room and takes what the others have left', () => {
    const usage = quotaUsageOf(lender, [
      shard(4, { committedMinor: 125_000n }),
      shard(5, { reservedMinor: 60_000n, committedMinor: 40_000n }),
      shard(6, { reservedMinor: 125_000n }),
    ], []);
    expect(takeQuota(lender, usage, 100_000n, KEY_AT_4)).toEqual([
      { shard: 5, amountMinor: 25_000n },
      { shard: 7, amountMinor: 75_000n },
    ]);
  });

  describe('with 40,000 left on each shard (480,000 committed, 200,000 reserved, 320,000 left in all)', () => {
    const tight = quotaUsageOf(
      lender,
      Array.from({ length: 8 }, (_, n) => shard(n, { reservedMinor: 25_000n, committedMinor: 60_000n, committedByLeadMinor: { [LEAD_ID]: 60_000n }, version: 3 })), []);

    it('takes all that is left, 40,000 from every shard from the key\'s shard on', () => {
      expect(takeQuota(lender, tight, 320_000n, KEY_AT_3)).toEqual([3, 4, 5, 6, 7, 0, 1, 2].map((n) => ({ shard: n, amountMinor: 40_000n })));
    });

    it('refuses one fen more than is left in all, with the figures, though no shard alone could take it anyway', () => {
      const error = thrownBy(RuleViolation, () => takeQuota(lender, tight, 320_001n, KEY_AT_3));
      expect([error.code, error.details]).toEqual([
        'EXPOSURE_QUOTA',
        { lenderId: PARTNER_A, rule: 'EXPOSURE_QUOTA', quotaMinor: '1000000', outstandingMinor: '480000', reservedMinor: '200000', requestedMinor: '320001' },
      ]);
      expect(error.message).toBe(`lender ${PARTNER_A} has 320000 of its exposure quota left, not 320001`);
    });
  });

  it('refuses anything from a full quota, and takes nothing for nothing', () => {
    const full = quotaUsageOf(lender, Array.from({ length: 8 }, (_, n) => shard(n, { committedMinor: 125_000n })), []);
    const error = thrownBy(RuleViolation, () => takeQuota(lender, full, 1n, KEY_AT_0));
    expect([error.code, error.details.outstandingMinor, error.details.reservedMinor, error.message]).toEqual(['EXPOSURE_QUOTA', '1000000', '0', `lender ${PARTNER_A} has 0 of its exposure quota left, not 1`]);
    expect(takeQuota(lender, full, 0n, KEY_AT_0)).toEqual([]);
  });

  it('any usage and amount: takes exactly the amount from distinct shards in ring order from the key\'s shard, never beyond a shard\'s room', () => {
    const usages = fc.array(fc.tuple(fc.bigInt({ min: 0n, max: 125_000n }), fc.bigInt({ min: 0n, max: 125_000n })), { minLength: 8, maxLength: 8 }).map((held) =>
      quotaUsageOf(
        lender,
        held.map(([a, b], n) => (a + b <= 125_000n ? shard(n, { reservedMinor: a, committedMinor: b }) : shard(n, { reservedMinor: a, committedMinor: 125_000n - a }))), []),
    );
    fc.assert(
      fc.property(usages, fc.bigInt({ min: 1n, max: QUOTA_MINOR }), fc.string(), (usage, amount, key) => {
        const left = usage.shards.reduce((n, s) => n + s.allotmentMinor - s.reservedMinor - s.committedMinor, 0n);
        if (amount > left) {
          expect(thrownBy(RuleViolation, () => takeQuota(lender, usage, amount, key)).code).toBe('EXPOSURE_QUOTA');
          return;
        }
        const takes = takeQuota(lender, usage, amount, key);
        expect(takes.reduce((n, t) => n + t.amountMinor, 0n)).toBe(amount);
        const start = fnv1a(key) % 8;
        const ring = takes.map((t) => (t.shard - start + 8) % 8);
        expect(ring).toEqual([...ring].sort((a, b) => a - b));
        expect(new Set(ring).size).toBe(ring.length);
        for (const t of takes) {
          const s = shardOf(usage, t.shard);
          expect(t.amountMinor > 0n && t.amountMinor <= s.allotmentMinor - s.reservedMinor - s.committedMinor).toBe(true);
        }
        // Every shard passed over before the last one taken from was emptied or had no room.
        const last = ring.at(-1) ?? 0;
        for (let i = 0; i < last; i++) {
          const s = shardOf(usage, (start + i) % 8);
          const taken = takes.find((t) => t.shard === s.shard)?.amountMinor ?? 0n;
          expect(taken).toBe(s.allotmentMinor - s.reservedMinor - s.committedMinor);
        }
      }),
    );
  });
});

describe('reserveQuota', () => {
  const usage = quotaUsageOf(lender, [shard(7, { committedMinor: 5_000n, committedByLeadMinor: { [LEAD_ID]: 5_000n }, version: 3 })], []);

  it('holds each take on its shard, one version up, and touches no other shard', () => {
    const takes = takeQuota(lender, usage, 300_000n, KEY_AT_7);
    expect(takes).toEqual([
      { shard: 7, amountMinor: 120_000n },
      { shard: 0, amountMinor: 125_000n },
      { shard: 1, amountMinor: 55_000n },
    ]);
    expect(reserveQuota(usage, takes)).toEqual([
      {
        before: shardOf(usage, 7),
        after: { lenderId: PARTNER_A, shard: 7, allotmentMinor: 125_000n, reservedMinor: 120_000n, committedMinor: 5_000n, committedByLeadMinor: { [LEAD_ID]: 5_000n }, version: 4 },
      },
      { before: shardOf(fresh, 0), after: { ...shardOf(fresh, 0), reservedMinor: 125_000n, version: 1 } },
      { before: shardOf(fresh, 1), after: { ...shardOf(fresh, 1), reservedMinor: 55_000n, version: 1 } },
    ]);
  });

  it('leaves the usage it was given unchanged', () => {
    const before = structuredClone(usage);
    reserveQuota(usage, [{ shard: 7, amountMinor: 1n }]);
    expect(usage).toEqual(before);
  });

  it('refuses a take that names no shard of the quota', () => {
    expect(thrownBy(InvariantViolation, () => reserveQuota(usage, [{ shard: 8, amountMinor: 1n }])).details).toEqual({ lenderId: PARTNER_A, shard: 8 });
  });
});

describe('releaseQuota', () => {
  const usage = quotaUsageOf(lender, [
    shard(2, { reservedMinor: 100_000n, committedMinor: 25_000n, version: 6 }),
    shard(3, { reservedMinor: 30_000n, version: 2 }),
    shard(4, { reservedMinor: 90_000n, version: 9 }),
  ], []);

  it('gives back exactly to the shards the reservation came from, one version up', () => {
    expect(
      releaseQuota(usage, [
        { shard: 2, amountMinor: 100_000n },
        { shard: 3, amountMinor: 10_000n },
      ]),
    ).toEqual([
      { before: shardOf(usage, 2), after: { ...shardOf(usage, 2), reservedMinor: 0n, version: 7 } },
      { before: shardOf(usage, 3), after: { ...shardOf(usage, 3), reservedMinor: 20_000n, version: 3 } },
    ]);
  });

  it('never gives back more than a shard holds', () => {
    const error = thrownBy(InvariantViolation, () => releaseQuota(usage, [{ shard: 3, amountMinor: 30_001n }]));
    expect(error.details).toEqual({ lenderId: PARTNER_A, shard: 3 });
    expect(thrownBy(InvariantViolation, () => releaseQuota(usage, [{ shard: 5, amountMinor: 1n }])).details).toEqual({ lenderId: PARTNER_A, shard: 5 });
  });
});

describe('commitQuota', () => {
  /** 300,000 reserved for the application from shards 7, 0 and 1; the other 700,000 committed by a direct booking. */
  const takes = takeQuota(lender, fresh, 300_000n, KEY_AT_7);
  const reservation: Reservation = { applicationId: APPLICATION_ID, lenderId: PARTNER_A, amountMinor: 300_000n, takes, state: 'RESERVED', at: NOW };
  const reserved = withChanges(fresh, reserveQuota(fresh, takes));
  const full = withChanges(reserved, commitQuota(lender, reserved, share(PARTNER_A, 700_000n), LEAD_ID, null, KEY_AT_3));

  it('a direct booking takes from its key\'s shard on, passing over the shards a reservation holds', () => {
    expect(commitQuota(lender, reserved, share(PARTNER_A, 700_000n), LEAD_ID, null, KEY_AT_3).map((c) => [c.after.shard, c.after.committedMinor, c.after.reservedMinor, c.after.version])).toEqual([
      [3, 125_000n, 0n, 1],
      [4, 125_000n, 0n, 1],
      [5, 125_000n, 0n, 1],
      [6, 125_000n, 0n, 1],
      [1, 75_000n, 50_000n, 2],
      [2, 125_000n, 0n, 1],
    ]);
    expect(quotaTotals(full.shards)).toEqual({ reservedMinor: 300_000n, committedMinor: 700_000n, committedByLeadMinor: { [LEAD_ID]: 700_000n } });
  });

  it("moves a reserved part from reserved to committed on exactly the reservation's shards, though nothing is left beside it", () => {
    expect(() => takeQuota(lender, full, 1n, KEY_AT_0)).toThrow(RuleViolation);
    const changes = commitQuota(lender, full, share(PARTNER_A, 300_000n), LEAD_ID, reservation, LOAN_ID);
    expect(changes).toEqual([
      { before: shardOf(full, 7), after: { ...shardOf(full, 7), reservedMinor: 0n, committedMinor: 125_000n, committedByLeadMinor: { [LEAD_ID]: 125_000n }, version: 2 } },
      { before: shardOf(full, 0), after: { ...shardOf(full, 0), reservedMinor: 0n, committedMinor: 125_000n, committedByLeadMinor: { [LEAD_ID]: 125_000n }, version: 2 } },
      { before: shardOf(full, 1), after: { ...shardOf(full, 1), reservedMinor: 0n, committedMinor: 125_000n, committedByLeadMinor: { [LEAD_ID]: 125_000n }, version: 3 } },
    ]);
    expect(shardOf(full, 1)).toMatchObject({ reservedMinor: 50_000n, committedMinor: 75_000n, version: 2 });
    expect(quotaTotals(withChanges(full, changes).shards)).toEqual({ reservedMinor: 0n, committedMinor: QUOTA_MINOR, committedByLeadMinor: { [LEAD_ID]: QUOTA_MINOR } });
  });

  it("a reserved part goes where its reservation is, whatever the booking's key", () => {
    for (const key of [KEY_AT_0, KEY_AT_3, KEY_AT_4]) {
      expect(commitQuota(lender, full, share(PARTNER_A, 300_000n), LEAD_ID, reservation, key).map((c) => c.after.shard)).toEqual([7, 0, 1]);
    }
  });

  it('without a reservation, commits what is left exactly and refuses one fen more', () => {
    const usage = quotaUsageOf(lender, Array.from({ length: 8 }, (_, n) => shard(n, { committedMinor: n < 4 ? 125_000n : 100_000n, committedByLeadMinor: { [LEAD_ID]: n < 4 ? 125_000n : 100_000n }, version: 2 })), []);
    expect(commitQuota(lender, usage, share(PARTNER_A, 100_000n), LEAD_ID, null, KEY_AT_0)).toEqual(
      [4, 5, 6, 7].map((n) => ({
        before: shardOf(usage, n),
        after: { ...shardOf(usage, n), committedMinor: 125_000n, committedByLeadMinor: { [LEAD_ID]: 125_000n }, version: 3 },
      })),
    );
    const error = thrownBy(RuleViolation, () => commitQuota(lender, usage, share(PARTNER_A, 100_001n), LEAD_ID, null, KEY_AT_0));
    expect([error.code, error.details]).toEqual([
      'EXPOSURE_QUOTA',
      { lenderId: PARTNER_A, rule: 'EXPOSURE_QUOTA', quotaMinor: '1000000', outstandingMinor: '900000', reservedMinor: '0', requestedMinor: '100001' },
    ]);
  });

  it('keeps a total per lead institution on each shard', () => {
    const usage = quotaUsageOf(lender, [shard(3, { committedMinor: 60_000n, committedByLeadMinor: { [LEAD_ID]: 50_000n, 'LEAD-2': 10_000n }, version: 5 })], []);
    expect(commitQuota(lender, usage, share(PARTNER_A, 30_000n), 'LEAD-2', null, KEY_AT_3).map((c) => c.after.committedByLeadMinor)).toEqual([{ [LEAD_ID]: 50_000n, 'LEAD-2': 40_000n }]);
    expect(commitQuota(lender, usage, share(PARTNER_A, 30_000n), 'LEAD-3', null, KEY_AT_3).map((c) => c.after.committedByLeadMinor)).toEqual([{ [LEAD_ID]: 50_000n, 'LEAD-2': 10_000n, 'LEAD-3': 30_000n }]);
    expect(commitQuota(lender, usage, share(PARTNER_A, 70_000n), 'LEAD-3', null, KEY_AT_3).map((c) => [c.after.shard, c.after.committedByLeadMinor])).toEqual([
      [3, { [LEAD_ID]: 50_000n, 'LEAD-2': 10_000n, 'LEAD-3': 65_000n }],
      [4, { 'LEAD-3': 5_000n }],
    ]);
  });

  it('refuses a reservation that does not cover its part exactly, or whose shard no longer holds it', () => {
    expect(thrownBy(InvariantViolation, () => commitQuota(lender, full, share(PARTNER_A, 300_001n), LEAD_ID, reservation, LOAN_ID)).details).toEqual({ lenderId: PARTNER_A });
    const releasedOn0 = withChanges(full, releaseQuota(full, [{ shard: 0, amountMinor: 125_000n }]));
    expect(thrownBy(InvariantViolation, () => commitQuota(lender, releasedOn0, share(PARTNER_A, 300_000n), LEAD_ID, reservation, LOAN_ID)).details).toEqual({ lenderId: PARTNER_A, shard: 0 });
  });
});

/** One step of the property below. A stale step decides on what was read before the step before it. */
type Step =
  | { readonly kind: 'reserve'; readonly amountMinor: bigint; readonly key: string; readonly stale: boolean }
  | { readonly kind: 'release'; readonly pick: number; readonly stale: boolean }
  | { readonly kind: 'commitReserved'; readonly pick: number; readonly stale: boolean }
  | { readonly kind: 'commitDirect'; readonly amountMinor: bigint; readonly key: string; readonly stale: boolean };

const amountArb = fc.oneof(fc.bigInt({ min: 1n, max: 400_000n }), fc.bigInt({ min: 1n, max: 300n }));
const keyArb = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom(KEY_AT_0, KEY_AT_3, KEY_AT_4, KEY_AT_7));
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('reserve' as const), amountMinor: amountArb, key: keyArb, stale: fc.boolean() }), weight: 3 },
  fc.record({ kind: fc.constant('release' as const), pick: fc.nat(), stale: fc.boolean() }),
  fc.record({ kind: fc.constant('commitReserved' as const), pick: fc.nat(), stale: fc.boolean() }),
  fc.record({ kind: fc.constant('commitDirect' as const), amountMinor: amountArb, key: keyArb, stale: fc.boolean() }),
);

describe('quota shards under any sequence of reservations, releases and commitments', () => {
  it("never hold more than their allotments, nor in all more than the quota; races are refused on the shard's version", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 1_500_000n }), fc.array(stepArb, { maxLength: 40 }), (quotaMinor, steps) => {
        const subject = aPartnerLender(PARTNER_A, { limits: aLimits({ exposureQuotaMinor: quotaMinor }) });
        const stored = new Map<number, QuotaShard>();
        const read = () => quotaUsageOf(subject, [...stored.values()], []);
        /** All or nothing, each shard on the version it was read at, as the stores write. */
        const write = (changes: readonly QuotaChange[]): boolean => {
          expect(new Set(changes.map((c) => c.after.shard)).size).toBe(changes.length);
          if (changes.some((c) => (stored.get(c.after.shard)?.version ?? 0) !== c.before.version)) return false;
          for (const c of changes) stored.set(c.after.shard, c.after);
          return true;
        };
        const held: { reservation: Reservation; step: number }[] = [];
        let committedMinor = 0n;
        let previous = read();

        steps.forEach((step, i) => {
          const current = read();
          const usage = step.stale ? previous : current;
          const left = quotaMinor - quotaTotals(current.shards).committedMinor - quotaTotals(current.shards).reservedMinor;
          if (step.kind === 'reserve' || step.kind === 'commitDirect') {
            let takes: QuotaChange[];
            try {
              takes =
                step.kind === 'reserve'
                  ? reserveQuota(usage, takeQuota(subject, usage, step.amountMinor, step.key))
                  : commitQuota(subject, usage, share(PARTNER_A, step.amountMinor), LEAD_ID, null, step.key);
            } catch (error) {
              expect(error).toBeInstanceOf(RuleViolation);
              if (!step.stale) expect(step.amountMinor > left).toBe(true);
              takes = [];
            }
            if (!step.stale && takes.length > 0) expect(step.amountMinor <= left).toBe(true);
            const written = takes.length > 0 && write(takes);
            if (!step.stale && takes.length > 0) expect(written).toBe(true);
            if (written && step.kind === 'reserve') {
              const amounts = takes.map((c) => ({ shard: c.after.shard, amountMinor: c.after.reservedMinor - c.before.reservedMinor }));
              held.push({ reservation: { applicationId: `APP-${i}`, lenderId: PARTNER_A, amountMinor: step.amountMinor, takes: amounts, state: 'RESERVED', at: NOW }, step: i });
            }
            if (written && step.kind === 'commitDirect') committedMinor += step.amountMinor;
          } else if (held.length > 0) {
            const index = step.pick % held.length;
            const picked = held[index];
            if (!picked) throw new Error('a held reservation is picked');
            // A reservation is read before the shards, so no decision sees shards older than it.
            const seen = step.stale && picked.step < i - 1 ? previous : current;
            const changes =
              step.kind === 'release'
                ? releaseQuota(seen, picked.reservation.takes)
                : commitQuota(subject, seen, share(PARTNER_A, picked.reservation.amountMinor), LEAD_ID, picked.reservation, `LN-${i}`);
            if (write(changes)) {
              held.splice(index, 1);
              if (step.kind === 'commitReserved') committedMinor += picked.reservation.amountMinor;
            } else {
              expect(seen).toBe(previous);
            }
          }
          previous = current;

          const after = read();
          for (const s of after.shards) {
            expect(s.reservedMinor >= 0n && s.committedMinor >= 0n).toBe(true);
            expect(s.committedMinor + s.reservedMinor <= s.allotmentMinor).toBe(true);
          }
          const totals = quotaTotals(after.shards);
          expect(after.shards.reduce((n, s) => n + s.allotmentMinor, 0n)).toBe(quotaMinor);
          expect(totals.committedMinor + totals.reservedMinor <= quotaMinor).toBe(true);
          expect(totals.committedMinor).toBe(committedMinor);
          expect(totals.reservedMinor).toBe(held.reduce((n, h) => n + h.reservation.amountMinor, 0n));
          expect(totals.committedByLeadMinor[LEAD_ID] ?? 0n).toBe(committedMinor);
        });
      }),
      { numRuns: 300 },
    );
  });
});

describe('addBorrowerExposure', () => {
  const lenders = lenderMap();
  /** RMB 50,000.00 and 60,000.00 loans, funded 40/30/30. */
  const planOf = (principalMinor: bigint): FundingShare[] => {
    const partner = (principalMinor * 3n) / 10n;
    return [share(LEAD_ID, principalMinor - 2n * partner, 'LEAD'), share(PARTNER_A, partner), share(PARTNER_B, partner)];
  };
  const existing: BorrowerExposure = {
    borrowerId: 'BRW-0001',
    unsecuredPersonalOutstandingMinor: 15_000_000n,
    totalOutstandingMinor: 15_000_000n,
    perLenderMinor: { [LEAD_ID]: 6_000_000n, [PARTNER_A]: 4_500_000n, [PARTNER_B]: 4_500_000n },
    version: 2,
  };

  it('CN-2021: with RMB 150,000.00 unsecured personal credit outstanding, refuses 60,000.00 more with the figures', () => {
    const error = thrownBy(RuleViolation, () => addBorrowerExposure(existing, noBorrowerPrincipal(existing.borrowerId), aBorrower(), 6_000_000n, planOf(6_000_000n), lenders, 'CN-2021'));
    expect([error.code, error.details]).toEqual([
      'UNSECURED_PERSONAL_CAP',
      {
        path: 'principalMinor',
        rule: 'UNSECURED_PERSONAL_CAP',
        profile: 'CN-2021',
        borrowerId: 'BRW-0001',
        capMinor: '20000000',
        existingMinor: '15000000',
        requestedMinor: '6000000',
        totalMinor: '21000000',
      },
    ]);
  });

  it('CN-2021: accepts 50,000.00 more, reaching the RMB 200,000.00 cap exactly', () => {
    expect(addBorrowerExposure(existing, noBorrowerPrincipal(existing.borrowerId), aBorrower(), 5_000_000n, planOf(5_000_000n), lenders, 'CN-2021')).toEqual({
      borrowerId: 'BRW-0001',
      unsecuredPersonalOutstandingMinor: 20_000_000n,
      totalOutstandingMinor: 20_000_000n,
      perLenderMinor: { [LEAD_ID]: 8_000_000n, [PARTNER_A]: 6_000_000n, [PARTNER_B]: 6_000_000n },
      version: 3,
    });
  });

  it('secured and business credit does not count as unsecured personal, but counts in the total and per lender', () => {
    for (const borrower of [aBorrower({ secured: true }), aBorrower({ type: 'BUSINESS' })]) {
      const after = addBorrowerExposure(existing, noBorrowerPrincipal(existing.borrowerId), borrower, 6_000_000n, planOf(6_000_000n), lenders, 'CN-2021');
      expect([after.unsecuredPersonalOutstandingMinor, after.totalOutstandingMinor, after.perLenderMinor[PARTNER_A]]).toEqual([15_000_000n, 21_000_000n, 6_300_000n]);
    }
  });

  it('IN-2025 has no unsecured personal cap', () => {
    expect(addBorrowerExposure(existing, noBorrowerPrincipal(existing.borrowerId), aBorrower(), 6_000_000n, planOf(6_000_000n), lenders, 'IN-2025').unsecuredPersonalOutstandingMinor).toBe(21_000_000n);
  });

  it("refuses a lender's part beyond its per-borrower cap across the borrower's loans, naming the plan line", () => {
    const capped = lenderMap([...lenders.values()].map((l) => (l.lenderId === PARTNER_B ? { ...l, limits: aLimits({ perBorrowerCapMinor: 5_000_000n }) } : l)));
    const error = thrownBy(RuleViolation, () => addBorrowerExposure(existing, noBorrowerPrincipal(existing.borrowerId), aBorrower({ secured: true }), 2_000_000n, planOf(2_000_000n), capped, 'CN-2021'));
    expect([error.code, error.details]).toEqual([
      'PER_BORROWER_CAP',
      { path: 'fundingPlan.2.amountMinor', rule: 'PER_BORROWER_CAP', capMinor: '5000000', existingMinor: '4500000', requestedMinor: '600000' },
    ]);
    expect(addBorrowerExposure(existing, noBorrowerPrincipal(existing.borrowerId), aBorrower({ secured: true }), 1_000_000n, planOf(1_000_000n), capped, 'CN-2021').perLenderMinor[PARTNER_B]).toBe(4_800_000n);
  });

  it('starts from nothing at version 0 and leaves the exposure it was given unchanged', () => {
    const none = noBorrowerExposure('BRW-0009');
    expect(none).toEqual({ borrowerId: 'BRW-0009', unsecuredPersonalOutstandingMinor: 0n, totalOutstandingMinor: 0n, perLenderMinor: {}, version: 0 });
    const after = addBorrowerExposure(none, noBorrowerPrincipal('BRW-0009'), aBorrower({ borrowerId: 'BRW-0009' }), 1_000_000n, planOf(1_000_000n), lenders, 'CN-2021');
    expect(after.version).toBe(1);
    expect(none.perLenderMinor).toEqual({});
  });
});

describe('outstanding principal: committed at booking, moved since by every change of a loan book', () => {
  const leg = (lenderId: string, account: 'PRINCIPAL_RECEIVABLE' | 'INTEREST_INCOME' | 'SETTLEMENT_CLEARING', side: 'DEBIT' | 'CREDIT', amountMinor: bigint) => ({ lenderId, account, side, amountMinor, counterparty: null });

  it("nets each lender's PRINCIPAL_RECEIVABLE legs over the entries, leaving out lenders not moved, in lender id order", () => {
    const repayment = { legs: [leg(PARTNER_B, 'PRINCIPAL_RECEIVABLE', 'CREDIT', 24_180n), leg(PARTNER_A, 'PRINCIPAL_RECEIVABLE', 'CREDIT', 24_180n), leg(LEAD_ID, 'INTEREST_INCOME', 'CREDIT', 2_416n)] };
    const transfer = { legs: [leg(PARTNER_A, 'PRINCIPAL_RECEIVABLE', 'CREDIT', 100_000n), leg(PARTNER_B, 'PRINCIPAL_RECEIVABLE', 'DEBIT', 100_000n)] };
    const reversal = { legs: [leg(PARTNER_B, 'PRINCIPAL_RECEIVABLE', 'DEBIT', 24_180n)] };
    expect([...principalMoves([repayment, transfer, reversal])]).toEqual([
      [PARTNER_A, -124_180n],
      [PARTNER_B, 100_000n],
    ]);
    expect(principalMoves([{ legs: [leg(LEAD_ID, 'INTEREST_INCOME', 'CREDIT', 5n), leg(LEAD_ID, 'SETTLEMENT_CLEARING', 'DEBIT', 5n)] }]).size).toBe(0);
  });

  it("a change moves each lender's shard of the loan (its hash, per lead) and the borrower's figures; unsecured personal only for such a borrower", () => {
    const entries = [{ legs: [leg(LEAD_ID, 'PRINCIPAL_RECEIVABLE', 'CREDIT', 32_240n), leg(PARTNER_A, 'PRINCIPAL_RECEIVABLE', 'CREDIT', 24_180n)] }];
    const loan = { loanId: LOAN_ID, borrower: aBorrower(), terms: { leadLenderId: LEAD_ID } } as Parameters<typeof outstandingMoveOf>[0];
    const move = outstandingMoveOf(loan, entries);
    const n = 3; // LOAN_ID hashes to shard 3 (KEY_AT_3)
    expect(move).toEqual({
      lenders: [
        { lenderId: LEAD_ID, leadLenderId: LEAD_ID, shard: n, movedMinor: -32_240n },
        { lenderId: PARTNER_A, leadLenderId: LEAD_ID, shard: n, movedMinor: -24_180n },
      ],
      borrower: { borrowerId: 'BRW-0001', unsecuredPersonalMovedMinor: -56_420n, totalMovedMinor: -56_420n, perLenderMovedMinor: { [LEAD_ID]: -32_240n, [PARTNER_A]: -24_180n } },
    });
    expect(outstandingMoveOf({ ...loan, borrower: aBorrower({ secured: true }) }, entries).borrower?.unsecuredPersonalMovedMinor).toBe(0n);
    expect(outstandingMoveOf(loan, [{ legs: [leg(LEAD_ID, 'INTEREST_INCOME', 'CREDIT', 5n)] }])).toEqual({ lenders: [], borrower: null });
  });

  it('a lender is measured on committed plus moved, in total and per lead', () => {
    const usage = quotaUsageOf(
      lender,
      [shard(2, { committedMinor: 600_000n, committedByLeadMinor: { [LEAD_ID]: 400_000n, 'LEAD-2': 200_000n }, reservedMinor: 50_000n })],
      [
        { lenderId: PARTNER_A, leadLenderId: LEAD_ID, shard: 6, movedMinor: -400_000n },
        { lenderId: PARTNER_A, leadLenderId: 'LEAD-2', shard: 2, movedMinor: -50_000n },
      ],
    );
    expect(lenderOutstanding(usage)).toEqual({ outstandingMinor: 150_000n, reservedMinor: 50_000n, byLeadMinor: { [LEAD_ID]: 0n, 'LEAD-2': 150_000n } });
  });

  it("principal repaid gives room back on the loan's shard: a full quota repaid takes a new loan again, one fen more is refused", () => {
    const full = Array.from({ length: 8 }, (_, n) => shard(n, { committedMinor: 125_000n, committedByLeadMinor: { [LEAD_ID]: 125_000n }, version: 3 }));
    expect(thrownBy(RuleViolation, () => takeQuota(lender, quotaUsageOf(lender, full, []), 1n, LOAN_ID)).code).toBe('EXPOSURE_QUOTA');
    const repaid = quotaUsageOf(lender, full, [{ lenderId: PARTNER_A, leadLenderId: LEAD_ID, shard: 5, movedMinor: -300_000n }]);
    // Every other shard is full; shard 5 has what was repaid on it: 300,000, from it alone.
    expect(takeQuota(lender, repaid, 300_000n, LOAN_ID)).toEqual([{ shard: 5, amountMinor: 300_000n }]);
    const error = thrownBy(RuleViolation, () => takeQuota(lender, repaid, 300_001n, LOAN_ID));
    expect([error.code, error.details.outstandingMinor, error.details.requestedMinor]).toEqual(['EXPOSURE_QUOTA', '700000', '300001']);
  });

  it('any shards and moves: the rooms sum to the quota less what is outstanding and reserved, and what can be taken is exactly that', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ n: fc.integer({ min: 0, max: 7 }), committed: fc.bigInt({ min: 0n, max: 125_000n }), reserved: fc.bigInt({ min: 0n, max: 50_000n }) }), { maxLength: 8 }),
        fc.array(fc.record({ n: fc.integer({ min: 0, max: 7 }), moved: fc.bigInt({ min: -125_000n, max: 0n }) }), { maxLength: 8 }),
        (stored, moved) => {
          const shards = [...new Map(stored.map((s) => [s.n, shard(s.n, { committedMinor: s.committed, reservedMinor: s.reserved > 125_000n - s.committed ? 0n : s.reserved })])).values()];
          const totalCommitted = shards.reduce((a, s) => a + s.committedMinor, 0n);
          // Nothing repays more than was committed.
          let budget = totalCommitted;
          const moves = moved.flatMap((m) => {
            const amount = -m.moved > budget ? -budget : m.moved;
            budget += amount;
            return amount === 0n ? [] : [{ lenderId: PARTNER_A, leadLenderId: LEAD_ID, shard: m.n, movedMinor: amount }];
          });
          const usage = quotaUsageOf(lender, shards, moves);
          const held = lenderOutstanding(usage);
          const left = lender.limits.exposureQuotaMinor - held.outstandingMinor - held.reservedMinor;
          if (left > 0n) expect(takeQuota(lender, usage, left, 'ANY').reduce((a, t) => a + t.amountMinor, 0n)).toBe(left);
          expect(thrownBy(RuleViolation, () => takeQuota(lender, usage, left + 1n, 'ANY')).details.outstandingMinor).toBe(held.outstandingMinor.toString());
        },
      ),
    );
  });
});
