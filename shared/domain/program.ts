import { Decimal, parseRate, type DayCount, type RoundingMode } from './money/index.ts';
import { RuleViolation, ValidationError } from './errors.ts';
import { assertRole, type Lender } from './lender.ts';
import { checkFeeRules, type FeeTerms } from './fee-rules.ts';
import { checkBuybackTerms, type BuybackTerms } from './buyback.ts';
import { checkFundingParticipants } from './transaction-size.ts';
import { REGULATORY_PROFILES, RULES, formatBps, type RegulatoryProfileId } from './regulatory-profile.ts';
import { businessDateAt } from './business-date.ts';

export type RepaymentMethod = 'EQUAL_INSTALLMENT' | 'EQUAL_PRINCIPAL' | 'INTEREST_ONLY' | 'BULLET';
export type ParticipantRole = 'LEAD' | 'PARTNER' | 'GUARANTOR' | 'SERVICE_PARTNER';
export type InterestBasis = 'PRO_RATA' | 'LENDER_RATE';
export type RemainderRuleName = 'ROUNDING_PARTY' | 'LARGEST_REMAINDER';
export type WaterfallComponent =
  | 'PENALTY'
  | 'OVERDUE_INTEREST'
  | 'OVERDUE_PRINCIPAL'
  | 'CURRENT_INTEREST'
  | 'CURRENT_PRINCIPAL'
  | 'FEES';

export const DEFAULT_WATERFALL: readonly WaterfallComponent[] = [
  'PENALTY',
  'OVERDUE_INTEREST',
  'OVERDUE_PRINCIPAL',
  'CURRENT_INTEREST',
  'CURRENT_PRINCIPAL',
  'FEES',
];

export interface Participant {
  readonly lenderId: string;
  readonly role: ParticipantRole;
  /** Target share of each loan's principal in basis points (funding participants). */
  readonly targetShareBps: number | null;
  /** A fixed amount per loan instead of a share. */
  readonly fixedAmountMinor: bigint | null;
  /** The least the participant funds of a loan it joins. */
  readonly minAmountMinor: bigint | null;
  /** Lower number is asked first and wins tie-breaks. */
  readonly priority: number;
  /** LENDER_RATE interest basis: the partner's own annual yield, a decimal string. */
  readonly yieldRate: string | null;
}

export interface PrepaymentTerms {
  readonly excess: 'SUSPENSE' | 'PREPAY';
  readonly reschedule: 'SHORTER_TERM' | 'LOWER_INSTALMENT';
  /** How far a payment may exceed what the loan can owe, in basis points of its principal; DEFAULT_OVERPAYMENT_TOLERANCE_BPS when absent. */
  readonly overpaymentToleranceBps?: number;
}

/** A payment may exceed what the loan can owe by 10% of its principal unless the program says otherwise (docs/repayments.md, Bounds). */
export const DEFAULT_OVERPAYMENT_TOLERANCE_BPS = 1000;

export const DEFAULT_PREPAYMENT: PrepaymentTerms = Object.freeze({ excess: 'SUSPENSE', reschedule: 'LOWER_INSTALMENT' });

