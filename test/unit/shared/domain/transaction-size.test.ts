import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RuleViolation } from '../../../../shared/domain/errors.ts';
import { validateProgram } from '../../../../shared/domain/program.ts';
import { MAX_LOAN_LENDERS, MAX_TRANSACTION_ITEMS, checkFundingParticipants, checkLoanBookingSize, loanBookingItems } from '../../../../shared/domain/transaction-size.ts';
import { LEAD_ID, aLeadLender, aParticipant, aPartnerLender, aProgramTerms, lenderMap } from '../../../support/builders.ts';
import { thrownBy } from '../../../support/expect-error.ts';

describe('loanBookingItems', () => {
  it('counts a 20-lender booking: 87 items from a reviewed application, 67 direct, each lender taking from one quota shard', () => {
    expect(loanBookingItems({ lenders: 20, quotaShards: 20, reservations: 19, idempotency: false, applicationStep: true })).toBe(86);
    expect(loanBookingItems({ lenders: 20, quotaShards: 20, reservations: 20, idempotency: false, applicationStep: true })).toBe(87);
    expect(loanBookingItems({ lenders: 20, quotaShards: 20, reservations: 0, idempotency: true, applicationStep: false })).toBe(67);
  });

  it('holds 22 lenders at most, each writing four items besides the seven fixed ones', () => {
    expect(MAX_LOAN_LENDERS).toBe(22);
    expect(loanBookingItems({ lenders: 22, quotaShards: 22, reservations: 22, idempotency: false, applicationStep: true, person: true })).toBe(97);
    expect(loanBookingItems({ lenders: 23, quotaShards: 23, reservations: 23, idempotency: false, applicationStep: true, person: true })).toBe(101);
  });
});

describe('checkLoanBookingSize', () => {
  it('refuses 20 lenders whose parts span 34 quota shards (101 items), naming the lenders, the items and the maxima', () => {
    const error = thrownBy(RuleViolation, () => checkLoanBookingSize({ lenders: 20, quotaShards: 34, reservations: 20, idempotency: false, applicationStep: true }));
    expect(error.code).toBe('BOOKING_TOO_LARGE');
    expect(error.details).toEqual({ path: 'fundingPlan', rule: 'BOOKING_TOO_LARGE', lenders: 20, quotaShards: 34, items: 101, maxItems: 100, maxLenders: 22 });
    expect(error.message).toContain('20 lenders');
  });

  it('accepts exactly 100 items', () => {
    expect(() => checkLoanBookingSize({ lenders: 20, quotaShards: 33, reservations: 20, idempotency: false, applicationStep: true })).not.toThrow();
  });

  it('refuses exactly the bookings over the limit (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 8 }), fc.boolean(), (lenders, shardsEach, fromApplication) => {
        const size = { lenders, quotaShards: lenders * shardsEach, reservations: fromApplication ? lenders : 0, idempotency: !fromApplication, applicationStep: fromApplication };
        const items = loanBookingItems(size);
        let refused = false;
        try {
          checkLoanBookingSize(size);
        } catch (error) {
          refused = error instanceof RuleViolation && error.code === 'BOOKING_TOO_LARGE';
        }
        return refused === items > MAX_TRANSACTION_ITEMS;
      }),
    );
  });
});

describe('a program with more funding lenders than one booking holds', () => {
  it('is refused at validation with the number of lenders and the maximum', () => {
    const error = thrownBy(RuleViolation, () => checkFundingParticipants(23));
    expect(error.code).toBe('TOO_MANY_LENDERS');
    expect(error.details).toEqual({ path: 'participants', rule: 'TOO_MANY_LENDERS', lenders: 23, maxLenders: 22 });
  });

  it('validateProgram refuses 23 funding participants before anything else of their shares', () => {
    const partners = Array.from({ length: 22 }, (_, i) => `P-${String(i).padStart(2, '0')}`);
    const terms = aProgramTerms({
      allocationPolicy: 'PRIORITY_FILL',
      participants: [aParticipant(LEAD_ID, 'LEAD', null, { priority: 0 }), ...partners.map((id, i) => aParticipant(id, 'PARTNER', null, { priority: i + 1 }))],
    });
    const error = thrownBy(RuleViolation, () => validateProgram(terms, lenderMap([aLeadLender(), ...partners.map((id) => aPartnerLender(id))])));
    expect([error.code, error.details.lenders, error.details.maxLenders]).toEqual(['TOO_MANY_LENDERS', 23, 22]);
  });
});
