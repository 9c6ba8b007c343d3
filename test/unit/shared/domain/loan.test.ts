import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RuleViolation, ValidationError } from '../../../../shared/domain/errors.ts';
import { applyEntry, imbalances, openPosition, type Leg } from '../../../../shared/domain/ledger.ts';
import type { Lender } from '../../../../shared/domain/lender.ts';
import { bookLoan, disbursementEntry, type BookLoanRequest, type FundingShare, type Loan } from '../../../../shared/domain/loan.ts';
import type { Program } from '../../../../shared/domain/program.ts';
import {
  GUARANTOR_ID,
  LEAD_ID,
  LOAN_ID,
  NOW,
  PARTNER_A,
  PARTNER_B,
  PROGRAM_ID,
  aBookLoanRequest,
  aBorrower,
  aLender,
  aLeadLender,
  aLimits,
  aParticipant,
  aPartnerLender,
  aProgram,
  aProgramTerms,
  anIndiaLenders,
  anIndiaProgramTerms,
  defaultLenders,
  defaultPlan,
  lenderMap,
  plan,
} from '../../../support/builders.ts';
import { thrownBy } from '../../../support/expect-error.ts';

const program = aProgram();
const lenders = lenderMap();

function book(request: BookLoanRequest, prog: Program = program, map: ReadonlyMap<string, Lender> = lenders) {
  return bookLoan(request, prog, map, NOW);
}

function refusal(request: BookLoanRequest, prog: Program = program, map: ReadonlyMap<string, Lender> = lenders): RuleViolation {
  return thrownBy(RuleViolation, () => book(request, prog, map));
}

/** The default lenders with one of them replaced. */
function withLender(replacement: Lender): Map<string, Lender> {
  return lenderMap([...defaultLenders().filter((l) => l.lenderId !== replacement.lenderId), replacement]);
}

const debit = (lenderId: string, amountMinor: bigint): Leg => ({ lenderId, account: 'PRINCIPAL_RECEIVABLE', side: 'DEBIT', amountMinor, counterparty: null });
const credit = (lenderId: string, amountMinor: bigint): Leg => ({ lenderId, account: 'SETTLEMENT_CLEARING', side: 'CREDIT', amountMinor, counterparty: 'ESCROW' });

describe('bookLoan: a valid booking', () => {
  it('builds the loan with the program terms copied and each lender part with its role', () => {
    const { loan } = book(aBookLoanRequest());
    const { programId: _p, version: _v, createdAt: _c, ...terms } = program;
    const expected: Loan = {
      loanId: LOAN_ID,
      programId: PROGRAM_ID,
      programVersion: 1,
      terms,
      borrower: { borrowerId: 'BRW-0001', type: 'INDIVIDUAL', region: 'CN-44', secured: false },
      currency: 'CNY',
      principalMinor: 1_000_000n,
      annualRate: '0.0725',
      termMonths: 12,
      repaymentMethod: 'EQUAL_INSTALLMENT',
      disbursementDate: '2025-03-01',
      disbursementReference: 'DISB-20250301-0001',
      fundingPlan: [
        { lenderId: LEAD_ID, amountMinor: 400_000n, role: 'LEAD' },
        { lenderId: PARTNER_A, amountMinor: 300_000n, role: 'PARTNER' },
        { lenderId: PARTNER_B, amountMinor: 300_000n, role: 'PARTNER' },
      ],
      status: 'ACTIVE',
      createdAt: NOW,
    };
    expect(loan).toEqual(expected);
    expect(loan.terms).not.toHaveProperty('programId');
    expect(loan.terms).not.toHaveProperty('version');
  });

  it('books the disbursement: each lender debits principal receivable and credits escrow clearing with its part', () => {
    const { entry } = book(aBookLoanRequest());
    expect(entry).toEqual({
      entryId: `DISBURSEMENT#${LOAN_ID}`,
      eventType: 'DISBURSEMENT',
      eventId: LOAN_ID,
      loanId: LOAN_ID,
      currency: 'CNY',
      businessDate: '2025-03-01',
      legs: [debit(LEAD_ID, 400_000n), credit(LEAD_ID, 400_000n), debit(PARTNER_A, 300_000n), credit(PARTNER_A, 300_000n), debit(PARTNER_B, 300_000n), credit(PARTNER_B, 300_000n)],
      createdAt: NOW,
      bookedOn: '2025-03-01',
      programId: 'CONSUMER-2025',
      programVersion: 1,
    });
  });

  it('records the version of the program it was booked under', () => {
    expect(book(aBookLoanRequest(), aProgram({ version: 3 })).loan.programVersion).toBe(3);
  });

  it('copies the terms: changing the program object afterwards leaves the loan terms alone', () => {
    const prog = aProgram();
    const { loan } = book(aBookLoanRequest(), prog);
    (prog as { name: string }).name = 'renamed';
    expect(loan.terms.name).toBe('Consumer co-lending 2025');
  });
});

