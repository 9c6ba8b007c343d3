import { describe, expect, it } from 'vitest';
import { InvariantViolation, ValidationError } from '../../../../shared/domain/errors.ts';
import type { FeeRule } from '../../../../shared/domain/fee-rules.ts';
import { borrowerPeriodFee, periodFeeByPayer, periodFeeEntry, periodRange, periodRules, principalDays } from '../../../../shared/domain/fees.ts';
import { assertBalanced, foldEntries, type JournalEntry, type Leg } from '../../../../shared/domain/ledger.ts';
import { bookLoan } from '../../../../shared/domain/loan.ts';
import { foldRepayments, type RepaymentEvent } from '../../../../shared/domain/loan-account.ts';
import { validateProgram, type ProgramTerms } from '../../../../shared/domain/program.ts';
import { repaymentEntry } from '../../../../shared/domain/repayment-entry.ts';
import { scheduleRemainderRule } from '../../../../shared/domain/schedule.ts';
import { GUARANTOR_ID, LEAD_ID, NOW, PARTNER_A, PARTNER_B, aBookLoanRequest, aLender, aParticipant, aProgram, aProgramTerms, defaultParticipants, lenderMap, defaultLenders } from '../../../support/builders.ts';
import { thrownBy } from '../../../support/expect-error.ts';

/*
 * The test loan (aLoan in builders.ts): 1,000,000 fen at 7.25% over 12 months, EQUAL_INSTALLMENT,
 * disbursed 2025-03-01, funded 400,000 (LEAD-BANK) / 300,000 (PARTNER-A) / 300,000 (PARTNER-B);
 * ACT/360, HALF_UP. Instalment 1 (due 2025-04-01): interest 6,042, principal 80,600, level
 * payment 86,642. Instalment 2 (due 2025-05-01): interest 5,555, principal 81,087
 * (loan-account.test.ts works both out).
 *
 * PRO_RATA split of instalment 1 (each partner its 30% rounded HALF_UP, the lead the rest):
 *   interest 6,042: PARTNER-A 1,812.6 → 1,813, PARTNER-B 1,813, lead 2,416
 *   principal 80,600: PARTNER-A 24,180, PARTNER-B 24,180, lead 32,240
 */

const SERVICE_PARTNER = 'SP-ACQUIRE';

function rule(overrides: Partial<FeeRule>): FeeRule {
  return {
    id: 'R1',
    kind: 'SERVICE',
    payee: LEAD_ID,
    base: 'REPAYMENT_INTEREST',
    rate: '0.2',
    amountMinor: null,
    period: 'PER_REPAYMENT',
    payer: { kind: 'DEDUCTED_FROM_INTEREST', lenders: [PARTNER_A] },
    ...overrides,
  };
}

function loanWith(terms: Partial<ProgramTerms>) {
  return bookLoan(aBookLoanRequest(), aProgram(terms), lenderMap(), NOW);
}

function ev(repaymentId: string, valueDate: string, amountMinor: bigint, seq: number): RepaymentEvent {
  return { repaymentId, valueDate, amountMinor, kind: 'REGULAR', seq };
}

function legsOf(entry: JournalEntry, lenderId: string): Omit<Leg, 'lenderId'>[] {
  return entry.legs.filter((l) => l.lenderId === lenderId).map(({ lenderId: _l, ...rest }) => rest);
}

/** Books the payments with the fold and returns their entries after the disbursement's. */
function booked(terms: Partial<ProgramTerms>, payments: RepaymentEvent[]) {
  const { loan, entry } = loanWith(terms);
  const { outcomes, account } = foldRepayments(loan, payments);
  const entries = [entry, ...payments.map((p) => repaymentEntry(loan.loanId, p.repaymentId, p.valueDate, loan.currency, outcomes.get(p.repaymentId)!.split, NOW))];
  return { loan, outcomes, account, entries };
}

