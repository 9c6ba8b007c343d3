import { shareOf } from './allocation-model.ts';
import { RuleViolation } from './errors.ts';
import type { Lender } from './lender.ts';
import type { RepaymentMethod } from './program.ts';
import { RULES, formatBps, type RegulatoryProfile, type RegulatoryProfileId } from './regulatory-profile.ts';

/**
 * Checks of the regulatory profile shared by applications and bookings, so both refuse with the
 * same rule, message and figures.
 */

/** Bullet loans (one repayment at maturity) run no longer than the profile allows. */
export function checkBulletTerm(profile: RegulatoryProfile, repaymentMethod: RepaymentMethod, termMonths: number): void {
  if (profile.bulletMaxTermMonths === null || repaymentMethod !== 'BULLET' || termMonths <= profile.bulletMaxTermMonths) return;
  throw new RuleViolation(RULES.bulletMaxTerm, `under ${profile.id} bullet loans run at most ${profile.bulletMaxTermMonths} months, not ${termMonths}`, {
    path: 'termMonths',
    rule: RULES.bulletMaxTerm,
    profile: profile.id,
    maximumMonths: profile.bulletMaxTermMonths,
    actualMonths: termMonths,
  });
}

/** Whether the profile keeps this lender, a local bank, from lending online to a borrower of another region. */
export function isOutsideLendingRegion(profile: RegulatoryProfile, lender: Lender, borrowerRegion: string): boolean {
  return profile.localBanksRegionRestricted && lender.institutionType === 'LOCAL_BANK' && lender.region !== borrowerRegion;
}

/** The region rule for one lender, refused with the same figures as a booking. */
export function checkLocalBankRegion(profile: RegulatoryProfile, lender: Lender, borrowerRegion: string): void {
  if (!isOutsideLendingRegion(profile, lender, borrowerRegion)) return;
  throw new RuleViolation(
    RULES.localBankRegion,
    `under ${profile.id} local bank ${lender.lenderId} (${lender.region}) lends online only inside its region; the borrower is in ${borrowerRegion}`,
    {
      path: 'borrower.region',
      rule: RULES.localBankRegion,
      profile: profile.id,
      lenderId: lender.lenderId,
      lenderRegion: lender.region,
      borrowerRegion,
    },
  );
}

/**
 * Unsecured credit to an individual counts across all the borrower's loans: what it owes unsecured
 * now plus this amount stays within the profile's cap. When the borrower was measured as a person
 * (its identity number given), `borrowerIds` names every id counted, and the refusal names them.
 */
export function checkUnsecuredPersonalCap(
  profile: RegulatoryProfile,
  borrower: { readonly borrowerId: string; readonly type: string; readonly secured: boolean; readonly borrowerIds?: readonly string[] },
  existingMinor: bigint,
  requestedMinor: bigint,
  path: string,
): void {
  const cap = profile.unsecuredPersonalCapMinor;
  if (cap === null || borrower.type !== 'INDIVIDUAL' || borrower.secured) return;
  const total = existingMinor + requestedMinor;
  if (total <= cap) return;
  const others = (borrower.borrowerIds ?? []).filter((id) => id !== borrower.borrowerId);
  const who = others.length === 0 ? borrower.borrowerId : `${borrower.borrowerId} (one person with ${others.join(', ')})`;
  throw new RuleViolation(
    RULES.unsecuredPersonalCap,
    `under ${profile.id} unsecured personal credit is at most ${cap} per borrower across all its loans; ` +
      `borrower ${who} owes ${existingMinor} and asks for ${requestedMinor}, ${total} in all`,
    {
      path,
      rule: RULES.unsecuredPersonalCap,
      profile: profile.id,
      borrowerId: borrower.borrowerId,
      ...(others.length === 0 ? {} : { borrowerIds: [borrower.borrowerId, ...others] }),
      existingMinor: existingMinor.toString(),
      requestedMinor: requestedMinor.toString(),
      totalMinor: total.toString(),
      capMinor: cap.toString(),
    },
  );
}

/** The two ratio rules on a bank's joint loans (DESIGN section 10), each a share of one of its figures. */
export type JointLoanRule = typeof RULES.singlePartnerTier1Cap | typeof RULES.jointToTotalLoansCap;

