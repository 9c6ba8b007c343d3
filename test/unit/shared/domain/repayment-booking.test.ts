import { describe, expect, it } from 'vitest';
import { RuleViolation, StateConflict, ValidationError } from '../../../../shared/domain/errors.ts';
import { ESCROW, foldEntries, imbalances, type JournalEntry, type Leg } from '../../../../shared/domain/ledger.ts';
import { disbursementEntry } from '../../../../shared/domain/loan.ts';
import {
  decideRepayment,
  decideReversal,
  emptyLedger,
  mostOwedMinor,
  type BookingPlan,
  type RepaymentDecision,
  type RepaymentLedger,
  type RepaymentRequest,
  type ReversalRequest,
} from '../../../../shared/domain/repayment-booking.ts';
import { LEAD_ID, LOAN_ID, NOW, PARTNER_A, PARTNER_B, aLoan } from '../../../support/builders.ts';
import { thrownBy } from '../../../support/expect-error.ts';

/*
 * The test loan (aLoan): 1,000,000 fen at 7.25%, 12 months EQUAL_INSTALLMENT from 2025-03-01, funded
 * 400,000 / 300,000 / 300,000; ACT/360, HALF_UP, penalty × 1.5, PRO_RATA with the lead as rounding party.
 * By hand (docs/schedules.md, docs/repayment-booking.md):
 *   level payment 86,642; instalment 1 (due 2025-04-01) 80,600 + 6,042; instalment 2 (due 2025-05-01) 81,087 + 5,555.
 *
 * 86,642 on 2025-04-01, on time. principal 80,600 × 0.3 = 24,180 each, lead 32,240;
 *      interest 6,042 × 0.3 = 1,812.6 → 1,813 each, lead 2,416.
 * 86,642 on 2025-05-01.
 *   after R-1 (instalment 2, on time): interest 5,555 × 0.3 = 1,666.5 → 1,667 each, lead 2,221;
 *     principal 81,087 × 0.3 = 24,326.1 → 24,326 each, lead 32,435.
 *   without R-1 (instalment 1 overdue 30 days): penalty 80,600 × 0.10875 × 30/360 = 730.4375 → 730 and
 *     compound 6,042 × 0.10875 × 30/360 = 54.755625 → 55, together 785 → 235.5 → 236 each, lead 313;
 *     overdue interest 6,042 → 1,813 / 1,813 / 2,416; overdue principal 86,642 − 785 − 6,042 = 79,815 →
 *     79,815 × 0.3 = 23,944.5 → 23,945 each, lead 31,925.
 */

const loan = aLoan();
const BOOKED_AT = '2025-05-05T02:00:00.000Z';
const TODAY = '2025-05-05';

function request(repaymentId: string, valueDate: string, amountMinor: bigint, overrides: Partial<RepaymentRequest> = {}): RepaymentRequest {
  return { repaymentId, loanId: LOAN_ID, amountMinor, currency: 'CNY', valueDate, channel: 'AUTO_DEBIT', kind: 'REGULAR', ...overrides };
}

const R1 = request('R-1', '2025-04-01', 86_642n);
const R2 = request('R-2', '2025-05-01', 86_642n);

function reversal(reversalId: string): ReversalRequest {
  return { reversalId, reason: 'BOUNCED', comment: null };
}

function dr(lenderId: string, account: Leg['account'], amountMinor: bigint, counterparty: string | null = null): Leg {
  return { lenderId, account, side: 'DEBIT', amountMinor, counterparty };
}

function cr(lenderId: string, account: Leg['account'], amountMinor: bigint, counterparty: string | null = null): Leg {
  return { lenderId, account, side: 'CREDIT', amountMinor, counterparty };
}

function swapped(legs: readonly Leg[]): Leg[] {
  return legs.map((leg) => ({ ...leg, side: leg.side === 'DEBIT' ? 'CREDIT' : 'DEBIT' }));
}

/** The legs of a pro rata split: principal and interest (and penalty) per lender, in lender id order. */
function legsOf(perLender: readonly [string, bigint, bigint, bigint][]): Leg[] {
  return perLender.flatMap(([lenderId, principal, interest, penalty]) => [
    dr(lenderId, 'SETTLEMENT_CLEARING', principal + interest + penalty, ESCROW),
    cr(lenderId, 'PRINCIPAL_RECEIVABLE', principal),
    cr(lenderId, 'INTEREST_INCOME', interest),
    ...(penalty > 0n ? [cr(lenderId, 'PENALTY_INCOME', penalty)] : []),
  ]);
}

