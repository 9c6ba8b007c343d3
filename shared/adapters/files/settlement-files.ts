import { createHash } from 'node:crypto';
import { stringify, type Options as CsvOptions } from 'csv-stringify/sync';
import { invariant } from '../../domain/errors.ts';
import { type Account, type Balances, type JournalEntry, type SettlementComponent } from '../../domain/ledger.ts';
import type { LenderInstalment } from '../../domain/schedule.ts';
import { formatMajor, type CurrencyCode } from '../../domain/money/index.ts';
import type { Movement, PayoutInstruction, SettlementItem } from '../../domain/settlement.ts';
import { TextWriter, type FileSink } from './text-writer.ts';

/**
 * A lender's daily file set (docs/files.md, Settlement files): pipe-delimited UTF-8 with a header
 * line, rows in a fixed order, a control file (each file's record count, totals per amount
 * column and SHA-256) and the `.ok` marker written last. The same inputs give the same bytes.
 *
 * Each file has a layout (its name, header and amount columns) and a function from one record to
 * its row. A small file is rendered whole (`render`); a file with a row per loan is written as its
 * rows come (`DataFileWriter`), through the same layout and row functions and the same
 * csv-stringify options, so both give the same bytes for the same rows.
 */

/** One row of a data file: its cells as written, and its amounts in minor units, in the order of the file's amount columns. */
export interface FileRow {
  readonly fields: readonly string[];
  readonly amounts: readonly bigint[];
}

/** A data file's name, header line and the columns the control file totals. */
export interface FileLayout {
  readonly prefix: string;
  readonly header: readonly string[];
  readonly amountColumns: readonly string[];
}

/** What the control file and the run keep of a written file. */
export interface WrittenFile {
  readonly name: string;
  readonly records: number;
  readonly totals: Readonly<Record<string, bigint>>;
  readonly sha256: string;
}

export interface RenderedFile extends WrittenFile {
  readonly body: Buffer;
  /** The header and rows as written, for the copies for people (human-copies.ts). */
  readonly table: { readonly header: readonly string[]; readonly rows: readonly (readonly string[])[] };
}

const COMPONENTS: readonly SettlementComponent[] = ['PRINCIPAL', 'INTEREST', 'PENALTY', 'FEE', 'SUSPENSE', 'GUARANTEE', 'LOSS'];
const COMPONENT_COLUMNS = COMPONENTS.map((c) => `${c.toLowerCase()}_amount`);

/**
 * How rows are written as lines: csv-stringify's options, and the characters that make it quote
 * or escape a field. A row with none of them is its fields joined by the delimiter, which is what
 * csv-stringify writes for it (a property test holds the two equal for any rows); the others go
 * through csv-stringify.
 */
export interface LineFormat {
  readonly options: CsvOptions & { readonly delimiter: string; readonly record_delimiter: string };
  readonly quotable: RegExp;
}

