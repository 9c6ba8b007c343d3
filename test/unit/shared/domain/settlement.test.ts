import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JournalEntry, Leg } from '../../../../shared/domain/ledger.ts';
import { aLeg as leg } from '../../../support/builders.ts';
import { movementsOf, netByParty, netOwedByParty, payoutInstructions, settlementDays, SettlementItems } from '../../../../shared/domain/settlement.ts';


const entry = (eventType: JournalEntry['eventType'], legs: Leg[]): JournalEntry => ({
  entryId: `${eventType}#E1`,
  eventType,
  eventId: 'E1',
  loanId: 'LN-1',
  currency: 'CNY',
  businessDate: '2026-11-02',
  legs,
  createdAt: '2026-11-02T02:00:00.000Z',
});

// A repayment of 10,000.00 + 412.50 interest + 3.00 penalty split 40/30/30, 0.45 left in suspense with the lead.
const repayment = entry('REPAYMENT', [
  leg('LEAD', 'SETTLEMENT_CLEARING', 'D', 416_620n, 'ESCROW'),
  leg('LEAD', 'PRINCIPAL_RECEIVABLE', 'C', 400_000n),
  leg('LEAD', 'INTEREST_INCOME', 'C', 16_500n),
  leg('LEAD', 'PENALTY_INCOME', 'C', 120n),
  leg('LEAD', 'SETTLEMENT_CLEARING', 'D', 45n, 'ESCROW'),
  leg('LEAD', 'SUSPENSE', 'C', 45n),
  leg('P-A', 'SETTLEMENT_CLEARING', 'D', 312_465n, 'ESCROW'),
  leg('P-A', 'PRINCIPAL_RECEIVABLE', 'C', 300_000n),
  leg('P-A', 'INTEREST_INCOME', 'C', 12_375n),
  leg('P-A', 'PENALTY_INCOME', 'C', 90n),
  leg('P-B', 'SETTLEMENT_CLEARING', 'D', 312_465n, 'ESCROW'),
  leg('P-B', 'PRINCIPAL_RECEIVABLE', 'C', 300_000n),
  leg('P-B', 'INTEREST_INCOME', 'C', 12_375n),
  leg('P-B', 'PENALTY_INCOME', 'C', 90n),
]);

