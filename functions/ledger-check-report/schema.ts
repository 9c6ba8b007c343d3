import { calendarDate } from '../../shared/contracts/dates.ts';
import { z } from 'zod';

const difference = z.object({
  loanId: z.string(),
  kind: z.enum(['ENTRY_UNBALANCED', 'NEGATIVE_PRINCIPAL', 'POSITION_MISMATCH', 'POSITION_MISSING', 'POSITION_WITHOUT_ENTRIES']),
  lenderId: z.string().nullable(),
  entryId: z.string().nullable(),
  detail: z.string(),
});

/** Input of the RecordReport task: the date (or the scheduler's time) and every shard's result. */
export const recordReportInput = z
  .object({
    businessDate: calendarDate.optional(),
    scheduledTime: z.iso.datetime({ offset: true }).optional(),
    shards: z.array(
      z.object({
        shard: z.number().int(),
        loansChecked: z.number().int(),
        entriesChecked: z.number().int(),
        differenceCount: z.number().int(),
        differences: z.array(difference),
      }),
    ),
  })
  .loose()
  .refine((v) => v.businessDate !== undefined || v.scheduledTime !== undefined, { message: 'businessDate or scheduledTime is required', path: ['businessDate'] });
