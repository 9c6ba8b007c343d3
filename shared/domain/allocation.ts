import { assertApplicationOfProgram, type Application } from './application.ts';
import { isOutsideLendingRegion } from './regulatory-checks.ts';
import { RuleViolation, ValidationError, invariant } from './errors.ts';
import type { Lender } from './lender.ts';
import { split, type RemainderRule, type RoundingMode } from './money/index.ts';
import { isFunding, type Participant, type Program } from './program.ts';
import { REGULATORY_PROFILES, RULES, formatBps, type RegulatoryProfile } from './regulatory-profile.ts';

/**
 * Joint review allocation: which partners are asked for how much (`chooseCandidates`), and how
 * their decisions become a funding plan in which the lead funds the rest (`allocate`). Pure: the
 * caller loads lenders, exposures and decisions; nothing here reads a clock or writes anything.
 * Every figure leaves with a sentence that says why, for finance and risk.
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
  singlePartnerTier1Cap: 'SINGLE_PARTNER_TIER1_CAP',
  jointToTotalLoansCap: 'JOINT_TO_TOTAL_LOANS_CAP',
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

const WHOLE_BPS = 10_000;

// Candidates ---------------------------------------------------------------------------------------

interface Selection {
  readonly program: Program;
  readonly application: Application;
  readonly profile: RegulatoryProfile;
  readonly amount: bigint;
  readonly lenders: ReadonlyMap<string, Lender>;
  readonly exposure: ReadonlyMap<string, LenderExposure>;
  readonly excluded: ReadonlySet<string>;
}

/** One term of a minimum: the largest term is the minimum. */
interface Term {
  readonly amountMinor: bigint;
  readonly label: string;
}

/** How much one limit still allows for this loan. */
interface Limit {
  readonly rule: string;
  readonly allowanceMinor: bigint;
  readonly because: string;
  readonly figures: Figures;
}

interface Target {
  readonly amountMinor: bigint;
  readonly because: string;
}

type Assessed = { readonly candidate: Candidate } | { readonly dropped: DroppedLender };

/**
 * The lenders of this application: the lead (it funds the rest, never asked) and the program's
 * funding partners in priority order, then lender id. Each partner gets the amount it is asked (its
 * target share or fixed amount, raised to its minimum, capped at what its limits still allow) and
 * its minimum; a partner whose limits cannot take even its minimum, that is excluded, or that may
 * not lend in the borrower's region is dropped with the rule and the figures.
 */
export function chooseCandidates(
  program: Program,
  application: Application,
  lenders: ReadonlyMap<string, Lender>,
  exposure: ReadonlyMap<string, LenderExposure>,
  excluded: ReadonlySet<string>,
): CandidateSelection {
  assertApplicationOfProgram(application, program);
  const amount = application.amountMinor;
  if (typeof amount !== 'bigint' || amount <= 0n) {
    throw new ValidationError('amountMinor must be a positive bigint of minor units', { path: 'amountMinor', rule: 'positive' });
  }
  const context: Selection = { program, application, profile: REGULATORY_PROFILES[program.regulatoryProfile], amount, lenders, exposure, excluded };
  const funding = program.participants.filter(isFunding).sort(byPriorityThenId);
  const leadParticipant = funding.find((p) => p.role === 'LEAD' && p.lenderId === program.leadLenderId);
  if (!leadParticipant) {
    throw new ValidationError(`program ${program.programId} has no funding lead ${program.leadLenderId}`, { path: 'participants', rule: 'one-lead' });
  }
  const targets = targetAmounts(context, funding);
  const leadMinimum = leadMinimumOf(context, leadParticipant);
  const leadTarget = leadTargetOf(context, leadParticipant, targets, leadMinimum);
  const candidates: Candidate[] = [];
  const dropped: DroppedLender[] = [];
  const keep = (assessed: Assessed): void => {
    if ('candidate' in assessed) candidates.push(assessed.candidate);
    else dropped.push(assessed.dropped);
  };
  const lead = assessLead(context, leadParticipant, leadMinimum, leadTarget);
  keep(lead);
  const partnersGoal = amount - ('candidate' in lead ? lead.candidate.askedAmountMinor : leadTarget.amountMinor);
  for (const participant of funding) {
    if (participant.role === 'PARTNER') keep(assessPartner(context, participant, targets, leadMinimum, partnersGoal));
  }
  return { candidates, dropped };
}

function byPriorityThenId(a: { readonly priority: number; readonly lenderId: string }, b: { readonly priority: number; readonly lenderId: string }): number {
  if (a.priority !== b.priority) return a.priority < b.priority ? -1 : 1;
  if (a.lenderId === b.lenderId) return 0;
  return a.lenderId < b.lenderId ? -1 : 1;
}

/**
 * Target amounts of the participants with a target share. Under TARGET_SHARES the amount is split by
 * the funding participants' shares with the program's remainder rule, the lead as rounding party;
 * under PRIORITY_FILL each share stands alone, rounded with the program's rounding mode.
 */
function targetAmounts(context: Selection, funding: readonly Participant[]): ReadonlyMap<string, bigint> {
  const { program, amount } = context;
  funding.forEach((p) => {
    if (p.targetShareBps !== null) checkBps(p.targetShareBps, `participants.${p.lenderId}.targetShareBps`);
  });
  if (program.allocationPolicy !== 'TARGET_SHARES') {
    const targets = new Map<string, bigint>();
    for (const p of funding) if (p.targetShareBps !== null) targets.set(p.lenderId, shareOf(amount, p.targetShareBps, program.roundingMode));
    return targets;
  }
  const sum = funding.reduce((s, p) => s + (p.targetShareBps ?? 0), 0);
  if (sum !== WHOLE_BPS) {
    throw new ValidationError(`the funding participants' targetShareBps must sum to 10000 (100%), not ${sum}`, { path: 'participants', rule: 'shares-sum-to-whole' });
  }
  const rule: RemainderRule =
    program.split.remainderRule === 'ROUNDING_PARTY'
      ? { kind: 'ROUNDING_PARTY', party: program.leadLenderId, mode: program.roundingMode }
      : { kind: 'LARGEST_REMAINDER' };
  const parts = funding.map((p) => ({ id: p.lenderId, weight: BigInt(p.targetShareBps ?? 0), priority: p.priority }));
  return split(amount, parts, rule);
}

