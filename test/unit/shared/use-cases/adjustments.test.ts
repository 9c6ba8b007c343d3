import { beforeEach, describe, expect, it } from 'vitest';
import type { Adjustment } from '../../../../shared/domain/adjustment.ts';
import { DomainError, NotFound } from '../../../../shared/domain/errors.ts';
import type { AdjustmentStore } from '../../../../shared/ports/stores.ts';
import {
  adjustmentFor,
  adjustmentsFor,
  approveAdjustmentOf,
  proposeAdjustmentOf,
  rejectAdjustmentOf,
  type AdjustmentDeps,
} from '../../../../shared/use-cases/adjustments.ts';
import { aBreak, aProposal, BREAK_ID } from '../../../support/adjustments.ts';
import { aLoan, financeOf, LEAD_ID, LOAN_ID, PARTNER_A, PARTNER_B, partnerOf, platformFinance } from '../../../support/builders.ts';
import { rejectedBy } from '../../../support/expect-error.ts';
import { createInMemoryStores, InMemoryRepaymentStore, seedBookedLoan, type InMemoryStores } from '../../../support/in-memory-stores.ts';

const MAKER = 'finance-maker';
const CHECKER = 'finance-checker';
/** Tuesday 2025-03-04, 10:00 in Beijing: before the 22:00 cut-off. */
const TUESDAY = '2025-03-04T02:00:00.000Z';

let stores: InMemoryStores;
let deps: AdjustmentDeps;

beforeEach(() => {
  stores = createInMemoryStores(TUESDAY);
  seedBookedLoan(stores, aLoan());
  stores.breaks.breaks.set(BREAK_ID, aBreak());
  deps = { adjustments: stores.adjustments, breaks: stores.breaks, loan: (id) => stores.loans.get(id), repayments: stores.repayments, ledger: stores.ledger, clock: stores.clock };
});

async function expectCode(action: () => Promise<unknown>, code: string, details?: Record<string, unknown>): Promise<void> {
  const error = await rejectedBy(DomainError, action);
  expect(error.code).toBe(code);
  if (details !== undefined) expect(error.details).toMatchObject(details);
}

/** Every entry of the loan, by id. */
async function entryIds(): Promise<string[]> {
  return (await stores.ledger.loanLedger(LOAN_ID)).entries.map((e) => e.entryId).sort();
}

async function positionOf(lenderId: string) {
  return (await stores.ledger.loanLedger(LOAN_ID)).positions.find((p) => p.lenderId === lenderId);
}

const propose = (overrides: Parameters<typeof aProposal>[0] = {}, maker = MAKER) => proposeAdjustmentOf(deps, aProposal(overrides), maker);

