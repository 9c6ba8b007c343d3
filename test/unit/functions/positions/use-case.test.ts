import { NotFound, ValidationError } from '../../../../shared/domain/errors.ts';
import { describe, expect, it } from 'vitest';
import type { Position } from '../../../../shared/domain/ledger.ts';
import { getLenderPositions } from '../../../../functions/positions/use-case.ts';
import { PARTNER_A, PARTNER_B, defaultLenders, financeOf, leadOps, partnerOf } from '../../../support/builders.ts';
import { rejectedBy } from '../../../support/expect-error.ts';
import { createInMemoryStores, seed } from '../../../support/in-memory-stores.ts';

function position(loanId: string, currency: string, principalMinor: bigint, lenderId = PARTNER_A): Position {
  return { lenderId, loanId, currency, balancesMinor: { PRINCIPAL_RECEIVABLE: principalMinor, SETTLEMENT_CLEARING: -principalMinor }, version: 1 };
}

function seeded() {
  const stores = createInMemoryStores();
  seed(stores, { lenders: defaultLenders() });
  const positions = [
    position('LN-3', 'CNY', 300_000n),
    position('LN-1', 'CNY', 9_007_199_254_740_993n),
    position('LN-2', 'INR', 12_345n),
    position('LN-4', 'CNY', 1n),
    position('LN-1', 'CNY', 999n, PARTNER_B),
  ];
  for (const p of positions) stores.db.positions.set(`${p.loanId}#${p.lenderId}`, p);
  return stores;
}

const FIRST = { limit: 50 };

describe('getLenderPositions', () => {
  it('lists each loan by id with its exact outstanding principal and balances', async () => {
    const result = await getLenderPositions(seeded(), leadOps, PARTNER_A, FIRST);
    expect(result.lenderId).toBe(PARTNER_A);
    expect(result.positions.map((p) => [p.loanId, p.currency, p.outstandingPrincipalMinor])).toEqual([
      ['LN-1', 'CNY', 9_007_199_254_740_993n],
      ['LN-2', 'INR', 12_345n],
      ['LN-3', 'CNY', 300_000n],
      ['LN-4', 'CNY', 1n],
    ]);
    expect(result.positions[0]?.balancesMinor).toEqual({ PRINCIPAL_RECEIVABLE: 9_007_199_254_740_993n, SETTLEMENT_CLEARING: -9_007_199_254_740_993n });
    expect(result.cursor).toBeNull();
  });

  it('pages past the first page: 4 positions in pages of 3, each once, the last page without a cursor', async () => {
    const stores = seeded();
    const first = await getLenderPositions(stores, leadOps, PARTNER_A, { limit: 3 });
    expect(first.positions.map((p) => p.loanId)).toEqual(['LN-1', 'LN-2', 'LN-3']);
    expect(first.cursor).not.toBeNull();
    const second = await getLenderPositions(stores, leadOps, PARTNER_A, { limit: 3, cursor: first.cursor ?? undefined });
    expect(second).toEqual({ lenderId: PARTNER_A, outstanding: { currency: 'CNY', principalMinor: 0n, reservedMinor: 0n }, positions: [{ loanId: 'LN-4', currency: 'CNY', outstandingPrincipalMinor: 1n, balancesMinor: { PRINCIPAL_RECEIVABLE: 1n, SETTLEMENT_CLEARING: -1n } }], cursor: null });
  });

  it("refuses another lender's cursor with 400 naming cursor, before reading", async () => {
    const stores = seeded();
    const ofB = await getLenderPositions(stores, leadOps, PARTNER_B, { limit: 1 });
    expect(ofB.cursor).not.toBeNull();
    const error = await rejectedBy(ValidationError, () => getLenderPositions(stores, leadOps, PARTNER_A, { limit: 1, cursor: ofB.cursor ?? undefined }));
    expect(error.details).toEqual({ path: 'cursor', rule: 'cursor' });
  });

  it('shows a partner its own positions', async () => {
    const result = await getLenderPositions(seeded(), partnerOf(PARTNER_B), PARTNER_B, FIRST);
    expect(result.positions.map((p) => [p.loanId, p.outstandingPrincipalMinor])).toEqual([['LN-1', 999n]]);
  });

  it('answers a lender without positions with an empty last page', async () => {
    expect(await getLenderPositions(seeded(), financeOf('LEAD-BANK'), 'LEAD-BANK', FIRST)).toEqual({ lenderId: 'LEAD-BANK', outstanding: { currency: 'CNY', principalMinor: 0n, reservedMinor: 0n }, positions: [], cursor: null });
  });

  it("answers 404 for another lender's positions and for a lender that does not exist", async () => {
    const hidden = await rejectedBy(NotFound, () => getLenderPositions(seeded(), partnerOf(PARTNER_B), PARTNER_A, FIRST));
    expect([hidden.message]).toEqual([`lender ${PARTNER_A} was not found`]);
    const missing = await rejectedBy(NotFound, () => getLenderPositions(seeded(), leadOps, 'NOBODY', FIRST));
    expect([missing.message]).toEqual(['lender NOBODY was not found']);
  });
});
