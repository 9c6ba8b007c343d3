import { describe, expect, it } from 'vitest';
import { RuleViolation, ValidationError } from '../../../../shared/domain/errors.ts';
import { MAX_EXPORTED_BREAKS, allBreaks, listBreaks, reconciliationsOfDate } from '../../../../shared/use-cases/reconciliation.ts';
import type { Reconciliation } from '../../../../shared/ports/stores.ts';
import { PARTNER_A, PARTNER_B, partnerOf, platformFinance } from '../../../support/builders.ts';
import { aBreak } from '../../../support/adjustments.ts';
import { rejectedBy } from '../../../support/expect-error.ts';
import { InMemoryBreakStore, InMemoryReconciliationStore } from '../../../support/in-memory-stores.ts';

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
