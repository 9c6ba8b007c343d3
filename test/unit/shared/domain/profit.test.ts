import { describe, expect, it } from 'vitest';
import type { JournalEntry, Leg } from '../../../../shared/domain/ledger.ts';
import fc from 'fast-check';
import { addMonthProfit, addProfitLine, addProfitLines, lenderProfit, monthRange, profitFigures, profitLineOf, type ProfitLine } from '../../../../shared/domain/profit.ts';
import { ValidationError } from '../../../../shared/domain/errors.ts';
import { thrownBy } from '../../../support/expect-error.ts';

function leg(lenderId: string, account: Leg['account'], side: Leg['side'], amountMinor: bigint): Leg {
  return { lenderId, account, side, amountMinor, counterparty: null };
}

function entry(entryId: string, businessDate: string, legs: Leg[], loanId = 'LN-1', currency = 'CNY'): JournalEntry {
  return { entryId, eventType: 'REPAYMENT', eventId: entryId, loanId, currency, businessDate, legs, createdAt: '2026-11-01T00:00:00.000Z' };
}

describe('monthRange', () => {
  it('gives every day of the month, leap years included', () => {
    expect(monthRange('2028-02')).toMatchObject({ from: '2028-02-01', to: '2028-02-29' });
    expect(monthRange('2026-02').days).toHaveLength(28);
    expect(monthRange('2026-12').to).toBe('2026-12-31');
  });

  it('refuses anything but YYYY-MM, naming the field', () => {
    const error = thrownBy(ValidationError, () => monthRange('2026-13'));
    expect(error.details).toMatchObject({ path: 'month', rule: 'month' });
  });
});

describe('lenderProfit', () => {
  const entries = [
    entry('REPAYMENT#1', '2026-11-05', [leg('A', 'SETTLEMENT_CLEARING', 'DEBIT', 12_000n), leg('A', 'INTEREST_INCOME', 'CREDIT', 2_000n), leg('A', 'PRINCIPAL_RECEIVABLE', 'CREDIT', 10_000n), leg('L', 'FEE_INCOME', 'CREDIT', 300n), leg('L', 'SETTLEMENT_CLEARING', 'DEBIT', 300n)]),
    entry('REPAYMENT#2', '2026-11-20', [leg('A', 'SETTLEMENT_CLEARING', 'DEBIT', 450n), leg('A', 'PENALTY_INCOME', 'CREDIT', 50n), leg('A', 'INTEREST_INCOME', 'CREDIT', 400n)], 'LN-2'),
    // A reversal in the month counts against what it restates.
    entry('REVERSAL#2', '2026-11-21', [leg('A', 'SETTLEMENT_CLEARING', 'CREDIT', 450n), leg('A', 'PENALTY_INCOME', 'DEBIT', 50n), leg('A', 'INTEREST_INCOME', 'DEBIT', 400n)], 'LN-2'),
    entry('WRITE_OFF#3', '2026-11-30', [leg('A', 'LOSSES', 'DEBIT', 5_000n), leg('A', 'PRINCIPAL_RECEIVABLE', 'CREDIT', 5_000n)], 'LN-3'),
    entry('REPAYMENT#4', '2026-12-01', [leg('A', 'SETTLEMENT_CLEARING', 'DEBIT', 999n), leg('A', 'INTEREST_INCOME', 'CREDIT', 999n)]),
    entry('REPAYMENT#5', '2026-11-10', [leg('A', 'SETTLEMENT_CLEARING', 'DEBIT', 70n), leg('A', 'INTEREST_INCOME', 'CREDIT', 70n)], 'LN-9', 'INR'),
  ];

  it("sums the lender's legs of the month per currency: income, losses and the net", () => {
    const report = lenderProfit('A', '2026-11', entries, () => null);
    expect(report.byCurrency).toEqual([
      { currency: 'CNY', interestIncomeMinor: 2_000n, penaltyIncomeMinor: 0n, feeIncomeMinor: 0n, guaranteeFeesMinor: 0n, servicePartnerShareMinor: 0n, feesPaidMinor: 0n, guaranteeCostMinor: 0n, lossesMinor: 5_000n, netMinor: -3_000n, loans: 3, entries: 4 },
      { currency: 'INR', interestIncomeMinor: 70n, penaltyIncomeMinor: 0n, feeIncomeMinor: 0n, guaranteeFeesMinor: 0n, servicePartnerShareMinor: 0n, feesPaidMinor: 0n, guaranteeCostMinor: 0n, lossesMinor: 0n, netMinor: 70n, loans: 1, entries: 1 },
    ]);
  });

  it("reports a guarantor's fee income as guarantee fees", () => {
    const asGuarantor = lenderProfit('L', '2026-11', entries, () => 'L').byCurrency[0];
    expect(asGuarantor).toMatchObject({ feeIncomeMinor: 0n, guaranteeFeesMinor: 300n, netMinor: 300n });
    expect(lenderProfit('L', '2026-11', entries, () => null).byCurrency[0]).toMatchObject({ feeIncomeMinor: 300n, guaranteeFeesMinor: 0n });
  });

  it('has no line for a lender without entries in the month', () => {
    expect(lenderProfit('Z', '2026-11', entries, () => null).byCurrency).toEqual([]);
  });
});

