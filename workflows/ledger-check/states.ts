// Plain data only: handlers and the local stack may import this file without pulling in the CDK.

/** State names of the ledger-check workflow; the local stack and the tests refer to them. */
export const LedgerCheckStates = {
  prepareShards: 'PrepareShards',
  verifyShards: 'VerifyShards',
  verifyShard: 'VerifyShard',
  recordReport: 'RecordReport',
  checkFailed: 'CheckFailed',
} as const;

export type LedgerCheckStateName = (typeof LedgerCheckStates)[keyof typeof LedgerCheckStates];

/** The retry policy of every Lambda Task state (transient Lambda service errors only). */
export { TRANSIENT_LAMBDA_ERRORS, TRANSIENT_LAMBDA_RETRY } from '../lambda-retry.ts';

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
