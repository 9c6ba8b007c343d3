import { ValidationError, invariant } from './errors.ts';
import { split, type RemainderRule, type RoundingMode } from './money/index.ts';
import { RULES } from './regulatory-profile.ts';

/**
 * What the joint review's two halves share: the candidates a review asks and the plan their
 * decisions make (`candidates.ts` chooses, `allocation.ts` allocates), the rule names behind every
 * drop and reason, and the share arithmetic both use. Pure.
 */

/** Figures behind a decision, all as strings of minor units, basis points or codes. */
export type Figures = Readonly<Record<string, string>>;

/** What a lender already carries, loaded when the review starts. */
export interface LenderExposure {
  /** Joint-loan principal outstanding, against the lender's exposure quota. */
  readonly outstandingMinor: bigint;
  /** Quota held for funding plans not yet disbursed. */
  readonly reservedMinor: bigint;
  /** Outstanding to this application's borrower, against the per-borrower cap. */
  readonly borrowerOutstandingMinor: bigint;
  /** Joint loans outstanding with this program's lead (single-partner cap on net tier-1 capital). */
  readonly jointWithLeadMinor: bigint;
  /** Joint loans outstanding with every co-lending counterparty (cap on total loans). */
  readonly jointTotalMinor: bigint;
}

export type CandidateRole = 'LEAD' | 'PARTNER';

export interface Candidate {
  readonly lenderId: string;
  readonly role: CandidateRole;
  /** What the lender is asked to fund; for the lead, its target (it funds the rest in the end). */
  readonly askedAmountMinor: bigint;
  /** The least it may fund of this loan: its own limits and the regulatory floor, rounded up. */
  readonly minimumAmountMinor: bigint;
  /** The most its limits still allow for this loan. */
  readonly maximumAmountMinor: bigint;
  /** Lower is asked first and wins ties; equal priorities go by lender id. */
  readonly priority: number;
  /** How the asked, minimum and maximum amounts were set. */
  readonly because: string;
  readonly figures: Figures;
}

export interface DroppedLender {
  readonly lenderId: string;
  readonly rule: string;
  readonly reason: string;
  readonly figures: Figures;
}

export interface CandidateSelection {
  /** The lead first (when it can fund this loan), then the partners in the order they are asked. */
  readonly candidates: readonly Candidate[];
  readonly dropped: readonly DroppedLender[];
}

export type PartnerDecisionKind = 'APPROVE' | 'DECLINE' | 'TIMEOUT';

export interface PartnerDecision {
  readonly lenderId: string;
  readonly decision: PartnerDecisionKind;
  /** APPROVE only: at most the amount asked and at least the minimum; the amount asked when absent. */
  readonly approvedAmountMinor?: bigint;
}

export interface Reason {
  /** The lender the line is about; null for a line about the whole loan. */
  readonly lenderId: string | null;
  readonly amountMinor: bigint;
  readonly because: string;
  readonly rule?: string;
  readonly figures: Figures;
}

export interface PlanLine {
  readonly lenderId: string;
  readonly role: CandidateRole;
  readonly amountMinor: bigint;
}

export type AllocationResult =
  | { readonly outcome: 'PLAN'; readonly plan: readonly PlanLine[]; readonly reasons: readonly Reason[] }
  | {
      readonly outcome: 'NEED_MORE';
      /** The least additional partner funding that makes a valid plan. */
      readonly shortfallMinor: bigint;
      /** The partners to ask next, in order. */
      readonly askLenderIds: readonly string[];
      readonly reasons: readonly Reason[];
    }
  | { readonly outcome: 'REJECT'; readonly reasons: readonly Reason[] };

/** Rule names of drops, refusals and reasons, so a caller can tell which rule applied. */
export const ALLOCATION_RULES = {
  excluded: 'EXCLUDED',
  localBankRegion: RULES.localBankRegion,
  exposureQuota: 'EXPOSURE_QUOTA',
  perBorrowerCap: 'PER_BORROWER_CAP',
  singlePartnerTier1Cap: RULES.singlePartnerTier1Cap,
  jointToTotalLoansCap: RULES.jointToTotalLoansCap,
  lenderShareLimit: 'LENDER_SHARE_LIMIT',
  leadMinimumRoom: 'LEAD_MINIMUM_ROOM',
  partnerMinShare: RULES.partnerMinShare,
  lenderMinShare: RULES.lenderMinShare,
  leadMaxShare: 'LEAD_MAX_SHARE',
  needsPartner: 'NEEDS_PARTNER',
  noPartnerLeft: 'NO_PARTNER_LEFT',
  leadUnavailable: 'LEAD_UNAVAILABLE',
  declined: 'DECLINED',
  timeout: 'TIMEOUT',
  notNeeded: 'NOT_NEEDED',
  notACandidate: 'NOT_A_CANDIDATE',
  approvalAboveAsked: 'APPROVAL_ABOVE_ASKED',
  approvalBelowMinimum: 'APPROVAL_BELOW_MINIMUM',
} as const;

export const WHOLE_BPS = 10_000;


/** One term of a minimum: the largest term is the minimum. */
export interface Term {
  readonly amountMinor: bigint;
  readonly label: string;
}

export function byPriorityThenId(a: { readonly priority: number; readonly lenderId: string }, b: { readonly priority: number; readonly lenderId: string }): number {
  if (a.priority !== b.priority) return a.priority < b.priority ? -1 : 1;
  if (a.lenderId === b.lenderId) return 0;
  return a.lenderId < b.lenderId ? -1 : 1;
}


/** The first of the largest terms, so the label names the binding rule. */
export function largest(terms: readonly Term[]): Term {
  let best = terms[0];
  invariant(best, 'a minimum has at least one term');
  for (const term of terms) if (term.amountMinor > best.amountMinor) best = term;
  return best;
}


// Shares -----------------------------------------------------------------------------------------------

export function checkBps(bps: number, path: string): void {
  if (!Number.isSafeInteger(bps) || bps < 0 || bps > WHOLE_BPS) {
    throw new ValidationError(`${path} must be whole basis points from 0 to 10000, got ${bps}`, { path, rule: 'bps' });
  }
}

/**
 * `bps` of `amount` in whole minor units, through the one split function: the amount is split into
 * the share and the rest. Rounding UP lets the rest round down and the share take what is left, so a
 * minimum share always holds exactly; any other mode rounds the share itself.
 */
export function shareOf(amount: bigint, bps: number, rounding: RoundingMode | 'UP'): bigint {
  checkBps(bps, 'shareBps');
  const parts = [
    { id: 'share', weight: BigInt(bps), priority: 0 },
    { id: 'rest', weight: BigInt(WHOLE_BPS - bps), priority: 1 },
  ];
  const rule: RemainderRule =
    rounding === 'UP' ? { kind: 'ROUNDING_PARTY', party: 'share', mode: 'DOWN' } : { kind: 'ROUNDING_PARTY', party: 'rest', mode: rounding };
  return split(amount, parts, rule).get('share') ?? 0n;
}