describe('profit statements with fees', () => {
  /*
   * One loan in Q4 2026. BANK-A received 1,813 of interest in November and paid 363 of it to the
   * lead (20% of it, rounded HALF_UP from 362.6); the lead received 2,416 of interest and 2,942
   * of spread and paid 883 (30% of the spread) to its service partner SP; BANK-A paid the
   * guarantor G a guarantee fee of 258 for December (its period fee entry).
   */
  const fee = (from: string, to: string, amountMinor: bigint): Leg[] => [
    { lenderId: from, account: 'FEE_EXPENSE', side: 'DEBIT', amountMinor, counterparty: null },
    { lenderId: from, account: 'SETTLEMENT_CLEARING', side: 'CREDIT', amountMinor, counterparty: to, component: 'FEE' },
    { lenderId: to, account: 'SETTLEMENT_CLEARING', side: 'DEBIT', amountMinor, counterparty: from, component: 'FEE' },
    { lenderId: to, account: 'FEE_INCOME', side: 'CREDIT', amountMinor, counterparty: null },
  ];
  const entries = [
    entry('REPAYMENT#1', '2026-11-01', [
      leg('BANK-A', 'SETTLEMENT_CLEARING', 'DEBIT', 1_813n),
      leg('BANK-A', 'INTEREST_INCOME', 'CREDIT', 1_813n),
      leg('LEAD', 'SETTLEMENT_CLEARING', 'DEBIT', 5_358n),
      leg('LEAD', 'INTEREST_INCOME', 'CREDIT', 2_416n),
      leg('LEAD', 'FEE_INCOME', 'CREDIT', 2_942n),
      ...fee('BANK-A', 'LEAD', 363n),
      ...fee('LEAD', 'SP', 883n),
    ]),
    entry('FEE#GUARANTEE#2026-12#LN-1', '2026-12-31', fee('BANK-A', 'G', 258n)),
  ];
  const parties = { guarantors: new Set(['G']) };

  it("gives each party its own statement of the quarter: income, fees received and paid, guarantee cost, the service partner's share, net", () => {
    // BANK-A: 1,813 − 363 − 258 = 1,192. The lead: 2,416 + 2,942 + 363 − 883 = 4,838.
    expect(lenderProfit('BANK-A', '2026-Q4', entries, () => 'G', parties).byCurrency[0]).toMatchObject({
      interestIncomeMinor: 1_813n,
      feeIncomeMinor: 0n,
      feesPaidMinor: 621n,
      guaranteeCostMinor: 258n,
      netMinor: 1_192n,
    });
    expect(lenderProfit('LEAD', '2026-Q4', entries, () => 'G', parties).byCurrency[0]).toMatchObject({
      interestIncomeMinor: 2_416n,
      feeIncomeMinor: 3_305n,
      feesPaidMinor: 883n,
      guaranteeCostMinor: 0n,
      netMinor: 4_838n,
    });
    expect(lenderProfit('SP', '2026-Q4', entries, () => 'G', { ...parties, servicePartner: true }).byCurrency[0]).toMatchObject({
      servicePartnerShareMinor: 883n,
      feeIncomeMinor: 0n,
      netMinor: 883n,
    });
    expect(lenderProfit('G', '2026-Q4', entries, (loanId) => (loanId === 'LN-1' ? 'G' : null), parties).byCurrency[0]).toMatchObject({ guaranteeFeesMinor: 258n, netMinor: 258n });
  });

  it('reads only the entries of the period', () => {
    expect(lenderProfit('G', '2026-11', entries, () => 'G', parties).byCurrency).toEqual([]);
  });
});