function targetBecause(context: Selection, participant: Participant, targetMinor: bigint): string {
  const { program, amount } = context;
  const bps = formatBps(participant.targetShareBps ?? 0);
  if (program.allocationPolicy !== 'TARGET_SHARES') return `its target ${bps} of ${amount} is ${targetMinor} (rounded ${program.roundingMode})`;
  const how =
    program.split.remainderRule === 'ROUNDING_PARTY'
      ? `split by the target shares, each partner rounded ${program.roundingMode}, the lead taking the remainder`
      : 'split by the target shares, largest remainders';
  return `its target ${bps} of ${amount} is ${targetMinor} (${how})`;
}

function leadMinimumOf(context: Selection, lead: Participant): Term {
  const lender = lenderOf(context, lead.lenderId);
  const { amount, profile } = context;
  return largest([
    { amountMinor: 1n, label: 'one minor unit: every lender of the plan funds something' },
    { amountMinor: lead.minAmountMinor ?? 0n, label: "the program's minimum amount for it" },
    { amountMinor: shareOf(amount, lender.limits.minShareBps, 'UP'), label: `its own minimum share ${formatBps(lender.limits.minShareBps)}` },
    { amountMinor: shareOf(amount, profile.minLenderShareBps, 'UP'), label: `the ${profile.id} floor of ${formatBps(profile.minLenderShareBps)} for every lender` },
  ]);
}

function partnerMinimumOf(context: Selection, partner: Participant, lender: Lender): Term {
  const { amount, profile } = context;
  return largest([
    { amountMinor: 1n, label: 'one minor unit: every lender of the plan funds something' },
    { amountMinor: partner.minAmountMinor ?? 0n, label: "the program's minimum amount for it" },
    { amountMinor: shareOf(amount, lender.limits.minShareBps, 'UP'), label: `its own minimum share ${formatBps(lender.limits.minShareBps)}` },
    { amountMinor: shareOf(amount, profile.minPartnerShareBps, 'UP'), label: `the ${profile.id} partner floor of ${formatBps(profile.minPartnerShareBps)}` },
    { amountMinor: shareOf(amount, profile.minLenderShareBps, 'UP'), label: `the ${profile.id} floor of ${formatBps(profile.minLenderShareBps)} for every lender` },
  ]);
}

/** The first of the largest terms, so the label names the binding rule. */
function largest(terms: readonly Term[]): Term {
  let best = terms[0];
  invariant(best, 'a minimum has at least one term');
  for (const term of terms) if (term.amountMinor > best.amountMinor) best = term;
  return best;
}

function leadTargetOf(context: Selection, lead: Participant, targets: ReadonlyMap<string, bigint>, minimum: Term): Target {
  const { amount } = context;
  const raw = rawTarget(context, lead, targets);
  if (raw === null) return { amountMinor: minimum.amountMinor, because: `no target of its own: it keeps its minimum ${minimum.amountMinor} and partners fill the rest` };
  if (raw.amountMinor < minimum.amountMinor) return { amountMinor: minimum.amountMinor, because: `${raw.because}, raised to its minimum ${minimum.amountMinor}` };
  if (raw.amountMinor > amount) return { amountMinor: amount, because: `${raw.because}, at most the loan amount ${amount}` };
  return raw;
}

function rawTarget(context: Selection, participant: Participant, targets: ReadonlyMap<string, bigint>): Target | null {
  if (participant.fixedAmountMinor !== null) return { amountMinor: participant.fixedAmountMinor, because: `a fixed ${participant.fixedAmountMinor} per loan` };
  const target = targets.get(participant.lenderId);
  if (target === undefined || participant.targetShareBps === null) return null;
  return { amountMinor: target, because: targetBecause(context, participant, target) };
}

function assessLead(context: Selection, lead: Participant, minimum: Term, target: Target): Assessed {
  const lender = lenderOf(context, lead.lenderId);
  const { amount, profile, application } = context;
  if (isOutsideLendingRegion(profile, lender, application.borrower.region)) return { dropped: regionDrop(context, lender) };
  const held = exposureOf(context, lead.lenderId);
  const limits = [quotaLimit(lender, held), perBorrowerLimit(context, lender, held), maxShareLimit(context, lender)];
  const failing = limits.find((limit) => limit.allowanceMinor < minimum.amountMinor);
  if (failing) return { dropped: limitDrop(lender, failing, minimum) };
  const maximum = tightest(limits, amount);
  const asked = target.amountMinor > maximum.amountMinor ? maximum.amountMinor : target.amountMinor;
  const cappedText = asked < target.amountMinor ? `, capped at ${maximum.amountMinor} by ${maximum.label}` : '';
  return {
    candidate: {
      lenderId: lead.lenderId,
      role: 'LEAD',
      askedAmountMinor: asked,
      minimumAmountMinor: minimum.amountMinor,
      maximumAmountMinor: maximum.amountMinor,
      priority: lead.priority,
      because:
        `the lead approved the application and funds the rest; target ${asked}: ${target.because}${cappedText}; ` +
        `at least ${minimum.amountMinor} (${minimum.label}); at most ${maximum.amountMinor} (${maximum.label})`,
      figures: {
        targetMinor: asked.toString(),
        minimumMinor: minimum.amountMinor.toString(),
        maximumMinor: maximum.amountMinor.toString(),
        maximumRule: maximum.rule,
      },
    },
  };
}