/** How every data file is written: `|` between fields, a field holding `|`, a line break or a quote quoted, `\n` after each line. */
export const PIPE_DELIMITED: LineFormat = { options: { delimiter: '|', record_delimiter: '\n', quoted_match: /[|\n"]/ }, quotable: /[|"\n\r]/ };

/** Rows as csv-stringify writes them in `format`. */
export function formatRows(rows: readonly (readonly string[])[], format: LineFormat): string {
  const { delimiter, record_delimiter: end } = format.options;
  let text = '';
  for (const fields of rows) {
    text += fields.some((field) => format.quotable.test(field)) ? stringify([fields as string[]], format.options) : fields.join(delimiter) + end;
  }
  return text;
}

export const fileName = (layout: FileLayout, businessDate: string): string => `${layout.prefix}_${compact(businessDate)}.txt`;

function totalsOf(layout: FileLayout, rows: readonly FileRow[]): Record<string, bigint> {
  const totals: Record<string, bigint> = {};
  layout.amountColumns.forEach((column, i) => {
    totals[column] = rows.reduce((sum, row) => sum + (row.amounts[i] ?? 0n), 0n);
  });
  return totals;
}

/** A whole file from its rows, in memory: for the files whose size does not grow with the loans. */
function render(layout: FileLayout, businessDate: string, rows: readonly FileRow[]): RenderedFile {
  const table = { header: layout.header, rows: rows.map((r) => r.fields) };
  const body = Buffer.from(formatRows([table.header, ...table.rows], PIPE_DELIMITED), 'utf8');
  return { name: fileName(layout, businessDate), body, records: rows.length, totals: totalsOf(layout, rows), sha256: sha256(body), table };
}

/** Something that takes the rows of a file as they come, a batch at a time (a data file, a copy for people). */
export interface RowSink {
  /** Takes the next rows, in order. */
  write(rows: readonly (readonly string[])[]): Promise<void>;
  /** Ends the file and waits until it is stored whole. */
  end(): Promise<void>;
  /** Stops the file: nothing of it is kept. */
  abort(error: Error): Promise<void>;
}

/** What some rows of a file add up to: how many, and the total of each amount column (minor units). */
export interface RowTotals {
  readonly rows: number;
  readonly totals: readonly bigint[];
}

export const noRows = (layout: FileLayout): RowTotals => ({ rows: 0, totals: layout.amountColumns.map(() => 0n) });

export const addRows = (a: RowTotals, b: RowTotals): RowTotals => ({ rows: a.rows + b.rows, totals: a.totals.map((total, i) => total + (b.totals[i] ?? 0n)) });

/**
 * Rows written as lines (`formatRows`) to a file of the store as they come, its SHA-256 computed
 * on the way: the same bytes as the rows formatted in one call.
 */
export class LineWriter {
  private readonly text: TextWriter;

  /** `start`: text the file begins with (a byte order mark). */
  constructor(
    private readonly format: LineFormat,
    sink: FileSink,
    start = '',
  ) {
    this.text = new TextWriter(sink, start);
  }

  async write(rows: readonly (readonly string[])[]): Promise<void> {
    if (rows.length > 0) await this.text.write(formatRows(rows, this.format));
  }

  /** Ends the file and waits until it is stored whole; its SHA-256. */
  end(): Promise<string> {
    return this.text.end();
  }

  abort(error: Error): Promise<void> {
    return this.text.abort(error);
  }
}

/**
 * A data file written as its rows come, a batch at a time: the header line first, each batch
 * given to the copies for people too. Its record count and totals are those its rows' sources
 * added up as they made them (`end`), checked against the rows written. The same rows give the
 * same bytes as `render`.
 */
export class DataFileWriter {
  private records = 0;
  private readonly lines: LineWriter;

  private constructor(
    private readonly layout: FileLayout,
    private readonly businessDate: string,
    sink: FileSink,
    private readonly copies: readonly RowSink[],
  ) {
    this.lines = new LineWriter(PIPE_DELIMITED, sink);
  }

  static async open(layout: FileLayout, businessDate: string, sink: FileSink, copies: readonly RowSink[] = []): Promise<DataFileWriter> {
    const writer = new DataFileWriter(layout, businessDate, sink, copies);
    await writer.lines.write([layout.header]);
    return writer;
  }

  async write(rows: readonly (readonly string[])[]): Promise<void> {
    this.records += rows.length;
    await this.lines.write(rows);
    for (const copy of this.copies) await copy.write(rows);
  }

  /** Ends the file (and its copies) with what its rows add up to, which must count exactly the rows written. */
  async end(added: RowTotals): Promise<WrittenFile> {
    const name = fileName(this.layout, this.businessDate);
    invariant(added.rows === this.records, 'a file holds every row its sources made', { file: name, made: added.rows, written: this.records });
    const [sha] = await Promise.all([this.lines.end(), ...this.copies.map((c) => c.end())]);
    const totals: Record<string, bigint> = {};
    this.layout.amountColumns.forEach((column, i) => {
      totals[column] = added.totals[i] ?? 0n;
    });
    return { name, records: this.records, totals, sha256: sha };
  }

  async abort(error: Error): Promise<void> {
    await Promise.all([this.lines.abort(error), ...this.copies.map((c) => c.abort(error))]);
  }
}

/** One row per repayment entry (a repayment, its reversal, a restatement) with the lender's part per component. */
export interface DetailRow {
  readonly entry: JournalEntry;
  readonly movements: readonly Movement[];
}

export const REPAYMENT_DETAIL: FileLayout = {
  prefix: 'repayment_detail',
  header: ['business_date', 'lender_id', 'loan_id', 'event_type', 'event_id', 'value_date', 'booked_on', 'currency', ...COMPONENT_COLUMNS, 'total_amount', 'corrects_entry'],
  amountColumns: [...COMPONENT_COLUMNS, 'total_amount'],
};

/** The lender's row of a repayment entry: its part of each component; none when it has no part with the collection account. */
export function repaymentDetailFileRow(businessDate: string, lenderId: string, { entry, movements }: DetailRow): FileRow | null {
  const own = movements.filter((m) => m.lenderId === lenderId && m.counterparty === 'ESCROW');
  if (own.length === 0) return null;
  const parts = COMPONENTS.map((c) => own.filter((m) => m.component === c).reduce((s, m) => s + m.amountMinor, 0n));
  const total = parts.reduce((s, v) => s + v, 0n);
  const m = money(entry.currency);
  return {
    fields: [businessDate, lenderId, entry.loanId, entry.eventType, entry.eventId, entry.businessDate, entry.bookedOn ?? entry.businessDate, entry.currency, ...parts.map(m), m(total), entry.reverses ?? ''],
    amounts: [...parts, total],
  };
}

export function repaymentDetailFile(businessDate: string, lenderId: string, rows: readonly DetailRow[]): RenderedFile {
  return render(REPAYMENT_DETAIL, businessDate, rows.flatMap((row) => repaymentDetailFileRow(businessDate, lenderId, row) ?? []));
}

export const SETTLEMENT_SUMMARY: FileLayout = {
  prefix: 'settlement_summary',
  header: ['business_date', 'lender_id', 'program_id', 'counterparty', 'currency', 'component', 'receivable_amount', 'payable_amount', 'net_amount', 'instruction_id', 'value_date', 'bank_reference'],
  amountColumns: ['receivable_amount', 'payable_amount', 'net_amount'],
};

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
  const rows: FileRow[] = [];
  for (const item of items) {
    if (item.lenderId !== lenderId && item.counterparty !== lenderId) continue;
    const mine = item.lenderId === lenderId;
    const counterparty = mine ? item.counterparty : item.lenderId;
    const receivable = mine ? item.receivableMinor : item.payableMinor;
    const payable = mine ? item.payableMinor : item.receivableMinor;
    const pays = instructions.filter(
      (i) => i.programId === item.programId && i.currency === item.currency && ((i.payer === lenderId && i.payee === counterparty) || (i.payee === lenderId && i.payer === counterparty)),
    );
    const m = money(item.currency);
    rows.push({
      fields: [
        businessDate,
        lenderId,
        item.programId,
        counterparty,
        item.currency,
        item.component,
        m(receivable),
        m(payable),
        m(receivable - payable),
        pays.map((i) => i.instructionId).join(';'),
        pays[0]?.valueDate ?? '',
        pays.map((i) => i.executed?.bankReference ?? '').join(';'),
      ],
      amounts: [receivable, payable, receivable - payable],
    });
  }
  return render(SETTLEMENT_SUMMARY, businessDate, rows);
}

