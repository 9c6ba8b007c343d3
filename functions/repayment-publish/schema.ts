import { z } from 'zod';

/** Input of the Publish Task: the booking's answer, as SplitAndBook returned it. */
export const publishInput = z
  .object({
    status: z.enum(['BOOKED', 'REVERSED', 'REPLAYED']),
    repayment: z.object({ repaymentId: z.string().min(1), loanId: z.string().min(1) }).loose(),
    entryIds: z.array(z.string()),
  })
  .loose();
export type PublishInput = z.output<typeof publishInput>;
