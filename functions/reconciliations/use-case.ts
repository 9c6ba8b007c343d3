import { csvCopy, xlsxCopy } from '../../shared/adapters/files/human-copies.ts';
import type { Principal } from '../../shared/domain/access.ts';
import { formatMajor as formatCurrency, type CurrencyCode } from '../../shared/domain/money/index.ts';
import { ageInDays, type ReconciliationBreak } from '../../shared/domain/reconciliation-break.ts';
import type { BreakStore, FileStore, ReconciliationStore } from '../../shared/ports/stores.ts';
import { breakIdsOfScope, reconciliationView } from '../../shared/use-cases/reconciliation.ts';

/** Exports for people (docs/reconciliation.md, Reports): CSV or XLSX, each column named in Chinese and English. */

const BREAK_COLUMNS = [
  'break_id',
  'reconciliation_type',
  'business_date',
  'counterparty',
  'lender_id',
  'kind',
  'component',
  'record_key',
  'currency',
  'ours_amount',
  'theirs_amount',
  'difference_amount',
  'ours_value',
  'theirs_value',
  'lines',
  'state',
  'owner',
  'opened_on',
  'age_days',
  'reconciliation_id',
] as const;

const formatMajor = (minor: bigint, currency: string): string => formatCurrency(minor, currency as CurrencyCode);
const amount = (value: bigint | null, currency: string): string => (value === null ? '' : formatMajor(value, currency));

function breakRow(b: ReconciliationBreak, today: string): string[] {
  return [
    b.breakId,
    b.type,
    b.businessDate,
    b.counterparty,
    b.lenderId,
    b.kind,
    b.component,
    b.recordKey,
    b.currency,
    amount(b.oursMinor, b.currency),
    amount(b.theirsMinor, b.currency),
    amount(b.differenceMinor, b.currency),
    b.ours ?? '',
    b.theirs ?? '',
    b.lines.join(' '),
    b.state,
    b.owner ?? '',
    b.openedOn,
    String(ageInDays(b.openedOn, today)),
    b.reconciliationId,
  ];
}

async function render(name: string, header: readonly string[], rows: string[][], format: 'csv' | 'xlsx', asOf: string, sheet: string): Promise<{ name: string; body: Buffer }> {
  const table = { name: `${name}.txt`, table: { header, rows } };
  const file = format === 'csv' ? csvCopy(table) : await xlsxCopy(table, asOf, sheet);
  return { name, body: file.body };
}

export function breaksExport(breaks: readonly ReconciliationBreak[], today: string, format: 'csv' | 'xlsx'): Promise<{ name: string; body: Buffer }> {
  return render(`breaks_${today.replaceAll('-', '')}`, BREAK_COLUMNS, breaks.map((b) => breakRow(b, today)), format, today, '差异 breaks');
}

/** A reconciliation's report: its figures (item, value), then every break it found. */
export async function reconciliationExport(
  deps: { reconciliations: ReconciliationStore; breaks: BreakStore; files: FileStore; clock: { now(): string } },
  principal: Principal,
  reconciliationId: string,
  format: 'csv' | 'xlsx',
): Promise<{ name: string; body: Buffer }> {
  const r = await reconciliationView(deps, principal, reconciliationId);
  const today = deps.clock.now().slice(0, 10);
  const breaks = r.status === 'REPORTED' ? await deps.breaks.getMany(await breakIdsOfScope(deps, r)) : [];
  const figures: [string, string][] = [
    ['reconciliation_id', r.reconciliationId],
    ['reconciliation_type', r.type],
    ['business_date', r.businessDate],
    ['counterparty', r.counterparty],
    ['state', r.status],
    ['ours', String(r.counts?.ours ?? 0)],
    ['theirs', String(r.counts?.theirs ?? 0)],
    ['matched', String(r.counts?.matched ?? 0)],
    ['matched_on_amount', String(r.counts?.matchedOnAmount ?? 0)],
    ...Object.entries(r.matchedMinor).map(([currency, v]): [string, string] => [`matched_amount_${currency}`, formatMajor(v, currency)]),
    ...Object.entries(r.breaksByKind).map(([kind, n]): [string, string] => [`breaks_${kind}`, String(n)]),
    ...Object.entries(r.breaksByAge).map(([band, n]): [string, string] => [`breaks_age_${band}`, String(n)]),
    ...Object.entries(r.netDifferenceMinor).map(([currency, v]): [string, string] => [`net_difference_${currency}`, formatMajor(v, currency)]),
    ...r.balance.flatMap((b): [string, string][] => [
      [`statement_balance_${b.currency}`, formatMajor(b.statementMinor, b.currency)],
      [`expected_balance_${b.currency}`, formatMajor(b.expectedMinor, b.currency)],
      [`balance_difference_${b.currency}`, formatMajor(b.differenceMinor, b.currency)],
    ]),
  ];
  const rows = [...figures.map(([item, value]) => [item, value, ...BREAK_COLUMNS.map(() => '')]), ...breaks.map((b) => ['', '', ...breakRow(b, today)])];
  return render(`reconciliation_${r.reconciliationId}`, ['item', 'value', ...BREAK_COLUMNS], rows, format, today, '对账 reconciliation');
}
