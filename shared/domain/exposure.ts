import { RuleViolation, invariant } from './errors.ts';
import { split } from './money/index.ts';
import { shardOf } from './shard.ts';
import type { Lender } from './lender.ts';
import type { Borrower, FundingShare } from './loan.ts';
import { checkUnsecuredPersonalCap } from './regulatory-checks.ts';
import { REGULATORY_PROFILES, type RegulatoryProfileId } from './regulatory-profile.ts';

/**
 * A lender's exposure quota is kept in QUOTA_SHARDS shards, each with its own allotment of the
 * quota, so concurrent bookings for one lender write different items: a booking takes from the
 * shard its key hashes to and, when that shard lacks room, from the next ones. The shards'
 * allotments sum exactly to the quota, so no interleaving of bookings can over-commit it.
 */
export const QUOTA_SHARDS = 8;

export interface QuotaShard {
  readonly lenderId: string;
  readonly shard: number;
  readonly allotmentMinor: bigint;
  readonly reservedMinor: bigint;
  readonly committedMinor: bigint;
  /** Committed principal per lead institution (for the single-partner cap). */
  readonly committedByLeadMinor: Readonly<Record<string, bigint>>;
  readonly version: number;
}

/** Every shard of a lender's quota; shards never written yet are there at version 0. */
export interface QuotaUsage {
  readonly lenderId: string;
  readonly shards: readonly QuotaShard[];
}

/** Where a part was taken from, so it goes back (or is committed) to exactly those shards. */
export interface QuotaTake {
  readonly shard: number;
  readonly amountMinor: bigint;
}

export interface QuotaChange {
  readonly before: QuotaShard;
  readonly after: QuotaShard;
}

export interface Reservation {
  readonly applicationId: string;
  readonly lenderId: string;
  readonly amountMinor: bigint;
  readonly takes: readonly QuotaTake[];
  readonly state: 'RESERVED' | 'RELEASED' | 'USED';
  readonly at: string;
}

/** The quota's shards: the stored ones, and the others at their allotment, untouched. */
export function quotaUsageOf(lender: Lender, stored: readonly QuotaShard[]): QuotaUsage {
  const weights = Array.from({ length: QUOTA_SHARDS }, (_, shard) => ({ id: String(shard), weight: 1n, priority: shard }));
  const allotments = split(lender.limits.exposureQuotaMinor, weights, { kind: 'LARGEST_REMAINDER' });
  const byShard = new Map(stored.map((s) => [s.shard, s]));
  const shards = weights.map(({ priority: shard }) => {
    const found = byShard.get(shard);
    if (found) return found;
    return { lenderId: lender.lenderId, shard, allotmentMinor: allotments.get(String(shard)) ?? 0n, reservedMinor: 0n, committedMinor: 0n, committedByLeadMinor: {}, version: 0 };
  });
  return { lenderId: lender.lenderId, shards };
}

export interface QuotaTotals {
  readonly reservedMinor: bigint;
  readonly committedMinor: bigint;
  readonly committedByLeadMinor: Readonly<Record<string, bigint>>;
}

export function quotaTotals(shards: readonly QuotaShard[]): QuotaTotals {
  const byLead: Record<string, bigint> = {};
  let reservedMinor = 0n;
  let committedMinor = 0n;
  for (const s of shards) {
    reservedMinor += s.reservedMinor;
    committedMinor += s.committedMinor;
    for (const [lead, amount] of Object.entries(s.committedByLeadMinor)) byLead[lead] = (byLead[lead] ?? 0n) + amount;
  }
  return { reservedMinor, committedMinor, committedByLeadMinor: byLead };
}

const roomOf = (s: QuotaShard): bigint => s.allotmentMinor - s.committedMinor - s.reservedMinor;

/** Takes `amountMinor` from the shards, starting at the key's shard; refuses when the quota is short. */
export function takeQuota(lender: Lender, usage: QuotaUsage, amountMinor: bigint, key: string): QuotaTake[] {
  const remaining = usage.shards.reduce((n, s) => n + roomOf(s), 0n);
  if (amountMinor > remaining) {
    const totals = quotaTotals(usage.shards);
    throw new RuleViolation('EXPOSURE_QUOTA', `lender ${lender.lenderId} has ${remaining} of its exposure quota left, not ${amountMinor}`, {
      lenderId: lender.lenderId,
      rule: 'EXPOSURE_QUOTA',
      quotaMinor: lender.limits.exposureQuotaMinor.toString(),
      committedMinor: totals.committedMinor.toString(),
      reservedMinor: totals.reservedMinor.toString(),
      requestedMinor: amountMinor.toString(),
    });
  }
  const takes: QuotaTake[] = [];
  let needed = amountMinor;
  const start = shardOf(key, QUOTA_SHARDS);
  for (let i = 0; i < usage.shards.length && needed > 0n; i++) {
    const shard = usage.shards[(start + i) % usage.shards.length];
    invariant(shard, 'every quota shard is present', { lenderId: lender.lenderId });
    const room = roomOf(shard);
    if (room <= 0n) continue;
    const amount = room < needed ? room : needed;
    takes.push({ shard: shard.shard, amountMinor: amount });
    needed -= amount;
  }
  invariant(needed === 0n, 'the shards cover what the quota allows', { lenderId: lender.lenderId });
  return takes;
}

