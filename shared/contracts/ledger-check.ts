import type { LedgerDifference } from '../domain/ledger-check.ts';

/** What `VerifyShard` found in one check shard; `RecordReport` sums the shards. */
export interface ShardResult {
  readonly shard: number;
  readonly loansChecked: number;
  readonly entriesChecked: number;
  readonly differenceCount: number;
  /** The first differences of the shard; the report keeps at most 1000 in all. */
  readonly differences: readonly LedgerDifference[];
}
