import { businessDateAt, PLATFORM_CALENDAR } from '../../shared/domain/business-date.ts';
import { escalateBreaks, type EscalationDeps, type EscalationReport } from '../../shared/use-cases/break-escalation.ts';
import type { EscalationInput } from './schema.ts';

/** Breaks age in the platform's calendar: the day is the business date at the schedule's time (or the one given). */
export function runEscalation(deps: EscalationDeps, input: EscalationInput): Promise<EscalationReport> {
  const today = input.businessDate ?? businessDateAt(input.scheduledTime ?? deps.clock.now(), PLATFORM_CALENDAR);
  return escalateBreaks(deps, today);
}