describe('maker-checker', () => {
  it('refuses the maker as checker: the adjustment stays PROPOSED and nothing is booked', async () => {
    await propose();
    await expectCode(() => approveAdjustmentOf(deps, 'ADJ-1', MAKER, 'I checked it myself'), 'MAKER_CANNOT_APPROVE', { adjustmentId: 'ADJ-1', proposedBy: MAKER });
    expect(await stores.adjustments.get('ADJ-1')).toMatchObject({ state: 'PROPOSED', approval: null, version: 1 });
    expect(await entryIds()).toEqual(['DISBURSEMENT#LN-2025-000001']);
    expect((await stores.breaks.get(BREAK_ID))?.state).toBe('OPEN');
  });

  it('moves no money while unapproved: no entry, no position changed, the break still open', async () => {
    const before = await positionOf(PARTNER_A);
    const { created, adjustment } = await propose();
    expect(created).toBe(true);
    expect(adjustment).toMatchObject({ state: 'PROPOSED', proposedBy: MAKER, proposedAt: TUESDAY, approval: null, rejection: null });
    expect(await entryIds()).toEqual(['DISBURSEMENT#LN-2025-000001']);
    expect(await positionOf(PARTNER_A)).toEqual(before);
    expect(stores.db.repaymentLedgers.get(LOAN_ID)?.version).toBe(1);
  });

  it('books an approved adjustment once even if approved twice, by the same checker or another', async () => {
    await propose();
    const first = await approveAdjustmentOf(deps, 'ADJ-1', CHECKER, 'Matches the bank statement');
    stores.clock.set('2025-03-04T03:00:00.000Z');
    const again = await approveAdjustmentOf(deps, 'ADJ-1', CHECKER, 'Matches the bank statement');
    const byAnother = await approveAdjustmentOf(deps, 'ADJ-1', 'third-user', 'Looks right too');
    expect(first).toEqual({
      ...aProposal(),
      state: 'APPROVED',
      proposedBy: MAKER,
      proposedAt: TUESDAY,
      approval: { by: CHECKER, at: TUESDAY, reason: 'Matches the bank statement', entryId: 'ADJUSTMENT#ADJ-1', bookedOn: '2025-03-04' },
      rejection: null,
      version: 3,
    });
    expect(again).toEqual(first);
    expect(byAnother).toEqual(first);
    expect(await entryIds()).toEqual(['ADJUSTMENT#ADJ-1', 'DISBURSEMENT#LN-2025-000001']);
    // The loan's head moved once; PARTNER-A's book took the entry once.
    expect(stores.db.repaymentLedgers.get(LOAN_ID)?.version).toBe(2);
    expect(await positionOf(PARTNER_A)).toMatchObject({ version: 2, balancesMinor: { PRINCIPAL_RECEIVABLE: 300_000n, SETTLEMENT_CLEARING: -300_000n + 150n, INTEREST_INCOME: -150n } });
  });

  it('books the entry in the settlement day of the approval, under the program of the loan, with the legs of its component', async () => {
    await propose();
    stores.clock.set('2025-03-04T14:30:00.000Z'); // 22:30 in Beijing: after the cut-off, settled with Wednesday
    const approved = await approveAdjustmentOf(deps, 'ADJ-1', CHECKER, 'Matches the bank statement');
    expect(approved.approval?.bookedOn).toBe('2025-03-05');
    const entry = (await stores.ledger.loanLedger(LOAN_ID)).entries.find((e) => e.entryId === 'ADJUSTMENT#ADJ-1');
    expect(entry).toEqual({
      entryId: 'ADJUSTMENT#ADJ-1',
      eventType: 'ADJUSTMENT',
      eventId: 'ADJ-1',
      loanId: LOAN_ID,
      currency: 'CNY',
      businessDate: '2025-03-04',
      createdAt: '2025-03-04T14:30:00.000Z',
      bookedOn: '2025-03-05',
      programId: 'CONSUMER-2025',
      programVersion: 1,
      legs: [
        { lenderId: PARTNER_A, account: 'SETTLEMENT_CLEARING', side: 'DEBIT', amountMinor: 150n, counterparty: 'ESCROW', component: 'INTEREST' },
        { lenderId: PARTNER_A, account: 'INTEREST_INCOME', side: 'CREDIT', amountMinor: 150n, counterparty: null },
      ],
    });
  });

  it('resolves the break it names, naming the adjustment, the checker and the reason', async () => {
    await propose();
    await approveAdjustmentOf(deps, 'ADJ-1', CHECKER, 'Matches the bank statement');
    const resolved = await stores.breaks.get(BREAK_ID);
    expect(resolved).toMatchObject({ state: 'RESOLVED', version: 2 });
    expect(resolved?.history).toEqual([{ at: TUESDAY, by: CHECKER, from: 'OPEN', to: 'RESOLVED', reason: 'Matches the bank statement', adjustmentId: 'ADJ-1' }]);
  });

  it('refuses to approve when its break was accepted meanwhile: nothing is recorded or booked', async () => {
    await propose();
    stores.breaks.breaks.set(BREAK_ID, aBreak({ state: 'ACCEPTED', version: 2 }));
    await expectCode(() => approveAdjustmentOf(deps, 'ADJ-1', CHECKER, 'Yes'), 'BREAK_CLOSED', { path: 'breakId', state: 'ACCEPTED' });
    expect(await stores.adjustments.get('ADJ-1')).toMatchObject({ state: 'PROPOSED', approval: null, version: 1 });
    expect(await entryIds()).toEqual(['DISBURSEMENT#LN-2025-000001']);
  });

  it('books once when two checkers approve at the same time', async () => {
    await propose();
    const [a, b] = await Promise.all([approveAdjustmentOf(deps, 'ADJ-1', CHECKER, 'Yes'), approveAdjustmentOf(deps, 'ADJ-1', 'third-user', 'Yes too')]);
    expect(a).toEqual(b);
    expect(a.state).toBe('APPROVED');
    expect(await entryIds()).toEqual(['ADJUSTMENT#ADJ-1', 'DISBURSEMENT#LN-2025-000001']);
    expect(await positionOf(PARTNER_A)).toMatchObject({ version: 2 });
  });
});