function assessPartner(context: Selection, partner: Participant, targets: ReadonlyMap<string, bigint>, leadMinimum: Term, partnersGoal: bigint): Assessed {
  const { amount, profile, application } = context;
  const lender = lenderOf(context, partner.lenderId);
  if (context.excluded.has(partner.lenderId)) {
    return {
      dropped: {
        lenderId: partner.lenderId,
        rule: ALLOCATION_RULES.excluded,
        reason: `${partner.lenderId} already declined application ${application.applicationId} or did not answer in time`,
        figures: { applicationId: application.applicationId },
      },
    };
  }
  if (isOutsideLendingRegion(profile, lender, application.borrower.region)) return { dropped: regionDrop(context, lender) };
  const held = exposureOf(context, partner.lenderId);
  const minimum = partnerMinimumOf(context, partner, lender);
  const limits = [
    quotaLimit(lender, held),
    perBorrowerLimit(context, lender, held),
    ...tier1Limit(context, lender, held),
    ...totalLoansLimit(context, lender, held),
    maxShareLimit(context, lender),
    leadRoomLimit(context, leadMinimum),
  ];
  const failing = limits.find((limit) => limit.allowanceMinor < minimum.amountMinor);
  if (failing) return { dropped: limitDrop(lender, failing, minimum) };
  const maximum = tightest(limits, amount);
  const target = rawTarget(context, partner, targets) ?? {
    amountMinor: partnersGoal,
    because: `no target of its own: what the loan needs from partners beside the lead's target, ${amount} - ${amount - partnersGoal} = ${partnersGoal}`,
  };
  let asked = target.amountMinor;
  let because = target.because;
  if (asked < minimum.amountMinor) {
    asked = minimum.amountMinor;
    because += `, raised to its minimum ${minimum.amountMinor}`;
  }
  if (asked > maximum.amountMinor) {
    asked = maximum.amountMinor;
    because += `, capped at ${maximum.amountMinor} by ${maximum.label}`;
  }
  return {
    candidate: {
      lenderId: partner.lenderId,
      role: 'PARTNER',
      askedAmountMinor: asked,
      minimumAmountMinor: minimum.amountMinor,
      maximumAmountMinor: maximum.amountMinor,
      priority: partner.priority,
      because: `asked ${asked}: ${because}; at least ${minimum.amountMinor} (${minimum.label}); at most ${maximum.amountMinor} (${maximum.label})`,
      figures: {
        targetMinor: target.amountMinor.toString(),
        askedMinor: asked.toString(),
        minimumMinor: minimum.amountMinor.toString(),
        maximumMinor: maximum.amountMinor.toString(),
        maximumRule: maximum.rule,
      },
    },
  };
}

/** The tightest limit, and never more than the loan. */
function tightest(limits: readonly Limit[], amount: bigint): { amountMinor: bigint; rule: string; label: string } {
  let best = { amountMinor: amount, rule: 'LOAN_AMOUNT', label: 'the loan amount' };
  for (const limit of limits) {
    if (limit.allowanceMinor < best.amountMinor) best = { amountMinor: limit.allowanceMinor, rule: limit.rule, label: limit.because };
  }
  return best;
}

function quotaLimit(lender: Lender, held: LenderExposure): Limit {
  const quota = lender.limits.exposureQuotaMinor;
  const left = quota - held.outstandingMinor - held.reservedMinor;
  return {
    rule: ALLOCATION_RULES.exposureQuota,
    allowanceMinor: left,
    because: `${lender.lenderId} has ${left} of its exposure quota left (quota ${quota} - outstanding ${held.outstandingMinor} - reserved ${held.reservedMinor})`,
    figures: {
      quotaMinor: quota.toString(),
      outstandingMinor: held.outstandingMinor.toString(),
      reservedMinor: held.reservedMinor.toString(),
      remainingMinor: left.toString(),
    },
  };
}

function perBorrowerLimit(context: Selection, lender: Lender, held: LenderExposure): Limit {
  const cap = lender.limits.perBorrowerCapMinor;
  const left = cap - held.borrowerOutstandingMinor;
  const borrowerId = context.application.borrower.borrowerId;
  return {
    rule: ALLOCATION_RULES.perBorrowerCap,
    allowanceMinor: left,
    because: `${lender.lenderId} may lend ${left} more to borrower ${borrowerId} (cap ${cap} - outstanding ${held.borrowerOutstandingMinor})`,
    figures: {
      borrowerId,
      capMinor: cap.toString(),
      borrowerOutstandingMinor: held.borrowerOutstandingMinor.toString(),
      remainingMinor: left.toString(),
    },
  };
}

/** The partner's joint loans with this lead stay within the profile's share of its net tier-1 capital. */
function tier1Limit(context: Selection, lender: Lender, held: LenderExposure): Limit[] {
  const { profile, program } = context;
  const bps = profile.maxSinglePartnerToTier1Bps;
  const capital = lender.netTier1CapitalMinor;
  if (bps === null || capital === null) return [];
  const cap = shareOf(capital, bps, 'DOWN');
  const left = cap - held.jointWithLeadMinor;
  return [
    {
      rule: ALLOCATION_RULES.singlePartnerTier1Cap,
      allowanceMinor: left,
      because:
        `under ${profile.id} joint loans of ${lender.lenderId} with ${program.leadLenderId} stay within ${formatBps(bps)} of its net tier-1 capital ${capital}, ` +
        `that is ${cap}; ${held.jointWithLeadMinor} are outstanding, ${left} left`,
      figures: {
        profile: profile.id,
        capBps: String(bps),
        netTier1CapitalMinor: capital.toString(),
        capMinor: cap.toString(),
        jointWithLeadMinor: held.jointWithLeadMinor.toString(),
        remainingMinor: left.toString(),
      },
    },
  ];
}