const R1_LEGS = legsOf([
  [LEAD_ID, 32_240n, 2_416n, 0n],
  [PARTNER_A, 24_180n, 1_813n, 0n],
  [PARTNER_B, 24_180n, 1_813n, 0n],
]);
const R2_ON_TIME_LEGS = legsOf([
  [LEAD_ID, 32_435n, 2_221n, 0n],
  [PARTNER_A, 24_326n, 1_667n, 0n],
  [PARTNER_B, 24_326n, 1_667n, 0n],
]);
const R2_LATE_LEGS = legsOf([
  [LEAD_ID, 31_925n, 2_416n, 313n],
  [PARTNER_A, 23_945n, 1_813n, 236n],
  [PARTNER_B, 23_945n, 1_813n, 236n],
]);

function booked(decision: RepaymentDecision): BookingPlan {
  if (decision.kind !== 'BOOK') throw new Error(`expected a booking, got ${decision.kind}`);
  return decision;
}

/** Books the requests one after the other; returns the ledger and every entry written, in order. */
function bookAll(requests: readonly RepaymentRequest[]): { ledger: RepaymentLedger; entries: JournalEntry[] } {
  let ledger = emptyLedger(LOAN_ID);
  const entries: JournalEntry[] = [];
  for (const r of requests) {
    const plan = booked(decideRepayment(loan, ledger, r, TODAY, BOOKED_AT));
    ledger = plan.ledger;
    entries.push(...plan.entries);
  }
  return { ledger, entries };
}

/** Every entry balances, and the fold of all of them leaves each lender its funded principal less its principal parts in effect. */
function expectLedgerConsistent(ledger: RepaymentLedger, entries: readonly JournalEntry[]): void {
  for (const entry of entries) expect(imbalances(entry)).toEqual([]);
  const positions = foldEntries(LOAN_ID, [disbursementEntry(loan, NOW), ...entries]);
  for (const part of loan.fundingPlan) {
    let repaid = 0n;
    for (const r of ledger.repayments) if (r.reversal === null) repaid += r.split.perLender.get(part.lenderId)?.principalMinor ?? 0n;
    expect(positions.get(part.lenderId)?.balancesMinor.PRINCIPAL_RECEIVABLE ?? 0n).toBe(part.amountMinor - repaid);
  }
}

