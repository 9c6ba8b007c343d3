import { describe, expect, it } from 'vitest';
import {
  INCLUSIVE_SMALL_BUSINESS,
  validateApplication,
  type Application,
  type BorrowerExposure,
} from '../../../../shared/domain/application.ts';
import { RuleViolation, ValidationError } from '../../../../shared/domain/errors.ts';
import type { Lender } from '../../../../shared/domain/lender.ts';
import { bookLoan } from '../../../../shared/domain/loan.ts';
import { checkRequestedTerms, type Program } from '../../../../shared/domain/program.ts';
import {
  LEAD_ID,
  NOW,
  PARTNER_A,
  PROGRAM_ID,
  aBookLoanRequest,
  aBorrower,
  aLeadLender,
  aPartnerLender,
  aProgram,
  anIndiaProgramTerms,
  lenderMap,
} from '../../../support/builders.ts';
import { thrownBy } from '../../../support/expect-error.ts';

function anApplication(overrides: Partial<Application> = {}): Application {
  return {
    applicationId: 'APP-2025-000001',
    borrower: aBorrower(),
    programId: PROGRAM_ID,
    programVersion: 1,
    amountMinor: 1_000_000n,
    termMonths: 12,
    repaymentMethod: 'EQUAL_INSTALLMENT',
    annualRate: '0.0725',
    purpose: 'home appliances',
    leadApproval: { approved: true, reference: 'LEAD-CR-0001', approvedAt: NOW },
    createdAt: NOW,
    ...overrides,
  };
}

const NO_DEBT: BorrowerExposure = { unsecuredPersonalOutstandingMinor: 0n, totalOutstandingMinor: 0n };
const program = aProgram();
const indiaProgram = aProgram(anIndiaProgramTerms());
const lead = aLeadLender();

function validate(application: Application, prog: Program = program, leadLender: Lender = lead, exposure: BorrowerExposure = NO_DEBT) {
  return validateApplication(application, prog, leadLender, exposure);
}

function refusal(application: Application, prog: Program = program, leadLender: Lender = lead, exposure: BorrowerExposure = NO_DEBT): RuleViolation {
  return thrownBy(RuleViolation, () => validate(application, prog, leadLender, exposure));
}

describe('validateApplication: the program', () => {
  it('accepts an application within every range, without tags', () => {
    expect(validate(anApplication())).toEqual({ tags: [], borrowerTotalCreditMinor: 1_000_000n });
  });

  it('refuses an amount outside the range, naming the program and its range; accepts both ends', () => {
    const error = refusal(anApplication({ amountMinor: 99_999n }));
    expect(error.code).toBe('AMOUNT_OUT_OF_RANGE');
    expect(error.message).toBe("amount 99999 is outside the program's range 100000..50000000");
    expect(error.details).toEqual({ path: 'amountMinor', programId: PROGRAM_ID, programVersion: 1, minMinor: '100000', maxMinor: '50000000' });
    expect(refusal(anApplication({ amountMinor: 50_000_001n, borrower: aBorrower({ secured: true }) })).code).toBe('AMOUNT_OUT_OF_RANGE');
    expect(() => validate(anApplication({ amountMinor: 100_000n }))).not.toThrow();
    expect(() => validate(anApplication({ amountMinor: 50_000_000n, borrower: aBorrower({ secured: true }) }))).not.toThrow();
  });

  it('refuses a term, a repayment method and a rate outside the program', () => {
    expect(refusal(anApplication({ termMonths: 37 })).details).toMatchObject({ path: 'termMonths', min: 1, max: 36 });
    const method = refusal(anApplication({ repaymentMethod: 'INTEREST_ONLY' }), aProgram({ repaymentMethods: ['EQUAL_INSTALLMENT'] }));
    expect(method.code).toBe('METHOD_NOT_ALLOWED');
    expect(method.details).toMatchObject({ path: 'repaymentMethod', allowed: ['EQUAL_INSTALLMENT'] });
    const rate = refusal(anApplication({ annualRate: '0.240000000001' }));
    expect(rate.code).toBe('RATE_OUT_OF_RANGE');
    expect(rate.details).toMatchObject({ path: 'annualRate', min: '0.036', max: '0.24' });
    expect(() => validate(anApplication({ annualRate: '0.036' }))).not.toThrow();
  });

  it('refuses a rate that is not a decimal string as invalid input', () => {
    const error = thrownBy(ValidationError, () => validate(anApplication({ annualRate: '7%' })));
    expect(error.details).toMatchObject({ path: 'annualRate', rule: 'decimal-format' });
  });

  it('refuses an application for another version of the program', () => {
    const error = refusal(anApplication({ programVersion: 2 }));
    expect(error.code).toBe('PROGRAM_MISMATCH');
    expect(error.details).toMatchObject({ applicationProgramVersion: '2', programVersion: '1' });
  });

  it('gives the same refusal as a booking for the same terms, so both share one rule', () => {
    const booking = thrownBy(RuleViolation, () => bookLoan(aBookLoanRequest({ termMonths: 40 }), program, lenderMap(), NOW));
    const terms = { amountMinor: 1_000_000n, termMonths: 40, repaymentMethod: 'EQUAL_INSTALLMENT' as const, annualRate: '0.0725' };
    const shared = thrownBy(RuleViolation, () => checkRequestedTerms(terms, program, { amountPath: 'principalMinor', amountNoun: 'principal' }));
    expect([shared.code, shared.message, shared.details]).toEqual([booking.code, booking.message, booking.details]);
    const bookingAmount = thrownBy(RuleViolation, () => bookLoan(aBookLoanRequest({ principalMinor: 99_999n, fundingPlan: [] }), program, lenderMap(), NOW));
    const sharedAmount = thrownBy(RuleViolation, () => checkRequestedTerms({ ...terms, termMonths: 12, amountMinor: 99_999n }, program, { amountPath: 'principalMinor', amountNoun: 'principal' }));
    expect([sharedAmount.code, sharedAmount.message, sharedAmount.details]).toEqual([bookingAmount.code, bookingAmount.message, bookingAmount.details]);
  });
});

