import { z } from 'zod';
import { breakId } from './adjustments.ts';
import { reconciliationPath } from './reconciliation-schemas.ts';
import { id, isoDate, lenderId, profitPeriod, instructionPath, statementFilePath } from './schemas.ts';

/**
 * The bounds of every path and query parameter of the API, checked by the HTTP edge before a
 * route runs (shared/http/api.ts): a value too long, or of characters a parameter never holds, is
 * a 400 naming the parameter, never a key DynamoDB refuses.
 */
export const PATH_PARAMETERS = {
  lenderId,
  programId: id,
  loanId: id,
  repaymentId: id,
  eventId: id,
  applicationId: id,
  adjustmentId: id,
  bankId: id,
  counterparty: id,
  breakId,
  businessDate: isoDate,
  effectiveDate: isoDate,
  period: profitPeriod,
  instructionId: instructionPath.shape.instructionId,
  fileName: statementFilePath.shape.fileName,
  reconciliationId: reconciliationPath.shape.reconciliationId,
  calendar: z.string().regex(/^[A-Za-z0-9_-]{1,16}$/, 'a calendar code such as CN'),
  year: z.string().regex(/^\d{4}$/, 'must be a year YYYY'),
} as const satisfies Record<string, z.ZodType>;

export type PathParameterName = keyof typeof PATH_PARAMETERS;

/** The longest query value taken (a page cursor is the longest there is). */
export const MAX_QUERY_VALUE_LENGTH = 2048;
const MAX_QUERY_PARAMETERS = 16;

const queryValue = z
  .string()
  .max(MAX_QUERY_VALUE_LENGTH, `at most ${MAX_QUERY_VALUE_LENGTH} characters`)
  .regex(/^[^\p{Cc}]*$/u, 'no control characters');

/** Any route's query: at most 16 parameters with short names, each value bounded; each route's own schema then says which it takes. */
export const queryParameters = z
  .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,31}$/, 'a parameter name of letters and digits'), queryValue)
  .refine((q) => Object.keys(q).length <= MAX_QUERY_PARAMETERS, `at most ${MAX_QUERY_PARAMETERS} query parameters`);

/** The schema of the path parameters `names`: each bounded by its own rule; any other is dropped. */
export function pathParameters(names: readonly PathParameterName[]): z.ZodType<Record<string, string>> {
  return z.object(Object.fromEntries(names.map((name) => [name, PATH_PARAMETERS[name]]))) as unknown as z.ZodType<Record<string, string>>;
}