const clearing = (amountMinor: bigint, counterparty: string, component?: Leg['component']) => ({
  account: 'SETTLEMENT_CLEARING' as const,
  side: 'DEBIT' as const,
  amountMinor,
  counterparty,
  ...(component === undefined ? {} : { component }),
});
const credit = (account: Leg['account'], amountMinor: bigint, counterparty: string | null = null, component?: Leg['component']) => ({
  account,
  side: 'CREDIT' as const,
  amountMinor,
  counterparty,
  ...(component === undefined ? {} : { component }),
});
const debit = (account: Leg['account'], amountMinor: bigint) => ({ account, side: 'DEBIT' as const, amountMinor, counterparty: null });

describe('a fee of 20% of each repayment interest, deducted from PARTNER-A to the lead', () => {
  it('moves 363 fen from PARTNER-A to the lead inside the repayment entry, each clearing leg naming its component', () => {
    // PARTNER-A's interest 1,813 × 0.2 = 362.6 → 363.
    const { outcomes, entries } = booked({ fees: { serviceFeeRate: null, guaranteeFeeRate: null, guarantorLenderId: null, rules: [rule({})] } }, [ev('R1', '2025-04-01', 86_642n, 1)]);
    expect(outcomes.get('R1')!.split.deductions).toEqual([{ ruleId: 'R1', fromLenderId: PARTNER_A, toLenderId: LEAD_ID, amountMinor: 363n }]);
    const entry = entries[1]!;
    expect(legsOf(entry, PARTNER_A)).toEqual([
      clearing(24_180n, 'ESCROW', 'PRINCIPAL'),
      clearing(1_813n, 'ESCROW', 'INTEREST'),
      credit('PRINCIPAL_RECEIVABLE', 24_180n),
      credit('INTEREST_INCOME', 1_813n),
      debit('FEE_EXPENSE', 363n),
      credit('SETTLEMENT_CLEARING', 363n, LEAD_ID, 'FEE'),
    ]);
    expect(legsOf(entry, LEAD_ID)).toEqual([
      clearing(32_240n, 'ESCROW', 'PRINCIPAL'),
      clearing(2_416n, 'ESCROW', 'INTEREST'),
      credit('PRINCIPAL_RECEIVABLE', 32_240n),
      credit('INTEREST_INCOME', 2_416n),
      clearing(363n, PARTNER_A, 'FEE'),
      credit('FEE_INCOME', 363n),
    ]);
    // PARTNER-B clears with the escrow alone: its legs are as without fees.
    expect(legsOf(entry, PARTNER_B)).toEqual([clearing(25_993n, 'ESCROW'), credit('PRINCIPAL_RECEIVABLE', 24_180n), credit('INTEREST_INCOME', 1_813n)]);
    expect(() => assertBalanced(entry)).not.toThrow();
  });

  it('leaves positions equal to the fold: principal repaid, the fee in both books', () => {
    const { entries, account } = booked({ fees: { serviceFeeRate: null, guaranteeFeeRate: null, guarantorLenderId: null, rules: [rule({})] } }, [ev('R1', '2025-04-01', 86_642n, 1)]);
    const positions = foldEntries('LN', entries);
    for (const [lenderId, outstanding] of account.summary('2025-04-01').outstandingByLender) {
      expect(positions.get(lenderId)!.balancesMinor.PRINCIPAL_RECEIVABLE).toBe(outstanding);
    }
    expect(positions.get(PARTNER_A)!.balancesMinor.FEE_EXPENSE).toBe(363n);
    expect(positions.get(LEAD_ID)!.balancesMinor.FEE_INCOME).toBe(-363n);
    // The clearing of PARTNER-A: 300,000 paid out at disbursement, 24,180 + 1,813 due from the
    // escrow, 363 owed to the lead: −300,000 + 25,993 − 363 = −274,370.
    expect(positions.get(PARTNER_A)!.balancesMinor.SETTLEMENT_CLEARING).toBe(-274_370n);
  });
});

