import { z } from 'zod';
import { RepaymentBatchSteps } from '../../workflows/repayment-batch/states.ts';

/** Input of the batch function's two Task states. */
export const repaymentBatchStepInput = z.discriminatedUnion('step', [
  z.strictObject({ step: z.literal(RepaymentBatchSteps.group), repayments: z.array(z.unknown()).min(1).max(100) }),
  z.strictObject({
    step: z.literal(RepaymentBatchSteps.report),
    rows: z.number().int().min(1),
    refused: z.array(z.strictObject({ index: z.number().int().min(0), repaymentId: z.string().nullable(), result: z.unknown() })),
    booked: z.array(z.strictObject({ loanId: z.string(), results: z.array(z.strictObject({ index: z.number().int().min(0), repaymentId: z.string(), result: z.unknown() })) })),
  }),
]);
export type RepaymentBatchStepInput = z.output<typeof repaymentBatchStepInput>;
