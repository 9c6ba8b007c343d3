import { describe, expect, it } from 'vitest';
import { InvariantViolation, RuleViolation } from '../../../../shared/domain/errors.ts';
import {
  addBorrowerExposure,
  commitQuota,
  noBorrowerExposure,
  noQuotaUsage,
  releaseQuota,
  remainingQuotaMinor,
  reserveQuota,
  type BorrowerExposure,
  type QuotaUsage,
} from '../../../../shared/domain/exposure.ts';
import type { FundingShare } from '../../../../shared/domain/loan.ts';
import { LEAD_ID, PARTNER_A, PARTNER_B, aBorrower, aLimits, aPartnerLender, lenderMap } from '../../../support/builders.ts';
import { thrownBy } from '../../../support/expect-error.ts';

/** Quota 1,000,000: 600,000 committed, 100,000 reserved, 300,000 left. */
const lender = aPartnerLender(PARTNER_A, { limits: aLimits({ exposureQuotaMinor: 1_000_000n, perBorrowerCapMinor: 1_000_000n }) });
const usage: QuotaUsage = { lenderId: PARTNER_A, reservedMinor: 100_000n, committedMinor: 600_000n, committedByLeadMinor: { [LEAD_ID]: 600_000n }, version: 4 };
const share = (lenderId: string, amountMinor: bigint, role: FundingShare['role'] = 'PARTNER'): FundingShare => ({ lenderId, amountMinor, role });

describe('quota', () => {
  it('starts empty at version 0', () => {
    expect(noQuotaUsage(PARTNER_A)).toEqual({ lenderId: PARTNER_A, reservedMinor: 0n, committedMinor: 0n, committedByLeadMinor: {}, version: 0 });
    expect(remainingQuotaMinor(lender, noQuotaUsage(PARTNER_A))).toBe(1_000_000n);
  });

  it('leaves the quota minus what is committed and what is reserved', () => {
    expect(remainingQuotaMinor(lender, usage)).toBe(300_000n);
  });
});

describe('reserveQuota', () => {
  it('reserves exactly what is left, at the next version', () => {
    expect(reserveQuota(lender, usage, 300_000n)).toEqual({ ...usage, reservedMinor: 400_000n, version: 5 });
  });

  it('refuses one minor unit more than is left, with the figures', () => {
    const error = thrownBy(RuleViolation, () => reserveQuota(lender, usage, 300_001n));
    expect([error.code, error.details]).toEqual([
      'EXPOSURE_QUOTA',
      { lenderId: PARTNER_A, rule: 'EXPOSURE_QUOTA', quotaMinor: '1000000', committedMinor: '600000', reservedMinor: '100000', requestedMinor: '300001' },
    ]);
    expect(error.message).toBe(`lender ${PARTNER_A} has 300000 of its exposure quota left, not 300001`);
  });

  it('leaves the usage it was given unchanged', () => {
    reserveQuota(lender, usage, 1n);
    expect(usage.reservedMinor).toBe(100_000n);
  });
});

describe('releaseQuota', () => {
  it('gives back what was reserved, at the next version', () => {
    expect(releaseQuota(usage, 100_000n)).toEqual({ ...usage, reservedMinor: 0n, version: 5 });
    expect(releaseQuota(usage, 40_000n).reservedMinor).toBe(60_000n);
  });

  it('never releases more than is reserved', () => {
    expect(thrownBy(InvariantViolation, () => releaseQuota(usage, 100_001n)).details).toEqual({ lenderId: PARTNER_A });
  });
});

describe('commitQuota', () => {
  it('moves a reserved part from reserved to committed, even when nothing is left beside it', () => {
    const full: QuotaUsage = { ...usage, reservedMinor: 400_000n }; // 300,000 of it reserved for this loan; 0 left
    expect(remainingQuotaMinor(lender, full)).toBe(0n);
    expect(commitQuota(lender, full, share(PARTNER_A, 300_000n), LEAD_ID, 300_000n)).toEqual({
      lenderId: PARTNER_A,
      reservedMinor: 100_000n,
      committedMinor: 900_000n,
      committedByLeadMinor: { [LEAD_ID]: 900_000n },
      version: 5,
    });
  });

  it('without a reservation, commits what is left exactly and refuses one more', () => {
    expect(commitQuota(lender, usage, share(PARTNER_A, 300_000n), LEAD_ID, 0n)).toEqual({
      ...usage,
      committedMinor: 900_000n,
      committedByLeadMinor: { [LEAD_ID]: 900_000n },
      version: 5,
    });
    const error = thrownBy(RuleViolation, () => commitQuota(lender, usage, share(PARTNER_A, 300_001n), LEAD_ID, 0n));
    expect([error.code, error.details.requestedMinor]).toEqual(['EXPOSURE_QUOTA', '300001']);
  });

  it('checks the part beyond the reservation against what is left beside the reservation', () => {
    const held: QuotaUsage = { ...usage, reservedMinor: 200_000n }; // 100,000 reserved for this loan, 200,000 left
    expect(commitQuota(lender, held, share(PARTNER_A, 300_000n), LEAD_ID, 100_000n)).toMatchObject({ reservedMinor: 100_000n, committedMinor: 900_000n });
    const error = thrownBy(RuleViolation, () => commitQuota(lender, held, share(PARTNER_A, 300_001n), LEAD_ID, 100_000n));
    expect([error.details.reservedMinor, error.details.requestedMinor]).toEqual(['200000', '200001']);
  });

  it('keeps a total per lead institution', () => {
    const twoLeads: QuotaUsage = { ...usage, committedByLeadMinor: { [LEAD_ID]: 500_000n, 'LEAD-2': 100_000n } };
    expect(commitQuota(lender, twoLeads, share(PARTNER_A, 30_000n), 'LEAD-2', 0n).committedByLeadMinor).toEqual({ [LEAD_ID]: 500_000n, 'LEAD-2': 130_000n });
    expect(commitQuota(lender, twoLeads, share(PARTNER_A, 30_000n), 'LEAD-3', 0n).committedByLeadMinor).toEqual({ [LEAD_ID]: 500_000n, 'LEAD-2': 100_000n, 'LEAD-3': 30_000n });
  });
});

