import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { cachedLoans } from '../../../../shared/use-cases/loan-cache.ts';
import type { LoanEventRequestBody, RepaymentStepInput, RepaymentStepResult, RepaymentView } from '../../../../shared/contracts/repayments.ts';
import { bookLoanEvent, eventViewOf, reverseLossEvent, splitAndBook, type RepaymentBookDeps } from '../../../../shared/use-cases/loan-changes.ts';
import { RuleViolation, StateConflict, ValidationError } from '../../../../shared/domain/errors.ts';
import { verifyLoanLedger } from '../../../../shared/domain/ledger-check.ts';
import { movementsOf } from '../../../../shared/domain/settlement.ts';
import { rejectedBy } from '../../../support/expect-error.ts';
import { REPAYMENT_ATTEMPTS, commitLedgerChange, positionsAfter } from '../../../../shared/use-cases/ledger-writer.ts';
import { ESCROW, applyEntry, foldEntries, openPosition, type JournalEntry, type Position } from '../../../../shared/domain/ledger.ts';
import { disbursementEntry, type Loan } from '../../../../shared/domain/loan.ts';
import type { RepaymentRequestBody } from '../../../../shared/contracts/schemas.ts';
import type { BookedItem } from '../../../../shared/domain/repayment-booking.ts';
import { toJson } from '../../../../shared/json.ts';
import { WriteConflict, type RepaymentStore, type RepaymentWrite } from '../../../../shared/ports/stores.ts';
import { GUARANTOR_ID, LEAD_ID, LOAN_ID, NOW, PARTNER_A, PARTNER_B, PROGRAM_ID, aLoan, aParticipant, defaultParticipants } from '../../../support/builders.ts';
import { addDays } from '../../../../shared/domain/money/index.ts';
import { createInMemoryStores, seedBookedLoan, type InMemoryStores } from '../../../support/in-memory-stores.ts';

/*
 * The test loan: 1,000,000 fen at 7.25%, 12 months EQUAL_INSTALLMENT from 2025-03-01, funded
 * 400,000 / 300,000 / 300,000. Instalment 1 (due 2025-04-01) is 80,600 + 6,042 = 86,642, split
 * 32,240 + 2,416 (lead) and 24,180 + 1,813 (each partner): 30% of 6,042 is 1,812.6 → 1,813.
 */
const BOOKED_AT = '2025-05-05T02:00:00.000Z';
const OTHER_LOAN = 'LN-2025-000002';

function seedLoan(stores: InMemoryStores, loan: Loan = aLoan()): Loan {
  return seedBookedLoan(stores, loan);
}

/** The in-memory loan book with its writes going through `write` instead. */
function writingThrough(stores: InMemoryStores, write: (change: RepaymentWrite) => Promise<void>): RepaymentStore {
  return {
    load: (loanId, from) => stores.repayments.load(loanId, from),
    record: (repaymentId) => stores.repayments.record(repaymentId),
    item: (loanId, key) => stores.repayments.item(loanId, key),
    loanEvent: (loanId, type, eventId) => stores.repayments.loanEvent(loanId, type, eventId),
    write,
  };
}

function setup(at = BOOKED_AT): { stores: InMemoryStores; deps: RepaymentBookDeps } {
  const stores = createInMemoryStores(at);
  seedLoan(stores);
  seedLoan(stores, aLoan({ loanId: OTHER_LOAN }));
  return { stores, deps: { loan: (id) => stores.loans.get(id), repayments: stores.repayments, programPools: stores.programPools, clock: stores.clock } };
}

function repayment(repaymentId: string, valueDate: string, amountMinor: bigint, overrides: Partial<RepaymentRequestBody> = {}): RepaymentStepInput {
  return {
    action: 'BOOK',
    repayment: { repaymentId, loanId: LOAN_ID, amountMinor, currency: 'CNY', valueDate, channel: 'AUTO_DEBIT', kind: 'REGULAR', ...overrides },
  };
}

const R1 = repayment('R-1', '2025-04-01', 86_642n);
const R2 = repayment('R-2', '2025-05-01', 86_642n);

function reverse(repaymentId: string, reversalId: string): RepaymentStepInput {
  return { action: 'REVERSE', loanId: LOAN_ID, repaymentId, reversal: { reversalId, reason: 'BOUNCED', comment: null } };
}

function view(result: RepaymentStepResult): RepaymentView {
  if (!('repayment' in result)) throw new Error(`expected a repayment, got ${result.status}`);
  return result.repayment;
}

function lender(lenderId: string, principalMinor: string, interestMinor: string, penaltyMinor = '0') {
  return { lenderId, principalMinor, interestMinor, penaltyMinor, feeMinor: '0', spreadMinor: '0' };
}

function loanEntries(stores: InMemoryStores, loanId: string): JournalEntry[] {
  return [...stores.db.entries.entries()].filter(([key]) => key.startsWith(`${loanId}#`)).map(([, e]) => e);
}

function loanPositions(stores: InMemoryStores, loanId: string): Position[] {
  return [...stores.db.positions.values()].filter((p) => p.loanId === loanId);
}

/** The stored positions are exactly the fold of the loan's stored entries. */
function expectPositionsAreTheFold(stores: InMemoryStores, loanId: string): void {
  const folded = foldEntries(loanId, loanEntries(stores, loanId));
  const stored = loanPositions(stores, loanId);
  expect(stored).toHaveLength(folded.size);
  for (const position of stored) expect(position).toEqual(folded.get(position.lenderId));
}