export interface ProgramTerms {
  readonly name: string;
  /**
   * The first date of the program's business: nothing of it (a disbursement, a value date) is
   * dated before it. Absent on programs created before programs had a start, and on loans booked
   * under them: such a program starts on its creation date on its own calendar (`programStartDate`).
   */
  readonly startDate?: string;
  readonly currency: string;
  readonly regulatoryProfile: RegulatoryProfileId;
  readonly leadLenderId: string;
  readonly amountRange: { readonly minMinor: bigint; readonly maxMinor: bigint };
  readonly termMonthsRange: { readonly min: number; readonly max: number };
  readonly repaymentMethods: readonly RepaymentMethod[];
  readonly borrowerRateRange: { readonly min: string; readonly max: string };
  readonly participants: readonly Participant[];
  readonly allocationPolicy: 'TARGET_SHARES' | 'PRIORITY_FILL';
  readonly split: {
    readonly interestBasis: InterestBasis;
    readonly penalty: 'PRO_RATA' | 'LEAD';
    readonly fees: 'LEAD' | { readonly party: string };
    readonly remainderRule: RemainderRuleName;
    /** ROUNDING_PARTY takes the remainder; the lead unless set. */
    readonly roundingParty: string | null;
  };
  /** Fee rules, and the older shorthand that maps to rules (fee-rules.ts, docs/fees.md). */
  readonly fees: FeeTerms;
  readonly lossSharing: {
    readonly method: 'PRO_RATA' | 'LEAD_FIRST_LOSS';
    /** LEAD_FIRST_LOSS: the lead absorbs first losses up to this share of disbursed principal. */
    readonly leadFirstLossCapBps: number | null;
    /** Guarantor compensation at this many days past due; null when there is no guarantor. */
    readonly guaranteeTriggerDpd: number | null;
    /** Whether the guarantor also pays the overdue interest (true when absent). */
    readonly guaranteeCoversInterest?: boolean;
    /** The daily risk update writes a loan off at this many days past due; null (or absent): only on request. */
    readonly writeOffDpd?: number | null;
  };
  /**
   * Who earns the interest of the period in which a share transfer falls: each holder for its days
   * (ACTUALS), or the holder at the payment (RECORD, also when absent).
   */
  readonly transfers?: { readonly interest: 'ACTUALS' | 'RECORD' };
  /**
   * A payment above every due: held in suspense (SUSPENSE) or repaid as principal early (PREPAY);
   * after a partial early repayment the schedule keeps its instalment and ends sooner
   * (SHORTER_TERM) or keeps its end with smaller instalments (LOWER_INSTALMENT). Absent on
   * programs created before the setting existed: { SUSPENSE, LOWER_INSTALMENT }.
   */
  readonly prepayment?: PrepaymentTerms;
  /**
   * Who may buy a partner's remaining share back (回购) and at what price (buyback.ts). Absent on
   * programs created before the setting existed: `DEFAULT_BUYBACK`, the lead or the guarantor at
   * outstanding principal plus accrued and overdue interest, at par.
   */
  readonly buyback?: BuybackTerms;
  readonly dayCount: DayCount;
  readonly roundingMode: RoundingMode;
  /** Penalty rate = contract rate × this multiplier. */
  readonly penaltyRateMultiplier: string;
  readonly waterfall: readonly WaterfallComponent[];
  readonly settlement: {
    readonly cutoffTime: string;
    readonly settlementLagDays: number;
    readonly netting: boolean;
    readonly calendar: string;
  };
  readonly reviewTimeoutSeconds: number;
  readonly disbursementTimeoutSeconds: number;
  /**
   * The participants besides the lead that see borrowers' personal data in clear
   * (docs/personal-data.md); none when absent.
   */
  readonly personalData?: { readonly entitledLenderIds: readonly string[] };
}

export interface Program extends ProgramTerms {
  readonly programId: string;
  readonly version: number;
  readonly createdAt: string;
}

/** The program's start: its `startDate`, or (stored before programs had one) its creation date on its own calendar. */
export function programStartDate(program: Pick<Program, 'startDate' | 'createdAt' | 'settlement'>): string {
  return program.startDate ?? businessDateAt(program.createdAt, program.settlement.calendar);
}

/**
 * Refuses a date of a program's business before the program's start, as the edge refuses a date
 * outside the platform's window: `DATE_OUT_OF_WINDOW`, details `{ field, from, to }` (from the
 * start to `to`, today). docs/calendar.md, Dates clients send.
 */
export function checkNotBeforeStart(field: string, value: string, startDate: string, to: string): void {
  if (value >= startDate) return;
  throw new ValidationError(
    `${field}: must be from ${startDate} (the program's start) to ${to}, got ${value}`,
    { path: field, field, rule: 'program-start', from: startDate, to },
    'DATE_OUT_OF_WINDOW',
  );
}

/** The latest version of each program, by program id: the terms in force now (cut-off, calendar, participants). */
export function latestVersions(programs: readonly Program[]): Program[] {
  const latest = new Map<string, Program>();
  for (const program of programs) {
    const seen = latest.get(program.programId);
    if (seen === undefined || seen.version < program.version) latest.set(program.programId, program);
  }
  return [...latest.values()].sort((a, b) => (a.programId < b.programId ? -1 : 1));
}

const FUNDING_ROLES: readonly ParticipantRole[] = ['LEAD', 'PARTNER'];

export function isFunding(participant: Participant): boolean {
  return FUNDING_ROLES.includes(participant.role);
}

/**
 * Checks a program against its participants' records and its regulatory profile. Every refusal
 * names the field, the rule and the figures.
 */
