import { businessDateAt, cutoffDayAt } from './business-date.ts';
import { RuleViolation, ValidationError, invariant } from './errors.ts';
import { ESCROW, assertBalanced, entryIdOf, type JournalEntry, type Leg } from './ledger.ts';
import type { Lender } from './lender.ts';
import { shareOf } from './allocation-model.ts';
import { checkNotBeforeStart, checkRequestedTerms, isFunding, programStartDate, type Participant, type Program, type ProgramTerms, type RepaymentMethod } from './program.ts';
import type { SealedPersonalData } from './personal-data.ts';
import { checkBulletTerm, checkLocalBankRegion } from './regulatory-checks.ts';
import { REGULATORY_PROFILES, RULES, formatBps, type RegulatoryProfile } from './regulatory-profile.ts';

export type BorrowerType = 'INDIVIDUAL' | 'BUSINESS';

export interface Borrower {
  readonly borrowerId: string;
  readonly type: BorrowerType;
  readonly region: string;
  /** Unsecured credit counts against the per-borrower cap of unsecured personal loans. */
  readonly secured: boolean;
  /** Name, identity number, mobile and repayment account, sealed (docs/personal-data.md); absent when none was given. */
  readonly personalData?: SealedPersonalData;
}

export interface FundingPart {
  readonly lenderId: string;
  readonly amountMinor: bigint;
}

export interface BookLoanRequest {
  readonly loanId: string;
  readonly programId: string;
  readonly programVersion: number | null;
  readonly borrower: Borrower;
  readonly currency: string;
  readonly principalMinor: bigint;
  readonly annualRate: string;
  readonly termMonths: number;
  readonly repaymentMethod: RepaymentMethod;
  readonly disbursementDate: string;
  readonly disbursementReference: string;
  readonly fundingPlan: readonly FundingPart[];
}

export interface FundingShare extends FundingPart {
  readonly role: 'LEAD' | 'PARTNER';
}

export interface Loan {
  readonly loanId: string;
  readonly programId: string;
  readonly programVersion: number;
  /** The program's terms as they were at booking; a later program version never changes them. */
  readonly terms: ProgramTerms;
  readonly borrower: Borrower;
  readonly currency: string;
  readonly principalMinor: bigint;
  readonly annualRate: string;
  readonly termMonths: number;
  readonly repaymentMethod: RepaymentMethod;
  readonly disbursementDate: string;
  readonly disbursementReference: string;
  readonly fundingPlan: readonly FundingShare[];
  readonly status: 'ACTIVE';
  readonly createdAt: string;
}

/**
 * What a loan's files need of it and never changes after booking: its program, currency,
 * principal, disbursement date and each funding lender's amount. Kept beside the loan in an item
 * of its own, small, which is what the loans of a shard are listed by (docs/access-patterns.md S7).
 */
export interface LoanFacts {
  readonly loanId: string;
  readonly programId: string;
  readonly currency: string;
  readonly principalMinor: bigint;
  readonly disbursementDate: string;
  /** Each funding lender's amount, in the funding plan's order. */
  readonly funded: readonly FundingPart[];
}

export const loanFacts = (loan: Loan): LoanFacts => ({
  loanId: loan.loanId,
  programId: loan.programId,
  currency: loan.currency,
  principalMinor: loan.principalMinor,
  disbursementDate: loan.disbursementDate,
  funded: loan.fundingPlan.map(({ lenderId, amountMinor }) => ({ lenderId, amountMinor })),
});

export interface BookedLoan {
  readonly loan: Loan;
  readonly entry: JournalEntry;
}

/**
 * Decides a booking: checks the request against the program, its regulatory profile and the
 * lenders' limits, and builds the loan and its disbursement entry. Pure; nothing is written here.
 */
export function bookLoan(request: BookLoanRequest, program: Program, lenders: ReadonlyMap<string, Lender>, now: string): BookedLoan {
  checkAgainstProgram(request, program);
  checkNotBeforeStart('disbursementDate', request.disbursementDate, programStartDate(program), businessDateAt(now, program.settlement.calendar));
  const fundingPlan = checkFundingPlan(request, program, lenders);
  checkRegulatory(request, program, fundingPlan, lenders);
  const loan: Loan = {
    loanId: request.loanId,
    programId: program.programId,
    programVersion: program.version,
    terms: termsOf(program),
    borrower: request.borrower,
    currency: request.currency,
    principalMinor: request.principalMinor,
    annualRate: request.annualRate,
    termMonths: request.termMonths,
    repaymentMethod: request.repaymentMethod,
    disbursementDate: request.disbursementDate,
    disbursementReference: request.disbursementReference,
    fundingPlan,
    status: 'ACTIVE',
    createdAt: now,
  };
  return { loan, entry: disbursementEntry(loan, now) };
}

