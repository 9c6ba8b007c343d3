import { describe, expect, it } from 'vitest';
import { buybackLegs } from '../../../../shared/domain/buyback.ts';
import { LOAN_LEDGER_EVENTS, eventsOf, publishCommitted, type BusEvent, type CommittedChange } from '../../../../functions/repayment-publish/use-case.ts';
import { LoanAccount } from '../../../../shared/domain/loan-account.ts';
import type { BookedItem, BookedLoanEvent, BookedRepayment } from '../../../../shared/domain/repayment-booking.ts';
import { LEAD_ID, LOAN_ID, PARTNER_A, aLoan } from '../../../support/builders.ts';

const loan = aLoan();
const state = new LoanAccount(loan).state();
const AT = '2025-04-01T02:00:00.000Z';

const booked: BookedRepayment = {
  repaymentId: 'R-1',
  valueDate: '2025-04-01',
  amountMinor: 1_000n,
  kind: 'REGULAR',
  channel: 'AUTO_DEBIT',
  seq: 1,
  bookedAt: AT,
  generation: 0,
  entryId: 'REPAYMENT#R-1',
  split: { perLender: new Map([[LEAD_ID, { principalMinor: 0n, interestMinor: 0n, penaltyMinor: 0n, feeMinor: 0n, spreadMinor: 0n }]]), suspenseMinor: 1_000n, suspenseLenderId: LEAD_ID, paidMinor: 1_000n },
  reversal: null,
  stateAfter: state,
};
const repayment = (b: BookedRepayment): BookedItem => ({ kind: 'REPAYMENT', booked: b });
const change = (before: BookedItem | null, after: BookedItem | null, sequenceNumber = '100'): CommittedChange => ({ loanId: LOAN_ID, sequenceNumber, before, after });
const detailOf = (e: BusEvent) => JSON.parse(e.detail) as { id: string; type: string; loanId: string; repayment?: { repaymentId: string; generation: number } };

describe('eventsOf: what a committed change of a loan book means', () => {
  it('a payment written for the first time is booked, its entry id the event id', () => {
    const [event, ...rest] = eventsOf(loan, change(null, repayment(booked)));
    expect(rest).toEqual([]);
    expect([event?.id, event?.detailType]).toEqual(['REPAYMENT#R-1', LOAN_LEDGER_EVENTS.booked]);
    expect(detailOf(event!)).toMatchObject({ id: 'REPAYMENT#R-1', type: 'colend.repayment.booked', loanId: LOAN_ID, repayment: { repaymentId: 'R-1', amountMinor: '1000' } });
  });

  it('a payment that gains its reversal is reversed; one rebooked is rebooked; one whose state after it moved says nothing', () => {
    const reversed = { ...booked, reversal: { reversalId: 'V-1', reason: 'BOUNCED', comment: null, reversedAt: AT, entryId: 'REVERSAL#V-1' } };
    expect(eventsOf(loan, change(repayment(booked), repayment(reversed))).map((e) => [e.id, e.detailType])).toEqual([['REVERSAL#V-1', LOAN_LEDGER_EVENTS.reversed]]);
    const rebooked = { ...booked, generation: 1, entryId: 'REBOOK#R-1#1' };
    expect(eventsOf(loan, change(repayment(booked), repayment(rebooked))).map((e) => [e.id, e.detailType])).toEqual([['REBOOK#R-1#1', LOAN_LEDGER_EVENTS.rebooked]]);
    const moved = { ...booked, stateAfter: { ...state, suspenseMinor: 5n } };
    expect(eventsOf(loan, change(repayment(booked), repayment(moved)))).toEqual([]);
  });

  it('a compensation, write-off or transfer written for the first time is published under its own type', () => {
    const transfer: BookedLoanEvent = {
      type: 'TRANSFER',
      eventId: 'T-1',
      valueDate: '2025-04-02',
      seq: 2,
      bookedAt: AT,
      transfer: { fromLenderId: LEAD_ID, toLenderId: PARTNER_A, principalMinor: 100n },
      reason: 'sale',
      leadFirstLossCapMinor: null,
      generation: 0,
      entryId: 'TRANSFER#T-1',
      legs: [],
      stateAfter: state,
    };
    expect(eventsOf(loan, change(null, { kind: 'EVENT', booked: transfer })).map((e) => [e.id, e.detailType])).toEqual([['TRANSFER#T-1', LOAN_LEDGER_EVENTS.TRANSFER]]);
  });

  it('a compensation or write-off that gains its reversal is published as a loss reversed, under the reversal entry', () => {
    const writeOff: BookedLoanEvent = {
      type: 'WRITE_OFF',
      eventId: 'RISK-2025-04-02',
      valueDate: '2025-04-02',
      seq: 2,
      bookedAt: AT,
      transfer: null,
      reason: '90 days past due',
      leadFirstLossCapMinor: null,
      generation: 0,
      entryId: 'WRITE_OFF#RISK-2025-04-02',
      legs: [],
      stateAfter: state,
    };
    const reversed: BookedLoanEvent = { ...writeOff, reversal: { reversalId: 'LR-1', reason: 'WRONG_DATE', comment: null, reversedAt: AT, entryId: 'REVERSAL#LR-1' } };
    const events = eventsOf(loan, change({ kind: 'EVENT', booked: writeOff }, { kind: 'EVENT', booked: reversed }));
    expect(events.map((e) => [e.id, e.detailType])).toEqual([['REVERSAL#LR-1', 'colend.loan.loss-reversed']]);
    expect(JSON.parse(events[0]!.detail)).toMatchObject({ event: { eventId: 'RISK-2025-04-02', reversal: { reversalId: 'LR-1', entryId: 'REVERSAL#LR-1' } } });
    expect(eventsOf(loan, change({ kind: 'EVENT', booked: reversed }, { kind: 'EVENT', booked: { ...reversed, stateAfter: { ...state, suspenseMinor: 5n } } }))).toEqual([]);
  });

  it('a buyback is published as bought back, with its parties and its price read from its legs', () => {
    const legs = buybackLegs(PARTNER_A, LEAD_ID, { principalMinor: 300_000n, interestMinor: 846n, penaltyMinor: 0n, premiumMinor: 0n, priceMinor: 300_846n });
    const buyback: BookedLoanEvent = {
      type: 'BUYBACK',
      eventId: 'B-1',
      valueDate: '2025-03-15',
      seq: 1,
      bookedAt: AT,
      transfer: null,
      buyback: { sellerLenderId: PARTNER_A, buyerId: LEAD_ID, expectedPriceMinor: null },
      reason: 'Partner exit',
      leadFirstLossCapMinor: null,
      generation: 0,
      entryId: 'BUYBACK#B-1',
      legs,
      stateAfter: state,
    };
    const [event] = eventsOf(loan, change(null, { kind: 'EVENT', booked: buyback }));
    expect([event?.id, event?.detailType]).toEqual(['BUYBACK#B-1', 'colend.loan.bought-back']);
    expect(JSON.parse(event!.detail).event.buyback).toEqual({
      sellerLenderId: PARTNER_A,
      buyerId: LEAD_ID,
      expectedPriceMinor: null,
      price: { principalMinor: '300000', interestMinor: '846', penaltyMinor: '0', premiumMinor: '0', priceMinor: '300846' },
    });
  });
});

