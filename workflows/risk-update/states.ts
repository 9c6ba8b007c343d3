// Plain data only: handlers and the local stack may import this file without pulling in the CDK.

/** State names of the RiskUpdate workflow (docs/risk-update.md). */
export const RiskUpdateStates = {
  prepareShards: 'PrepareShards',
  assessShards: 'AssessShards',
  assessShard: 'AssessShard',
  recordReport: 'RecordReport',
  updateFailed: 'UpdateFailed',
} as const;

export type RiskUpdateStateName = (typeof RiskUpdateStates)[keyof typeof RiskUpdateStates];
