/**
 * The correlation ids a log line carries (docs/operations.md, Observability): the API request or
 * the workflow execution, and the loan, repayment and business date an event names. They are read from where each kind
 * of event holds them; a value that is not a short string is left out.
 */

export const CORRELATION_KEYS = ['requestId', 'executionId', 'loanId', 'repaymentId', 'businessDate'] as const;
export type CorrelationKey = (typeof CORRELATION_KEYS)[number];
export type CorrelationIds = Partial<Record<CorrelationKey, string>>;

const MAX_LENGTH = 256;

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' && value.length <= MAX_LENGTH ? value : undefined;
}

/** The business ids among the fields of one object (loanId, repaymentId, businessDate; `date` of a path). */
function businessIds(fields: Record<string, unknown> | undefined): CorrelationIds {
  if (fields === undefined) return {};
  const ids: CorrelationIds = {};
  const loanId = text(fields.loanId);
  const repaymentId = text(fields.repaymentId);
  const businessDate = text(fields.businessDate) ?? text(fields.date);
  if (loanId !== undefined) ids.loanId = loanId;
  if (repaymentId !== undefined) ids.repaymentId = repaymentId;
  if (businessDate !== undefined) ids.businessDate = businessDate;
  return ids;
}

/**
 * An API request's ids: API Gateway's request id, then the ids of its path, then those of its
 * JSON body (a batch of one repayment names that repayment's).
 */
export function apiCorrelation(event: { requestContext?: { requestId?: unknown }; pathParameters?: unknown }, body: unknown): CorrelationIds {
  const bodyFields = record(body);
  const repayments = bodyFields?.repayments;
  const single = Array.isArray(repayments) && repayments.length === 1 ? record(repayments[0]) : undefined;
  const requestId = text(event.requestContext?.requestId);
  return {
    ...(requestId === undefined ? {} : { requestId }),
    ...businessIds(single),
    ...businessIds(bodyFields),
    ...businessIds(record(event.pathParameters)),
  };
}

/**
 * A workflow step's ids: the execution's id (`executionId`, which each Task state's payload
 * carries from `$$.Execution.Id`), then the business ids of its payload, or of `input` (the
 * execution's input an opening step is handed).
 */
export function stepCorrelation(event: unknown): CorrelationIds {
  const fields = record(event);
  const executionId = text(fields?.executionId);
  return { ...(executionId === undefined ? {} : { executionId }), ...businessIds(record(fields?.input)), ...businessIds(fields) };
}