describe('movementsOf', () => {
  it("reads a repayment as what the collection account owes each lender, per component of the lender's legs", () => {
    expect(movementsOf(repayment)).toEqual([
      { lenderId: 'LEAD', counterparty: 'ESCROW', component: 'PRINCIPAL', amountMinor: 400_000n },
      { lenderId: 'LEAD', counterparty: 'ESCROW', component: 'INTEREST', amountMinor: 16_500n },
      { lenderId: 'LEAD', counterparty: 'ESCROW', component: 'PENALTY', amountMinor: 120n },
      { lenderId: 'LEAD', counterparty: 'ESCROW', component: 'SUSPENSE', amountMinor: 45n },
      { lenderId: 'P-A', counterparty: 'ESCROW', component: 'PRINCIPAL', amountMinor: 300_000n },
      { lenderId: 'P-A', counterparty: 'ESCROW', component: 'INTEREST', amountMinor: 12_375n },
      { lenderId: 'P-A', counterparty: 'ESCROW', component: 'PENALTY', amountMinor: 90n },
      { lenderId: 'P-B', counterparty: 'ESCROW', component: 'PRINCIPAL', amountMinor: 300_000n },
      { lenderId: 'P-B', counterparty: 'ESCROW', component: 'INTEREST', amountMinor: 12_375n },
      { lenderId: 'P-B', counterparty: 'ESCROW', component: 'PENALTY', amountMinor: 90n },
    ]);
  });

  it('reads a disbursement as what each lender owes the collection account', () => {
    const disbursement = entry('DISBURSEMENT', [
      leg('LEAD', 'PRINCIPAL_RECEIVABLE', 'D', 4_000_000n),
      leg('LEAD', 'SETTLEMENT_CLEARING', 'C', 4_000_000n, 'ESCROW'),
      leg('P-A', 'PRINCIPAL_RECEIVABLE', 'D', 6_000_000n),
      leg('P-A', 'SETTLEMENT_CLEARING', 'C', 6_000_000n, 'ESCROW'),
    ]);
    expect(movementsOf(disbursement)).toEqual([
      { lenderId: 'LEAD', counterparty: 'ESCROW', component: 'PRINCIPAL', amountMinor: -4_000_000n },
      { lenderId: 'P-A', counterparty: 'ESCROW', component: 'PRINCIPAL', amountMinor: -6_000_000n },
    ]);
  });

  it('counts a movement between two lenders once, from the first id, with the component of its event', () => {
    // The guarantor pays P-A 3,000.00 principal and 25.00 interest.
    const compensation = entry('COMPENSATION', [
      leg('P-A', 'SETTLEMENT_CLEARING', 'D', 302_500n, 'GUAR'),
      leg('P-A', 'PRINCIPAL_RECEIVABLE', 'C', 300_000n),
      leg('P-A', 'INTEREST_INCOME', 'C', 2_500n),
      leg('GUAR', 'GUARANTEE_RECEIVABLE', 'D', 302_500n),
      leg('GUAR', 'SETTLEMENT_CLEARING', 'C', 302_500n, 'P-A'),
    ]);
    expect(movementsOf(compensation)).toEqual([{ lenderId: 'GUAR', counterparty: 'P-A', component: 'GUARANTEE', amountMinor: -302_500n }]);
  });

  it("settles the restatement of a compensation as the compensation, as GUARANTEE, and only its difference", () => {
    // A repayment valued before the compensation restated it: the guarantor paid P-A 300.00, now 150.09.
    const restated: JournalEntry = {
      ...entry('REBOOK', [
        leg('P-A', 'SETTLEMENT_CLEARING', 'C', 30_000n, 'GUAR'),
        leg('P-A', 'PRINCIPAL_RECEIVABLE', 'D', 30_000n),
        leg('GUAR', 'GUARANTEE_RECEIVABLE', 'C', 30_000n),
        leg('GUAR', 'SETTLEMENT_CLEARING', 'D', 30_000n, 'P-A'),
        leg('P-A', 'SETTLEMENT_CLEARING', 'D', 15_009n, 'GUAR'),
        leg('P-A', 'PRINCIPAL_RECEIVABLE', 'C', 15_009n),
        leg('GUAR', 'GUARANTEE_RECEIVABLE', 'D', 15_009n),
        leg('GUAR', 'SETTLEMENT_CLEARING', 'C', 15_009n, 'P-A'),
      ]),
      entryId: 'REBOOK#COMPENSATION-E-2#1',
      eventId: 'COMPENSATION-E-2#1',
    };
    // P-A gives back 300.00 - 150.09 = 149.91: one movement, so without netting it is not paid as 300.00 one way and 150.09 the other.
    expect(movementsOf(restated)).toEqual([{ lenderId: 'GUAR', counterparty: 'P-A', component: 'GUARANTEE', amountMinor: 14_991n }]);
  });

  it('gives no movement for a pair a restatement leaves as it was', () => {
    // The restatement undoes the guarantor's 300.00 to P-A and pays the same 300.00 again: nothing is owed.
    const same: JournalEntry = {
      ...entry('REBOOK', [
        leg('P-A', 'SETTLEMENT_CLEARING', 'C', 30_000n, 'GUAR'),
        leg('P-A', 'PRINCIPAL_RECEIVABLE', 'D', 30_000n),
        leg('GUAR', 'GUARANTEE_RECEIVABLE', 'C', 30_000n),
        leg('GUAR', 'SETTLEMENT_CLEARING', 'D', 30_000n, 'P-A'),
        leg('P-A', 'SETTLEMENT_CLEARING', 'D', 30_000n, 'GUAR'),
        leg('P-A', 'PRINCIPAL_RECEIVABLE', 'C', 30_000n),
        leg('GUAR', 'GUARANTEE_RECEIVABLE', 'D', 30_000n),
        leg('GUAR', 'SETTLEMENT_CLEARING', 'C', 30_000n, 'P-A'),
      ]),
      entryId: 'REBOOK#COMPENSATION-E-2#1',
      eventId: 'COMPENSATION-E-2#1',
    };
    expect(movementsOf(same)).toEqual([]);
  });

  it('takes the component a clearing leg names when its book clears with several parties', () => {
    // P-A receives 100.00 interest from the collection account and owes the lead 20.00 of it as a fee.
    const withFee = entry('REPAYMENT', [
      leg('P-A', 'SETTLEMENT_CLEARING', 'D', 10_000n, 'ESCROW', 'INTEREST'),
      leg('P-A', 'INTEREST_INCOME', 'C', 10_000n),
      leg('P-A', 'INTEREST_INCOME', 'D', 2_000n),
      leg('P-A', 'SETTLEMENT_CLEARING', 'C', 2_000n, 'LEAD', 'FEE'),
      leg('LEAD', 'SETTLEMENT_CLEARING', 'D', 2_000n, 'P-A', 'FEE'),
      leg('LEAD', 'FEE_INCOME', 'C', 2_000n),
    ]);
    expect(movementsOf(withFee)).toEqual([
      { lenderId: 'P-A', counterparty: 'ESCROW', component: 'INTEREST', amountMinor: 10_000n },
      { lenderId: 'LEAD', counterparty: 'P-A', component: 'FEE', amountMinor: 2_000n },
    ]);
  });

  it('refuses an entry whose two books disagree on what moved between them', () => {
    const broken = entry('TRANSFER', [
      leg('P-A', 'SETTLEMENT_CLEARING', 'D', 100n, 'P-B'),
      leg('P-A', 'PRINCIPAL_RECEIVABLE', 'C', 100n),
      leg('P-B', 'PRINCIPAL_RECEIVABLE', 'D', 90n),
      leg('P-B', 'SETTLEMENT_CLEARING', 'C', 90n, 'P-A'),
    ]);
    expect(() => movementsOf(broken)).toThrow('two lenders book a movement between them alike');
  });

  it('refuses a book clearing with several parties whose legs do not name a component', () => {
    const unnamed = entry('REPAYMENT', [
      leg('P-A', 'SETTLEMENT_CLEARING', 'D', 100n, 'ESCROW'),
      leg('P-A', 'SETTLEMENT_CLEARING', 'C', 20n, 'LEAD'),
      leg('P-A', 'INTEREST_INCOME', 'C', 80n),
      leg('LEAD', 'SETTLEMENT_CLEARING', 'D', 20n, 'P-A'),
      leg('LEAD', 'FEE_INCOME', 'C', 20n),
    ]);
    expect(() => movementsOf(unnamed)).toThrow('a book clearing with more than one party names the component of each clearing leg');
  });
});

