import { describe, expect, it } from 'vitest';
import { canSeeLender, ownTerms, restrictedTo, type Principal } from '../../../../shared/domain/access.ts';
import { LEAD_ID, PARTNER_A, PARTNER_B, financeOf, leadOps, partnerOf, platformFinance } from '../../../support/builders.ts';

describe('restrictedTo', () => {
  it('leaves lead operations unrestricted, even when the token names a lender', () => {
    expect(restrictedTo(leadOps)).toBeNull();
    expect(leadOps.lenderId).toBe(LEAD_ID);
  });

  it('restricts a partner to its own lender', () => {
    expect(restrictedTo(partnerOf(PARTNER_A))).toBe(PARTNER_A);
  });

  it("restricts a lender's finance team to that lender, and leaves the platform's finance team unrestricted", () => {
    expect(restrictedTo(financeOf(PARTNER_B))).toBe(PARTNER_B);
    expect(restrictedTo(platformFinance)).toBeNull();
  });
});

describe('canSeeLender', () => {
  const cases: [string, Principal, string, boolean][] = [
    ['lead, any lender', leadOps, PARTNER_A, true],
    ['partner, itself', partnerOf(PARTNER_A), PARTNER_A, true],
    ['partner, another partner', partnerOf(PARTNER_A), PARTNER_B, false],
    ['partner, the lead', partnerOf(PARTNER_A), LEAD_ID, false],
    ["lender's finance, its lender", financeOf(PARTNER_B), PARTNER_B, true],
    ["lender's finance, another lender", financeOf(PARTNER_B), PARTNER_A, false],
    ['platform finance, any lender', platformFinance, PARTNER_B, true],
  ];
  it.each(cases)('%s', (_name, principal, lenderId, visible) => {
    expect(canSeeLender(principal, lenderId)).toBe(visible);
  });
});

describe('ownTerms', () => {
  const terms = { split: 'PRO_RATA', participants: [{ lenderId: LEAD_ID, yieldRate: null }, { lenderId: PARTNER_A, yieldRate: '0.06' }, { lenderId: PARTNER_B, yieldRate: '0.065' }] };
  it("keeps only a restricted caller's own participation, and everything for the platform's callers", () => {
    expect(ownTerms(terms, PARTNER_A)).toEqual({ split: 'PRO_RATA', participants: [{ lenderId: PARTNER_A, yieldRate: '0.06' }] });
    expect(ownTerms(terms, 'NOT_IN_IT').participants).toEqual([]);
    expect(ownTerms(terms, null)).toBe(terms);
    expect(ownTerms(terms, restrictedTo(leadOps))).toBe(terms);
  });
});
