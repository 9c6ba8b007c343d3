import { describe, expect, it } from 'vitest';
import { foldEntries, type JournalEntry, type Position } from '../../shared/domain/ledger.ts';
import type { PayoutInstruction } from '../../shared/domain/settlement.ts';
import type { QuotaShard } from '../../shared/domain/exposure.ts';
import { aLeg as leg, LEAD_ID, PARTNER_A } from '../support/builders.ts';
import type { Adjustment } from '../../shared/domain/adjustment.ts';
import type { Reservation } from '../../shared/domain/exposure.ts';
import { lenderProfit } from '../../shared/domain/profit.ts';
import {
  adjustmentsOffBooks,
  cashNotConserved,
  moneyViolations,
  outstandingOffPositions,
  periodFeesOffPrincipal,
  positionsOffEntries,
  quotaOffReservations,
  settlementOffBooks,
  statementsOffEntries,
  unbalancedBooks,
  type MoneyState,
  type QuotaState,
} from './invariants.ts';

/** The simulator's invariants catch what they are there to catch: each broken on purpose, by a fen. */

const entry = (entryId: string, eventType: JournalEntry['eventType'], bookedOn: string, legs: JournalEntry['legs']): JournalEntry => ({
  entryId,
  eventType,
  eventId: entryId,
  loanId: 'LN-1',
  currency: 'CNY',
  businessDate: bookedOn,
  bookedOn,
  legs,
  createdAt: `${bookedOn}T04:00:00.000Z`,
});

/** 10,000.00 disbursed 6,000 / 4,000 on 03-03; 1,100.00 repaid on 03-04 (600 + 60 interest, 400 + 40). */
const DISBURSEMENT = entry('DISBURSEMENT#LN-1', 'DISBURSEMENT', '2025-03-03', [
  leg(LEAD_ID, 'PRINCIPAL_RECEIVABLE', 'D', 600_000n),
  leg(LEAD_ID, 'SETTLEMENT_CLEARING', 'C', 600_000n, 'ESCROW'),
  leg(PARTNER_A, 'PRINCIPAL_RECEIVABLE', 'D', 400_000n),
  leg(PARTNER_A, 'SETTLEMENT_CLEARING', 'C', 400_000n, 'ESCROW'),
]);
const REPAYMENT = entry('REPAYMENT#R-1', 'REPAYMENT', '2025-03-04', [
  leg(LEAD_ID, 'SETTLEMENT_CLEARING', 'D', 66_000n, 'ESCROW'),
  leg(LEAD_ID, 'PRINCIPAL_RECEIVABLE', 'C', 60_000n),
  leg(LEAD_ID, 'INTEREST_INCOME', 'C', 6_000n),
  leg(PARTNER_A, 'SETTLEMENT_CLEARING', 'D', 44_000n, 'ESCROW'),
  leg(PARTNER_A, 'PRINCIPAL_RECEIVABLE', 'C', 40_000n),
  leg(PARTNER_A, 'INTEREST_INCOME', 'C', 4_000n),
]);
const ENTRIES = [DISBURSEMENT, REPAYMENT];
const POSITIONS: Position[] = [...foldEntries('LN-1', ENTRIES).values()];

const instruction = (payer: string, payee: string, amountMinor: bigint): PayoutInstruction => ({
  instructionId: `SI-${payer}-${payee}`,
  businessDate: '2025-03-03',
  valueDate: '2025-03-04',
  currency: 'CNY',
  programId: 'P',
  payer,
  payee,
  amountMinor,
  netted: true,
  componentsMinor: { PRINCIPAL: amountMinor },
});

function quotaShard(lenderId: string, shard: number, reservedMinor: bigint, committedMinor: bigint): QuotaShard {
  return { lenderId, shard, allotmentMinor: 12_500_000_000n, reservedMinor, committedMinor, committedByLeadMinor: { [LEAD_ID]: committedMinor }, version: 1 };
}

