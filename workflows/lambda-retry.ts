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
