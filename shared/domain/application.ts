import { RuleViolation, ValidationError } from './errors.ts';
import { assertRole, type Lender } from './lender.ts';
import type { Borrower } from './loan.ts';
import { checkRequestedTerms, type Program, type RepaymentMethod } from './program.ts';
import { checkBulletTerm, checkLocalBankRegion, checkUnsecuredPersonalCap } from './regulatory-checks.ts';

import { REGULATORY_PROFILES, type RegulatoryProfile, type RegulatoryProfileId } from './regulatory-profile.ts';

/**
 * An application as the lead submits it for joint review, after its own credit approval. Amounts are
 * minor units of the program's currency; the annual rate is a decimal string.
 */
export interface Application {
  readonly applicationId: string;
  readonly borrower: Borrower;
  readonly programId: string;
  readonly programVersion: number;
  readonly amountMinor: bigint;
  readonly termMonths: number;
  readonly repaymentMethod: RepaymentMethod;
  readonly annualRate: string;
  readonly purpose: string;
  /** The lead's own credit decision: an application reaches the partners only once the lead approved it. */
  readonly leadApproval: { readonly approved: true; readonly reference: string; readonly approvedAt: string };
  readonly createdAt: string;
}

/** What the borrower already owes, across all its loans with any lender of the platform. */
export interface BorrowerExposure {
  /** Unsecured credit to the borrower as an individual, outstanding. */
  readonly unsecuredPersonalOutstandingMinor: bigint;
  /** All credit to the borrower, outstanding. */
  readonly totalOutstandingMinor: bigint;
  /** Every borrower id counted when the borrower was measured as one person (its identity number given). */
  readonly borrowerIds?: readonly string[];
}

export type ApplicationTag = 'INCLUSIVE_SMALL_BUSINESS';

export interface ApplicationAssessment {
  /** Tags the loan carries into statements and regulatory reports. */
  readonly tags: readonly ApplicationTag[];
  /** The borrower's total credit once this loan is granted: what it owes now plus this amount. */
  readonly borrowerTotalCreditMinor: bigint;
}

/**
 * Joint-review figures of each regulatory profile, data like the profile itself: the most total
 * credit a business borrower may have and still count as inclusive small-business lending
 * (CN-2021: RMB 10 million); null where the profile has no such tag.
 */
export const INCLUSIVE_SMALL_BUSINESS_MAX_CREDIT_MINOR: Readonly<Record<RegulatoryProfileId, bigint | null>> = {
  'CN-2021': 1_000_000_000n,
  'IN-2025': null,
};

export const INCLUSIVE_SMALL_BUSINESS: ApplicationTag = 'INCLUSIVE_SMALL_BUSINESS';

/**
 * Decides whether an application may go to the partners: it must name this program version, come
 * from the program's lead with the lead's approval, fit the program's ranges and satisfy the
 * regulatory profile for this borrower. Returns the tags the loan carries; every refusal is a
 * RuleViolation naming the rule and the figures.
 */
export function validateApplication(
  input: Application,
  program: Program,
  lead: Lender,
  borrowerExposure: BorrowerExposure,
): ApplicationAssessment {
  const profile = REGULATORY_PROFILES[program.regulatoryProfile];
  checkExposureFigures(borrowerExposure);
  assertApplicationOfProgram(input, program);
  checkLead(input, program, lead);
  checkRequestedTerms(input, program, { amountPath: 'amountMinor', amountNoun: 'amount' });
  checkBulletTerm(profile, input.repaymentMethod, input.termMonths);
  checkUnsecuredPersonalCap(profile, { ...input.borrower, ...(borrowerExposure.borrowerIds === undefined ? {} : { borrowerIds: borrowerExposure.borrowerIds }) }, borrowerExposure.unsecuredPersonalOutstandingMinor, input.amountMinor, 'amountMinor');
  checkLocalBankRegion(profile, lead, input.borrower.region);
  const borrowerTotalCreditMinor = borrowerExposure.totalOutstandingMinor + input.amountMinor;
  const tags: ApplicationTag[] = [];
  if (isInclusiveSmallBusiness(profile, input.borrower, borrowerTotalCreditMinor)) tags.push(INCLUSIVE_SMALL_BUSINESS);
  return { tags, borrowerTotalCreditMinor };
}

/** The application names the program and the version it is reviewed under. */
export function assertApplicationOfProgram(application: Application, program: Program): void {
  if (application.programId !== program.programId || application.programVersion !== program.version) {
    throw new RuleViolation(
      'PROGRAM_MISMATCH',
      `application ${application.applicationId} is for program ${application.programId} version ${application.programVersion}, ` +
        `not ${program.programId} version ${program.version}`,
      {
        path: 'programVersion',
        rule: 'PROGRAM_MISMATCH',
        applicationProgramId: application.programId,
        applicationProgramVersion: String(application.programVersion),
        programId: program.programId,
        programVersion: String(program.version),
      },
    );
  }
}

function isInclusiveSmallBusiness(profile: RegulatoryProfile, borrower: Borrower, totalCreditMinor: bigint): boolean {
  const cap = INCLUSIVE_SMALL_BUSINESS_MAX_CREDIT_MINOR[profile.id];
  return cap !== null && borrower.type === 'BUSINESS' && totalCreditMinor <= cap;
}

function checkLead(application: Application, program: Program, lead: Lender): void {
  if (lead.lenderId !== program.leadLenderId) {
    throw new RuleViolation('NOT_THE_LEAD', `lender ${lead.lenderId} is not the lead of program ${program.programId}; ${program.leadLenderId} is`, {
      path: 'lead',
      rule: 'NOT_THE_LEAD',
      lenderId: lead.lenderId,
      leadLenderId: program.leadLenderId,
    });
  }
  assertRole(lead, 'LEAD', 'lead');
  const approval = application.leadApproval as { approved?: unknown; reference?: unknown };
  if (approval.approved !== true || typeof approval.reference !== 'string' || approval.reference === '') {
    throw new RuleViolation('LEAD_APPROVAL_MISSING', `application ${application.applicationId} reaches the partners only with the lead's approval and its reference`, {
      path: 'leadApproval',
      rule: 'LEAD_APPROVAL_MISSING',
    });
  }
}

function checkExposureFigures(exposure: BorrowerExposure): void {
  for (const key of ['unsecuredPersonalOutstandingMinor', 'totalOutstandingMinor'] as const) {
    const value: unknown = exposure[key];
    if (typeof value !== 'bigint' || value < 0n) {
      throw new ValidationError(`borrowerExposure.${key} must be a bigint of zero or more minor units`, {
        path: `borrowerExposure.${key}`,
        rule: 'non-negative',
      });
    }
  }
}
