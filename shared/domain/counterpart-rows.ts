import {
  PARTNER_REPAYMENT_COMPONENTS,
  EVENT_TYPES,
  PARTNER_LOAN_LAYOUT,
  PARTNER_REPAYMENT_LAYOUT,
  buildPartnerLoan,
  buildPartnerRepayment,
  type LayoutBuilder,
  type PartnerLoanRow,
  type PartnerRepaymentRow,
  type BankStatementMapping,
  type ColumnNames,
  type DateFormat,
  type EscrowStatementLine,
  type FileLineError,
  type LayoutColumn,
} from './counterpart-records.ts';
import { CLASSIFICATIONS } from './delinquency.ts';
import { ID_PATTERN } from './ids.ts';
import { CURRENCIES, isCurrencyCode, type CurrencyCode } from './money/amount.ts';
import { daysInMonth } from './money/calendar.ts';
import { describeValue } from './money/describe-value.ts';
import { parseMajorText } from './money/major-text.ts';

/**
 * Rows of a counterpart file, cell by cell, into typed records (docs/files.md, Counterpart
 * files). A row arrives as its cells (text, as the file holds them) and its line; every problem
 * is pushed with its line, the record field, the rule and a message naming the column and the
 * value. Hot: a million rows go through here, so no schema library per row, one pass over the
 * cells, and dates checked once per distinct text.
 */
export interface RowReader<R> {
  /** The header's line (or row), or the first line that is not blank. */
  readonly headerRow: number | 'FIRST';
  /** Takes the header; its problems, none when it is good. */
  header(cells: readonly string[], line: number): FileLineError[];
  /** A data row's record, or null when it has problems (pushed onto `problems`). */
  row(cells: readonly string[], line: number, problems: FileLineError[]): R | null;
  /** Whether the row ends the data (a bank's totals). */
  ends(cells: readonly string[]): boolean;
}

/** Whether every cell of a row is empty or spaces: a blank row, skipped. */
export function isBlankRow(cells: readonly string[]): boolean {
  for (const cell of cells) if (cell.trim() !== '') return false;
  return true;
}

const MAX_MINOR_DIGITS = Math.max(...Object.values(CURRENCIES).map((c) => c.minorDigits));
const MAX_TEXT = 256;

const DATE_PATTERNS: Readonly<Record<DateFormat, RegExp>> = {
  'YYYY-MM-DD': /^(\d{4})-(\d{2})-(\d{2})$/,
  YYYYMMDD: /^(\d{4})(\d{2})(\d{2})$/,
  'YYYY/MM/DD': /^(\d{4})\/(\d{2})\/(\d{2})$/,
  'YYYY/M/D': /^(\d{4})\/(\d{1,2})\/(\d{1,2})$/,
};
/** A time of day after the date (`2026-03-01 10:22:33`), which a value date does not need. */
const TIME_OF_DAY = /^\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/** Dates in the formats a file allows, to `YYYY-MM-DD`; each distinct text is judged once. */
export class DateCells {
  private readonly seen = new Map<string, string | null>();
  private readonly patterns: readonly RegExp[];
  constructor(readonly formats: readonly DateFormat[]) {
    this.patterns = formats.map((f) => DATE_PATTERNS[f]);
  }

  /** The ISO date, or null when the text is no real date in an allowed format. */
  read(text: string): string | null {
    let iso = this.seen.get(text);
    if (iso === undefined) {
      iso = this.judge(text);
      if (this.seen.size > 10_000) this.seen.clear();
      this.seen.set(text, iso);
    }
    return iso;
  }

  private judge(text: string): string | null {
    const cut = text.search(/[ T]/);
    const day = cut < 0 ? text : text.slice(0, cut);
    if (cut >= 0 && !TIME_OF_DAY.test(text.slice(cut + 1).trim())) return null;
    for (const pattern of this.patterns) {
      const m = pattern.exec(day);
      if (!m) continue;
      const year = Number(m[1]);
      const month = Number(m[2]);
      const date = Number(m[3]);
      if (year < 1 || month < 1 || month > 12 || date < 1 || date > daysInMonth(year, month)) return null;
      return `${m[1]}-${String(month).padStart(2, '0')}-${String(date).padStart(2, '0')}`;
    }
    return null;
  }