describe('splitAndBook: BOOK', () => {
  it('books a repayment: the answer, the entry, the ledger, the positions and the record, in one write', async () => {
    const { stores, deps } = setup();
    const result = await splitAndBook(deps, R1);
    const expected = {
      repaymentId: 'R-1',
      loanId: LOAN_ID,
      currency: 'CNY',
      valueDate: '2025-04-01',
      amountMinor: '86642',
      channel: 'AUTO_DEBIT',
      kind: 'REGULAR',
      bookedAt: BOOKED_AT,
      entryId: 'REPAYMENT#R-1',
      generation: 0,
      split: { lenders: [lender(LEAD_ID, '32240', '2416'), lender(PARTNER_A, '24180', '1813'), lender(PARTNER_B, '24180', '1813')], suspenseMinor: '0' },
      rebooked: [],
      reversal: null,
    };
    expect(result).toMatchObject({ status: 'BOOKED', repayment: expected, entryIds: ['REPAYMENT#R-1'] });
    expect(stores.db.transactions).toBe(1);
    expect(stores.db.repaymentRecords.get('R-1')).toEqual({ repaymentId: 'R-1', loanId: LOAN_ID, valueDate: '2025-04-01', seq: 1, resultJson: toJson(view(result)), createdAt: BOOKED_AT });
    expect(stores.db.repaymentLedgers.get(LOAN_ID)?.version).toBe(2);
    expect(stores.db.entries.get(`${LOAN_ID}#REPAYMENT#R-1`)?.legs[0]).toEqual({ lenderId: LEAD_ID, account: 'SETTLEMENT_CLEARING', side: 'DEBIT', amountMinor: 34_656n, counterparty: ESCROW });
    expect(loanPositions(stores, LOAN_ID).map((p) => [p.lenderId, p.balancesMinor.PRINCIPAL_RECEIVABLE, p.version])).toEqual([
      [LEAD_ID, 367_760n, 2],
      [PARTNER_A, 275_820n, 2],
      [PARTNER_B, 275_820n, 2],
    ]);
    expectPositionsAreTheFold(stores, LOAN_ID);
  });

  it('answers a repayment delivered again with its first answer, byte for byte, and writes nothing', async () => {
    const { stores, deps } = setup();
    const first = await splitAndBook(deps, R1);
    stores.clock.set('2025-05-06T02:00:00.000Z');
    const again = await splitAndBook(deps, R1);
    expect(again.status).toBe('REPLAYED');
    expect(toJson(view(again))).toBe(toJson(view(first)));
    expect(again).toMatchObject({ entryIds: [] });
    expect(stores.db.transactions).toBe(1);
  });

  it('a replay answers the first answer even after the repayment was rebooked', async () => {
    const { stores, deps } = setup();
    const first = await splitAndBook(deps, R2);
    const earlier = await splitAndBook(deps, R1);
    expect(view(earlier).rebooked).toEqual(['R-2']);
    expect(earlier).toMatchObject({ entryIds: ['REPAYMENT#R-1', 'REBOOK#R-2#1'] });
    const again = await splitAndBook(deps, R2);
    expect(toJson(view(again))).toBe(toJson(view(first)));
    expect(view(again)).toMatchObject({ generation: 0, entryId: 'REPAYMENT#R-2' });
    expect(stores.db.book(LOAN_ID)?.repayments.find((r) => r.repaymentId === 'R-2')).toMatchObject({ generation: 1, entryId: 'REBOOK#R-2#1' });
    expectPositionsAreTheFold(stores, LOAN_ID);
  });

  it('refuses a repayment id already booked on another loan (REPAYMENT_ID_REUSED) and writes nothing on this one', async () => {
    const { stores, deps } = setup();
    await splitAndBook(deps, R1);
    const positionsBefore = structuredClone(loanPositions(stores, OTHER_LOAN));
    const result = await splitAndBook(deps, repayment('R-1', '2025-04-01', 86_642n, { loanId: OTHER_LOAN }));
    expect(result).toEqual({
      status: 'REFUSED',
      error: { code: 'REPAYMENT_ID_REUSED', message: expect.stringContaining(LOAN_ID), details: { path: 'repaymentId', repaymentId: 'R-1' } },
    });
    expect(stores.db.repaymentLedgers.get(OTHER_LOAN)?.version).toBe(1);
    expect(loanEntries(stores, OTHER_LOAN).map((e) => e.entryId)).toEqual([`DISBURSEMENT#${OTHER_LOAN}`]);
    expect(loanPositions(stores, OTHER_LOAN)).toEqual(positionsBefore);
    expect(stores.db.repaymentRecords.get('R-1')?.loanId).toBe(LOAN_ID);
    expect(stores.db.transactions).toBe(1);
  });

  it('refuses a loan that does not exist (LOAN_NOT_FOUND)', async () => {
    const { stores, deps } = setup();
    const result = await splitAndBook(deps, repayment('R-1', '2025-04-01', 86_642n, { loanId: 'LN-NONE' }));
    expect(result).toEqual({
      status: 'REFUSED',
      error: { code: 'LOAN_NOT_FOUND', message: expect.any(String), details: { path: 'loanId', loanId: 'LN-NONE' } },
    });
    expect(stores.db.transactions).toBe(0);
  });

  it('answers the domain refusals with their code and figures', async () => {
    const { deps } = setup();
    const currency = await splitAndBook(deps, repayment('R-1', '2025-04-01', 86_642n, { currency: 'INR' }));
    expect(currency).toMatchObject({ status: 'REFUSED', error: { code: 'CURRENCY_MISMATCH', details: { path: 'currency' } } });
    const future = await splitAndBook(deps, repayment('R-1', '2025-05-06', 86_642n));
    expect(future).toMatchObject({ status: 'REFUSED', error: { code: 'VALUE_DATE_IN_FUTURE', details: { path: 'valueDate', today: '2025-05-05' } } });
  });

  it("judges the future by the program's calendar: 17:00 UTC is already the next day in Shanghai", async () => {
    const { deps } = setup('2025-05-04T17:00:00.000Z');
    const result = await splitAndBook(deps, repayment('R-1', '2025-05-05', 1_000n));
    expect(result.status).toBe('BOOKED');
  });

  it('refuses with 409 LOAN_BUSY, changing nothing, once every one of its attempts lost the race', async () => {
    const { stores, deps } = setup();
    let writes = 0;
    const alwaysLosing = writingThrough(stores, async () => {
      writes += 1;
      throw new WriteConflict('ALREADY_EXISTS', 'repayment-ledger');
    });
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      const pending = splitAndBook({ ...deps, repayments: alwaysLosing }, R1);
      await vi.runAllTimersAsync();
      expect(await pending).toEqual({
        status: 'REFUSED',
        error: { code: 'LOAN_BUSY', message: expect.stringContaining(`loan ${LOAN_ID} changed ${REPAYMENT_ATTEMPTS} times`), details: { path: 'loanId', loanId: LOAN_ID, attempts: REPAYMENT_ATTEMPTS } },
      });
    } finally {
      vi.useRealTimers();
    }
    expect(writes).toBe(REPAYMENT_ATTEMPTS);
    expect(stores.db.transactions).toBe(0);
  });

  it('decides again a write that lost the ledger version race and books the repayment once', async () => {
    const { stores, deps } = setup();
    let writes = 0;
    const losingOnce = writingThrough(stores, async (change: RepaymentWrite) => {
      writes += 1;
      if (writes === 1) throw new WriteConflict('ALREADY_EXISTS', 'repayment-ledger');
      return stores.repayments.write(change);
    });
    const result = await splitAndBook({ ...deps, repayments: losingOnce }, R1);
    expect(result.status).toBe('BOOKED');
    expect(writes).toBe(2);
    expect(stores.db.transactions).toBe(1);
    expect(loanEntries(stores, LOAN_ID).map((e) => e.entryId)).toEqual([`DISBURSEMENT#${LOAN_ID}`, 'REPAYMENT#R-1']);
    expectPositionsAreTheFold(stores, LOAN_ID);
  });

  it('when another change landed first, decides again on the new ledger', async () => {
    const { stores, deps } = setup();
    let writes = 0;
    const racing = writingThrough(stores, async (change: RepaymentWrite) => {
      writes += 1;
      // R-1 lands between our read and our write: our write, on version 1, loses
      if (writes === 1) await splitAndBook(deps, R1);
      return stores.repayments.write(change);
    });
    const result = await splitAndBook({ ...deps, repayments: racing }, R2);
    expect(result.status).toBe('BOOKED');
    expect(writes).toBe(2);
    const ledger = stores.db.book(LOAN_ID);
    expect(ledger?.version).toBe(3);
    expect(ledger?.repayments.map((r) => [r.repaymentId, r.seq, r.generation])).toEqual([
      ['R-1', 1, 0],
      ['R-2', 2, 0],
    ]);
    // decided on the ledger with R-1: instalment 2 on time, 5,555 × 0.3 = 1,666.5 → 1,667 of interest each partner
    expect(view(result).split.lenders).toEqual([lender(LEAD_ID, '32435', '2221'), lender(PARTNER_A, '24326', '1667'), lender(PARTNER_B, '24326', '1667')]);
    expectPositionsAreTheFold(stores, LOAN_ID);
  });
});