describe('addBorrowerExposure', () => {
  const lenders = lenderMap();
  /** RMB 50,000.00 and 60,000.00 loans, funded 40/30/30. */
  const planOf = (principalMinor: bigint): FundingShare[] => {
    const partner = (principalMinor * 3n) / 10n;
    return [share(LEAD_ID, principalMinor - 2n * partner, 'LEAD'), share(PARTNER_A, partner), share(PARTNER_B, partner)];
  };
  const existing: BorrowerExposure = {
    borrowerId: 'BRW-0001',
    unsecuredPersonalOutstandingMinor: 15_000_000n,
    totalOutstandingMinor: 15_000_000n,
    perLenderMinor: { [LEAD_ID]: 6_000_000n, [PARTNER_A]: 4_500_000n, [PARTNER_B]: 4_500_000n },
    version: 2,
  };

  it('CN-2021: with RMB 150,000.00 unsecured personal credit outstanding, refuses 60,000.00 more with the figures', () => {
    const error = thrownBy(RuleViolation, () => addBorrowerExposure(existing, aBorrower(), 6_000_000n, planOf(6_000_000n), lenders, 'CN-2021'));
    expect([error.code, error.details]).toEqual([
      'UNSECURED_PERSONAL_CAP',
      {
        path: 'principalMinor',
        rule: 'UNSECURED_PERSONAL_CAP',
        profile: 'CN-2021',
        borrowerId: 'BRW-0001',
        capMinor: '20000000',
        existingMinor: '15000000',
        requestedMinor: '6000000',
        totalMinor: '21000000',
      },
    ]);
  });

  it('CN-2021: accepts 50,000.00 more, reaching the RMB 200,000.00 cap exactly', () => {
    expect(addBorrowerExposure(existing, aBorrower(), 5_000_000n, planOf(5_000_000n), lenders, 'CN-2021')).toEqual({
      borrowerId: 'BRW-0001',
      unsecuredPersonalOutstandingMinor: 20_000_000n,
      totalOutstandingMinor: 20_000_000n,
      perLenderMinor: { [LEAD_ID]: 8_000_000n, [PARTNER_A]: 6_000_000n, [PARTNER_B]: 6_000_000n },
      version: 3,
    });
  });

  it('secured and business credit does not count as unsecured personal, but counts in the total and per lender', () => {
    for (const borrower of [aBorrower({ secured: true }), aBorrower({ type: 'BUSINESS' })]) {
      const after = addBorrowerExposure(existing, borrower, 6_000_000n, planOf(6_000_000n), lenders, 'CN-2021');
      expect([after.unsecuredPersonalOutstandingMinor, after.totalOutstandingMinor, after.perLenderMinor[PARTNER_A]]).toEqual([15_000_000n, 21_000_000n, 6_300_000n]);
    }
  });

  it('IN-2025 has no unsecured personal cap', () => {
    expect(addBorrowerExposure(existing, aBorrower(), 6_000_000n, planOf(6_000_000n), lenders, 'IN-2025').unsecuredPersonalOutstandingMinor).toBe(21_000_000n);
  });

  it("refuses a lender's part beyond its per-borrower cap across the borrower's loans, naming the plan line", () => {
    const capped = lenderMap([...lenders.values()].map((l) => (l.lenderId === PARTNER_B ? { ...l, limits: aLimits({ perBorrowerCapMinor: 5_000_000n }) } : l)));
    const error = thrownBy(RuleViolation, () => addBorrowerExposure(existing, aBorrower({ secured: true }), 2_000_000n, planOf(2_000_000n), capped, 'CN-2021'));
    expect([error.code, error.details]).toEqual([
      'PER_BORROWER_CAP',
      { path: 'fundingPlan.2.amountMinor', rule: 'PER_BORROWER_CAP', capMinor: '5000000', existingMinor: '4500000', requestedMinor: '600000' },
    ]);
    expect(addBorrowerExposure(existing, aBorrower({ secured: true }), 1_000_000n, planOf(1_000_000n), capped, 'CN-2021').perLenderMinor[PARTNER_B]).toBe(4_800_000n);
  });

  it('starts from nothing at version 0 and leaves the exposure it was given unchanged', () => {
    const none = noBorrowerExposure('BRW-0009');
    expect(none).toEqual({ borrowerId: 'BRW-0009', unsecuredPersonalOutstandingMinor: 0n, totalOutstandingMinor: 0n, perLenderMinor: {}, version: 0 });
    const after = addBorrowerExposure(none, aBorrower({ borrowerId: 'BRW-0009' }), 1_000_000n, planOf(1_000_000n), lenders, 'CN-2021');
    expect(after.version).toBe(1);
    expect(none.perLenderMinor).toEqual({});
  });
});
