import { z } from 'zod';

/** Input of the VerifyShard task: one shard of the loans, by number, and the date checked (given, or the scheduler's time). */
export const verifyShardInput = z
  .object({
    shard: z.number().int().min(0).max(255),
    businessDate: z.iso.date().optional(),
    scheduledTime: z.iso.datetime({ offset: true }).optional(),
  })
  .loose()
  .refine((v) => v.businessDate !== undefined || v.scheduledTime !== undefined, { message: 'businessDate or scheduledTime is required', path: ['businessDate'] });