/** The partner's joint loans with all counterparties stay within the profile's share of its total loans. */
function totalLoansLimit(context: Selection, lender: Lender, held: LenderExposure): Limit[] {
  const { profile } = context;
  const bps = profile.maxJointToTotalLoansBps;
  const loans = lender.totalLoansMinor;
  if (bps === null || loans === null) return [];
  const cap = shareOf(loans, bps, 'DOWN');
  const left = cap - held.jointTotalMinor;
  return [
    {
      rule: ALLOCATION_RULES.jointToTotalLoansCap,
      allowanceMinor: left,
      because:
        `under ${profile.id} joint loans of ${lender.lenderId} stay within ${formatBps(bps)} of its total loans ${loans}, ` +
        `that is ${cap}; ${held.jointTotalMinor} are outstanding, ${left} left`,
      figures: {
        profile: profile.id,
        capBps: String(bps),
        totalLoansMinor: loans.toString(),
        capMinor: cap.toString(),
        jointTotalMinor: held.jointTotalMinor.toString(),
        remainingMinor: left.toString(),
      },
    },
  ];
}

function maxShareLimit(context: Selection, lender: Lender): Limit {
  const bps = lender.limits.maxShareBps;
  const most = shareOf(context.amount, bps, 'DOWN');
  return {
    rule: ALLOCATION_RULES.lenderShareLimit,
    allowanceMinor: most,
    because: `${lender.lenderId} takes at most ${formatBps(bps)} of a loan, ${most} of ${context.amount}`,
    figures: { maxShareBps: String(bps), amountMinor: context.amount.toString(), maximumMinor: most.toString() },
  };
}

function leadRoomLimit(context: Selection, leadMinimum: Term): Limit {
  const room = context.amount - leadMinimum.amountMinor;
  return {
    rule: ALLOCATION_RULES.leadMinimumRoom,
    allowanceMinor: room,
    because: `the lead keeps at least ${leadMinimum.amountMinor} of ${context.amount} (${leadMinimum.label}), leaving ${room}`,
    figures: { amountMinor: context.amount.toString(), leadMinimumMinor: leadMinimum.amountMinor.toString(), remainingMinor: room.toString() },
  };
}

function limitDrop(lender: Lender, limit: Limit, minimum: Term): DroppedLender {
  return {
    lenderId: lender.lenderId,
    rule: limit.rule,
    reason: `${limit.because}; it must fund at least ${minimum.amountMinor} (${minimum.label})`,
    figures: { ...limit.figures, minimumMinor: minimum.amountMinor.toString() },
  };
}

function regionDrop(context: Selection, lender: Lender): DroppedLender {
  const { profile, application } = context;
  return {
    lenderId: lender.lenderId,
    rule: ALLOCATION_RULES.localBankRegion,
    reason: `under ${profile.id} local bank ${lender.lenderId} (${lender.region}) lends online only inside its region; the borrower is in ${application.borrower.region}`,
    figures: { profile: profile.id, lenderRegion: lender.region, borrowerRegion: application.borrower.region },
  };
}

function lenderOf(context: Selection, lenderId: string): Lender {
  const lender = context.lenders.get(lenderId);
  if (!lender) throw new RuleViolation('UNKNOWN_LENDER', `lender ${lenderId} does not exist`, { path: 'lenders', lenderId });
  return lender;
}

const EXPOSURE_FIELDS = ['outstandingMinor', 'reservedMinor', 'borrowerOutstandingMinor', 'jointWithLeadMinor', 'jointTotalMinor'] as const;

/** A missing exposure is an error, never zero: a lender's quota must not look emptier than it is. */
function exposureOf(context: Selection, lenderId: string): LenderExposure {
  const held = context.exposure.get(lenderId);
  if (!held) throw new ValidationError(`exposure of lender ${lenderId} is missing`, { path: `exposure.${lenderId}`, rule: 'required' });
  for (const field of EXPOSURE_FIELDS) {
    const value: unknown = held[field];
    if (typeof value !== 'bigint' || value < 0n) {
      throw new ValidationError(`exposure.${lenderId}.${field} must be a bigint of zero or more minor units`, { path: `exposure.${lenderId}.${field}`, rule: 'non-negative' });
    }
  }
  return held;
}

// Shares -----------------------------------------------------------------------------------------------

function checkBps(bps: number, path: string): void {
  if (!Number.isSafeInteger(bps) || bps < 0 || bps > WHOLE_BPS) {
    throw new ValidationError(`${path} must be whole basis points from 0 to 10000, got ${bps}`, { path, rule: 'bps' });
  }
}

/**
 * `bps` of `amount` in whole minor units, through the one split function: the amount is split into
 * the share and the rest. Rounding UP lets the rest round down and the share take what is left, so a
 * minimum share always holds exactly; any other mode rounds the share itself.
 */
function shareOf(amount: bigint, bps: number, rounding: RoundingMode | 'UP'): bigint {
  checkBps(bps, 'shareBps');
  const parts = [
    { id: 'share', weight: BigInt(bps), priority: 0 },
    { id: 'rest', weight: BigInt(WHOLE_BPS - bps), priority: 1 },
  ];
  const rule: RemainderRule =
    rounding === 'UP' ? { kind: 'ROUNDING_PARTY', party: 'share', mode: 'DOWN' } : { kind: 'ROUNDING_PARTY', party: 'rest', mode: rounding };
  return split(amount, parts, rule).get('share') ?? 0n;
}

// Allocation -------------------------------------------------------------------------------------------