/** The program's terms as the loan keeps them, with the program's start (its creation date when it has none). */
function termsOf(program: Program): ProgramTerms {
  const { programId: _id, version: _v, createdAt: _c, ...terms } = program;
  return { ...terms, startDate: programStartDate(program) };
}

/** Each lender's book: its part of the principal is receivable, paid out through escrow. */
export function disbursementEntry(loan: Loan, now: string): JournalEntry {
  const legs: Leg[] = loan.fundingPlan.flatMap((part) => [
    { lenderId: part.lenderId, account: 'PRINCIPAL_RECEIVABLE', side: 'DEBIT', amountMinor: part.amountMinor, counterparty: null },
    { lenderId: part.lenderId, account: 'SETTLEMENT_CLEARING', side: 'CREDIT', amountMinor: part.amountMinor, counterparty: ESCROW },
  ]);
  const entry = assertBalanced({
    entryId: entryIdOf('DISBURSEMENT', loan.loanId),
    eventType: 'DISBURSEMENT',
    eventId: loan.loanId,
    loanId: loan.loanId,
    currency: loan.currency,
    businessDate: loan.disbursementDate,
    legs,
    createdAt: now,
    bookedOn: cutoffDayAt(now, loan.terms.settlement),
    programId: loan.programId,
    programVersion: loan.programVersion,
  });
  const debits = legs.filter((l) => l.side === 'DEBIT').reduce((s, l) => s + l.amountMinor, 0n);
  invariant(debits === loan.principalMinor, 'the disbursement books exactly the principal', { loanId: loan.loanId });
  return entry;
}

function checkAgainstProgram(request: BookLoanRequest, program: Program): void {
  if (request.currency !== program.currency) {
    throw new RuleViolation('CURRENCY_MISMATCH', `program ${program.programId} lends in ${program.currency}, not ${request.currency}`, {
      path: 'currency',
      programId: program.programId,
      programVersion: program.version,
      programCurrency: program.currency,
    });
  }
  const { principalMinor: amountMinor, termMonths, repaymentMethod, annualRate } = request;
  checkRequestedTerms({ amountMinor, termMonths, repaymentMethod, annualRate }, program, { amountPath: 'principalMinor', amountNoun: 'principal' });
}

function checkFundingPlan(request: BookLoanRequest, program: Program, lenders: ReadonlyMap<string, Lender>): FundingShare[] {
  if (request.fundingPlan.length === 0) {
    throw new ValidationError('fundingPlan needs at least one lender', { path: 'fundingPlan', rule: 'non-empty' });
  }
  const seen = new Set<string>();
  const plan = request.fundingPlan.map((part, i): FundingShare => {
    const path = `fundingPlan.${i}`;
    if (seen.has(part.lenderId)) {
      throw new ValidationError(`lender ${part.lenderId} appears twice in the funding plan`, { path: `${path}.lenderId`, rule: 'unique' });
    }
    seen.add(part.lenderId);
    if (!lenders.has(part.lenderId)) {
      throw new RuleViolation('UNKNOWN_LENDER', `lender ${part.lenderId} does not exist`, { path: `${path}.lenderId`, lenderId: part.lenderId });
    }
    const participant = program.participants.find((p) => p.lenderId === part.lenderId);
    if (!participant || !isFunding(participant)) {
      throw new RuleViolation('NOT_A_FUNDING_PARTICIPANT', `lender ${part.lenderId} does not fund loans of program ${program.programId}`, {
        path: `${path}.lenderId`,
        lenderId: part.lenderId,
      });
    }
    if (part.amountMinor <= 0n) {
      throw new ValidationError('every funding amount is positive', { path: `${path}.amountMinor`, rule: 'positive' });
    }
    if (participant.minAmountMinor !== null && part.amountMinor < participant.minAmountMinor) {
      throw new RuleViolation('BELOW_PARTICIPANT_MINIMUM', `lender ${part.lenderId} funds at least ${participant.minAmountMinor} of a loan it joins, not ${part.amountMinor}`, {
        path: `${path}.amountMinor`,
        minimumMinor: participant.minAmountMinor.toString(),
      });
    }
    return { lenderId: part.lenderId, amountMinor: part.amountMinor, role: participant.role as 'LEAD' | 'PARTNER' };
  });
  const sum = plan.reduce((s, p) => s + p.amountMinor, 0n);
  if (sum !== request.principalMinor) {
    throw new RuleViolation('PLAN_SUM_MISMATCH', `the funding plan sums to ${sum}, the principal is ${request.principalMinor}`, {
      path: 'fundingPlan',
      rule: 'plan-sums-to-principal',
      planSumMinor: sum.toString(),
      principalMinor: request.principalMinor.toString(),
    });
  }
  return plan;
}

