import { CURRENCIES, isCurrencyCode } from '../../domain/money/amount.ts';
import { describeValue } from '../../domain/money/describe-value.ts';
import { parseMajorText } from '../../domain/money/major-text.ts';
import type { FileLineError } from '../../domain/counterpart-records.ts';
import { repaymentRequest, type RepaymentRequestBody } from '../../contracts/schemas.ts';
import { ruleOf } from '../../contracts/validate.ts';
import { separatorOf, splitDelimited, type DelimitedProblem, type DelimitedRecord } from './delimited-records.ts';

/**
 * The lead's daily collection file: one borrower payment a record, as CSV (header required) or
 * in the pipe-delimited form of the partner files (header optional), both read with csv-parse's
 * rules (delimited-records.ts: a quoted field may hold the separator and line breaks). Every
 * record goes through the API's own `repaymentRequest` schema, so a line the file accepts is a
 * line the API accepts. Pure: text in, requests and errors out, each error with the physical
 * line where its record starts.
 */
export type CollectionFileFormat = 'CSV' | 'PIPE';

/** `path` is the request field (`amountMinor`, `valueDate`, ...), or `header`, `line`, `file`. */
export type CollectionLineError = FileLineError;

export interface CollectionRepayment {
  readonly line: number;
  readonly request: RepaymentRequestBody;
}

export interface ParsedCollectionFile {
  readonly repayments: CollectionRepayment[];
  readonly errors: CollectionLineError[];
  readonly format: CollectionFileFormat;
}

const COLUMNS = ['repayment_id', 'loan_id', 'amount', 'amount_minor', 'currency', 'value_date', 'channel', 'kind'] as const;
type Column = (typeof COLUMNS)[number];

/** The column order of a pipe-delimited file without a header line. */
export const PIPE_COLUMNS: readonly Column[] = Object.freeze(['repayment_id', 'loan_id', 'amount', 'currency', 'value_date', 'channel', 'kind']);

const REQUIRED: readonly Column[] = ['repayment_id', 'loan_id', 'currency', 'value_date', 'channel'];

type Field = keyof RepaymentRequestBody;

const FIELD_OF: Readonly<Record<Column, Field>> = {
  repayment_id: 'repaymentId',
  loan_id: 'loanId',
  amount: 'amountMinor',
  amount_minor: 'amountMinor',
  currency: 'currency',
  value_date: 'valueDate',
  channel: 'channel',
  kind: 'kind',
};

/** Errors of a line are listed in the order of the request's fields. */
const FIELD_ORDER: readonly string[] = ['line', 'repaymentId', 'loanId', 'amountMinor', 'currency', 'valueDate', 'channel', 'kind'];

/** For a line whose currency is unknown (already an error), amounts are read with the most digits any currency has. */
const MAX_MINOR_DIGITS = Math.max(...Object.values(CURRENCIES).map((c) => c.minorDigits));

type Item = DelimitedRecord | DelimitedProblem;

const isBlank = (item: Item): boolean => 'fields' in item && item.fields.length === 1 && (item.fields[0] as string).trim() === '';

export function parseCollectionFile(text: string): ParsedCollectionFile {
  const body = text.replace(/^\uFEFF/, '');
  const format: CollectionFileFormat = separatorOf(body, ',') === '|' ? 'PIPE' : 'CSV';
  const items = splitDelimited(body, format === 'CSV' ? ',' : '|').filter((item) => !isBlank(item));
  const first = items[0];
  if (first === undefined) return { repayments: [], errors: [{ line: 1, path: 'file', rule: 'empty', message: 'the file holds no line' }], format: 'CSV' };
  const hasHeader = format === 'CSV' || ('fields' in first && first.fields[0]?.trim().toLowerCase() === 'repayment_id');

  let columns: readonly Column[] = PIPE_COLUMNS;
  if (hasHeader) {
    const header = readHeader(first);
    if ('error' in header) return { repayments: [], errors: [{ line: first.line, path: 'header', ...header.error }], format };
    columns = header.columns;
  }

  const repayments: CollectionRepayment[] = [];
  const errors: CollectionLineError[] = [];
  const seen = new Map<string, number>();
  for (const item of hasHeader ? items.slice(1) : items) {
    const result = readDataLine(item, columns, seen);
    if ('request' in result) repayments.push({ line: item.line, request: result.request });
    else errors.push(...result.errors.map((e) => ({ line: item.line, ...e })));
  }
  return { repayments, errors, format };
}

