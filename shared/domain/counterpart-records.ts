import type { Classification } from './regulatory-profile.ts';
import { DomainError, ValidationError } from './errors.ts';
import { ID_PATTERN } from './ids.ts';
import type { EventType } from './ledger.ts';
import { CURRENCIES, isCurrencyCode, type CurrencyCode } from './money/amount.ts';
import { describeValue } from './money/describe-value.ts';

/**
 * The counterpart files reconciliation reads (docs/files.md, Counterpart files): the escrow
 * bank's statement, in the bank's own layout described by a mapping kept as configuration, and a
 * partner's own records of a data date, sent back in our layouts (还款明细, 贷款主文件). Pure: the
 * records, the layouts, the mapping and its rules; the reading of bytes is an adapter's.
 */
export type CounterpartFileType = 'ESCROW_STATEMENT' | 'PARTNER_REPAYMENTS' | 'PARTNER_LOANS';
export const COUNTERPART_FILE_TYPES: readonly CounterpartFileType[] = ['ESCROW_STATEMENT', 'PARTNER_REPAYMENTS', 'PARTNER_LOANS'];

/** One line of the escrow account's statement. */
export interface EscrowStatementLine {
  /** Physical line of the file where the record starts (1-based); for XLSX the sheet's row number. */
  readonly line: number;
  /** The bank's flow number (交易流水号). */
  readonly bankReference: string;
  readonly valueDate: string;
  /** CREDIT: money into the escrow account; DEBIT: money out of it. */
  readonly direction: 'CREDIT' | 'DEBIT';
  /** Always greater than zero; the direction tells the sign. */
  readonly amountMinor: bigint;
  readonly currency: CurrencyCode;
  readonly counterpartyAccount?: string;
  readonly counterpartyName?: string;
  readonly memo?: string;
  /** The account's balance after the line (may be negative). */
  readonly balanceAfterMinor?: bigint;
  /** Our payout instruction (`SI-YYYYMMDD-...`, docs/settlement.md) the line pays, when the mapping finds one. */
  readonly instructionId?: string;
  /** A borrower payment's flow number, when the mapping finds one. */
  readonly repaymentId?: string;
}

/** A row of a partner's repayment detail (还款明细), the layout of our repayment detail file. */
export interface PartnerRepaymentRow {
  readonly line: number;
  readonly businessDate: string;
  readonly lenderId: string;
  readonly loanId: string;
  readonly eventType: EventType;
  readonly eventId: string;
  readonly valueDate: string;
  readonly bookedOn: string;
  readonly currency: CurrencyCode;
  readonly principalMinor: bigint;
  readonly interestMinor: bigint;
  readonly penaltyMinor: bigint;
  readonly feeMinor: bigint;
  readonly suspenseMinor: bigint;
  readonly guaranteeMinor: bigint;
  readonly lossMinor: bigint;
  /** Checked: the sum of the components. */
  readonly totalMinor: bigint;
  /** The entry a reversal cancels; null on other rows. */
  readonly correctsEntry: string | null;
}

/** A row of a partner's loan master (贷款主文件), the layout of our loan master file. */
export interface PartnerLoanRow {
  readonly line: number;
  readonly businessDate: string;
  readonly lenderId: string;
  readonly loanId: string;
  readonly programId: string;
  readonly currency: CurrencyCode;
  readonly disbursementDate: string;
  readonly loanPrincipalMinor: bigint;
  readonly fundedMinor: bigint;
  /** As written (`0.300000`): for reading; the amounts are the exact figures. */
  readonly fundingShare: string;
  readonly principalBalanceMinor: bigint;
  readonly interestReceivableMinor: bigint;
  readonly guaranteeReceivableMinor: bigint;
  readonly suspenseBalanceMinor: bigint;
  readonly interestIncomeMinor: bigint;
  readonly penaltyIncomeMinor: bigint;
  readonly feeIncomeMinor: bigint;
  readonly feeExpenseMinor: bigint;
  readonly lossMinor: bigint;
  readonly dpd: number;
  readonly classification: Classification;
  /** The date of the risk update the DPD and class are from; null before the loan's first. */
  readonly riskAsOf: string | null;
}

