import { writeFile } from 'node:fs/promises';
import { formatMajor, type CurrencyCode } from '../../shared/domain/money/index.ts';
import { formatBps } from '../../shared/domain/regulatory-profile.ts';
import { callApi, fetchFile, startAndAwait, type ApiAnswer, type CommandApi, type FileAnswer } from './api-client.ts';

/**
 * `colend regulatory-report --date T [--run [--restart]] [--format csv|xlsx [--out file]]`: prints
 * the regulatory report of a date (docs/regulatory-report.md), each bank's joint loans against its
 * limits with the headroom; `--run` reports the date (again) through the API first and waits for
 * the run; `--format` also saves the CSV or XLSX export.
 */
export interface RegulatoryReportOptions extends CommandApi {
  readonly businessDate: string;
  readonly run: boolean;
  readonly restart: boolean;
  readonly format?: 'csv' | 'xlsx';
  /** Where the export goes; the name the API gives it when absent. */
  readonly out?: string;
  readonly pollMs?: number;
  readonly timeoutMs?: number;
}

interface Row {
  lenderId: string;
  role: string;
  rule: string;
  counterpartyId: string | null;
  currency: string;
  outstandingMinor: string;
  capBps: number;
  limitMinor: string | null;
  ratio: string | null;
  usage: string | null;
  headroomMinor: string | null;
  status: string;
}

export interface ReportView {
  run: { businessDate: string; status: string; attempt: number; loans: number; failure: { code: string; message: string } | null };
  report: {
    sections: { leadLenderId: string; profile: string; currency: string; rows: Row[]; notBound: { lenderId: string; reason: string }[] }[];
    counts: Record<string, number>;
  } | null;
}

export interface RegulatoryReportAnswer {
  /** The start of a run (--run); null when the command only reads. */
  readonly started: ApiAnswer | null;
  readonly read: ApiAnswer;
  readonly view: ReportView | null;
  readonly saved: { readonly path: string; readonly answer: FileAnswer } | null;
}

export async function regulatoryReport(options: RegulatoryReportOptions): Promise<RegulatoryReportAnswer> {
  const path = `/v1/regulatory-reports/${options.businessDate}`;
  let started: ApiAnswer | null = null;
  if (options.run) {
    const body = { businessDate: options.businessDate, ...(options.restart ? { restart: true } : {}) };
    const awaited = await startAndAwait<ReportView>(options, path, '/v1/regulatory-reports', body, `regulatory-report:${options.businessDate}`);
    started = awaited.started;
    if (awaited.view === null) return { started, read: started, view: null, saved: null };
  }
  const read = await callApi(options, 'GET', path);
  const view = read.status === 200 ? (read.body as unknown as ReportView) : null;
  if (options.format === undefined || view?.run.status !== 'DONE') return { started, read, view, saved: null };
  const answer = await fetchFile(options, `${path}?format=${options.format}`);
  const target = options.out ?? answer.fileName ?? `regulatory_report.${options.format}`;
  if (answer.status === 200) await writeFile(target, answer.bytes);
  return { started, read, view, saved: { path: target, answer } };
}

const money = (currency: string, minor: string | null): string => (minor === null ? '-' : formatMajor(BigInt(minor), currency as CurrencyCode));

function rowLine(row: Row): string {
  const whom = row.counterpartyId === null ? 'with all counterparties' : `with ${row.counterpartyId}`;
  const figures =
    row.limitMinor === null
      ? 'no figures in force'
      : `limit ${money(row.currency, row.limitMinor)} (${formatBps(row.capBps)}), ratio ${row.ratio ?? '-'}, usage ${row.usage ?? '-'}, headroom ${money(row.currency, row.headroomMinor)}`;
  return `  ${row.status.padEnd(15)} ${row.lenderId} (${row.role}) ${row.rule} ${whom}: outstanding ${money(row.currency, row.outstandingMinor)}, ${figures}`;
}

export function formatRegulatoryReport(businessDate: string, answer: RegulatoryReportAnswer): string[] {
  if (answer.view === null) {
    const { code, message } = answer.read.body as { code?: string; message?: string };
    const what = answer.started !== null ? 'not started' : 'not found';
    return [`regulatory report of ${businessDate} ${what}: ${answer.read.status} ${code ?? ''} ${message ?? ''}`.trim()];
  }
  const { run, report } = answer.view;
  const lines = [`regulatory report of ${run.businessDate}, attempt ${run.attempt}: ${run.status}${run.failure ? ` (${run.failure.code}: ${run.failure.message})` : ''}`];
  if (report === null) return lines;
  lines.push(`loans with principal outstanding at the end of the date: ${run.loans}`);
  for (const section of report.sections) {
    lines.push(`lead ${section.leadLenderId}, ${section.profile} (${section.currency}):`);
    for (const row of section.rows) lines.push(rowLine(row));
    for (const n of section.notBound) lines.push(`  not bound       ${n.lenderId}: ${n.reason}`);
  }
  lines.push(`rows: ${Object.entries(report.counts).map(([status, n]) => `${status} ${n}`).join(', ')}`);
  const saved = answer.saved;
  if (saved !== null) {
    lines.push(saved.answer.status === 200 ? `saved ${saved.path} (${saved.answer.bytes.length} bytes)` : `export refused: ${saved.answer.status} ${saved.answer.bytes.toString('utf8').slice(0, 300)}`);
  }
  return lines;
}

/** Whether all is well: the report is done, no rule is broken and no bank lacks its figures. */
export function reportIsClean(answer: RegulatoryReportAnswer): boolean {
  const report = answer.view?.report;
  if (answer.view?.run.status !== 'DONE' || report === null || report === undefined) return false;
  return (report.counts.BREACHED ?? 0) === 0 && (report.counts.FIGURES_MISSING ?? 0) === 0 && (answer.saved === null || answer.saved.answer.status === 200);
}