describe('a guarantee fee of 10% of each repayment interest, paid by the borrower to the guarantor', () => {
  const participants = [...defaultParticipants(), aParticipant(GUARANTOR_ID, 'GUARANTOR', null, { priority: 5 })];
  const fees = {
    serviceFeeRate: null,
    guaranteeFeeRate: null,
    guarantorLenderId: GUARANTOR_ID,
    rules: [rule({ id: 'GUARANTEE', kind: 'GUARANTEE', payee: GUARANTOR_ID, rate: '0.1', payer: { kind: 'BORROWER' } })],
  };

  it('is due in the FEES slot of the same payment, what is not paid stays owed for the next', () => {
    // Instalment 1: fee 6,042 × 0.1 = 604.2 → 604, due with 86,642: 87,246. A payment of 87,000
    // pays 358 of it; 246 stays owed. Instalment 2: fee 5,555 × 0.1 = 555.5 → 556; due 86,642 +
    // 246 + 556 = 87,444, paid in full.
    const { outcomes, entries, account } = booked({ participants, fees }, [ev('R1', '2025-04-01', 87_000n, 1), ev('R2', '2025-05-01', 87_444n, 2)]);
    const first = outcomes.get('R1')!;
    expect(first.dues.feesMinor).toBe(604n);
    expect(first.covered.feesMinor).toBe(358n);
    expect(first.split.perLender.get(GUARANTOR_ID)).toEqual({ principalMinor: 0n, interestMinor: 0n, penaltyMinor: 0n, feeMinor: 358n, spreadMinor: 0n });
    expect(legsOf(entries[1]!, GUARANTOR_ID)).toEqual([clearing(358n, 'ESCROW'), credit('FEE_INCOME', 358n)]);
    const second = outcomes.get('R2')!;
    expect(second.dues.feesMinor).toBe(802n);
    expect(second.covered.feesMinor).toBe(802n);
    expect(second.covered.excessMinor).toBe(0n);
    expect(legsOf(entries[2]!, GUARANTOR_ID)).toEqual([clearing(802n, 'ESCROW'), credit('FEE_INCOME', 802n)]);
    expect(account.state().feesOwed).toBeUndefined();
    for (const e of entries) expect(() => assertBalanced(e)).not.toThrow();
    expect(foldEntries('LN', entries).get(GUARANTOR_ID)!.balancesMinor.FEE_INCOME).toBe(-1_160n);
  });

  it('restores the fees owed from the state after a payment', () => {
    const { account } = booked({ participants, fees }, [ev('R1', '2025-04-01', 87_000n, 1)]);
    expect(account.state().feesOwed).toEqual([['GUARANTEE', 246n]]);
  });
});

describe("a service partner's 30% share of the lead's spread", () => {
  it('moves 883 fen of the spread from the lead to the service partner', () => {
    // LENDER_RATE, partners at 6%: instalment 1 runs 2025-03-01 .. 2025-04-01, 31 days ACT/360:
    // each partner is entitled to 300,000 × 0.06 × 31 / 360 = 1,550; the lead's spread is
    // 6,042 − 3,100 = 2,942; 30% of it is 882.6 → 883.
    const participants = [
      aParticipant(LEAD_ID, 'LEAD', 4000, { priority: 0 }),
      aParticipant(PARTNER_A, 'PARTNER', 3000, { priority: 1, yieldRate: '0.06' }),
      aParticipant(PARTNER_B, 'PARTNER', 3000, { priority: 2, yieldRate: '0.06' }),
      aParticipant(SERVICE_PARTNER, 'SERVICE_PARTNER', null, { priority: 9 }),
    ];
    const share = rule({ id: 'SP-SHARE', kind: 'SERVICE_PARTNER_SHARE', payee: SERVICE_PARTNER, rate: '0.3', payer: { kind: 'DEDUCTED_FROM_INTEREST', lenders: [LEAD_ID] } });
    const { entries } = booked(
      { participants, split: { ...aProgramTerms().split, interestBasis: 'LENDER_RATE' }, fees: { serviceFeeRate: null, guaranteeFeeRate: null, guarantorLenderId: null, rules: [share] } },
      [ev('R1', '2025-04-01', 86_642n, 1)],
    );
    const entry = entries[1]!;
    expect(legsOf(entry, LEAD_ID)).toEqual([
      clearing(32_240n, 'ESCROW', 'PRINCIPAL'),
      clearing(2_942n, 'ESCROW', 'FEE'),
      credit('PRINCIPAL_RECEIVABLE', 32_240n),
      credit('FEE_INCOME', 2_942n),
      debit('FEE_EXPENSE', 883n),
      credit('SETTLEMENT_CLEARING', 883n, SERVICE_PARTNER, 'FEE'),
    ]);
    expect(legsOf(entry, SERVICE_PARTNER)).toEqual([clearing(883n, LEAD_ID, 'FEE'), credit('FEE_INCOME', 883n)]);
    expect(legsOf(entry, PARTNER_A)).toEqual([clearing(25_730n, 'ESCROW'), credit('PRINCIPAL_RECEIVABLE', 24_180n), credit('INTEREST_INCOME', 1_550n)]);
  });
});