describe('decideRepayment', () => {
  it('books a first repayment: its entry REPAYMENT#id, ledger version 1, seq 1, generation 0', () => {
    const plan = booked(decideRepayment(loan, emptyLedger(LOAN_ID), R1, TODAY, BOOKED_AT));
    expect(plan.entries).toEqual([
      {
        entryId: 'REPAYMENT#R-1',
        eventType: 'REPAYMENT',
        eventId: 'R-1',
        loanId: LOAN_ID,
        currency: 'CNY',
        businessDate: '2025-04-01',
        legs: R1_LEGS,
        createdAt: BOOKED_AT,
      },
    ]);
    expect(plan.ledger.version).toBe(1);
    expect(plan.ledger.repayments).toEqual([plan.booked]);
    expect(plan.booked).toMatchObject({
      repaymentId: 'R-1',
      valueDate: '2025-04-01',
      amountMinor: 86_642n,
      kind: 'REGULAR',
      channel: 'AUTO_DEBIT',
      seq: 1,
      bookedAt: BOOKED_AT,
      generation: 0,
      entryId: 'REPAYMENT#R-1',
      reversal: null,
    });
    expect(plan.booked.split.suspenseMinor).toBe(0n);
    expect(plan.rebooked).toEqual([]);
    expect(plan.outcome?.dpdBefore).toBe(0);
  });

  it('answers a repayment id booked with the same content as a replay of its booking', () => {
    const { ledger } = bookAll([R1]);
    const decision = decideRepayment(loan, ledger, R1, TODAY, '2025-05-06T02:00:00.000Z');
    expect(decision).toEqual({ kind: 'REPLAY', booked: ledger.repayments[0] });
  });

  it('refuses a repayment id booked with other content (REPAYMENT_ID_REUSED)', () => {
    const { ledger } = bookAll([R1]);
    for (const other of [{ amountMinor: 86_641n }, { valueDate: '2025-04-02' }, { kind: 'PREPAYMENT' as const }, { channel: 'COUNTER' }]) {
      const error = thrownBy(StateConflict, () => decideRepayment(loan, ledger, { ...R1, ...other }, TODAY, BOOKED_AT));
      expect(error.code).toBe('REPAYMENT_ID_REUSED');
      expect(error.details).toEqual({ path: 'repaymentId', repaymentId: 'R-1' });
    }
  });

  it('refuses a currency other than the loan’s', () => {
    const error = thrownBy(RuleViolation, () => decideRepayment(loan, emptyLedger(LOAN_ID), { ...R1, currency: 'INR' }, TODAY, BOOKED_AT));
    expect(error.code).toBe('CURRENCY_MISMATCH');
    expect(error.details).toEqual({ path: 'currency', loanCurrency: 'CNY' });
  });

  it('refuses a value date after today', () => {
    const error = thrownBy(RuleViolation, () => decideRepayment(loan, emptyLedger(LOAN_ID), R1, '2025-03-31', BOOKED_AT));
    expect(error.code).toBe('VALUE_DATE_IN_FUTURE');
    expect(error.details).toEqual({ path: 'valueDate', valueDate: '2025-04-01', today: '2025-03-31' });
    // today itself is fine
    expect(decideRepayment(loan, emptyLedger(LOAN_ID), R1, '2025-04-01', BOOKED_AT).kind).toBe('BOOK');
  });

  it('refuses a value date before the disbursement', () => {
    const error = thrownBy(RuleViolation, () => decideRepayment(loan, emptyLedger(LOAN_ID), { ...R1, valueDate: '2025-02-28' }, TODAY, BOOKED_AT));
    expect(error.code).toBe('VALUE_DATE_BEFORE_DISBURSEMENT');
    expect(error.details).toEqual({ path: 'valueDate', valueDate: '2025-02-28', disbursementDate: '2025-03-01' });
  });

  it('a payment arriving in order rebooks nothing and writes one entry', () => {
    const { ledger } = bookAll([R1]);
    const plan = booked(decideRepayment(loan, ledger, R2, TODAY, BOOKED_AT));
    expect(plan.rebooked).toEqual([]);
    expect(plan.entries.map((e) => e.entryId)).toEqual(['REPAYMENT#R-2']);
    expect(plan.entries[0]?.legs).toEqual(R2_ON_TIME_LEGS);
    expect(plan.ledger.version).toBe(2);
    expect(plan.ledger.repayments.map((r) => [r.repaymentId, r.seq, r.generation, r.entryId])).toEqual([
      ['R-1', 1, 0, 'REPAYMENT#R-1'],
      ['R-2', 2, 0, 'REPAYMENT#R-2'],
    ]);
  });

  it('an earlier value date arriving after a later one rebooks the later one: its old legs swapped, then its new legs', () => {
    const first = booked(decideRepayment(loan, emptyLedger(LOAN_ID), R2, TODAY, BOOKED_AT));
    expect(first.entries[0]?.legs).toEqual(R2_LATE_LEGS);
    const now = '2025-05-05T03:00:00.000Z';
    const plan = booked(decideRepayment(loan, first.ledger, R1, TODAY, now));
    expect(plan.rebooked).toEqual(['R-2']);
    expect(plan.entries.map((e) => e.entryId)).toEqual(['REPAYMENT#R-1', 'REBOOK#R-2#1']);
    expect(plan.entries[0]?.legs).toEqual(R1_LEGS);
    expect(plan.entries[1]).toEqual({
      entryId: 'REBOOK#R-2#1',
      eventType: 'REBOOK',
      eventId: 'R-2#1',
      loanId: LOAN_ID,
      currency: 'CNY',
      businessDate: '2025-05-01',
      legs: [...swapped(R2_LATE_LEGS), ...R2_ON_TIME_LEGS],
      createdAt: now,
    });
    expect(plan.ledger.version).toBe(2);
    expect(plan.ledger.repayments.map((r) => [r.repaymentId, r.seq, r.generation, r.entryId])).toEqual([
      ['R-2', 1, 1, 'REBOOK#R-2#1'],
      ['R-1', 2, 0, 'REPAYMENT#R-1'],
    ]);
    expect(plan.booked.seq).toBe(2);
    expectLedgerConsistent(plan.ledger, [...first.entries, ...plan.entries]);
  });

  it('a second rebooking of the same payment is generation 2 and undoes the first rebooking', () => {
    // R-2 on 2025-05-01, then 50,000 on 2025-04-01, then the other 36,642 of instalment 1 on 2025-04-01
    const { ledger, entries } = bookAll([R2, request('R-1a', '2025-04-01', 50_000n)]);
    const plan = booked(decideRepayment(loan, ledger, request('R-1b', '2025-04-01', 36_642n), TODAY, BOOKED_AT));
    expect(plan.rebooked).toEqual(['R-2']);
    expect(plan.entries.map((e) => e.entryId)).toEqual(['REPAYMENT#R-1b', 'REBOOK#R-2#2']);
    expect(ledger.repayments.find((r) => r.repaymentId === 'R-2')).toMatchObject({ generation: 1, entryId: 'REBOOK#R-2#1' });
    // REBOOK#R-2#1 undid the late split and booked the split in effect since
    const rebook1 = entries.find((e) => e.entryId === 'REBOOK#R-2#1')!;
    expect(rebook1.legs.slice(0, R2_LATE_LEGS.length)).toEqual(swapped(R2_LATE_LEGS));
    const inEffect = rebook1.legs.slice(R2_LATE_LEGS.length);
    // with instalment 1 paid in full (R-1a: 13,187 / 13,187 / 17,584 of principal; R-1b: 36,642 × 286,813 / 956,042
    // = 10,992.58 → 10,993 each, lead 14,656) the lenders hold 367,760 / 275,820 / 275,820 again: R-2 is on time
    expect(plan.entries[1]?.legs).toEqual([...swapped(inEffect), ...R2_ON_TIME_LEGS]);
    expect(plan.ledger.repayments.find((r) => r.repaymentId === 'R-2')).toMatchObject({ generation: 2, entryId: 'REBOOK#R-2#2' });
    expectLedgerConsistent(plan.ledger, [...entries, ...plan.entries]);
  });
});

