import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RepaymentView } from '../../../../shared/contracts/repayments.ts';
import { RuleViolation, ValidationError } from '../../../../shared/domain/errors.ts';
import type { FeeRule } from '../../../../shared/domain/fee-rules.ts';
import { periodRange } from '../../../../shared/domain/fees.ts';
import { fromEpochDay, toEpochDay } from '../../../../shared/domain/money/index.ts';
import { assertBalanced, foldEntries, type JournalEntry, type Position } from '../../../../shared/domain/ledger.ts';
import type { Loan } from '../../../../shared/domain/loan.ts';
import { HEAD_ONLY } from '../../../../shared/domain/repayment-booking.ts';
import { bookLoanEvent, eventViewOf, splitAndBook, type RepaymentBookDeps } from '../../../../shared/use-cases/loan-changes.ts';
import { bookPeriodFees, type PeriodFeeDeps } from '../../../../shared/use-cases/period-fees.ts';
import { GUARANTOR_ID, LEAD_ID, PARTNER_A, PARTNER_B, aLoan, aParticipant, aProgramTerms } from '../../../support/builders.ts';
import { thrownBy } from '../../../support/expect-error.ts';
import { createInMemoryStores, seedBookedLoan, type InMemoryStores } from '../../../support/in-memory-stores.ts';

/*
 * The test loan (aLoan): 1,000,000 fen disbursed 2025-03-01, PARTNER-A and PARTNER-B 300,000 each,
 * the lead 400,000; ACT/360, HALF_UP. A service fee of 1% a year on each partner's outstanding
 * principal, billed monthly to the lead. March 2025 has 31 days, all outstanding:
 *   300,000 × 31 × 0.01 / 360 = 93,000 / 360 = 258.33 → 258 fen per partner.
 */

const AT = '2025-04-02T04:00:00.000Z';

function setup(): { stores: InMemoryStores; deps: PeriodFeeDeps; loan: Loan } {
  const stores = createInMemoryStores(AT);
  const loan = aLoan(
    {},
    {
      fees: {
        serviceFeeRate: null,
        guaranteeFeeRate: null,
        guarantorLenderId: null,
        rules: [{ id: 'SERVICE', kind: 'SERVICE', payee: LEAD_ID, base: 'OUTSTANDING_PRINCIPAL', rate: '0.01', amountMinor: null, period: 'MONTHLY', payer: { kind: 'DEDUCTED_FROM_INTEREST', lenders: 'ALL_PARTNERS' } }],
      },
    },
  );
  seedBookedLoan(stores, loan);
  return { stores, loan, deps: { loan: (id) => stores.loans.get(id), repayments: stores.repayments, ledger: stores.ledger, clock: stores.clock } };
}

function entriesOf(stores: InMemoryStores, loanId: string): JournalEntry[] {
  return [...stores.db.entries.entries()].filter(([key]) => key.startsWith(`${loanId}#`)).map(([, e]) => e);
}

