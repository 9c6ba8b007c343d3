import { DomainError, Forbidden, InvariantViolation, NotFound, RuleViolation, StateConflict, ValidationError } from '../domain/errors.ts';
import { WriteConflict } from '../ports/stores.ts';

/** An HTTP-level refusal (not found, forbidden, malformed request) with the same error shape. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    /** Headers the refusal carries (`Retry-After` of a 429). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}


export interface ErrorBody {
  readonly code: string;
  readonly message: string;
  readonly details: Record<string, unknown>;
}

/**
 * DynamoDB's answers that mean "too much at once, ask again shortly", by name (this layer does not
 * import the SDK): the SDK client retried them already with its own backoff before they got here.
 */
const THROTTLING_ERRORS = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded']);

/** Seconds a client waits before it sends a 503's request again (`Retry-After`). */
export const RETRY_AFTER_SECONDS = 1;
const RETRY_LATER_HEADERS = { 'retry-after': String(RETRY_AFTER_SECONDS) };

/** A throttle from DynamoDB, alone or as the reason a transaction was cancelled. */
export function isThrottling(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (THROTTLING_ERRORS.has(error.name)) return true;
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
  return error.name === 'TransactionCanceledException' && Array.isArray(reasons) && reasons.some((r) => r.Code === 'ThrottlingError');
}

/**
 * Maps every named error to a status and the `{code, message, details}` body; anything else is a
 * 500. A refusal may carry headers: a 429 its `Retry-After` (docs/limits.md); a 503 (`RETRY_LATER`:
 * the item busy with another write, or DynamoDB throttling) `Retry-After` too: nothing was
 * written, and the same request with the same Idempotency-Key may be sent again.
 */
export function toErrorResponse(error: unknown): { statusCode: number; body: ErrorBody; unexpected: boolean; headers?: Readonly<Record<string, string>> } {
  if (error instanceof HttpError) {
    const refusal = { statusCode: error.statusCode, body: bodyOf(error.code, error.message, error.details), unexpected: false };
    return Object.keys(error.headers).length === 0 ? refusal : { ...refusal, headers: error.headers };
  }
  if (error instanceof Forbidden) return { statusCode: 403, body: bodyOf(error.code, error.message, error.details), unexpected: false };
  if (error instanceof NotFound) return { statusCode: 404, body: bodyOf(error.code, error.message, error.details), unexpected: false };
  if (error instanceof ValidationError) return { statusCode: 400, body: bodyOf(error.code, error.message, error.details), unexpected: false };
  if (error instanceof StateConflict) return { statusCode: 409, body: bodyOf(error.code, error.message, error.details), unexpected: false };
  if (error instanceof RuleViolation) return { statusCode: 422, body: bodyOf(error.code, error.message, error.details), unexpected: false };
  if (error instanceof WriteConflict) {
    if (error.reason === 'BUSY') {
      return { statusCode: 503, body: bodyOf('RETRY_LATER', 'the item is busy with another write; retry with the same Idempotency-Key', {}), unexpected: false, headers: RETRY_LATER_HEADERS };
    }
    const entity = error.entity.toUpperCase();
    return { statusCode: 409, body: bodyOf(`${entity}_EXISTS`, `the ${error.entity} already exists`, { entity: error.entity }), unexpected: false };
  }
  if (isThrottling(error)) {
    return {
      statusCode: 503,
      body: bodyOf('RETRY_LATER', 'the database is throttling requests; retry with the same Idempotency-Key', {}),
      unexpected: false,
      headers: RETRY_LATER_HEADERS,
    };
  }
  if (error instanceof InvariantViolation || error instanceof DomainError) {
    return { statusCode: 500, body: bodyOf(error.code, error.message, error.details), unexpected: true };
  }
  return { statusCode: 500, body: bodyOf('INTERNAL_ERROR', 'an unexpected error occurred; retrying with the same Idempotency-Key is safe', {}), unexpected: true };
}

function bodyOf(code: string, message: string, details: Record<string, unknown>): ErrorBody {
  return { code, message, details };
}
