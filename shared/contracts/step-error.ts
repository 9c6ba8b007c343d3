import { z } from 'zod';

/** What a Catch puts in a state's input: the error's name and its cause (the thrown error as JSON, for a Lambda). */
export const caughtError = z.object({ Error: z.string().optional(), Cause: z.string().optional() }).loose();
export type CaughtError = z.output<typeof caughtError>;

/** The code and message of a caught step error: the thrown error's own when its cause carries them. */
export function stepFailure(error: CaughtError, fallback: string): { code: string; message: string } {
  let parsed: { errorType?: string; errorMessage?: string; code?: string } = {};
  try {
    parsed = JSON.parse(error.Cause ?? '') as typeof parsed;
  } catch {
    // A cause that is not JSON is the message itself.
  }
  return { code: parsed.code ?? parsed.errorType ?? error.Error ?? 'FAILED', message: parsed.errorMessage ?? error.Cause ?? fallback };
}