export function validateProgram(terms: ProgramTerms, lenders: ReadonlyMap<string, Lender>): void {
  const profile = REGULATORY_PROFILES[terms.regulatoryProfile];
  if (terms.currency !== profile.currency) {
    throw new RuleViolation(RULES.currency, `regulatory profile ${profile.id} applies to ${profile.currency} programs, not ${terms.currency}`, {
      path: 'currency',
      rule: RULES.currency,
      profile: profile.id,
    });
  }
  checkRanges(terms);
  const seen = new Set<string>();
  terms.participants.forEach((p, i) => {
    const path = `participants.${i}`;
    if (seen.has(p.lenderId)) {
      throw new ValidationError(`participant ${p.lenderId} is listed twice`, { path: `${path}.lenderId`, rule: 'unique' });
    }
    seen.add(p.lenderId);
    const lender = lenders.get(p.lenderId);
    if (!lender) {
      throw new RuleViolation('UNKNOWN_LENDER', `lender ${p.lenderId} does not exist`, { path: `${path}.lenderId`, lenderId: p.lenderId });
    }
    assertRole(lender, p.role, `${path}.role`);
    if (lender.currency !== terms.currency) {
      throw new RuleViolation('CURRENCY_MISMATCH', `lender ${p.lenderId} settles in ${lender.currency}, the program in ${terms.currency}`, {
        path: `${path}.lenderId`,
      });
    }
  });
  const leads = terms.participants.filter((p) => p.role === 'LEAD');
  if (leads.length !== 1 || leads[0]?.lenderId !== terms.leadLenderId) {
    throw new ValidationError('participants must hold exactly one LEAD, the leadLenderId', { path: 'participants', rule: 'one-lead' });
  }
  if (!terms.participants.some((p) => p.role === 'PARTNER')) {
    throw new ValidationError('a co-lending program needs at least one PARTNER', { path: 'participants', rule: 'has-partner' });
  }
  checkFundingParticipants(terms.participants.filter(isFunding).length);
  checkShares(terms);
  checkParties(terms, seen);
  checkFeeRules(terms);
  checkBuybackTerms(terms.buyback);
  checkPersonalDataEntitlements(terms, seen);
}

function checkRanges(terms: ProgramTerms): void {
  if (terms.amountRange.minMinor > terms.amountRange.maxMinor) {
    throw new ValidationError('amountRange.minMinor must not exceed amountRange.maxMinor', { path: 'amountRange.minMinor', rule: 'min-not-above-max' });
  }
  if (terms.termMonthsRange.min > terms.termMonthsRange.max) {
    throw new ValidationError('termMonthsRange.min must not exceed termMonthsRange.max', { path: 'termMonthsRange.min', rule: 'min-not-above-max' });
  }
  if (compareDecimal(terms.borrowerRateRange.min, terms.borrowerRateRange.max) > 0) {
    throw new ValidationError('borrowerRateRange.min must not exceed borrowerRateRange.max', { path: 'borrowerRateRange.min', rule: 'min-not-above-max' });
  }
}

function checkShares(terms: ProgramTerms): void {
  const profile = REGULATORY_PROFILES[terms.regulatoryProfile];
  if (terms.allocationPolicy !== 'TARGET_SHARES') return;
  let total = 0;
  terms.participants.forEach((p, i) => {
    if (!isFunding(p)) return;
    const path = `participants.${i}.targetShareBps`;
    if (p.targetShareBps === null) {
      throw new ValidationError(`participant ${p.lenderId} needs a targetShareBps under TARGET_SHARES`, { path, rule: 'required' });
    }
    total += p.targetShareBps;
    if (p.role === 'PARTNER' && p.targetShareBps < profile.minPartnerShareBps) {
      throw new RuleViolation(RULES.partnerMinShare, `under ${profile.id} a partner funds at least ${formatBps(profile.minPartnerShareBps)} of each loan; ${p.lenderId} targets ${formatBps(p.targetShareBps)}`, {
        path,
        rule: RULES.partnerMinShare,
        profile: profile.id,
        minimumBps: profile.minPartnerShareBps,
        actualBps: p.targetShareBps,
      });
    }
    if (p.targetShareBps < profile.minLenderShareBps) {
      throw new RuleViolation(RULES.lenderMinShare, `under ${profile.id} every lender keeps at least ${formatBps(profile.minLenderShareBps)} of each loan; ${p.lenderId} targets ${formatBps(p.targetShareBps)}`, {
        path,
        rule: RULES.lenderMinShare,
        profile: profile.id,
        minimumBps: profile.minLenderShareBps,
        actualBps: p.targetShareBps,
      });
    }
  });
  if (total !== 10_000) {
    throw new ValidationError(`the funding participants' targetShareBps must sum to 10000 (100%), not ${total}`, {
      path: 'participants',
      rule: 'shares-sum-to-whole',
      sumBps: total,
    });
  }
}