function readHeader(item: Item): { columns: Column[] } | { error: { rule: string; message: string } } {
  if (!('fields' in item)) return { error: { rule: item.rule, message: item.message } };
  const names = item.fields.map((f) => f.trim().toLowerCase());
  const problems: { rule: string; text: string }[] = [];
  const known = new Set<string>(COLUMNS);
  for (const name of new Set(names.filter((n) => !known.has(n)))) problems.push({ rule: 'unknown-column', text: `unknown column ${describeValue(name)}` });
  for (const name of new Set(names.filter((n, index) => known.has(n) && names.indexOf(n) !== index))) problems.push({ rule: 'duplicate-column', text: `column ${name} appears more than once` });
  for (const name of REQUIRED.filter((c) => !names.includes(c))) problems.push({ rule: 'missing-column', text: `column ${name} is missing` });
  const amountColumns = ['amount', 'amount_minor'].filter((c) => names.includes(c)).length;
  if (amountColumns !== 1) problems.push({ rule: 'amount-column', text: `exactly one of amount and amount_minor is needed, found ${amountColumns === 0 ? 'neither' : 'both'}` });
  const firstProblem = problems[0];
  if (firstProblem) return { error: { rule: firstProblem.rule, message: problems.map((p) => p.text).join('; ') } };
  return { columns: names as Column[] };
}

type LineProblem = Omit<CollectionLineError, 'line'>;

function readDataLine(item: Item, columns: readonly Column[], seen: Map<string, number>): { request: RepaymentRequestBody } | { errors: LineProblem[] } {
  if (!('fields' in item)) return { errors: [{ path: 'line', rule: item.rule, message: item.message }] };
  const { line } = item;
  const fields = item.fields.map((f) => f.trim());
  if (fields.length !== columns.length) {
    return { errors: [{ path: 'line', rule: 'field-count', message: `expected ${columns.length} fields, found ${fields.length}` }] };
  }
  const value = (column: Column): string | undefined => {
    const index = columns.indexOf(column);
    return index < 0 ? undefined : fields[index];
  };

  const problems: LineProblem[] = [];
  const raw: Partial<Record<Field, string>> = {};
  for (const [index, column] of columns.entries()) raw[FIELD_OF[column]] = fields[index] ?? '';

  const currency = value('currency') ?? '';
  const major = value('amount');
  let amountMinor = value('amount_minor');
  if (major !== undefined) {
    const known = isCurrencyCode(currency);
    const converted = parseMajorText(major, known ? CURRENCIES[currency].minorDigits : MAX_MINOR_DIGITS, { unit: known ? ` for ${currency}` : '' });
    if (typeof converted === 'bigint') amountMinor = converted.toString();
    else problems.push({ path: 'amountMinor', ...converted });
  }

  const kind = value('kind');
  const candidate = {
    repaymentId: raw.repaymentId,
    loanId: raw.loanId,
    amountMinor,
    currency: raw.currency,
    valueDate: normaliseDate(raw.valueDate ?? ''),
    channel: raw.channel,
    ...(kind ? { kind } : {}),
  };
  const result = repaymentRequest.safeParse(candidate);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const path = issue.path.map(String).join('.') || 'line';
      if (path === 'amountMinor' && amountMinor === undefined) continue; // the amount's own problem is already listed
      const given = raw[path as Field];
      problems.push({ path, rule: ruleOf(issue), message: given === undefined ? issue.message : `${issue.message} (got ${describeValue(given)})` });
    }
  }

  const repaymentId = raw.repaymentId ?? '';
  if (repaymentId !== '') {
    const earlier = seen.get(repaymentId);
    if (earlier === undefined) seen.set(repaymentId, line);
    else problems.push({ path: 'repaymentId', rule: 'duplicate', message: `repayment id ${describeValue(repaymentId)} repeats line ${earlier}` });
  }

  if (problems.length > 0 || !result.success) return { errors: problems.sort((a, b) => FIELD_ORDER.indexOf(a.path) - FIELD_ORDER.indexOf(b.path)) };
  return { request: result.data };
}

/** `YYYYMMDD` becomes `YYYY-MM-DD`; anything else is left for the schema to judge. */
function normaliseDate(text: string): string {
  const compact = /^(\d{4})(\d{2})(\d{2})$/.exec(text);
  return compact ? `${compact[1]}-${compact[2]}-${compact[3]}` : text;
}