/** The adjustment store with one write that fails as a process dying would: after the ledger was written. */
function crashingOnce(store: AdjustmentStore, when: (changed: Adjustment) => boolean): AdjustmentStore {
  let crashed = false;
  return {
    get: (id) => store.get(id),
    create: (a) => store.create(a),
    list: (q) => store.list(q),
    put: async (changed, expected) => {
      if (!crashed && when(changed)) {
        crashed = true;
        throw new Error('the process stopped');
      }
      return store.put(changed, expected);
    },
  };
}

/** A loan's book whose writer stops before anything is written. */
class CrashingBook extends InMemoryRepaymentStore {
  override write(): Promise<void> {
    return Promise.reject(new Error('the process stopped'));
  }
}

describe('an approval interrupted', () => {
  it('between booking and marking approved: approving again finds the entry and marks it, booked once', async () => {
    await propose();
    const crashing = { ...deps, adjustments: crashingOnce(stores.adjustments, (a) => a.state === 'APPROVED') };
    await expect(approveAdjustmentOf(crashing, 'ADJ-1', CHECKER, 'Yes')).rejects.toThrow('the process stopped');
    expect(await entryIds()).toEqual(['ADJUSTMENT#ADJ-1', 'DISBURSEMENT#LN-2025-000001']);
    expect(await stores.adjustments.get('ADJ-1')).toMatchObject({ state: 'PROPOSED', approval: { by: CHECKER, bookedOn: null } });
    // Its money is being booked: no rejection can come between.
    await expectCode(() => rejectAdjustmentOf(deps, 'ADJ-1', MAKER, 'Changed my mind'), 'ADJUSTMENT_APPROVED');
    stores.clock.set('2025-03-04T05:00:00.000Z');
    const finished = await approveAdjustmentOf(deps, 'ADJ-1', 'third-user', 'Finishing');
    expect(finished).toMatchObject({ state: 'APPROVED', approval: { by: CHECKER, at: TUESDAY, reason: 'Yes', bookedOn: '2025-03-04' }, version: 3 });
    expect(await entryIds()).toEqual(['ADJUSTMENT#ADJ-1', 'DISBURSEMENT#LN-2025-000001']);
    expect(await positionOf(PARTNER_A)).toMatchObject({ version: 2 });
    expect((await stores.breaks.get(BREAK_ID))?.state).toBe('RESOLVED');
  });

  it('between recording the approval and booking: approving again books it under the recorded approval', async () => {
    await propose();
    const crashing = { ...deps, repayments: new CrashingBook(stores.db) };
    await expect(approveAdjustmentOf(crashing, 'ADJ-1', CHECKER, 'Yes')).rejects.toThrow('the process stopped');
    expect(await entryIds()).toEqual(['DISBURSEMENT#LN-2025-000001']);
    const finished = await approveAdjustmentOf(deps, 'ADJ-1', CHECKER, 'Yes');
    expect(finished).toMatchObject({ state: 'APPROVED', approval: { by: CHECKER, bookedOn: '2025-03-04' } });
    expect(await entryIds()).toEqual(['ADJUSTMENT#ADJ-1', 'DISBURSEMENT#LN-2025-000001']);
  });

  it('between marking approved and resolving the break: approving again resolves it', async () => {
    await propose();
    const failingBreaks = { get: stores.breaks.get.bind(stores.breaks), put: () => Promise.reject(new Error('the process stopped')) };
    await expect(approveAdjustmentOf({ ...deps, breaks: failingBreaks }, 'ADJ-1', CHECKER, 'Yes')).rejects.toThrow('the process stopped');
    expect((await stores.adjustments.get('ADJ-1'))?.state).toBe('APPROVED');
    expect((await stores.breaks.get(BREAK_ID))?.state).toBe('OPEN');
    await approveAdjustmentOf(deps, 'ADJ-1', 'third-user', 'Again');
    expect(await stores.breaks.get(BREAK_ID)).toMatchObject({ state: 'RESOLVED', history: [{ by: CHECKER, reason: 'Yes', adjustmentId: 'ADJ-1' }] });
    expect(await entryIds()).toEqual(['ADJUSTMENT#ADJ-1', 'DISBURSEMENT#LN-2025-000001']);
  });
});

