import { addDays } from '../domain/money/index.ts';
import { latestCutoffDayAt } from '../domain/business-date.ts';
import { balancesBefore, type Leg, type Position } from '../domain/ledger.ts';
import { latestVersions } from '../domain/program.ts';
import type { Clock, LedgerStore, LoanStore, ProgramStore, SettlementBooks } from '../ports/stores.ts';

export interface PositionsAtDeps {
  readonly loans: Pick<LoanStore, 'loanIdsOfShard'>;
  readonly settlements: Pick<SettlementBooks, 'loanHeads'>;
  readonly ledger: Pick<LedgerStore, 'entriesOfDayShard'>;
  readonly programs: Pick<ProgramStore, 'list'>;
  readonly clock: Clock;
}

/** Heads read at once: one BatchGet. */
const HEADS_PER_READ = 100;

/**
 * The legs of a shard's entries booked after a date, per `{loanId}#{lenderId}`: the date index of
 * each settlement day since, up to today's under the programs' latest terms.
 */
export async function legsBookedAfter(deps: Pick<PositionsAtDeps, 'ledger' | 'programs' | 'clock'>, businessDate: string, shard: number): Promise<Map<string, Leg[]>> {
  const programs = latestVersions(await deps.programs.list());
  const today = latestCutoffDayAt(deps.clock.now(), programs.map((p) => p.settlement), businessDate);
  const legs = new Map<string, Leg[]>();
  for (let day = addDays(businessDate, 1); day <= today; day = addDays(day, 1)) {
    for (const entry of await deps.ledger.entriesOfDayShard(day, shard)) {
      for (const leg of entry.legs) {
        const key = `${entry.loanId}#${leg.lenderId}`;
        legs.set(key, [...(legs.get(key) ?? []), leg]);
      }
    }
  }
  return legs;
}

/**
 * The loans of a shard with every lender's position at the end of a settlement day: the head's
 * positions (access pattern L6, read a batch at a time) less the legs booked after the day (the
 * date index of each day since, on the same shard). What a day's loan master shows, whatever was
 * booked since. Yields one batch of loans at a time, so a shard is never held whole.
 */
export async function* positionsAtEndOf(deps: PositionsAtDeps, businessDate: string, shard: number): AsyncGenerator<{ readonly loanId: string; readonly positions: readonly Position[] }[]> {
  const later = await legsBookedAfter(deps, businessDate, shard);
  const loanIds = await deps.loans.loanIdsOfShard(shard);
  for (let i = 0; i < loanIds.length; i += HEADS_PER_READ) {
    const heads = await deps.settlements.loanHeads(loanIds.slice(i, i + HEADS_PER_READ));
    yield heads.map((head) => ({
      loanId: head.loanId,
      positions: head.positions.map((p) => ({ ...p, balancesMinor: balancesBefore(p.balancesMinor, later.get(`${head.loanId}#${p.lenderId}`) ?? []) })),
    }));
  }
}