describe('bookLoan: the funding plan', () => {
  it('refuses a plan that does not sum to the principal, with both figures', () => {
    const error = refusal(aBookLoanRequest({ fundingPlan: plan([LEAD_ID, 400_000n], [PARTNER_A, 300_000n], [PARTNER_B, 299_999n]) }));
    expect(error.code).toBe('PLAN_SUM_MISMATCH');
    expect(error.details).toEqual({ path: 'fundingPlan', rule: 'plan-sums-to-principal', planSumMinor: '999999', principalMinor: '1000000' });
    expect(error.message).toBe('the funding plan sums to 999999, the principal is 1000000');
  });

  it('refuses a plan one fen above the principal', () => {
    const error = refusal(aBookLoanRequest({ fundingPlan: plan([LEAD_ID, 400_001n], [PARTNER_A, 300_000n], [PARTNER_B, 300_000n]) }));
    expect(error.details.planSumMinor).toBe('1000001');
  });

  it('refuses an unknown lender', () => {
    const error = refusal(aBookLoanRequest({ fundingPlan: plan([LEAD_ID, 400_000n], [PARTNER_A, 300_000n], ['PARTNER-X', 300_000n]) }));
    expect(error.code).toBe('UNKNOWN_LENDER');
    expect(error.details).toEqual({ path: 'fundingPlan.2.lenderId', lenderId: 'PARTNER-X' });
  });

  it('refuses a lender that is not a funding participant of the program', () => {
    const outsider = aPartnerLender('PARTNER-C');
    const error = refusal(aBookLoanRequest({ fundingPlan: plan([LEAD_ID, 400_000n], [PARTNER_A, 300_000n], ['PARTNER-C', 300_000n]) }), program, lenderMap([...defaultLenders(), outsider]));
    expect(error.code).toBe('NOT_A_FUNDING_PARTICIPANT');
    expect(error.details).toEqual({ path: 'fundingPlan.2.lenderId', lenderId: 'PARTNER-C' });
    expect(error.message).toBe(`lender PARTNER-C does not fund loans of program ${PROGRAM_ID}`);
  });

  it('refuses a guarantor of the program in the funding plan', () => {
    const guarantor = aLender({ lenderId: GUARANTOR_ID, roles: ['GUARANTOR'] });
    const prog = aProgram({ participants: [...aProgramTerms().participants, aParticipant(GUARANTOR_ID, 'GUARANTOR', null)] });
    const request = aBookLoanRequest({ fundingPlan: plan([LEAD_ID, 400_000n], [PARTNER_A, 300_000n], [PARTNER_B, 200_000n], [GUARANTOR_ID, 100_000n]) });
    const error = refusal(request, prog, lenderMap([...defaultLenders(), guarantor]));
    expect(error.code).toBe('NOT_A_FUNDING_PARTICIPANT');
    expect(error.details.path).toBe('fundingPlan.3.lenderId');
  });

  it('refuses an empty plan, a lender listed twice and a non-positive part', () => {
    expect(thrownBy(ValidationError, () => book(aBookLoanRequest({ fundingPlan: [] }))).details).toEqual({ path: 'fundingPlan', rule: 'non-empty' });
    const twice = thrownBy(ValidationError, () => book(aBookLoanRequest({ fundingPlan: plan([LEAD_ID, 400_000n], [LEAD_ID, 600_000n]) })));
    expect(twice.details).toEqual({ path: 'fundingPlan.1.lenderId', rule: 'unique' });
    const zero = thrownBy(ValidationError, () => book(aBookLoanRequest({ fundingPlan: plan([LEAD_ID, 400_000n], [PARTNER_A, 0n], [PARTNER_B, 600_000n]) })));
    expect(zero.details).toEqual({ path: 'fundingPlan.1.amountMinor', rule: 'positive' });
  });

  it("refuses a part below the participant's minimum amount", () => {
    const prog = aProgram({
      participants: [aParticipant(LEAD_ID, 'LEAD', 4000), aParticipant(PARTNER_A, 'PARTNER', 3000, { minAmountMinor: 300_001n }), aParticipant(PARTNER_B, 'PARTNER', 3000)],
    });
    const error = refusal(aBookLoanRequest(), prog);
    expect(error.code).toBe('BELOW_PARTICIPANT_MINIMUM');
    expect(error.details).toEqual({ path: 'fundingPlan.1.amountMinor', minimumMinor: '300001' });
  });
});

