import { failureOf } from '../../shared/contracts/step-failure.ts';
import { failReportRun, measureShard, openReportRun, recordReport, type RegulatoryReportDeps } from '../../shared/use-cases/regulatory-report.ts';
import type { ReportStepInput } from './schema.ts';

/** One step of the RegulatoryReport workflow; each may run again with the same effect. */
export async function runReportStep(deps: RegulatoryReportDeps, input: ReportStepInput): Promise<unknown> {
  switch (input.step) {
    case 'OpenRun':
      return openReportRun(deps, input.input);
    case 'MeasureShard':
      return measureShard(deps, input.businessDate, input.attempt, input.shard);
    case 'RecordReport':
      return recordReport(deps, input.businessDate, input.attempt);
    case 'FailRun':
      await failReportRun(deps, input.businessDate, input.attempt, failureOf(input.error));
      return { businessDate: input.businessDate, attempt: input.attempt, status: 'FAILED' };
  }
}