  problem(line: number, path: string, column: string, text: string): FileLineError {
    return { line, path, rule: 'date', message: `${column} must be a real date ${this.formats.join(' or ')} (got ${describeValue(text)})` };
  }
}

/** Zero written with the currency's digits, the amount these files hold most: read without parsing. */
const ZERO_TEXT = '0.00';

function amountOf(text: string, digits: number, thousands: boolean, line: number, path: string, column: string, problems: FileLineError[]): bigint | null {
  if (digits === 2 && text === ZERO_TEXT) return 0n;
  const parsed = parseMajorText(text, digits, { thousands });
  if (typeof parsed === 'bigint') return parsed;
  problems.push({ line, path, rule: parsed.rule, message: `${column} ${parsed.message}` });
  return null;
}

function digitsOf(currency: string): number {
  return isCurrencyCode(currency) ? CURRENCIES[currency].minorDigits : MAX_MINOR_DIGITS;
}

/** Where each column of the header is, by a normalised name. */
function headerIndex(cells: readonly string[]): Map<string, number[]> {
  const index = new Map<string, number[]>();
  cells.forEach((cell, i) => {
    const name = normalise(cell);
    if (name === '') return;
    index.set(name, [...(index.get(name) ?? []), i]);
  });
  return index;
}

const normalise = (name: string): string => name.replace(/^\uFEFF/, '').trim().toLowerCase();

function fieldCount(cells: readonly string[], width: number, line: number, problems: FileLineError[]): boolean {
  if (cells.length === width) return true;
  if (cells.length > width && cells.slice(width).every((c) => c.trim() === '')) return true;
  problems.push({ line, path: 'line', rule: 'field-count', message: `expected ${width} fields as in the header, found ${cells.length}` });
  return false;
}

// ---------------------------------------------------------------------------------------------
// Our layouts (partner files).

/**
 * A row of one of our layouts. The header names the columns in English (any case), in Chinese
 * (`aliases`: 业务日期 for business_date), or both as the copies for people do (`业务日期
 * business_date`); columns in any order; a column we do not know is ignored; each of ours is
 * needed once.
 */
export class LayoutRows<R> implements RowReader<R> {
  readonly headerRow = 'FIRST' as const;
  private indexes: number[] = [];
  private currencyAt = -1;
  private width = 0;
  private readonly dates = new DateCells(['YYYY-MM-DD', 'YYYYMMDD']);

  /** The values of the row being read, handed to `build`, which copies them out. */
  private readonly values: unknown[];
  /**
   * Each column's last valid text and its value: a column's value repeats from row to row (the
   * date, the lender, the currency, a zero amount), and is then taken without reading it again.
   * Amounts depend on the currency's digits, so a change of digits forgets them.
   */
  private readonly lastText: (string | undefined)[];
  private readonly lastValue: unknown[];
  private lastDigits = -1;
  /** Where `totalMinor` and the fields it sums are in the layout; -1 and none when the layout has no total. */
  private readonly totalAt: number;
  private readonly componentsAt: readonly number[];

  constructor(
    private readonly layout: readonly LayoutColumn[],
    private readonly build: LayoutBuilder<R>,
    /** Other names of a column (a Chinese name to the English one). */
    private readonly aliases: Readonly<Record<string, string>>,
    /** Fields whose sum is `totalMinor`, checked on every row. */
    totalOf: readonly string[] = [],
  ) {
    this.values = new Array<unknown>(layout.length);
    this.lastText = new Array<string | undefined>(layout.length).fill(undefined);
    this.lastValue = new Array<unknown>(layout.length);
    this.totalAt = totalOf.length === 0 ? -1 : layout.findIndex((c) => c.field === 'totalMinor');
    this.componentsAt = totalOf.map((field) => layout.findIndex((c) => c.field === field));
  }

