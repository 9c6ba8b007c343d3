import { describe, expect, it } from 'vitest';
import { RuleViolation, ValidationError } from '../../../../shared/domain/errors.ts';
import { compareDecimal, isFunding, latestVersions, validateProgram, type ProgramTerms } from '../../../../shared/domain/program.ts';
import {
  GUARANTOR_ID,
  LEAD_ID,
  PARTNER_A,
  PARTNER_B,
  aLender,
  aParticipant,
  aPartnerLender,
  aProgram,
  aProgramTerms,
  anIndiaLenders,
  anIndiaProgramTerms,
  defaultLenders,
  lenderMap,
} from '../../../support/builders.ts';
import { thrownBy } from '../../../support/expect-error.ts';

const cnLenders = lenderMap();
const inLenders = lenderMap(anIndiaLenders());

function refusal(terms: ProgramTerms, lenders = cnLenders): RuleViolation {
  return thrownBy(RuleViolation, () => validateProgram(terms, lenders));
}

function invalid(terms: ProgramTerms, lenders = cnLenders): ValidationError {
  return thrownBy(ValidationError, () => validateProgram(terms, lenders));
}

function shares(lead: number, a: number, b: number) {
  return [aParticipant(LEAD_ID, 'LEAD', lead), aParticipant(PARTNER_A, 'PARTNER', a), aParticipant(PARTNER_B, 'PARTNER', b)];
}

describe('validateProgram: accepted programs', () => {
  it('accepts the CN-2021 default: lead 40%, two partners at exactly 30%', () => {
    expect(() => validateProgram(aProgramTerms(), cnLenders)).not.toThrow();
  });

  it('accepts an IN-2025 program whose lead keeps exactly 10%', () => {
    const terms = anIndiaProgramTerms({ participants: [aParticipant(LEAD_ID, 'LEAD', 1000), aParticipant(PARTNER_A, 'PARTNER', 9000)] });
    expect(() => validateProgram(terms, inLenders)).not.toThrow();
  });

  it('does not count a non-funding guarantor in the shares', () => {
    const lenders = lenderMap([...defaultLenders(), aLender({ lenderId: GUARANTOR_ID, roles: ['GUARANTOR'] })]);
    const terms = aProgramTerms({
      participants: [...shares(4000, 3000, 3000), aParticipant(GUARANTOR_ID, 'GUARANTOR', null)],
      fees: { serviceFeeRate: null, guaranteeFeeRate: '0.01', guarantorLenderId: GUARANTOR_ID },
    });
    expect(() => validateProgram(terms, lenders)).not.toThrow();
  });

  it('skips the share rules under PRIORITY_FILL', () => {
    const terms = aProgramTerms({ allocationPolicy: 'PRIORITY_FILL', participants: shares(1000, 1000, 1000) });
    expect(() => validateProgram(terms, cnLenders)).not.toThrow();
  });
});

describe('validateProgram: regulatory shares', () => {
  it('refuses a CN-2021 partner targeting 25%, naming the rule, the figures and the participant', () => {
    const error = refusal(aProgramTerms({ participants: shares(5000, 2500, 2500) }));
    expect(error.code).toBe('PARTNER_MIN_SHARE');
    expect(error.details).toEqual({
      path: 'participants.1.targetShareBps',
      rule: 'PARTNER_MIN_SHARE',
      profile: 'CN-2021',
      minimumBps: 3000,
      actualBps: 2500,
    });
    expect(error.message).toBe(`under CN-2021 a partner funds at least 30% of each loan; ${PARTNER_A} targets 25%`);
  });

  it('names the second partner when only it is short', () => {
    const error = refusal(aProgramTerms({ participants: shares(4500, 3000, 2500) }));
    expect(error.code).toBe('PARTNER_MIN_SHARE');
    expect(error.details.path).toBe('participants.2.targetShareBps');
  });

  it('refuses a CN-2021 partner at 29.99% (2999 bps)', () => {
    const error = refusal(aProgramTerms({ participants: shares(4001, 3000, 2999) }));
    expect(error.code).toBe('PARTNER_MIN_SHARE');
    expect(error.details.actualBps).toBe(2999);
    expect(error.message).toContain('29.99%');
  });

  it('refuses an IN-2025 lead keeping 9%: LENDER_MIN_SHARE', () => {
    const terms = anIndiaProgramTerms({ participants: [aParticipant(LEAD_ID, 'LEAD', 900), aParticipant(PARTNER_A, 'PARTNER', 9100)] });
    const error = refusal(terms, inLenders);
    expect(error.code).toBe('LENDER_MIN_SHARE');
    expect(error.details).toEqual({ path: 'participants.0.targetShareBps', rule: 'LENDER_MIN_SHARE', profile: 'IN-2025', minimumBps: 1000, actualBps: 900 });
    expect(error.message).toBe(`under IN-2025 every lender keeps at least 10% of each loan; ${LEAD_ID} targets 9%`);
  });

  it('refuses an IN-2025 partner at 9% under the partner floor of 10%', () => {
    const terms = anIndiaProgramTerms({ participants: [aParticipant(LEAD_ID, 'LEAD', 9100), aParticipant(PARTNER_A, 'PARTNER', 900)] });
    const error = refusal(terms, inLenders);
    expect(error.code).toBe('PARTNER_MIN_SHARE');
    expect(error.details).toMatchObject({ path: 'participants.1.targetShareBps', minimumBps: 1000, actualBps: 900 });
  });

  it('refuses funding shares that do not sum to 10000', () => {
    const error = invalid(aProgramTerms({ participants: shares(4000, 3000, 3001) }));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details).toEqual({ path: 'participants', rule: 'shares-sum-to-whole', sumBps: 10001 });
    expect(error.message).toContain('not 10001');
  });

  it('refuses shares summing to 9999', () => {
    expect(invalid(aProgramTerms({ participants: shares(3999, 3000, 3000) })).details.sumBps).toBe(9999);
  });

  it('requires a target share of every funding participant under TARGET_SHARES', () => {
    const participants = [aParticipant(LEAD_ID, 'LEAD', 4000), aParticipant(PARTNER_A, 'PARTNER', null), aParticipant(PARTNER_B, 'PARTNER', 3000)];
    const error = invalid(aProgramTerms({ participants }));
    expect(error.details).toEqual({ path: 'participants.1.targetShareBps', rule: 'required' });
  });
});