describe('bookPeriodFees', () => {
  it("books the month's service fee once per loan, each partner's 258 fen owed to the lead", async () => {
    const { stores, deps, loan } = setup();
    const result = await bookPeriodFees(deps, loan.loanId, '2025-03');
    const entryId = `FEE#SERVICE#2025-03#${loan.loanId}`;
    expect(result).toEqual({ loanId: loan.loanId, period: '2025-03', booked: [entryId], replayed: [] });
    const entry = entriesOf(stores, loan.loanId).find((e) => e.entryId === entryId)!;
    expect(entry).toMatchObject({ eventType: 'FEE', businessDate: '2025-03-31', bookedOn: '2025-04-02' });
    expect(entry.legs.map((l) => [l.lenderId, l.account, l.side, l.amountMinor, l.counterparty])).toEqual([
      [PARTNER_A, 'FEE_EXPENSE', 'DEBIT', 258n, null],
      [PARTNER_A, 'SETTLEMENT_CLEARING', 'CREDIT', 258n, LEAD_ID],
      [PARTNER_B, 'FEE_EXPENSE', 'DEBIT', 258n, null],
      [PARTNER_B, 'SETTLEMENT_CLEARING', 'CREDIT', 258n, LEAD_ID],
      [LEAD_ID, 'SETTLEMENT_CLEARING', 'DEBIT', 258n, PARTNER_A],
      [LEAD_ID, 'SETTLEMENT_CLEARING', 'DEBIT', 258n, PARTNER_B],
      [LEAD_ID, 'FEE_INCOME', 'CREDIT', 516n, null],
    ]);
  });

  it('keeps the stored positions equal to the fold of the entries', async () => {
    const { stores, deps, loan } = setup();
    await bookPeriodFees(deps, loan.loanId, '2025-03');
    const folded = foldEntries(loan.loanId, entriesOf(stores, loan.loanId));
    const stored = [...stores.db.positions.values()].filter((p) => p.loanId === loan.loanId);
    for (const p of stored) expect(p.balancesMinor).toEqual(folded.get(p.lenderId)!.balancesMinor);
    expect(folded.get(LEAD_ID)!.balancesMinor.FEE_INCOME).toBe(-516n);
  });

  it('books nothing twice when run again for the same period', async () => {
    const { stores, deps, loan } = setup();
    await bookPeriodFees(deps, loan.loanId, '2025-03');
    const before = entriesOf(stores, loan.loanId).length;
    const again = await bookPeriodFees(deps, loan.loanId, '2025-03');
    expect(again).toEqual({ loanId: loan.loanId, period: '2025-03', booked: [], replayed: [`FEE#SERVICE#2025-03#${loan.loanId}`] });
    expect(entriesOf(stores, loan.loanId)).toHaveLength(before);
  });

  it('bills a quarter only for quarterly rules, and refuses a bad period or an unknown loan', async () => {
    const { deps, loan } = setup();
    expect((await bookPeriodFees(deps, loan.loanId, '2025-Q1')).booked).toEqual([]);
    await expect(bookPeriodFees(deps, loan.loanId, '2025/03')).rejects.toBeInstanceOf(ValidationError);
    const missing = await bookPeriodFees(deps, 'NO-SUCH-LOAN', '2025-03').catch((e: unknown) => e);
    expect(thrownBy(RuleViolation, () => { throw missing; }).code).toBe('LOAN_NOT_FOUND');
  });
});

/*
 * Period fees the borrower pays (docs/fees.md, "Period fees the borrower pays"): billed at the
 * period's end to the loan's account, due in the FEES slot of the next payments, paid to the payee
 * (cash basis: nothing is booked until paid). The test loan's instalment 1, due 2025-04-01, is
 * 6,042 of interest and 80,600 of principal (86,642), split PRO_RATA: each partner 1,813 and
 * 24,180, the lead 2,416 and 32,240; 919,400 is left, the partners 30% each, exactly.
 */

const BORROWER = { kind: 'BORROWER' } as const;

function borrowerSetup(rules: FeeRule[], at = AT): { stores: InMemoryStores; fees: PeriodFeeDeps; book: RepaymentBookDeps; loan: Loan } {
  const stores = createInMemoryStores(at);
  const loan = aLoan(
    {},
    {
      participants: [...aProgramTerms().participants, aParticipant(GUARANTOR_ID, 'GUARANTOR', null, { priority: 5 })],
      fees: { serviceFeeRate: null, guaranteeFeeRate: null, guarantorLenderId: GUARANTOR_ID, rules },
    },
  );
  seedBookedLoan(stores, loan);
  const read = (id: string) => stores.loans.get(id);
  return {
    stores,
    loan,
    fees: { loan: read, repayments: stores.repayments, ledger: stores.ledger, clock: stores.clock },
    book: { loan: read, repayments: stores.repayments, programPools: stores.programPools, clock: stores.clock },
  };
}

async function pay(deps: RepaymentBookDeps, loan: Loan, repaymentId: string, valueDate: string, amountMinor: bigint, kind: 'REGULAR' | 'PREPAYMENT' = 'REGULAR'): Promise<RepaymentView> {
  const result = await splitAndBook(deps, { action: 'BOOK', repayment: { repaymentId, loanId: loan.loanId, amountMinor, currency: 'CNY', valueDate, channel: 'AUTO_DEBIT', kind } });
  if (!('repayment' in result)) throw new Error(`expected a repayment, got ${JSON.stringify(result)}`);
  return result.repayment;
}

