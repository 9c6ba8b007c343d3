import { describe, expect, it } from 'vitest';
import { InvariantViolation, RuleViolation, ValidationError } from '../../../../shared/domain/errors.ts';
import { applyLegs, entryIdOf, foldEntries, imbalances, type Balances, type JournalEntry } from '../../../../shared/domain/ledger.ts';
import { bookLoan } from '../../../../shared/domain/loan.ts';
import { Decimal, accrueInterest } from '../../../../shared/domain/money/index.ts';
import type { WaterfallComponent } from '../../../../shared/domain/program.ts';
import { DEFAULT_WATERFALL } from '../../../../shared/domain/program.ts';
import { NOTHING_COVERED, type Covered, type Dues, type LenderHolding, type RepaymentSplit, type RepaymentTerms } from '../../../../shared/domain/repayment.ts';
import {
  applyWaterfall,
  lenderRateEntitlements,
  repaymentEntry,
  reversalEntry,
  splitRepayment,
} from '../../../../shared/domain/repayment.ts';
import {
  LEAD_ID,
  LOAN_ID,
  NOW,
  PARTNER_A,
  PARTNER_B,
  aBookLoanRequest,
  aParticipant,
  aProgram,
  lenderMap,
} from '../../../support/builders.ts';
import { thrownBy } from '../../../support/expect-error.ts';
import { LENDER_RATE, THREE, holding, terms } from '../../../support/repayment-terms.ts';

const PERIOD = { start: '2025-03-15', end: '2025-04-15' } as const;
const VALUE_DATE = '2025-04-15';

function dues(overrides: Partial<Dues> = {}): Dues {
  const { excessMinor: _excess, ...nothing } = NOTHING_COVERED;
  return { ...nothing, ...overrides };
}

/** A monthly instalment: 1,000.00 of interest, 8,333.33 of principal, 20.00 of fees. */
const INSTALMENT = dues({ currentInterestMinor: 100_000n, currentPrincipalMinor: 833_333n, feesMinor: 2_000n });

function covered(overrides: Partial<Covered> = {}): Covered {
  return { ...dues(), excessMinor: 0n, ...overrides };
}

function parts(split: RepaymentSplit): Record<string, Record<string, bigint>> {
  return Object.fromEntries([...split.perLender].map(([id, p]) => [id, { ...p }]));
}

function zeroBalances(balances: Balances): boolean {
  return Object.values(balances).every((amount) => amount === 0n);
}

describe('applyWaterfall', () => {
  const overdue = dues({ penaltyMinor: 5_000n, overdueInterestMinor: 30_000n, overduePrincipalMinor: 100_000n, feesMinor: 2_000n });

  it('covers the components in the default order and stops inside the one the payment runs out in', () => {
    expect(applyWaterfall(60_000n, overdue)).toEqual(
      covered({ penaltyMinor: 5_000n, overdueInterestMinor: 30_000n, overduePrincipalMinor: 25_000n }),
    );
  });

  it('puts what is paid above every due into the excess', () => {
    expect(applyWaterfall(140_000n, overdue)).toEqual(
      covered({ penaltyMinor: 5_000n, overdueInterestMinor: 30_000n, overduePrincipalMinor: 100_000n, feesMinor: 2_000n, excessMinor: 3_000n }),
    );
    expect(applyWaterfall(1n, dues())).toEqual(covered({ excessMinor: 1n }));
  });

  it('follows the program order when it differs', () => {
    const feesFirst: WaterfallComponent[] = ['FEES', 'OVERDUE_PRINCIPAL', 'PENALTY', 'OVERDUE_INTEREST', 'CURRENT_INTEREST', 'CURRENT_PRINCIPAL'];
    expect(applyWaterfall(50_000n, overdue, feesFirst)).toEqual(covered({ feesMinor: 2_000n, overduePrincipalMinor: 48_000n }));
  });

  it('refuses a payment that is not positive, a negative due and an order that is not the six components once', () => {
    expect(thrownBy(ValidationError, () => applyWaterfall(0n, overdue)).details).toMatchObject({ path: 'amountMinor' });
    expect(thrownBy(ValidationError, () => applyWaterfall(1n, dues({ feesMinor: -1n }))).details).toMatchObject({ path: 'dues.feesMinor' });
    const twice = [...DEFAULT_WATERFALL.slice(0, 5), 'PENALTY'] as WaterfallComponent[];
    expect(thrownBy(ValidationError, () => applyWaterfall(1n, overdue, twice)).details).toMatchObject({ path: 'order[5]' });
    expect(thrownBy(ValidationError, () => applyWaterfall(1n, overdue, DEFAULT_WATERFALL.slice(1))).details).toMatchObject({ path: 'order' });
    const unknown = ['INSURANCE', ...DEFAULT_WATERFALL] as unknown as WaterfallComponent[];
    expect(thrownBy(ValidationError, () => applyWaterfall(1n, overdue, unknown)).details).toMatchObject({ path: 'order[0]' });
  });
});