describe('validateProgram: participants', () => {
  it('refuses an unknown lender', () => {
    const lenders = lenderMap(defaultLenders().filter((l) => l.lenderId !== PARTNER_B));
    const error = refusal(aProgramTerms(), lenders);
    expect(error.code).toBe('UNKNOWN_LENDER');
    expect(error.details).toEqual({ path: 'participants.2.lenderId', lenderId: PARTNER_B });
    expect(error.message).toBe(`lender ${PARTNER_B} does not exist`);
  });

  it('refuses a lender that lacks the role it takes in the program', () => {
    const lenders = lenderMap([...defaultLenders().filter((l) => l.lenderId !== PARTNER_A), aPartnerLender(PARTNER_A, { roles: ['GUARANTOR'] })]);
    const error = refusal(aProgramTerms(), lenders);
    expect(error.code).toBe('LENDER_ROLE_MISSING');
    expect(error.details).toEqual({ path: 'participants.1.role', lenderId: PARTNER_A, role: 'PARTNER', roles: ['GUARANTOR'] });
  });

  it('refuses a participant listed twice', () => {
    const participants = [aParticipant(LEAD_ID, 'LEAD', 4000), aParticipant(PARTNER_A, 'PARTNER', 3000), aParticipant(PARTNER_A, 'PARTNER', 3000)];
    const error = invalid(aProgramTerms({ participants }));
    expect(error.details).toEqual({ path: 'participants.2.lenderId', rule: 'unique' });
    expect(error.message).toContain(PARTNER_A);
  });

  it('refuses a lender that settles in another currency than the program', () => {
    const lenders = lenderMap([...defaultLenders().filter((l) => l.lenderId !== PARTNER_B), aPartnerLender(PARTNER_B, { currency: 'INR' })]);
    const error = refusal(aProgramTerms(), lenders);
    expect(error.code).toBe('CURRENCY_MISMATCH');
    expect(error.details.path).toBe('participants.2.lenderId');
    expect(error.message).toBe(`lender ${PARTNER_B} settles in INR, the program in CNY`);
  });

  it('refuses a program whose currency is not its profile currency', () => {
    const error = refusal(aProgramTerms({ currency: 'INR' }));
    expect(error.code).toBe('PROFILE_CURRENCY');
    expect(error.details).toEqual({ path: 'currency', rule: 'PROFILE_CURRENCY', profile: 'CN-2021' });
    expect(error.message).toBe('regulatory profile CN-2021 applies to CNY programs, not INR');
  });

  it('requires exactly one lead, the leadLenderId', () => {
    expect(invalid(aProgramTerms({ leadLenderId: PARTNER_A })).details).toEqual({ path: 'participants', rule: 'one-lead' });
    const lenders = lenderMap([...defaultLenders().filter((l) => l.lenderId !== PARTNER_A), aPartnerLender(PARTNER_A, { roles: ['LEAD', 'PARTNER'] })]);
    const twoLeads = [aParticipant(LEAD_ID, 'LEAD', 4000), aParticipant(PARTNER_A, 'LEAD', 3000), aParticipant(PARTNER_B, 'PARTNER', 3000)];
    expect(invalid(aProgramTerms({ participants: twoLeads }), lenders).details.rule).toBe('one-lead');
  });

  it('requires at least one partner', () => {
    const lenders = lenderMap([...defaultLenders(), aLender({ lenderId: GUARANTOR_ID, roles: ['GUARANTOR'] })]);
    const participants = [aParticipant(LEAD_ID, 'LEAD', 10_000), aParticipant(GUARANTOR_ID, 'GUARANTOR', null)];
    expect(invalid(aProgramTerms({ participants }), lenders).details).toEqual({ path: 'participants', rule: 'has-partner' });
  });

  it('requires named parties to be participants', () => {
    const rounding = invalid(aProgramTerms({ split: { ...aProgramTerms().split, roundingParty: 'OUTSIDER' } }));
    expect(rounding.details).toEqual({ path: 'split.roundingParty', rule: 'participant' });
    const guarantor = invalid(aProgramTerms({ fees: { serviceFeeRate: null, guaranteeFeeRate: '0.01', guarantorLenderId: GUARANTOR_ID } }));
    expect(guarantor.details.path).toBe('fees.guarantorLenderId');
    const feeParty = invalid(aProgramTerms({ split: { ...aProgramTerms().split, fees: { party: 'OUTSIDER' } } }));
    expect(feeParty.details.path).toBe('split.fees.party');
  });

  it('accepts a participant as rounding party and fee party', () => {
    const terms = aProgramTerms({ split: { ...aProgramTerms().split, roundingParty: PARTNER_A, fees: { party: PARTNER_B } } });
    expect(() => validateProgram(terms, cnLenders)).not.toThrow();
  });
});