/** Each lender's fee of a payment, in lender id order (zeros left out). */
function feesOf(view: RepaymentView): [string, string][] {
  return view.split.lenders.filter((l) => l.feeMinor !== '0').map((l) => [l.lenderId, l.feeMinor]);
}

async function owedNow(stores: InMemoryStores, loanId: string): Promise<readonly (readonly [string, bigint])[] | undefined> {
  const { ledger } = await stores.repayments.load(loanId, HEAD_ONLY);
  return ledger.state?.feesOwed;
}

/** The books balance: every entry does, the stored positions are the fold of the entries, and every account nets to zero over all books but the escrow's. */
function expectBooksBalance(stores: InMemoryStores, loanId: string): Map<string, Position> {
  const entries = entriesOf(stores, loanId);
  for (const entry of entries) expect(assertBalanced(entry)).toBe(entry);
  const folded = foldEntries(loanId, entries);
  const stored = [...stores.db.positions.values()].filter((p) => p.loanId === loanId);
  expect(stored).toHaveLength(folded.size);
  for (const p of stored) expect(p).toEqual(folded.get(p.lenderId));
  let net = 0n;
  for (const p of folded.values()) for (const amount of Object.values(p.balancesMinor)) net += amount ?? 0n;
  expect(net).toBe(0n);
  return folded;
}

