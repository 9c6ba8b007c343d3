import { restrictedTo, type Principal } from '../domain/access.ts';
import { collectionsByLender, type LenderCollections } from '../domain/collections.ts';
import { ValidationError } from '../domain/errors.ts';
import type { ListedSettlementRun, SettlementRun, SettlementRunIndex } from '../ports/stores.ts';

/**
 * `GET /v1/settlement-runs?from=&to=` (docs/console.md): the settlement runs of a range of dates
 * with each lender's collections of the day, for the finance console's date picker and its chart
 * of collections per lender per day. The runs come from their index (S25), the collections from
 * each settled run's shard items (S26); no journal entry is read again.
 */

/** At most this many runs an answer (and by default): two months of business days and more. */
export const MAX_LISTED_RUNS = 62;
/** The items of this many runs are read at the same time. */
const READ_CONCURRENCY = 16;

export interface SettlementRunsDeps {
  readonly settlements: SettlementRunIndex;
}

/** One run of the list. The platform's teams see every lender and the run's own counts; a lender's callers their own lender's figures only. */
export interface SettlementRunSummary {
  readonly businessDate: string;
  readonly status: SettlementRun['status'];
  readonly attempt: number;
  readonly settledAt: string | null;
  /** The settlement days the run settled, per calendar. */
  readonly daysByCalendar: SettlementRun['daysByCalendar'];
  /** The platform's teams only: entries settled and instructions (the run of the date lists its files). */
  readonly counts?: { readonly entries: number; readonly instructions: number };
  /** Each lender's collections of the date (settled runs only; empty while a run is not settled). */
  readonly collections: readonly LenderCollections[];
}

export interface SettlementRunList {
  /** Oldest first. */
  readonly runs: readonly SettlementRunSummary[];
  /** More runs in the range than listed: the earliest were left out; `cursor` asks for them. */
  readonly truncated: boolean;
  /** The next (earlier) page's cursor; null on the last page. */
  readonly cursor: string | null;
}

/** The latest `limit` runs (at most 62) dated from `from` to `to`, each bound optional and inclusive. */
export async function settlementRuns(
  deps: SettlementRunsDeps,
  principal: Principal,
  query: { readonly from?: string; readonly to?: string; readonly limit?: number; readonly cursor?: string | undefined },
): Promise<SettlementRunList> {
  const { limit = MAX_LISTED_RUNS, cursor, ...range } = query;
  if (range.from !== undefined && range.to !== undefined && range.from > range.to) {
    throw new ValidationError(`from (${range.from}) is after to (${range.to})`, { path: 'from', rule: 'from-not-after-to', from: range.from, to: range.to });
  }
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LISTED_RUNS) {
    throw new ValidationError(`limit must be a whole number from 1 to ${MAX_LISTED_RUNS}, got ${limit}`, { path: 'limit', rule: 'runs-per-answer' });
  }
  const found = await deps.settlements.latestRuns(range, { limit, ...(cursor === undefined ? {} : { cursor }) });
  const runs = [...found.items].reverse();
  const only = restrictedTo(principal);
  const summaries: SettlementRunSummary[] = [];
  for (let i = 0; i < runs.length; i += READ_CONCURRENCY) {
    summaries.push(...(await Promise.all(runs.slice(i, i + READ_CONCURRENCY).map((run) => summaryOf(deps, run, only)))));
  }
  return { runs: summaries, truncated: found.cursor !== null, cursor: found.cursor };
}

async function summaryOf(deps: SettlementRunsDeps, run: ListedSettlementRun, only: string | null): Promise<SettlementRunSummary> {
  const collections = run.status === 'SETTLED' ? collectionsByLender(await deps.settlements.settledItems(run.businessDate)) : [];
  return {
    businessDate: run.businessDate,
    status: run.status,
    attempt: run.attempt,
    settledAt: run.settledAt,
    daysByCalendar: run.daysByCalendar,
    ...(only === null ? { counts: { entries: run.entries, instructions: run.instructions } } : {}),
    collections: only === null ? collections : collections.filter((c) => c.lenderId === only),
  };
}