/** 03-03 settled: each lender paid the collection account its part of the disbursement. */
const SOUND: MoneyState = {
  entries: ENTRIES,
  positions: POSITIONS,
  cash: { collectedMinor: 110_000n, disbursedMinor: 1_000_000n, adjustedMinor: 0n },
  settled: [{ businessDate: '2025-03-03', days: ['2025-03-01', '2025-03-02', '2025-03-03'], entryKeys: new Set(['LN-1#DISBURSEMENT#LN-1']), instructions: [instruction(LEAD_ID, 'ESCROW', 600_000n), instruction(PARTNER_A, 'ESCROW', 400_000n)] }],
  outstanding: {
    lenders: new Map([
      [LEAD_ID, 540_000n],
      [PARTNER_A, 360_000n],
    ]),
    borrowers: new Map([['BRW-1', { totalMinor: 900_000n, perLenderMinor: { [LEAD_ID]: 540_000n, [PARTNER_A]: 360_000n } }]]),
    borrowerOfLoan: new Map([['LN-1', 'BRW-1']]),
  },
  quota: {
    shards: [quotaShard(LEAD_ID, 0, 0n, 600_000n), quotaShard(PARTNER_A, 0, 0n, 400_000n)],
    reservations: [],
    applications: [],
    loans: [{ loanId: 'LN-1', fundingPlan: [{ lenderId: LEAD_ID, amountMinor: 600_000n }, { lenderId: PARTNER_A, amountMinor: 400_000n }] }],
  },
  adjustments: [],
  stated: [],
  guarantors: new Set(),
};

describe("the money simulator's invariants", () => {
  it('find nothing wrong with sound books', () => {
    expect(moneyViolations(SOUND)).toEqual([]);
  });

  it('find a book that does not balance by a fen', () => {
    const broken = entry('REPAYMENT#R-2', 'REPAYMENT', '2025-03-04', [leg(LEAD_ID, 'SETTLEMENT_CLEARING', 'D', 100n, 'ESCROW'), leg(LEAD_ID, 'INTEREST_INCOME', 'C', 99n)]);
    expect(unbalancedBooks([...ENTRIES, broken])).toEqual([
      'entry REPAYMENT#R-2 of LN-1: book LEAD-BANK debits 100 ≠ credits 99',
      'all entries together: debits − credits = 1',
    ]);
  });

  it('find a position a fen off its entries, and a position missing', () => {
    const [lead, partner] = POSITIONS;
    const off: Position = { ...lead!, balancesMinor: { ...lead!.balancesMinor, INTEREST_INCOME: -5_999n } };
    expect(positionsOffEntries(ENTRIES, [off])).toEqual([`position LN-1#LEAD-BANK: INTEREST_INCOME is -5999, its entries say -6000`, `position LN-1#${partner!.lenderId} is missing: its entries fold to one`]);
  });

  it('find a fen collected and not owed to anyone, and a disbursement not cleared', () => {
    expect(cashNotConserved(ENTRIES, { collectedMinor: 110_001n, disbursedMinor: 999_999n, adjustedMinor: 0n })).toEqual([
      'collected 110001, but the books owe lenders 110000 from the collection account',
      'disbursed 999999, but the disbursement entries clear 1000000',
    ]);
  });

  it('find an instruction a fen short, and an entry that appeared in a day already settled', () => {
    const short = { ...SOUND.settled[0]!, instructions: [instruction(LEAD_ID, 'ESCROW', 600_000n), instruction(PARTNER_A, 'ESCROW', 399_999n)] };
    expect(settlementOffBooks({ ...SOUND, settled: [short] })).toEqual([
      'settlement of 2025-03-03: ESCROW is owed 1000000 by its settled entries, its instructions move 999999',
      'settlement of 2025-03-03: PARTNER-A is owed -400000 by its settled entries, its instructions move -399999',
      'collected − disbursed + adjusted = -890000, paid out -999999 + held 110000 = -889999',
    ]);
    const late = { ...REPAYMENT, bookedOn: '2025-03-03' };
    expect(settlementOffBooks({ ...SOUND, entries: [DISBURSEMENT, late] })).toContain('entry REPAYMENT#R-1 of LN-1 is dated 2025-03-03, settled by 2025-03-03 before it was booked');
  });

  it('find limits measured on other principal than the positions hold', () => {
    const figures = { ...SOUND.outstanding, lenders: new Map([[LEAD_ID, 540_000n], [PARTNER_A, 360_001n]]) };
    expect(outstandingOffPositions(POSITIONS, figures)).toEqual(['lender PARTNER-A: positions hold 360000 of principal, its quota and principal shards say 360001']);
  });
});

