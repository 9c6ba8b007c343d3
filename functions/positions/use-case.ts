import { NotFound } from '../../shared/domain/errors.ts';
import { canSeeLender, type Principal } from '../../shared/domain/access.ts';
import { outstandingPrincipalMinor, type Balances } from '../../shared/domain/ledger.ts';
import { lenderProfit, periodDays, type ProfitReport } from '../../shared/domain/profit.ts';
import type { LedgerStore, LenderStore } from '../../shared/ports/stores.ts';

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
  if (!lender) throw new NotFound('lender', lenderId);
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

/** Days of a month read at the same time. */
const DAYS_IN_FLIGHT = 8;

/**
 * `GET /v1/lenders/{lenderId}/profit?month=YYYY-MM`: the lender's profit statement of the period
 * (a month, or a quarter YYYY-Qn), per currency, from its legs of the period's entries (by
 * business date). A lender that only guarantees reports its fee income as guarantee fees, a
 * service partner as its share; fees a lender paid to a guarantor are its guarantee cost.
 */
export async function getLenderProfit(deps: PositionDeps, principal: Principal | null, lenderId: string, month: string): Promise<ProfitReport> {
  const { days } = periodDays(month);
  const lender = principal === null || canSeeLender(principal, lenderId) ? await deps.lenders.get(lenderId) : null;
  if (!lender) throw new NotFound('lender', lenderId);
  const entries = [];
  for (let i = 0; i < days.length; i += DAYS_IN_FLIGHT) {
    const batch = await Promise.all(days.slice(i, i + DAYS_IN_FLIGHT).map((day) => deps.ledger.entriesOfDate(day)));
    entries.push(...batch.flat());
  }
  const funds = lender.roles.includes('LEAD') || lender.roles.includes('PARTNER');
  const guarantorOnly = lender.roles.includes('GUARANTOR') && !funds;
  const guarantors = new Set((await deps.lenders.list()).filter((l) => l.roles.includes('GUARANTOR')).map((l) => l.lenderId));
  return lenderProfit(lenderId, month, entries, () => (guarantorOnly ? lenderId : null), { guarantors, servicePartner: lender.roles.includes('SERVICE_PARTNER') && !funds });
}