describe('decideReversal', () => {
  const REVERSED_AT = '2025-05-06T02:00:00.000Z';
  const REVERSAL_DAY = '2025-05-06';

  it('books REVERSAL#id, the exact negative of the booking, on today’s date, and rebooks the later payments', () => {
    const { ledger, entries } = bookAll([R1, R2]);
    const plan = booked(decideReversal(loan, ledger, 'R-1', reversal('V-1'), REVERSAL_DAY, REVERSED_AT));
    expect(plan.entries[0]).toEqual({
      entryId: 'REVERSAL#V-1',
      eventType: 'REVERSAL',
      eventId: 'V-1',
      loanId: LOAN_ID,
      currency: 'CNY',
      businessDate: REVERSAL_DAY,
      legs: swapped(R1_LEGS),
      createdAt: REVERSED_AT,
      reverses: 'REPAYMENT#R-1',
    });
    // without pays instalment 1 thirty days late
    expect(plan.rebooked).toEqual(['R-2']);
    expect(plan.entries[1]).toMatchObject({ entryId: 'REBOOK#R-2#1', businessDate: '2025-05-01', legs: [...swapped(R2_ON_TIME_LEGS), ...R2_LATE_LEGS] });
    expect(plan.outcome).toBeNull();
    expect(plan.booked).toMatchObject({
      repaymentId: 'R-1',
      generation: 0,
      entryId: 'REPAYMENT#R-1',
      reversal: { reversalId: 'V-1', reason: 'BOUNCED', comment: null, reversedAt: REVERSED_AT, entryId: 'REVERSAL#V-1' },
    });
    expect(plan.ledger.version).toBe(3);
    expect(plan.ledger.repayments.map((r) => [r.repaymentId, r.generation, r.reversal?.reversalId ?? null])).toEqual([
      ['R-1', 0, 'V-1'],
      ['R-2', 1, null],
    ]);
    expectLedgerConsistent(plan.ledger, [...entries, ...plan.entries]);
  });

  it('reverses the booking in effect of a rebooked payment, naming its REBOOK entry', () => {
    const { ledger, entries } = bookAll([R2, R1]);
    const plan = booked(decideReversal(loan, ledger, 'R-2', reversal('V-2'), REVERSAL_DAY, REVERSED_AT));
    expect(plan.entries).toHaveLength(1);
    expect(plan.entries[0]).toMatchObject({ entryId: 'REVERSAL#V-2', reverses: 'REBOOK#R-2#1', businessDate: REVERSAL_DAY, legs: swapped(R2_ON_TIME_LEGS) });
    expect(plan.rebooked).toEqual([]);
    expectLedgerConsistent(plan.ledger, [...entries, ...plan.entries]);
  });

  it('answers the same reversal again as a replay, and refuses another reversal of a reversed payment', () => {
    const { ledger } = bookAll([R1]);
    const plan = booked(decideReversal(loan, ledger, 'R-1', reversal('V-1'), REVERSAL_DAY, REVERSED_AT));
    const replay = decideReversal(loan, plan.ledger, 'R-1', reversal('V-1'), REVERSAL_DAY, '2025-05-07T02:00:00.000Z');
    expect(replay).toEqual({ kind: 'REPLAY', booked: plan.booked });
    const error = thrownBy(StateConflict, () => decideReversal(loan, plan.ledger, 'R-1', reversal('V-9'), REVERSAL_DAY, REVERSED_AT));
    expect(error.code).toBe('ALREADY_REVERSED');
    expect(error.details).toEqual({ path: 'reversalId', reversalId: 'V-1' });
  });

  it('refuses to reverse a repayment the loan does not have', () => {
    const { ledger } = bookAll([R1]);
    const error = thrownBy(RuleViolation, () => decideReversal(loan, ledger, 'R-9', reversal('V-1'), REVERSAL_DAY, REVERSED_AT));
    expect(error.code).toBe('REPAYMENT_NOT_FOUND');
    expect(error.details).toEqual({ path: 'repaymentId', repaymentId: 'R-9' });
  });

  it('a payment booked after a reversal is folded without the reversed one', () => {
    const { ledger, entries } = bookAll([R1]);
    const reversed = booked(decideReversal(loan, ledger, 'R-1', reversal('V-1'), REVERSAL_DAY, REVERSED_AT));
    const plan = booked(decideRepayment(loan, reversed.ledger, R2, REVERSAL_DAY, REVERSED_AT));
    expect(plan.booked.seq).toBe(2);
    expect(plan.entries.map((e) => e.entryId)).toEqual(['REPAYMENT#R-2']);
    expect(plan.entries[0]?.legs).toEqual(R2_LATE_LEGS);
    expectLedgerConsistent(plan.ledger, [...entries, ...reversed.entries, ...plan.entries]);
  });
});

