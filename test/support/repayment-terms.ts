import type { ProgramTerms } from '../../shared/domain/program.ts';
import type { LenderHolding, RepaymentTerms } from '../../shared/domain/repayment.ts';

/**
 * The repayment split's fixtures shared by its tests: a program's split terms (PRO_RATA unless
 * told, ACT/360, HALF_UP, the lead `LEAD`), a lender's holding, and the three lenders most
 * examples split among.
 */
export function terms(split: Partial<ProgramTerms['split']> = {}, overrides: Partial<RepaymentTerms> = {}): RepaymentTerms {
  return {
    leadLenderId: 'LEAD',
    split: { interestBasis: 'PRO_RATA', penalty: 'PRO_RATA', fees: 'LEAD', remainderRule: 'ROUNDING_PARTY', roundingParty: null, ...split },
    dayCount: 'ACT/360',
    roundingMode: 'HALF_UP',
    ...overrides,
  };
}

export const LENDER_RATE = terms({ interestBasis: 'LENDER_RATE' });

export function holding(lenderId: string, outstandingPrincipalMinor: bigint, yieldRate: string | null, priority: number, extra: Partial<LenderHolding> = {}): LenderHolding {
  return { lenderId, role: lenderId === 'LEAD' ? 'LEAD' : 'PARTNER', outstandingPrincipalMinor, yieldRate, priority, ...extra };
}

/** 100,000.00 outstanding: the lead 40%, BANK-A 30% at 6.5%, BANK-B 30% at 7.25%. */
export const THREE: readonly LenderHolding[] = [
  holding('LEAD', 4_000_000n, null, 0),
  holding('BANK-A', 3_000_000n, '0.065', 1),
  holding('BANK-B', 3_000_000n, '0.0725', 2),
];