describe('validateApplication: the lead', () => {
  it("refuses a lender that is not the program's lead", () => {
    const error = refusal(anApplication(), program, aPartnerLender(PARTNER_A));
    expect(error.code).toBe('NOT_THE_LEAD');
    expect(error.details).toEqual({ path: 'lead', rule: 'NOT_THE_LEAD', lenderId: PARTNER_A, leadLenderId: LEAD_ID });
  });

  it('refuses a lead record without the LEAD role', () => {
    expect(refusal(anApplication(), program, aLeadLender({ roles: ['PARTNER'] })).code).toBe('LENDER_ROLE_MISSING');
  });

  it("refuses an application without the lead's approval reference", () => {
    const application = anApplication({ leadApproval: { approved: true, reference: '', approvedAt: NOW } });
    expect(refusal(application).details).toEqual({ path: 'leadApproval', rule: 'LEAD_APPROVAL_MISSING' });
    const unapproved = { ...anApplication(), leadApproval: { approved: false, reference: 'X', approvedAt: NOW } } as unknown as Application;
    expect(refusal(unapproved).code).toBe('LEAD_APPROVAL_MISSING');
  });

  it('refuses a local-bank lead outside its region under CN-2021, with both regions', () => {
    const localLead = aLeadLender({ institutionType: 'LOCAL_BANK', region: 'CN-11' });
    const error = refusal(anApplication(), program, localLead);
    expect(error.code).toBe('LOCAL_BANK_REGION');
    expect(error.details).toEqual({ path: 'borrower.region', rule: 'LOCAL_BANK_REGION', profile: 'CN-2021', lenderId: LEAD_ID, lenderRegion: 'CN-11', borrowerRegion: 'CN-44' });
    expect(() => validate(anApplication({ borrower: aBorrower({ region: 'CN-11' }) }), program, localLead)).not.toThrow();
  });
});

