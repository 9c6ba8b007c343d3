import { calendarDate } from '../../shared/contracts/dates.ts';
import { z } from 'zod';
import { executionId } from '../../shared/contracts/execution.ts';

/** Input of the RecordReport task: the date (or the scheduler's time) and every shard's counts. */
export const recordReportInput = z
  .object({
    businessDate: calendarDate.optional(),
    scheduledTime: z.iso.datetime({ offset: true }).optional(),
    executionId,
    shards: z.array(
      z.object({
        shard: z.number().int(),
        loansChecked: z.number().int(),
        entriesChecked: z.number().int(),
        differenceCount: z.number().int(),
      }),
    ),
  })
  .loose()
  .refine((v) => v.businessDate !== undefined || v.scheduledTime !== undefined, { message: 'businessDate or scheduledTime is required', path: ['businessDate'] });
