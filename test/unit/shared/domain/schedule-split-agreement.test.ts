import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LoanAccount } from '../../../../shared/domain/loan-account.ts';
import type { JournalEntry } from '../../../../shared/domain/ledger.ts';
import type { Loan } from '../../../../shared/domain/loan.ts';
import { DAY_COUNTS, ROUNDING_MODES, addDays } from '../../../../shared/domain/money/index.ts';
import { lenderProfit } from '../../../../shared/domain/profit.ts';
import type { InterestBasis, Participant } from '../../../../shared/domain/program.ts';
import { repaymentEntry } from '../../../../shared/domain/repayment-entry.ts';
import { REPAYMENT_METHODS, loanSchedules } from '../../../../shared/domain/schedule.ts';
import { GUARANTOR_ID, LEAD_ID, NOW, aLoan, aParticipant, aProgramTerms } from '../../../support/builders.ts';

/**
 * The plan and what is paid agree: a lender's sub-schedule line is what the repayment split gives it
 * when the borrower pays that instalment in full on its due date, under every interest basis, and
 * its profit statements over the loan's life add up to its sub-schedule.
 */

const INTEREST_BASES: readonly InterestBasis[] = ['PRO_RATA', 'LENDER_RATE'];

/** A decimal string from 0 to `maxUnits` / 10^places. */
const decimal = (maxPercent: number) =>
  fc.integer({ min: 0, max: 4 }).chain((places) =>
    fc.integer({ min: 0, max: Math.floor((maxPercent * 10 ** places) / 100) }).map((units) => {
      if (places === 0) return String(units);
      const digits = String(units).padStart(places + 1, '0');
      return `${digits.slice(0, -places)}.${digits.slice(-places)}`;
    }),
  );

interface Case {
  readonly loan: Loan;
}

const loanCase: fc.Arbitrary<Case> = fc
  .record({
    basis: fc.constantFrom(...INTEREST_BASES),
    remainder: fc.constantFrom('ROUNDING_PARTY', 'LARGEST_REMAINDER'),
    partyIndex: fc.option(fc.nat()),
    partners: fc.array(fc.record({ weight: fc.integer({ min: 1, max: 1_000 }), yieldRate: decimal(24), priority: fc.integer({ min: 1, max: 5 }) }), { minLength: 1, maxLength: 4 }),
    leadWeight: fc.integer({ min: 0, max: 1_000 }),
    principalMinor: fc.bigInt({ min: 1_000n, max: 10n ** 10n }),
    annualRate: decimal(36),
    termMonths: fc.integer({ min: 1, max: 36 }),
    method: fc.constantFrom(...REPAYMENT_METHODS),
    dayOffset: fc.integer({ min: 0, max: 3_650 }),
    dayCount: fc.constantFrom(...DAY_COUNTS),
    roundingMode: fc.constantFrom(...ROUNDING_MODES),
  })
  .map((c) => {
    const ids = c.partners.map((_, i) => `PARTNER-${String.fromCharCode(65 + i)}`);
    const weights = [c.leadWeight, ...c.partners.map((p) => p.weight)];
    const total = BigInt(weights.reduce((s, w) => s + w, 0));
    const amounts = weights.map((w) => (c.principalMinor * BigInt(w)) / total);
    amounts[0] = c.principalMinor - amounts.slice(1).reduce((s, a) => s + a, 0n);
    const participants: Participant[] = [
      aParticipant(LEAD_ID, 'LEAD', null, { priority: 0 }),
      ...c.partners.map((p, i) => aParticipant(ids[i]!, 'PARTNER', null, { priority: p.priority, yieldRate: c.basis === 'LENDER_RATE' ? p.yieldRate : null })),
    ];
    const lenderIds = [LEAD_ID, ...ids];
    const roundingParty = c.partyIndex === null ? null : lenderIds[c.partyIndex % lenderIds.length]!;
    const base = aLoan();
    const loan: Loan = {
      ...base,
      principalMinor: c.principalMinor,
      annualRate: c.annualRate,
      termMonths: c.termMonths,
      repaymentMethod: c.method,
      disbursementDate: addDays('2020-01-01', c.dayOffset),
      fundingPlan: lenderIds.map((lenderId, i) => ({ lenderId, amountMinor: amounts[i]!, role: i === 0 ? ('LEAD' as const) : ('PARTNER' as const) })),
      terms: {
        ...aProgramTerms(),
        participants,
        split: { interestBasis: c.basis, penalty: 'PRO_RATA', fees: 'LEAD', remainderRule: c.remainder, roundingParty },
        dayCount: c.dayCount,
        roundingMode: c.roundingMode,
      },
    };
    return { loan };
  });

