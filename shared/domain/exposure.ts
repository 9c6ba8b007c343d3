import { RuleViolation, invariant } from './errors.ts';
import type { JournalEntry } from './ledger.ts';
import { split } from './money/index.ts';
import { shardOf } from './shard.ts';
import type { Lender } from './lender.ts';
import type { Borrower, FundingShare, Loan } from './loan.ts';
import { checkJointLoanLimits, checkUnsecuredPersonalCap } from './regulatory-checks.ts';
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

/**
 * Principal a lender's bookings committed moves afterwards: repaid (a payment's principal, a
 * prepayment), written off, compensated, sold or bought (a transfer, a buyback), given back by a
 * reversal, moved by a restatement. Each change of a loan's book adds what it moved, per lender,
 * to that lender's principal shard of the loan (`shardOf(loanId)`, per lead), in the change's own
 * transaction, by an atomic add: no read, no condition, and a busy lender's changes spread over
 * QUOTA_SHARDS items per lead. A lender's outstanding principal is what its quota shards
 * committed plus what its principal shards moved (`lenderOutstanding`).
 */
export interface PrincipalShard {
  readonly lenderId: string;
  /** The lead of the programs of the loans whose changes it holds (the single-partner rule counts per lead). */
  readonly leadLenderId: string;
  readonly shard: number;
  /** Net principal moved since booking: negative when repaid, written off or sold, positive when bought or a repayment is reversed. */
  readonly movedMinor: bigint;
}

