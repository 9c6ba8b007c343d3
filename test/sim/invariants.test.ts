import { describe, expect, it } from 'vitest';
import { foldEntries, type JournalEntry, type Position } from '../../shared/domain/ledger.ts';
import type { PayoutInstruction } from '../../shared/domain/settlement.ts';
import { aLeg as leg, LEAD_ID, PARTNER_A } from '../support/builders.ts';
import { cashNotConserved, moneyViolations, outstandingOffPositions, positionsOffEntries, settlementOffBooks, unbalancedBooks, type MoneyState } from './invariants.ts';

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