describe('splitAndBook: REVERSE', () => {
  it('reverses a repayment, rebooks the later ones, and writes no new record', async () => {
    const { stores, deps } = setup();
    await splitAndBook(deps, R1);
    await splitAndBook(deps, R2);
    stores.clock.set('2025-05-06T02:00:00.000Z');
    const result = await splitAndBook(deps, reverse('R-1', 'V-1'));
    expect(result).toMatchObject({ status: 'REVERSED', entryIds: ['REVERSAL#V-1', 'REBOOK#R-2#1'] });
    expect(view(result)).toMatchObject({
      repaymentId: 'R-1',
      generation: 0,
      entryId: 'REPAYMENT#R-1',
      rebooked: ['R-2'],
      reversal: { reversalId: 'V-1', reason: 'BOUNCED', comment: null, reversedAt: '2025-05-06T02:00:00.000Z', entryId: 'REVERSAL#V-1' },
    });
    expect([...stores.db.repaymentRecords.keys()]).toEqual(['R-1', 'R-2']);
    expect(stores.db.entries.get(`${LOAN_ID}#REVERSAL#V-1`)).toMatchObject({ businessDate: '2025-05-06', reverses: 'REPAYMENT#R-1' });
    // with R-1 reversed only R-2's principal is repaid: 31,925 / 23,945 / 23,945 (instalment 1, thirty days late)
    expect(loanPositions(stores, LOAN_ID).map((p) => [p.lenderId, p.balancesMinor.PRINCIPAL_RECEIVABLE])).toEqual([
      [LEAD_ID, 368_075n],
      [PARTNER_A, 276_055n],
      [PARTNER_B, 276_055n],
    ]);
    expectPositionsAreTheFold(stores, LOAN_ID);
  });

  it('answers the same reversal again, refuses another one and an unknown repayment', async () => {
    const { stores, deps } = setup();
    await splitAndBook(deps, R1);
    const first = await splitAndBook(deps, reverse('R-1', 'V-1'));
    const again = await splitAndBook(deps, reverse('R-1', 'V-1'));
    expect(again).toEqual({ status: 'REPLAYED', repayment: view(first), entryIds: [] });
    const other = await splitAndBook(deps, reverse('R-1', 'V-2'));
    expect(other).toMatchObject({ status: 'REFUSED', error: { code: 'ALREADY_REVERSED', details: { path: 'reversalId', reversalId: 'V-1' } } });
    const unknown = await splitAndBook(deps, reverse('R-9', 'V-3'));
    expect(unknown).toMatchObject({ status: 'REFUSED', error: { code: 'REPAYMENT_NOT_FOUND', details: { path: 'repaymentId', repaymentId: 'R-9' } } });
    expect(stores.db.transactions).toBe(2);
    expectPositionsAreTheFold(stores, LOAN_ID);
  });
});

describe('commitLedgerChange: one transaction of at most 100 items', () => {
  const reservation = { scopeKey: 'CLIENT#K', requestHash: 'h', state: 'IN_PROGRESS' as const, reservedAt: BOOKED_AT, reservedUntilEpochSeconds: 1, expiresAtEpochSeconds: 2 };

  /** A change writing the head and 99 event items, nothing else: 100 items without a key reservation. */
  async function commitHundred(withKey: boolean): Promise<RepaymentWrite[]> {
    const stores = createInMemoryStores(BOOKED_AT);
    const loan = seedLoan(stores);
    const writes: RepaymentWrite[] = [];
    const repayments = writingThrough(stores, async (change) => {
      writes.push(change);
    });
    const keyReservation = { take: async () => {}, inTransaction: () => reservation };
    await commitLedgerChange({ repayments, clock: stores.clock, ...(withKey ? { keyReservation } : {}) }, loan, { valueDate: '2025-04-01', seq: 1 }, (ledger) => ({
      ledger,
      items: Array.from({ length: 99 }, () => ({}) as BookedItem),
      entries: [],
      rebooked: 98,
      record: null,
      result: 'written',
    }));
    return writes;
  }

  it('writes a change of exactly 100 items', async () => {
    const writes = await commitHundred(false);
    expect(writes).toHaveLength(1);
    expect(writes[0]!.items).toHaveLength(99);
    expect(writes[0]!.reservation).toBeUndefined();
  });

  it("counts an API request's key reservation among them: the same change under a key is refused, nothing written", async () => {
    const writes: RepaymentWrite[] = [];
    const refusal = await rejectedBy(RuleViolation, async () => writes.push(...(await commitHundred(true))));
    expect([refusal.code, refusal.details]).toEqual(['TOO_MANY_REBOOKINGS', { path: 'valueDate', rebooked: 98, restated: 98 }]);
    expect(writes).toEqual([]);
  });
});

