import { NotFound } from '../../../../shared/domain/errors.ts';
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

describe('getLenderPositions', () => {
  it('lists each loan by id and totals the principal per currency, exactly', async () => {
    const result = await getLenderPositions(seeded(), leadOps, PARTNER_A);
    expect(result.lenderId).toBe(PARTNER_A);
    expect(result.positions.map((p) => [p.loanId, p.currency, p.outstandingPrincipalMinor])).toEqual([
      ['LN-1', 'CNY', 9_007_199_254_740_993n],
      ['LN-2', 'INR', 12_345n],
      ['LN-3', 'CNY', 300_000n],
      ['LN-4', 'CNY', 1n],
    ]);
    expect(result.positions[0]?.balancesMinor).toEqual({ PRINCIPAL_RECEIVABLE: 9_007_199_254_740_993n, SETTLEMENT_CLEARING: -9_007_199_254_740_993n });
    expect(result.totals).toEqual([
      { currency: 'CNY', loans: 3, outstandingPrincipalMinor: 9_007_199_255_040_994n },
      { currency: 'INR', loans: 1, outstandingPrincipalMinor: 12_345n },
    ]);
  });

  it('shows a partner its own positions', async () => {
    const result = await getLenderPositions(seeded(), partnerOf(PARTNER_B), PARTNER_B);
    expect(result.positions.map((p) => p.loanId)).toEqual(['LN-1']);
    expect(result.totals).toEqual([{ currency: 'CNY', loans: 1, outstandingPrincipalMinor: 999n }]);
  });

  it('answers a lender without positions with no totals', async () => {
    expect(await getLenderPositions(seeded(), financeOf('LEAD-BANK'), 'LEAD-BANK')).toEqual({ lenderId: 'LEAD-BANK', positions: [], totals: [] });
  });

  it("answers 404 for another lender's positions and for a lender that does not exist", async () => {
    const hidden = await rejectedBy(NotFound, () => getLenderPositions(seeded(), partnerOf(PARTNER_B), PARTNER_A));
    expect([hidden.message]).toEqual([`lender ${PARTNER_A} was not found`]);
    const missing = await rejectedBy(NotFound, () => getLenderPositions(seeded(), leadOps, 'NOBODY'));
    expect([missing.message]).toEqual(['lender NOBODY was not found']);
  });
});
