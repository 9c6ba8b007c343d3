import { businessDateAt, PLATFORM_CALENDAR } from '../../shared/domain/business-date.ts';
import { escalateBreaks, type EscalationDeps, type EscalationReport } from '../../shared/use-cases/break-escalation.ts';
import type { MetricsSink } from '../../shared/ports/telemetry.ts';
import type { EscalationInput } from './schema.ts';

/**
 * Breaks age in the platform's calendar: the day is the business date at the schedule's time (or
 * the one given). What the run read is measured as it stands: the open breaks by age band
 * (BreaksOpen, every band, so an emptied band reads 0) and the oldest one's age, which the alarm
 * of breaks older than the stage's limit watches.
 */
export async function runEscalation(deps: EscalationDeps & { readonly metrics: MetricsSink }, input: EscalationInput): Promise<EscalationReport> {
  const today = input.businessDate ?? businessDateAt(input.scheduledTime ?? deps.clock.now(), PLATFORM_CALENDAR);
  const report = await escalateBreaks(deps, today);
  for (const [age, count] of Object.entries(report.openByAge)) deps.metrics.measure('breaksOpen', count, { age });
  deps.metrics.measure('oldestOpenBreakAgeDays', report.oldestOpenAgeDays);
  return report;
}
