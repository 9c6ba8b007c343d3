import { checkedDate, type ShardResult } from '../../shared/contracts/ledger-check.ts';
import type { Clock, LedgerCheckReport, LedgerCheckStore } from '../../shared/ports/stores.ts';
import { auditStep, type StepAuditDeps } from '../../shared/use-cases/audit.ts';

export interface RecordReportInput {
  readonly businessDate?: string | undefined;
  readonly scheduledTime?: string | undefined;
  readonly shards: readonly ShardResult[];
  readonly executionId?: string | undefined;
}

/**
 * Writes the report of the run from the shards' counts (the differences are stored by the shards);
 * a rerun of the same date replaces it with the same content. It answers the report, a few
 * numbers, as the execution's output.
 */
export async function recordReport(deps: { ledgerChecks: LedgerCheckStore; clock: Clock }, input: RecordReportInput): Promise<LedgerCheckReport> {
  const differenceCount = input.shards.reduce((n, s) => n + s.differenceCount, 0);
  const report: LedgerCheckReport = {
    businessDate: checkedDate(input),
    status: differenceCount === 0 ? 'BALANCED' : 'DIFFERENCES',
    loansChecked: input.shards.reduce((n, s) => n + s.loansChecked, 0),
    entriesChecked: input.shards.reduce((n, s) => n + s.entriesChecked, 0),
    differenceCount,
    completedAt: deps.clock.now(),
  };
  await deps.ledgerChecks.put(report);
  return report;
}

/**
 * The LedgerCheck's RecordReport: the report written, then recorded in the audit trail once per
 * execution. The check covers every lender's books and names none: the platform teams read it.
 */
export async function recordReportStep(deps: { ledgerChecks: LedgerCheckStore; clock: Clock } & StepAuditDeps, input: RecordReportInput): Promise<LedgerCheckReport> {
  const report = await recordReport(deps, input);
  await auditStep(deps, input.executionId, {
    workflow: 'LedgerCheck',
    step: 'RecordReport',
    target: { businessDate: report.businessDate },
    after: { status: report.status, loansChecked: report.loansChecked, entriesChecked: report.entriesChecked, differenceCount: report.differenceCount },
    lenderIds: [],
  });
  return report;
}
