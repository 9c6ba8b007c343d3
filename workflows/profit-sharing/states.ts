// Plain data only: handlers and the local stack may import this file without pulling in the CDK.

/** State names of the ProfitSharing workflow (docs/profit-sharing.md). */
export const ProfitSharingStates = {
  planRuns: 'PlanRuns',
  runs: 'Runs',
  openRun: 'OpenRun',
  skipped: 'Skipped',
  bookShards: 'BookShards',
  bookShard: 'BookShard',
  statements: 'Statements',
  closeRun: 'CloseRun',
  failRun: 'FailRun',
  failed: 'Failed',
  runsFailed: 'RunsFailed',
} as const;

export type ProfitSharingStateName = (typeof ProfitSharingStates)[keyof typeof ProfitSharingStates];
