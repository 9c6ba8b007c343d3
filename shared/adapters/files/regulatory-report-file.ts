import { formatMajor, type CurrencyCode } from '../../domain/money/index.ts';
import type { RegulatoryReport } from '../../domain/regulatory-report.ts';
import { formatBps } from '../../domain/regulatory-profile.ts';
import { csvCopy, xlsxCopy } from './human-copies.ts';

/**
 * The regulatory report of a date for people (docs/regulatory-report.md, Exports): one row per
 * bank, rule and counterparty, amounts in major units exact to the fen as in the partner files,
 * written as CSV or XLSX with the copies' writers and a header naming each column in Chinese and
 * English.
 */

/** The Chinese name of every column of the report. */
export const REPORT_COLUMN_NAMES_ZH: Readonly<Record<string, string>> = {
  business_date: '业务日期',
  lead_id: '牵头方编号',
  regulatory_profile: '监管规则',
  lender_id: '资金方编号',
  role: '角色',
  rule: '监管指标',
  counterparty: '交易对手',
  currency: '币种',
  outstanding_amount: '联合贷款余额',
  cap_ratio: '比例上限',
  base_amount: '计算基数',
  figures_effective_date: '基数生效日期',
  figures_version: '基数版本',
  figures_source: '基数来源',
  limit_amount: '限额',
  ratio: '占基数比例',
  usage: '限额使用率',
  headroom_amount: '剩余额度',
  status: '状态',
};

const HEADER = Object.keys(REPORT_COLUMN_NAMES_ZH);

/** Every column's value as text: amounts in major units, an empty cell for what is missing, ALL for every counterparty. */
export function reportTable(report: RegulatoryReport): { readonly header: readonly string[]; readonly rows: readonly (readonly string[])[] } {
  const rows = report.sections.flatMap((section) =>
    section.rows.map((row) => {
      const money = (minor: bigint | null): string => (minor === null ? '' : formatMajor(minor, row.currency as CurrencyCode));
      return [
        report.businessDate,
        section.leadLenderId,
        section.profile,
        row.lenderId,
        row.role,
        row.rule,
        row.counterpartyId ?? 'ALL',
        row.currency,
        money(row.outstandingMinor),
        formatBps(row.capBps),
        money(row.figureMinor),
        row.figures?.effectiveDate ?? '',
        row.figures === null ? '' : String(row.figures.version),
        row.figures?.source ?? '',
        money(row.limitMinor),
        row.ratio ?? '',
        row.usage ?? '',
        money(row.headroomMinor),
        row.status,
      ];
    }),
  );
  return { header: HEADER, rows };
}

export type ReportFormat = 'csv' | 'xlsx';

/** The report as a file: `regulatory_report_{YYYYMMDD}.csv` or `.xlsx`. */
export async function reportFile(report: RegulatoryReport, format: ReportFormat): Promise<{ name: string; body: Buffer; contentType: string }> {
  const file = { name: `regulatory_report_${report.businessDate.replaceAll('-', '')}`, table: reportTable(report) };
  if (format === 'csv') return { ...csvCopy(file, REPORT_COLUMN_NAMES_ZH), contentType: 'text/csv; charset=utf-8' };
  const copy = await xlsxCopy(file, report.businessDate, '监管报表 regulatory report', REPORT_COLUMN_NAMES_ZH);
  return { ...copy, contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' };
}
