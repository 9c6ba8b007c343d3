import { RuleViolation, invariant } from './errors.ts';
import type { Lender } from './lender.ts';
import type { Borrower, FundingShare } from './loan.ts';
import { checkUnsecuredPersonalCap } from './regulatory-checks.ts';
import { REGULATORY_PROFILES, type RegulatoryProfileId } from './regulatory-profile.ts';

/** What a lender has committed to joint loans and reserved for plans not yet disbursed. */
export interface QuotaUsage {
  readonly lenderId: string;
  readonly reservedMinor: bigint;
  readonly committedMinor: bigint;
  /** Committed principal per lead institution (for the single-partner cap). */
  readonly committedByLeadMinor: Readonly<Record<string, bigint>>;
  readonly version: number;
}

export interface Reservation {
  readonly applicationId: string;
  readonly lenderId: string;
  readonly amountMinor: bigint;
  readonly state: 'RESERVED' | 'RELEASED' | 'USED';
  readonly at: string;
}

/** A borrower's credit across all its joint loans. */
export interface BorrowerExposure {
  readonly borrowerId: string;
  readonly unsecuredPersonalOutstandingMinor: bigint;
  readonly totalOutstandingMinor: bigint;
  readonly perLenderMinor: Readonly<Record<string, bigint>>;
  readonly version: number;
}

export const noQuotaUsage = (lenderId: string): QuotaUsage => ({ lenderId, reservedMinor: 0n, committedMinor: 0n, committedByLeadMinor: {}, version: 0 });

export const noBorrowerExposure = (borrowerId: string): BorrowerExposure => ({
  borrowerId,
  unsecuredPersonalOutstandingMinor: 0n,
  totalOutstandingMinor: 0n,
  perLenderMinor: {},
  version: 0,
});

export function remainingQuotaMinor(lender: Lender, usage: QuotaUsage): bigint {
  return lender.limits.exposureQuotaMinor - usage.committedMinor - usage.reservedMinor;
}

/** Reserves a lender's part of a plan; refuses when its remaining quota is short. */
export function reserveQuota(lender: Lender, usage: QuotaUsage, amountMinor: bigint): QuotaUsage {
  const remaining = remainingQuotaMinor(lender, usage);
  if (amountMinor > remaining) {
    throw new RuleViolation('EXPOSURE_QUOTA', `lender ${lender.lenderId} has ${remaining} of its exposure quota left, not ${amountMinor}`, {
      lenderId: lender.lenderId,
      rule: 'EXPOSURE_QUOTA',
      quotaMinor: lender.limits.exposureQuotaMinor.toString(),
      committedMinor: usage.committedMinor.toString(),
      reservedMinor: usage.reservedMinor.toString(),
      requestedMinor: amountMinor.toString(),
    });
  }
  return { ...usage, reservedMinor: usage.reservedMinor + amountMinor, version: usage.version + 1 };
}

export function releaseQuota(usage: QuotaUsage, amountMinor: bigint): QuotaUsage {
  invariant(usage.reservedMinor >= amountMinor, 'a release never exceeds what is reserved', { lenderId: usage.lenderId });
  return { ...usage, reservedMinor: usage.reservedMinor - amountMinor, version: usage.version + 1 };
}

/**
 * A booked part moves from reserved (when it was reserved) to committed. A direct booking without
 * a reservation checks the remaining quota itself.
 */
export function commitQuota(lender: Lender, usage: QuotaUsage, part: FundingShare, leadLenderId: string, reservedMinor: bigint): QuotaUsage {
  const base = reservedMinor > 0n ? releaseQuota(usage, reservedMinor) : usage;
  // The part beyond the reservation needs quota left while the reservation is still held.
  if (reservedMinor < part.amountMinor) reserveQuota(lender, usage, part.amountMinor - reservedMinor);
  const byLead = { ...usage.committedByLeadMinor, [leadLenderId]: (usage.committedByLeadMinor[leadLenderId] ?? 0n) + part.amountMinor };
  return { ...base, committedMinor: base.committedMinor + part.amountMinor, committedByLeadMinor: byLead, version: usage.version + 1 };
}

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