describe('payoutInstructions', () => {
  const terms = (netting: boolean) => () => ({ netting, valueDate: '2026-11-03' });
  const items = () => {
    const all = new SettlementItems();
    for (const m of movementsOf(repayment)) all.add('CNY', 'PROG', m);
    // The same day P-A funds 2,000.00 of a new loan.
    all.add('CNY', 'PROG', { lenderId: 'P-A', counterparty: 'ESCROW', component: 'PRINCIPAL', amountMinor: -200_000n });
    return all.list();
  };

  it('nets each pair over components and directions into one instruction', () => {
    const instructions = payoutInstructions('2026-11-02', items(), terms(true));
    expect(instructions.map((i) => [i.instructionId, i.payer, i.payee, i.amountMinor, i.netted])).toEqual([
      ['SI-20261102-PROG-ESCROW-LEAD', 'ESCROW', 'LEAD', 416_665n, true],
      ['SI-20261102-PROG-ESCROW-P-A', 'ESCROW', 'P-A', 112_465n, true],
      ['SI-20261102-PROG-ESCROW-P-B', 'ESCROW', 'P-B', 312_465n, true],
    ]);
    expect(instructions[1]!.componentsMinor).toEqual({ PRINCIPAL: 100_000n, INTEREST: 12_375n, PENALTY: 90n });
    expect(instructions[1]!.valueDate).toBe('2026-11-03');
  });

  it('pays each direction on its own without netting', () => {
    const instructions = payoutInstructions('2026-11-02', items(), terms(false));
    expect(instructions.map((i) => [i.instructionId, i.amountMinor, i.netted])).toEqual([
      ['SI-20261102-PROG-ESCROW-LEAD', 416_665n, false],
      ['SI-20261102-PROG-ESCROW-P-A', 312_465n, false],
      ['SI-20261102-PROG-ESCROW-P-B', 312_465n, false],
      ['SI-20261102-PROG-P-A-ESCROW', 200_000n, false],
    ]);
    expect(instructions[3]!.componentsMinor).toEqual({ PRINCIPAL: 200_000n });
  });

  it('moves, per party, exactly what the items say it is owed, netted or not', () => {
    const movement = fc.record({
      lenderId: fc.constantFrom('LEAD', 'P-A', 'P-B'),
      counterparty: fc.constantFrom('ESCROW', 'GUAR'),
      component: fc.constantFrom('PRINCIPAL', 'INTEREST', 'FEE', 'GUARANTEE' as const),
      amountMinor: fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }),
      programId: fc.constantFrom('P1', 'P2'),
    });
    fc.assert(
      fc.property(fc.array(movement, { maxLength: 40 }), fc.boolean(), (movements, netting) => {
        const all = new SettlementItems();
        for (const { programId, ...m } of movements) all.add('CNY', programId, m);
        const list = all.list();
        const instructions = payoutInstructions('2026-11-02', list, terms(netting));
        const owed = [...netOwedByParty(list)].filter(([, v]) => v !== 0n).sort();
        const moved = [...netByParty(instructions)].filter(([, v]) => v !== 0n).sort();
        expect(moved).toEqual(owed);
        expect(new Set(instructions.map((i) => i.instructionId)).size).toBe(instructions.length);
        for (const i of instructions) expect(i.amountMinor > 0n).toBe(true);
      }),
    );
  });
});

describe('settlementDays', () => {
  // Weekdays, and 2026-10-01..07 off.
  const calendar = {
    isBusinessDay: (d: string) => ![0, 6].includes(new Date(`${d}T00:00:00Z`).getUTCDay()) && !(d >= '2026-10-01' && d <= '2026-10-07'),
    previousBusinessDay(d: string): string {
      let day = d;
      do day = new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
      while (!this.isBusinessDay(day));
      return day;
    },
  };
  it('is the day itself after a business day', () => {
    expect(settlementDays('2026-11-04', calendar)).toEqual(['2026-11-04']);
  });
  it("takes a weekend's days on the Monday", () => {
    expect(settlementDays('2026-11-02', calendar)).toEqual(['2026-10-31', '2026-11-01', '2026-11-02']);
  });
  it("takes a holiday's days on the next business day", () => {
    expect(settlementDays('2026-10-08', calendar)).toEqual(['2026-10-01', '2026-10-02', '2026-10-03', '2026-10-04', '2026-10-05', '2026-10-06', '2026-10-07', '2026-10-08']);
  });
  it('is empty on a day that is not a business day', () => {
    expect(settlementDays('2026-10-03', calendar)).toEqual([]);
  });
});
