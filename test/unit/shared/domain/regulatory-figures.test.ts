import { describe, expect, it } from 'vitest';
import { RuleViolation } from '../../../../shared/domain/errors.ts';
import {
  assertBank,
  assertEffectiveDate,
  figureHistory,
  figuresInForce,
  nextVersion,
  registrationFigures,
  withFiguresInForce,
  type RegulatoryFigures,
} from '../../../../shared/domain/regulatory-figures.ts';
import { PARTNER_A, aPartnerLender } from '../../../support/builders.ts';
import { thrownBy } from '../../../support/expect-error.ts';

/** Registered 2025-03-01 10:00 Beijing time with net tier-1 capital 500,000,000,000.00 and total loans 4,000,000,000,000.00. */
const BANK = aPartnerLender(PARTNER_A);

function figures(effectiveDate: string, version: number, netTier1CapitalMinor: bigint, totalLoansMinor: bigint): RegulatoryFigures {
  return { lenderId: PARTNER_A, effectiveDate, version, netTier1CapitalMinor, totalLoansMinor, source: `report ${effectiveDate} v${version}`, setBy: 'lead-ops', setAt: `${effectiveDate}T08:00:00.000Z` };
}

describe('figures in force', () => {
  it('takes the registration figures as version 0, in force from the registration date in Beijing', () => {
    expect(registrationFigures(BANK)).toEqual({
      lenderId: PARTNER_A,
      effectiveDate: '2025-03-01',
      version: 0,
      netTier1CapitalMinor: 50_000_000_000_000n,
      totalLoansMinor: 400_000_000_000_000n,
      source: 'lender registration',
      setBy: null,
      setAt: '2025-03-01T02:00:00.000Z',
    });
    // 2025-02-28 23:30 UTC is already 1 March in Beijing.
    expect(registrationFigures(aPartnerLender(PARTNER_A, { createdAt: '2025-02-28T23:30:00.000Z' }))?.effectiveDate).toBe('2025-03-01');
    expect(registrationFigures(aPartnerLender(PARTNER_A, { netTier1CapitalMinor: null, totalLoansMinor: null }))).toBeNull();
  });

  it('uses, on each date, the highest version of the latest effective date on or before it', () => {
    const stored = [figures('2025-03-16', 1, 48_000_000n, 380_000_000n), figures('2025-03-16', 2, 48_000_001n, 380_000_001n), figures('2025-04-01', 1, 47_000_000n, 370_000_000n)];
    expect(figuresInForce(BANK, stored, '2025-02-28')).toBeNull();
    expect(figuresInForce(BANK, stored, '2025-03-01')?.version).toBe(0);
    expect(figuresInForce(BANK, stored, '2025-03-15')).toMatchObject({ version: 0, netTier1CapitalMinor: 50_000_000_000_000n });
    // Changed mid-month: from the 16th the corrected figures (version 2) are in force.
    expect(figuresInForce(BANK, stored, '2025-03-16')).toMatchObject({ effectiveDate: '2025-03-16', version: 2, netTier1CapitalMinor: 48_000_001n, totalLoansMinor: 380_000_001n });
    expect(figuresInForce(BANK, stored, '2025-03-31')?.version).toBe(2);
    expect(figuresInForce(BANK, stored, '2025-04-01')).toMatchObject({ effectiveDate: '2025-04-01', netTier1CapitalMinor: 47_000_000n });
    expect(figureHistory(BANK, [...stored].reverse()).map((f) => `${f.effectiveDate}#${f.version}`)).toEqual(['2025-03-01#0', '2025-03-16#1', '2025-03-16#2', '2025-04-01#1']);
  });

  it('gives a lender that is not a bank no figures, and allocation then none to judge it by', () => {
    const platform = aPartnerLender(PARTNER_A, { institutionType: 'NON_BANK' });
    expect(figuresInForce(platform, [figures('2025-03-01', 1, 1n, 1n)], '2025-03-02')).toBeNull();
    expect(withFiguresInForce(BANK, null)).toMatchObject({ netTier1CapitalMinor: null, totalLoansMinor: null });
    expect(withFiguresInForce(BANK, figures('2025-03-16', 1, 7n, 9n))).toEqual({ ...BANK, netTier1CapitalMinor: 7n, totalLoansMinor: 9n });
  });

  it('numbers a correction of an effective date after the versions it has', () => {
    const stored = [figures('2025-03-16', 1, 1n, 1n), figures('2025-03-16', 2, 1n, 1n), figures('2025-04-01', 1, 1n, 1n)];
    expect(nextVersion(stored, '2025-03-16')).toBe(3);
    expect(nextVersion(stored, '2025-05-01')).toBe(1);
  });
});

describe('refusals', () => {
  it('refuses an effective date after today, naming the field', () => {
    expect(() => assertEffectiveDate('2025-03-01', '2025-03-01')).not.toThrow();
    const error = thrownBy(RuleViolation, () => assertEffectiveDate('2025-03-02', '2025-03-01'));
    expect(error.code).toBe('EFFECTIVE_DATE_IN_FUTURE');
    expect(error.details).toEqual({ path: 'effectiveDate', rule: 'not-after-today', effectiveDate: '2025-03-02', today: '2025-03-01' });
  });

  it('refuses figures for a lender that is not a bank', () => {
    expect(() => assertBank(BANK)).not.toThrow();
    const error = thrownBy(RuleViolation, () => assertBank(aPartnerLender('SVC', { institutionType: 'NON_BANK' })));
    expect(error.code).toBe('LENDER_NOT_A_BANK');
    expect(error.details).toMatchObject({ path: 'lenderId', lenderId: 'SVC', institutionType: 'NON_BANK' });
  });
});