describe('validateApplication: CN-2021 borrower rules', () => {
  it('refuses a bullet loan longer than 12 months and accepts 12', () => {
    const error = refusal(anApplication({ repaymentMethod: 'BULLET', termMonths: 13 }));
    expect(error.code).toBe('BULLET_MAX_TERM');
    expect(error.details).toEqual({ path: 'termMonths', rule: 'BULLET_MAX_TERM', profile: 'CN-2021', maximumMonths: 12, actualMonths: 13 });
    expect(error.message).toBe('under CN-2021 bullet loans run at most 12 months, not 13');
    expect(() => validate(anApplication({ repaymentMethod: 'BULLET', termMonths: 12 }))).not.toThrow();
  });

  it('counts unsecured personal credit across all the borrower loans: existing + requested above the cap is refused', () => {
    const owes: BorrowerExposure = { unsecuredPersonalOutstandingMinor: 15_000_000n, totalOutstandingMinor: 18_000_000n };
    const error = refusal(anApplication({ amountMinor: 5_000_001n }), program, lead, owes);
    expect(error.code).toBe('UNSECURED_PERSONAL_CAP');
    expect(error.details).toEqual({
      path: 'amountMinor',
      rule: 'UNSECURED_PERSONAL_CAP',
      profile: 'CN-2021',
      borrowerId: 'BRW-0001',
      existingMinor: '15000000',
      requestedMinor: '5000001',
      totalMinor: '20000001',
      capMinor: '20000000',
    });
    expect(error.message).toBe(
      'under CN-2021 unsecured personal credit is at most 20000000 per borrower across all its loans; borrower BRW-0001 owes 15000000 and asks for 5000001, 20000001 in all',
    );
  });

  it('accepts unsecured personal credit reaching the cap exactly, and secured or business credit above it', () => {
    const owes: BorrowerExposure = { unsecuredPersonalOutstandingMinor: 15_000_000n, totalOutstandingMinor: 15_000_000n };
    expect(validate(anApplication({ amountMinor: 5_000_000n }), program, lead, owes).borrowerTotalCreditMinor).toBe(20_000_000n);
    expect(() => validate(anApplication({ amountMinor: 5_000_001n, borrower: aBorrower({ secured: true }) }), program, lead, owes)).not.toThrow();
    expect(() => validate(anApplication({ amountMinor: 5_000_001n, borrower: aBorrower({ type: 'BUSINESS' }) }), program, lead, owes)).not.toThrow();
  });

  it('tags a business borrower whose total credit stays within RMB 10 million as inclusive small business', () => {
    const business = aBorrower({ type: 'BUSINESS', secured: true });
    const atCap: BorrowerExposure = { unsecuredPersonalOutstandingMinor: 0n, totalOutstandingMinor: 999_000_000n };
    expect(validate(anApplication({ borrower: business }), program, lead, atCap)).toEqual({ tags: [INCLUSIVE_SMALL_BUSINESS], borrowerTotalCreditMinor: 1_000_000_000n });
    const oneFenMore: BorrowerExposure = { unsecuredPersonalOutstandingMinor: 0n, totalOutstandingMinor: 999_000_001n };
    expect(validate(anApplication({ borrower: business }), program, lead, oneFenMore)).toEqual({ tags: [], borrowerTotalCreditMinor: 1_000_000_001n });
  });

  it('does not tag an individual borrower', () => {
    expect(validate(anApplication()).tags).toEqual([]);
  });

  it('refuses negative exposure figures as invalid input', () => {
    const error = thrownBy(ValidationError, () => validate(anApplication(), program, lead, { unsecuredPersonalOutstandingMinor: -1n, totalOutstandingMinor: 0n }));
    expect(error.details).toEqual({ path: 'borrowerExposure.unsecuredPersonalOutstandingMinor', rule: 'non-negative' });
  });
});

describe('validateApplication: IN-2025', () => {
  const indiaLead = aLeadLender({ currency: 'INR' });

  it('has no unsecured personal cap, no bullet term limit and no small-business tag', () => {
    const owes: BorrowerExposure = { unsecuredPersonalOutstandingMinor: 40_000_000n, totalOutstandingMinor: 40_000_000n };
    expect(validate(anApplication({ repaymentMethod: 'BULLET', termMonths: 36 }), indiaProgram, indiaLead, owes).tags).toEqual([]);
    expect(validate(anApplication({ borrower: aBorrower({ type: 'BUSINESS' }) }), indiaProgram, indiaLead).tags).toEqual([]);
  });

  it('does not restrict a local-bank lead to its region', () => {
    expect(() => validate(anApplication(), indiaProgram, aLeadLender({ currency: 'INR', institutionType: 'LOCAL_BANK', region: 'IN-MH' }))).not.toThrow();
  });
});
