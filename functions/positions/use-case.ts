import { canSeeLender, type Principal } from '../../shared/domain/access.ts';
import { outstandingPrincipalMinor, type Balances } from '../../shared/domain/ledger.ts';
import type { LedgerStore, LenderStore } from '../../shared/ports/stores.ts';
import { notFound } from '../../shared/http/errors.ts';

export interface PositionDeps {
  readonly lenders: LenderStore;
  readonly ledger: LedgerStore;
}

export interface LenderPositions {
  readonly lenderId: string;
  readonly positions: readonly {
    readonly loanId: string;
    readonly currency: string;
    readonly outstandingPrincipalMinor: bigint;
    readonly balancesMinor: Balances;
  }[];
  readonly totals: readonly { readonly currency: string; readonly loans: number; readonly outstandingPrincipalMinor: bigint }[];
}

/** Per-loan positions and their total per currency; the total is summed here, never stored. */
export async function getLenderPositions(deps: PositionDeps, principal: Principal, lenderId: string): Promise<LenderPositions> {
  const lender = canSeeLender(principal, lenderId) ? await deps.lenders.get(lenderId) : null;
  if (!lender) throw notFound('lender', lenderId);
  const stored = await deps.ledger.positionsOfLender(lenderId);
  const positions = stored
    .map((p) => ({ loanId: p.loanId, currency: p.currency, outstandingPrincipalMinor: outstandingPrincipalMinor(p), balancesMinor: p.balancesMinor }))
    .sort((a, b) => a.loanId.localeCompare(b.loanId));
  const totals = new Map<string, { currency: string; loans: number; outstandingPrincipalMinor: bigint }>();
  for (const p of positions) {
    const t = totals.get(p.currency) ?? { currency: p.currency, loans: 0, outstandingPrincipalMinor: 0n };
    totals.set(p.currency, { ...t, loans: t.loans + 1, outstandingPrincipalMinor: t.outstandingPrincipalMinor + p.outstandingPrincipalMinor });
  }
  return { lenderId, positions, totals: [...totals.values()].sort((a, b) => a.currency.localeCompare(b.currency)) };
}
