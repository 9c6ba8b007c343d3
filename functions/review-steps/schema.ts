import { z } from 'zod';
import { stepError } from '../../shared/contracts/step-failure.ts';
import { inExecution } from '../../shared/contracts/execution.ts';

/** Inputs of the JointReview Task states that run this function (see docs/joint-review.md). */
export const reviewStepInput = z.discriminatedUnion('step', [
  z.object({ step: z.literal('ChooseCandidates'), applicationId: z.string().min(1), round: z.number().int().min(1), ...inExecution }).loose(),
  z.object({ step: z.literal('RecordTimeout'), applicationId: z.string().min(1), lenderId: z.string().min(1), round: z.number().int().min(1) }).loose(),
  z.object({ step: z.literal('Allocate'), applicationId: z.string().min(1), round: z.number().int().min(1), ...inExecution }).loose(),
  z.object({ step: z.literal('RecordFailure'), applicationId: z.string().min(1), error: stepError, ...inExecution }).loose(),
]);
export type ReviewStepInput = z.output<typeof reviewStepInput>;
