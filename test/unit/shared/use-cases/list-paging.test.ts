import { describe, expect, it } from 'vitest';
import { RuleViolation, ValidationError } from '../../../../shared/domain/errors.ts';
import { MAX_EXPORTED_BREAKS, allBreaks, listBreaks, reconciliationsOfDate } from '../../../../shared/use-cases/reconciliation.ts';
import type { Reconciliation } from '../../../../shared/ports/stores.ts';
import { PARTNER_A, PARTNER_B, aProgram, defaultLenders, partnerOf, platformFinance } from '../../../support/builders.ts';
import { getLenderPositions, getLenderProfit } from '../../../../functions/positions/use-case.ts';
import { addMonthProfit, lenderProfit } from '../../../../shared/domain/profit.ts';
import { aBreak } from '../../../support/adjustments.ts';
import { rejectedBy } from '../../../support/expect-error.ts';
import { InMemoryBreakStore, InMemoryReconciliationStore, createInMemoryStores, seed } from '../../../support/in-memory-stores.ts';

const breakId = (n: number) => `BK-20250303-PR-${String(n).padStart(20, '0')}`;

async function breaksOf(count: number, lenderOf: (n: number) => string = () => PARTNER_A) {
  const breaks = new InMemoryBreakStore();
  await breaks.upsertFound(Array.from({ length: count }, (_, n) => aBreak({ breakId: breakId(n), lenderId: lenderOf(n), counterparty: lenderOf(n) })));
  return breaks;
}

/** Every page of a listing from the first, and how many pages it took. */
async function walk<T>(page: (cursor: string | undefined) => Promise<{ items: readonly T[]; cursor: string | null }>, limit: number) {
  const items: T[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const found = await page(cursor);
    expect(found.items.length).toBeLessThanOrEqual(limit);
    items.push(...found.items);
    cursor = found.cursor ?? undefined;
    pages += 1;
  } while (cursor !== undefined);
  return { items, pages };
}

describe('GET /v1/breaks, a page at a time', () => {
  it('gives 25 breaks in 3 pages of 10, each once; a partner pages its own lender only', async () => {
    const breaks = await breaksOf(25, (n) => (n % 5 === 0 ? PARTNER_B : PARTNER_A));
    const all = await walk((cursor) => listBreaks({ breaks }, platformFinance, { limit: 10, ...(cursor === undefined ? {} : { cursor }) }), 10);
    expect([all.items.length, new Set(all.items.map((b) => b.breakId)).size, all.pages]).toEqual([25, 25, 3]);
    const own = await walk((cursor) => listBreaks({ breaks }, partnerOf(PARTNER_B), { limit: 2, ...(cursor === undefined ? {} : { cursor }) }), 2);
    expect(own.items.map((b) => b.lenderId)).toEqual(Array(5).fill(PARTNER_B));
  });

  it("refuses a tampered cursor and another listing's cursor with 400 naming cursor", async () => {
    const breaks = await breaksOf(3);
    const first = await listBreaks({ breaks }, platformFinance, { limit: 1 });
    const other = await listBreaks({ breaks }, platformFinance, { state: 'OPEN', limit: 1 });
    for (const cursor of ['%%%', Buffer.from('[1,2]').toString('base64url'), other.cursor ?? '']) {
      const error = await rejectedBy(ValidationError, () => listBreaks({ breaks }, platformFinance, { limit: 1, cursor }));
      expect(error.details).toEqual({ path: 'cursor', rule: 'cursor' });
    }
    expect(first.cursor).not.toBeNull();
  });
});

describe('GET /v1/breaks/export, bounded', () => {
  it(`exports up to ${MAX_EXPORTED_BREAKS} breaks and refuses one more, naming the maximum`, async () => {
    expect(await allBreaks({ breaks: await breaksOf(1_201) }, platformFinance, {})).toHaveLength(1_201);
    const exact = await allBreaks({ breaks: await breaksOf(MAX_EXPORTED_BREAKS) }, platformFinance, {});
    expect(exact).toHaveLength(MAX_EXPORTED_BREAKS);
    const tooMany = await breaksOf(MAX_EXPORTED_BREAKS + 1);
    const error = await rejectedBy(RuleViolation, () => allBreaks({ breaks: tooMany }, platformFinance, {}));
    expect([error.code, error.details]).toEqual(['EXPORT_TOO_LARGE', { path: 'state', rule: 'EXPORT_TOO_LARGE', maxBreaks: 5_000 }]);
  });
});

describe('GET /v1/reconciliations, a page at a time', () => {
  it("gives a date's 7 reconciliations in pages of 3, each once, and a partner only its own", async () => {
    const reconciliations = new InMemoryReconciliationStore();
    for (let n = 0; n < 7; n++) {
      const lenderId = n < 4 ? PARTNER_A : PARTNER_B;
      await reconciliations.put({ reconciliationId: `RC-${n}`, type: 'PARTNER_REPAYMENTS', businessDate: '2025-03-03', counterparty: lenderId, lenderId, createdAt: `2025-03-03T0${n}:00:00.000Z` } as unknown as Reconciliation, 0);
    }
    await reconciliations.put({ reconciliationId: 'RC-other-day', type: 'PARTNER_REPAYMENTS', businessDate: '2025-03-04', counterparty: PARTNER_A, lenderId: PARTNER_A } as unknown as Reconciliation, 0);
    const page = (principal: typeof platformFinance) => (cursor: string | undefined) => reconciliationsOfDate({ reconciliations }, principal, '2025-03-03', undefined, { limit: 3, ...(cursor === undefined ? {} : { cursor }) });
    const all = await walk(page(platformFinance), 3);
    expect([all.items.map((r) => r.reconciliationId).sort(), all.pages]).toEqual([['RC-0', 'RC-1', 'RC-2', 'RC-3', 'RC-4', 'RC-5', 'RC-6'], 3]);
    const own = await walk(page(partnerOf(PARTNER_B)), 3);
    expect(own.items.map((r) => r.reconciliationId).sort()).toEqual(['RC-4', 'RC-5', 'RC-6']);
  });
});