describe('positionsAfter', () => {
  const loan = aLoan();
  const disbursement = disbursementEntry(loan, NOW);
  const opened = loan.fundingPlan.map((p) => applyEntry(openPosition(p.lenderId, loan.loanId, loan.currency), disbursement));

  function entry(entryId: string, legs: JournalEntry['legs']): JournalEntry {
    return { entryId, eventType: 'REPAYMENT', eventId: entryId, loanId: LOAN_ID, currency: 'CNY', businessDate: '2025-04-01', legs, createdAt: NOW };
  }

  const toLead = entry('REPAYMENT#A', [
    { lenderId: LEAD_ID, account: 'SETTLEMENT_CLEARING', side: 'DEBIT', amountMinor: 100n, counterparty: ESCROW },
    { lenderId: LEAD_ID, account: 'PRINCIPAL_RECEIVABLE', side: 'CREDIT', amountMinor: 100n, counterparty: null },
  ]);
  const toLeadAndA = entry('REPAYMENT#B', [
    { lenderId: LEAD_ID, account: 'SETTLEMENT_CLEARING', side: 'DEBIT', amountMinor: 40n, counterparty: ESCROW },
    { lenderId: LEAD_ID, account: 'INTEREST_INCOME', side: 'CREDIT', amountMinor: 40n, counterparty: null },
    { lenderId: PARTNER_A, account: 'SETTLEMENT_CLEARING', side: 'DEBIT', amountMinor: 30n, counterparty: ESCROW },
    { lenderId: PARTNER_A, account: 'INTEREST_INCOME', side: 'CREDIT', amountMinor: 30n, counterparty: null },
  ]);

  it('returns every position of the loan, those the entries touch after all of them, each with the version it was read at', () => {
    const changed = positionsAfter(loan, opened, [toLead, toLeadAndA]);
    expect(changed).toEqual([
      {
        position: { lenderId: LEAD_ID, loanId: LOAN_ID, currency: 'CNY', balancesMinor: { PRINCIPAL_RECEIVABLE: 399_900n, SETTLEMENT_CLEARING: -399_860n, INTEREST_INCOME: -40n }, version: 3 },
        expectedVersion: 1,
      },
      {
        position: { lenderId: PARTNER_A, loanId: LOAN_ID, currency: 'CNY', balancesMinor: { PRINCIPAL_RECEIVABLE: 300_000n, SETTLEMENT_CLEARING: -299_970n, INTEREST_INCOME: -30n }, version: 2 },
        expectedVersion: 1,
      },
      { position: opened[2], expectedVersion: 1 },
    ]);
  });

  it('opens a position the loan does not have yet, expected at version 0', () => {
    const changed = positionsAfter(loan, [], [toLeadAndA]);
    expect(changed.map((c) => [c.position.lenderId, c.position.version, c.expectedVersion, c.position.balancesMinor])).toEqual([
      [LEAD_ID, 1, 0, { SETTLEMENT_CLEARING: 40n, INTEREST_INCOME: -40n }],
      [PARTNER_A, 1, 0, { SETTLEMENT_CLEARING: 30n, INTEREST_INCOME: -30n }],
    ]);
  });

  it('returns every position unchanged for no entries', () => {
    expect(positionsAfter(loan, opened, [])).toEqual(opened.map((position) => ({ position, expectedVersion: 1 })));
  });
});

describe('cachedLoans', () => {
  function countingStore() {
    const reads: string[] = [];
    return {
      reads,
      store: {
        get: async (loanId: string): Promise<Loan | null> => {
          reads.push(loanId);
          return loanId.startsWith('LN-') ? aLoan({ loanId }) : null;
        },
      },
    };
  }

  it('reads a loan once however often it is asked for', async () => {
    const { reads, store } = countingStore();
    const loan = cachedLoans(store);
    const first = await loan(LOAN_ID);
    expect(first?.loanId).toBe(LOAN_ID);
    expect(await loan(LOAN_ID)).toBe(first);
    expect(await loan(LOAN_ID)).toBe(first);
    expect(reads).toEqual([LOAN_ID]);
  });

  it('does not remember a loan that does not exist', async () => {
    const { reads, store } = countingStore();
    const loan = cachedLoans(store);
    expect(await loan('NONE')).toBeNull();
    expect(await loan('NONE')).toBeNull();
    expect(reads).toEqual(['NONE', 'NONE']);
  });

  it('at capacity, lets the least recently used loan go', async () => {
    const { reads, store } = countingStore();
    const loan = cachedLoans(store, 2);
    await loan('LN-A');
    await loan('LN-B');
    await loan('LN-A'); // LN-B is now the least recently used
    await loan('LN-C'); // evicts LN-B
    expect(reads).toEqual(['LN-A', 'LN-B', 'LN-C']);
    await loan('LN-A');
    await loan('LN-C');
    expect(reads).toEqual(['LN-A', 'LN-B', 'LN-C']);
    await loan('LN-B');
    expect(reads).toEqual(['LN-A', 'LN-B', 'LN-C', 'LN-B']);
  });
});