describe('bookLoan: regulatory shares (CN-2021 partner floor of 30%)', () => {
  it('refuses a partner at 29.99% and names the figures', () => {
    const error = refusal(aBookLoanRequest({ fundingPlan: plan([LEAD_ID, 400_100n], [PARTNER_A, 299_900n], [PARTNER_B, 300_000n]) }));
    expect(error.code).toBe('PARTNER_MIN_SHARE');
    expect(error.details).toEqual({
      path: 'fundingPlan.1.amountMinor',
      rule: 'PARTNER_MIN_SHARE',
      profile: 'CN-2021',
      lenderId: PARTNER_A,
      amountMinor: '299900',
      principalMinor: '1000000',
      minimumBps: 3000,
    });
    expect(error.message).toBe(`under CN-2021 a partner funds at least 30% of each loan; ${PARTNER_A} funds 29.99%`);
  });

  it('accepts a partner at exactly 30.00%', () => {
    expect(book(aBookLoanRequest()).loan.fundingPlan[1]).toEqual({ lenderId: PARTNER_A, amountMinor: 300_000n, role: 'PARTNER' });
  });

  it('compares exactly, without rounding: 300000 of 1000001 fen is below 30%, 300001 is not', () => {
    const below = refusal(aBookLoanRequest({ principalMinor: 1_000_001n, fundingPlan: plan([LEAD_ID, 400_001n], [PARTNER_A, 300_000n], [PARTNER_B, 300_000n]) }));
    expect(below.code).toBe('PARTNER_MIN_SHARE');
    expect(below.details.path).toBe('fundingPlan.1.amountMinor');
    const { loan } = book(aBookLoanRequest({ principalMinor: 1_000_001n, fundingPlan: plan([LEAD_ID, 399_999n], [PARTNER_A, 300_001n], [PARTNER_B, 300_001n]) }));
    expect(loan.fundingPlan.map((p) => p.amountMinor)).toEqual([399_999n, 300_001n, 300_001n]);
  });

  it('refuses an IN-2025 lead keeping less than 10% of the loan', () => {
    const prog = aProgram(anIndiaProgramTerms());
    const request = aBookLoanRequest({ currency: 'INR', fundingPlan: plan([LEAD_ID, 99_999n], [PARTNER_A, 900_001n]) });
    const error = refusal(request, prog, lenderMap(anIndiaLenders()));
    expect(error.code).toBe('LENDER_MIN_SHARE');
    expect(error.details).toMatchObject({ path: 'fundingPlan.0.amountMinor', minimumBps: 1000, amountMinor: '99999' });
    expect(error.message).toBe(`under IN-2025 every lender keeps at least 10% of each loan; ${LEAD_ID} funds 9.99%`);
  });
});

