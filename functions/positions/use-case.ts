import { NotFound } from '../../shared/domain/errors.ts';
import { canSeeLender, type Principal } from '../../shared/domain/access.ts';
import { outstandingPrincipalMinor, type Balances } from '../../shared/domain/ledger.ts';
import { addProfitLine, monthRange, profitFigures, profitLineOf, type MonthProfitLine, type ProfitLine } from '../../shared/domain/profit.ts';
import { cutoffDayAt } from '../../shared/domain/business-date.ts';
import { latestVersions } from '../../shared/domain/program.ts';
import { lenderOutstandingNow, type OutstandingDeps } from '../../shared/use-cases/outstanding.ts';
import type { Clock, LedgerStore, LenderStore, PageRequest, ProgramStore, SettlementBooks } from '../../shared/ports/stores.ts';

export interface PositionDeps extends OutstandingDeps {
  readonly lenders: LenderStore;
  readonly ledger: LedgerStore;
}

export interface LenderPosition {
  readonly loanId: string;
  readonly currency: string;
  readonly outstandingPrincipalMinor: bigint;
  readonly balancesMinor: Balances;
}

/** A page of a lender's positions, and the cursor of the next page (null on the last). */
export interface LenderPositionsPage {
  readonly lenderId: string;
  /**
   * On every page, the lender's principal outstanding over all its loans and its quota reserved
   * for plans not booked yet: the measure its limits are judged by, equal to the sum of
   * `outstandingPrincipalMinor` over every page (docs/allocation.md).
   */
  readonly outstanding: { readonly currency: string; readonly principalMinor: bigint; readonly reservedMinor: bigint };
  readonly positions: readonly LenderPosition[];
  readonly cursor: string | null;
}

/**
 * `GET /v1/lenders/{lenderId}/positions`: a page of the lender's positions, one per loan it holds
 * or held, in loan id order. A page is one bounded read (docs/access-patterns.md, Listings), with
 * the lender's outstanding principal over all its loans from the measure its limits use.
 */
export async function getLenderPositions(deps: PositionDeps, principal: Principal, lenderId: string, page: PageRequest): Promise<LenderPositionsPage> {
  const lender = canSeeLender(principal, lenderId) ? await deps.lenders.get(lenderId) : null;
  if (!lender) throw new NotFound('lender', lenderId);
  // The page first: a cursor refused is refused before anything else is read.
  const found = await deps.ledger.positionsOfLender(lenderId, page);
  const held = await lenderOutstandingNow(deps, lenderId);
  const positions = found.items.map((p) => ({ loanId: p.loanId, currency: p.currency, outstandingPrincipalMinor: outstandingPrincipalMinor(p), balancesMinor: p.balancesMinor }));
  const outstanding = { currency: lender.currency, principalMinor: held.outstandingMinor, reservedMinor: held.reservedMinor };
  return { lenderId, outstanding, positions, cursor: found.cursor };
}

/** What the monthly profit reads. */
export interface ProfitDeps {
  readonly lenders: Pick<LenderStore, 'get' | 'list'>;
  readonly ledger: Pick<LedgerStore, 'entryPageOfDays'>;
  readonly settlements: Pick<SettlementBooks, 'profitDaysKept' | 'lenderProfitDays'>;
  readonly programs: Pick<ProgramStore, 'list'>;
  readonly clock: Clock;
}

/** Entries one page of the days not kept yet reads at most. */
export const PROFIT_PAGE_ENTRIES = 1_000;

/**
 * A part of a lender's profit of a month: the first page holds the days the daily settlement kept
 * (every day from the 1st through `keptThrough`) and the first entries of the days after it; each
 * next page (from `cursor`) the next entries. The month's figures are the sum of its pages'.
 */
export interface MonthProfitPage {
  readonly lenderId: string;
  readonly month: string;
  readonly from: string;
  readonly to: string;
  /** The last day of the kept days this page adds up (null: none, or not the first page). */
  readonly keptThrough: string | null;
  readonly byCurrency: readonly MonthProfitLine[];
  readonly cursor: string | null;
}

/**
 * `GET /v1/lenders/{lenderId}/profit?month=YYYY-MM`: the lender's profit of the month, per
 * currency, from its legs of the entries booked in the month (by settlement day), in bounded
 * reads: the lines the daily settlement kept per lender and closed day (S39, one Query of at most
 * 31 items, after the month's marks, S40), then the entries of the days not kept yet, up to the
 * last day any program is booking in, a page at a time (at most 16 queries and 1,000 entries).
 * A lender that only guarantees reports its fee income as guarantee fees, a service partner as its
 * share; fees a lender paid to a guarantor are its guarantee cost. docs/profit-sharing.md.
 */
export async function getLenderProfit(deps: ProfitDeps, principal: Principal | null, lenderId: string, month: string, cursor?: string): Promise<MonthProfitPage> {
  const { from, to, days } = monthRange(month);
  const lender = principal === null || canSeeLender(principal, lenderId) ? await deps.lenders.get(lenderId) : null;
  if (!lender) throw new NotFound('lender', lenderId);
  const funds = lender.roles.includes('LEAD') || lender.roles.includes('PARTNER');
  const guarantors = new Set((await deps.lenders.list()).filter((l) => l.roles.includes('GUARANTOR')).map((l) => l.lenderId));
  const roles = { guarantorOnly: lender.roles.includes('GUARANTOR') && !funds, servicePartner: lender.roles.includes('SERVICE_PARTNER') && !funds, guarantors };
  const lastOpen = await lastDayBooking(deps);
  const open = days.filter((day) => lastOpen !== null && day <= lastOpen);
  const lines = new Map<string, ProfitLine>();
  let keptThrough: string | null = null;
  let live = open;
  if (cursor === undefined) {
    const kept = new Set(await deps.settlements.profitDaysKept(month));
    const firstNotKept = days.findIndex((day) => !kept.has(day));
    keptThrough = firstNotKept === 0 ? null : (days[(firstNotKept === -1 ? days.length : firstNotKept) - 1] ?? null);
    if (keptThrough !== null) {
      for (const day of await deps.settlements.lenderProfitDays(lenderId, from, keptThrough)) for (const line of day.lines) addProfitLine(lines, line);
      const after = keptThrough;
      live = open.filter((day) => day > after);
    }
  }
  const page = live.length === 0 && cursor === undefined ? { items: [], cursor: null } : await deps.ledger.entryPageOfDays(live, { limit: PROFIT_PAGE_ENTRIES, cursor });
  for (const entry of page.items) {
    const line = profitLineOf(lenderId, entry);
    if (line !== null) addProfitLine(lines, line);
  }
  return { lenderId, month, from, to, keptThrough, byCurrency: profitFigures(lines.values(), roles), cursor: page.cursor };
}

/** The latest settlement day any program books in now (its cut-off passed, the next day): no entry is in a later day's index. */
async function lastDayBooking(deps: Pick<ProfitDeps, 'programs' | 'clock'>): Promise<string | null> {
  const now = deps.clock.now();
  const days = latestVersions(await deps.programs.list()).map((p) => cutoffDayAt(now, p.settlement));
  return days.length === 0 ? null : days.reduce((a, b) => (a > b ? a : b));
}
