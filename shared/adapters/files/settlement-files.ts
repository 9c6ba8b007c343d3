import { createHash } from 'node:crypto';
import { stringify } from 'csv-stringify/sync';
import { type Account, type Balances, type JournalEntry, type SettlementComponent } from '../../domain/ledger.ts';
import type { LenderInstalment } from '../../domain/schedule.ts';
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
  /** The header and rows as written, for the copies for people (human-copies.ts). */
  readonly table: { readonly header: readonly string[]; readonly rows: readonly (readonly string[])[] };
}

const COMPONENTS: readonly SettlementComponent[] = ['PRINCIPAL', 'INTEREST', 'PENALTY', 'FEE', 'SUSPENSE', 'GUARANTEE', 'LOSS'];

function render(name: string, header: readonly string[], rows: readonly (readonly string[])[], amountColumns: readonly string[], amounts: readonly (readonly bigint[])[]): RenderedFile {
  const body = Buffer.from(stringify([header, ...rows], { delimiter: '|', record_delimiter: '\n', quoted_match: /[|\n"]/ }), 'utf8');
  const totals: Record<string, bigint> = {};
  amountColumns.forEach((column, i) => {
    totals[column] = amounts.reduce((sum, row) => sum + (row[i] ?? 0n), 0n);
  });
  return { name, body, records: rows.length, totals, table: { header, rows } };
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
  return { name: `${compact(businessDate)}.ok`, body: Buffer.from(''), records: 0, totals: {}, table: { header: [], rows: [] } };
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

/**
 * The trial balance (试算平衡表): per currency, every account of the lender's book with its
 * opening balance, the date's debits and credits and its closing balance, each balance on its
 * side. The lines come checked (settlement.ts, `trialBalance`): debits equal credits.
 */
export function trialBalanceFile(businessDate: string, lenderId: string, lines: readonly TrialBalanceLine[]): RenderedFile {
  const amountColumns = ['opening_debit', 'opening_credit', 'debit_amount', 'credit_amount', 'closing_debit', 'closing_credit'];
  const header = ['business_date', 'lender_id', 'currency', 'account', ...amountColumns];
  const debitSide = (balance: bigint) => (balance > 0n ? balance : 0n);
  const creditSide = (balance: bigint) => (balance < 0n ? -balance : 0n);
  const amounts = lines.map((l) => [debitSide(l.openingMinor), creditSide(l.openingMinor), l.debitMinor, l.creditMinor, debitSide(l.closingMinor), creditSide(l.closingMinor)]);
  const rows = lines.map((l, i) => [businessDate, lenderId, l.currency, l.account, ...amounts[i]!.map(money(l.currency))]);
  return render(`trial_balance_${compact(businessDate)}.txt`, header, rows, amountColumns, amounts);
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

/** The loan master (贷款主文件): one row per loan the lender holds a part of, or had movements on that date. */
export function loanMasterFile(businessDate: string, lenderId: string, rows: readonly LoanMasterRow[]): RenderedFile {
  const amountColumns = ['loan_principal', 'funded_amount', ...LOAN_MASTER_BALANCES.map(([column]) => column)];
  const header = [
    'business_date',
    'lender_id',
    'loan_id',
    'program_id',
    'currency',
    'disbursement_date',
    'loan_principal',
    'funded_amount',
    'funding_share',
    ...LOAN_MASTER_BALANCES.map(([column]) => column),
    'dpd',
    'classification',
    'risk_as_of',
  ];
  const amounts = rows.map((r) => [r.loanPrincipalMinor, r.fundedMinor, ...LOAN_MASTER_BALANCES.map(([, account, side]) => (r.balancesMinor[account] ?? 0n) * side)]);
  const lines = rows.map((r, i) => {
    const [principal, funded, ...balances] = amounts[i]!.map(money(r.currency));
    return [businessDate, lenderId, r.loanId, r.programId, r.currency, r.disbursementDate, principal!, funded!, shareOf(r.fundedMinor, r.loanPrincipalMinor), ...balances, String(r.dpd), r.classification, r.riskAsOf ?? ''];
  });
  return render(`loan_master_${compact(businessDate)}.txt`, header, lines, amountColumns, amounts);
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

/** The disbursement detail (放款明细): one row per disbursement entry settled, the lender's principal. */
export function disbursementDetailFile(businessDate: string, lenderId: string, rows: readonly DisbursementRow[]): RenderedFile {
  const header = ['business_date', 'lender_id', 'loan_id', 'program_id', 'currency', 'disbursement_date', 'booked_on', 'loan_principal', 'principal_amount', 'funding_share', 'disbursement_reference'];
  const amounts = rows.map((r) => [r.loanPrincipalMinor, r.principalMinor]);
  const lines = rows.map((r) => {
    const m = money(r.currency);
    return [businessDate, lenderId, r.loanId, r.programId, r.currency, r.disbursementDate, r.bookedOn, m(r.loanPrincipalMinor), m(r.principalMinor), shareOf(r.principalMinor, r.loanPrincipalMinor), r.reference];
  });
  return render(`disbursement_detail_${compact(businessDate)}.txt`, header, lines, ['loan_principal', 'principal_amount'], amounts);
}

/** One instalment of a lender's sub-schedule of a loan disbursed in the run's days. */
export interface ScheduleRow {
  readonly loanId: string;
  readonly programId: string;
  readonly currency: string;
  readonly instalment: LenderInstalment;
}

/** The repayment schedule (还款计划): the lender's sub-schedule of each loan whose disbursement the date settles. */
export function repaymentScheduleFile(businessDate: string, lenderId: string, rows: readonly ScheduleRow[]): RenderedFile {
  const amountColumns = ['principal_amount', 'interest_amount', 'total_amount', 'closing_principal'];
  const header = ['business_date', 'lender_id', 'loan_id', 'program_id', 'currency', 'instalment_number', 'due_date', ...amountColumns];
  const amounts = rows.map(({ instalment: i }) => [i.principalMinor, i.interestMinor, i.totalMinor, i.closingPrincipalMinor]);
  const lines = rows.map((r, i) => [businessDate, lenderId, r.loanId, r.programId, r.currency, String(r.instalment.number), r.instalment.dueDate, ...amounts[i]!.map(money(r.currency))]);
  return render(`repayment_schedule_${compact(businessDate)}.txt`, header, lines, amountColumns, amounts);
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

/** The compensation file (代偿): one row per compensation entry settled and lender paid, in the guarantor's file and the lender's. */
export function compensationFile(businessDate: string, lenderId: string, rows: readonly CompensationRow[]): RenderedFile {
  const amountColumns = ['principal_amount', 'interest_amount', 'fee_amount', 'total_amount'];
  const header = ['business_date', 'lender_id', 'loan_id', 'event_type', 'event_id', 'value_date', 'booked_on', 'currency', 'guarantor_id', 'compensated_lender_id', ...amountColumns];
  const amounts = rows.map((r) => [r.principalMinor, r.interestMinor, r.feeMinor, r.totalMinor]);
  const lines = rows.map((r, i) => [businessDate, lenderId, r.loanId, r.eventType, r.eventId, r.valueDate, r.bookedOn, r.currency, r.guarantorId, r.lenderId, ...amounts[i]!.map(money(r.currency))]);
  return render(`compensation_${compact(businessDate)}.txt`, header, lines, amountColumns, amounts);
}

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