describe("bookLoan: the lenders' own limits", () => {
  it("refuses a part below the lender's minimum share", () => {
    const error = refusal(aBookLoanRequest(), program, withLender(aPartnerLender(PARTNER_A, { limits: aLimits({ minShareBps: 3500 }) })));
    expect(error.code).toBe('LENDER_SHARE_LIMIT');
    expect(error.details).toMatchObject({ path: 'fundingPlan.1.amountMinor', minShareBps: 3500, maxShareBps: 10_000, amountMinor: '300000' });
    expect(error.message).toBe(`lender ${PARTNER_A} takes between 35% and 100% of a loan; the plan gives it 30%`);
  });

  it("refuses a part above the lender's maximum share, and accepts one at it", () => {
    const error = refusal(aBookLoanRequest(), program, withLender(aLeadLender({ limits: aLimits({ maxShareBps: 3999 }) })));
    expect(error.code).toBe('LENDER_SHARE_LIMIT');
    expect(error.details).toMatchObject({ path: 'fundingPlan.0.amountMinor', lenderId: LEAD_ID, maxShareBps: 3999 });
    expect(() => book(aBookLoanRequest(), program, withLender(aLeadLender({ limits: aLimits({ maxShareBps: 4000 }) })))).not.toThrow();
  });

});

describe('bookLoan: CN-2021 rules on the borrower and the product', () => {
  const localBank = aPartnerLender(PARTNER_A, { institutionType: 'LOCAL_BANK', region: 'CN-11' });

  it('refuses a local bank lending outside its region', () => {
    const error = refusal(aBookLoanRequest(), program, withLender(localBank));
    expect(error.code).toBe('LOCAL_BANK_REGION');
    expect(error.details).toEqual({
      path: 'borrower.region',
      rule: 'LOCAL_BANK_REGION',
      profile: 'CN-2021',
      lenderId: PARTNER_A,
      lenderRegion: 'CN-11',
      borrowerRegion: 'CN-44',
    });
  });

  it('accepts a local bank inside its region and an internet bank anywhere', () => {
    expect(() => book(aBookLoanRequest({ borrower: aBorrower({ region: 'CN-11' }) }), program, withLender(localBank))).not.toThrow();
    const internetBank = aPartnerLender(PARTNER_A, { institutionType: 'INTERNET_BANK', region: 'CN-11' });
    expect(() => book(aBookLoanRequest(), program, withLender(internetBank))).not.toThrow();
  });

  it('does not restrict local banks under IN-2025', () => {
    const lendersIn = lenderMap([aLeadLender({ currency: 'INR' }), aPartnerLender(PARTNER_A, { currency: 'INR', institutionType: 'LOCAL_BANK', region: 'IN-MH' })]);
    const request = aBookLoanRequest({ currency: 'INR', borrower: aBorrower({ region: 'IN-KA' }), fundingPlan: plan([LEAD_ID, 200_000n], [PARTNER_A, 800_000n]) });
    expect(() => book(request, aProgram(anIndiaProgramTerms()), lendersIn)).not.toThrow();
  });

  it('refuses a bullet loan longer than 12 months, and accepts 12', () => {
    const error = refusal(aBookLoanRequest({ repaymentMethod: 'BULLET', termMonths: 13 }));
    expect(error.code).toBe('BULLET_MAX_TERM');
    expect(error.details).toEqual({ path: 'termMonths', rule: 'BULLET_MAX_TERM', profile: 'CN-2021', maximumMonths: 12, actualMonths: 13 });
    expect(error.message).toBe('under CN-2021 bullet loans run at most 12 months, not 13');
    expect(book(aBookLoanRequest({ repaymentMethod: 'BULLET', termMonths: 12 })).loan.termMonths).toBe(12);
    expect(book(aBookLoanRequest({ repaymentMethod: 'EQUAL_INSTALLMENT', termMonths: 36 })).loan.termMonths).toBe(36);
  });

  it('accepts unsecured personal credit of exactly 20,000,000 fen, and secured or business credit above it', () => {
    expect(book(aBookLoanRequest({ principalMinor: 20_000_000n })).loan.principalMinor).toBe(20_000_000n);
    expect(book(aBookLoanRequest({ principalMinor: 20_000_001n, borrower: aBorrower({ secured: true }) })).loan.principalMinor).toBe(20_000_001n);
    expect(book(aBookLoanRequest({ principalMinor: 20_000_001n, borrower: aBorrower({ type: 'BUSINESS' }) })).loan.principalMinor).toBe(20_000_001n);
  });
});

