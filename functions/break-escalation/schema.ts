import { calendarDate } from '../../shared/contracts/dates.ts';
import { z } from 'zod';
import { inExecution } from '../../shared/contracts/execution.ts';

/** What the daily schedule hands the escalation: the time it fired; or a business date, to run a given day again. */
export const escalationInput = z
  .object({
    scheduledTime: z.iso.datetime({ offset: true }).optional(),
    businessDate: calendarDate.optional(),
    /** The scheduler's execution id (`<aws.scheduler.execution-id>`), which names the run in its audit records. */
    ...inExecution,
  })
  .loose();
export type EscalationInput = z.output<typeof escalationInput>;