describe('bookPeriodFees: a period fee the borrower pays', () => {
  const MONTHLY_SERVICE: FeeRule = { id: 'SERVICE-B', kind: 'SERVICE', payee: LEAD_ID, base: 'OUTSTANDING_PRINCIPAL', rate: '0.012', amountMinor: null, period: 'MONTHLY', payer: BORROWER };
  const QUARTERLY_GUARANTEE: FeeRule = { id: 'GUARANTEE-Q', kind: 'GUARANTEE', payee: GUARANTOR_ID, base: 'FLAT', rate: null, amountMinor: 3_000n, period: 'QUARTERLY', payer: BORROWER };

  it('bills March on the whole loan (1,033 fen), once, then the next payments pay it to the lead: 500, then 533', async () => {
    const { stores, fees, book, loan } = borrowerSetup([MONTHLY_SERVICE]);
    const eventId = `SERVICE-B#2025-03#${loan.loanId}`;
    const entriesBefore = entriesOf(stores, loan.loanId).length;
    // 1,000,000 fen × 31 days × 0.012 / 360 = 1,033.33 → 1,033, rounded once for the loan
    expect(await bookPeriodFees(fees, loan.loanId, '2025-03')).toEqual({ loanId: loan.loanId, period: '2025-03', booked: [`FEE#${eventId}`], replayed: [] });
    const billed = await stores.repayments.loanEvent(loan.loanId, 'FEE', eventId);
    expect(billed).toMatchObject({ type: 'FEE', eventId, valueDate: '2025-03-31', entryId: '', legs: [], fee: { ruleId: 'SERVICE-B', period: '2025-03', amountMinor: 1_033n } });
    expect(eventViewOf(loan, billed!, []).fee).toEqual({ ruleId: 'SERVICE-B', period: '2025-03', amountMinor: '1033' });
    // cash basis: billing books no entry and moves no position
    expect(entriesOf(stores, loan.loanId)).toHaveLength(entriesBefore);
    expect(await owedNow(stores, loan.loanId)).toEqual([['SERVICE-B', 1_033n]]);

    const transactions = stores.db.transactions;
    expect(await bookPeriodFees(fees, loan.loanId, '2025-03')).toEqual({ loanId: loan.loanId, period: '2025-03', booked: [], replayed: [`FEE#${eventId}`] });
    expect(stores.db.transactions).toBe(transactions);
    expect(await owedNow(stores, loan.loanId)).toEqual([['SERVICE-B', 1_033n]]);

    // 87,142 on the due date: instalment 1 (86,642), then FEES: 500 of the 1,033
    const first = await pay(book, loan, 'R-1', '2025-04-01', 87_142n);
    expect(feesOf(first)).toEqual([[LEAD_ID, '500']]);
    expect(first.split.lenders.find((l) => l.lenderId === LEAD_ID)).toMatchObject({ principalMinor: '32240', interestMinor: '2416', feeMinor: '500' });
    expect(first.split.suspenseMinor).toBe('0');
    expect(await owedNow(stores, loan.loanId)).toEqual([['SERVICE-B', 533n]]);
    // nothing else is due on 2025-04-10: 600 pays the 533 owed, 67 goes to suspense
    stores.clock.set('2025-04-10T04:00:00.000Z');
    const second = await pay(book, loan, 'R-2', '2025-04-10', 600n);
    expect([feesOf(second), second.split.suspenseMinor]).toEqual([[[LEAD_ID, '533']], '67']);
    expect(await owedNow(stores, loan.loanId)).toBeUndefined();

    const lead = expectBooksBalance(stores, loan.loanId).get(LEAD_ID)!;
    // billed 1,033 = paid 500 + 533, the lead's fee income, owed to it by the escrow in its clearing
    expect(lead.balancesMinor.FEE_INCOME).toBe(-1_033n);
    const feeLegs = entriesOf(stores, loan.loanId).flatMap((e) => e.legs.filter((l) => l.account === 'FEE_INCOME').map((l) => [e.entryId, l.lenderId, l.side, l.amountMinor]));
    expect(feeLegs).toEqual([
      ['REPAYMENT#R-1', LEAD_ID, 'CREDIT', 500n],
      ['REPAYMENT#R-2', LEAD_ID, 'CREDIT', 533n],
    ]);
  });

  it('bills a quarter flat (3,000 fen to the guarantor), paid 1,200 by the next instalment and the 1,800 left by an early repayment before its principal', async () => {
    const { stores, fees, book, loan } = borrowerSetup([MONTHLY_SERVICE, QUARTERLY_GUARANTEE]);
    // a month bills only the monthly rule; the quarter only the quarterly one
    expect((await bookPeriodFees(fees, loan.loanId, '2025-Q1')).booked).toEqual([`FEE#GUARANTEE-Q#2025-Q1#${loan.loanId}`]);
    expect(await owedNow(stores, loan.loanId)).toEqual([['GUARANTEE-Q', 3_000n]]);
    stores.clock.set('2025-04-16T04:00:00.000Z');
    // 87,842 on the due date: instalment 1 (86,642), then 1,200 of the 3,000
    const first = await pay(book, loan, 'R-1', '2025-04-01', 87_842n);
    expect(feesOf(first)).toEqual([[GUARANTOR_ID, '1200']]);
    expect(await owedNow(stores, loan.loanId)).toEqual([['GUARANTEE-Q', 1_800n]]);
    // an early repayment on 2025-04-15 covers the fee owed first (the waterfall's FEES), then the
    // interest accrued on 919,400 since 2025-04-01: 919,400 × 0.0725 × 14 / 360 = 2,592.20 → 2,592,
    // then 50,000 of principal: 1,800 + 2,592 + 50,000 = 54,392
    const early = await pay(book, loan, 'R-2', '2025-04-15', 54_392n, 'PREPAYMENT');
    expect(feesOf(early)).toEqual([[GUARANTOR_ID, '1800']]);
    expect(early.split.lenders.map((l) => [l.lenderId, l.principalMinor, l.interestMinor])).toEqual([
      [GUARANTOR_ID, '0', '0'],
      [LEAD_ID, '20000', '1036'],
      [PARTNER_A, '15000', '778'],
      [PARTNER_B, '15000', '778'],
    ]);
    expect(early.split.suspenseMinor).toBe('0');
    expect(await owedNow(stores, loan.loanId)).toBeUndefined();
    const guarantor = expectBooksBalance(stores, loan.loanId).get(GUARANTOR_ID)!;
    expect(guarantor.balancesMinor.FEE_INCOME).toBe(-3_000n);
    expect(guarantor.balancesMinor.SETTLEMENT_CLEARING).toBe(3_000n);
  });

  it('bills a loan paid off in the period for the days it had principal, and it stays active until the fee is paid', async () => {
    const { stores, fees, book, loan } = borrowerSetup([MONTHLY_SERVICE], '2025-04-16T04:00:00.000Z');
    await pay(book, loan, 'R-1', '2025-04-01', 86_642n);
    // paid off on 2025-04-16: 919,400 of principal and 15 days of interest, 919,400 × 0.0725 × 15 / 360 = 2,777.35 → 2,777
    const payoff = await pay(book, loan, 'R-2', '2025-04-16', 922_177n, 'PREPAYMENT');
    expect(payoff.split.suspenseMinor).toBe('0');
    stores.clock.set('2025-05-02T04:00:00.000Z');
    // April: 919,400 for the 15 days from 2025-04-01 to 2025-04-16, none after:
    // 919,400 × 15 × 0.012 / 360 = 459.7 → 460
    expect((await bookPeriodFees(fees, loan.loanId, '2025-04')).booked).toEqual([`FEE#SERVICE-B#2025-04#${loan.loanId}`]);
    expect(await owedNow(stores, loan.loanId)).toEqual([['SERVICE-B', 460n]]);
    // May: no principal, no fee
    stores.clock.set('2025-06-02T04:00:00.000Z');
    expect(await bookPeriodFees(fees, loan.loanId, '2025-05')).toEqual({ loanId: loan.loanId, period: '2025-05', booked: [], replayed: [] });
    const fee = await pay(book, loan, 'R-3', '2025-06-01', 460n);
    expect([feesOf(fee), fee.split.suspenseMinor]).toEqual([[[LEAD_ID, '460']], '0']);
    expect(await owedNow(stores, loan.loanId)).toBeUndefined();
    expect(expectBooksBalance(stores, loan.loanId).get(LEAD_ID)!.balancesMinor.FEE_INCOME).toBe(-460n);
  });

  it('bills a loan written off in the period for the days it had principal; a recovery goes to the losses, the fee stays owed', async () => {
    const { stores, fees, book, loan } = borrowerSetup([MONTHLY_SERVICE], '2025-04-16T04:00:00.000Z');
    await pay(book, loan, 'R-1', '2025-04-01', 86_642n);
    await bookLoanEvent(book, loan.loanId, { type: 'WRITE_OFF', eventId: 'W-1', valueDate: '2025-04-16', reason: 'Fraud' });
    stores.clock.set('2025-05-02T04:00:00.000Z');
    // 919,400 for the 15 days before the write-off: 919,400 × 15 × 0.012 / 360 = 459.7 → 460
    expect((await bookPeriodFees(fees, loan.loanId, '2025-04')).booked).toEqual([`FEE#SERVICE-B#2025-04#${loan.loanId}`]);
    expect(await owedNow(stores, loan.loanId)).toEqual([['SERVICE-B', 460n]]);
    const recovery = await pay(book, loan, 'R-2', '2025-05-02', 1_000n);
    expect(feesOf(recovery)).toEqual([]);
    expect(await owedNow(stores, loan.loanId)).toEqual([['SERVICE-B', 460n]]);
    const lead = expectBooksBalance(stores, loan.loanId).get(LEAD_ID)!;
    expect(lead.balancesMinor.FEE_INCOME ?? 0n).toBe(0n);
  });

  it('rebooks a payment already booked after the period end that now owes the fee first', async () => {
    const { stores, fees, book, loan } = borrowerSetup([MONTHLY_SERVICE]);
    // 87,142 on 2025-04-01, booked before March is billed: 500 above the instalment goes to suspense
    expect((await pay(book, loan, 'R-1', '2025-04-01', 87_142n)).split.suspenseMinor).toBe('500');
    // the bill takes effect on 2025-03-31, before it: the payment now pays 500 of the fee instead
    expect((await bookPeriodFees(fees, loan.loanId, '2025-03')).booked).toEqual([`FEE#SERVICE-B#2025-03#${loan.loanId}`]);
    const rebooked = entriesOf(stores, loan.loanId).find((e) => e.entryId === 'REBOOK#R-1#1')!;
    expect(rebooked.legs.filter((l) => l.account === 'FEE_INCOME' || l.account === 'SUSPENSE').map((l) => [l.lenderId, l.account, l.side, l.amountMinor])).toEqual([
      [LEAD_ID, 'SUSPENSE', 'DEBIT', 500n],
      [LEAD_ID, 'FEE_INCOME', 'CREDIT', 500n],
    ]);
    expect(await owedNow(stores, loan.loanId)).toEqual([['SERVICE-B', 533n]]);
    expectBooksBalance(stores, loan.loanId);
  });
});