describe('validateProgram: ranges and loss sharing', () => {
  it('refuses ranges whose minimum exceeds the maximum', () => {
    expect(invalid(aProgramTerms({ amountRange: { minMinor: 100_001n, maxMinor: 100_000n } })).details.path).toBe('amountRange.minMinor');
    expect(invalid(aProgramTerms({ termMonthsRange: { min: 13, max: 12 } })).details.path).toBe('termMonthsRange.min');
    expect(invalid(aProgramTerms({ borrowerRateRange: { min: '0.2401', max: '0.24' } })).details.path).toBe('borrowerRateRange.min');
  });

  it('compares rates as decimals, not as text ("9" < "10")', () => {
    expect(() => validateProgram(aProgramTerms({ borrowerRateRange: { min: '9', max: '10' } }), cnLenders)).not.toThrow();
    expect(invalid(aProgramTerms({ borrowerRateRange: { min: '10', max: '9' } })).details.rule).toBe('min-not-above-max');
  });

  it('requires a cap for LEAD_FIRST_LOSS', () => {
    const error = invalid(aProgramTerms({ lossSharing: { method: 'LEAD_FIRST_LOSS', leadFirstLossCapBps: null, guaranteeTriggerDpd: null } }));
    expect(error.details).toEqual({ path: 'lossSharing.leadFirstLossCapBps', rule: 'required' });
  });

  it('refuses an IN-2025 default-loss guarantee above 5%', () => {
    const terms = anIndiaProgramTerms({ lossSharing: { method: 'LEAD_FIRST_LOSS', leadFirstLossCapBps: 501, guaranteeTriggerDpd: null } });
    const error = refusal(terms, inLenders);
    expect(error.code).toBe('DEFAULT_LOSS_GUARANTEE_CAP');
    expect(error.details).toEqual({ path: 'lossSharing.leadFirstLossCapBps', rule: 'DEFAULT_LOSS_GUARANTEE_CAP', maximumBps: 500, actualBps: 501 });
    expect(error.message).toBe("under IN-2025 the originator's default-loss guarantee is at most 5%; the program sets 5.01%");
  });

  it('accepts an IN-2025 default-loss guarantee of exactly 5%, and any cap under CN-2021', () => {
    const india = anIndiaProgramTerms({ lossSharing: { method: 'LEAD_FIRST_LOSS', leadFirstLossCapBps: 500, guaranteeTriggerDpd: null } });
    expect(() => validateProgram(india, inLenders)).not.toThrow();
    const china = aProgramTerms({ lossSharing: { method: 'LEAD_FIRST_LOSS', leadFirstLossCapBps: 2000, guaranteeTriggerDpd: null } });
    expect(() => validateProgram(china, cnLenders)).not.toThrow();
  });
});

describe('isFunding and compareDecimal', () => {
  it('counts leads and partners as funding, guarantors and service partners not', () => {
    expect(isFunding(aParticipant('X', 'LEAD', 1))).toBe(true);
    expect(isFunding(aParticipant('X', 'PARTNER', 1))).toBe(true);
    expect(isFunding(aParticipant('X', 'GUARANTOR', null))).toBe(false);
    expect(isFunding(aParticipant('X', 'SERVICE_PARTNER', null))).toBe(false);
  });

  it('compares decimal strings exactly', () => {
    expect(compareDecimal('0.1', '0.10')).toBe(0);
    expect(compareDecimal('0.30000000000000001', '0.3')).toBe(1);
    expect(compareDecimal('9', '10')).toBe(-1);
  });
});

describe('the latest version of each program', () => {
  it('keeps the highest version of each program id, in program order, whatever the order read', () => {
    const versions = [aProgram({ programId: 'P-2', version: 1 }), aProgram({ programId: 'P-1', version: 3 }), aProgram({ programId: 'P-2', version: 2 }), aProgram({ programId: 'P-1', version: 1 })];
    expect(latestVersions(versions).map((p) => [p.programId, p.version])).toEqual([
      ['P-1', 3],
      ['P-2', 2],
    ]);
    expect(latestVersions([])).toEqual([]);
  });
});
