import { DomainError, InvariantViolation, NotFound, RuleViolation, StateConflict, ValidationError } from '../domain/errors.ts';
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

/** Maps every named error to a status and the `{code, message, details}` body; anything else is a 500. */
export function toErrorResponse(error: unknown): { statusCode: number; body: ErrorBody; unexpected: boolean; headers?: Readonly<Record<string, string>> } {
  if (error instanceof HttpError) {
    const refusal = { statusCode: error.statusCode, body: bodyOf(error.code, error.message, error.details), unexpected: false };
    return Object.keys(error.headers).length === 0 ? refusal : { ...refusal, headers: error.headers };
  }
  if (error instanceof NotFound) return { statusCode: 404, body: bodyOf(error.code, error.message, error.details), unexpected: false };
  if (error instanceof ValidationError) return { statusCode: 400, body: bodyOf(error.code, error.message, error.details), unexpected: false };
  if (error instanceof StateConflict) return { statusCode: 409, body: bodyOf(error.code, error.message, error.details), unexpected: false };
  if (error instanceof RuleViolation) return { statusCode: 422, body: bodyOf(error.code, error.message, error.details), unexpected: false };
  if (error instanceof WriteConflict) {
    if (error.reason === 'BUSY') {
      return { statusCode: 503, body: bodyOf('RETRY_LATER', 'the item is busy with another write; retry with the same Idempotency-Key', {}), unexpected: false };
    }
    const entity = error.entity.toUpperCase();
    return { statusCode: 409, body: bodyOf(`${entity}_EXISTS`, `the ${error.entity} already exists`, { entity: error.entity }), unexpected: false };
  }
  if (error instanceof InvariantViolation || error instanceof DomainError) {
    return { statusCode: 500, body: bodyOf(error.code, error.message, error.details), unexpected: true };
  }
  return { statusCode: 500, body: bodyOf('INTERNAL_ERROR', 'an unexpected error occurred; retrying with the same Idempotency-Key is safe', {}), unexpected: true };
}

function bodyOf(code: string, message: string, details: Record<string, unknown>): ErrorBody {
  return { code, message, details };
}