describe('bookLoan: the request against the program', () => {
  it('refuses a principal outside the amount range', () => {
    const error = refusal(aBookLoanRequest({ principalMinor: 99_999n }));
    expect(error.code).toBe('AMOUNT_OUT_OF_RANGE');
    expect(error.details).toEqual({ path: 'principalMinor', programId: PROGRAM_ID, programVersion: 1, minMinor: '100000', maxMinor: '50000000' });
    expect(refusal(aBookLoanRequest({ principalMinor: 50_000_001n, borrower: aBorrower({ secured: true }) })).code).toBe('AMOUNT_OUT_OF_RANGE');
    expect(() => book(aBookLoanRequest({ principalMinor: 100_000n }))).not.toThrow();
  });

  it('refuses a term outside the term range', () => {
    const error = refusal(aBookLoanRequest({ termMonths: 37 }));
    expect(error.code).toBe('TERM_OUT_OF_RANGE');
    expect(error.details).toMatchObject({ path: 'termMonths', min: 1, max: 36 });
    expect(error.message).toBe('term 37 months is outside the program\'s range 1..36');
  });

  it('refuses a repayment method the program does not offer', () => {
    const error = refusal(aBookLoanRequest({ repaymentMethod: 'BULLET' }), aProgram({ repaymentMethods: ['EQUAL_INSTALLMENT'] }));
    expect(error.code).toBe('METHOD_NOT_ALLOWED');
    expect(error.details).toMatchObject({ path: 'repaymentMethod', allowed: ['EQUAL_INSTALLMENT'] });
  });

  it('refuses a rate outside the range, comparing decimals exactly', () => {
    const low = refusal(aBookLoanRequest({ annualRate: '0.0359' }));
    expect(low.code).toBe('RATE_OUT_OF_RANGE');
    expect(low.details).toMatchObject({ path: 'annualRate', min: '0.036', max: '0.24' });
    expect(refusal(aBookLoanRequest({ annualRate: '0.240000000001' })).code).toBe('RATE_OUT_OF_RANGE');
    expect(book(aBookLoanRequest({ annualRate: '0.24' })).loan.annualRate).toBe('0.24');
    expect(book(aBookLoanRequest({ annualRate: '0.036' })).loan.annualRate).toBe('0.036');
  });

  it('refuses a currency other than the program currency', () => {
    const error = refusal(aBookLoanRequest({ currency: 'INR' }));
    expect(error.code).toBe('CURRENCY_MISMATCH');
    expect(error.details).toEqual({ path: 'currency', programId: PROGRAM_ID, programVersion: 1, programCurrency: 'CNY' });
  });
});

describe("bookLoan: nothing before the program's start", () => {
  it('refuses a disbursement before the start with DATE_OUT_OF_WINDOW, from the start to today, and keeps the start on the loan', () => {
    const started = aProgram({ startDate: '2025-03-01' });
    const error = thrownBy(ValidationError, () => book(aBookLoanRequest({ disbursementDate: '2025-02-28' }), started));
    expect([error.code, error.message]).toEqual(['DATE_OUT_OF_WINDOW', "disbursementDate: must be from 2025-03-01 (the program's start) to 2025-03-01, got 2025-02-28"]);
    expect(error.details).toEqual({ path: 'disbursementDate', field: 'disbursementDate', rule: 'program-start', from: '2025-03-01', to: '2025-03-01' });
    expect(book(aBookLoanRequest({ disbursementDate: '2025-03-01' }), started).loan.terms.startDate).toBe('2025-03-01');
  });

  it('starts a program stored without a start on its creation date in its own calendar', () => {
    const { startDate: _none, ...terms } = aProgram();
    // 2025-02-28T17:00Z is already 2025-03-01 in Shanghai.
    const old: Program = { ...terms, createdAt: '2025-02-28T17:00:00.000Z' };
    expect(thrownBy(ValidationError, () => book(aBookLoanRequest({ disbursementDate: '2025-02-28' }), old)).details).toMatchObject({ from: '2025-03-01' });
    expect(book(aBookLoanRequest({ disbursementDate: '2025-03-01' }), old).loan.terms.startDate).toBe('2025-03-01');
  });
});