describe('bookLoanEvent: BUYBACK', () => {
  /** The lead buys PARTNER-A's share (the test loan's program lets the lead or the guarantor buy, at par). */
  function buyback(valueDate: string, overrides: Partial<Extract<LoanEventRequestBody, { type: 'BUYBACK' }>> = {}): LoanEventRequestBody {
    return { type: 'BUYBACK', eventId: 'B-1', valueDate, reason: 'Partner exit', sellerLenderId: PARTNER_A, buyerId: LEAD_ID, expectedPriceMinor: null, ...overrides };
  }

  function expectLedgerVerifies(stores: InMemoryStores): void {
    expect(verifyLoanLedger(LOAN_ID, loanEntries(stores, LOAN_ID), loanPositions(stores, LOAN_ID))).toEqual([]);
    expectPositionsAreTheFold(stores, LOAN_ID);
  }

  it('books one entry at the price of the value date, answers a delivery again with it, and refuses the id with other content', async () => {
    // 2025-03-15: 300,000 and PARTNER-A's 30% of 1,000,000 × 7.25% × 14 / 360 = 2,819 → 846.
    const { stores, deps } = setup();
    const first = await bookLoanEvent(deps, LOAN_ID, buyback('2025-03-15', { expectedPriceMinor: 300_846n }));
    expect(first).toMatchObject({
      status: 'BOOKED',
      entryIds: ['BUYBACK#B-1'],
      event: {
        type: 'BUYBACK',
        entryId: 'BUYBACK#B-1',
        transfer: null,
        buyback: {
          sellerLenderId: PARTNER_A,
          buyerId: LEAD_ID,
          expectedPriceMinor: '300846',
          price: { principalMinor: '300000', interestMinor: '846', penaltyMinor: '0', premiumMinor: '0', priceMinor: '300846' },
        },
      },
    });
    expect(loanPositions(stores, LOAN_ID).map((p) => [p.lenderId, p.balancesMinor.PRINCIPAL_RECEIVABLE, p.balancesMinor.INTEREST_INCOME, p.balancesMinor.SETTLEMENT_CLEARING])).toEqual([
      [LEAD_ID, 700_000n, 846n, -700_846n],
      [PARTNER_A, 0n, -846n, 846n],
      [PARTNER_B, 300_000n, undefined, -300_000n],
    ]);
    expectLedgerVerifies(stores);

    const again = await bookLoanEvent(deps, LOAN_ID, buyback('2025-03-15', { expectedPriceMinor: 300_846n }));
    expect(again).toEqual({ status: 'REPLAYED', event: { ...first.event, rebooked: [] }, entryIds: [] });
    for (const other of [{ buyerId: PARTNER_B }, { expectedPriceMinor: null }, { valueDate: '2025-03-16' }]) {
      const refused = await rejectedBy(StateConflict, () => bookLoanEvent(deps, LOAN_ID, { ...buyback('2025-03-15', { expectedPriceMinor: 300_846n }), ...other }));
      expect([refused.code, refused.details.path]).toEqual(['EVENT_ID_REUSED', 'eventId']);
    }
    expect(stores.db.transactions).toBe(1);
  });

  it('refuses a stated price that is not the price with 409 BUYBACK_PRICE_MISMATCH naming both, and books nothing', async () => {
    const { stores, deps } = setup();
    const refused = await rejectedBy(StateConflict, () => bookLoanEvent(deps, LOAN_ID, buyback('2025-03-15', { expectedPriceMinor: 300_000n })));
    expect(refused.code).toBe('BUYBACK_PRICE_MISMATCH');
    expect(refused.details).toEqual({
      path: 'expectedPriceMinor',
      expectedPriceMinor: '300000',
      priceMinor: '300846',
      principalMinor: '300000',
      interestMinor: '846',
      penaltyMinor: '0',
      premiumMinor: '0',
    });
    expect(stores.db.transactions).toBe(0);
    expect(stores.db.repaymentLedgers.get(LOAN_ID)?.version).toBe(1);
    expect(loanEntries(stores, LOAN_ID).map((e) => e.entryId)).toEqual([`DISBURSEMENT#${LOAN_ID}`]);
  });

  it('refuses, writing nothing, a buyer the program does not allow and a value date in the future', async () => {
    const { stores, deps } = setup();
    await expect(bookLoanEvent(deps, LOAN_ID, buyback('2025-03-15', { buyerId: PARTNER_B }))).rejects.toMatchObject({ code: 'BUYBACK_BUYER_NOT_ALLOWED', details: { path: 'buyerId' } });
    await expect(bookLoanEvent(deps, LOAN_ID, buyback('2025-05-06'))).rejects.toMatchObject({ code: 'VALUE_DATE_IN_FUTURE', details: { path: 'valueDate' } });
    await expect(bookLoanEvent(deps, LOAN_ID, buyback('2025-02-28'))).rejects.toMatchObject({ code: 'VALUE_DATE_BEFORE_DISBURSEMENT', details: { path: 'valueDate' } });
    expect(stores.db.transactions).toBe(0);
  });

  it('splits a repayment after the value date to the buyer for the share it bought', async () => {
    // Instalment 1 (80,600 + 6,042) by outstanding 700,000 / 300,000: PARTNER-B 24,180 + 1,813,
    // the lead the rest, 56,420 + 4,229; PARTNER-A nothing.
    const { stores, deps } = setup();
    await bookLoanEvent(deps, LOAN_ID, buyback('2025-03-15'));
    const result = await splitAndBook(deps, R1);
    expect(view(result).split.lenders).toEqual([lender(LEAD_ID, '56420', '4229'), lender(PARTNER_A, '0', '0'), lender(PARTNER_B, '24180', '1813')]);
    expect(stores.db.entries.get(`${LOAN_ID}#REPAYMENT#R-1`)?.legs.some((l) => l.lenderId === PARTNER_A)).toBe(false);
    expectLedgerVerifies(stores);
  });

  it('restates the buyback when a repayment with an earlier value date arrives after it: the price of the fold, one REBOOK entry', async () => {
    // Booked first on 2025-04-11 with instalment 1 unpaid: 300,000, its interest 6,042 → 1,813 and
    // 10 days accrued on 919,400 (1,852 → 556): 302,369. Then instalment 1, paid on 2025-04-01,
    // arrives: PARTNER-A is paid 24,180 + 1,813 itself and the lead buys 275,820 + 556 = 276,376.
    const { stores, deps } = setup();
    const booked = await bookLoanEvent(deps, LOAN_ID, buyback('2025-04-11', { expectedPriceMinor: 302_369n }));
    expect(booked.event.buyback?.price.priceMinor).toBe('302369');
    const earlier = await splitAndBook(deps, R1);
    expect(view(earlier).split.lenders).toEqual([lender(LEAD_ID, '32240', '2416'), lender(PARTNER_A, '24180', '1813'), lender(PARTNER_B, '24180', '1813')]);
    expect(view(earlier).rebooked).toEqual(['B-1']);
    expect(earlier).toMatchObject({ entryIds: ['REPAYMENT#R-1', 'REBOOK#BUYBACK-B-1#1'] });
    const restated = stores.db.book(LOAN_ID)!.events!.find((e) => e.eventId === 'B-1')!;
    expect(restated).toMatchObject({ generation: 1, entryId: 'REBOOK#BUYBACK-B-1#1' });
    expect(eventViewOf(aLoan(), restated, []).buyback).toEqual({
      sellerLenderId: PARTNER_A,
      buyerId: LEAD_ID,
      expectedPriceMinor: '302369',
      price: { principalMinor: '275820', interestMinor: '556', penaltyMinor: '0', premiumMinor: '0', priceMinor: '276376' },
    });
    const partner = loanPositions(stores, LOAN_ID).find((p) => p.lenderId === PARTNER_A)!;
    expect([partner.balancesMinor.PRINCIPAL_RECEIVABLE, partner.balancesMinor.INTEREST_INCOME, partner.balancesMinor.SETTLEMENT_CLEARING]).toEqual([0n, -(1_813n + 556n), -300_000n + 25_993n + 276_376n]);
    expectLedgerVerifies(stores);
    // The same buyback delivered again is still the one booked, whatever its price became.
    expect((await bookLoanEvent(deps, LOAN_ID, buyback('2025-04-11', { expectedPriceMinor: 302_369n }))).status).toBe('REPLAYED');
  });
});