describe("the invariants of the review's quota, adjustments and profit runs", () => {
  const reservation = (lenderId: string, amountMinor: bigint, state: Reservation['state']): Reservation => ({ applicationId: 'APP-1', lenderId, amountMinor, takes: [{ shard: 3, amountMinor }], state, at: '2025-03-03T04:00:00.000Z' });
  const plan = [
    { lenderId: LEAD_ID, amountMinor: 700_000n },
    { lenderId: PARTNER_A, amountMinor: 300_000n },
  ];
  /** LN-1 booked without a review; APP-1 planned 700,000 / 300,000 and waits for its disbursement, its quota reserved on shard 3. */
  const AWAITING: QuotaState = {
    ...SOUND.quota,
    shards: [...SOUND.quota.shards, quotaShard(LEAD_ID, 3, 700_000n, 0n), quotaShard(PARTNER_A, 3, 300_000n, 0n)],
    reservations: [reservation(LEAD_ID, 700_000n, 'RESERVED'), reservation(PARTNER_A, 300_000n, 'RESERVED')],
    applications: [{ applicationId: 'APP-1', status: 'AWAITING_DISBURSEMENT', plan, loanId: null }],
  };

  it('find nothing wrong with quota reserved for a plan awaiting its disbursement, then committed to its loan', () => {
    expect(quotaOffReservations(AWAITING)).toEqual([]);
    const booked: QuotaState = {
      shards: [...SOUND.quota.shards, quotaShard(LEAD_ID, 3, 0n, 700_000n), quotaShard(PARTNER_A, 3, 0n, 300_000n)],
      reservations: [reservation(LEAD_ID, 700_000n, 'USED'), reservation(PARTNER_A, 300_000n, 'USED')],
      applications: [{ applicationId: 'APP-1', status: 'BOOKED', plan, loanId: 'APP-1' }],
      loans: [...SOUND.quota.loans, { loanId: 'APP-1', fundingPlan: plan }],
    };
    expect(quotaOffReservations(booked)).toEqual([]);
  });

  it('find a fen reserved beyond the reservations, quota an application that ended still holds, and a booking not committed', () => {
    const [lead, partner, leadReserved, partnerReserved] = AWAITING.shards;
    expect(quotaOffReservations({ ...AWAITING, shards: [lead!, partner!, leadReserved!, { ...partnerReserved!, reservedMinor: 300_001n }] })).toEqual([
      'quota shard 3 of PARTNER-A: reserved 300001, its reservations hold 300000',
    ]);
    expect(quotaOffReservations({ ...AWAITING, applications: [{ applicationId: 'APP-1', status: 'EXPIRED', plan, loanId: null }] })).toEqual(['application APP-1 (EXPIRED) still holds LEAD-BANK, PARTNER-A']);
    const uncommitted: QuotaState = { ...AWAITING, loans: [...SOUND.quota.loans, { loanId: 'APP-1', fundingPlan: plan }] };
    expect(quotaOffReservations(uncommitted)).toEqual(['quota of LEAD-BANK: committed 600000, its booked loans\' parts are 1300000', 'quota of PARTNER-A: committed 400000, its booked loans\' parts are 700000']);
  });

  const ADJUSTMENT: Adjustment = {
    adjustmentId: 'ADJ-1',
    breakId: null,
    loanId: 'LN-1',
    lenderId: PARTNER_A,
    counterparty: LEAD_ID,
    currency: 'CNY',
    component: 'FEE',
    direction: 'COUNTERPARTY_OWES_LENDER',
    amountMinor: 1_000n,
    reason: 'Agreed',
    state: 'APPROVED',
    proposedBy: 'maker',
    proposedAt: '2025-03-04T04:00:00.000Z',
    approval: { by: 'checker', at: '2025-03-04T05:00:00.000Z', reason: 'Agreed', entryId: 'ADJUSTMENT#ADJ-1', bookedOn: '2025-03-04' },
    rejection: null,
    version: 2,
  };
  const ADJUSTED = entry('ADJUSTMENT#ADJ-1', 'ADJUSTMENT', '2025-03-04', [
    leg(PARTNER_A, 'SETTLEMENT_CLEARING', 'D', 1_000n, LEAD_ID),
    leg(PARTNER_A, 'FEE_INCOME', 'C', 1_000n),
    leg(LEAD_ID, 'SETTLEMENT_CLEARING', 'C', 1_000n, PARTNER_A),
    leg(LEAD_ID, 'FEE_EXPENSE', 'D', 1_000n),
  ]);
  const adjusted = { ...ADJUSTED, eventId: 'ADJ-1' };

  it('find an approved adjustment booked twice, one booked for a fen more, and one booked while only proposed', () => {
    expect(adjustmentsOffBooks([adjusted], [ADJUSTMENT])).toEqual([]);
    expect(adjustmentsOffBooks([adjusted, { ...adjusted, loanId: 'LN-2' }], [ADJUSTMENT])).toEqual(['adjustment ADJ-1 approved is booked 2 times']);
    expect(adjustmentsOffBooks([adjusted], [{ ...ADJUSTMENT, amountMinor: 1_001n }])).toEqual(['adjustment ADJ-1 approved for 1001 (COUNTERPARTY_OWES_LENDER) on LN-1 is booked otherwise on LN-1']);
    expect(adjustmentsOffBooks([adjusted], [{ ...ADJUSTMENT, state: 'PROPOSED', approval: null }])).toEqual(['adjustment ADJ-1 is booked but PROPOSED']);
    expect(adjustmentsOffBooks([], [ADJUSTMENT])).toEqual(['adjustment ADJ-1 approved is booked 0 times']);
  });

  const SERVICE = { ruleId: 'SERVICE', payee: LEAD_ID, rateNumerator: 1n, rateDenominator: 100n, basisDays: 360n };
  /** March: PARTNER-A held 400,000 on 03-03 and 360,000 from 03-04 to 03-31: 10,480,000 principal-days, at 1% a year over 360 days 291.11, so 291. */
  const fee = (amountMinor: bigint): JournalEntry => ({
    ...entry('FEE#SERVICE#2025-03#LN-1', 'FEE', '2025-03-31', [
      leg(PARTNER_A, 'FEE_EXPENSE', 'D', amountMinor),
      leg(PARTNER_A, 'SETTLEMENT_CLEARING', 'C', amountMinor, LEAD_ID),
      leg(LEAD_ID, 'SETTLEMENT_CLEARING', 'D', amountMinor, PARTNER_A),
      leg(LEAD_ID, 'FEE_INCOME', 'C', amountMinor),
    ]),
    eventId: 'SERVICE#2025-03#LN-1',
  });

  it("find a period fee a fen off what the partner's principal earned, a period not billed, and a fee the program does not bill", () => {
    const ledgers = new Map([['LN-1', ENTRIES]]);
    const booked = new Set(['FEE#SERVICE#2025-03#LN-1']);
    expect(periodFeesOffPrincipal('2025-03', ledgers, booked, [...ENTRIES, fee(291n)], [PARTNER_A], SERVICE)).toEqual([]);
    expect(periodFeesOffPrincipal('2025-03', ledgers, booked, [...ENTRIES, fee(292n)], [PARTNER_A], SERVICE)).toEqual([
      'loan LN-1: PARTNER-A held 10480000 principal-days in 2025-03, owes 291, was charged 292',
      'loan LN-1: the fees of 2025-03 come to 291, LEAD-BANK earns 292',
    ]);
    expect(periodFeesOffPrincipal('2025-03', ledgers, booked, ENTRIES, [PARTNER_A], SERVICE)).toEqual(['loan LN-1: its partners held principal in 2025-03, 0 period fees are booked']);
    expect(periodFeesOffPrincipal('2025-03', ledgers, booked, [...ENTRIES, fee(291n)], [PARTNER_A], null)).toEqual(['loan LN-1 has period fees of 2025-03 its program does not bill']);
  });

  it('find a stored profit statement a fen off what its period booked', () => {
    const report = lenderProfit(PARTNER_A, '2025-03', ENTRIES, () => null, {});
    const stored = { ...report, programId: 'P', period: '2025-03', role: 'PARTNER', attempt: 1, storedAt: '2025-04-01T14:30:00.000Z' };
    expect(statementsOffEntries([{ statement: stored, guarantor: false }], ENTRIES, new Set())).toEqual([]);
    const off = { ...stored, byCurrency: [{ ...report.byCurrency[0]!, interestIncomeMinor: 4_001n }] };
    expect(statementsOffEntries([{ statement: off, guarantor: false }], ENTRIES, new Set())[0]).toMatch(/^profit statement of PARTNER-A for 2025-03: stored .*"interestIncomeMinor":"4001".*, its entries say .*"interestIncomeMinor":"4000"/);
  });
});