/** Every instalment paid in full on its due date: each payment's split and journal entry (none for an instalment of 0, e.g. at a zero rate). */
function payOnTime(loan: Loan) {
  const account = new LoanAccount(loan);
  const { borrower } = loanSchedules(loan);
  return borrower.instalments.map((row) => {
    if (row.totalMinor === 0n) return { row, split: null, entry: null };
    const outcome = account.apply({ repaymentId: `R${row.number}`, valueDate: row.dueDate, amountMinor: row.totalMinor, kind: 'REGULAR', seq: row.number });
    return { row, split: outcome.split, entry: repaymentEntry(loan.loanId, `R${row.number}`, row.dueDate, loan.currency, outcome.split, NOW) };
  });
}

/** A lender's income (interest, and the lead's spread booked as fee income) over every month its entries fall in. */
function incomeOf(lenderId: string, entries: readonly JournalEntry[]): { interestMinor: bigint; feeMinor: bigint } {
  const months = [...new Set(entries.map((e) => (e.bookedOn ?? e.businessDate).slice(0, 7)))];
  let interestMinor = 0n;
  let feeMinor = 0n;
  for (const month of months) {
    for (const line of lenderProfit(lenderId, month, entries, () => null).byCurrency) {
      interestMinor += line.interestIncomeMinor;
      feeMinor += line.feeIncomeMinor;
    }
  }
  return { interestMinor, feeMinor };
}

