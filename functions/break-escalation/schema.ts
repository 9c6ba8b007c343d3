import { calendarDate } from '../../shared/contracts/dates.ts';
import { z } from 'zod';

/** What the daily schedule hands the escalation: the time it fired; or a business date, to run a given day again. */
export const escalationInput = z
  .object({
    scheduledTime: z.iso.datetime({ offset: true }).optional(),
    businessDate: calendarDate.optional(),
  })
  .loose();
export type EscalationInput = z.output<typeof escalationInput>;