  header(cells: readonly string[], line: number): FileLineError[] {
    const known = new Map<string, string>();
    for (const c of this.layout) known.set(c.column, c.column);
    for (const [alias, column] of Object.entries(this.aliases)) if (known.has(column)) known.set(normalise(alias), column);
    const found = new Map<string, number[]>();
    cells.forEach((cell, i) => {
      const name = normalise(cell);
      const column = known.get(name) ?? name.split(/\s+/).map((part) => known.get(part)).find((c) => c !== undefined);
      if (column !== undefined) found.set(column, [...(found.get(column) ?? []), i]);
    });
    const problems: FileLineError[] = [];
    for (const c of this.layout) {
      const at = found.get(c.column);
      if (!at) problems.push({ line, path: 'header', rule: 'missing-column', message: `column ${c.column} is missing` });
      else if (at.length > 1) problems.push({ line, path: 'header', rule: 'duplicate-column', message: `column ${c.column} appears ${at.length} times (fields ${at.map((i) => i + 1).join(', ')})` });
    }
    this.indexes = this.layout.map((c) => found.get(c.column)?.[0] ?? -1);
    this.currencyAt = this.indexes[this.layout.findIndex((c) => c.kind === 'currency')] ?? -1;
    this.width = cells.length;
    return problems;
  }

  row(cells: readonly string[], line: number, problems: FileLineError[]): R | null {
    const before = problems.length;
    if (!fieldCount(cells, this.width, line, problems)) return null;
    const values = this.values;
    const digits = digitsOf((cells[this.currencyAt] ?? '').trim());
    if (digits !== this.lastDigits) {
      this.lastText.fill(undefined);
      this.lastDigits = digits;
    }
    for (let i = 0; i < this.layout.length; i++) {
      const text = (cells[this.indexes[i] as number] as string).trim();
      if (text === this.lastText[i]) {
        values[i] = this.lastValue[i];
        continue;
      }
      const { column, field, kind } = this.layout[i] as LayoutColumn;
      const cellStart = problems.length;
      switch (kind) {
        case 'date':
        case 'optional-date': {
          if (kind === 'optional-date' && text === '') values[i] = null;
          else {
            const iso = this.dates.read(text);
            if (iso === null) problems.push(this.dates.problem(line, field, column, text));
            values[i] = iso;
          }
          break;
        }
        case 'id':
          if (!ID_PATTERN.test(text)) fail(problems, line, field, column, text, 'id-format', "must be 1-64 letters, digits, '_', '.', ':' or '-', starting with a letter or digit");
          values[i] = text;
          break;
        case 'text':
          if (text === '' || text.length > MAX_TEXT) fail(problems, line, field, column, text, 'required', `must be 1-${MAX_TEXT} characters`);
          values[i] = text;
          break;
        case 'optional-text':
          if (text.length > MAX_TEXT) fail(problems, line, field, column, text, 'too-long', `must be at most ${MAX_TEXT} characters`);
          values[i] = text === '' ? null : text;
          break;
        case 'currency':
          if (!isCurrencyCode(text)) fail(problems, line, field, column, text, 'currency', `must be one of ${Object.keys(CURRENCIES).join(', ')}`);
          values[i] = text;
          break;
        case 'amount':
        case 'non-negative-amount': {
          const minor = amountOf(text, digits, false, line, field, column, problems);
          if (minor !== null && kind === 'non-negative-amount' && minor < 0n) fail(problems, line, field, column, text, 'non-negative', 'must not be negative');
          values[i] = minor;
          break;
        }
        case 'count':
          if (!/^\d{1,9}$/.test(text)) fail(problems, line, field, column, text, 'count', 'must be a whole number of days, 0 or more');
          values[i] = Number(text);
          break;
        case 'event-type':
          if (!(EVENT_TYPES as readonly string[]).includes(text)) fail(problems, line, field, column, text, 'event-type', `must be one of ${EVENT_TYPES.join(', ')}`);
          values[i] = text;
          break;
        case 'classification':
          if (!(CLASSIFICATIONS as readonly string[]).includes(text)) fail(problems, line, field, column, text, 'classification', `must be one of ${CLASSIFICATIONS.join(', ')}`);
          values[i] = text;
          break;
        case 'share':
          if (!/^\d{1,3}(\.\d{1,9})?$/.test(text)) fail(problems, line, field, column, text, 'share', 'must be a decimal fraction such as 0.300000');
          values[i] = text;
          break;
      }
      if (problems.length === cellStart) {
        this.lastText[i] = text;
        this.lastValue[i] = values[i];
      }
    }
    if (problems.length > before) return null;
    if (this.totalAt >= 0) {
      let sum = 0n;
      for (const at of this.componentsAt) sum += values[at] as bigint;
      if (sum !== values[this.totalAt]) {
        problems.push({ line, path: 'totalMinor', rule: 'total-mismatch', message: `total_amount is ${String(values[this.totalAt])} minor units but its components sum to ${sum}` });
        return null;
      }
    }
    return this.build(line, values);
  }