describe('splitRepayment', () => {
  it('the worked example: partners their yield over 31 days ACT/360, the lead the rest as spread', () => {
    const split = splitRepayment(LENDER_RATE, THREE, applyWaterfall(935_333n, INSTALMENT), PERIOD);
    expect(parts(split)).toEqual({
      'BANK-A': { principalMinor: 250_000n, interestMinor: 16_792n, penaltyMinor: 0n, feeMinor: 0n, spreadMinor: 0n },
      'BANK-B': { principalMinor: 250_000n, interestMinor: 18_729n, penaltyMinor: 0n, feeMinor: 0n, spreadMinor: 0n },
      LEAD: { principalMinor: 333_333n, interestMinor: 0n, penaltyMinor: 0n, feeMinor: 2_000n, spreadMinor: 64_479n },
    });
    expect([...split.perLender.keys()]).toEqual(['BANK-A', 'BANK-B', 'LEAD']);
    expect(split).toMatchObject({ suspenseMinor: 0n, suspenseLenderId: 'LEAD', paidMinor: 935_333n });
  });

  it('computes each entitlement as the money core accrues interest, less what was received for the period', () => {
    const received = [THREE[0]!, THREE[1]!, { ...THREE[2]!, periodInterestReceivedMinor: 8_729n }];
    const expectedA = accrueInterest(3_000_000n, new Decimal('0.065'), PERIOD.start, PERIOD.end, 'ACT/360', 'HALF_UP');
    expect(lenderRateEntitlements(LENDER_RATE, received, PERIOD)).toEqual(
      new Map([
        ['BANK-A', expectedA],
        ['BANK-B', 18_729n - 8_729n],
        ['LEAD', 0n],
      ]),
    );
    expect(thrownBy(ValidationError, () => lenderRateEntitlements(terms(), THREE, PERIOD)).details).toMatchObject({ path: 'split.interestBasis' });
  });

  it('splits a shortfall of interest among the partners by their entitlements, with no spread', () => {
    const split = splitRepayment(LENDER_RATE, THREE, covered({ currentInterestMinor: 10_000n }), PERIOD);
    expect(split.perLender.get('BANK-A')?.interestMinor).toBe(4_727n);
    expect(split.perLender.get('BANK-B')?.interestMinor).toBe(5_273n);
    expect(split.perLender.get('LEAD')).toMatchObject({ interestMinor: 0n, spreadMinor: 0n });
  });

  it('splits interest pro rata by outstanding principal on the PRO_RATA basis, the lead taking the remainder', () => {
    const split = splitRepayment(terms(), THREE, covered({ currentInterestMinor: 100_001n }), null);
    expect([...split.perLender].map(([id, p]) => [id, p.interestMinor, p.spreadMinor])).toEqual([
      ['BANK-A', 30_000n, 0n],
      ['BANK-B', 30_000n, 0n],
      ['LEAD', 40_001n, 0n],
    ]);
  });

  it('gives the penalty to the lead or pro rata, and the fees to the lead or the named party', () => {
    const paid = covered({ penaltyMinor: 1_000n, feesMinor: 500n });
    const toLead = splitRepayment(terms({ penalty: 'LEAD' }), THREE, paid, null);
    expect(toLead.perLender.get('LEAD')).toMatchObject({ penaltyMinor: 1_000n, feeMinor: 500n });
    const proRata = splitRepayment(terms({ fees: { party: 'BANK-B' } }), THREE, paid, null);
    expect([...proRata.perLender.values()].map((p) => [p.penaltyMinor, p.feeMinor])).toEqual([
      [300n, 0n],
      [300n, 500n],
      [400n, 0n],
    ]);
    const service = splitRepayment(terms({ fees: { party: 'AGENT' } }), THREE, paid, null);
    expect([...service.perLender.keys()]).toEqual(['AGENT', 'BANK-A', 'BANK-B', 'LEAD']);
    expect(service.perLender.get('AGENT')).toEqual({ principalMinor: 0n, interestMinor: 0n, penaltyMinor: 0n, feeMinor: 500n, spreadMinor: 0n });
  });

  it('never repays a lender more principal than it has outstanding: a payoff repays each exactly', () => {
    const holdings = [holding('LEAD', 1n, null, 0), holding('BANK-A', 3n, '0.06', 1), holding('BANK-B', 3n, '0.06', 2)];
    const down = terms({}, { roundingMode: 'DOWN' });
    expect([...splitRepayment(down, holdings, covered({ currentPrincipalMinor: 6n }), null).perLender.values()].map((p) => p.principalMinor)).toEqual([3n, 2n, 1n]);
    expect([...splitRepayment(down, holdings, covered({ currentPrincipalMinor: 7n }), null).perLender.values()].map((p) => p.principalMinor)).toEqual([3n, 3n, 1n]);
  });

  it('gives a lender with nothing outstanding no principal, interest or penalty', () => {
    const holdings = [THREE[0]!, { ...THREE[1]!, outstandingPrincipalMinor: 0n }, THREE[2]!];
    const split = splitRepayment(terms(), holdings, covered({ penaltyMinor: 99n, currentInterestMinor: 999n, currentPrincipalMinor: 7_000n }), null);
    expect(split.perLender.get('BANK-A')).toEqual({ principalMinor: 0n, interestMinor: 0n, penaltyMinor: 0n, feeMinor: 0n, spreadMinor: 0n });
  });

  it('does not depend on the order of the holdings', () => {
    const paid = applyWaterfall(1_000_000n, dues({ ...INSTALMENT, penaltyMinor: 777n }));
    const forward = splitRepayment(LENDER_RATE, THREE, paid, PERIOD);
    const backward = splitRepayment(LENDER_RATE, [...THREE].reverse(), paid, PERIOD);
    expect([...backward.perLender]).toEqual([...forward.perLender]);
  });

  it('refuses principal above what the lenders hold, and interest or penalty to split with nothing outstanding', () => {
    const error = thrownBy(RuleViolation, () => splitRepayment(terms(), THREE, covered({ overduePrincipalMinor: 10_000_001n }), null));
    expect(error.code).toBe('PRINCIPAL_ABOVE_OUTSTANDING');
    const repaid = THREE.map((h) => ({ ...h, outstandingPrincipalMinor: 0n }));
    expect(thrownBy(RuleViolation, () => splitRepayment(terms(), repaid, covered({ currentInterestMinor: 1n }), null)).code).toBe('NO_OUTSTANDING_PRINCIPAL');
    expect(thrownBy(RuleViolation, () => splitRepayment(terms(), repaid, covered({ penaltyMinor: 1n }), null)).code).toBe('NO_OUTSTANDING_PRINCIPAL');
    // On the LENDER_RATE basis nothing is entitled then: the interest is the lead's spread.
    expect(splitRepayment(LENDER_RATE, repaid, covered({ currentInterestMinor: 5n }), PERIOD).perLender.get('LEAD')?.spreadMinor).toBe(5n);
  });

  it('refuses holdings that do not describe the loan', () => {
    const paid = covered({ currentPrincipalMinor: 1n });
    const path = (holdings: readonly LenderHolding[], t: RepaymentTerms = terms()) =>
      thrownBy(ValidationError, () => splitRepayment(t, holdings, paid, PERIOD)).details['path'];
    expect(path([])).toBe('holdings');
    expect(path([THREE[0]!, THREE[1]!, THREE[1]!])).toBe('holdings[2].lenderId');
    expect(path([THREE[1]!, THREE[2]!])).toBe('holdings');
    expect(path([{ ...THREE[0]!, role: 'PARTNER' }, THREE[1]!])).toBe('holdings[0].role');
    expect(path([THREE[0]!, { ...THREE[1]!, role: 'LEAD' }])).toBe('holdings[1].role');
    expect(path([THREE[0]!, { ...THREE[1]!, role: 'GUARANTOR' as 'PARTNER' }])).toBe('holdings[1].role');
    expect(path([THREE[0]!, { ...THREE[1]!, outstandingPrincipalMinor: -1n }])).toBe('holdings[1].outstandingPrincipalMinor');
    expect(path([THREE[0]!, { ...THREE[1]!, periodInterestReceivedMinor: -1n }])).toBe('holdings[1].periodInterestReceivedMinor');
    expect(path([THREE[0]!, { ...THREE[1]!, priority: Number.NaN }])).toBe('holdings[1].priority');
    expect(path([THREE[0]!, { ...THREE[1]!, lenderId: '' }])).toBe('holdings[1].lenderId');
    expect(path([THREE[0]!, { ...THREE[1]!, yieldRate: null }], LENDER_RATE)).toBe('holdings[1].yieldRate');
    expect(path([THREE[0]!, { ...THREE[1]!, yieldRate: '-0.01' }], LENDER_RATE)).toBe('holdings[1].yieldRate');
    expect(path([THREE[0]!, { ...THREE[1]!, yieldRate: '6%' }], LENDER_RATE)).toBe('holdings[1].yieldRate');
  });

  it('refuses settings it does not know, a rounding party without a holding, and a missing or reversed period', () => {
    const paid = covered({ currentInterestMinor: 1n });
    const path = (t: RepaymentTerms, period: { start: string; end: string } | null = PERIOD) =>
      thrownBy(ValidationError, () => splitRepayment(t, THREE, paid, period)).details['path'];
    expect(path(terms({ interestBasis: 'FIXED' as 'PRO_RATA' }))).toBe('split.interestBasis');
    expect(path(terms({ penalty: 'GUARANTOR' as 'LEAD' }))).toBe('split.penalty');
    expect(path(terms({ remainderRule: 'BANKERS' as 'ROUNDING_PARTY' }))).toBe('split.remainderRule');
    expect(path(terms({ roundingParty: 'AGENT' }))).toBe('split.roundingParty');
    expect(path(terms({ fees: { party: '' } }))).toBe('split.fees');
    expect(path(LENDER_RATE, null)).toBe('period');
    expect(path(LENDER_RATE, { start: '2025-04-15', end: '2025-04-14' })).toBe('end');
    // LARGEST_REMAINDER has no rounding party, so the setting is not read.
    expect(() => splitRepayment(terms({ remainderRule: 'LARGEST_REMAINDER', roundingParty: 'AGENT' }), THREE, paid, null)).not.toThrow();
  });

  it('refuses a covered amount that is negative', () => {
    expect(thrownBy(ValidationError, () => splitRepayment(terms(), THREE, covered({ excessMinor: -1n }), null)).details).toMatchObject({
      path: 'covered.excessMinor',
    });
  });
});

