import { StateConflict } from '../../shared/domain/errors.ts';
import type { RegulatoryReport } from '../../shared/domain/regulatory-report.ts';
import { reportFile, type ReportFormat } from '../../shared/adapters/files/regulatory-report-file.ts';
import type { RegulatoryReportRun, RegulatoryReportStore } from '../../shared/ports/stores.ts';
import { reportRun } from '../../shared/use-cases/regulatory-report.ts';

export interface ReportReadDeps {
  readonly regulatoryReports: RegulatoryReportStore;
}

/** A date's report: the state of its run, and the report once the run is done. */
export async function reportView(deps: ReportReadDeps, businessDate: string): Promise<{ run: Omit<RegulatoryReportRun, 'report'>; report: RegulatoryReport | null }> {
  const { report, ...run } = await reportRun(deps, businessDate);
  return { run, report };
}

/** The report of a date as a CSV or XLSX file; refused while its run has not produced one. */
export async function reportExport(deps: ReportReadDeps, businessDate: string, format: ReportFormat): Promise<{ name: string; body: Buffer; contentType: string }> {
  const run = await reportRun(deps, businessDate);
  if (run.status !== 'DONE' || run.report === null) {
    throw new StateConflict('REGULATORY_REPORT_NOT_READY', `the regulatory report of ${businessDate} is not ready: attempt ${run.attempt} is ${run.status}`, {
      businessDate,
      attempt: run.attempt,
      status: run.status,
    });
  }
  return reportFile(run.report, format);
}