describe('GET /v1/lenders/{lenderId}/positions, a page at a time', () => {
  it("gives a lender's 25 positions in 3 pages of 10, each once in loan id order, and adds up to its principal exactly; another lender's positions are not among them", async () => {
    const stores = createInMemoryStores();
    seed(stores, { lenders: defaultLenders() });
    const loanId = (n: number) => `LN-${String(n).padStart(3, '0')}`;
    for (let n = 0; n < 25; n++) {
      for (const lenderId of [PARTNER_A, PARTNER_B]) {
        const principal = BigInt(n + 1) * 100_001n + (lenderId === PARTNER_B ? 7n : 0n);
        stores.db.positions.set(`${loanId(n)}#${lenderId}`, { lenderId, loanId: loanId(n), currency: 'CNY', balancesMinor: { PRINCIPAL_RECEIVABLE: principal, SETTLEMENT_CLEARING: -principal }, version: 1 });
      }
    }
    const all = await walk(async (cursor) => {
      const page = await getLenderPositions(stores, partnerOf(PARTNER_A), PARTNER_A, { limit: 10, ...(cursor === undefined ? {} : { cursor }) });
      return { items: page.positions, cursor: page.cursor };
    }, 10);
    expect([all.items.map((p) => p.loanId), all.pages]).toEqual([Array.from({ length: 25 }, (_, n) => loanId(n)), 3]);
    // (1 + 2 + … + 25) × 100,001
    expect(all.items.reduce((sum, p) => sum + p.outstandingPrincipalMinor, 0n)).toBe(32_500_325n);
  });
});

describe('GET /v1/lenders/{lenderId}/profit, a page at a time', () => {
  it("reads a month's 2,500 entries not kept yet in pages of at most 1,000, which add up to the month's figures read whole, to the fen", async () => {
    const stores = createInMemoryStores('2025-03-20T15:00:00.000Z'); // 23:00 in Beijing: 03-21 is the day booking
    seed(stores, { lenders: defaultLenders(), programs: [aProgram()] });
    for (let n = 0; n < 2_500; n++) {
      const day = `2025-03-${String(1 + (n % 21)).padStart(2, '0')}`;
      const interest = BigInt(1 + ((n * 7_919) % 10_007));
      stores.db.entries.set(`LN-${n}#REPAYMENT#R-${n}`, {
        entryId: `REPAYMENT#R-${n}`,
        eventType: 'REPAYMENT',
        eventId: `R-${n}`,
        loanId: `LN-${n}`,
        currency: 'CNY',
        businessDate: day,
        bookedOn: day,
        createdAt: `${day}T01:00:00.000Z`,
        legs: [
          { lenderId: PARTNER_A, account: 'SETTLEMENT_CLEARING', side: 'DEBIT', amountMinor: interest, counterparty: 'ESCROW' },
          { lenderId: PARTNER_A, account: n % 10 === 0 ? 'PENALTY_INCOME' : 'INTEREST_INCOME', side: 'CREDIT', amountMinor: interest, counterparty: null },
        ],
      });
    }
    const deps = { ...stores, clock: stores.clock };
    const pages = [];
    let page = await getLenderProfit(deps, partnerOf(PARTNER_A), PARTNER_A, '2025-03');
    pages.push(page);
    while (page.cursor !== null) {
      page = await getLenderProfit(deps, partnerOf(PARTNER_A), PARTNER_A, '2025-03', page.cursor);
      pages.push(page);
    }
    expect(pages.map((p) => p.byCurrency[0]?.entries)).toEqual([1_000, 1_000, 500]);
    const sum = pages.reduce((all, p) => addMonthProfit(all, p.byCurrency), [] as ReturnType<typeof addMonthProfit>);
    const reference = lenderProfit(PARTNER_A, '2025-03', [...stores.db.entries.values()], () => null, { guarantors: new Set() });
    expect(sum).toEqual(reference.byCurrency.map(({ loans: _loans, ...line }) => line));
    expect(sum[0]?.entries).toBe(2_500);
  });

  it("refuses another month's cursor with 400 naming cursor", async () => {
    const stores = createInMemoryStores('2025-03-20T15:00:00.000Z');
    seed(stores, { lenders: defaultLenders(), programs: [aProgram()] });
    const deps = { ...stores, clock: stores.clock };
    const other = Buffer.from(JSON.stringify({ pk: 'LOAN#LN-1', sk: 'ENTRY#X', gsi1pk: 'ENTRYDATE#2025-02-03#01', gsi1sk: 'LN-1#X' })).toString('base64url');
    const error = await rejectedBy(ValidationError, () => getLenderProfit(deps, partnerOf(PARTNER_A), PARTNER_A, '2025-03', other));
    expect(error.details).toEqual({ path: 'cursor', rule: 'cursor' });
  });
});