describe('repaymentEntry', () => {
  const split = splitRepayment(LENDER_RATE, THREE, applyWaterfall(940_333n, INSTALMENT), PERIOD);
  const entry = repaymentEntry('LOAN-1', 'RP-1', VALUE_DATE, 'CNY', split, NOW);

  it('books one entry named after the repayment, legs per book in lender order, zero legs left out', () => {
    expect(entry).toMatchObject({ entryId: 'REPAYMENT#RP-1', eventType: 'REPAYMENT', eventId: 'RP-1', loanId: 'LOAN-1', currency: 'CNY', businessDate: VALUE_DATE, createdAt: NOW });
    expect(entry.entryId).toBe(entryIdOf('REPAYMENT', 'RP-1'));
    expect(entry.reverses).toBeUndefined();
    expect(entry.legs.map((l) => [l.lenderId, l.side, l.account, l.amountMinor, l.counterparty])).toEqual([
      ['BANK-A', 'DEBIT', 'SETTLEMENT_CLEARING', 266_792n, 'ESCROW'],
      ['BANK-A', 'CREDIT', 'PRINCIPAL_RECEIVABLE', 250_000n, null],
      ['BANK-A', 'CREDIT', 'INTEREST_INCOME', 16_792n, null],
      ['BANK-B', 'DEBIT', 'SETTLEMENT_CLEARING', 268_729n, 'ESCROW'],
      ['BANK-B', 'CREDIT', 'PRINCIPAL_RECEIVABLE', 250_000n, null],
      ['BANK-B', 'CREDIT', 'INTEREST_INCOME', 18_729n, null],
      ['LEAD', 'DEBIT', 'SETTLEMENT_CLEARING', 399_812n, 'ESCROW'],
      ['LEAD', 'CREDIT', 'PRINCIPAL_RECEIVABLE', 333_333n, null],
      ['LEAD', 'CREDIT', 'FEE_INCOME', 66_479n, null],
      ['LEAD', 'DEBIT', 'SETTLEMENT_CLEARING', 5_000n, 'ESCROW'],
      ['LEAD', 'CREDIT', 'SUSPENSE', 5_000n, null],
    ]);
    expect(imbalances(entry)).toEqual([]);
  });

  it('books exactly what the borrower paid through escrow', () => {
    const clearing = entry.legs.filter((l) => l.account === 'SETTLEMENT_CLEARING').reduce((s, l) => s + l.amountMinor, 0n);
    expect(clearing).toBe(940_333n);
  });

  it('refuses an empty id, an invalid date or currency, and a split that does not add up', () => {
    expect(thrownBy(ValidationError, () => repaymentEntry('', 'RP-1', VALUE_DATE, 'CNY', split, NOW)).details).toMatchObject({ path: 'loanId' });
    expect(thrownBy(ValidationError, () => repaymentEntry('LOAN-1', '', VALUE_DATE, 'CNY', split, NOW)).details).toMatchObject({ path: 'repaymentId' });
    expect(thrownBy(ValidationError, () => repaymentEntry('LOAN-1', 'RP-1', '2025-02-30', 'CNY', split, NOW)).details).toMatchObject({ path: 'valueDate' });
    expect(thrownBy(ValidationError, () => repaymentEntry('LOAN-1', 'RP-1', VALUE_DATE, 'USD', split, NOW)).details).toMatchObject({ path: 'currency' });
    expect(() => repaymentEntry('LOAN-1', 'RP-1', VALUE_DATE, 'CNY', { ...split, paidMinor: split.paidMinor + 1n }, NOW)).toThrow(InvariantViolation);
    expect(() => repaymentEntry('LOAN-1', 'RP-1', VALUE_DATE, 'CNY', { ...split, suspenseLenderId: 'NOBODY' }, NOW)).toThrow(InvariantViolation);
    const negative = new Map(split.perLender);
    negative.set('BANK-A', { ...split.perLender.get('BANK-A')!, interestMinor: -1n });
    expect(() => repaymentEntry('LOAN-1', 'RP-1', VALUE_DATE, 'CNY', { ...split, perLender: negative }, NOW)).toThrow(InvariantViolation);
  });
});