  ends(): boolean {
    return false;
  }
}

function fail(problems: FileLineError[], line: number, path: string, column: string, text: string, rule: string, what: string): void {
  problems.push({ line, path, rule, message: `${column} ${what} (got ${describeValue(text)})` });
}

/** The repayment detail's rows: their total is checked against the components. */
export function partnerRepaymentRows(aliases: Readonly<Record<string, string>>): LayoutRows<PartnerRepaymentRow> {
  return new LayoutRows(PARTNER_REPAYMENT_LAYOUT, buildPartnerRepayment, aliases, PARTNER_REPAYMENT_COMPONENTS);
}

/** The loan master's rows. */
export function partnerLoanRows(aliases: Readonly<Record<string, string>>): LayoutRows<PartnerLoanRow> {
  return new LayoutRows(PARTNER_LOAN_LAYOUT, buildPartnerLoan, aliases);
}

// ---------------------------------------------------------------------------------------------
// The bank's statement, through its mapping.

/** Where each column the mapping reads is in the header (-1: not there). One shape for every row. */
interface ColumnIndexes {
  bankReference: number;
  valueDate: number;
  counterpartyAccount: number;
  counterpartyName: number;
  memo: number;
  balanceAfter: number;
  instructionId: number;
  repaymentId: number;
  debit: number;
  credit: number;
  amount: number;
  direction: number;
  currency: number;
}
type Column = keyof ColumnIndexes;

const noColumns = (): ColumnIndexes => ({
  bankReference: -1,
  valueDate: -1,
  counterpartyAccount: -1,
  counterpartyName: -1,
  memo: -1,
  balanceAfter: -1,
  instructionId: -1,
  repaymentId: -1,
  debit: -1,
  credit: -1,
  amount: -1,
  direction: -1,
  currency: -1,
});

/**
 * A line of the escrow bank's statement, through the bank's mapping. The header must hold the
 * flow number, the value date, the amount's columns and the currency column; the other mapped
 * columns are read when the header holds them.
 */
export class EscrowRows implements RowReader<EscrowStatementLine> {
  readonly headerRow: number;
  private readonly dates: DateCells;
  private readonly instructionPattern: RegExp | null;
  private readonly repaymentPattern: RegExp | null;
  private width = 0;
  private at: ColumnIndexes = noColumns();
  /** The header's name of each column read, for messages. */
  private names: Partial<Record<Column, string>> = {};

  constructor(private readonly mapping: BankStatementMapping) {
    this.headerRow = mapping.headerRow;
    this.dates = new DateCells(mapping.dateFormats);
    this.instructionPattern = mapping.memoPatterns.instructionId ? new RegExp(mapping.memoPatterns.instructionId) : null;
    this.repaymentPattern = mapping.memoPatterns.repaymentId ? new RegExp(mapping.memoPatterns.repaymentId) : null;
  }

  /** Each column the mapping reads, by field, and whether the header must hold it. */
  private wanted(): [field: Column, names: ColumnNames, required: boolean][] {
    const { columns, amount, currency } = this.mapping;
    const list: [Column, ColumnNames, boolean][] = Object.entries(columns).map(([field, names]) => [field as Column, names as ColumnNames, field === 'bankReference' || field === 'valueDate']);
    if (amount.kind === 'DEBIT_CREDIT') list.push(['debit', amount.debit, true], ['credit', amount.credit, true]);
    else list.push(['amount', amount.column, true]);
    if (amount.kind === 'DIRECTION') list.push(['direction', amount.direction, true]);
    if ('column' in currency) list.push(['currency', currency.column, true]);
    return list;
  }

  header(cells: readonly string[], line: number): FileLineError[] {
    const index = headerIndex(cells);
    const problems: FileLineError[] = [];
    this.at = noColumns();
    this.names = {};
    for (const [field, names, required] of this.wanted()) {
      const name = names.find((n) => index.has(normalise(n)));
      const where = name === undefined ? undefined : (index.get(normalise(name)) as number[]);
      if (name === undefined || where === undefined) {
        if (required) problems.push({ line, path: 'header', rule: 'missing-column', message: `no column ${names.join(' or ')} (${field}) in the header` });
      } else if (where.length > 1) {
        problems.push({ line, path: 'header', rule: 'duplicate-column', message: `column ${name} (${field}) appears ${where.length} times` });
      } else {
        this.at[field] = where[0] as number;
        this.names[field] = name;
      }
    }
    this.width = cells.length;
    return problems;
  }