interface Approval {
  /** What the partner answered. */
  readonly approvedMinor: bigint;
  /** What counts: the answer, at most what the partner is asked now. */
  readonly countedMinor: bigint;
}

interface Funded extends Approval {
  readonly candidate: Candidate;
  fundedMinor: bigint;
}

interface ReadDecisions {
  readonly approvals: ReadonlyMap<string, Approval>;
  readonly refusals: ReadonlyMap<string, 'DECLINE' | 'TIMEOUT'>;
  readonly strangers: readonly PartnerDecision[];
}

/**
 * Turns the partners' decisions into a funding plan. Approved partners are taken in priority order
 * (then lender id) at what they approved, until they cover what the lead's target leaves to partners;
 * the lead funds the rest. When partners approved more than that, the last ones taken give back down
 * to their minimums so the lead keeps its target. When the rest would push the lead above its maximum
 * or no partner has approved, the result is NEED_MORE with the partners to ask next, or REJECT when
 * no partner is left who could cover it. Call it with no decisions to learn whom to ask first.
 */
export function allocate(
  program: Program,
  application: Application,
  candidates: readonly Candidate[],
  decisions: readonly PartnerDecision[],
): AllocationResult {
  assertApplicationOfProgram(application, program);
  const profile = REGULATORY_PROFILES[program.regulatoryProfile];
  const amount = application.amountMinor;
  const floor = partnerFloor(profile, amount);
  const { lead, partners } = readCandidates(program, amount, floor, candidates);
  const read = readDecisions(lead, partners, decisions);
  const strangerLines = read.strangers.map(strangerReason);
  if (!lead) {
    return {
      outcome: 'REJECT',
      reasons: [
        ...strangerLines,
        {
          lenderId: null,
          amountMinor: amount,
          because: `the lead ${program.leadLenderId} cannot fund this loan within its limits or its region, so no plan is possible`,
          rule: ALLOCATION_RULES.leadUnavailable,
          figures: { amountMinor: amount.toString(), leadLenderId: program.leadLenderId },
        },
      ],
    };
  }
  const state = new Allocation(profile, amount, lead, partners, read);
  return state.decide(strangerLines);
}

/** The least a partner funds under the profile: its partner floor and its floor for every lender, rounded up. */
function partnerFloor(profile: RegulatoryProfile, amount: bigint): Term {
  return largest([
    { amountMinor: 1n, label: 'one minor unit' },
    { amountMinor: shareOf(amount, profile.minPartnerShareBps, 'UP'), label: `the ${profile.id} partner floor of ${formatBps(profile.minPartnerShareBps)}` },
    { amountMinor: shareOf(amount, profile.minLenderShareBps, 'UP'), label: `the ${profile.id} floor of ${formatBps(profile.minLenderShareBps)} for every lender` },
  ]);
}

function readCandidates(program: Program, amount: bigint, floor: Term, candidates: readonly Candidate[]): { lead: Candidate | null; partners: Candidate[] } {
  const profile = REGULATORY_PROFILES[program.regulatoryProfile];
  const leadFloor = shareOf(amount, profile.minLenderShareBps, 'UP');
  const seen = new Set<string>();
  let lead: Candidate | null = null;
  const partners: Candidate[] = [];
  for (const [i, c] of candidates.entries()) {
    const path = `candidates.${i}`;
    if (seen.has(c.lenderId)) throw new ValidationError(`candidate ${c.lenderId} is listed twice`, { path: `${path}.lenderId`, rule: 'unique' });
    seen.add(c.lenderId);
    if (!(c.minimumAmountMinor > 0n && c.minimumAmountMinor <= c.askedAmountMinor && c.askedAmountMinor <= c.maximumAmountMinor && c.maximumAmountMinor <= amount)) {
      throw new ValidationError(`candidate ${c.lenderId} needs 0 < minimum <= asked <= maximum <= the loan amount ${amount}`, {
        path,
        rule: 'candidate-amounts',
        minimumMinor: String(c.minimumAmountMinor),
        askedMinor: String(c.askedAmountMinor),
        maximumMinor: String(c.maximumAmountMinor),
      });
    }
    if (!Number.isFinite(c.priority)) throw new ValidationError(`candidate ${c.lenderId} needs a finite priority`, { path: `${path}.priority`, rule: 'finite' });
    if (c.role === 'LEAD') {
      if (c.lenderId !== program.leadLenderId || lead !== null) {
        throw new ValidationError(`the only LEAD candidate is the program's lead ${program.leadLenderId}`, { path: `${path}.role`, rule: 'one-lead' });
      }
      if (c.minimumAmountMinor < leadFloor) {
        throw new ValidationError(`the lead's minimum ${c.minimumAmountMinor} is below the ${profile.id} floor ${leadFloor}`, { path: `${path}.minimumAmountMinor`, rule: 'profile-minimum' });
      }
      lead = c;
    } else if (c.role === 'PARTNER') {
      if (c.minimumAmountMinor < floor.amountMinor) {
        throw new ValidationError(`partner ${c.lenderId}'s minimum ${c.minimumAmountMinor} is below ${floor.label}, ${floor.amountMinor}`, {
          path: `${path}.minimumAmountMinor`,
          rule: 'profile-minimum',
        });
      }
      partners.push(c);
    } else {
      throw new ValidationError(`candidate ${c.lenderId} has an unknown role`, { path: `${path}.role`, rule: 'role' });
    }
  }
  partners.sort(byPriorityThenId);
  return { lead, partners };
}

