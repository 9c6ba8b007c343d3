import { describe, expect, it } from 'vitest';
import { DomainError, InvariantViolation, NotFound, RuleViolation, StateConflict, ValidationError } from '../../../../shared/domain/errors.ts';
import { HttpError, toErrorResponse } from '../../../../shared/http/errors.ts';
import { WriteConflict } from '../../../../shared/ports/stores.ts';

describe('toErrorResponse', () => {
  it('an HttpError keeps its status, code and details', () => {
    expect(toErrorResponse(new HttpError(413, 'PAYLOAD_TOO_LARGE', 'too big', { maxBytes: 262144 }))).toEqual({
      statusCode: 413,
      body: { code: 'PAYLOAD_TOO_LARGE', message: 'too big', details: { maxBytes: 262144 } },
      unexpected: false,
    });
  });

  it('a ValidationError is a 400 with the field path', () => {
    expect(toErrorResponse(new ValidationError('termMonths: too big', { path: 'termMonths', rule: 'too_big' }))).toEqual({
      statusCode: 400,
      body: { code: 'VALIDATION_FAILED', message: 'termMonths: too big', details: { path: 'termMonths', rule: 'too_big' } },
      unexpected: false,
    });
  });

  it('a RuleViolation is a 422 with its own code and figures', () => {
    expect(toErrorResponse(new RuleViolation('PLAN_SUM_MISMATCH', 'sums to 999999', { planSumMinor: '999999' }))).toEqual({
      statusCode: 422,
      body: { code: 'PLAN_SUM_MISMATCH', message: 'sums to 999999', details: { planSumMinor: '999999' } },
      unexpected: false,
    });
  });

  it('a StateConflict is a 409 with its own code and details', () => {
    expect(toErrorResponse(new StateConflict('DECISION_ALREADY_MADE', 'already decided', { state: 'APPROVED' }))).toEqual({
      statusCode: 409,
      body: { code: 'DECISION_ALREADY_MADE', message: 'already decided', details: { state: 'APPROVED' } },
      unexpected: false,
    });
  });

  it('an existing item is a 409 named after the entity', () => {
    expect(toErrorResponse(new WriteConflict('ALREADY_EXISTS', 'loan'))).toEqual({
      statusCode: 409,
      body: { code: 'LOAN_EXISTS', message: 'the loan already exists', details: { entity: 'loan' } },
      unexpected: false,
    });
    expect(toErrorResponse(new WriteConflict('ALREADY_EXISTS', 'lender')).body.code).toBe('LENDER_EXISTS');
    expect(toErrorResponse(new WriteConflict('VERSION', 'position')).statusCode).toBe(409);
  });

  it('a busy item is a 503 that asks for a retry with the same key', () => {
    const response = toErrorResponse(new WriteConflict('BUSY', 'idempotency,loan'));
    expect(response.statusCode).toBe(503);
    expect(response.body.code).toBe('RETRY_LATER');
    expect(response.body.details).toEqual({});
    expect(response.unexpected).toBe(false);
    expect(response.headers).toEqual({ 'retry-after': '1' });
  });

  it("DynamoDB's throttling, once the SDK gave up retrying it, is a 503 with Retry-After, not a logged 500", () => {
    const named = (name: string, extra: Record<string, unknown> = {}): Error => Object.assign(new Error('throttled'), { name, ...extra });
    for (const error of [
      named('ProvisionedThroughputExceededException'),
      named('ThrottlingException'),
      named('RequestLimitExceeded'),
      named('TransactionCanceledException', { CancellationReasons: [{ Code: 'None' }, { Code: 'ThrottlingError' }] }),
    ]) {
      expect(toErrorResponse(error)).toEqual({
        statusCode: 503,
        body: { code: 'RETRY_LATER', message: 'the database is throttling requests; retry with the same Idempotency-Key', details: {} },
        unexpected: false,
        headers: { 'retry-after': '1' },
      });
    }
    // A transaction cancelled by a condition is not a throttle.
    expect(toErrorResponse(named('TransactionCanceledException', { CancellationReasons: [{ Code: 'ConditionalCheckFailed' }] })).statusCode).toBe(500);
  });

  it('a broken invariant is a 500 that is logged', () => {
    expect(toErrorResponse(new InvariantViolation('a journal entry balances in every book', { entryId: 'E' }))).toEqual({
      statusCode: 500,
      body: { code: 'INVARIANT_VIOLATED', message: 'a journal entry balances in every book', details: { entryId: 'E' } },
      unexpected: true,
    });
    expect(toErrorResponse(new DomainError('SOMETHING', 'odd')).statusCode).toBe(500);
  });

  it('anything else is a 500 INTERNAL_ERROR that reveals nothing', () => {
    for (const error of [new Error('connection reset to 10.0.0.7'), 'a string', undefined]) {
      expect(toErrorResponse(error)).toEqual({
        statusCode: 500,
        body: { code: 'INTERNAL_ERROR', message: 'an unexpected error occurred; retrying with the same Idempotency-Key is safe', details: {} },
        unexpected: true,
      });
    }
  });
});

describe('NotFound', () => {
  it('is a domain error naming the id, which the edge answers with 404', () => {
    const error = new NotFound('loan', 'LN-1');
    expect(error).toBeInstanceOf(DomainError);
    expect([error.code, error.message, error.details]).toEqual(['NOT_FOUND', 'loan LN-1 was not found', { loanId: 'LN-1' }]);
    expect(toErrorResponse(error)).toEqual({ statusCode: 404, body: { code: 'NOT_FOUND', message: 'loan LN-1 was not found', details: { loanId: 'LN-1' } }, unexpected: false });
  });
});