  /** The trimmed text of a column; null when the header does not hold it. */
  private textOf(cells: readonly string[], index: number): string | null {
    return index < 0 ? null : (cells[index] ?? '').trim();
  }

  /** The header's name of a field's column, for messages. */
  private columnOf(field: Column): string {
    return this.names[field] ?? field;
  }

  row(cells: readonly string[], line: number, problems: FileLineError[]): EscrowStatementLine | null {
    const before = problems.length;
    if (!fieldCount(cells, this.width, line, problems)) return null;
    const { mapping } = this;

    const bankReference = this.textOf(cells, this.at.bankReference) ?? '';
    if (bankReference === '' || bankReference.length > MAX_TEXT) {
      problems.push({ line, path: 'bankReference', rule: 'required', message: `${this.columnOf('bankReference')} must be the bank's flow number, 1-${MAX_TEXT} characters (got ${describeValue(bankReference)})` });
    }

    const dateText = this.textOf(cells, this.at.valueDate) ?? '';
    const valueDate = this.dates.read(dateText);
    if (valueDate === null) problems.push(this.dates.problem(line, 'valueDate', this.columnOf('valueDate'), dateText));

    const currency = this.currencyOf(cells, line, problems);
    const digits = digitsOf(currency ?? '');
    const amountMinor = this.amountOf(cells, digits, line, problems);

    const balance = this.textOf(cells, this.at.balanceAfter);
    const balanceAfterMinor = balance ? amountOf(balance, digits, mapping.thousandsSeparator, line, 'balanceAfterMinor', this.columnOf('balanceAfter'), problems) : null;

    const counterpartyAccount = this.optionalText(cells, 'counterpartyAccount', line, problems);
    const counterpartyName = this.optionalText(cells, 'counterpartyName', line, problems);
    const memo = this.optionalText(cells, 'memo', line, problems);
    const instructionId = this.idOf(cells, 'instructionId', memo, this.instructionPattern, line, problems);
    const repaymentId = this.idOf(cells, 'repaymentId', memo, this.repaymentPattern, line, problems);

    if (problems.length > before || amountMinor === null || valueDate === null || currency === null) return null;
    const record: { -readonly [K in keyof EscrowStatementLine]: EscrowStatementLine[K] } = {
      line,
      bankReference,
      valueDate,
      direction: this.direction,
      amountMinor,
      currency,
    };
    if (counterpartyAccount !== undefined) record.counterpartyAccount = counterpartyAccount;
    if (counterpartyName !== undefined) record.counterpartyName = counterpartyName;
    if (memo !== undefined) record.memo = memo;
    if (balanceAfterMinor !== null) record.balanceAfterMinor = balanceAfterMinor;
    if (instructionId !== undefined) record.instructionId = instructionId;
    if (repaymentId !== undefined) record.repaymentId = repaymentId;
    return record;
  }

  private optionalText(cells: readonly string[], field: Column, line: number, problems: FileLineError[]): string | undefined {
    const text = this.textOf(cells, this.at[field]);
    if (!text) return undefined;
    if (text.length > MAX_TEXT * 4) problems.push({ line, path: field, rule: 'too-long', message: `${this.columnOf(field)} must be at most ${MAX_TEXT * 4} characters` });
    return text;
  }

  private currencyOf(cells: readonly string[], line: number, problems: FileLineError[]): CurrencyCode | null {
    const { currency } = this.mapping;
    if ('fixed' in currency) return currency.fixed;
    const given = this.textOf(cells, this.at.currency) ?? '';
    const code = currency.aliases[given] ?? given.toUpperCase();
    if (isCurrencyCode(code)) return code;
    problems.push({ line, path: 'currency', rule: 'currency', message: `${this.columnOf('currency')} must be one of ${[...Object.keys(CURRENCIES), ...Object.keys(currency.aliases)].join(', ')} (got ${describeValue(given)})` });
    return null;
  }

