import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeAccountState, encodeAccountState } from '../../../../shared/domain/account-state.ts';
import { DEFAULT_BUYBACK, buybackLegs, buybackPrice, checkBuybackTerms, checkExpectedPrice, priceOfLegs, type BuybackTerms } from '../../../../shared/domain/buyback.ts';
import { RuleViolation, StateConflict, ValidationError } from '../../../../shared/domain/errors.ts';
import { imbalances, type Leg } from '../../../../shared/domain/ledger.ts';
import { LoanAccount, foldRepayments, type BuybackEvent, type RepaymentEvent, type TransferEvent } from '../../../../shared/domain/loan-account.ts';
import type { Loan } from '../../../../shared/domain/loan.ts';
import { validateProgram } from '../../../../shared/domain/program.ts';
import { GUARANTOR_ID, LEAD_ID, PARTNER_A, PARTNER_B, aLender, aLoan, aParticipant, aProgramTerms, defaultLenders, defaultParticipants, lenderMap, aLeg as leg } from '../../../support/builders.ts';
import { thrownBy } from '../../../support/expect-error.ts';

/*
 * The test loan (aLoan): 1,000,000 fen at 7.25%, 12 months EQUAL_INSTALLMENT from 2025-03-01,
 * ACT/360, HALF_UP, funded 400,000 (LEAD-BANK) / 300,000 (PARTNER-A) / 300,000 (PARTNER-B).
 * Instalment 1, due 2025-04-01: 80,600 principal + 6,042 interest (1,000,000 × 7.25% / 12 =
 * 6,041.67) = 86,642. Splits are PRO_RATA by outstanding principal; each partner's part is rounded
 * half up and the lead takes the rest (ROUNDING_PARTY).
 */

const loan = aLoan();

function buyback(valueDate: string, seq = 1, sellerLenderId = PARTNER_A, buyerId = LEAD_ID): BuybackEvent {
  return { type: 'BUYBACK', eventId: `B-${seq}`, valueDate, seq, sellerLenderId, buyerId };
}

function payment(repaymentId: string, valueDate: string, amountMinor: bigint, seq: number): RepaymentEvent {
  return { repaymentId, valueDate, amountMinor, kind: 'REGULAR', seq };
}

/** A loan whose program has a guarantor, and buyback terms of its own. */
function guaranteedLoan(buyback: BuybackTerms, terms: Parameters<typeof aLoan>[1] = {}): Loan {
  return aLoan(
    {},
    {
      participants: [...defaultParticipants(), aParticipant(GUARANTOR_ID, 'GUARANTOR', null, { priority: 5 })],
      fees: { serviceFeeRate: null, guaranteeFeeRate: null, guarantorLenderId: GUARANTOR_ID },
      buyback,
      ...terms,
    },
  );
}

const sellerToLead = (principal: bigint, interest: bigint): Leg[] => [
  leg(PARTNER_A, 'SETTLEMENT_CLEARING', 'D', principal, LEAD_ID, 'PRINCIPAL'),
  leg(PARTNER_A, 'PRINCIPAL_RECEIVABLE', 'C', principal),
  leg(PARTNER_A, 'SETTLEMENT_CLEARING', 'D', interest, LEAD_ID, 'INTEREST'),
  leg(PARTNER_A, 'INTEREST_INCOME', 'C', interest),
  leg(LEAD_ID, 'PRINCIPAL_RECEIVABLE', 'D', principal),
  leg(LEAD_ID, 'SETTLEMENT_CLEARING', 'C', principal, PARTNER_A, 'PRINCIPAL'),
  leg(LEAD_ID, 'INTEREST_INCOME', 'D', interest),
  leg(LEAD_ID, 'SETTLEMENT_CLEARING', 'C', interest, PARTNER_A, 'INTEREST'),
];