describe('eventsOf: a borrower period fee billed', () => {
  it('is published as fee billed, with its rule, period and amount, and no legs', () => {
    const bill: BookedLoanEvent = {
      type: 'FEE',
      eventId: `SERVICE-B#2025-03#${LOAN_ID}`,
      valueDate: '2025-03-31',
      seq: 1,
      bookedAt: AT,
      transfer: null,
      fee: { ruleId: 'SERVICE-B', period: '2025-03', amountMinor: 1_033n },
      reason: 'period fee SERVICE-B of 2025-03',
      leadFirstLossCapMinor: null,
      generation: 0,
      entryId: '',
      legs: [],
      stateAfter: { ...state, feesOwed: [['SERVICE-B', 1_033n]] },
    };
    const [event, ...more] = eventsOf(loan, change(null, { kind: 'EVENT', booked: bill }));
    expect([event?.id, event?.detailType, more]).toEqual([`FEE#SERVICE-B#2025-03#${LOAN_ID}`, 'colend.loan.fee-billed', []]);
    expect(JSON.parse(event!.detail).event).toMatchObject({ type: 'FEE', fee: { ruleId: 'SERVICE-B', period: '2025-03', amountMinor: '1033' }, entryId: '', legs: [] });
    // written again with another state after it (a payment before it arrived late): nothing to publish
    expect(eventsOf(loan, change({ kind: 'EVENT', booked: bill }, { kind: 'EVENT', booked: { ...bill, stateAfter: state } }))).toEqual([]);
  });
});

describe('publishCommitted', () => {
  it('publishes the changes in order and answers null when the bus took all of them', async () => {
    const put: string[] = [];
    const deps = { loan: async () => loan, publish: async (events: readonly BusEvent[]) => (put.push(...events.map((e) => e.id)), events.length) };
    expect(await publishCommitted(deps, [change(null, repayment(booked), '1'), change(null, repayment({ ...booked, repaymentId: 'R-2' }), '2')])).toBeNull();
    expect(put).toEqual(['REPAYMENT#R-1', 'REPAYMENT#R-2']);
  });

  it('stops at the first change the bus refused and answers its sequence number, so the stream hands it again', async () => {
    const put: string[] = [];
    let calls = 0;
    const deps = {
      loan: async () => loan,
      publish: async (events: readonly BusEvent[]) => {
        calls += 1;
        if (calls === 2) return 0;
        put.push(...events.map((e) => e.id));
        return events.length;
      },
    };
    const changes = [change(null, repayment(booked), '1'), change(null, repayment({ ...booked, repaymentId: 'R-2' }), '2'), change(null, repayment({ ...booked, repaymentId: 'R-3' }), '3')];
    expect(await publishCommitted(deps, changes)).toBe('2');
    expect(put).toEqual(['REPAYMENT#R-1']);
  });

  it('fails the batch when the loan of a changed book cannot be read', async () => {
    await expect(publishCommitted({ loan: async () => null, publish: async () => 0 }, [change(null, repayment(booked))])).rejects.toThrow(`the book of loan ${LOAN_ID} changed, but the loan cannot be read`);
  });
});