function checkParties(terms: ProgramTerms, participants: ReadonlySet<string>): void {
  const named: [string | null, string][] = [
    [terms.split.roundingParty, 'split.roundingParty'],
    [terms.fees.guarantorLenderId, 'fees.guarantorLenderId'],
    [typeof terms.split.fees === 'object' ? terms.split.fees.party : null, 'split.fees.party'],
  ];
  for (const [lenderId, path] of named) {
    if (lenderId !== null && !participants.has(lenderId)) {
      throw new ValidationError(`${path} ${lenderId} is not a participant of the program`, { path, rule: 'participant' });
    }
  }
  if (terms.lossSharing.method === 'LEAD_FIRST_LOSS' && terms.lossSharing.leadFirstLossCapBps === null) {
    throw new ValidationError('lossSharing.leadFirstLossCapBps is required for LEAD_FIRST_LOSS', { path: 'lossSharing.leadFirstLossCapBps', rule: 'required' });
  }
  const profile = REGULATORY_PROFILES[terms.regulatoryProfile];
  const cap = terms.lossSharing.leadFirstLossCapBps;
  if (profile.maxDefaultLossGuaranteeBps !== null && cap !== null && cap > profile.maxDefaultLossGuaranteeBps) {
    throw new RuleViolation('DEFAULT_LOSS_GUARANTEE_CAP', `under ${profile.id} the originator's default-loss guarantee is at most ${formatBps(profile.maxDefaultLossGuaranteeBps)}; the program sets ${formatBps(cap)}`, {
      path: 'lossSharing.leadFirstLossCapBps',
      rule: 'DEFAULT_LOSS_GUARANTEE_CAP',
      maximumBps: profile.maxDefaultLossGuaranteeBps,
      actualBps: cap,
    });
  }
}

/** The terms of a requested loan that a program bounds. */
export interface RequestedTerms {
  readonly amountMinor: bigint;
  readonly termMonths: number;
  readonly repaymentMethod: RepaymentMethod;
  readonly annualRate: string;
}

/**
 * The program's bounds on amount, term, repayment method and borrower rate. The same refusals as a
 * booking: codes AMOUNT_OUT_OF_RANGE, TERM_OUT_OF_RANGE, METHOD_NOT_ALLOWED, RATE_OUT_OF_RANGE with
 * the program and its range in the details. `amountPath` and `amountNoun` name the amount field of
 * the caller's request.
 */
export function checkRequestedTerms(
  terms: RequestedTerms,
  program: Program,
  names: { readonly amountPath: string; readonly amountNoun: string },
): void {
  const refuse = (code: string, path: string, message: string, figures: Record<string, unknown>): never => {
    throw new RuleViolation(code, message, { path, programId: program.programId, programVersion: program.version, ...figures });
  };
  const { minMinor, maxMinor } = program.amountRange;
  if (terms.amountMinor < minMinor || terms.amountMinor > maxMinor) {
    refuse('AMOUNT_OUT_OF_RANGE', names.amountPath, `${names.amountNoun} ${terms.amountMinor} is outside the program's range ${minMinor}..${maxMinor}`, {
      minMinor: minMinor.toString(),
      maxMinor: maxMinor.toString(),
    });
  }
  const { min, max } = program.termMonthsRange;
  if (!Number.isSafeInteger(terms.termMonths) || terms.termMonths < min || terms.termMonths > max) {
    refuse('TERM_OUT_OF_RANGE', 'termMonths', `term ${terms.termMonths} months is outside the program's range ${min}..${max}`, { min, max });
  }
  if (!program.repaymentMethods.includes(terms.repaymentMethod)) {
    refuse('METHOD_NOT_ALLOWED', 'repaymentMethod', `program ${program.programId} does not offer ${terms.repaymentMethod}`, {
      allowed: program.repaymentMethods,
    });
  }
  parseRate(terms.annualRate, 'annualRate');
  const rates = program.borrowerRateRange;
  if (compareDecimal(terms.annualRate, rates.min) < 0 || compareDecimal(terms.annualRate, rates.max) > 0) {
    refuse('RATE_OUT_OF_RANGE', 'annualRate', `annual rate ${terms.annualRate} is outside the program's range ${rates.min}..${rates.max}`, {
      min: rates.min,
      max: rates.max,
    });
  }
}

/** Compares two decimal strings exactly, without floats. */
export function compareDecimal(a: string, b: string): number {
  return new Decimal(a).cmp(new Decimal(b));
}

/** The lenders a program entitles to borrowers' personal data are its participants, each listed once. */
function checkPersonalDataEntitlements(terms: ProgramTerms, participants: ReadonlySet<string>): void {
  const listed = new Set<string>();
  (terms.personalData?.entitledLenderIds ?? []).forEach((lenderId, i) => {
    const path = `personalData.entitledLenderIds.${i}`;
    if (!participants.has(lenderId)) {
      throw new ValidationError(`lender ${lenderId} is entitled to personal data but is not a participant of the program`, { path, rule: 'entitled-participant', lenderId });
    }
    if (listed.has(lenderId)) throw new ValidationError(`lender ${lenderId} is listed twice`, { path, rule: 'unique' });
    listed.add(lenderId);
  });
}