describe('proposing', () => {
  it('answers the same proposal again as it was stored, and refuses the id with other content', async () => {
    const first = await propose();
    stores.clock.set('2025-03-04T09:00:00.000Z');
    expect(await propose()).toEqual({ created: false, adjustment: first.adjustment });
    await expectCode(() => propose({ amountMinor: 151n }), 'ADJUSTMENT_ID_REUSED', { path: 'adjustmentId' });
    await expectCode(() => propose({}, CHECKER), 'ADJUSTMENT_ID_REUSED');
  });

  it.each([
    ['an unknown loan', { loanId: 'LN-NONE' }, 'LOAN_NOT_FOUND', 'loanId'],
    ['a lender that never held a part of the loan', { lenderId: 'PARTNER-Z', breakId: null }, 'NOT_A_HOLDER', 'lenderId'],
    ['a counterparty that is neither ESCROW nor a holder', { counterparty: 'PARTNER-Z' }, 'NOT_A_HOLDER', 'counterparty'],
    ['another currency than the loan’s', { currency: 'INR' }, 'CURRENCY_MISMATCH', 'currency'],
    ['an unknown break', { breakId: 'BK-20250303-PR-ffffffffffffffffffff' }, 'BREAK_NOT_FOUND', 'breakId'],
    ['a break of neither party', { lenderId: LEAD_ID, counterparty: PARTNER_B }, 'BREAK_OF_ANOTHER_PARTY', 'breakId'],
    ["principal, which the loan's account holds", { counterparty: PARTNER_B, component: 'PRINCIPAL', amountMinor: 5_000n, breakId: null }, 'ADJUSTMENT_OF_LOAN_ACCOUNT', 'component'],
    ['the lender as counterparty', { counterparty: PARTNER_A }, 'VALIDATION_FAILED', 'counterparty'],
  ] as const)('refuses %s, naming the field, and stores nothing', async (_what, overrides, code, path) => {
    await expectCode(() => propose(overrides), code, { path });
    expect(await stores.adjustments.get('ADJ-1')).toBeNull();
  });

  it('refuses a break already closed', async () => {
    stores.breaks.breaks.set(BREAK_ID, aBreak({ state: 'RESOLVED' }));
    await expectCode(() => propose(), 'BREAK_CLOSED', { path: 'breakId', state: 'RESOLVED' });
  });

  it('takes an adjustment without a break, between two lenders of the loan', async () => {
    const { adjustment } = await propose({ breakId: null, counterparty: PARTNER_B, component: 'PENALTY', direction: 'LENDER_OWES_COUNTERPARTY', amountMinor: 5_000n });
    const approved = await approveAdjustmentOf(deps, adjustment.adjustmentId, CHECKER, 'Penalty share corrected');
    expect(approved.state).toBe('APPROVED');
    expect((await positionOf(PARTNER_A))?.balancesMinor).toMatchObject({ PRINCIPAL_RECEIVABLE: 300_000n, PENALTY_INCOME: 5_000n });
    expect((await positionOf(PARTNER_B))?.balancesMinor).toMatchObject({ PRINCIPAL_RECEIVABLE: 300_000n, PENALTY_INCOME: -5_000n });
    expect((await stores.breaks.get(BREAK_ID))?.state).toBe('OPEN');
  });
});