describe("nothing before the program's start", () => {
  /** The test loan under a program that started on its disbursement date, 2025-03-01. */
  function startedSetup(): { stores: InMemoryStores; deps: RepaymentBookDeps } {
    const stores = createInMemoryStores(BOOKED_AT);
    seedLoan(stores, aLoan({}, { startDate: '2025-03-01' }));
    return { stores, deps: { loan: (id) => stores.loans.get(id), repayments: stores.repayments, programPools: stores.programPools, clock: stores.clock } };
  }

  const beforeStart = { path: 'valueDate', field: 'valueDate', rule: 'program-start', from: '2025-03-01', to: '2025-05-05' };

  it('refuses a repayment valued before the start with DATE_OUT_OF_WINDOW, from the start to today, and writes nothing', async () => {
    const { stores, deps } = startedSetup();
    const result = await splitAndBook(deps, repayment('R-1', '2025-02-28', 86_642n));
    expect(result).toEqual({
      status: 'REFUSED',
      error: { code: 'DATE_OUT_OF_WINDOW', message: "valueDate: must be from 2025-03-01 (the program's start) to 2025-05-05, got 2025-02-28", details: beforeStart },
    });
    expect(stores.db.transactions).toBe(0);
    expect((await splitAndBook(deps, repayment('R-1', '2025-03-01', 1_000n))).status).toBe('BOOKED');
  });

  it('refuses a transfer, a buyback and a write-off valued before the start the same way', async () => {
    const { stores, deps } = startedSetup();
    const events: LoanEventRequestBody[] = [
      { type: 'TRANSFER', eventId: 'T-1', valueDate: '2025-02-28', reason: 'Sale', fromLenderId: PARTNER_A, toLenderId: PARTNER_B, principalMinor: 1_000n },
      { type: 'BUYBACK', eventId: 'B-1', valueDate: '2025-02-28', reason: 'Partner exit', sellerLenderId: PARTNER_A, buyerId: LEAD_ID, expectedPriceMinor: null },
      { type: 'WRITE_OFF', eventId: 'W-1', valueDate: '2025-02-28', reason: 'Fraud' },
    ];
    for (const event of events) {
      const refused = await rejectedBy(ValidationError, () => bookLoanEvent(deps, LOAN_ID, event));
      expect([refused.code, refused.details]).toEqual(['DATE_OUT_OF_WINDOW', beforeStart]);
    }
    expect(stores.db.transactions).toBe(0);
  });

  it('keeps the disbursement as the bound of a loan booked before programs had a start', async () => {
    const stores = createInMemoryStores(BOOKED_AT);
    const booked = aLoan();
    const { startDate: _none, ...terms } = booked.terms;
    seedLoan(stores, { ...booked, terms });
    const deps = { loan: (id: string) => stores.loans.get(id), repayments: stores.repayments, programPools: stores.programPools, clock: stores.clock };
    const result = await splitAndBook(deps, repayment('R-1', '2025-02-28', 86_642n));
    expect(result).toMatchObject({ status: 'REFUSED', error: { code: 'VALUE_DATE_BEFORE_DISBURSEMENT', details: { path: 'valueDate' } } });
  });
});