describe('disbursement entry: property', () => {
  /** 1..20 positive parts summing to a principal of up to 10^13 fen. */
  const fundingPlans = fc.integer({ min: 1, max: 20 }).chain((lenderCount) =>
    fc.bigInt({ min: BigInt(lenderCount), max: 10_000_000_000_000n }).chain((principalMinor) =>
      (lenderCount === 1 ? fc.constant<bigint[]>([]) : fc.uniqueArray(fc.bigInt({ min: 1n, max: principalMinor - 1n }), { minLength: lenderCount - 1, maxLength: lenderCount - 1 })).map((cuts) => {
        const bounds = [0n, ...cuts.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), principalMinor];
        const parts: FundingShare[] = bounds.slice(1).map((end, i) => ({
          lenderId: i === 0 ? LEAD_ID : `PARTNER-${String(i).padStart(2, '0')}`,
          amountMinor: end - (bounds[i] ?? 0n),
          role: i === 0 ? 'LEAD' : 'PARTNER',
        }));
        return { principalMinor, parts };
      }),
    ),
  );

  it('balances in every book and in total, and the positions hold exactly the principal', () => {
    const base = book(aBookLoanRequest()).loan;
    fc.assert(
      fc.property(fundingPlans, ({ principalMinor, parts }) => {
        const loan: Loan = { ...base, principalMinor, fundingPlan: parts };
        const entry = disbursementEntry(loan, NOW);
        expect(imbalances(entry)).toEqual([]);
        const debits = entry.legs.filter((l) => l.side === 'DEBIT').reduce((s, l) => s + l.amountMinor, 0n);
        const credits = entry.legs.filter((l) => l.side === 'CREDIT').reduce((s, l) => s + l.amountMinor, 0n);
        expect(debits).toBe(principalMinor);
        expect(credits).toBe(principalMinor);
        const positions = parts.map((p) => applyEntry(openPosition(p.lenderId, loan.loanId, 'CNY'), entry));
        expect(positions.reduce((s, p) => s + (p.balancesMinor.PRINCIPAL_RECEIVABLE ?? 0n), 0n)).toBe(principalMinor);
        positions.forEach((p, i) => {
          expect(p.balancesMinor).toEqual({ PRINCIPAL_RECEIVABLE: parts[i]?.amountMinor, SETTLEMENT_CLEARING: -(parts[i]?.amountMinor ?? 0n) });
          expect(p.version).toBe(1);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('through bookLoan: any CN-2021 plan with both partners at or above 30% books exactly the principal', () => {
    const plans = fc.bigInt({ min: 100_000n, max: 10_000_000_000_000n }).chain((principalMinor) => {
      const floor = (principalMinor * 3_000n + 9_999n) / 10_000n;
      const slack = principalMinor - 2n * floor - 1n;
      return fc
        .tuple(fc.bigInt({ min: 0n, max: slack }), fc.bigInt({ min: 0n, max: slack }))
        .filter(([x, y]) => x + y <= slack)
        .map(([x, y]) => ({ principalMinor, a: floor + x, b: floor + y }));
    });
    const prog = aProgram({ amountRange: { minMinor: 100_000n, maxMinor: 10_000_000_000_000n } });
    const big = aLimits({ perBorrowerCapMinor: 10_000_000_000_000n });
    const map = lenderMap(defaultLenders().map((l) => ({ ...l, limits: big })));
    fc.assert(
      fc.property(plans, ({ principalMinor, a, b }) => {
        const request = aBookLoanRequest({
          principalMinor,
          borrower: aBorrower({ type: 'BUSINESS' }),
          fundingPlan: plan([LEAD_ID, principalMinor - a - b], [PARTNER_A, a], [PARTNER_B, b]),
        });
        const { loan, entry } = bookLoan(request, prog, map, NOW);
        expect(imbalances(entry)).toEqual([]);
        expect(loan.fundingPlan.reduce((s, p) => s + p.amountMinor, 0n)).toBe(principalMinor);
        expect(entry.legs.filter((l) => l.side === 'DEBIT').reduce((s, l) => s + l.amountMinor, 0n)).toBe(principalMinor);
      }),
      { numRuns: 200 },
    );
  });

  it('uses the default plan builder consistently (40/30/30 with partners rounded up)', () => {
    expect(defaultPlan(1_000_001n).map((p) => p.amountMinor)).toEqual([399_999n, 300_001n, 300_001n]);
  });
});
