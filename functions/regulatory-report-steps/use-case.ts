import { failureOf } from '../../shared/contracts/step-failure.ts';
import { failReportRun, measureShard, openReportRun, recordReport, type RegulatoryReportDeps } from '../../shared/use-cases/regulatory-report.ts';
import { auditStep, type StepAuditDeps } from '../../shared/use-cases/audit.ts';
import type { ReportStepInput } from './schema.ts';

/** The workflow its records name as their actor. */
const WORKFLOW = 'RegulatoryReport';

/**
 * One step of the RegulatoryReport workflow; each may run again with the same effect. The report
 * recorded, naming every bank it measures, and the run's failure go to the audit trail once per
 * execution.
 */
export async function runReportStep(deps: RegulatoryReportDeps & StepAuditDeps, input: ReportStepInput): Promise<unknown> {
  switch (input.step) {
    case 'OpenRun':
      return openReportRun(deps, input.input);
    case 'MeasureShard':
      return measureShard(deps, input.businessDate, input.attempt, input.shard);
    case 'RecordReport': {
      const recorded = await recordReport(deps, input.businessDate, input.attempt);
      // The banks the report measures, and their counterparties: each reads that its figures were reported.
      const run = input.executionId === undefined ? null : await deps.regulatoryReports.getRun(input.businessDate);
      const measured = (run?.report?.sections ?? []).flatMap((section) => section.rows.flatMap((row) => [row.lenderId, ...(row.counterpartyId === null ? [] : [row.counterpartyId])]));
      await auditStep(deps, input.executionId, {
        workflow: WORKFLOW,
        step: 'RecordReport',
        target: { businessDate: input.businessDate },
        after: { attempt: recorded.attempt, status: 'DONE', loans: recorded.loans },
        lenderIds: measured,
      });
      return recorded;
    }
    case 'FailRun': {
      const failure = failureOf(input.error);
      await failReportRun(deps, input.businessDate, input.attempt, failure);
      await auditStep(deps, input.executionId, {
        workflow: WORKFLOW,
        step: 'FailRun',
        target: { businessDate: input.businessDate },
        after: { attempt: input.attempt, status: 'FAILED', code: failure.code },
        lenderIds: [],
      });
      return { businessDate: input.businessDate, attempt: input.attempt, status: 'FAILED' };
    }
  }
}
