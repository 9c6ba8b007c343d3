// Plain data only: handlers and the local stack may import this file without pulling in the CDK.

/** State names of the RegulatoryReport workflow (docs/regulatory-report.md). */
export const RegulatoryReportStates = {
  openRun: 'OpenRun',
  skipped: 'Skipped',
  measureShards: 'MeasureShards',
  measureShard: 'MeasureShard',
  recordReport: 'RecordReport',
  failRun: 'FailRun',
  failed: 'Failed',
} as const;

export type RegulatoryReportStateName = (typeof RegulatoryReportStates)[keyof typeof RegulatoryReportStates];