describe('buyback price and entry', () => {
  it('at par: the share principal and its part of the interest accrued to the value date, the share passing to the lead', () => {
    // 2025-03-15, 14 days into period 1: 1,000,000 × 7.25% × 14 / 360 = 2,819.44 → 2,819 accrued;
    // PARTNER-A's 30%: 845.7 → 846. Price 300,000 + 846 = 300,846.
    const account = new LoanAccount(loan);
    const outcome = account.applyEvent(buyback('2025-03-15'));
    expect(outcome.legs).toEqual(sellerToLead(300_000n, 846n));
    expect(imbalances(outcome)).toEqual([]);
    expect(priceOfLegs(outcome.legs, PARTNER_A, LEAD_ID)).toEqual({ principalMinor: 300_000n, interestMinor: 846n, penaltyMinor: 0n, premiumMinor: 0n, priceMinor: 300_846n });
    expect([...account.summary('2025-03-15').outstandingByLender]).toEqual([
      [LEAD_ID, 700_000n],
      [PARTNER_A, 0n],
      [PARTNER_B, 300_000n],
    ]);
  });

  it('at a 2% discount: the premium is negative, rounded once, booked to FEE_EXPENSE of the seller and FEE_INCOME of the buyer', () => {
    // 300,846 × -0.02 = -6,016.92 → -6,017. Price 294,829.
    const discounted = aLoan({}, { buyback: { ...DEFAULT_BUYBACK, price: { ...DEFAULT_BUYBACK.price, premiumRate: '-0.02' } } });
    const { legs } = new LoanAccount(discounted).applyEvent(buyback('2025-03-15'));
    expect(priceOfLegs(legs, PARTNER_A, LEAD_ID)).toEqual({ principalMinor: 300_000n, interestMinor: 846n, penaltyMinor: 0n, premiumMinor: -6_017n, priceMinor: 294_829n });
    expect(legs.filter((l) => l.account === 'FEE_EXPENSE' || l.account === 'FEE_INCOME' || l.component === 'FEE')).toEqual([
      leg(PARTNER_A, 'SETTLEMENT_CLEARING', 'C', 6_017n, LEAD_ID, 'FEE'),
      leg(PARTNER_A, 'FEE_EXPENSE', 'D', 6_017n),
      leg(LEAD_ID, 'FEE_INCOME', 'C', 6_017n),
      leg(LEAD_ID, 'SETTLEMENT_CLEARING', 'D', 6_017n, PARTNER_A, 'FEE'),
    ]);
    expect(imbalances({ legs })).toEqual([]);
  });

  it('accrues interest over an odd number of days, rounded once', () => {
    // 2025-03-18, 17 days: 1,000,000 × 7.25% × 17 / 360 = 3,423.61 → 3,424; PARTNER-A's 30%:
    // 1,027.2 → 1,027. Price 301,027.
    const { legs } = new LoanAccount(loan).applyEvent(buyback('2025-03-18'));
    expect(legs).toEqual(sellerToLead(300_000n, 1_027n));
  });

  it('after a partial repayment: what the seller still holds, and its part of the interest accrued since', () => {
    // 50,000 on 2025-04-01 pays instalment 1's interest 6,042 and 43,958 of its principal: each
    // partner 13,187 (43,958 × 30% = 13,187.4), the lead 17,584. PARTNER-A holds 286,813 of
    // 956,042. On 2025-04-11 the principal not yet due (919,400) has accrued 919,400 × 7.25% × 10 /
    // 360 = 1,851.57 → 1,852; PARTNER-A's part 1,852 × 286,813 / 956,042 = 555.60 → 556. The
    // unpaid 36,642 of instalment 1 has no interest left to pay; its penalty is not in the default price.
    const { eventOutcomes, outcomes } = foldRepayments(loan, [payment('R-1', '2025-04-01', 50_000n, 1)], [buyback('2025-04-11', 2)]);
    expect(outcomes.get('R-1')!.split.perLender.get(PARTNER_A)!.principalMinor).toBe(13_187n);
    expect(eventOutcomes.get('B-2')!.legs).toEqual(sellerToLead(286_813n, 556n));
  });

  it("a guarantor buys a late share (its program's price includes the penalty, at a 1% premium), is paid as a holder, and its compensation keeps that share as its claim", () => {
    // 2025-04-11, instalment 1 (80,600 + 6,042) 10 days overdue. Penalty at 7.25% × 1.5 = 10.875%:
    // 80,600 × 10.875% × 10 / 360 = 243.48 → 243 and 6,042 × 10.875% × 10 / 360 = 18.25 → 18:
    // 261; PARTNER-B's 30%: 78.3 → 78. Interest due 6,042 → 1,812.6 → 1,813; accrued on 919,400
    // for 10 days 1,852 → 555.6 → 556. Base 300,000 + 1,813 + 556 + 78 = 302,447; premium 1%:
    // 3,024.47 → 3,024. Price 305,471.
    const late = guaranteedLoan({ buyers: ['GUARANTOR'], price: { accruedInterest: true, overdueInterest: true, penalty: true, premiumRate: '0.01' } });
    const bought = buyback('2025-04-11', 1, PARTNER_B, GUARANTOR_ID);
    const account = new LoanAccount(late);
    const { legs } = account.applyEvent(bought);
    expect(priceOfLegs(legs, PARTNER_B, GUARANTOR_ID)).toEqual({ principalMinor: 300_000n, interestMinor: 2_369n, penaltyMinor: 78n, premiumMinor: 3_024n, priceMinor: 305_471n });
    expect(legs.filter((l) => l.lenderId === GUARANTOR_ID)).toEqual([
      leg(GUARANTOR_ID, 'PRINCIPAL_RECEIVABLE', 'D', 300_000n),
      leg(GUARANTOR_ID, 'SETTLEMENT_CLEARING', 'C', 300_000n, PARTNER_B, 'PRINCIPAL'),
      leg(GUARANTOR_ID, 'INTEREST_INCOME', 'D', 2_369n),
      leg(GUARANTOR_ID, 'SETTLEMENT_CLEARING', 'C', 2_369n, PARTNER_B, 'INTEREST'),
      leg(GUARANTOR_ID, 'PENALTY_INCOME', 'D', 78n),
      leg(GUARANTOR_ID, 'SETTLEMENT_CLEARING', 'C', 78n, PARTNER_B, 'PENALTY'),
      leg(GUARANTOR_ID, 'FEE_EXPENSE', 'D', 3_024n),
      leg(GUARANTOR_ID, 'SETTLEMENT_CLEARING', 'C', 3_024n, PARTNER_B, 'FEE'),
    ]);
    expect(imbalances({ legs })).toEqual([]);

    // Instalment 1 paid on 2025-04-15: the guarantor's part is what PARTNER-B's would have been.
    const paid = foldRepayments(late, [payment('R-1', '2025-04-15', 86_942n, 2)], [bought]).outcomes.get('R-1')!.split;
    expect(paid.perLender.get(GUARANTOR_ID)).toEqual(paid.perLender.get(PARTNER_A));
    expect(paid.perLender.get(GUARANTOR_ID)).toMatchObject({ principalMinor: 24_161n, interestMinor: 1_813n });
    expect(paid.perLender.get(PARTNER_B)).toMatchObject({ principalMinor: 0n, interestMinor: 0n, penaltyMinor: 0n });

    // Compensation on 2025-06-01: instalments 1-3 unpaid, their interest 6,042 + 5,555 + 5,065 =
    // 16,662 split 6,664 / 4,999 / 4,999. The guarantor pays the lead and PARTNER-A; the 300,000
    // it holds moves into its claim: 406,664 + 304,999 + 300,000 = 1,011,663.
    const compensation = account.applyEvent({ type: 'COMPENSATION', eventId: 'C-1', valueDate: '2025-06-01', seq: 3 });
    expect(compensation.legs.filter((l) => l.lenderId === GUARANTOR_ID)).toEqual([
      leg(GUARANTOR_ID, 'GUARANTEE_RECEIVABLE', 'D', 1_011_663n),
      leg(GUARANTOR_ID, 'PRINCIPAL_RECEIVABLE', 'C', 300_000n),
      leg(GUARANTOR_ID, 'SETTLEMENT_CLEARING', 'C', 406_664n, LEAD_ID),
      leg(GUARANTOR_ID, 'SETTLEMENT_CLEARING', 'C', 304_999n, PARTNER_A),
    ]);
    expect(imbalances(compensation)).toEqual([]);
    expect(account.state().claim).toEqual({ guarantorId: GUARANTOR_ID, remainingMinor: 1_011_663n });
    expect(thrownBy(RuleViolation, () => account.applyEvent({ ...buyback('2025-06-02', 4, PARTNER_A, GUARANTOR_ID) })).code).toBe('COMPENSATED');
  });

  it("passes the seller's rows not yet due to the buyer's sub-schedule; the sub-schedules still sum to the borrower's", () => {
    const late = guaranteedLoan(DEFAULT_BUYBACK);
    const { borrower, lenders } = foldRepayments(late, [], [buyback('2025-04-11', 1, PARTNER_B, GUARANTOR_ID)]).account.schedules();
    expect(lenders.map((s) => s.lenderId)).toEqual([LEAD_ID, PARTNER_A, PARTNER_B, GUARANTOR_ID]);
    const seller = lenders.find((s) => s.lenderId === PARTNER_B)!;
    const guarantor = lenders.find((s) => s.lenderId === GUARANTOR_ID)!;
    expect(seller.instalments.map((i) => [i.number, i.principalMinor, i.interestMinor])).toEqual([[1, 24_180n, 1_813n]]);
    expect(guarantor.instalments.map((i) => i.number)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(guarantor.instalments[0]).toMatchObject({ principalMinor: 24_326n, interestMinor: 1_667n, closingPrincipalMinor: 251_494n });
    expect(seller.totalPrincipalMinor + guarantor.totalPrincipalMinor).toBe(300_000n);
    for (const row of borrower.instalments) {
      const parts = lenders.flatMap((s) => s.instalments.filter((i) => i.number === row.number));
      expect(parts.reduce((sum, i) => sum + i.principalMinor, 0n), `row ${row.number}`).toBe(row.principalMinor);
      expect(parts.reduce((sum, i) => sum + i.interestMinor, 0n), `row ${row.number}`).toBe(row.interestMinor);
    }
  });

  it('the lead buying back a share it partly sold under ACTUALS: the price leaves out the days the lead held what it sold, and no one owes the lead its own interest', () => {
    // LEAD-BANK sells PARTNER-A 50,000 on 2025-03-11 (10 days into period 1): PARTNER-A owes it
    // 50,000 × 7.25% × 10 / 360 = 100.69 → 101 of that period's interest. On 2025-03-15 the lead
    // buys PARTNER-A's 350,000 back: accrued 2,819 (as above), PARTNER-A's part 2,819 × 350,000 /
    // 1,000,000 = 986.65 → 987, less the 101 it owed the lead: 886. Price 350,886.
    const actuals = aLoan({}, { transfers: { interest: 'ACTUALS' } });
    const sold: TransferEvent = { type: 'TRANSFER', eventId: 'T-1', valueDate: '2025-03-11', seq: 1, fromLenderId: LEAD_ID, toLenderId: PARTNER_A, principalMinor: 50_000n };
    const account = new LoanAccount(actuals);
    account.applyEvent(sold);
    expect(account.state().interestOwed).toEqual([{ number: 1, buyer: PARTNER_A, seller: LEAD_ID, remainingMinor: 101n }]);
    const { legs } = account.applyEvent(buyback('2025-03-15', 2));
    expect(legs).toEqual(sellerToLead(350_000n, 886n));
    expect(account.state().interestOwed).toEqual([]);

    // Instalment 1 paid in full: PARTNER-B's 30% of 6,042 is 1,812.6 → 1,813; the lead takes the
    // rest, 4,229, and what it books is exactly what the borrower paid.
    const paid = account.apply(payment('R-1', '2025-04-01', 86_642n, 3));
    expect(paid.split.perLender.get(LEAD_ID)).toMatchObject({ principalMinor: 56_420n, interestMinor: 4_229n });
    expect(paid.split.perLender.get(PARTNER_B)).toMatchObject({ principalMinor: 24_180n, interestMinor: 1_813n });
    expect(paid.split.perLender.get(PARTNER_A)).toMatchObject({ principalMinor: 0n, interestMinor: 0n });
  });

  it('a guarantor buying a share bought under ACTUALS pays the seller net of what it owed, and pays that to the first seller out of the period\'s interest', () => {
    // As above, PARTNER-A owes LEAD-BANK 101; the guarantor buys PARTNER-A's 350,000 at 350,886 and
    // takes the 101 over: of the 2,115 it receives of instalment 1's interest (6,042 × 35% =
    // 2,114.7 → 2,115), 101 goes to the lead.
    const actuals = guaranteedLoan(DEFAULT_BUYBACK, { transfers: { interest: 'ACTUALS' } });
    const sold: TransferEvent = { type: 'TRANSFER', eventId: 'T-1', valueDate: '2025-03-11', seq: 1, fromLenderId: LEAD_ID, toLenderId: PARTNER_A, principalMinor: 50_000n };
    const account = new LoanAccount(actuals);
    account.applyEvent(sold);
    const { legs } = account.applyEvent(buyback('2025-03-15', 2, PARTNER_A, GUARANTOR_ID));
    expect(priceOfLegs(legs, PARTNER_A, GUARANTOR_ID).priceMinor).toBe(350_886n);
    expect(account.state().interestOwed).toEqual([{ number: 1, buyer: GUARANTOR_ID, seller: LEAD_ID, remainingMinor: 101n }]);
    const paid = account.apply(payment('R-1', '2025-04-01', 86_642n, 3));
    expect(paid.split.perLender.get(GUARANTOR_ID)).toMatchObject({ interestMinor: 2_115n - 101n });
    expect(paid.split.perLender.get(LEAD_ID)).toMatchObject({ interestMinor: 6_042n - 2_115n - 1_813n + 101n });
  });

  it('keeps the guarantor as a holder through the account state: a restored account applies the next payment as the whole fold does', () => {
    const late = guaranteedLoan(DEFAULT_BUYBACK);
    const whole = new LoanAccount(late);
    whole.applyEvent(buyback('2025-04-11', 1, PARTNER_B, GUARANTOR_ID));
    const state = decodeAccountState(encodeAccountState(whole.state()));
    expect(state.books.find((b) => b.lenderId === GUARANTOR_ID)).toMatchObject({ role: 'GUARANTOR', outstandingMinor: 300_000n, heldMinor: 300_000n });
    expect(encodeAccountState(state)).toBe(encodeAccountState(whole.state()));
    const next = payment('R-1', '2025-04-15', 90_000n, 2);
    expect(LoanAccount.restore(late, state).apply(next)).toEqual(whole.apply(next));
  });
});

describe('buyback refusals', () => {
  it('refuses a buyer the program does not allow, the seller buying its own share, and a buyer that is neither lead nor guarantor', () => {
    const guarantorOnly = aLoan({}, { buyback: { ...DEFAULT_BUYBACK, buyers: ['GUARANTOR'] } });
    const notAllowed = thrownBy(RuleViolation, () => new LoanAccount(guarantorOnly).applyEvent(buyback('2025-03-15')));
    expect(notAllowed.code).toBe('BUYBACK_BUYER_NOT_ALLOWED');
    expect(notAllowed.details).toMatchObject({ path: 'buyerId', buyerId: LEAD_ID, allowed: ['GUARANTOR'] });
    expect(thrownBy(RuleViolation, () => new LoanAccount(loan).applyEvent(buyback('2025-03-15', 1, PARTNER_A, PARTNER_B))).code).toBe('BUYBACK_BUYER_NOT_ALLOWED');
    // The default lets the guarantor buy, but this program names none.
    expect(thrownBy(RuleViolation, () => new LoanAccount(loan).applyEvent(buyback('2025-03-15', 1, PARTNER_A, GUARANTOR_ID))).code).toBe('BUYBACK_BUYER_NOT_ALLOWED');
    const own = thrownBy(RuleViolation, () => new LoanAccount(loan).applyEvent(buyback('2025-03-15', 1, LEAD_ID, LEAD_ID)));
    expect([own.code, own.details.path]).toEqual(['BUYBACK_BUYER_IS_SELLER', 'buyerId']);
  });

  it('refuses a seller that holds nothing or is not a partner, a loan paid off, and a loan written off', () => {
    const account = new LoanAccount(loan);
    account.applyEvent(buyback('2025-03-15'));
    const twice = thrownBy(RuleViolation, () => account.applyEvent(buyback('2025-03-16', 2)));
    expect([twice.code, twice.details.path]).toEqual(['NOT_A_HOLDER', 'sellerLenderId']);
    expect(thrownBy(RuleViolation, () => new LoanAccount(loan).applyEvent(buyback('2025-03-15', 1, 'NOBODY'))).code).toBe('NOT_A_HOLDER');
    const guaranteed = guaranteedLoan(DEFAULT_BUYBACK);
    const lead = thrownBy(RuleViolation, () => new LoanAccount(guaranteed).applyEvent(buyback('2025-03-15', 1, LEAD_ID, GUARANTOR_ID)));
    expect([lead.code, lead.details.path]).toEqual(['BUYBACK_SELLER_NOT_A_PARTNER', 'sellerLenderId']);
    const paidOff = new LoanAccount(loan);
    paidOff.apply({ ...payment('R-1', '2025-03-20', 1_100_000n, 1), kind: 'PREPAYMENT' });
    expect(thrownBy(RuleViolation, () => paidOff.applyEvent(buyback('2025-03-21', 2))).code).toBe('LOAN_CLOSED');
    const writtenOff = new LoanAccount(loan);
    writtenOff.applyEvent({ type: 'WRITE_OFF', eventId: 'W-1', valueDate: '2025-06-01', seq: 1 });
    expect(thrownBy(RuleViolation, () => writtenOff.applyEvent(buyback('2025-06-02', 2))).code).toBe('WRITTEN_OFF');
  });

  it('refuses a value date before the disbursement', () => {
    const error = thrownBy(RuleViolation, () => new LoanAccount(loan).applyEvent(buyback('2025-02-28')));
    expect([error.code, error.details.path]).toEqual(['VALUE_DATE_BEFORE_DISBURSEMENT', 'valueDate']);
  });

  it('refuses a guarantor buyer under LENDER_RATE without a yield of its own', () => {
    const participants = defaultParticipants().map((p) => (p.role === 'PARTNER' ? { ...p, yieldRate: '0.05' } : p));
    const lenderRate = guaranteedLoan(DEFAULT_BUYBACK, {
      participants: [...participants, aParticipant(GUARANTOR_ID, 'GUARANTOR', null, { priority: 5 })],
      split: { interestBasis: 'LENDER_RATE', penalty: 'PRO_RATA', fees: 'LEAD', remainderRule: 'ROUNDING_PARTY', roundingParty: null },
    });
    const error = thrownBy(RuleViolation, () => new LoanAccount(lenderRate).applyEvent(buyback('2025-03-15', 1, PARTNER_A, GUARANTOR_ID)));
    expect([error.code, error.details.path]).toEqual(['BUYBACK_BUYER_YIELD_REQUIRED', 'buyerId']);
  });

  it('refuses a stated price that is not the price, naming both figures', () => {
    const price = { principalMinor: 300_000n, interestMinor: 846n, penaltyMinor: 0n, premiumMinor: 0n, priceMinor: 300_846n };
    expect(() => checkExpectedPrice(price, 300_846n)).not.toThrow();
    expect(() => checkExpectedPrice(price, null)).not.toThrow();
    const error = thrownBy(StateConflict, () => checkExpectedPrice(price, 300_000n));
    expect(error.code).toBe('BUYBACK_PRICE_MISMATCH');
    expect(error.details).toMatchObject({ path: 'expectedPriceMinor', expectedPriceMinor: '300000', priceMinor: '300846' });
    expect(error.message).toContain('300846');
    expect(error.message).toContain('300000');
  });
});

describe('buyback terms of a program', () => {
  const lenders = lenderMap([...defaultLenders(), aLender({ lenderId: GUARANTOR_ID, roles: ['GUARANTOR'] })]);

  it('accepts the default and explicit terms', () => {
    expect(() => validateProgram(aProgramTerms(), lenders)).not.toThrow();
    expect(() => validateProgram(aProgramTerms({ buyback: undefined }), lenders)).not.toThrow();
    expect(() => checkBuybackTerms({ buyers: ['GUARANTOR'], price: { accruedInterest: false, overdueInterest: true, penalty: true, premiumRate: '-0.999' } })).not.toThrow();
  });

  it.each([
    [{ ...DEFAULT_BUYBACK, buyers: [] }, 'buyback.buyers', 'non-empty'],
    [{ ...DEFAULT_BUYBACK, buyers: ['LEAD', 'LEAD'] }, 'buyback.buyers.1', 'unique'],
    [{ ...DEFAULT_BUYBACK, buyers: ['PARTNER'] }, 'buyback.buyers.0', 'buyer'],
    [{ ...DEFAULT_BUYBACK, price: { ...DEFAULT_BUYBACK.price, penalty: 'yes' } }, 'buyback.price.penalty', 'boolean'],
    [{ ...DEFAULT_BUYBACK, price: { ...DEFAULT_BUYBACK.price, premiumRate: '-1' } }, 'buyback.price.premiumRate', 'premium-range'],
    [{ ...DEFAULT_BUYBACK, price: { ...DEFAULT_BUYBACK.price, premiumRate: '1.5' } }, 'buyback.price.premiumRate', 'premium-range'],
    [{ ...DEFAULT_BUYBACK, price: { ...DEFAULT_BUYBACK.price, premiumRate: '2%' } }, 'buyback.price.premiumRate', 'decimal-format'],
  ])('refuses %j, naming %s', (buyback, path, rule) => {
    const error = thrownBy(ValidationError, () => validateProgram(aProgramTerms({ buyback: buyback as BuybackTerms }), lenders));
    expect(error.details).toMatchObject({ path, rule });
  });
});

describe('buyback properties', () => {
  const share = fc.record({
    principalMinor: fc.bigInt({ min: 1n, max: 10n ** 12n }),
    overdueInterestMinor: fc.bigInt({ min: 0n, max: 10n ** 10n }),
    accruedInterestMinor: fc.bigInt({ min: 0n, max: 10n ** 10n }),
    penaltyMinor: fc.bigInt({ min: 0n, max: 10n ** 9n }),
  });
  const terms = fc.record({
    buyers: fc.constant(['LEAD'] as const),
    price: fc.record({
      accruedInterest: fc.boolean(),
      overdueInterest: fc.boolean(),
      penalty: fc.boolean(),
      premiumRate: fc.integer({ min: -9_999, max: 10_000 }).map((bps) => (bps / 10_000).toFixed(4)),
    }),
  });
  const mode = fc.constantFrom('HALF_UP' as const, 'HALF_EVEN' as const, 'DOWN' as const);

  it('refuses a discount that would leave nothing to pay: a one-fen share at half price', () => {
    const terms = { buyers: ['LEAD'] as const, price: { accruedInterest: false, overdueInterest: false, penalty: false, premiumRate: '-0.5000' } };
    expect(() => buybackPrice({ principalMinor: 1n, overdueInterestMinor: 0n, accruedInterestMinor: 0n, penaltyMinor: 0n }, terms, 'HALF_UP')).toThrow(
      expect.objectContaining({ code: 'BUYBACK_PRICE_NOT_POSITIVE', details: { path: 'buyback.price.premiumRate', baseMinor: '1', priceMinor: '0' } }) as Error,
    );
  });

  it('the price is the base and its premium, within half a fen of base × rate; its legs balance and read back as the price', () => {
    fc.assert(
      fc.property(share, terms, mode, (s, t, m) => {
        const base =
          s.principalMinor + (t.price.overdueInterest ? s.overdueInterestMinor : 0n) + (t.price.accruedInterest ? s.accruedInterestMinor : 0n) + (t.price.penalty ? s.penaltyMinor : 0n);
        let price: ReturnType<typeof buybackPrice>;
        try {
          price = buybackPrice(s, t, m);
        } catch (error) {
          // Only a discount that leaves less than two fen (a fen's share at half price) is refused: never a price of nothing.
          expect(error).toMatchObject({ code: 'BUYBACK_PRICE_NOT_POSITIVE' });
          expect(base * BigInt(10_000 + Math.round(Number(t.price.premiumRate) * 10_000))).toBeLessThan(20_000n);
          return;
        }
        expect(price.priceMinor).toBe(base + price.premiumMinor);
        // |premium × 10,000 - base × bps| ≤ 10,000 (below one fen), and half a fen unless rounding DOWN.
        const exact = base * BigInt(Math.round(Number(t.price.premiumRate) * 10_000));
        const error = price.premiumMinor * 10_000n - exact;
        expect(error < 0n ? -error : error).toBeLessThanOrEqual(m === 'DOWN' ? 9_999n : 5_000n);
        const legs = buybackLegs(PARTNER_A, LEAD_ID, price);
        expect(imbalances({ legs })).toEqual([]);
        expect(priceOfLegs(legs, PARTNER_A, LEAD_ID)).toEqual(price);
      }),
    );
  });

  it('a buyback moves the whole share and keeps the total outstanding, whatever was paid before it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200_000 }), fc.integer({ min: 1, max: 150 }), fc.constantFrom(PARTNER_A, PARTNER_B), (paid, days, seller) => {
        const repayments = paid === 0 ? [] : [payment('R-1', '2025-04-01', BigInt(paid), 1)];
        const valueDate = new Date(Date.UTC(2025, 3, 1 + days)).toISOString().slice(0, 10);
        const before = foldRepayments(loan, repayments).account.summary(valueDate).outstandingByLender;
        const { account, eventOutcomes } = foldRepayments(loan, repayments, [buyback(valueDate, 2, seller)]);
        const after = account.summary(valueDate).outstandingByLender;
        expect(after.get(seller)).toBe(0n);
        expect(after.get(LEAD_ID)).toBe(before.get(LEAD_ID)! + before.get(seller)!);
        expect(priceOfLegs(eventOutcomes.get('B-2')!.legs, seller, LEAD_ID).principalMinor).toBe(before.get(seller));
      }),
      { numRuns: 60 },
    );
  });
});