describe('period fees', () => {
  const range = periodRange('2026-11');
  const disbursed: JournalEntry = {
    entryId: 'DISBURSEMENT#L',
    eventType: 'DISBURSEMENT',
    eventId: 'L',
    loanId: 'L',
    currency: 'CNY',
    businessDate: '2026-10-20',
    createdAt: NOW,
    legs: [
      { lenderId: PARTNER_A, account: 'PRINCIPAL_RECEIVABLE', side: 'DEBIT', amountMinor: 6_000_000n, counterparty: null },
      { lenderId: PARTNER_A, account: 'SETTLEMENT_CLEARING', side: 'CREDIT', amountMinor: 6_000_000n, counterparty: 'ESCROW' },
    ],
  };
  const repaid: JournalEntry = {
    ...disbursed,
    entryId: 'REPAYMENT#R',
    eventType: 'REPAYMENT',
    eventId: 'R',
    businessDate: '2026-11-15',
    legs: [
      { lenderId: PARTNER_A, account: 'SETTLEMENT_CLEARING', side: 'DEBIT', amountMinor: 500_000n, counterparty: 'ESCROW' },
      { lenderId: PARTNER_A, account: 'PRINCIPAL_RECEIVABLE', side: 'CREDIT', amountMinor: 500_000n, counterparty: null },
    ],
  };
  const service = rule({ id: 'SERVICE', base: 'OUTSTANDING_PRINCIPAL', rate: '0.01', period: 'MONTHLY', payer: { kind: 'DEDUCTED_FROM_INTEREST', lenders: 'ALL_PARTNERS' } });
  const terms = aProgramTerms({ fees: { serviceFeeRate: null, guaranteeFeeRate: null, guarantorLenderId: null, rules: [service] } });

  it('reads a month and a quarter', () => {
    expect(range).toEqual({ period: '2026-11', kind: 'MONTHLY', from: '2026-11-01', to: '2026-11-30', end: '2026-12-01' });
    expect(periodRange('2026-Q1')).toEqual({ period: '2026-Q1', kind: 'QUARTERLY', from: '2026-01-01', to: '2026-03-31', end: '2026-04-01' });
    expect(thrownBy(ValidationError, () => periodRange('2026-13')).details).toMatchObject({ path: 'period', rule: 'period' });
  });

  it('bills 1% a year on the outstanding principal, day by day: 50.00 for a full month of 60,000.00', () => {
    // 6,000,000 × 30 days × 0.01 / 360 = 5,000.
    const days = principalDays([disbursed], range, 'ACT/360');
    expect(days.byLender.get(PARTNER_A)).toBe(180_000_000n);
    expect(periodFeeByPayer(terms, service, days, scheduleRemainderRule(terms))).toEqual(new Map([[PARTNER_A, 5_000n]]));
  });

  it('follows the principal down inside the period: 47.78 after 5,000.00 repaid on the 15th', () => {
    // (6,000,000 × 14 + 5,500,000 × 16) × 0.01 / 360 = 172,000,000 / 36,000 = 4,777.78 → 4,778.
    const days = principalDays([disbursed, repaid], range, 'ACT/360');
    expect(days.byLender.get(PARTNER_A)).toBe(172_000_000n);
    const fees = periodFeeByPayer(terms, service, days, scheduleRemainderRule(terms));
    expect(fees).toEqual(new Map([[PARTNER_A, 4_778n]]));
    const entry = periodFeeEntry({ loanId: 'L', currency: 'CNY' }, service, range, fees, NOW)!;
    expect(entry.entryId).toBe('FEE#SERVICE#2026-11#L');
    expect(entry.businessDate).toBe('2026-11-30');
    expect(entry.legs).toEqual([
      { lenderId: PARTNER_A, account: 'FEE_EXPENSE', side: 'DEBIT', amountMinor: 4_778n, counterparty: null },
      { lenderId: PARTNER_A, account: 'SETTLEMENT_CLEARING', side: 'CREDIT', amountMinor: 4_778n, counterparty: LEAD_ID, component: 'FEE' },
      { lenderId: LEAD_ID, account: 'SETTLEMENT_CLEARING', side: 'DEBIT', amountMinor: 4_778n, counterparty: PARTNER_A, component: 'FEE' },
      { lenderId: LEAD_ID, account: 'FEE_INCOME', side: 'CREDIT', amountMinor: 4_778n, counterparty: null },
    ]);
  });

  it('divides a flat fee among the payers by principal-days, and bills nothing without principal', () => {
    // PARTNER-A 6,000,000 × 30 = 180,000,000; PARTNER-B 3,000,000 × 30 = 90,000,000: 1,000 fen
    // divides 666.67 / 333.33; PARTNER-B rounds to 333 and PARTNER-A, the heavier, takes 667.
    const flat = rule({ id: 'FLAT', base: 'FLAT', rate: null, amountMinor: 1_000n, period: 'MONTHLY', payer: { kind: 'DEDUCTED_FROM_INTEREST', lenders: 'ALL_PARTNERS' } });
    const days = { byLender: new Map([[PARTNER_A, 180_000_000n], [PARTNER_B, 90_000_000n]]), basis: 360n };
    expect(periodFeeByPayer(terms, flat, days, scheduleRemainderRule(terms))).toEqual(new Map([[PARTNER_A, 667n], [PARTNER_B, 333n]]));
    expect(periodFeeByPayer(terms, flat, { byLender: new Map(), basis: 360n }, scheduleRemainderRule(terms)).size).toBe(0);
    expect(periodFeeEntry({ loanId: 'L', currency: 'CNY' }, flat, range, new Map(), NOW)).toBeNull();
  });

  it("bills the borrower the rate on the loan's principal-days, rounded once, or the flat amount when it had principal", () => {
    // 1.2% a year on PARTNER-A 180,000,000 + PARTNER-B 90,000,000 + the lead 120,000,000 fen-days
    // = 390,000,000: 390,000,000 × 0.012 / 360 = 13,000 fen; at 1.1%, 11,916.67 → 11,917.
    const days = { byLender: new Map([[PARTNER_A, 180_000_000n], [PARTNER_B, 90_000_000n], [LEAD_ID, 120_000_000n]]), basis: 360n };
    const monthly = (rate: string) => rule({ id: 'M', base: 'OUTSTANDING_PRINCIPAL', rate, period: 'MONTHLY', payer: { kind: 'BORROWER' } });
    expect(borrowerPeriodFee(terms, monthly('0.012'), days)).toBe(13_000n);
    expect(borrowerPeriodFee(terms, monthly('0.011'), days)).toBe(11_917n);
    // Rounded once for the loan: 3,500 + 3,500 fen-days at 5% / 360 = 0.972 → 1, where rounding per lender gives 0 + 0.
    const odd = { byLender: new Map([[PARTNER_A, 3_500n], [PARTNER_B, 3_500n]]), basis: 360n };
    expect(borrowerPeriodFee(terms, monthly('0.05'), odd)).toBe(1n);
    const flat = rule({ id: 'Q', base: 'FLAT', rate: null, amountMinor: 3_000n, period: 'QUARTERLY', payer: { kind: 'BORROWER' } });
    expect(borrowerPeriodFee(terms, flat, odd)).toBe(3_000n);
    expect(borrowerPeriodFee(terms, flat, { byLender: new Map(), basis: 360n })).toBe(0n);
    expect(borrowerPeriodFee(terms, monthly('0.012'), { byLender: new Map(), basis: 360n })).toBe(0n);
    expect(() => borrowerPeriodFee(terms, rule({ base: 'FLAT', rate: null, amountMinor: 1n, period: 'MONTHLY' }), days)).toThrow(InvariantViolation);
    expect(() => periodFeeByPayer(terms, flat, days, scheduleRemainderRule(terms))).toThrow(InvariantViolation);
  });

  it('maps the shorthand fields to monthly rules deducted from the partners', () => {
    const shorthand = aProgramTerms({ fees: { serviceFeeRate: '0.01', guaranteeFeeRate: '0.005', guarantorLenderId: GUARANTOR_ID } });
    expect(periodRules(shorthand, 'MONTHLY').map((r) => [r.id, r.kind, r.payee, r.rate])).toEqual([
      ['SERVICE', 'SERVICE', LEAD_ID, '0.01'],
      ['GUARANTEE', 'GUARANTEE', GUARANTOR_ID, '0.005'],
    ]);
  });
});