describe('reversalEntry', () => {
  const split = splitRepayment(terms({ penalty: 'LEAD' }), THREE, applyWaterfall(1_000_000n, dues({ ...INSTALMENT, penaltyMinor: 3_000n })), null);
  const original = repaymentEntry('LOAN-1', 'RP-1', VALUE_DATE, 'CNY', split, NOW);

  it('is the exact negative, as an entry of its own that names the original', () => {
    const reversal = reversalEntry(original, 'RV-1', '2025-04-16T08:00:00.000Z');
    expect(reversal).toMatchObject({
      entryId: 'REVERSAL#RV-1',
      eventType: 'REVERSAL',
      eventId: 'RV-1',
      loanId: 'LOAN-1',
      currency: 'CNY',
      businessDate: VALUE_DATE,
      createdAt: '2025-04-16T08:00:00.000Z',
      reverses: 'REPAYMENT#RP-1',
    });
    expect(reversal.legs).toEqual(original.legs.map((l) => ({ ...l, side: l.side === 'DEBIT' ? 'CREDIT' : 'DEBIT' })));
    expect(reversalEntry(original, 'RV-1', NOW, '2025-04-17').businessDate).toBe('2025-04-17');
  });

  it('nets every account of every book to zero with the original', () => {
    const reversal = reversalEntry(original, 'RV-1', NOW);
    for (const lenderId of split.perLender.keys()) {
      const legs = [...original.legs, ...reversal.legs].filter((l) => l.lenderId === lenderId);
      expect(zeroBalances(applyLegs({}, legs))).toBe(true);
    }
  });

  it('refuses to reverse a reversal, and an empty id or invalid date', () => {
    const reversal = reversalEntry(original, 'RV-1', NOW);
    expect(thrownBy(RuleViolation, () => reversalEntry(reversal, 'RV-2', NOW)).code).toBe('REVERSAL_OF_REVERSAL');
    expect(thrownBy(ValidationError, () => reversalEntry(original, '', NOW)).details).toMatchObject({ path: 'reversalId' });
    expect(thrownBy(ValidationError, () => reversalEntry(original, 'RV-1', NOW, '15/04/2025')).details).toMatchObject({ path: 'businessDate' });
  });

  it('refuses to reverse an entry that does not balance', () => {
    const broken: JournalEntry = { ...original, legs: original.legs.slice(1) };
    expect(() => reversalEntry(broken, 'RV-1', NOW)).toThrow(InvariantViolation);
  });
});

