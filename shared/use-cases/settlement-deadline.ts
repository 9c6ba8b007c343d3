import { businessDateClosedAt } from '../domain/business-date.ts';
import { latestVersions } from '../domain/program.ts';
import { settlementDays } from '../domain/settlement.ts';
import type { SettlementRun, SettlementStore } from '../ports/stores.ts';
import type { MetricsSink } from '../ports/telemetry.ts';
import type { SettlementDeps } from './settlement.ts';

/**
 * The settlement deadline (docs/operations.md, Observability): when the stage's deadline passes,
 * the run of the business date that closed must be SETTLED. A date that no program's calendar
 * settles has nothing to settle; a run missing, still running or failed is late. The check
 * measures SettlementLate (1 late, 0 not), which the deadline alarm watches.
 */

export type DeadlineStatus = SettlementRun['status'] | 'NOT_STARTED' | 'NOTHING_TO_SETTLE';

export interface SettlementDeadlineCheck {
  readonly businessDate: string;
  readonly status: DeadlineStatus;
  readonly late: boolean;
}

export type DeadlineDeps = Pick<SettlementDeps, 'programs' | 'calendar' | 'clock'> & {
  readonly settlements: Pick<SettlementStore, 'getRun'>;
  readonly metrics: MetricsSink;
};

/** Checks the date given, or the one that closed before the schedule fired (in the first program's calendar, as OpenRun dates its run). */
export async function checkSettlementDeadline(deps: DeadlineDeps, input: { businessDate?: string; scheduledTime?: string }): Promise<SettlementDeadlineCheck> {
  const programs = latestVersions(await deps.programs.list());
  const businessDate = input.businessDate ?? businessDateClosedAt(input.scheduledTime ?? deps.clock.now(), programs[0]?.settlement.calendar ?? 'CN');
  const status = await deadlineStatus(deps, programs.map((p) => p.settlement.calendar), businessDate);
  const late = status !== 'SETTLED' && status !== 'NOTHING_TO_SETTLE';
  deps.metrics.measure('settlementLate', late ? 1 : 0);
  return { businessDate, status, late };
}

async function deadlineStatus(deps: DeadlineDeps, calendarIds: readonly string[], businessDate: string): Promise<DeadlineStatus> {
  const run = await deps.settlements.getRun(businessDate);
  if (run !== null) return run.status;
  for (const calendarId of new Set(calendarIds)) {
    if (settlementDays(businessDate, await deps.calendar(calendarId)).length > 0) return 'NOT_STARTED';
  }
  return 'NOTHING_TO_SETTLE';
}
