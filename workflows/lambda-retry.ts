// Plain data only: handlers and the local stack may import this file without pulling in the CDK.

/**
 * Errors of the Lambda service itself, not of our code: throttling, a service fault, or a call
 * that never reached the function. Only these are retried; an error thrown by a handler is either
 * caught by name (a rejection or a compensation) or fails the execution so that it is looked at,
 * never repeated blindly.
 */
export const TRANSIENT_LAMBDA_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
] as const;

/** Exponential backoff with full jitter: 2 s, then up to 4, 8, 16, 32 s; six retries at most. */
export const TRANSIENT_LAMBDA_RETRY = {
  errors: TRANSIENT_LAMBDA_ERRORS,
  intervalSeconds: 2,
  backoffRate: 2,
  maxAttempts: 6,
} as const;

/**
 * The retry of an Express workflow's Lambda Task states: the same transient errors, 1 s then up
 * to 2 s, two retries at most. Every Task state of the workflow together must wait less than its
 * timeout (60 s; its caller, the repayments API, waits 29 s), so a step waits 3 s at most.
 */
export const EXPRESS_LAMBDA_RETRY = {
  errors: TRANSIENT_LAMBDA_ERRORS,
  intervalSeconds: 1,
  backoffRate: 2,
  maxAttempts: 2,
} as const;

/**
 * The retry of a compensation step on any error, after the transient ones: a compensation is
 * idempotent (each of its writes is conditional on what it undoes still being there), so trying
 * it again is safe, and it is the last chance to give back what the workflow holds. 1 s, then up
 * to 2, 4 and 8 s: 15 s at most.
 */
export const COMPENSATION_RETRY = {
  errors: ['States.ALL'],
  intervalSeconds: 1,
  backoffRate: 2,
  maxAttempts: 4,
} as const;

/**
 * Errors of Step Functions itself when a workflow starts another: the account's limit of open
 * executions, or a call that never reached the service. A start named by its business key is
 * idempotent (a second start of the same name is refused by name and caught), so it is retried.
 */
export const TRANSIENT_START_RETRY = {
  errors: ['StepFunctions.ExecutionLimitExceededException', 'StepFunctions.SdkClientException'],
  intervalSeconds: 2,
  backoffRate: 2,
  maxAttempts: 6,
} as const;