function readDecisions(lead: Candidate | null, partners: readonly Candidate[], decisions: readonly PartnerDecision[]): ReadDecisions {
  const byId = new Map(partners.map((c) => [c.lenderId, c]));
  const seen = new Set<string>();
  const approvals = new Map<string, Approval>();
  const refusals = new Map<string, 'DECLINE' | 'TIMEOUT'>();
  const strangers: PartnerDecision[] = [];
  decisions.forEach((d, i) => {
    const path = `decisions.${i}`;
    if (seen.has(d.lenderId)) throw new ValidationError(`lender ${d.lenderId} decided twice`, { path: `${path}.lenderId`, rule: 'unique' });
    seen.add(d.lenderId);
    if (d.decision !== 'APPROVE' && d.decision !== 'DECLINE' && d.decision !== 'TIMEOUT') {
      throw new ValidationError(`${path}.decision must be APPROVE, DECLINE or TIMEOUT`, { path: `${path}.decision`, rule: 'decision' });
    }
    if (d.decision !== 'APPROVE' && d.approvedAmountMinor !== undefined) {
      throw new ValidationError(`${path}.approvedAmountMinor goes with APPROVE only`, { path: `${path}.approvedAmountMinor`, rule: 'approve-only' });
    }
    if (lead !== null && d.lenderId === lead.lenderId) {
      throw new ValidationError(`the lead ${d.lenderId} approves on the application, not as a partner decision`, { path: `${path}.lenderId`, rule: 'partner-only' });
    }
    const candidate = byId.get(d.lenderId);
    if (!candidate) {
      strangers.push(d);
      return;
    }
    if (d.decision === 'APPROVE') approvals.set(d.lenderId, checkedApproval(candidate, d, path));
    else refusals.set(d.lenderId, d.decision);
  });
  strangers.sort(byLenderId);
  return { approvals, refusals, strangers };
}

function byLenderId(a: { readonly lenderId: string }, b: { readonly lenderId: string }): number {
  if (a.lenderId === b.lenderId) return 0;
  return a.lenderId < b.lenderId ? -1 : 1;
}

/**
 * An approval below the minimum is refused. One above the amount asked counts only up to it: the
 * amount asked can shrink between rounds when the partner's quota is used by other loans, and a
 * partner funds less than it approved, never more.
 */
function checkedApproval(candidate: Candidate, decision: PartnerDecision, path: string): Approval {
  const approved = decision.approvedAmountMinor ?? candidate.askedAmountMinor;
  if (typeof approved !== 'bigint') {
    throw new ValidationError(`${path}.approvedAmountMinor must be a bigint of minor units`, { path: `${path}.approvedAmountMinor`, rule: 'integer-minor-units' });
  }
  if (approved < candidate.minimumAmountMinor) {
    throw new RuleViolation(
      ALLOCATION_RULES.approvalBelowMinimum,
      `${candidate.lenderId} approved ${approved}, below its minimum ${candidate.minimumAmountMinor} for this loan`,
      {
        path: `${path}.approvedAmountMinor`,
        rule: ALLOCATION_RULES.approvalBelowMinimum,
        lenderId: candidate.lenderId,
        approvedMinor: approved.toString(),
        askedMinor: candidate.askedAmountMinor.toString(),
        minimumMinor: candidate.minimumAmountMinor.toString(),
      },
    );
  }
  return { approvedMinor: approved, countedMinor: approved > candidate.askedAmountMinor ? candidate.askedAmountMinor : approved };
}

function strangerReason(d: PartnerDecision): Reason {
  return {
    lenderId: d.lenderId,
    amountMinor: 0n,
    because: `${d.lenderId} answered ${d.decision} but is not a candidate for this application, so its answer does not count`,
    rule: ALLOCATION_RULES.notACandidate,
    figures: { decision: d.decision },
  };
}

/** One allocation of an application: the partners taken, their amounts and the reasons. */
class Allocation {
  private readonly taken: Funded[] = [];
  private readonly lines = new Map<string, Reason>();
  private minimumSum = 0n;
  private approvedSum = 0n;
  /** What the lead's target leaves to partners. */
  private readonly goal: bigint;

  constructor(
    private readonly profile: RegulatoryProfile,
    private readonly amount: bigint,
    private readonly lead: Candidate,
    private readonly partners: readonly Candidate[],
    private readonly read: ReadDecisions,
  ) {
    this.goal = amount - lead.askedAmountMinor;
  }

  decide(strangerLines: readonly Reason[]): AllocationResult {
    this.take();
    if (this.taken.length > 0 && this.approvedSum >= this.amount - this.lead.maximumAmountMinor) return this.plan(strangerLines);
    return this.needMore(strangerLines);
  }

  /** Approved partners in order, while they are still needed and their minimums fit beside the lead's. */
  private take(): void {
    const room = this.amount - this.lead.minimumAmountMinor;
    for (const c of this.partners) {
      const refusal = this.read.refusals.get(c.lenderId);
      if (refusal !== undefined) {
        this.note(c, 0n, refusal === 'DECLINE' ? `${c.lenderId} declined the ${c.askedAmountMinor} asked` : `${c.lenderId} did not answer in time for the ${c.askedAmountMinor} asked`, {
          rule: refusal === 'DECLINE' ? ALLOCATION_RULES.declined : ALLOCATION_RULES.timeout,
        });
        continue;
      }
      const approval = this.read.approvals.get(c.lenderId);
      if (approval === undefined) continue;
      const approved = approval.countedMinor;
      if (this.taken.length > 0 && this.approvedSum >= this.goal) {
        this.note(c, 0n, `${c.lenderId} approved ${approved} but is not needed: partners ahead of it already fund ${this.approvedSum} of the ${this.goal} the lead's target leaves to partners`, {
          rule: ALLOCATION_RULES.notNeeded,
          approvedMinor: approved,
        });
        continue;
      }
      if (this.minimumSum + c.minimumAmountMinor > room) {
        this.note(c, 0n, `${c.lenderId} approved ${approved} but its minimum ${c.minimumAmountMinor} beside the partners ahead of it (${this.minimumSum}) would leave the lead less than its minimum ${this.lead.minimumAmountMinor}`, {
          rule: ALLOCATION_RULES.notNeeded,
          approvedMinor: approved,
        });
        continue;
      }
      this.taken.push({ candidate: c, ...approval, fundedMinor: approved });
      this.minimumSum += c.minimumAmountMinor;
      this.approvedSum += approved;
    }
  }