describe('fee rule validation', () => {
  const lenders = lenderMap([...defaultLenders(), aLender({ lenderId: GUARANTOR_ID, roles: ['GUARANTOR'] }), aLender({ lenderId: SERVICE_PARTNER, roles: ['SERVICE_PARTNER'] })]);
  const participants = [...defaultParticipants(), aParticipant(GUARANTOR_ID, 'GUARANTOR', null, { priority: 5 }), aParticipant(SERVICE_PARTNER, 'SERVICE_PARTNER', null, { priority: 9 })];
  const refused = (rules: FeeRule[], overrides: Partial<ProgramTerms> = {}) =>
    thrownBy(ValidationError, () => validateProgram(aProgramTerms({ participants, fees: { serviceFeeRate: null, guaranteeFeeRate: null, guarantorLenderId: GUARANTOR_ID, rules }, ...overrides }), lenders)).details;

  it('accepts the four rules of these tests', () => {
    const rules = [
      rule({}),
      rule({ id: 'G', kind: 'GUARANTEE', payee: GUARANTOR_ID, payer: { kind: 'BORROWER' } }),
      rule({ id: 'S', kind: 'SERVICE_PARTNER_SHARE', payee: SERVICE_PARTNER, payer: { kind: 'DEDUCTED_FROM_INTEREST', lenders: [LEAD_ID] } }),
      rule({ id: 'M', base: 'OUTSTANDING_PRINCIPAL', rate: '0.01', period: 'MONTHLY', payer: { kind: 'DEDUCTED_FROM_INTEREST', lenders: 'ALL_PARTNERS' } }),
    ];
    expect(() => validateProgram(aProgramTerms({ participants, fees: { serviceFeeRate: null, guaranteeFeeRate: null, guarantorLenderId: GUARANTOR_ID, rules } }), lenders)).not.toThrow();
  });

  it('names the field path and the rule of each refusal', () => {
    expect(refused([rule({}), rule({})])).toMatchObject({ path: 'fees.rules.1.id', rule: 'unique', feeRule: 'R1' });
    expect(refused([rule({ payee: 'NOBODY' })])).toMatchObject({ path: 'fees.rules.0.payee', rule: 'participant' });
    expect(refused([rule({ kind: 'GUARANTEE' })])).toMatchObject({ path: 'fees.rules.0.payee', rule: 'payee-role' });
    expect(refused([rule({ kind: 'SERVICE_PARTNER_SHARE', payee: GUARANTOR_ID })])).toMatchObject({ path: 'fees.rules.0.payee', rule: 'payee-role' });
    expect(refused([rule({ period: 'MONTHLY' })])).toMatchObject({ path: 'fees.rules.0.period', rule: 'period-of-base' });
    expect(refused([rule({ rate: null })])).toMatchObject({ path: 'fees.rules.0.rate', rule: 'required' });
    expect(refused([rule({ rate: '1.5' })])).toMatchObject({ path: 'fees.rules.0.rate', rule: 'at-most-one' });
    expect(refused([rule({ base: 'FLAT', period: 'MONTHLY', rate: null })])).toMatchObject({ path: 'fees.rules.0.amountMinor', rule: 'required' });
    expect(refused([rule({ payer: { kind: 'DEDUCTED_FROM_INTEREST', lenders: [GUARANTOR_ID] } })])).toMatchObject({ path: 'fees.rules.0.payer.lenders.0', rule: 'funding-participant' });
    expect(refused([rule({ payer: { kind: 'DEDUCTED_FROM_INTEREST', lenders: [PARTNER_A, LEAD_ID] } })])).toMatchObject({ path: 'fees.rules.0.payer.lenders.1', rule: 'not-payee' });
    expect(refused([rule({ payer: { kind: 'BORROWER' } })], { waterfall: ['PENALTY', 'FEES', 'OVERDUE_INTEREST', 'OVERDUE_PRINCIPAL', 'CURRENT_INTEREST', 'CURRENT_PRINCIPAL'] })).toMatchObject({
      path: 'fees.rules.0.payer',
      rule: 'fees-after-interest',
    });
  });

  it('accepts period fees the borrower pays, whatever the place of FEES in the waterfall', () => {
    const feesFirst: Partial<ProgramTerms> = { waterfall: ['PENALTY', 'FEES', 'OVERDUE_INTEREST', 'OVERDUE_PRINCIPAL', 'CURRENT_INTEREST', 'CURRENT_PRINCIPAL'] };
    const rules = [
      rule({ id: 'M', base: 'OUTSTANDING_PRINCIPAL', rate: '0.012', period: 'MONTHLY', payer: { kind: 'BORROWER' } }),
      rule({ id: 'Q', kind: 'GUARANTEE', payee: GUARANTOR_ID, base: 'FLAT', rate: null, amountMinor: 3_000n, period: 'QUARTERLY', payer: { kind: 'BORROWER' } }),
    ];
    for (const overrides of [{}, feesFirst]) {
      expect(() => validateProgram(aProgramTerms({ participants, fees: { serviceFeeRate: null, guaranteeFeeRate: null, guarantorLenderId: GUARANTOR_ID, rules }, ...overrides }), lenders)).not.toThrow();
    }
    // the per-repayment rule beside them still needs FEES after the interest
    expect(refused([...rules, rule({ id: 'I', payer: { kind: 'BORROWER' } })], feesFirst)).toMatchObject({ path: 'fees.rules.2.payer', rule: 'fees-after-interest', feeRule: 'I' });
  });

  it('refuses a service partner that funds and a guarantee fee without a guarantor', () => {
    const funding = [...defaultParticipants(), aParticipant(SERVICE_PARTNER, 'SERVICE_PARTNER', 1000)];
    expect(thrownBy(ValidationError, () => validateProgram(aProgramTerms({ participants: funding }), lenders)).details).toMatchObject({ path: 'participants.3.targetShareBps', rule: 'funds-nothing' });
    expect(thrownBy(ValidationError, () => validateProgram(aProgramTerms({ fees: { serviceFeeRate: null, guaranteeFeeRate: '0.01', guarantorLenderId: null } }), lenders)).details).toMatchObject({
      path: 'fees.guaranteeFeeRate',
      rule: 'guarantor-required',
    });
  });
});
