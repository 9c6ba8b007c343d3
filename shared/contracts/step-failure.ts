import { z } from 'zod';

/** What a Catch puts in a workflow's state when a Task fails: the error name and its cause (the thrown error as JSON). */
export const stepError = z.object({ Error: z.string().optional(), Cause: z.string().optional() }).loose();
export type StepError = z.output<typeof stepError>;

/** A failed step's code and message for its run's record: the domain error's when the cause carries one. */
export function failureOf(error: StepError): { code: string; message: string } {
  let cause: { errorType?: string; errorMessage?: string; code?: string } = {};
  try {
    cause = JSON.parse(error.Cause ?? '') as typeof cause;
  } catch {
    // A cause that is not JSON (a timeout, a runtime error) is kept as the message.
  }
  return { code: cause.code ?? cause.errorType ?? error.Error ?? 'FAILED', message: cause.errorMessage ?? error.Cause ?? 'the run failed' };
}