describe('profit lines of days, added up', () => {
  const fee = (from: string, to: string, amountMinor: bigint): Leg[] => [
    { lenderId: from, account: 'FEE_EXPENSE', side: 'DEBIT', amountMinor, counterparty: null },
    { lenderId: from, account: 'SETTLEMENT_CLEARING', side: 'CREDIT', amountMinor, counterparty: to, component: 'FEE' },
    { lenderId: to, account: 'SETTLEMENT_CLEARING', side: 'DEBIT', amountMinor, counterparty: from, component: 'FEE' },
    { lenderId: to, account: 'FEE_INCOME', side: 'CREDIT', amountMinor, counterparty: null },
  ];

  it("keeps a lender's figures of an entry whoever it is, and its fees cleared with each counterparty", () => {
    const e = entry('FEE#G#2026-11#LN-1', '2026-11-30', [leg('A', 'INTEREST_INCOME', 'CREDIT', 1_813n), leg('A', 'SETTLEMENT_CLEARING', 'DEBIT', 1_813n), ...fee('A', 'G', 258n), ...fee('A', 'LEAD', 363n)]);
    expect(profitLineOf('A', e)).toEqual({
      currency: 'CNY',
      interestIncomeMinor: 1_813n,
      penaltyIncomeMinor: 0n,
      feeIncomeMinor: 0n,
      feesPaidMinor: 621n,
      lossesMinor: 0n,
      feeClearingMinor: { G: 258n, LEAD: 363n },
      entries: 1,
    });
    expect(profitLineOf('G', e)).toMatchObject({ feeIncomeMinor: 258n, feeClearingMinor: { A: -258n }, entries: 1 });
    expect(profitLineOf('Z', e)).toBeNull();
  });

  it('divides fee income by the roles and counts the fees cleared with a guarantor as its guarantee cost', () => {
    const lines = new Map<string, ProfitLine>();
    addProfitLine(lines, profitLineOf('A', entry('E1', '2026-11-02', [leg('A', 'FEE_INCOME', 'CREDIT', 500n), leg('A', 'SETTLEMENT_CLEARING', 'DEBIT', 500n), ...fee('A', 'G', 40n)]))!);
    addProfitLine(lines, profitLineOf('A', entry('E2', '2026-11-03', [leg('A', 'LOSSES', 'DEBIT', 7n), leg('A', 'PRINCIPAL_RECEIVABLE', 'CREDIT', 7n), ...fee('A', 'G', 2n)]))!);
    const guarantors = new Set(['G']);
    expect(profitFigures(lines.values(), { guarantorOnly: false, servicePartner: false, guarantors })).toEqual([
      { currency: 'CNY', interestIncomeMinor: 0n, penaltyIncomeMinor: 0n, feeIncomeMinor: 500n, guaranteeFeesMinor: 0n, servicePartnerShareMinor: 0n, feesPaidMinor: 42n, guaranteeCostMinor: 42n, lossesMinor: 7n, netMinor: 451n, entries: 2 },
    ]);
    expect(profitFigures(lines.values(), { guarantorOnly: true, servicePartner: true, guarantors })[0]).toMatchObject({ feeIncomeMinor: 0n, guaranteeFeesMinor: 500n, servicePartnerShareMinor: 0n, netMinor: 451n });
    expect(profitFigures(lines.values(), { guarantorOnly: false, servicePartner: true, guarantors: new Set() })[0]).toMatchObject({ feeIncomeMinor: 0n, servicePartnerShareMinor: 500n, guaranteeCostMinor: 0n });
  });

  it('refuses to add lines of two currencies', () => {
    const cny = profitLineOf('A', entry('E1', '2026-11-02', [leg('A', 'INTEREST_INCOME', 'CREDIT', 1n)]))!;
    const inr = profitLineOf('A', entry('E2', '2026-11-02', [leg('A', 'INTEREST_INCOME', 'CREDIT', 1n)], 'LN-1', 'INR'))!;
    expect(() => addProfitLines(cny, inr)).toThrow('profit lines of CNY and INR do not add up');
  });

  const LENDERS = ['A', 'B', 'G', 'SP'];
  const ACCOUNTS_DRAWN: Leg['account'][] = ['INTEREST_INCOME', 'PENALTY_INCOME', 'FEE_INCOME', 'FEE_EXPENSE', 'LOSSES', 'SETTLEMENT_CLEARING', 'PRINCIPAL_RECEIVABLE', 'SUSPENSE'];
  const legArb = fc.record({
    lenderId: fc.constantFrom(...LENDERS),
    account: fc.constantFrom(...ACCOUNTS_DRAWN),
    side: fc.constantFrom<Leg['side']>('DEBIT', 'CREDIT'),
    amountMinor: fc.bigInt({ min: 0n, max: 10n ** 15n }),
    counterparty: fc.option(fc.constantFrom(...LENDERS, 'ESCROW'), { nil: null }),
    component: fc.option(fc.constantFrom<NonNullable<Leg['component']>>('FEE', 'INTEREST', 'PRINCIPAL'), { nil: undefined }),
  }).map(({ component, ...l }): Leg => (component === undefined ? l : { ...l, component }));
  const entryArb = fc.record({
    day: fc.integer({ min: 1, max: 30 }),
    loan: fc.integer({ min: 1, max: 6 }),
    currency: fc.constantFrom('CNY', 'INR'),
    legs: fc.array(legArb, { minLength: 1, maxLength: 8 }),
  });

  it('gives, per day added up over any days, the figures lenderProfit gives from the entries (less the loans), for any roles', () => {
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 40 }), fc.constantFrom(...LENDERS), fc.boolean(), fc.boolean(), fc.subarray(LENDERS), (drawn, lenderId, guarantorOnly, servicePartner, guarantorList) => {
        const entries = drawn.map((d, i) => entry(`E#${i}`, `2026-11-${String(d.day).padStart(2, '0')}`, d.legs, `LN-${d.loan}`, d.currency));
        const guarantors = new Set(guarantorList);
        const reference = lenderProfit(lenderId, '2026-11', entries, () => (guarantorOnly ? lenderId : null), { guarantors, servicePartner });
        // One line per day, then the days added up, as the daily settlement keeps and the route reads them.
        const days = new Map<string, Map<string, ProfitLine>>();
        for (const e of entries) {
          const line = profitLineOf(lenderId, e);
          if (line === null) continue;
          const ofDay = days.get(e.businessDate) ?? new Map<string, ProfitLine>();
          addProfitLine(ofDay, line);
          days.set(e.businessDate, ofDay);
        }
        const month = new Map<string, ProfitLine>();
        for (const ofDay of days.values()) for (const line of ofDay.values()) addProfitLine(month, line);
        const figures = profitFigures(month.values(), { guarantorOnly, servicePartner, guarantors });
        expect(figures).toEqual(reference.byCurrency.map(({ loans: _loans, ...line }) => line));
        // Pages added up give the same: split the month's entries in two parts anywhere.
        const cut = Math.floor(entries.length / 2);
        const part = (some: readonly JournalEntry[]) => {
          const lines = new Map<string, ProfitLine>();
          for (const e of some) {
            const line = profitLineOf(lenderId, e);
            if (line !== null) addProfitLine(lines, line);
          }
          return profitFigures(lines.values(), { guarantorOnly, servicePartner, guarantors });
        };
        expect(addMonthProfit(part(entries.slice(0, cut)), part(entries.slice(cut)))).toEqual(figures);
      }),
      { numRuns: 300 },
    );
  });
});
