import { assertApplicationOfProgram, type Application } from './application.ts';
import { isOutsideLendingRegion, jointLoanLimit } from './regulatory-checks.ts';
import { RuleViolation, ValidationError } from './errors.ts';
import type { Lender } from './lender.ts';
import { split, type RemainderRule } from './money/index.ts';
import { isFunding, type Participant, type Program } from './program.ts';
import { REGULATORY_PROFILES, formatBps, type RegulatoryProfile } from './regulatory-profile.ts';
import { ALLOCATION_RULES, WHOLE_BPS, byPriorityThenId, checkBps, largest, shareOf, type Candidate, type CandidateSelection, type DroppedLender, type Figures, type LenderExposure, type Term } from './allocation-model.ts';

/**
 * Which partners a joint review asks for how much (`chooseCandidates`): each lender's limits
 * (quota, per-borrower cap, the regulatory profile's tier-1 and total-loans ratios, its maximum
 * share, its region) measured against the program's targets and minimums. Pure: the caller loads
 * lenders and exposures. Every figure leaves with a sentence that says why.
 */

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
  const limit = jointLoanLimit(profile, ALLOCATION_RULES.singlePartnerTier1Cap, lender.netTier1CapitalMinor, held.jointWithLeadMinor);
  if (limit === null) return [];
  const { capBps, figureMinor: capital, limitMinor: cap, headroomMinor: left } = limit;
  return [
    {
      rule: limit.rule,
      allowanceMinor: left,
      because:
        `under ${profile.id} joint loans of ${lender.lenderId} with ${program.leadLenderId} stay within ${formatBps(capBps)} of its net tier-1 capital ${capital}, ` +
        `that is ${cap}; ${held.jointWithLeadMinor} are outstanding, ${left} left`,
      figures: {
        profile: profile.id,
        capBps: String(capBps),
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
  const limit = jointLoanLimit(profile, ALLOCATION_RULES.jointToTotalLoansCap, lender.totalLoansMinor, held.jointTotalMinor);
  if (limit === null) return [];
  const { capBps, figureMinor: loans, limitMinor: cap, headroomMinor: left } = limit;
  return [
    {
      rule: limit.rule,
      allowanceMinor: left,
      because:
        `under ${profile.id} joint loans of ${lender.lenderId} stay within ${formatBps(capBps)} of its total loans ${loans}, ` +
        `that is ${cap}; ${held.jointTotalMinor} are outstanding, ${left} left`,
      figures: {
        profile: profile.id,
        capBps: String(capBps),
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