export interface CounterpartRecords {
  readonly ESCROW_STATEMENT: EscrowStatementLine;
  readonly PARTNER_REPAYMENTS: PartnerRepaymentRow;
  readonly PARTNER_LOANS: PartnerLoanRow;
}
export type CounterpartRecord<T extends CounterpartFileType = CounterpartFileType> = CounterpartRecords[T];

/** A problem of a file, where it is: the shape the collection file reports too. */
export interface FileLineError {
  /** 1-based physical line of the file (the sheet's row for XLSX). */
  readonly line: number;
  /** The record field (`amountMinor`, `valueDate`, ...), or `header`, `line`, `file`, `encoding`. */
  readonly path: string;
  readonly rule: string;
  readonly message: string;
}

/** The most errors a refused file lists; reading stops at the hundredth. */
export const MAX_FILE_ERRORS = 100;

/** A counterpart file refused whole: nothing of it may be used. */
export class CounterpartFileError extends DomainError {
  override readonly name = 'CounterpartFileError';
  constructor(
    readonly errors: readonly FileLineError[],
    /** True when reading stopped at MAX_FILE_ERRORS: more lines may be wrong. */
    readonly truncated: boolean,
  ) {
    const first = errors[0];
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more${truncated ? ', reading stopped there' : ''})` : '';
    super('FILE_MALFORMED', `the file is refused whole: line ${first?.line ?? 0}, ${first?.path ?? 'file'}: ${first?.message ?? 'malformed'}${more}`, {
      errors,
      truncated,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Our layouts, as partners send them back.

/** How a cell of a layout is read. */
export type CellKind =
  | 'date'
  | 'optional-date'
  | 'id'
  | 'text'
  | 'optional-text'
  | 'currency'
  | 'amount'
  | 'non-negative-amount'
  | 'count'
  | 'event-type'
  | 'classification'
  | 'share';

export interface LayoutColumn {
  /** The column's English name, as in the header of our file. */
  readonly column: string;
  /** The record field it fills. */
  readonly field: string;
  readonly kind: CellKind;
}

export const EVENT_TYPES: readonly EventType[] = ['DISBURSEMENT', 'REPAYMENT', 'REVERSAL', 'REBOOK', 'COMPENSATION', 'WRITE_OFF', 'TRANSFER', 'FEE', 'BUYBACK'];

const COMPONENT_COLUMNS: readonly LayoutColumn[] = [
  { column: 'principal_amount', field: 'principalMinor', kind: 'amount' },
  { column: 'interest_amount', field: 'interestMinor', kind: 'amount' },
  { column: 'penalty_amount', field: 'penaltyMinor', kind: 'amount' },
  { column: 'fee_amount', field: 'feeMinor', kind: 'amount' },
  { column: 'suspense_amount', field: 'suspenseMinor', kind: 'amount' },
  { column: 'guarantee_amount', field: 'guaranteeMinor', kind: 'amount' },
  { column: 'loss_amount', field: 'lossMinor', kind: 'amount' },
];

/** The repayment detail (docs/files.md, 还款明细), column by column. */
export const PARTNER_REPAYMENT_LAYOUT: readonly LayoutColumn[] = [
  { column: 'business_date', field: 'businessDate', kind: 'date' },
  { column: 'lender_id', field: 'lenderId', kind: 'id' },
  { column: 'loan_id', field: 'loanId', kind: 'id' },
  { column: 'event_type', field: 'eventType', kind: 'event-type' },
  { column: 'event_id', field: 'eventId', kind: 'text' },
  { column: 'value_date', field: 'valueDate', kind: 'date' },
  { column: 'booked_on', field: 'bookedOn', kind: 'date' },
  { column: 'currency', field: 'currency', kind: 'currency' },
  ...COMPONENT_COLUMNS,
  { column: 'total_amount', field: 'totalMinor', kind: 'amount' },
  { column: 'corrects_entry', field: 'correctsEntry', kind: 'optional-text' },
];

/** The components a repayment row's total is the sum of. */
export const PARTNER_REPAYMENT_COMPONENTS: readonly string[] = COMPONENT_COLUMNS.map((c) => c.field);

/** The loan master (docs/files.md, 贷款主文件), column by column. */
export const PARTNER_LOAN_LAYOUT: readonly LayoutColumn[] = [
  { column: 'business_date', field: 'businessDate', kind: 'date' },
  { column: 'lender_id', field: 'lenderId', kind: 'id' },
  { column: 'loan_id', field: 'loanId', kind: 'id' },
  { column: 'program_id', field: 'programId', kind: 'id' },
  { column: 'currency', field: 'currency', kind: 'currency' },
  { column: 'disbursement_date', field: 'disbursementDate', kind: 'date' },
  { column: 'loan_principal', field: 'loanPrincipalMinor', kind: 'non-negative-amount' },
  { column: 'funded_amount', field: 'fundedMinor', kind: 'non-negative-amount' },
  { column: 'funding_share', field: 'fundingShare', kind: 'share' },
  { column: 'principal_balance', field: 'principalBalanceMinor', kind: 'amount' },
  { column: 'interest_receivable', field: 'interestReceivableMinor', kind: 'amount' },
  { column: 'guarantee_receivable', field: 'guaranteeReceivableMinor', kind: 'amount' },
  { column: 'suspense_balance', field: 'suspenseBalanceMinor', kind: 'amount' },
  { column: 'interest_income', field: 'interestIncomeMinor', kind: 'amount' },
  { column: 'penalty_income', field: 'penaltyIncomeMinor', kind: 'amount' },
  { column: 'fee_income', field: 'feeIncomeMinor', kind: 'amount' },
  { column: 'fee_expense', field: 'feeExpenseMinor', kind: 'amount' },
  { column: 'loss_amount', field: 'lossMinor', kind: 'amount' },
  { column: 'dpd', field: 'dpd', kind: 'count' },
  { column: 'classification', field: 'classification', kind: 'classification' },
  { column: 'risk_as_of', field: 'riskAsOf', kind: 'optional-date' },
];

/**
 * A record from its layout's values, in the layout's order. Written out field by field so that a
 * million records share one shape (a test holds each to its layout).
 */
export type LayoutBuilder<R> = (line: number, values: readonly unknown[]) => R;

export const buildPartnerRepayment: LayoutBuilder<PartnerRepaymentRow> = (line, v) => ({
  line,
  businessDate: v[0] as string,
  lenderId: v[1] as string,
  loanId: v[2] as string,
  eventType: v[3] as EventType,
  eventId: v[4] as string,
  valueDate: v[5] as string,
  bookedOn: v[6] as string,
  currency: v[7] as CurrencyCode,
  principalMinor: v[8] as bigint,
  interestMinor: v[9] as bigint,
  penaltyMinor: v[10] as bigint,
  feeMinor: v[11] as bigint,
  suspenseMinor: v[12] as bigint,
  guaranteeMinor: v[13] as bigint,
  lossMinor: v[14] as bigint,
  totalMinor: v[15] as bigint,
  correctsEntry: v[16] as string | null,
});

export const buildPartnerLoan: LayoutBuilder<PartnerLoanRow> = (line, v) => ({
  line,
  businessDate: v[0] as string,
  lenderId: v[1] as string,
  loanId: v[2] as string,
  programId: v[3] as string,
  currency: v[4] as CurrencyCode,
  disbursementDate: v[5] as string,
  loanPrincipalMinor: v[6] as bigint,
  fundedMinor: v[7] as bigint,
  fundingShare: v[8] as string,
  principalBalanceMinor: v[9] as bigint,
  interestReceivableMinor: v[10] as bigint,
  guaranteeReceivableMinor: v[11] as bigint,
  suspenseBalanceMinor: v[12] as bigint,
  interestIncomeMinor: v[13] as bigint,
  penaltyIncomeMinor: v[14] as bigint,
  feeIncomeMinor: v[15] as bigint,
  feeExpenseMinor: v[16] as bigint,
  lossMinor: v[17] as bigint,
  dpd: v[18] as number,
  classification: v[19] as Classification,
  riskAsOf: v[20] as string | null,
});

// ---------------------------------------------------------------------------------------------
// The bank's layout: a mapping kept as configuration.

export const DATE_FORMATS = ['YYYY-MM-DD', 'YYYYMMDD', 'YYYY/MM/DD', 'YYYY/M/D'] as const;
export type DateFormat = (typeof DATE_FORMATS)[number];

export const FILE_ENCODINGS = ['UTF-8', 'GBK'] as const;
export type FileEncoding = (typeof FILE_ENCODINGS)[number];

export const CSV_DELIMITERS = [',', '|', '\t', ';'] as const;

/** The names a column may have in the header; the first one the header holds is read. */
export type ColumnNames = readonly string[];

export type StatementFormat = { readonly kind: 'CSV'; readonly delimiter: (typeof CSV_DELIMITERS)[number] } | { readonly kind: 'XLSX'; readonly sheet: string | number };

/**
 * How the amount and its direction are written: separate debit (借方) and credit (贷方)
 * columns, one of them filled; one signed column; or an unsigned column with a direction flag
 * column (借贷标志).
 */
export type StatementAmount =
  | { readonly kind: 'DEBIT_CREDIT'; readonly debit: ColumnNames; readonly credit: ColumnNames }
  | { readonly kind: 'SIGNED'; readonly column: ColumnNames; readonly creditIs: 'POSITIVE' | 'NEGATIVE' }
  | { readonly kind: 'DIRECTION'; readonly column: ColumnNames; readonly direction: ColumnNames; readonly credit: readonly string[]; readonly debit: readonly string[] };

export type StatementCurrency = { readonly column: ColumnNames; readonly aliases: Readonly<Record<string, CurrencyCode>> } | { readonly fixed: CurrencyCode };

export interface StatementColumns {
  readonly bankReference: ColumnNames;
  readonly valueDate: ColumnNames;
  readonly counterpartyAccount?: ColumnNames;
  readonly counterpartyName?: ColumnNames;
  readonly memo?: ColumnNames;
  readonly balanceAfter?: ColumnNames;
  /** A column holding our instruction id, when the bank has one (a reference the payer gave). */
  readonly instructionId?: ColumnNames;
  readonly repaymentId?: ColumnNames;
}

/** A bank's statement layout (docs/files.md, The bank's mapping). */
export interface BankStatementMapping {
  readonly bankId: string;
  readonly name: string;
  /** Absent: told from the bytes (a UTF-8 BOM or valid UTF-8 is UTF-8, anything else GBK). */
  readonly encoding?: FileEncoding;
  readonly format: StatementFormat;
  /** The header's line (CSV) or row (XLSX), 1-based; the lines before it (a title, the account, the period) are skipped. */
  readonly headerRow: number;
  readonly columns: StatementColumns;
  readonly amount: StatementAmount;
  readonly currency: StatementCurrency;
  readonly dateFormats: readonly DateFormat[];
  /** Whether amounts may be written with thousands separators (`1,234.56`). */
  readonly thousandsSeparator: boolean;
  /** Patterns (JavaScript regular expressions) finding our ids in the memo: the first capture group, or the whole match. */
  readonly memoPatterns: { readonly instructionId?: string; readonly repaymentId?: string };
  /** A row whose first non-empty cell starts with one of these ends the data (合计, 总计: the bank's totals). */
  readonly endMarkers: readonly string[];
}

type Names = string | readonly string[];

/** A mapping as written by an operator: names may be one string, the defaults may be left out. */
export interface BankStatementMappingInput {
  readonly bankId: string;
  readonly name: string;
  readonly encoding?: string;
  readonly format: { readonly kind: 'CSV'; readonly delimiter?: string } | { readonly kind: 'XLSX'; readonly sheet?: string | number };
  readonly headerRow?: number;
  readonly columns: { readonly [K in keyof StatementColumns]: Names | undefined } & { readonly bankReference: Names; readonly valueDate: Names };
  readonly amount:
    | { readonly kind: 'DEBIT_CREDIT'; readonly debit: Names; readonly credit: Names }
    | { readonly kind: 'SIGNED'; readonly column: Names; readonly creditIs?: 'POSITIVE' | 'NEGATIVE' }
    | { readonly kind: 'DIRECTION'; readonly column: Names; readonly direction: Names; readonly credit: readonly string[]; readonly debit: readonly string[] };
  readonly currency: { readonly column: Names; readonly aliases?: Readonly<Record<string, string>> } | { readonly fixed: string };
  readonly dateFormats?: readonly string[];
  readonly thousandsSeparator?: boolean;
  readonly memoPatterns?: { readonly instructionId?: string; readonly repaymentId?: string };
  readonly endMarkers?: readonly string[];
}

/** Our payout instruction id in a memo: `SI-{YYYYMMDD}-{program}-{payer}-{payee}` (docs/settlement.md). */
export const INSTRUCTION_ID_PATTERN = 'SI-\\d{8}-[A-Za-z0-9_.:-]+';

/** What a currency column may say for a currency, beyond the code itself. */
export const CURRENCY_ALIASES: Readonly<Record<string, CurrencyCode>> = { 人民币: 'CNY', RMB: 'CNY', '156': 'CNY', 印度卢比: 'INR', '356': 'INR' };

/** The id of the built-in mapping. */
export const GENERIC_BANK_ID = 'GENERIC-CN';

/**
 * The built-in mapping: a bank statement exported as CSV with the Chinese headers most banks use,
 * separate debit and credit columns, the encoding told from the bytes.
 */
export const GENERIC_BANK_MAPPING: BankStatementMapping = Object.freeze({
  bankId: GENERIC_BANK_ID,
  name: '通用银行流水 CSV（中文表头） generic bank statement CSV with Chinese headers',
  format: { kind: 'CSV', delimiter: ',' },
  headerRow: 1,
  columns: {
    bankReference: ['交易流水号', '流水号', '银行流水号'],
    valueDate: ['交易日期', '记账日期', '起息日'],
    counterpartyAccount: ['对方账号'],
    counterpartyName: ['对方户名', '对方账户名称'],
    memo: ['摘要', '用途', '附言'],
    balanceAfter: ['余额', '账户余额'],
  },
  amount: { kind: 'DEBIT_CREDIT', debit: ['借方发生额', '支出金额'], credit: ['贷方发生额', '收入金额'] },
  currency: { column: ['币种'], aliases: CURRENCY_ALIASES },
  dateFormats: ['YYYY-MM-DD', 'YYYYMMDD', 'YYYY/MM/DD', 'YYYY/M/D'],
  thousandsSeparator: true,
  memoPatterns: { instructionId: INSTRUCTION_ID_PATTERN },
  endMarkers: ['合计', '总计'],
}) as BankStatementMapping;

interface Issue {
  readonly path: string;
  readonly rule: string;
  readonly message: string;
}

const MAX_NAME = 200;
const MAX_PATTERN = 200;

function names(value: Names | undefined, path: string, issues: Issue[]): ColumnNames | undefined {
  if (value === undefined) return undefined;
  const list = (typeof value === 'string' ? [value] : [...value]).map((n) => n.trim());
  if (list.length === 0) issues.push({ path, rule: 'min-items', message: `${path}: name the column (one name, or a list of the names it may have)` });
  list.forEach((n, i) => {
    if (n === '' || n.length > MAX_NAME) issues.push({ path: typeof value === 'string' ? path : `${path}.${i}`, rule: 'column-name', message: `${path}: a column name is 1-${MAX_NAME} characters, got ${describeValue(n)}` });
  });
  return list;
}

function pattern(source: string | undefined, path: string, issues: Issue[]): string | undefined {
  if (source === undefined) return undefined;
  if (source === '' || source.length > MAX_PATTERN) {
    issues.push({ path, rule: 'pattern', message: `${path}: a pattern is 1-${MAX_PATTERN} characters` });
    return undefined;
  }
  let groups: number;
  try {
    groups = (new RegExp(`${source}|`).exec('')?.length ?? 1) - 1;
  } catch (error) {
    issues.push({ path, rule: 'pattern', message: `${path}: not a regular expression: ${(error as Error).message}` });
    return undefined;
  }
  if (groups > 1) issues.push({ path, rule: 'pattern-groups', message: `${path}: at most one capture group (the id), found ${groups}` });
  return source;
}

function currencyCode(value: string, path: string, issues: Issue[]): CurrencyCode {
  if (!isCurrencyCode(value)) issues.push({ path, rule: 'currency', message: `${path} must be one of ${Object.keys(CURRENCIES).join(', ')}, got ${describeValue(value)}` });
  return value as CurrencyCode;
}

/**
 * Checks an operator's mapping and fills its defaults: header row 1, every date format, no
 * thousands separators, no memo pattern, no end marker, a signed amount positive for credits.
 * Every problem is listed with its field path (`columns.valueDate`, `memoPatterns.instructionId`)
 * and rule; the first names the error.
 */
export function validateBankStatementMapping(input: BankStatementMappingInput): BankStatementMapping {
  const issues: Issue[] = [];
  if (!ID_PATTERN.test(input.bankId)) issues.push({ path: 'bankId', rule: 'id-format', message: `bankId must be 1-64 letters, digits, '_', '.', ':' or '-', starting with a letter or digit, got ${describeValue(input.bankId)}` });
  const name = input.name.trim();
  if (name === '' || name.length > MAX_NAME) issues.push({ path: 'name', rule: 'required', message: `name: say which bank and export this is, in 1-${MAX_NAME} characters` });
  if (input.encoding !== undefined && !(FILE_ENCODINGS as readonly string[]).includes(input.encoding)) {
    issues.push({ path: 'encoding', rule: 'encoding', message: `encoding must be one of ${FILE_ENCODINGS.join(', ')} (or left out to tell it from the bytes), got ${describeValue(input.encoding)}` });
  }

  let format: StatementFormat;
  if (input.format.kind === 'CSV') {
    const delimiter = input.format.delimiter ?? ',';
    if (!(CSV_DELIMITERS as readonly string[]).includes(delimiter)) {
      issues.push({ path: 'format.delimiter', rule: 'delimiter', message: `format.delimiter must be one of ${CSV_DELIMITERS.map((d) => JSON.stringify(d)).join(', ')}, got ${describeValue(delimiter)}` });
    }
    format = { kind: 'CSV', delimiter: delimiter as (typeof CSV_DELIMITERS)[number] };
  } else {
    const sheet = input.format.sheet ?? 1;
    if (typeof sheet === 'number' ? !Number.isSafeInteger(sheet) || sheet < 1 : sheet.trim() === '') {
      issues.push({ path: 'format.sheet', rule: 'sheet', message: `format.sheet is the sheet's name or its position from 1, got ${describeValue(sheet)}` });
    }
    format = { kind: 'XLSX', sheet };
  }

  const headerRow = input.headerRow ?? 1;
  if (!Number.isSafeInteger(headerRow) || headerRow < 1 || headerRow > 1000) issues.push({ path: 'headerRow', rule: 'header-row', message: `headerRow is the header's line from 1 to 1000, got ${describeValue(headerRow)}` });

  const columns: Record<string, ColumnNames> = {};
  for (const [field, value] of Object.entries(input.columns)) {
    const list = names(value as Names | undefined, `columns.${field}`, issues);
    if (list) columns[field] = list;
  }
  for (const required of ['bankReference', 'valueDate'] as const) {
    if (!columns[required]) issues.push({ path: `columns.${required}`, rule: 'required', message: `columns.${required}: name the column of the ${required === 'bankReference' ? "bank's flow number" : 'value date'}` });
  }

  let amount: StatementAmount;
  const a = input.amount;
  if (a.kind === 'DEBIT_CREDIT') {
    amount = { kind: 'DEBIT_CREDIT', debit: names(a.debit, 'amount.debit', issues) ?? [], credit: names(a.credit, 'amount.credit', issues) ?? [] };
    const shared = amount.debit.filter((n) => amount.kind === 'DEBIT_CREDIT' && amount.credit.includes(n));
    if (shared.length > 0) issues.push({ path: 'amount.credit', rule: 'distinct-columns', message: `amount.credit: ${describeValue(shared[0])} is also a debit column; debits and credits need columns of their own` });
  } else if (a.kind === 'SIGNED') {
    amount = { kind: 'SIGNED', column: names(a.column, 'amount.column', issues) ?? [], creditIs: a.creditIs ?? 'POSITIVE' };
  } else {
    const flags = (list: readonly string[], path: string) => {
      const trimmed = list.map((f) => f.trim());
      if (trimmed.length === 0 || trimmed.some((f) => f === '')) issues.push({ path, rule: 'min-items', message: `${path}: list the direction column's values for it (贷, C, ...), none empty` });
      return trimmed;
    };
    amount = { kind: 'DIRECTION', column: names(a.column, 'amount.column', issues) ?? [], direction: names(a.direction, 'amount.direction', issues) ?? [], credit: flags(a.credit, 'amount.credit'), debit: flags(a.debit, 'amount.debit') };
    const both = amount.credit.find((f) => amount.kind === 'DIRECTION' && amount.debit.includes(f));
    if (both !== undefined) issues.push({ path: 'amount.debit', rule: 'distinct-flags', message: `amount.debit: ${describeValue(both)} also means a credit` });
  }

  let currency: StatementCurrency;
  if ('fixed' in input.currency) {
    currency = { fixed: currencyCode(input.currency.fixed, 'currency.fixed', issues) };
  } else {
    const aliases: Record<string, CurrencyCode> = {};
    for (const [alias, code] of Object.entries(input.currency.aliases ?? CURRENCY_ALIASES)) aliases[alias.trim()] = currencyCode(code, `currency.aliases.${alias}`, issues);
    currency = { column: names(input.currency.column, 'currency.column', issues) ?? [], aliases };
  }

  const dateFormats = input.dateFormats ?? DATE_FORMATS;
  if (dateFormats.length === 0) issues.push({ path: 'dateFormats', rule: 'min-items', message: 'dateFormats: list at least one date format' });
  dateFormats.forEach((f, i) => {
    if (!(DATE_FORMATS as readonly string[]).includes(f)) issues.push({ path: `dateFormats.${i}`, rule: 'date-format', message: `dateFormats.${i} must be one of ${DATE_FORMATS.join(', ')}, got ${describeValue(f)}` });
  });

  const memoPatterns = {
    ...(input.memoPatterns?.instructionId === undefined ? {} : { instructionId: pattern(input.memoPatterns.instructionId, 'memoPatterns.instructionId', issues) }),
    ...(input.memoPatterns?.repaymentId === undefined ? {} : { repaymentId: pattern(input.memoPatterns.repaymentId, 'memoPatterns.repaymentId', issues) }),
  };
  if (Object.keys(memoPatterns).length > 0 && !columns.memo) issues.push({ path: 'columns.memo', rule: 'required', message: 'columns.memo: memo patterns need the memo column' });

  const endMarkers = (input.endMarkers ?? []).map((m) => m.trim());
  endMarkers.forEach((m, i) => {
    if (m === '') issues.push({ path: `endMarkers.${i}`, rule: 'required', message: `endMarkers.${i}: an end marker is not empty` });
  });

  const first = issues[0];
  if (first) throw new ValidationError(first.message, { path: first.path, rule: first.rule, issues });
  return {
    bankId: input.bankId,
    name,
    ...(input.encoding === undefined ? {} : { encoding: input.encoding as FileEncoding }),
    format,
    headerRow,
    columns: columns as unknown as StatementColumns,
    amount,
    currency,
    dateFormats: dateFormats as readonly DateFormat[],
    thousandsSeparator: input.thousandsSeparator ?? false,
    memoPatterns: memoPatterns as BankStatementMapping['memoPatterns'],
    endMarkers,
  };
}

/** A stored version of a bank's mapping. A version, once written, never changes; the built-in one is version 0. */
export interface BankFormatVersion {
  readonly bankId: string;
  readonly version: number;
  readonly mapping: BankStatementMapping;
  /** The client id of the principal who loaded it (`built-in` for the built-in mapping). */
  readonly loadedBy: string;
  readonly loadedAt: string;
}

/** The built-in mapping as a version: version 0, replaced by any version an operator loads for its id. */
export const BUILT_IN_BANK_FORMATS: readonly BankFormatVersion[] = [{ bankId: GENERIC_BANK_ID, version: 0, mapping: GENERIC_BANK_MAPPING, loadedBy: 'built-in', loadedAt: '1970-01-01T00:00:00.000Z' }];