/** Every shard of a lender's quota (shards never written yet are there at version 0) and its principal shards. */
export interface QuotaUsage {
  readonly lenderId: string;
  readonly shards: readonly QuotaShard[];
  readonly moves: readonly PrincipalShard[];
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

/** The quota's shards: the stored ones, and the others at their allotment, untouched; with the principal moved since booking. */
export function quotaUsageOf(lender: Lender, stored: readonly QuotaShard[], moves: readonly PrincipalShard[]): QuotaUsage {
  const weights = Array.from({ length: QUOTA_SHARDS }, (_, shard) => ({ id: String(shard), weight: 1n, priority: shard }));
  const allotments = split(lender.limits.exposureQuotaMinor, weights, { kind: 'LARGEST_REMAINDER' });
  const byShard = new Map(stored.map((s) => [s.shard, s]));
  const shards = weights.map(({ priority: shard }) => {
    const found = byShard.get(shard);
    if (found) return found;
    return { lenderId: lender.lenderId, shard, allotmentMinor: allotments.get(String(shard)) ?? 0n, reservedMinor: 0n, committedMinor: 0n, committedByLeadMinor: {}, version: 0 };
  });
  return { lenderId: lender.lenderId, shards, moves };
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

/** A lender's joint-loan principal outstanding, in total and per lead, and its quota held for plans not yet booked. */
export interface LenderOutstanding {
  readonly outstandingMinor: bigint;
  readonly reservedMinor: bigint;
  readonly byLeadMinor: Readonly<Record<string, bigint>>;
}

/**
 * The one measure of a lender's outstanding principal that its limits (quota, the CN-2021 ratio
 * rules) are judged by: committed at booking, plus what every change of a loan's book moved since.
 */
export function lenderOutstanding(usage: Pick<QuotaUsage, 'shards' | 'moves'>): LenderOutstanding {
  const totals = quotaTotals(usage.shards);
  const byLead: Record<string, bigint> = { ...totals.committedByLeadMinor };
  let outstandingMinor = totals.committedMinor;
  for (const move of usage.moves) {
    outstandingMinor += move.movedMinor;
    byLead[move.leadLenderId] = (byLead[move.leadLenderId] ?? 0n) + move.movedMinor;
  }
  return { outstandingMinor, reservedMinor: totals.reservedMinor, byLeadMinor: byLead };
}

/**
 * A shard's room: its allotment less what is committed and reserved on it and what changes moved
 * on it since. Principal repaid on a loan goes back to the loan's shard, which may not be the one
 * its booking took from, so one shard's room can exceed its allotment while another's is short:
 * the rooms still sum exactly to what the quota leaves.
 */
function roomOf(usage: QuotaUsage, s: QuotaShard): bigint {
  const moved = usage.moves.filter((m) => m.shard === s.shard).reduce((n, m) => n + m.movedMinor, 0n);
  return s.allotmentMinor - s.committedMinor - s.reservedMinor - moved;
}

/** What the quota leaves a lender now: its allotments less what is outstanding and reserved. */
function quotaRoom(usage: QuotaUsage): bigint {
  return usage.shards.reduce((n, s) => n + roomOf(usage, s), 0n);
}

function quotaShort(lender: Lender, usage: QuotaUsage, remaining: bigint, amountMinor: bigint, path?: string): RuleViolation {
  const held = lenderOutstanding(usage);
  return new RuleViolation('EXPOSURE_QUOTA', `lender ${lender.lenderId} has ${remaining} of its exposure quota left, not ${amountMinor}`, {
    ...(path === undefined ? {} : { path }),
    lenderId: lender.lenderId,
    rule: 'EXPOSURE_QUOTA',
    quotaMinor: lender.limits.exposureQuotaMinor.toString(),
    outstandingMinor: held.outstandingMinor.toString(),
    reservedMinor: held.reservedMinor.toString(),
    requestedMinor: amountMinor.toString(),
  });
}

/**
 * The buyer of a share transfer takes on principal as a booking would give it: within its exposure
 * quota, its cap per borrower and, for a partner, the ratio rules of the program's profile, all on
 * what it holds outstanding now. The seller only gives room back. Refuses naming `principalMinor`.
 */
export function checkTransferBuyer(
  buyer: Lender,
  role: FundingShare['role'],
  usage: QuotaUsage,
  borrower: { readonly borrowerId: string; readonly owed: BorrowerOutstanding },
  principalMinor: bigint,
  leadLenderId: string,
  profileId: RegulatoryProfileId,
): void {
  const path = 'principalMinor';
  const room = quotaRoom(usage);
  if (principalMinor > room) throw quotaShort(buyer, usage, room, principalMinor, path);
  const existing = borrower.owed.perLenderMinor[buyer.lenderId] ?? 0n;
  if (existing + principalMinor > buyer.limits.perBorrowerCapMinor) {
    throw new RuleViolation('PER_BORROWER_CAP', `lender ${buyer.lenderId} lends at most ${buyer.limits.perBorrowerCapMinor} to one borrower; it has ${existing} with ${measuredWho(borrower.owed)} and the transfer adds ${principalMinor}`, {
      path,
      rule: 'PER_BORROWER_CAP',
      capMinor: buyer.limits.perBorrowerCapMinor.toString(),
      existingMinor: existing.toString(),
      requestedMinor: principalMinor.toString(),
    });
  }
  if (role !== 'PARTNER') return;
  const held = lenderOutstanding(usage);
  checkJointLoanLimits(REGULATORY_PROFILES[profileId], buyer, leadLenderId, { withLeadMinor: held.byLeadMinor[leadLenderId] ?? 0n, totalMinor: held.outstandingMinor }, principalMinor, path);
}

/** Takes `amountMinor` from the shards, starting at the key's shard; refuses when the quota is short. */
export function takeQuota(lender: Lender, usage: QuotaUsage, amountMinor: bigint, key: string): QuotaTake[] {
  const remaining = quotaRoom(usage);
  if (amountMinor > remaining) throw quotaShort(lender, usage, remaining, amountMinor);
  const takes: QuotaTake[] = [];
  let needed = amountMinor;
  const start = shardOf(key, QUOTA_SHARDS);
  for (let i = 0; i < usage.shards.length && needed > 0n; i++) {
    const shard = usage.shards[(start + i) % usage.shards.length];
    invariant(shard, 'every quota shard is present', { lenderId: lender.lenderId });
    const room = roomOf(usage, shard);
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

/**
 * A borrower's credit across all its joint loans as its bookings added it (one item per borrower,
 * written with each booking at the version read); what changes moved since is in its
 * `BorrowerPrincipal`, and the caps are judged on the two together (`borrowerOutstanding`).
 */
export interface BorrowerExposure {
  readonly borrowerId: string;
  readonly unsecuredPersonalOutstandingMinor: bigint;
  readonly totalOutstandingMinor: bigint;
  readonly perLenderMinor: Readonly<Record<string, bigint>>;
  readonly version: number;
  /**
   * The person this borrower id was last booked as (the keyed hash of its identity number, S43):
   * a later booking or application of the id without an identity number is still measured per person.
   */
  readonly identityHash?: string;
}

export const noBorrowerExposure = (borrowerId: string): BorrowerExposure => ({
  borrowerId,
  unsecuredPersonalOutstandingMinor: 0n,
  totalOutstandingMinor: 0n,
  perLenderMinor: {},
  version: 0,
});

/**
 * The lenders' principal in a borrower's loans moved since booking, by every change of a loan's
 * book (added to atomically, like a lender's principal shards): in all, in unsecured loans to an
 * individual, and per lender. A borrower's loans are few, so one item per borrower is not hot.
 */
export interface BorrowerPrincipal {
  readonly borrowerId: string;
  readonly unsecuredPersonalMovedMinor: bigint;
  readonly totalMovedMinor: bigint;
  readonly perLenderMovedMinor: Readonly<Record<string, bigint>>;
}

export const noBorrowerPrincipal = (borrowerId: string): BorrowerPrincipal => ({ borrowerId, unsecuredPersonalMovedMinor: 0n, totalMovedMinor: 0n, perLenderMovedMinor: {} });

/** What a borrower owes the lenders now: what its bookings added plus what changes moved since. */
export interface BorrowerOutstanding {
  readonly borrowerId: string;
  /** When measured for a person: every borrower id of the person counted, this one first (docs/personal-data.md). */
  readonly borrowerIds?: readonly string[];
  readonly unsecuredPersonalOutstandingMinor: bigint;
  readonly totalOutstandingMinor: bigint;
  readonly perLenderMinor: Readonly<Record<string, bigint>>;
}

export function borrowerOutstanding(booked: BorrowerExposure, moved: BorrowerPrincipal): BorrowerOutstanding {
  invariant(booked.borrowerId === moved.borrowerId, "a borrower's figures are of one borrower", { borrowerId: booked.borrowerId });
  const perLender: Record<string, bigint> = { ...booked.perLenderMinor };
  for (const [lenderId, amount] of Object.entries(moved.perLenderMovedMinor)) perLender[lenderId] = (perLender[lenderId] ?? 0n) + amount;
  return {
    borrowerId: booked.borrowerId,
    unsecuredPersonalOutstandingMinor: booked.unsecuredPersonalOutstandingMinor + moved.unsecuredPersonalMovedMinor,
    totalOutstandingMinor: booked.totalOutstandingMinor + moved.totalMovedMinor,
    perLenderMinor: perLender,
  };
}

/**
 * What one person owes now across every borrower id the lead gave it: the sum of each id's
 * figures, named by the borrower id being judged. With no other id it is that id's own figures.
 */
export function personOwed(own: BorrowerOutstanding, others: readonly BorrowerOutstanding[]): BorrowerOutstanding {
  const counted = others.filter((o) => o.borrowerId !== own.borrowerId);
  if (counted.length === 0) return own;
  const perLender: Record<string, bigint> = { ...own.perLenderMinor };
  let unsecured = own.unsecuredPersonalOutstandingMinor;
  let total = own.totalOutstandingMinor;
  for (const other of counted) {
    unsecured += other.unsecuredPersonalOutstandingMinor;
    total += other.totalOutstandingMinor;
    for (const [lenderId, amount] of Object.entries(other.perLenderMinor)) perLender[lenderId] = (perLender[lenderId] ?? 0n) + amount;
  }
  return {
    borrowerId: own.borrowerId,
    borrowerIds: [own.borrowerId, ...counted.map((o) => o.borrowerId)],
    unsecuredPersonalOutstandingMinor: unsecured,
    totalOutstandingMinor: total,
    perLenderMinor: perLender,
  };
}

/** Whom a borrower's caps count besides its own id: the person's other ids and what each owes now, and the person's hash to keep on its exposure. */
export interface PersonMeasure {
  readonly identityHash: string | null;
  readonly others: readonly BorrowerOutstanding[];
}

export const OWN_ID_ONLY: PersonMeasure = { identityHash: null, others: [] };

/** How a refusal names whom it measured: the borrower id, and the person's other ids when there are any. */
export function measuredWho(owed: BorrowerOutstanding): string {
  const others = (owed.borrowerIds ?? []).filter((id) => id !== owed.borrowerId);
  return others.length === 0 ? owed.borrowerId : `${owed.borrowerId} (one person with ${others.join(', ')})`;
}

const isUnsecuredPersonal = (borrower: Pick<Borrower, 'type' | 'secured'>): boolean => borrower.type === 'INDIVIDUAL' && !borrower.secured;

/**
 * Checks the borrower's caps across all its loans (the lenders' per-borrower caps and, under
 * CN-2021, unsecured personal credit) on what it owes now, and returns its exposure item after
 * the booking (what bookings added, plus this one).
 */
export function addBorrowerExposure(
  before: BorrowerExposure,
  moved: BorrowerPrincipal,
  borrower: Borrower,
  principalMinor: bigint,
  plan: readonly FundingShare[],
  lenders: ReadonlyMap<string, Lender>,
  profileId: RegulatoryProfileId,
  person: PersonMeasure = OWN_ID_ONLY,
): BorrowerExposure {
  const profile = REGULATORY_PROFILES[profileId];
  const owed = personOwed(borrowerOutstanding(before, moved), person.others);
  checkUnsecuredPersonalCap(profile, { ...borrower, ...(owed.borrowerIds === undefined ? {} : { borrowerIds: owed.borrowerIds }) }, owed.unsecuredPersonalOutstandingMinor, principalMinor, 'principalMinor');
  const perLender: Record<string, bigint> = { ...before.perLenderMinor };
  plan.forEach((part, i) => {
    const lender = lenders.get(part.lenderId);
    invariant(lender, 'plan lenders are loaded', { lenderId: part.lenderId });
    const existing = owed.perLenderMinor[part.lenderId] ?? 0n;
    if (existing + part.amountMinor > lender.limits.perBorrowerCapMinor) {
      throw new RuleViolation('PER_BORROWER_CAP', `lender ${part.lenderId} lends at most ${lender.limits.perBorrowerCapMinor} to one borrower; it has ${existing} with ${measuredWho(owed)} and the plan adds ${part.amountMinor}`, {
        path: `fundingPlan.${i}.amountMinor`,
        rule: 'PER_BORROWER_CAP',
        capMinor: lender.limits.perBorrowerCapMinor.toString(),
        existingMinor: existing.toString(),
        requestedMinor: part.amountMinor.toString(),
        ...(owed.borrowerIds === undefined ? {} : { borrowerIds: owed.borrowerIds }),
      });
    }
    perLender[part.lenderId] = (perLender[part.lenderId] ?? 0n) + part.amountMinor;
  });
  const identityHash = person.identityHash ?? before.identityHash;
  return {
    borrowerId: borrower.borrowerId,
    unsecuredPersonalOutstandingMinor: before.unsecuredPersonalOutstandingMinor + (isUnsecuredPersonal(borrower) ? principalMinor : 0n),
    totalOutstandingMinor: before.totalOutstandingMinor + principalMinor,
    perLenderMinor: perLender,
    version: before.version + 1,
    ...(identityHash === undefined ? {} : { identityHash }),
  };
}

/** Each lender's outstanding principal moved by some entries (net PRINCIPAL_RECEIVABLE, debit-positive); lenders not moved are left out. */
export function principalMoves(entries: readonly Pick<JournalEntry, 'legs'>[]): Map<string, bigint> {
  const moves = new Map<string, bigint>();
  for (const entry of entries) {
    for (const leg of entry.legs) {
      if (leg.account !== 'PRINCIPAL_RECEIVABLE') continue;
      moves.set(leg.lenderId, (moves.get(leg.lenderId) ?? 0n) + (leg.side === 'DEBIT' ? leg.amountMinor : -leg.amountMinor));
    }
  }
  return new Map([...moves].filter(([, amount]) => amount !== 0n).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** What a change of a loan's book adds to the limits' measures: one principal shard per lender it moved, and the borrower's figures. */
export interface OutstandingMove {
  readonly lenders: readonly PrincipalShard[];
  /** Null when the change moved no principal (interest, fees, suspense only). */
  readonly borrower: BorrowerPrincipal | null;
}

/** The outstanding principal a change of a loan's book moves, from its entries: the same legs its positions change by. */
export function outstandingMoveOf(loan: Pick<Loan, 'loanId' | 'borrower' | 'terms'>, entries: readonly Pick<JournalEntry, 'legs'>[]): OutstandingMove {
  const moves = principalMoves(entries);
  if (moves.size === 0) return { lenders: [], borrower: null };
  const shard = shardOf(loan.loanId, QUOTA_SHARDS);
  const lenders = [...moves].map(([lenderId, movedMinor]) => ({ lenderId, leadLenderId: loan.terms.leadLenderId, shard, movedMinor }));
  const totalMovedMinor = [...moves.values()].reduce((n, amount) => n + amount, 0n);
  return {
    lenders,
    borrower: {
      borrowerId: loan.borrower.borrowerId,
      unsecuredPersonalMovedMinor: isUnsecuredPersonal(loan.borrower) ? totalMovedMinor : 0n,
      totalMovedMinor,
      perLenderMovedMinor: Object.fromEntries(moves),
    },
  };
}
