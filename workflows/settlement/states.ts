// Plain data only: handlers and the local stack may import this file without pulling in the CDK.

/** State names of the Settlement workflow (docs/settlement.md). */
export const SettlementStates = {
  openRun: 'OpenRun',
  skipped: 'Skipped',
  gatherShards: 'GatherShards',
  gatherShard: 'GatherShard',
  instruct: 'Instruct',
  writeFiles: 'WriteFiles',
  closeRun: 'CloseRun',
  reconcileDate: 'ReconcileDate',
  settled: 'Settled',
  failRun: 'FailRun',
  failed: 'Failed',
} as const;

export type SettlementStateName = (typeof SettlementStates)[keyof typeof SettlementStates];

/**
 * How GatherShards runs GatherShard over the run's shards: a Distributed Map reading the manifest
 * OpenRun writes to the files bucket (AWS), or an inline Map over the shards OpenRun returns, where
 * the engine runs no Distributed Map (the local stack; docs/adr/0006).
 */
export type ShardMap = 'DISTRIBUTED' | 'INLINE';