  private plan(strangerLines: readonly Reason[]): AllocationResult {
    const { amount, lead } = this;
    const wanted = this.approvedSum < this.goal ? this.approvedSum : this.goal;
    const partnersTotal = wanted > this.minimumSum ? wanted : this.minimumSum;
    let excess = this.approvedSum - partnersTotal; // approvedSum counts each approval up to the amount asked
    for (let i = this.taken.length - 1; i >= 0 && excess > 0n; i--) {
      const funded = this.taken[i]!;
      const spare = funded.fundedMinor - funded.candidate.minimumAmountMinor;
      const cut = spare < excess ? spare : excess;
      funded.fundedMinor -= cut;
      excess -= cut;
    }
    invariant(excess === 0n, 'approved partners could not give back down to their minimums', { excess: excess.toString() });
    const leadAmount = amount - partnersTotal;
    for (const f of this.taken) this.noteFunded(f, partnersTotal, leadAmount);
    for (const c of this.partners) {
      if (!this.lines.has(c.lenderId)) this.note(c, 0n, `${c.lenderId} was not asked: the plan is complete without it`, {});
    }
    const plan: PlanLine[] = [{ lenderId: lead.lenderId, role: 'LEAD', amountMinor: leadAmount }, ...this.taken.map((f) => ({ lenderId: f.candidate.lenderId, role: 'PARTNER' as const, amountMinor: f.fundedMinor }))];
    this.assertPlan(plan);
    const leadLine: Reason = {
      lenderId: lead.lenderId,
      amountMinor: leadAmount,
      because: `the lead funds the rest: ${amount} - ${partnersTotal} from partners = ${leadAmount}${leadVersusTarget(leadAmount, lead.askedAmountMinor)}; its limits allow ${lead.minimumAmountMinor} to ${lead.maximumAmountMinor}`,
      figures: {
        amountMinor: amount.toString(),
        partnersMinor: partnersTotal.toString(),
        targetMinor: lead.askedAmountMinor.toString(),
        minimumMinor: lead.minimumAmountMinor.toString(),
        maximumMinor: lead.maximumAmountMinor.toString(),
      },
    };
    const total: Reason = {
      lenderId: null,
      amountMinor: amount,
      because: `the loan of ${amount} is funded by ${plan.length} lenders and the plan sums to it exactly`,
      figures: { amountMinor: amount.toString(), leadMinor: leadAmount.toString(), partnersMinor: partnersTotal.toString() },
    };
    return { outcome: 'PLAN', plan, reasons: [leadLine, ...this.partnerLines(), ...strangerLines, total] };
  }

  private needMore(strangerLines: readonly Reason[]): AllocationResult {
    const { amount, lead } = this;
    const short = this.shortfall();
    const wanted = this.goal - this.approvedSum;
    const { ask, covered } = this.nextAsks(wanted > short.amountMinor ? wanted : short.amountMinor);
    const figures = {
      amountMinor: amount.toString(),
      leadMaximumMinor: lead.maximumAmountMinor.toString(),
      approvedMinor: this.approvedSum.toString(),
      shortfallMinor: short.amountMinor.toString(),
      askableMinor: covered.toString(),
    };
    if (covered < short.amountMinor) {
      for (const c of ask) this.note(c, 0n, `${c.lenderId} could fund at most ${c.askedAmountMinor}, not enough to close the shortfall with the partners left`, {});
      this.notePending();
      const summary: Reason = {
        lenderId: null,
        amountMinor: short.amountMinor,
        because: `${short.because}; the partners left could fund only ${covered}, so the application is rejected`,
        rule: ALLOCATION_RULES.noPartnerLeft,
        figures,
      };
      return { outcome: 'REJECT', reasons: [...this.partnerLines(), ...strangerLines, summary] };
    }
    for (const c of ask) this.note(c, 0n, `${c.lenderId} is asked now for ${c.askedAmountMinor}`, {});
    this.notePending();
    const askLenderIds = ask.map((c) => c.lenderId);
    const summary: Reason = { lenderId: null, amountMinor: short.amountMinor, because: `${short.because}; asking ${askLenderIds.join(', ')}`, rule: short.rule, figures };
    return { outcome: 'NEED_MORE', shortfallMinor: short.amountMinor, askLenderIds, reasons: [...this.partnerLines(), ...strangerLines, summary] };
  }

  /**
   * The least more partner funding a valid plan needs: what would push the lead above its maximum,
   * or, while no partner has approved, the profile's floor for one partner.
   */
  private shortfall(): { amountMinor: bigint; rule: string; because: string } {
    const { amount, lead } = this;
    const floor = partnerFloor(this.profile, amount);
    const overLead = amount - lead.maximumAmountMinor - this.approvedSum;
    if (this.taken.length === 0 && floor.amountMinor >= overLead) {
      return {
        amountMinor: floor.amountMinor,
        rule: ALLOCATION_RULES.needsPartner,
        because: `a joint loan needs a partner funding at least ${floor.amountMinor} (${floor.label}) and no partner has approved yet`,
      };
    }
    invariant(overLead > 0n, 'an allocation without a plan has a shortfall', { shortfall: overLead.toString() });
    return {
      amountMinor: overLead,
      rule: ALLOCATION_RULES.leadMaxShare,
      because: `the lead funds at most ${lead.maximumAmountMinor} of ${amount} and approved partners fund ${this.approvedSum}, so partners must fund ${overLead} more`,
    };
  }