/** share ≥ minimum, exactly: amount × 10000 ≥ minimumBps × principal. */
function shareBelow(amount: bigint, principal: bigint, minimumBps: number): boolean {
  return amount * 10_000n < BigInt(minimumBps) * principal;
}

function shareAbove(amount: bigint, principal: bigint, maximumBps: number): boolean {
  return amount * 10_000n > BigInt(maximumBps) * principal;
}

function bpsOf(amount: bigint, principal: bigint): string {
  return formatBps((amount * 10_000n) / principal);
}

function checkRegulatory(request: BookLoanRequest, program: Program, plan: readonly FundingShare[], lenders: ReadonlyMap<string, Lender>): void {
  const profile = REGULATORY_PROFILES[program.regulatoryProfile];
  const principal = request.principalMinor;
  plan.forEach((part, i) => {
    const path = `fundingPlan.${i}.amountMinor`;
    const lender = lenders.get(part.lenderId);
    invariant(lender, 'funding plan lenders were checked', { lenderId: part.lenderId });
    const figures = { path, profile: profile.id, lenderId: part.lenderId, amountMinor: part.amountMinor.toString(), principalMinor: principal.toString() };
    if (part.role === 'PARTNER' && shareBelow(part.amountMinor, principal, profile.minPartnerShareBps)) {
      throw new RuleViolation(RULES.partnerMinShare, `under ${profile.id} a partner funds at least ${formatBps(profile.minPartnerShareBps)} of each loan; ${part.lenderId} funds ${bpsOf(part.amountMinor, principal)}`, {
        ...figures,
        rule: RULES.partnerMinShare,
        minimumBps: profile.minPartnerShareBps,
      });
    }
    if (shareBelow(part.amountMinor, principal, profile.minLenderShareBps)) {
      throw new RuleViolation(RULES.lenderMinShare, `under ${profile.id} every lender keeps at least ${formatBps(profile.minLenderShareBps)} of each loan; ${part.lenderId} funds ${bpsOf(part.amountMinor, principal)}`, {
        ...figures,
        rule: RULES.lenderMinShare,
        minimumBps: profile.minLenderShareBps,
      });
    }
    const { minShareBps, maxShareBps } = lender.limits;
    if (shareBelow(part.amountMinor, principal, minShareBps) || shareAbove(part.amountMinor, principal, maxShareBps)) {
      throw new RuleViolation('LENDER_SHARE_LIMIT', `lender ${part.lenderId} takes between ${formatBps(minShareBps)} and ${formatBps(maxShareBps)} of a loan; the plan gives it ${bpsOf(part.amountMinor, principal)}`, {
        ...figures,
        rule: 'LENDER_SHARE_LIMIT',
        minShareBps,
        maxShareBps,
      });
    }
    const participant = program.participants.find((p) => p.lenderId === part.lenderId);
    if (part.role === 'PARTNER' && participant) checkFixedAmount(profile, participant, lender, part, principal, path);
    checkLocalBankRegion(profile, lender, request.borrower.region);
  });
  checkBulletTerm(profile, request.repaymentMethod, request.termMonths);
}

/**
 * A partner with a fixed amount per loan funds at most that amount, as a review asks it for no
 * more: unless its minimum for this loan (the program's minimum for it, its own minimum share,
 * the profile's floors, each rounded up) is above the fixed amount, when at most that minimum.
 */
function checkFixedAmount(profile: RegulatoryProfile, participant: Participant, lender: Lender, part: FundingShare, principal: bigint, path: string): void {
  const fixed = participant.fixedAmountMinor;
  if (fixed === null) return;
  const floors = [participant.minAmountMinor ?? 0n, shareOf(principal, lender.limits.minShareBps, 'UP'), shareOf(principal, profile.minPartnerShareBps, 'UP'), shareOf(principal, profile.minLenderShareBps, 'UP')];
  const minimum = floors.reduce((a, b) => (a > b ? a : b));
  const most = fixed > minimum ? fixed : minimum;
  if (part.amountMinor <= most) return;
  throw new RuleViolation('ABOVE_FIXED_AMOUNT', `partner ${part.lenderId} funds a fixed ${fixed} per loan, so at most ${most} of this one (its minimum ${minimum}); the plan gives it ${part.amountMinor}`, {
    path,
    rule: 'ABOVE_FIXED_AMOUNT',
    lenderId: part.lenderId,
    fixedAmountMinor: fixed.toString(),
    minimumMinor: minimum.toString(),
    maximumMinor: most.toString(),
    amountMinor: part.amountMinor.toString(),
  });
}