export const JOINT_LOAN_RULES: readonly JointLoanRule[] = [RULES.singlePartnerTier1Cap, RULES.jointToTotalLoansCap];

/** The figure each rule takes its share of. */
export const FIGURE_OF_RULE = {
  [RULES.singlePartnerTier1Cap]: 'netTier1CapitalMinor',
  [RULES.jointToTotalLoansCap]: 'totalLoansMinor',
} as const satisfies Record<JointLoanRule, keyof Lender>;

/** The profile's share for a rule, in basis points of the figure; null when the profile does not set the rule. */
export function jointLoanCapBps(profile: RegulatoryProfile, rule: JointLoanRule): number | null {
  return rule === RULES.singlePartnerTier1Cap ? profile.maxSinglePartnerToTier1Bps : profile.maxJointToTotalLoansBps;
}

export interface JointLoanLimit {
  readonly rule: JointLoanRule;
  readonly profile: RegulatoryProfileId;
  readonly capBps: number;
  /** Net tier-1 capital or total loans, whichever the rule takes its share of. */
  readonly figureMinor: bigint;
  /** `capBps` of the figure, rounded down to the minor unit: the regulator's favour. */
  readonly limitMinor: bigint;
  readonly outstandingMinor: bigint;
  /** The limit less what is outstanding; negative once the rule is broken. */
  readonly headroomMinor: bigint;
}

/**
 * A bank's limit under one of the ratio rules and what is left of it. Null when the profile sets
 * no such rule or the bank has no figure: a missing figure is never taken as zero. The one
 * definition the allocation (`candidates.ts`) and the daily regulatory report both use, so the
 * two never disagree about a limit.
 */
export function jointLoanLimit(profile: RegulatoryProfile, rule: JointLoanRule, figureMinor: bigint | null, outstandingMinor: bigint): JointLoanLimit | null {
  const capBps = jointLoanCapBps(profile, rule);
  if (capBps === null || figureMinor === null) return null;
  const limitMinor = shareOf(figureMinor, capBps, 'DOWN');
  return { rule, profile: profile.id, capBps, figureMinor, limitMinor, outstandingMinor, headroomMinor: limitMinor - outstandingMinor };
}

/** A bank's joint loans outstanding that the two ratio rules count: with one lead, and with everyone. */
export interface JointLoansHeld {
  readonly withLeadMinor: bigint;
  readonly totalMinor: bigint;
}

/**
 * A partner's part of a loan booked without a review stays within the ratio rules, exactly as
 * the review's candidates do (`candidates.ts` asks a partner for at most the headroom
 * `jointLoanLimit` leaves): its joint loans outstanding with the lead, and with everyone, plus
 * this part, are at most the limit. A bank without the figure in force, or a profile without the
 * rule, is not bound by it.
 */
export function checkJointLoanLimits(profile: RegulatoryProfile, lender: Lender, leadLenderId: string, held: JointLoansHeld, partMinor: bigint, path: string): void {
  const measured: readonly [JointLoanRule, bigint, string][] = [
    [RULES.singlePartnerTier1Cap, held.withLeadMinor, `its joint loans with ${leadLenderId}`],
    [RULES.jointToTotalLoansCap, held.totalMinor, 'its joint loans with all counterparties'],
  ];
  for (const [rule, outstanding, what] of measured) {
    const figure = FIGURE_OF_RULE[rule];
    const limit = jointLoanLimit(profile, rule, lender[figure], outstanding);
    if (limit === null || partMinor <= limit.headroomMinor) continue;
    throw new RuleViolation(
      rule,
      `under ${profile.id} ${what} stay within ${formatBps(limit.capBps)} of ${lender.lenderId}'s ${figure === 'netTier1CapitalMinor' ? 'net tier-1 capital' : 'total loans'} ${limit.figureMinor}, ` +
        `that is ${limit.limitMinor}; ${outstanding} are outstanding, ${limit.headroomMinor} left, not ${partMinor}`,
      {
        path,
        rule,
        profile: profile.id,
        lenderId: lender.lenderId,
        leadLenderId,
        capBps: limit.capBps,
        [figure]: limit.figureMinor.toString(),
        limitMinor: limit.limitMinor.toString(),
        outstandingMinor: outstanding.toString(),
        headroomMinor: limit.headroomMinor.toString(),
        requestedMinor: partMinor.toString(),
      },
    );
  }
}
