import { createHash } from 'node:crypto';
import { stringify } from 'csv-stringify/sync';
import type { JournalEntry, SettlementComponent } from '../../domain/ledger.ts';
import { formatMajor, type CurrencyCode } from '../../domain/money/index.ts';
import type { Movement, PayoutInstruction, SettlementItem } from '../../domain/settlement.ts';

/**
 * A lender's daily file set (docs/files.md, Settlement files): pipe-delimited UTF-8 with a header
 * line, rows in a fixed order, a control file (each file's record count, totals per amount
 * column and SHA-256) and the `.ok` marker written last. The same inputs give the same bytes.
 */

export interface RenderedFile {
  readonly name: string;
  readonly body: Buffer;
  readonly records: number;
  readonly totals: Readonly<Record<string, bigint>>;
}

const COMPONENTS: readonly SettlementComponent[] = ['PRINCIPAL', 'INTEREST', 'PENALTY', 'FEE', 'SUSPENSE', 'GUARANTEE', 'LOSS'];

function render(name: string, header: readonly string[], rows: readonly (readonly string[])[], amountColumns: readonly string[], amounts: readonly (readonly bigint[])[]): RenderedFile {
  const body = Buffer.from(stringify([header, ...rows], { delimiter: '|', record_delimiter: '\n', quoted_match: /[|\n"]/ }), 'utf8');
  const totals: Record<string, bigint> = {};
  amountColumns.forEach((column, i) => {
    totals[column] = amounts.reduce((sum, row) => sum + (row[i] ?? 0n), 0n);
  });
  return { name, body, records: rows.length, totals };
}

/** One row per repayment entry (a repayment, its reversal, a restatement) with the lender's part per component. */
export interface DetailRow {
  readonly entry: JournalEntry;
  readonly movements: readonly Movement[];
}

export function repaymentDetailFile(businessDate: string, lenderId: string, rows: readonly DetailRow[]): RenderedFile {
  const header = ['business_date', 'lender_id', 'loan_id', 'event_type', 'event_id', 'value_date', 'booked_on', 'currency', ...COMPONENTS.map((c) => `${c.toLowerCase()}_amount`), 'total_amount', 'corrects_entry'];
  const lines: string[][] = [];
  const amounts: bigint[][] = [];
  for (const { entry, movements } of rows) {
    const own = movements.filter((m) => m.lenderId === lenderId && m.counterparty === 'ESCROW');
    if (own.length === 0) continue;
    const parts = COMPONENTS.map((c) => own.filter((m) => m.component === c).reduce((s, m) => s + m.amountMinor, 0n));
    const total = parts.reduce((s, v) => s + v, 0n);
    const money = (minor: bigint) => formatMajor(minor, entry.currency as CurrencyCode);
    lines.push([
      businessDate,
      lenderId,
      entry.loanId,
      entry.eventType,
      entry.eventId,
      entry.businessDate,
      entry.bookedOn ?? entry.businessDate,
      entry.currency,
      ...parts.map(money),
      money(total),
      entry.reverses ?? '',
    ]);
    amounts.push([...parts, total]);
  }
  return render(`repayment_detail_${compact(businessDate)}.txt`, header, lines, [...COMPONENTS.map((c) => `${c.toLowerCase()}_amount`), 'total_amount'], amounts);
}

/**
 * The settlement summary (汇总对账): per program and counterparty, what is received and paid per
 * component, the net, and the instruction that pays it with its bank reference once executed.
 */
export function settlementSummaryFile(
  businessDate: string,
  lenderId: string,
  items: readonly SettlementItem[],
  instructions: readonly (PayoutInstruction & { readonly executed: { readonly bankReference: string } | null })[],
): RenderedFile {
  const header = ['business_date', 'lender_id', 'program_id', 'counterparty', 'currency', 'component', 'receivable_amount', 'payable_amount', 'net_amount', 'instruction_id', 'value_date', 'bank_reference'];
  const lines: string[][] = [];
  const amounts: bigint[][] = [];
  for (const item of items) {
    if (item.lenderId !== lenderId && item.counterparty !== lenderId) continue;
    const mine = item.lenderId === lenderId;
    const counterparty = mine ? item.counterparty : item.lenderId;
    const receivable = mine ? item.receivableMinor : item.payableMinor;
    const payable = mine ? item.payableMinor : item.receivableMinor;
    const pays = instructions.filter(
      (i) => i.programId === item.programId && i.currency === item.currency && ((i.payer === lenderId && i.payee === counterparty) || (i.payee === lenderId && i.payer === counterparty)),
    );
    const money = (minor: bigint) => formatMajor(minor, item.currency as CurrencyCode);
    lines.push([
      businessDate,
      lenderId,
      item.programId,
      counterparty,
      item.currency,
      item.component,
      money(receivable),
      money(payable),
      money(receivable - payable),
      pays.map((i) => i.instructionId).join(';'),
      pays[0]?.valueDate ?? '',
      pays.map((i) => i.executed?.bankReference ?? '').join(';'),
    ]);
    amounts.push([receivable, payable, receivable - payable]);
  }
  return render(`settlement_summary_${compact(businessDate)}.txt`, header, lines, ['receivable_amount', 'payable_amount', 'net_amount'], amounts);
}

/** The control file: one line per data file, with its records, totals per amount column and SHA-256. */
export function controlFile(businessDate: string, lenderId: string, files: readonly RenderedFile[]): RenderedFile {
  const header = ['business_date', 'lender_id', 'file_name', 'record_count', 'amount_totals', 'sha256'];
  const lines = files.map((f) => [
    businessDate,
    lenderId,
    f.name,
    String(f.records),
    Object.entries(f.totals)
      .map(([column, total]) => `${column}=${total.toString()}`)
      .join(';'),
    sha256(f.body),
  ]);
  return render(`control_${compact(businessDate)}.txt`, header, lines, [], []);
}

export function doneMarker(businessDate: string): RenderedFile {
  return { name: `${compact(businessDate)}.ok`, body: Buffer.from(''), records: 0, totals: {} };
}

export function sha256(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

const compact = (date: string): string => date.replaceAll('-', '');

/** Where a lender's files of a date live: `statements/{lenderId}/{YYYYMMDD}/{name}`. */
export function statementPath(lenderId: string, businessDate: string, name = ''): string {
  return `statements/${lenderId}/${compact(businessDate)}${name === '' ? '' : `/${name}`}`;
}