describe('a booked loan, repaid and reversed', () => {
  it('splits on the loan terms snapshot and keeps every position equal to the fold of its entries', () => {
    const program = aProgram({
      split: { interestBasis: 'LENDER_RATE', penalty: 'LEAD', fees: 'LEAD', remainderRule: 'ROUNDING_PARTY', roundingParty: null },
      participants: [
        aParticipant(LEAD_ID, 'LEAD', 4000, { priority: 0 }),
        aParticipant(PARTNER_A, 'PARTNER', 3000, { priority: 1, yieldRate: '0.05' }),
        aParticipant(PARTNER_B, 'PARTNER', 3000, { priority: 2, yieldRate: '0.055' }),
      ],
    });
    const { loan, entry: disbursement } = bookLoan(aBookLoanRequest(), program, lenderMap(), NOW);
    const yields = new Map(loan.terms.participants.map((p) => [p.lenderId, p]));
    const holdings: LenderHolding[] = loan.fundingPlan.map((part) => ({
      lenderId: part.lenderId,
      role: part.role,
      outstandingPrincipalMinor: part.amountMinor,
      yieldRate: yields.get(part.lenderId)?.yieldRate ?? null,
      priority: yields.get(part.lenderId)?.priority ?? 0,
    }));
    const paid = applyWaterfall(90_000n, dues({ currentInterestMinor: 6_042n, currentPrincipalMinor: 80_606n }), loan.terms.waterfall);
    const split = splitRepayment(loan.terms, holdings, paid, { start: loan.disbursementDate, end: '2025-04-01' });
    const repayment = repaymentEntry(loan.loanId, 'RP-1', '2025-04-01', loan.currency, split, NOW);
    const reversal = reversalEntry(repayment, 'RV-1', NOW);

    const afterRepayment = foldEntries(LOAN_ID, [disbursement, repayment]);
    for (const part of loan.fundingPlan) {
      const position = afterRepayment.get(part.lenderId)!;
      expect(position.balancesMinor.PRINCIPAL_RECEIVABLE).toBe(part.amountMinor - split.perLender.get(part.lenderId)!.principalMinor);
    }
    expect(afterRepayment.get(LEAD_ID)!.balancesMinor.SUSPENSE).toBe(-(90_000n - 6_042n - 80_606n));

    const afterReversal = foldEntries(LOAN_ID, [disbursement, repayment, reversal]);
    const disbursed = foldEntries(LOAN_ID, [disbursement]);
    for (const [lenderId, position] of afterReversal) {
      const net = Object.fromEntries(Object.entries(position.balancesMinor).filter(([, amount]) => amount !== 0n));
      expect(net).toEqual(disbursed.get(lenderId)!.balancesMinor);
    }
  });
});