function changeShards(usage: QuotaUsage, takes: readonly QuotaTake[], apply: (s: QuotaShard, amount: bigint) => QuotaShard): QuotaChange[] {
  return takes.map((take) => {
    const before = usage.shards.find((s) => s.shard === take.shard);
    invariant(before, 'a take names a shard of the quota', { lenderId: usage.lenderId, shard: take.shard });
    return { before, after: { ...apply(before, take.amountMinor), version: before.version + 1 } };
  });
}

/** Holds a plan's part on the shards it was taken from. */
export function reserveQuota(usage: QuotaUsage, takes: readonly QuotaTake[]): QuotaChange[] {
  return changeShards(usage, takes, (s, amount) => ({ ...s, reservedMinor: s.reservedMinor + amount }));
}

/** Gives a reservation back to exactly the shards it came from. */
export function releaseQuota(usage: QuotaUsage, takes: readonly QuotaTake[]): QuotaChange[] {
  return changeShards(usage, takes, (s, amount) => {
    invariant(s.reservedMinor >= amount, 'a release never exceeds what is reserved', { lenderId: s.lenderId, shard: s.shard });
    return { ...s, reservedMinor: s.reservedMinor - amount };
  });
}

/**
 * A booked part becomes committed: from its reservation's shards when it was reserved (the
 * reservation covers the part exactly), or taken afresh for a direct booking.
 */
export function commitQuota(lender: Lender, usage: QuotaUsage, part: FundingShare, leadLenderId: string, reservation: Reservation | null, key: string): QuotaChange[] {
  if (reservation) invariant(reservation.amountMinor === part.amountMinor, 'a reservation covers its plan line exactly', { lenderId: lender.lenderId });
  const takes = reservation ? reservation.takes : takeQuota(lender, usage, part.amountMinor, key);
  return changeShards(usage, takes, (s, amount) => {
    invariant(!reservation || s.reservedMinor >= amount, 'a reserved part is held on its shard', { lenderId: s.lenderId, shard: s.shard });
    return {
      ...s,
      reservedMinor: reservation ? s.reservedMinor - amount : s.reservedMinor,
      committedMinor: s.committedMinor + amount,
      committedByLeadMinor: { ...s.committedByLeadMinor, [leadLenderId]: (s.committedByLeadMinor[leadLenderId] ?? 0n) + amount },
    };
  });
}

/** A borrower's credit across all its joint loans. */
export interface BorrowerExposure {
  readonly borrowerId: string;
  readonly unsecuredPersonalOutstandingMinor: bigint;
  readonly totalOutstandingMinor: bigint;
  readonly perLenderMinor: Readonly<Record<string, bigint>>;
  readonly version: number;
}

export const noBorrowerExposure = (borrowerId: string): BorrowerExposure => ({
  borrowerId,
  unsecuredPersonalOutstandingMinor: 0n,
  totalOutstandingMinor: 0n,
  perLenderMinor: {},
  version: 0,
});

/**
 * Checks the borrower's caps across all its loans (the lenders' per-borrower caps and, under
 * CN-2021, unsecured personal credit) and returns the exposure after the booking.
 */
export function addBorrowerExposure(
  before: BorrowerExposure,
  borrower: Borrower,
  principalMinor: bigint,
  plan: readonly FundingShare[],
  lenders: ReadonlyMap<string, Lender>,
  profileId: RegulatoryProfileId,
): BorrowerExposure {
  const profile = REGULATORY_PROFILES[profileId];
  const unsecuredPersonal = borrower.type === 'INDIVIDUAL' && !borrower.secured;
  checkUnsecuredPersonalCap(profile, borrower, before.unsecuredPersonalOutstandingMinor, principalMinor, 'principalMinor');
  const perLender: Record<string, bigint> = { ...before.perLenderMinor };
  plan.forEach((part, i) => {
    const lender = lenders.get(part.lenderId);
    invariant(lender, 'plan lenders are loaded', { lenderId: part.lenderId });
    const existing = perLender[part.lenderId] ?? 0n;
    if (existing + part.amountMinor > lender.limits.perBorrowerCapMinor) {
      throw new RuleViolation('PER_BORROWER_CAP', `lender ${part.lenderId} lends at most ${lender.limits.perBorrowerCapMinor} to one borrower; it has ${existing} with ${borrower.borrowerId} and the plan adds ${part.amountMinor}`, {
        path: `fundingPlan.${i}.amountMinor`,
        rule: 'PER_BORROWER_CAP',
        capMinor: lender.limits.perBorrowerCapMinor.toString(),
        existingMinor: existing.toString(),
        requestedMinor: part.amountMinor.toString(),
      });
    }
    perLender[part.lenderId] = existing + part.amountMinor;
  });
  return {
    borrowerId: borrower.borrowerId,
    unsecuredPersonalOutstandingMinor: before.unsecuredPersonalOutstandingMinor + (unsecuredPersonal ? principalMinor : 0n),
    totalOutstandingMinor: before.totalOutstandingMinor + principalMinor,
    perLenderMinor: perLender,
    version: before.version + 1,
  };
}