describe('rejecting', () => {
  it('lets the maker withdraw and a checker reject; nothing is booked, and a rejected one is never approved', async () => {
    await propose();
    await propose({ adjustmentId: 'ADJ-2' });
    expect(await rejectAdjustmentOf(deps, 'ADJ-1', MAKER, 'Wrong loan')).toMatchObject({ state: 'REJECTED', rejection: { by: MAKER, withdrawn: true, reason: 'Wrong loan' } });
    expect(await rejectAdjustmentOf(deps, 'ADJ-2', CHECKER, 'The bank paid it')).toMatchObject({ state: 'REJECTED', rejection: { by: CHECKER, withdrawn: false } });
    expect(await rejectAdjustmentOf(deps, 'ADJ-2', 'third-user', 'Again')).toMatchObject({ rejection: { by: CHECKER, reason: 'The bank paid it' }, version: 2 });
    await expectCode(() => approveAdjustmentOf(deps, 'ADJ-1', CHECKER, 'Yes'), 'ADJUSTMENT_REJECTED');
    expect(await entryIds()).toEqual(['DISBURSEMENT#LN-2025-000001']);
    expect((await stores.breaks.get(BREAK_ID))?.state).toBe('OPEN');
  });

  it('refuses to reject an approved adjustment, and knows no adjustment it was not given', async () => {
    await propose();
    await approveAdjustmentOf(deps, 'ADJ-1', CHECKER, 'Yes');
    await expectCode(() => rejectAdjustmentOf(deps, 'ADJ-1', 'third-user', 'No'), 'ADJUSTMENT_APPROVED');
    await rejectedBy(NotFound, () => rejectAdjustmentOf(deps, 'ADJ-9', CHECKER, 'No'));
    await rejectedBy(NotFound, () => approveAdjustmentOf(deps, 'ADJ-9', CHECKER, 'Yes'));
  });
});

describe('reading', () => {
  beforeEach(async () => {
    for (const [i, overrides] of [{ counterparty: 'ESCROW' }, { counterparty: PARTNER_B, breakId: null }, { lenderId: LEAD_ID, counterparty: 'ESCROW', breakId: null }].entries()) {
      stores.clock.set(`2025-03-04T02:0${i}:00.000Z`);
      await propose({ adjustmentId: `ADJ-${i + 1}`, ...overrides });
    }
  });

  it('lists a state oldest first, a page at a time', async () => {
    const first = await adjustmentsFor(deps, platformFinance, { state: 'PROPOSED', limit: 2 });
    expect(first.items.map((a) => a.adjustmentId)).toEqual(['ADJ-1', 'ADJ-2']);
    const second = await adjustmentsFor(deps, platformFinance, { state: 'PROPOSED', limit: 2, cursor: first.cursor! });
    expect([second.items.map((a) => a.adjustmentId), second.cursor]).toEqual([['ADJ-3'], null]);
    expect((await adjustmentsFor(deps, platformFinance, { state: 'APPROVED', limit: 10 })).items).toEqual([]);
  });

  it("shows a lender's callers only the adjustments their lender is a party to", async () => {
    expect((await adjustmentsFor(deps, financeOf(PARTNER_B), { state: 'PROPOSED', limit: 10 })).items.map((a) => a.adjustmentId)).toEqual(['ADJ-2']);
    expect((await adjustmentsFor(deps, partnerOf(PARTNER_A), { state: 'PROPOSED', limit: 10 })).items.map((a) => a.adjustmentId)).toEqual(['ADJ-1', 'ADJ-2']);
    expect((await adjustmentFor(deps, partnerOf(PARTNER_B), 'ADJ-2')).adjustmentId).toBe('ADJ-2');
    await rejectedBy(NotFound, () => adjustmentFor(deps, partnerOf(PARTNER_B), 'ADJ-1'));
    await rejectedBy(NotFound, () => adjustmentFor(deps, financeOf(PARTNER_A), 'ADJ-3'));
    expect((await adjustmentFor(deps, platformFinance, 'ADJ-3')).lenderId).toBe(LEAD_ID);
  });
});