describe('bookPeriodFees: the borrower fees billed are paid or still owed (property)', () => {
  const MONTHLY: FeeRule = { id: 'SERVICE-B', kind: 'SERVICE', payee: LEAD_ID, base: 'OUTSTANDING_PRINCIPAL', rate: '0.012', amountMinor: null, period: 'MONTHLY', payer: BORROWER };
  const QUARTERLY: FeeRule = { id: 'GUARANTEE-Q', kind: 'GUARANTEE', payee: GUARANTOR_ID, base: 'FLAT', rate: null, amountMinor: 3_000n, period: 'QUARTERLY', payer: BORROWER };
  const FIRST_DAY = toEpochDay('2025-03-02');

  /** One day's doing: a payment (valued that day or a few days back), or the ended periods billed (once or twice). */
  const step = fc.record({
    days: fc.integer({ min: 1, max: 40 }),
    action: fc.oneof(
      fc.record({ kind: fc.constant('PAY' as const), amountMinor: fc.bigInt({ min: 1n, max: 200_000n }), back: fc.integer({ min: 0, max: 20 }), prepay: fc.boolean() }),
      fc.record({ kind: fc.constant('BILL' as const), twice: fc.boolean() }),
    ),
  });

  it('after any payments and billings: billed = paid to the payees + still owed, each period billed once, the books balance', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        const { stores, fees, book, loan } = borrowerSetup([MONTHLY, QUARTERLY], '2025-03-01T04:00:00.000Z');
        let day = FIRST_DAY;
        let paid = 0;
        for (const { days, action } of steps) {
          day += days;
          const today = fromEpochDay(day);
          stores.clock.set(`${today}T04:00:00.000Z`);
          if (action.kind === 'PAY') {
            const valueDate = fromEpochDay(Math.max(toEpochDay(loan.disbursementDate), day - action.back));
            paid += 1;
            await splitAndBook(book, { action: 'BOOK', repayment: { repaymentId: `R-${paid}`, loanId: loan.loanId, amountMinor: action.amountMinor, currency: 'CNY', valueDate, channel: 'AUTO_DEBIT', kind: action.prepay ? 'PREPAYMENT' : 'REGULAR' } });
            continue;
          }
          // every month and quarter ended by today, from the disbursement's
          for (const period of endedPeriods(today)) {
            const first = await bookPeriodFees(fees, loan.loanId, period);
            if (!action.twice) continue;
            const transactions = stores.db.transactions;
            const again = await bookPeriodFees(fees, loan.loanId, period);
            expect(again).toEqual({ ...first, booked: [], replayed: [...first.replayed, ...first.booked] });
            expect(stores.db.transactions).toBe(transactions);
          }
        }
        const { ledger } = await stores.repayments.load(loan.loanId, 'ALL');
        const bills = (ledger.events ?? []).filter((e) => e.type === 'FEE');
        expect(new Set(bills.map((e) => e.eventId)).size).toBe(bills.length);
        const billedBy = new Map<string, bigint>();
        for (const e of bills) billedBy.set(e.fee!.ruleId, (billedBy.get(e.fee!.ruleId) ?? 0n) + e.fee!.amountMinor);
        const owed = new Map((await owedNow(stores, loan.loanId)) ?? []);
        const positions = expectBooksBalance(stores, loan.loanId);
        // each payee earns only its rule's fees: its fee income is what the borrower paid of them
        for (const [rule, payee] of [[MONTHLY.id, LEAD_ID], [QUARTERLY.id, GUARANTOR_ID]] as const) {
          const paidToPayee = -(positions.get(payee)?.balancesMinor.FEE_INCOME ?? 0n);
          expect(paidToPayee + (owed.get(rule) ?? 0n)).toBe(billedBy.get(rule) ?? 0n);
        }
      }),
      { numRuns: 25 },
    );
  });
});

/** The months and quarters of 2025 ended by `today`, from March 2025 (the disbursement's). */
function endedPeriods(today: string): string[] {
  const periods = ['2025-03', '2025-Q1', '2025-04', '2025-05', '2025-06', '2025-Q2', '2025-07', '2025-08', '2025-09', '2025-Q3', '2025-10', '2025-11', '2025-12', '2025-Q4'];
  return periods.filter((p) => periodRange(p).to < today);
}