export const CONTROL: FileLayout = { prefix: 'control', header: ['business_date', 'lender_id', 'file_name', 'record_count', 'amount_totals', 'sha256'], amountColumns: [] };

/** The control file: one line per data file, with its records, totals per amount column and SHA-256. */
export function controlFile(businessDate: string, lenderId: string, files: readonly WrittenFile[]): RenderedFile {
  const rows = files.map((f) => ({
    fields: [
      businessDate,
      lenderId,
      f.name,
      String(f.records),
      Object.entries(f.totals)
        .map(([column, total]) => `${column}=${total.toString()}`)
        .join(';'),
      f.sha256,
    ],
    amounts: [],
  }));
  return render(CONTROL, businessDate, rows);
}

export function doneMarker(businessDate: string): RenderedFile {
  const body = Buffer.from('');
  return { name: `${compact(businessDate)}.ok`, body, records: 0, totals: {}, sha256: sha256(body), table: { header: [], rows: [] } };
}

export function sha256(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

const compact = (date: string): string => date.replaceAll('-', '');

/** Where a lender's files of a date live: `statements/{lenderId}/{YYYYMMDD}/{name}`. */
export function statementPath(lenderId: string, businessDate: string, name = ''): string {
  return `statements/${lenderId}/${compact(businessDate)}${name === '' ? '' : `/${name}`}`;
}

const money = (currency: string) => (minor: bigint) => formatMajor(minor, currency as CurrencyCode);

/**
 * A part of a whole as a decimal fraction with six places, rounded half up (0.300000 for 30%):
 * for reading only; the exact figures are the amounts next to it.
 */
export function shareOf(partMinor: bigint, wholeMinor: bigint): string {
  if (wholeMinor <= 0n || partMinor < 0n) return '0.000000';
  const scaled = (partMinor * 2_000_000n + wholeMinor) / (2n * wholeMinor);
  return `${scaled / 1_000_000n}.${(scaled % 1_000_000n).toString().padStart(6, '0')}`;
}

/** One account of a lender's book for a date: balances debit-positive (a credit balance is negative). */
export interface TrialBalanceLine {
  readonly currency: string;
  readonly account: Account;
  readonly openingMinor: bigint;
  readonly debitMinor: bigint;
  readonly creditMinor: bigint;
  readonly closingMinor: bigint;
}

const TRIAL_BALANCE_AMOUNTS = ['opening_debit', 'opening_credit', 'debit_amount', 'credit_amount', 'closing_debit', 'closing_credit'];
export const TRIAL_BALANCE: FileLayout = { prefix: 'trial_balance', header: ['business_date', 'lender_id', 'currency', 'account', ...TRIAL_BALANCE_AMOUNTS], amountColumns: TRIAL_BALANCE_AMOUNTS };

/**
 * The trial balance (试算平衡表): per currency, every account of the lender's book with its
 * opening balance, the date's debits and credits and its closing balance, each balance on its
 * side. The lines come checked (settlement.ts, `trialBalance`): debits equal credits.
 */
export function trialBalanceFile(businessDate: string, lenderId: string, lines: readonly TrialBalanceLine[]): RenderedFile {
  const debitSide = (balance: bigint) => (balance > 0n ? balance : 0n);
  const creditSide = (balance: bigint) => (balance < 0n ? -balance : 0n);
  const rows = lines.map((l) => {
    const amounts = [debitSide(l.openingMinor), creditSide(l.openingMinor), l.debitMinor, l.creditMinor, debitSide(l.closingMinor), creditSide(l.closingMinor)];
    return { fields: [businessDate, lenderId, l.currency, l.account, ...amounts.map(money(l.currency))], amounts };
  });
  return render(TRIAL_BALANCE, businessDate, rows);
}

/** The accounts of a lender's position in a loan the loan master shows, each on the side it normally stands. */
const LOAN_MASTER_BALANCES: readonly (readonly [column: string, account: Account, side: 1n | -1n])[] = [
  ['principal_balance', 'PRINCIPAL_RECEIVABLE', 1n],
  ['interest_receivable', 'INTEREST_RECEIVABLE', 1n],
  ['guarantee_receivable', 'GUARANTEE_RECEIVABLE', 1n],
  ['suspense_balance', 'SUSPENSE', -1n],
  ['interest_income', 'INTEREST_INCOME', -1n],
  ['penalty_income', 'PENALTY_INCOME', -1n],
  ['fee_income', 'FEE_INCOME', -1n],
  ['fee_expense', 'FEE_EXPENSE', 1n],
  ['loss_amount', 'LOSSES', 1n],
];

/** A lender's part of one loan at the end of the date. */
export interface LoanMasterRow {
  readonly loanId: string;
  readonly programId: string;
  readonly currency: string;
  readonly disbursementDate: string;
  readonly loanPrincipalMinor: bigint;
  /** What the lender funded at disbursement (0 for a part bought later). */
  readonly fundedMinor: bigint;
  /** The lender's position in the loan, debit-positive. */
  readonly balancesMinor: Balances;
  readonly dpd: number;
  readonly classification: string;
  /** The date of the risk update the DPD and class are from; null before the loan's first. */
  readonly riskAsOf: string | null;
}

const LOAN_MASTER_BALANCE_COLUMNS = LOAN_MASTER_BALANCES.map(([column]) => column);
export const LOAN_MASTER: FileLayout = {
  prefix: 'loan_master',
  header: [
    'business_date',
    'lender_id',
    'loan_id',
    'program_id',
    'currency',
    'disbursement_date',
    'loan_principal',
    'funded_amount',
    'funding_share',
    ...LOAN_MASTER_BALANCE_COLUMNS,
    'dpd',
    'classification',
    'risk_as_of',
  ],
  amountColumns: ['loan_principal', 'funded_amount', ...LOAN_MASTER_BALANCE_COLUMNS],
};

export function loanMasterFileRow(businessDate: string, lenderId: string, r: LoanMasterRow): FileRow {
  const amounts = [r.loanPrincipalMinor, r.fundedMinor, ...LOAN_MASTER_BALANCES.map(([, account, side]) => (r.balancesMinor[account] ?? 0n) * side)];
  const [principal, funded, ...balances] = amounts.map(money(r.currency));
  return {
    fields: [businessDate, lenderId, r.loanId, r.programId, r.currency, r.disbursementDate, principal!, funded!, shareOf(r.fundedMinor, r.loanPrincipalMinor), ...balances, String(r.dpd), r.classification, r.riskAsOf ?? ''],
    amounts,
  };
}

/** The loan master (贷款主文件): one row per loan the lender holds a part of, or had movements on that date. */
export function loanMasterFile(businessDate: string, lenderId: string, rows: readonly LoanMasterRow[]): RenderedFile {
  return render(LOAN_MASTER, businessDate, rows.map((r) => loanMasterFileRow(businessDate, lenderId, r)));
}

/** A lender's part of one disbursement the date settles. */
export interface DisbursementRow {
  readonly loanId: string;
  readonly programId: string;
  readonly currency: string;
  readonly disbursementDate: string;
  readonly bookedOn: string;
  readonly loanPrincipalMinor: bigint;
  /** The lender's principal paid out. */
  readonly principalMinor: bigint;
  readonly reference: string;
}

export const DISBURSEMENT_DETAIL: FileLayout = {
  prefix: 'disbursement_detail',
  header: ['business_date', 'lender_id', 'loan_id', 'program_id', 'currency', 'disbursement_date', 'booked_on', 'loan_principal', 'principal_amount', 'funding_share', 'disbursement_reference'],
  amountColumns: ['loan_principal', 'principal_amount'],
};

export function disbursementDetailFileRow(businessDate: string, lenderId: string, r: DisbursementRow): FileRow {
  const m = money(r.currency);
  return {
    fields: [businessDate, lenderId, r.loanId, r.programId, r.currency, r.disbursementDate, r.bookedOn, m(r.loanPrincipalMinor), m(r.principalMinor), shareOf(r.principalMinor, r.loanPrincipalMinor), r.reference],
    amounts: [r.loanPrincipalMinor, r.principalMinor],
  };
}

/** The disbursement detail (放款明细): one row per disbursement entry settled, the lender's principal. */
export function disbursementDetailFile(businessDate: string, lenderId: string, rows: readonly DisbursementRow[]): RenderedFile {
  return render(DISBURSEMENT_DETAIL, businessDate, rows.map((r) => disbursementDetailFileRow(businessDate, lenderId, r)));
}

/** One instalment of a lender's sub-schedule of a loan disbursed in the run's days. */
export interface ScheduleRow {
  readonly loanId: string;
  readonly programId: string;
  readonly currency: string;
  readonly instalment: LenderInstalment;
}

const SCHEDULE_AMOUNTS = ['principal_amount', 'interest_amount', 'spread_amount', 'total_amount', 'closing_principal'];
export const REPAYMENT_SCHEDULE: FileLayout = {
  prefix: 'repayment_schedule',
  header: ['business_date', 'lender_id', 'loan_id', 'program_id', 'currency', 'instalment_number', 'due_date', ...SCHEDULE_AMOUNTS],
  amountColumns: SCHEDULE_AMOUNTS,
};

export function repaymentScheduleFileRow(businessDate: string, lenderId: string, r: ScheduleRow): FileRow {
  const i = r.instalment;
  // A sub-schedule stored before the spread had a field of its own has none: its spread was 0 or folded into interest.
  const amounts = [i.principalMinor, i.interestMinor, i.spreadMinor ?? 0n, i.totalMinor, i.closingPrincipalMinor];
  return { fields: [businessDate, lenderId, r.loanId, r.programId, r.currency, String(i.number), i.dueDate, ...amounts.map(money(r.currency))], amounts };
}

/** The repayment schedule (还款计划): the lender's sub-schedule of each loan whose disbursement the date settles. */
export function repaymentScheduleFile(businessDate: string, lenderId: string, rows: readonly ScheduleRow[]): RenderedFile {
  return render(REPAYMENT_SCHEDULE, businessDate, rows.map((r) => repaymentScheduleFileRow(businessDate, lenderId, r)));
}

/** What a guarantor paid one lender by a compensation entry (or the change a restatement of it made). */
export interface CompensationRow {
  readonly loanId: string;
  readonly entryId: string;
  readonly eventType: JournalEntry['eventType'];
  readonly eventId: string;
  readonly valueDate: string;
  readonly bookedOn: string;
  readonly currency: string;
  readonly guarantorId: string;
  readonly lenderId: string;
  readonly principalMinor: bigint;
  readonly interestMinor: bigint;
  /** Fees and the lead's spread the guarantee covered. */
  readonly feeMinor: bigint;
  readonly totalMinor: bigint;
}

const COMPENSATION_AMOUNTS = ['principal_amount', 'interest_amount', 'fee_amount', 'total_amount'];
export const COMPENSATION: FileLayout = {
  prefix: 'compensation',
  header: ['business_date', 'lender_id', 'loan_id', 'event_type', 'event_id', 'value_date', 'booked_on', 'currency', 'guarantor_id', 'compensated_lender_id', ...COMPENSATION_AMOUNTS],
  amountColumns: COMPENSATION_AMOUNTS,
};

/** The row of a compensation in the file of `lenderId`: the compensated lender's, or the guarantor's. */
export function compensationFileRow(businessDate: string, lenderId: string, r: CompensationRow): FileRow {
  const amounts = [r.principalMinor, r.interestMinor, r.feeMinor, r.totalMinor];
  return { fields: [businessDate, lenderId, r.loanId, r.eventType, r.eventId, r.valueDate, r.bookedOn, r.currency, r.guarantorId, r.lenderId, ...amounts.map(money(r.currency))], amounts };
}

/** The compensation file (代偿): one row per compensation entry settled and lender paid, in the guarantor's file and the lender's. */
export function compensationFile(businessDate: string, lenderId: string, rows: readonly CompensationRow[]): RenderedFile {
  return render(COMPENSATION, businessDate, rows.map((r) => compensationFileRow(businessDate, lenderId, r)));
}

/** The data files of a lender's set, in the order of the control file. */
export const DATA_FILES: readonly FileLayout[] = [SETTLEMENT_SUMMARY, REPAYMENT_DETAIL, LOAN_MASTER, DISBURSEMENT_DETAIL, REPAYMENT_SCHEDULE, COMPENSATION, TRIAL_BALANCE];

/** The Chinese name of every column of the files, for the copies for people. */
export const COLUMN_NAMES_ZH: Readonly<Record<string, string>> = {
  business_date: '业务日期',
  lender_id: '资金方编号',
  program_id: '项目编号',
  counterparty: '交易对手',
  currency: '币种',
  component: '款项类别',
  receivable_amount: '应收金额',
  payable_amount: '应付金额',
  net_amount: '净额',
  instruction_id: '指令编号',
  value_date: '起息日',
  bank_reference: '银行流水号',
  loan_id: '借据号',
  event_type: '事件类型',
  event_id: '事件编号',
  booked_on: '入账日',
  principal_amount: '本金',
  interest_amount: '利息',
  penalty_amount: '罚息',
  fee_amount: '费用',
  suspense_amount: '挂账',
  guarantee_amount: '代偿',
  loss_amount: '损失',
  total_amount: '合计',
  corrects_entry: '冲正原分录',
  account: '科目',
  opening_debit: '期初借方余额',
  opening_credit: '期初贷方余额',
  debit_amount: '本期借方发生额',
  credit_amount: '本期贷方发生额',
  closing_debit: '期末借方余额',
  closing_credit: '期末贷方余额',
  disbursement_date: '放款日期',
  loan_principal: '贷款本金',
  funded_amount: '出资金额',
  funding_share: '出资比例',
  principal_balance: '本金余额',
  interest_receivable: '应收利息',
  guarantee_receivable: '应收代偿款',
  suspense_balance: '挂账余额',
  interest_income: '累计利息收入',
  penalty_income: '累计罚息收入',
  fee_income: '累计费用收入',
  fee_expense: '累计费用支出',
  dpd: '逾期天数',
  classification: '五级分类',
  risk_as_of: '分类日期',
  disbursement_reference: '放款流水号',
  instalment_number: '期次',
  due_date: '应还日期',
  spread_amount: '利差',
  closing_principal: '期末本金余额',
  guarantor_id: '代偿方编号',
  compensated_lender_id: '受偿资金方编号',
  break_id: '差异编号',
  reconciliation_id: '对账编号',
  reconciliation_type: '对账类型',
  kind: '差异类型',
  record_key: '记录键',
  ours_amount: '我方金额',
  theirs_amount: '对方金额',
  difference_amount: '差额',
  ours_value: '我方值',
  theirs_value: '对方值',
  lines: '对方文件行号',
  state: '状态',
  owner: '负责人',
  opened_on: '发现日期',
  age_days: '账龄天数',
  item: '项目',
  value: '数值',
};
