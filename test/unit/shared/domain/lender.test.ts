import { describe, expect, it } from 'vitest';
import { RuleViolation, ValidationError } from '../../../../shared/domain/errors.ts';
import { assertRole, lenderView, validateLender } from '../../../../shared/domain/lender.ts';
import { PARTNER_A, aLender, aLimits } from '../../../support/builders.ts';
import { thrownBy } from '../../../support/expect-error.ts';

describe('validateLender', () => {
  it('returns a valid lender unchanged', () => {
    const lender = aLender();
    expect(validateLender(lender)).toBe(lender);
  });

  it('accepts equal min and max shares and a per-borrower cap equal to the quota', () => {
    expect(() => validateLender(aLender({ limits: aLimits({ minShareBps: 3000, maxShareBps: 3000, perBorrowerCapMinor: 5n, exposureQuotaMinor: 5n }) }))).not.toThrow();
  });

  it('refuses a repeated role', () => {
    const error = thrownBy(ValidationError, () => validateLender(aLender({ roles: ['PARTNER', 'PARTNER'] })));
    expect(error.details).toEqual({ path: 'roles', rule: 'unique' });
  });

  it('refuses a minimum share above the maximum, with both figures', () => {
    const error = thrownBy(ValidationError, () => validateLender(aLender({ limits: aLimits({ minShareBps: 5001, maxShareBps: 5000 }) })));
    expect(error.details).toEqual({ path: 'limits.minShareBps', rule: 'min-not-above-max', minShareBps: 5001, maxShareBps: 5000 });
  });

  it('refuses a per-borrower cap above the exposure quota', () => {
    const error = thrownBy(ValidationError, () => validateLender(aLender({ limits: aLimits({ exposureQuotaMinor: 1_000_000n, perBorrowerCapMinor: 1_000_001n }) })));
    expect(error.details).toEqual({ path: 'limits.perBorrowerCapMinor', rule: 'per-borrower-within-quota' });
  });
});

describe('assertRole', () => {
  it('passes when the lender has the role', () => {
    expect(() => assertRole(aLender({ roles: ['PARTNER', 'GUARANTOR'] }), 'GUARANTOR', 'participants.3.role')).not.toThrow();
  });

  it('refuses a lender without the role, naming the path, the role and the roles it has', () => {
    const error = thrownBy(RuleViolation, () => assertRole(aLender({ roles: ['PARTNER'] }), 'LEAD', 'participants.0.role'));
    expect(error.code).toBe('LENDER_ROLE_MISSING');
    expect(error.message).toBe(`lender ${PARTNER_A} does not have the role LEAD`);
    expect(error.details).toEqual({ path: 'participants.0.role', lenderId: PARTNER_A, role: 'LEAD', roles: ['PARTNER'] });
  });
});

describe('lenderView', () => {
  it("shows the webhook's url and the version of its secret in force", () => {
    const lender = aLender({ webhook: { url: 'https://partner-a.example/hook', secretVersion: 2 } });
    const view = lenderView(lender, '****2222');
    expect(view).toEqual({
      ...lender,
      settlementAccount: { ...lender.settlementAccount, accountNumber: '****2222' },
      webhook: { url: 'https://partner-a.example/hook', secretConfigured: true, secretVersion: 2 },
    });
  });

  it('shows no webhook as null', () => {
    expect(lenderView(aLender(), '6222000011112222').webhook).toBeNull();
  });
});