  /** The direction of the amount `amountOf` read last (set with it, so a row makes no object for the pair). */
  private direction: 'CREDIT' | 'DEBIT' = 'CREDIT';

  /** One side's amount: 0 when the cell is empty; null (a problem pushed) when it is no amount or negative. */
  private sideOf(cells: readonly string[], field: Column, digits: number, line: number, problems: FileLineError[]): bigint | null {
    const text = this.textOf(cells, this.at[field]) ?? '';
    if (text === '') return 0n;
    const minor = amountOf(text, digits, this.mapping.thousandsSeparator, line, 'amountMinor', this.columnOf(field), problems);
    if (minor !== null && minor < 0n && this.mapping.amount.kind !== 'SIGNED') {
      problems.push({ line, path: 'amountMinor', rule: 'positive', message: `${this.columnOf(field)} must not be negative (got ${describeValue(text)})` });
      return null;
    }
    return minor;
  }

  /** The amount, positive, with `direction` set; null when the row's amount columns break a rule. */
  private amountOf(cells: readonly string[], digits: number, line: number, problems: FileLineError[]): bigint | null {
    const { amount } = this.mapping;
    if (amount.kind === 'DEBIT_CREDIT') {
      const debit = this.sideOf(cells, 'debit', digits, line, problems);
      const credit = this.sideOf(cells, 'credit', digits, line, problems);
      if (debit === null || credit === null) return null;
      const [debitColumn, creditColumn] = [this.columnOf('debit'), this.columnOf('credit')];
      if (debit !== 0n && credit !== 0n) {
        problems.push({ line, path: 'amountMinor', rule: 'one-side', message: `only one of ${debitColumn} and ${creditColumn} may hold an amount (got ${describeValue(this.textOf(cells, this.at.debit))} and ${describeValue(this.textOf(cells, this.at.credit))})` });
        return null;
      }
      if (debit === 0n && credit === 0n) {
        problems.push({ line, path: 'amountMinor', rule: 'required', message: `${debitColumn} or ${creditColumn} must hold an amount greater than zero` });
        return null;
      }
      this.direction = debit !== 0n ? 'DEBIT' : 'CREDIT';
      return debit !== 0n ? debit : credit;
    }
    const value = this.sideOf(cells, 'amount', digits, line, problems);
    if (value === null) return null;
    if (value === 0n) {
      problems.push({ line, path: 'amountMinor', rule: 'required', message: `${this.columnOf('amount')} must hold an amount other than zero (got ${describeValue(this.textOf(cells, this.at.amount))})` });
      return null;
    }
    if (amount.kind === 'SIGNED') {
      this.direction = value > 0n === (amount.creditIs === 'POSITIVE') ? 'CREDIT' : 'DEBIT';
      return value > 0n ? value : -value;
    }
    const flag = this.textOf(cells, this.at.direction) ?? '';
    if (amount.credit.includes(flag)) this.direction = 'CREDIT';
    else if (amount.debit.includes(flag)) this.direction = 'DEBIT';
    else {
      problems.push({ line, path: 'direction', rule: 'direction', message: `${this.columnOf('direction')} must be one of ${[...amount.credit, ...amount.debit].join(', ')} (got ${describeValue(flag)})` });
      return null;
    }
    return value;
  }

  /** An id from its own column (checked), else the first match of the memo pattern. */
  private idOf(cells: readonly string[], field: Column, memo: string | undefined, pattern: RegExp | null, line: number, problems: FileLineError[]): string | undefined {
    const text = this.textOf(cells, this.at[field]);
    if (text) {
      if (!ID_PATTERN.test(text)) {
        problems.push({ line, path: field, rule: 'id-format', message: `${this.columnOf(field)} must be 1-64 letters, digits, '_', '.', ':' or '-', starting with a letter or digit (got ${describeValue(text)})` });
      }
      return text;
    }
    if (!pattern || memo === undefined) return undefined;
    const m = pattern.exec(memo);
    return m ? (m[1] ?? m[0]) : undefined;
  }

  ends(cells: readonly string[]): boolean {
    if (this.mapping.endMarkers.length === 0) return false;
    const first = cells.find((c) => c.trim() !== '')?.trim() ?? '';
    return this.mapping.endMarkers.some((m) => first.startsWith(m));
  }
}
