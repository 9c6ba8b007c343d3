import { z } from 'zod';

/** Inputs of the Disbursement Task states that run this function (see docs/joint-review.md). */
export const disbursementStepInput = z.discriminatedUnion('step', [
  z.object({ step: z.literal('ReserveQuota'), applicationId: z.string().min(1) }).loose(),
  z.object({ step: z.literal('AwaitDisbursement'), applicationId: z.string().min(1), taskToken: z.string().min(1) }).loose(),
  z.object({ step: z.literal('Release'), applicationId: z.string().min(1), cause: z.string().min(1) }).loose(),
]);
