import { CURRENCIES, isCurrencyCode } from '../../domain/money/amount.ts';
import { describeValue } from '../../domain/money/describe-value.ts';
import { repaymentRequest, type RepaymentRequestBody } from '../../contracts/schemas.ts';

/**
 * The lead's daily collection file: one borrower payment a line, as CSV (header required) or in
 * the pipe-delimited form of the partner files (header optional). Every line goes through the
 * API's own `repaymentRequest` schema, so a line the file accepts is a line the API accepts.
 * Pure: text in, requests and errors out, each error with the file's physical line number.
 */
export type CollectionFileFormat = 'CSV' | 'PIPE';

export interface CollectionLineError {
  /** 1-based physical line of the file. */
  readonly line: number;
  /** The request field (`amountMinor`, `valueDate`, ...), or `header`, `line`, `file`. */
  readonly path: string;
  readonly rule: string;
  readonly message: string;
}

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

type Split = { readonly fields: string[] } | { readonly error: string };

export function parseCollectionFile(text: string): ParsedCollectionFile {
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((content, index) => ({ line: index + 1, content }))
    .filter((l) => l.content.trim() !== '');
  const first = lines[0];
  if (!first) return { repayments: [], errors: [{ line: 1, path: 'file', rule: 'empty', message: 'the file holds no line' }], format: 'CSV' };

  const format = detectFormat(first.content);
  const split = format === 'CSV' ? splitCsvLine : splitPipeLine;
  const firstSplit = split(first.content);
  const hasHeader = format === 'CSV' || ('fields' in firstSplit && firstSplit.fields[0]?.toLowerCase() === 'repayment_id');

  let columns: readonly Column[] = PIPE_COLUMNS;
  if (hasHeader) {
    const header = readHeader(firstSplit);
    if ('error' in header) return { repayments: [], errors: [{ line: first.line, path: 'header', ...header.error }], format };
    columns = header.columns;
  }

  const repayments: CollectionRepayment[] = [];
  const errors: CollectionLineError[] = [];
  const seen = new Map<string, number>();
  for (const { line, content } of hasHeader ? lines.slice(1) : lines) {
    const result = readDataLine(split(content), columns, seen, line);
    if ('request' in result) repayments.push({ line, request: result.request });
    else errors.push(...result.errors.map((e) => ({ line, ...e })));
  }
  return { repayments, errors, format };
}

/** Ids, codes, dates and amounts hold neither `|` nor `,`: the separator that occurs more is the format's. */
function detectFormat(line: string): CollectionFileFormat {
  const count = (separator: string) => line.split(separator).length - 1;
  return count('|') > count(',') ? 'PIPE' : 'CSV';
}

function splitPipeLine(line: string): Split {
  return { fields: line.split('|').map((f) => f.trim()) };
}

/**
 * RFC 4180 fields of one line: a field may be quoted with `"`, a quote inside written `""`; a
 * quoted field does not run over to the next line. Spaces around a field are ignored.
 */
function splitCsvLine(line: string): Split {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const close = line.indexOf('"', i);
        if (close < 0) return { error: `field ${fields.length + 1} opens a quote that is not closed on this line` };
        value += line.slice(i, close);
        i = close + 1;
        if (line[i] !== '"') break;
        value += '"';
        i++;
      }
      while (line[i] === ' ' || line[i] === '\t') i++;
      if (i < line.length && line[i] !== ',') return { error: `field ${fields.length + 1} has text after its closing quote` };
      fields.push(value.trim());
    } else {
      const end = line.indexOf(',', i);
      const raw = end < 0 ? line.slice(i) : line.slice(i, end);
      if (raw.includes('"')) return { error: `field ${fields.length + 1} has a quote inside an unquoted value` };
      fields.push(raw.trim());
      i = end < 0 ? line.length : end;
    }
    if (i >= line.length) return { fields };
    i++; // the comma
  }
}

function readHeader(split: Split): { columns: Column[] } | { error: { rule: string; message: string } } {
  if ('error' in split) return { error: { rule: 'quoting', message: split.error } };
  const names = split.fields.map((f) => f.toLowerCase());
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

function readDataLine(split: Split, columns: readonly Column[], seen: Map<string, number>, line: number): { request: RepaymentRequestBody } | { errors: LineProblem[] } {
  if ('error' in split) return { errors: [{ path: 'line', rule: 'quoting', message: split.error }] };
  if (split.fields.length !== columns.length) {
    return { errors: [{ path: 'line', rule: 'field-count', message: `expected ${columns.length} fields, found ${split.fields.length}` }] };
  }
  const value = (column: Column): string | undefined => {
    const index = columns.indexOf(column);
    return index < 0 ? undefined : split.fields[index];
  };

  const problems: LineProblem[] = [];
  const raw: Partial<Record<Field, string>> = {};
  for (const [index, column] of columns.entries()) raw[FIELD_OF[column]] = split.fields[index] ?? '';

  const currency = value('currency') ?? '';
  const major = value('amount');
  let amountMinor = value('amount_minor');
  if (major !== undefined) {
    const converted = majorToMinor(major, currency);
    if ('minor' in converted) amountMinor = converted.minor;
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
      problems.push({ path, rule: issue.code, message: given === undefined ? issue.message : `${issue.message} (got ${describeValue(given)})` });
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

/**
 * Major units to minor units, exactly, on the digits of the text: `1234.5` CNY -> `123450`.
 * A minus sign is kept so that the schema refuses the amount as not positive.
 */
function majorToMinor(text: string, currency: string): { minor: string } | { rule: string; message: string } {
  const digits = isCurrencyCode(currency) ? CURRENCIES[currency].minorDigits : MAX_MINOR_DIGITS;
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) {
    return { rule: 'decimal-format', message: `must be an amount in major units such as 1234.56 (got ${describeValue(text)})` };
  }
  const [, sign = '', whole = '0', fraction = ''] = match;
  if (fraction.length > digits) {
    const unit = isCurrencyCode(currency) ? ` for ${currency}` : '';
    return { rule: 'minor-digits', message: `has more than ${digits} decimal places${unit} (got ${describeValue(text)})` };
  }
  const minor = BigInt(whole) * 10n ** BigInt(digits) + BigInt(fraction.padEnd(digits, '0') || '0');
  return { minor: `${sign}${minor.toString()}` };
}

/** `YYYYMMDD` becomes `YYYY-MM-DD`; anything else is left for the schema to judge. */
function normaliseDate(text: string): string {
  const compact = /^(\d{4})(\d{2})(\d{2})$/.exec(text);
  return compact ? `${compact[1]}-${compact[2]}-${compact[3]}` : text;
}
