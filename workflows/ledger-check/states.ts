// Plain data only: handlers and the local stack may import this file without pulling in the CDK.

/** State names of the ledger-check workflow; the local stack and the tests refer to them. */
export const LedgerCheckStates = {
  prepareShards: 'PrepareShards',
  verifyShards: 'VerifyShards',
  verifyShard: 'VerifyShard',
  recordReport: 'RecordReport',
} as const;

export type LedgerCheckStateName = (typeof LedgerCheckStates)[keyof typeof LedgerCheckStates];

/**
 * Errors of the Lambda service itself, not of our code: throttling, a service fault, or a call
 * that never reached the function. Only these are retried; an error thrown by a handler fails the
 * execution so that it is looked at, never repeated blindly.
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

/** Execution input: an explicit business date (API) or the scheduler's fire time. */
export interface LedgerCheckInput {
  readonly businessDate?: string;
  readonly scheduledTime?: string;
}

/** What each `VerifyShard` invocation receives: the execution input plus its shard number. */
export interface VerifyShardInput extends LedgerCheckInput {
  readonly shard: number;
}

/** What `RecordReport` receives: the execution input plus the results of every shard, in order. */
export interface RecordReportInput<ShardResult = unknown> extends LedgerCheckInput {
  readonly shards: readonly ShardResult[];
}
