import { businessDateAt, PLATFORM_CALENDAR } from '../../shared/domain/business-date.ts';
import { ESCROW } from '../../shared/domain/ledger.ts';
import { escalateBreaks, type EscalationDeps, type EscalationReport } from '../../shared/use-cases/break-escalation.ts';
import type { MetricsSink } from '../../shared/ports/telemetry.ts';
import { auditStep, type StepAuditDeps } from '../../shared/use-cases/audit.ts';
import type { EscalationInput } from './schema.ts';

/**
 * Breaks age in the platform's calendar: the day is the business date at the schedule's time (or
 * the one given). What the run read is measured as it stands: the open breaks by age band
 * (BreaksOpen, every band, so an emptied band reads 0) and the oldest one's age, which the alarm
 * of breaks older than the stage's limit watches. Each break escalated is recorded in the audit
 * trail once per scheduled run (its execution id), naming the lender it concerns.
 */
export async function runEscalation(deps: EscalationDeps & StepAuditDeps & { readonly metrics: MetricsSink }, input: EscalationInput): Promise<EscalationReport> {
  const today = input.businessDate ?? businessDateAt(input.scheduledTime ?? deps.clock.now(), PLATFORM_CALENDAR);
  const report = await escalateBreaks(deps, today);
  if (input.executionId !== undefined) {
    for (const breakId of report.escalated) {
      const escalated = await deps.breaks.get(breakId);
      await auditStep(deps, input.executionId, {
        workflow: 'BreakEscalation',
        step: 'Escalate',
        target: { breakId },
        after: { today, state: escalated?.state ?? null, escalatedAt: escalated?.escalatedAt ?? null, reconciliationId: escalated?.reconciliationId ?? null },
        lenderIds: escalated === null || escalated.lenderId === ESCROW ? [] : [escalated.lenderId],
      });
    }
  }
  for (const [age, count] of Object.entries(report.openByAge)) deps.metrics.measure('breaksOpen', count, { age });
  deps.metrics.measure('oldestOpenBreakAgeDays', report.oldestOpenAgeDays);
  return report;
}
