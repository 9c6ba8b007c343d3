import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RuleViolation } from '../../../../shared/domain/errors.ts';
import { checkJointLoanLimits, jointLoanLimit } from '../../../../shared/domain/regulatory-checks.ts';
import { REGULATORY_PROFILES } from '../../../../shared/domain/regulatory-profile.ts';
import { LEAD_ID, PARTNER_A, aPartnerLender } from '../../../support/builders.ts';
import { thrownBy } from '../../../support/expect-error.ts';

const CN = REGULATORY_PROFILES['CN-2021'];
const PATH = 'fundingPlan.1.amountMinor';

describe('checkJointLoanLimits (a partner part booked without a review)', () => {
  /** Net tier-1 capital 4,000,000.03: 25% is 1,000,000.0075, so 1,000,000.00 (rounded down). Total loans 10,000,000.00: 50% is 5,000,000.00. */
  const bank = aPartnerLender(PARTNER_A, { netTier1CapitalMinor: 400_000_003n, totalLoansMinor: 1_000_000_000n });

  it('CN-2021 tier-1: up to the limit exactly is allowed, one fen more is refused with the rule and every figure', () => {
    expect(() => checkJointLoanLimits(CN, bank, LEAD_ID, { withLeadMinor: 70_000_000n, totalMinor: 70_000_000n }, 30_000_000n, PATH)).not.toThrow();
    const error = thrownBy(RuleViolation, () => checkJointLoanLimits(CN, bank, LEAD_ID, { withLeadMinor: 70_000_000n, totalMinor: 70_000_000n }, 30_000_001n, PATH));
    expect([error.code, error.details]).toEqual([
      'SINGLE_PARTNER_TIER1_CAP',
      {
        path: PATH,
        rule: 'SINGLE_PARTNER_TIER1_CAP',
        profile: 'CN-2021',
        lenderId: PARTNER_A,
        leadLenderId: LEAD_ID,
        capBps: 2500,
        netTier1CapitalMinor: '400000003',
        limitMinor: '100000000',
        outstandingMinor: '70000000',
        headroomMinor: '30000000',
        requestedMinor: '30000001',
      },
    ]);
  });

  it('CN-2021 total loans: counts the joint loans with every lead, not only this one', () => {
    const error = thrownBy(RuleViolation, () => checkJointLoanLimits(CN, bank, LEAD_ID, { withLeadMinor: 0n, totalMinor: 499_999_999n }, 2n, PATH));
    expect([error.code, error.details.totalLoansMinor, error.details.limitMinor, error.details.headroomMinor]).toEqual(['JOINT_TO_TOTAL_LOANS_CAP', '1000000000', '500000000', '1']);
  });

  it('binds no bank without the figure, and nothing under a profile without the rules (IN-2025)', () => {
    const unknown = aPartnerLender(PARTNER_A, { netTier1CapitalMinor: null, totalLoansMinor: null });
    expect(() => checkJointLoanLimits(CN, unknown, LEAD_ID, { withLeadMinor: 10n ** 15n, totalMinor: 10n ** 15n }, 10n ** 12n, PATH)).not.toThrow();
    expect(() => checkJointLoanLimits(REGULATORY_PROFILES['IN-2025'], bank, LEAD_ID, { withLeadMinor: 10n ** 15n, totalMinor: 10n ** 15n }, 10n ** 12n, PATH)).not.toThrow();
  });

  it("any figures and amounts: refuses exactly when the part is above the headroom jointLoanLimit leaves (the review's allowance)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 12n }), fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.bigInt({ min: 1n, max: 10n ** 12n }), (capital, withLead, part) => {
        const lender = aPartnerLender(PARTNER_A, { netTier1CapitalMinor: capital, totalLoansMinor: null });
        const limit = jointLoanLimit(CN, 'SINGLE_PARTNER_TIER1_CAP', capital, withLead);
        const refused = (() => {
          try {
            checkJointLoanLimits(CN, lender, LEAD_ID, { withLeadMinor: withLead, totalMinor: withLead }, part, PATH);
            return false;
          } catch (error) {
            if (error instanceof RuleViolation) return true;
            throw error;
          }
        })();
        expect(refused).toBe(part > (limit?.headroomMinor ?? 0n));
      }),
    );
  });
});