describe('reverseLossEvent', () => {
  /** The test loan under a program whose guarantor compensates. */
  function guaranteedSetup(): { stores: InMemoryStores; deps: RepaymentBookDeps } {
    const stores = createInMemoryStores(BOOKED_AT);
    seedLoan(
      stores,
      aLoan(
        {},
        {
          participants: [...defaultParticipants(), aParticipant(GUARANTOR_ID, 'GUARANTOR', null, { priority: 5 })],
          fees: { serviceFeeRate: null, guaranteeFeeRate: null, guarantorLenderId: GUARANTOR_ID },
        },
      ),
    );
    return { stores, deps: { loan: (id) => stores.loans.get(id), repayments: stores.repayments, programPools: stores.programPools, clock: stores.clock } };
  }

  const compensation = (eventId: string, valueDate: string): LoanEventRequestBody => ({ type: 'COMPENSATION', eventId, valueDate, reason: 'days past due' });
  const writeOff = (eventId: string, valueDate: string): LoanEventRequestBody => ({ type: 'WRITE_OFF', eventId, valueDate, reason: 'days past due' });
  const reversal = (type: 'COMPENSATION' | 'WRITE_OFF', eventId: string, reversalId: string) => ({ type, eventId, reversalId, reason: 'WRONG_DATE', comment: null });

  /** Each lender's balances that are not zero, by lender: what the book holds. */
  function holdings(stores: InMemoryStores): Record<string, Record<string, bigint>> {
    const out: Record<string, Record<string, bigint>> = {};
    for (const p of loanPositions(stores, LOAN_ID)) {
      const own = Object.fromEntries(Object.entries(p.balancesMinor).filter(([, v]) => v !== undefined && v !== 0n)) as Record<string, bigint>;
      if (Object.keys(own).length > 0) out[p.lenderId] = own;
    }
    return out;
  }

  /** Each lender's principal outstanding as the limits measure it (S35), moved by the book's changes. */
  function measured(stores: InMemoryStores): Record<string, bigint> {
    const out: Record<string, bigint> = {};
    for (const m of stores.db.principalShards.values()) out[m.lenderId] = (out[m.lenderId] ?? 0n) + m.movedMinor;
    return out;
  }

  const nonZero = (amounts: Record<string, bigint>) => Object.fromEntries(Object.entries(amounts).filter(([, v]) => v !== 0n));

  /** The book verifies, and settlement can attribute every entry's movements (each clearing leg between lenders has its component). */
  function expectVerifies(stores: InMemoryStores): void {
    expect(verifyLoanLedger(LOAN_ID, loanEntries(stores, LOAN_ID), loanPositions(stores, LOAN_ID))).toEqual([]);
    expectPositionsAreTheFold(stores, LOAN_ID);
    for (const entry of loanEntries(stores, LOAN_ID)) expect(() => movementsOf(entry), entry.entryId).not.toThrow();
  }

  const DISBURSED = {
    [LEAD_ID]: { PRINCIPAL_RECEIVABLE: 400_000n, SETTLEMENT_CLEARING: -400_000n },
    [PARTNER_A]: { PRINCIPAL_RECEIVABLE: 300_000n, SETTLEMENT_CLEARING: -300_000n },
    [PARTNER_B]: { PRINCIPAL_RECEIVABLE: 300_000n, SETTLEMENT_CLEARING: -300_000n },
  };

  it('undoes a compensation to the fen: the mirror of its legs naming it, the positions and the measure of outstanding as before it', async () => {
    const { stores, deps } = guaranteedSetup();
    expect(holdings(stores)).toEqual(DISBURSED);
    await bookLoanEvent(deps, LOAN_ID, compensation('RISK-2025-03-15', '2025-03-15'));
    // Nothing was due on 2025-03-15: the guarantor pays each lender its principal, 1,000,000 in all, and holds the claim.
    expect(holdings(stores)).toEqual({
      [GUARANTOR_ID]: { GUARANTEE_RECEIVABLE: 1_000_000n, SETTLEMENT_CLEARING: -1_000_000n },
    });
    expect(measured(stores)).toEqual({ [LEAD_ID]: -400_000n, [PARTNER_A]: -300_000n, [PARTNER_B]: -300_000n });

    const reversed = await reverseLossEvent(deps, LOAN_ID, reversal('COMPENSATION', 'RISK-2025-03-15', 'REV-C-1'));
    expect(reversed).toMatchObject({
      status: 'REVERSED',
      entryIds: ['REVERSAL#REV-C-1'],
      event: { type: 'COMPENSATION', eventId: 'RISK-2025-03-15', reversal: { reversalId: 'REV-C-1', reason: 'WRONG_DATE', comment: null, entryId: 'REVERSAL#REV-C-1' } },
    });
    expect(holdings(stores)).toEqual(DISBURSED);
    expect(measured(stores)).toEqual({ [LEAD_ID]: 0n, [PARTNER_A]: 0n, [PARTNER_B]: 0n });
    const original = stores.db.entries.get(`${LOAN_ID}#COMPENSATION#RISK-2025-03-15`)!;
    const mirror = stores.db.entries.get(`${LOAN_ID}#REVERSAL#REV-C-1`)!;
    expect(mirror).toMatchObject({ eventType: 'REVERSAL', eventId: 'REV-C-1', reverses: 'COMPENSATION#RISK-2025-03-15', businessDate: '2025-05-05' });
    expect(mirror.legs.map(({ component: _c, ...leg }) => leg)).toEqual(original.legs.map((leg) => ({ ...leg, side: leg.side === 'DEBIT' ? 'CREDIT' : 'DEBIT' })));
    // Its clearing between the guarantor and the lenders names what it settles, as the compensation's type told settlement.
    expect(new Set(mirror.legs.filter((leg) => leg.account === 'SETTLEMENT_CLEARING').map((leg) => leg.component))).toEqual(new Set(['GUARANTEE']));
    expectVerifies(stores);
    // The account is the loan's as if never compensated: a payment is split to the lenders again, not recovered.
    const paid = await splitAndBook(deps, repayment('R-1', '2025-04-01', 86_642n));
    expect(paid).toMatchObject({ status: 'BOOKED', repayment: { split: { recovery: null, lenders: [lender(LEAD_ID, '32240', '2416'), lender(PARTNER_A, '24180', '1813'), lender(PARTNER_B, '24180', '1813')] } } });
  });

  it('answers the same reversal again, refuses a second reversal of the event (ALREADY_REVERSED) and an unknown event, writing nothing', async () => {
    const { stores, deps } = guaranteedSetup();
    await bookLoanEvent(deps, LOAN_ID, compensation('C-1', '2025-03-15'));
    const first = await reverseLossEvent(deps, LOAN_ID, reversal('COMPENSATION', 'C-1', 'REV-1'));
    const transactions = stores.db.transactions;
    const again = await reverseLossEvent(deps, LOAN_ID, reversal('COMPENSATION', 'C-1', 'REV-1'));
    expect(again).toEqual({ status: 'REPLAYED', event: { ...first.event, rebooked: [] }, entryIds: [] });
    const second = await rejectedBy(StateConflict, () => reverseLossEvent(deps, LOAN_ID, reversal('COMPENSATION', 'C-1', 'REV-2')));
    expect([second.code, second.details]).toEqual(['ALREADY_REVERSED', { path: 'reversalId', reversalId: 'REV-1' }]);
    const unknown = await rejectedBy(RuleViolation, () => reverseLossEvent(deps, LOAN_ID, reversal('WRITE_OFF', 'C-1', 'REV-3')));
    expect([unknown.code, unknown.details]).toEqual(['LOSS_EVENT_NOT_FOUND', { path: 'eventId', type: 'WRITE_OFF', eventId: 'C-1' }]);
    expect(stores.db.transactions).toBe(transactions);
  });

  it('refuses a reversal id that already reversed another event of the loan (REVERSAL_ID_REUSED)', async () => {
    const { deps } = guaranteedSetup();
    await bookLoanEvent(deps, LOAN_ID, compensation('C-1', '2025-03-15'));
    await bookLoanEvent(deps, LOAN_ID, writeOff('W-1', '2025-03-20'));
    await reverseLossEvent(deps, LOAN_ID, reversal('WRITE_OFF', 'W-1', 'REV-1'));
    const reused = await rejectedBy(StateConflict, () => reverseLossEvent(deps, LOAN_ID, reversal('COMPENSATION', 'C-1', 'REV-1')));
    expect([reused.code, reused.details.path]).toEqual(['REVERSAL_ID_REUSED', 'reversalId']);
  });

  it('restates the events after it: a recovery becomes a payment to the lenders, a write-off of the claim a write-off of the lenders', async () => {
    const { stores, deps } = guaranteedSetup();
    // Instalment 1 (due 2025-04-01) unpaid: on 2025-04-10 the guarantor pays the principal and the overdue interest.
    await bookLoanEvent(deps, LOAN_ID, compensation('RISK-2025-04-10', '2025-04-10'));
    const recovered = await splitAndBook(deps, repayment('R-1', '2025-04-20', 50_000n));
    expect(recovered).toMatchObject({ status: 'BOOKED', repayment: { split: { recovery: { account: 'GUARANTEE_RECEIVABLE', parties: [{ partyId: GUARANTOR_ID, amountMinor: '50000' }] } } } });
    await bookLoanEvent(deps, LOAN_ID, writeOff('RISK-2025-04-30', '2025-04-30'));

    const reversed = await reverseLossEvent(deps, LOAN_ID, reversal('COMPENSATION', 'RISK-2025-04-10', 'REV-C'));
    expect(reversed.event.rebooked).toEqual(['R-1', 'RISK-2025-04-30']);
    expect(reversed.entryIds).toEqual(['REVERSAL#REV-C', 'REBOOK#R-1#1', 'REBOOK#WRITE_OFF-RISK-2025-04-30#1']);
    expectVerifies(stores);

    // The same payment and write-off booked on a loan never compensated hold exactly the same.
    const twin = guaranteedSetup();
    await splitAndBook(twin.deps, repayment('R-1', '2025-04-20', 50_000n));
    await bookLoanEvent(twin.deps, LOAN_ID, writeOff('RISK-2025-04-30', '2025-04-30'));
    expect(holdings(stores)).toEqual(holdings(twin.stores));
    expect(measured(stores)).toEqual(measured(twin.stores));
  });

  it("undoes a write-off under the lead's first loss and gives its first loss back to the program's pool", async () => {
    const stores = createInMemoryStores(BOOKED_AT);
    seedLoan(stores, aLoan({}, { lossSharing: { method: 'LEAD_FIRST_LOSS', leadFirstLossCapBps: 1000, guaranteeTriggerDpd: null, guaranteeCoversInterest: true, writeOffDpd: null } }));
    const deps: RepaymentBookDeps = { loan: (id) => stores.loans.get(id), repayments: stores.repayments, programPools: stores.programPools, clock: stores.clock };
    // The program disbursed 2,000,000: the lead's cap is 200,000, of which 30,000 is taken.
    stores.db.programPools.set(`${PROGRAM_ID}#FIRST_LOSS`, { programId: PROGRAM_ID, kind: 'FIRST_LOSS', baseMinor: 2_000_000n, baseAsOf: '2025-05-04', usedMinor: 30_000n, version: 3 });
    await bookLoanEvent(deps, LOAN_ID, writeOff('W-1', '2025-04-10'));
    // The lead absorbs its room, 170,000, first; the other 830,000 is lost pro rata.
    expect(stores.db.programPools.get(`${PROGRAM_ID}#FIRST_LOSS`)).toMatchObject({ usedMinor: 200_000n, version: 4 });
    await reverseLossEvent(deps, LOAN_ID, reversal('WRITE_OFF', 'W-1', 'REV-W'));
    expect(stores.db.programPools.get(`${PROGRAM_ID}#FIRST_LOSS`)).toMatchObject({ usedMinor: 30_000n, version: 5 });
    expect(holdings(stores)).toEqual(DISBURSED);
    expectVerifies(stores);
  });

  it('property: the reversal of any loss event leaves the book holding what it would hold had the event never been booked', async () => {
    const payments = fc.array(fc.record({ day: fc.integer({ min: 0, max: 60 }), amountMinor: fc.bigInt({ min: 1n, max: 120_000n }) }), { maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(payments, fc.constantFrom('COMPENSATION' as const, 'WRITE_OFF' as const), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 4 }), async (paid, type, lossDay, at) => {
        const book = guaranteedSetup();
        const twin = guaranteedSetup();
        const valueOf = (day: number) => addDays('2025-03-01', day);
        const rows = paid.map((p, i) => repayment(`R-${i}`, valueOf(p.day), p.amountMinor));
        let booked = false;
        for (const [i, row] of rows.entries()) {
          if (i === at) booked = await lossBooked(book.deps, type, valueOf(lossDay));
          await splitAndBook(book.deps, row);
          await splitAndBook(twin.deps, row);
        }
        if (at >= rows.length) booked = await lossBooked(book.deps, type, valueOf(lossDay));
        if (!booked) return;
        await reverseLossEvent(book.deps, LOAN_ID, reversal(type, 'L-1', 'REV-L-1'));
        expect(verifyLoanLedger(LOAN_ID, loanEntries(book.stores, LOAN_ID), loanPositions(book.stores, LOAN_ID))).toEqual([]);
        expect(holdings(book.stores)).toEqual(holdings(twin.stores));
        expect(nonZero(measured(book.stores))).toEqual(nonZero(measured(twin.stores)));
      }),
      { numRuns: 60 },
    );
  });

  /** Books the loss event `L-1`; false when the book refuses it as it stands (nothing outstanding, say). */
  async function lossBooked(deps: RepaymentBookDeps, type: 'COMPENSATION' | 'WRITE_OFF', valueDate: string): Promise<boolean> {
    try {
      await bookLoanEvent(deps, LOAN_ID, { type, eventId: 'L-1', valueDate, reason: 'test' });
      return true;
    } catch (error) {
      if (error instanceof RuleViolation) return false;
      throw error;
    }
  }
});