  /** Partners not asked yet, in order, until their asked amounts cover `need`; skips those whose minimum cannot fit. */
  private nextAsks(need: bigint): { ask: Candidate[]; covered: bigint } {
    const room = this.amount - this.lead.minimumAmountMinor;
    const ask: Candidate[] = [];
    let covered = 0n;
    let minimums = this.minimumSum;
    for (const c of this.partners) {
      if (covered >= need) break;
      if (this.lines.has(c.lenderId) || this.read.approvals.has(c.lenderId)) continue;
      if (minimums + c.minimumAmountMinor > room) {
        this.note(c, 0n, `${c.lenderId} cannot join: its minimum ${c.minimumAmountMinor} beside the partners' (${minimums}) would leave the lead less than its minimum ${this.lead.minimumAmountMinor}`, {
          rule: ALLOCATION_RULES.leadMinimumRoom,
        });
        continue;
      }
      ask.push(c);
      covered += c.askedAmountMinor;
      minimums += c.minimumAmountMinor;
    }
    return { ask, covered };
  }

  private notePending(): void {
    for (const f of this.taken) this.note(f.candidate, f.countedMinor, `${f.candidate.lenderId} ${approvalText(f)}`, approvalExtra(f));
    for (const c of this.partners) if (!this.lines.has(c.lenderId)) this.note(c, 0n, `${c.lenderId} is not asked yet`, {});
  }

  private noteFunded(f: Funded, partnersTotal: bigint, leadAmount: bigint): void {
    const c = f.candidate;
    const joint = f.approvedMinor > c.askedAmountMinor ? ', and' : ' and';
    const fundedText =
      f.fundedMinor === f.countedMinor
        ? `${joint} funds it`
        : `${joint} funds ${f.fundedMinor}: partners fund ${partnersTotal} in all so that the lead keeps ${leadAmount}, and no partner goes below its minimum`;
    this.note(c, f.fundedMinor, `${c.lenderId} ${approvalText(f)}${fundedText}; its minimum is ${c.minimumAmountMinor}`, approvalExtra(f));
  }

  private note(c: Candidate, amountMinor: bigint, because: string, extra: { readonly rule?: string; readonly approvedMinor?: bigint }): void {
    const figures: Record<string, string> = {
      askedMinor: c.askedAmountMinor.toString(),
      minimumMinor: c.minimumAmountMinor.toString(),
      maximumMinor: c.maximumAmountMinor.toString(),
    };
    if (extra.approvedMinor !== undefined) figures.approvedMinor = extra.approvedMinor.toString();
    const line: Reason = extra.rule === undefined ? { lenderId: c.lenderId, amountMinor, because, figures } : { lenderId: c.lenderId, amountMinor, because, rule: extra.rule, figures };
    this.lines.set(c.lenderId, line);
  }

  /** Lines in the candidates' order, whatever order they were written in. */
  private partnerLines(): Reason[] {
    return this.partners.flatMap((c) => {
      const line = this.lines.get(c.lenderId);
      return line ? [line] : [];
    });
  }

  /** The plan's promises, checked before it leaves: sums, floors, limits and approvals. */
  private assertPlan(plan: readonly PlanLine[]): void {
    const { amount, profile, lead } = this;
    const sum = plan.reduce((s, line) => s + line.amountMinor, 0n);
    invariant(sum === amount, 'the funding plan sums to the loan amount', { sum: sum.toString(), amount: amount.toString() });
    const leadLine = plan[0];
    invariant(
      leadLine !== undefined && leadLine.amountMinor >= lead.minimumAmountMinor && leadLine.amountMinor <= lead.maximumAmountMinor,
      "the lead's part is within its limits",
      { lenderId: lead.lenderId },
    );
    invariant(this.taken.length > 0, 'a joint loan has a partner');
    for (const f of this.taken) {
      const c = f.candidate;
      invariant(
        f.fundedMinor >= c.minimumAmountMinor && f.fundedMinor <= f.countedMinor && f.countedMinor <= f.approvedMinor && f.countedMinor <= c.askedAmountMinor && c.askedAmountMinor <= c.maximumAmountMinor,
        "a partner's part is within its minimum, its approval and its limits",
        { lenderId: c.lenderId, fundedMinor: f.fundedMinor.toString() },
      );
    }
    for (const line of plan) {
      const floorBps = line.role === 'PARTNER' ? Math.max(profile.minPartnerShareBps, profile.minLenderShareBps) : profile.minLenderShareBps;
      invariant(line.amountMinor > 0n && line.amountMinor * BigInt(WHOLE_BPS) >= BigInt(floorBps) * amount, 'every lender of the plan meets the regulatory floor', {
        lenderId: line.lenderId,
        amountMinor: line.amountMinor.toString(),
        floorBps: String(floorBps),
      });
    }
  }
}

function approvalText(f: Funded): string {
  const asked = f.candidate.askedAmountMinor;
  if (f.approvedMinor > asked) return `approved ${f.approvedMinor}, of which the ${asked} its limits allow now counts`;
  return f.approvedMinor === asked ? `approved the ${asked} asked` : `approved ${f.approvedMinor} of the ${asked} asked`;
}

function approvalExtra(f: Funded): { rule?: string; approvedMinor: bigint } {
  return f.approvedMinor > f.candidate.askedAmountMinor ? { rule: ALLOCATION_RULES.approvalAboveAsked, approvedMinor: f.approvedMinor } : { approvedMinor: f.approvedMinor };
}

function leadVersusTarget(leadAmount: bigint, target: bigint): string {
  if (leadAmount === target) return ', its target';
  if (leadAmount > target) return `, ${leadAmount - target} above its target ${target} because partners fund less than the target leaves to them`;
  return `, ${target - leadAmount} below its target ${target} because partners' minimums take more`;
}