describe('sub-schedules, splits and profit statements agree', () => {
  it('under LENDER_RATE a partner is planned the interest its own yield earns, the lead the spread', () => {
    // 10,000.00 at 7.25% for 12 months; the partners earn 4.5% ACT/360 on what they hold.
    const base = aLoan();
    const loan: Loan = {
      ...base,
      terms: {
        ...base.terms,
        participants: base.terms.participants.map((p) => (p.role === 'PARTNER' ? { ...p, yieldRate: '0.045' } : p)),
        split: { ...base.terms.split, interestBasis: 'LENDER_RATE' },
      },
    };
    const { borrower, lenders } = loanSchedules(loan);
    const first = borrower.instalments[0]!;
    // The borrower owes 10,000.00 x 7.25% / 12 = 60.42 for 2025-03-01..2025-04-01; partner A holds
    // 3,000.00 and earns 3,000.00 x 4.5% x 31 / 360 = 11.625, 11.63 (HALF_UP), as does partner B.
    const partnerA = lenders.find((l) => l.lenderId === 'PARTNER-A')!.instalments[0]!;
    expect(first.interestMinor).toBe(6_042n);
    expect(partnerA.interestMinor).toBe(1_163n);
    expect(partnerA.spreadMinor).toBe(0n);
    const lead = lenders.find((l) => l.lenderId === LEAD_ID)!.instalments[0]!;
    expect(lead.interestMinor).toBe(0n);
    expect(lead.spreadMinor).toBe(3_716n);
    const paid = payOnTime(loan)[0]!.split!.perLender;
    expect(paid.get('PARTNER-A')!.interestMinor).toBe(partnerA.interestMinor);
    expect(paid.get(LEAD_ID)!.spreadMinor).toBe(lead.spreadMinor);
  });

  it('after a buyback under LENDER_RATE the buyer is planned what the split pays it: the lead the sold interest as spread, a guarantor its own yield', () => {
    const base = aLoan();
    for (const [buyerId, buyerYield] of [
      [LEAD_ID, null],
      [GUARANTOR_ID, '0.05'],
    ] as const) {
      const loan: Loan = {
        ...base,
        terms: {
          ...base.terms,
          participants: [
            ...base.terms.participants.map((p) => (p.role === 'PARTNER' ? { ...p, yieldRate: p.lenderId === 'PARTNER-A' ? '0.045' : '0.04' } : p)),
            aParticipant(GUARANTOR_ID, 'GUARANTOR', null, { priority: 5, yieldRate: buyerYield }),
          ],
          fees: { ...base.terms.fees, guarantorLenderId: GUARANTOR_ID },
          split: { ...base.terms.split, interestBasis: 'LENDER_RATE' },
        },
      };
      const account = new LoanAccount(loan);
      const rows = loanSchedules(loan).borrower.instalments;
      const paid = new Map<number, ReadonlyMap<string, { interestMinor: bigint; spreadMinor: bigint; principalMinor: bigint }>>();
      paid.set(1, account.apply({ repaymentId: 'R1', valueDate: rows[0]!.dueDate, amountMinor: rows[0]!.totalMinor, kind: 'REGULAR', seq: 1 }).split.perLender);
      account.applyEvent({ type: 'BUYBACK', eventId: 'B-1', valueDate: '2025-04-11', seq: 2, sellerLenderId: 'PARTNER-B', buyerId });
      rows.slice(1).forEach((row, i) => paid.set(row.number, account.apply({ repaymentId: `R${row.number}`, valueDate: row.dueDate, amountMinor: row.totalMinor, kind: 'REGULAR', seq: 3 + i }).split.perLender));
      const { lenders } = account.schedules();
      const seller = lenders.find((l) => l.lenderId === 'PARTNER-B')!;
      expect(seller.instalments.map((i) => i.number)).toEqual([1]);
      for (const lender of lenders) {
        for (const line of lender.instalments) {
          const got = paid.get(line.number)!.get(lender.lenderId)!;
          expect([lender.lenderId, line.number, got.principalMinor, got.interestMinor, got.spreadMinor]).toEqual([lender.lenderId, line.number, line.principalMinor, line.interestMinor, line.spreadMinor]);
        }
      }
      const second = (id: string) => lenders.find((l) => l.lenderId === id)!.instalments.find((i) => i.number === 2)!;
      if (buyerId === LEAD_ID) expect(second(LEAD_ID).interestMinor).toBe(0n);
      else expect(second(GUARANTOR_ID).interestMinor).toBeGreaterThan(0n);
    }
  });

  it.each(INTEREST_BASES)('after a partial share transfer (%s) every lender is planned what the split pays it from the next due date on', (basis) => {
    const base = aLoan();
    const loan: Loan = {
      ...base,
      terms: {
        ...base.terms,
        participants: base.terms.participants.map((p) => (p.role === 'PARTNER' && basis === 'LENDER_RATE' ? { ...p, yieldRate: p.lenderId === 'PARTNER-A' ? '0.045' : '0.04' } : p)),
        split: { ...base.terms.split, interestBasis: basis },
      },
    };
    const account = new LoanAccount(loan);
    const rows = loanSchedules(loan).borrower.instalments;
    const paid = new Map<number, ReadonlyMap<string, { interestMinor: bigint; spreadMinor: bigint; principalMinor: bigint }>>();
    paid.set(1, account.apply({ repaymentId: 'R1', valueDate: rows[0]!.dueDate, amountMinor: rows[0]!.totalMinor, kind: 'REGULAR', seq: 1 }).split.perLender);
    // The lead sells PARTNER-A 50,000 of the 367,760 it holds after instalment 1, on 2025-04-11.
    account.applyEvent({ type: 'TRANSFER', eventId: 'T-1', valueDate: '2025-04-11', seq: 2, fromLenderId: LEAD_ID, toLenderId: 'PARTNER-A', principalMinor: 50_000n });
    rows.slice(1).forEach((row, i) => paid.set(row.number, account.apply({ repaymentId: `R${row.number}`, valueDate: row.dueDate, amountMinor: row.totalMinor, kind: 'REGULAR', seq: 3 + i }).split.perLender));
    const { lenders } = account.schedules();
    for (const lender of lenders) {
      expect(lender.instalments.map((i) => i.number)).toEqual(rows.map((r) => r.number));
      for (const line of lender.instalments) {
        const got = paid.get(line.number)!.get(lender.lenderId)!;
        expect([lender.lenderId, line.number, got.principalMinor, got.interestMinor, got.spreadMinor]).toEqual([lender.lenderId, line.number, line.principalMinor, line.interestMinor, line.spreadMinor]);
      }
    }
    const total = (id: string) => lenders.find((l) => l.lenderId === id)!.totalPrincipalMinor;
    // Each is repaid what it held: the lead its 400,000 less the 50,000 sold, PARTNER-A its 300,000 and what it bought.
    expect([total(LEAD_ID), total('PARTNER-A'), total('PARTNER-B')]).toEqual([350_000n, 350_000n, 300_000n]);
  });

  it('paying every instalment on time, each lender receives exactly its sub-schedule line, and the lines sum to the borrower row', () => {
    fc.assert(
      fc.property(loanCase, ({ loan }) => {
        const { borrower, lenders } = loanSchedules(loan);
        const payments = payOnTime(loan);
        payments.forEach(({ row, split }, k) => {
          expect(split?.suspenseMinor ?? 0n).toBe(0n);
          let principal = 0n;
          let income = 0n;
          for (const lender of lenders) {
            const line = lender.instalments[k]!;
            const got = split?.perLender.get(lender.lenderId) ?? { principalMinor: 0n, interestMinor: 0n, spreadMinor: 0n };
            expect({ lenderId: lender.lenderId, number: line.number, principalMinor: got.principalMinor, interestMinor: got.interestMinor, spreadMinor: got.spreadMinor }).toEqual({
              lenderId: lender.lenderId,
              number: row.number,
              principalMinor: line.principalMinor,
              interestMinor: line.interestMinor,
              spreadMinor: line.spreadMinor,
            });
            expect(line.totalMinor).toBe(line.principalMinor + line.interestMinor + line.spreadMinor);
            principal += line.principalMinor;
            income += line.interestMinor + line.spreadMinor;
          }
          expect(principal).toBe(borrower.instalments[k]!.principalMinor);
          expect(income).toBe(borrower.instalments[k]!.interestMinor);
        });
        const entries = payments.flatMap((p) => (p.entry === null ? [] : [p.entry]));
        for (const lender of lenders) {
          expect(incomeOf(lender.lenderId, entries)).toEqual({ interestMinor: lender.totalInterestMinor, feeMinor: lender.totalSpreadMinor });
        }
      }),
      { numRuns: 150 },
    );
  });
});
