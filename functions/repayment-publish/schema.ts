import { z } from 'zod';

/** Input of the Publish Task: the change's answer, as SplitAndBook returned it. */
export const publishInput = z.union([
  z
    .object({
      status: z.enum(['BOOKED', 'REVERSED', 'REPLAYED']),
      repayment: z.object({ repaymentId: z.string().min(1), loanId: z.string().min(1) }).loose(),
      entryIds: z.array(z.string()),
    })
    .loose(),
  z
    .object({
      status: z.enum(['BOOKED', 'REPLAYED']),
      event: z.object({ type: z.enum(['COMPENSATION', 'WRITE_OFF', 'TRANSFER']), eventId: z.string().min(1), loanId: z.string().min(1) }).loose(),
      entryIds: z.array(z.string()),
    })
    .loose(),
]);
export type PublishInput = z.output<typeof publishInput>;