describe('the most a repayment may be (docs/repayments.md, Bounds)', () => {
  // By hand: interest on the whole principal for 12 × 31 days: 1,000,000 × 0.0725 × 372 / 360 = 74,916.67 → 74,917;
  // penalty on both for the 61 days from 2025-03-01 to 2025-05-01: 1,074,917 × 0.10875 × 61 / 360 = 19,807.3 → 19,808;
  // the loan could owe 1,094,725, and the tolerance is 10% of the principal, 100,000: at most 1,194,725.
  it('could owe principal, interest for the whole term and penalty since disbursement, from the terms alone', () => {
    expect(mostOwedMinor(loan, '2025-05-01')).toBe(1_094_725n);
    expect(mostOwedMinor(loan, '2025-03-01')).toBe(1_074_917n);
  });

  it('books a payment of the maximum, and refuses one fen more with AMOUNT_ABOVE_OWED and the figures', () => {
    expect(decideRepayment(loan, emptyLedger(LOAN_ID), request('R-MAX', '2025-05-01', 1_194_725n), TODAY, BOOKED_AT).kind).toBe('BOOK');
    const error = thrownBy(ValidationError, () => decideRepayment(loan, emptyLedger(LOAN_ID), request('R-MAX', '2025-05-01', 1_194_726n), TODAY, BOOKED_AT));
    expect(error.code).toBe('AMOUNT_ABOVE_OWED');
    expect(error.details).toEqual({ path: 'amountMinor', field: 'amountMinor', rule: 'at-most-owed', amount: '1194726', maximum: '1194725', owedMinor: '1094725', toleranceMinor: '100000' });
  });

  it("takes the program's tolerance: none at 0 bps, and refuses 10^30 fen whatever it is", () => {
    const strict = aLoan({}, { prepayment: { excess: 'SUSPENSE', reschedule: 'LOWER_INSTALMENT', overpaymentToleranceBps: 0 } });
    expect(decideRepayment(strict, emptyLedger(LOAN_ID), request('R-0', '2025-05-01', 1_094_725n), TODAY, BOOKED_AT).kind).toBe('BOOK');
    expect(thrownBy(ValidationError, () => decideRepayment(strict, emptyLedger(LOAN_ID), request('R-0', '2025-05-01', 1_094_726n), TODAY, BOOKED_AT)).details['maximum']).toBe('1094725');
    expect(thrownBy(ValidationError, () => decideRepayment(loan, emptyLedger(LOAN_ID), request('R-BIG', '2025-05-01', 10n ** 30n), TODAY, BOOKED_AT)).code).toBe('AMOUNT_ABOVE_OWED');
  });
});
