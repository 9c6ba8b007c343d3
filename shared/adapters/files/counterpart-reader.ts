import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import {
  CounterpartFileError,
  GENERIC_BANK_MAPPING,
  MAX_FILE_ERRORS,
  validateBankStatementMapping,
  type BankStatementMapping,
  type BankStatementMappingInput,
  type CounterpartFileType,
  type CounterpartRecord,
  type FileEncoding,
  type FileLineError,
} from '../../domain/counterpart-records.ts';
import { EscrowRows, isBlankRow, partnerLoanRows, partnerRepaymentRows, type RowReader } from '../../domain/counterpart-rows.ts';
import { DelimitedSplitter, separatorOf, type DelimitedRecord } from './delimited-records.ts';
import { COLUMN_NAMES_ZH } from './settlement-files.ts';

/**
 * Reads a counterpart file (docs/files.md, Counterpart files) as it streams in: bytes are
 * decoded chunk by chunk (UTF-8, or GBK with iconv-lite), split into records (csv-parse's rules,
 * delimited-records.ts) or read row by row from an XLSX sheet (exceljs's streaming reader), and
 * each row becomes a typed record. Nothing holds the file: a million rows read in the memory of
 * one chunk and one record.
 *
 * A malformed file is refused whole: at the first malformed row no record is handed on any more,
 * the file is read on only to list its problems, up to MAX_FILE_ERRORS, and the iteration then
 * throws CounterpartFileError (FILE_MALFORMED) with each problem's line, field, rule and message.
 * A consumer that keeps nothing until the iteration ends keeps nothing of a malformed file. A
 * header that is wrong, bytes that are not the encoding, or a file that is not what it claims stop
 * the reading at once. Repeated rows are not a problem here: reconciliation reports them.
 */
export type CounterpartFormat = 'CSV' | 'PIPE' | 'XLSX';

export interface ReadCounterpartOptions<T extends CounterpartFileType> {
  readonly type: T;
  /** Told from the first bytes when absent: a zip (`PK`) is XLSX; else the mapping's, or the separator of the first line. */
  readonly format?: CounterpartFormat;
  /** The mapping's when absent, else told from the first bytes: a UTF-8 BOM or valid UTF-8 is UTF-8, anything else GBK. */
  readonly encoding?: FileEncoding;
  /** The escrow bank's statement layout; the built-in generic mapping when absent. */
  readonly mapping?: BankStatementMapping | BankStatementMappingInput;
}

/** How much of the file's start is looked at to tell its format and encoding. */
export const SNIFF_BYTES = 64 * 1024;

const PARTNER_ALIASES: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(COLUMN_NAMES_ZH).map(([column, zh]) => [zh, column]));

function rowReaderOf<T extends CounterpartFileType>(type: T, mapping: BankStatementMapping | null): RowReader<CounterpartRecord<T>> {
  switch (type) {
    case 'ESCROW_STATEMENT':
      return new EscrowRows(mapping ?? GENERIC_BANK_MAPPING) as unknown as RowReader<CounterpartRecord<T>>;
    case 'PARTNER_REPAYMENTS':
      return partnerRepaymentRows(PARTNER_ALIASES) as unknown as RowReader<CounterpartRecord<T>>;
    default:
      return partnerLoanRows(PARTNER_ALIASES) as unknown as RowReader<CounterpartRecord<T>>;
  }
}

function refuse(line: number, path: string, rule: string, message: string): never {
  throw new CounterpartFileError([{ line, path, rule, message }], false);
}

export async function* readCounterpartFile<T extends CounterpartFileType>(
  input: Readable | AsyncIterable<Uint8Array>,
  options: ReadCounterpartOptions<T>,
): AsyncGenerator<CounterpartRecord<T>> {
  for await (const batch of readCounterpartBatches(input, options)) for (const record of batch) yield record;
}

/** Rows of an XLSX sheet handed on together. */
const XLSX_BATCH = 1_000;

/**
 * The same records a chunk's worth at a time (the records of each chunk of bytes, a few hundred
 * rows): for a consumer that works through a million rows, one wait per chunk instead of one per
 * record. The same refusal, at the same point.
 */
export async function* readCounterpartBatches<T extends CounterpartFileType>(
  input: Readable | AsyncIterable<Uint8Array>,
  options: ReadCounterpartOptions<T>,
): AsyncGenerator<CounterpartRecord<T>[]> {
  const mapping = options.type === 'ESCROW_STATEMENT' ? validateBankStatementMapping(options.mapping ?? GENERIC_BANK_MAPPING) : null;
  const bytes = (input as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  const head = await sniff(bytes);
  const all = prepend(head, bytes);
  const zip = head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
  const rows = new RowLoop(rowReaderOf(options.type, mapping));

  const wanted = options.format ?? (mapping ? (mapping.format.kind === 'XLSX' ? 'XLSX' : undefined) : undefined);
  if (zip || wanted === 'XLSX') {
    if (!zip) refuse(1, 'file', 'format', 'the file is not an XLSX workbook (its bytes do not start as a zip does)');
    if (wanted !== undefined && wanted !== 'XLSX') refuse(1, 'file', 'format', `the file is an XLSX workbook, not ${wanted}`);
    const sheet = mapping?.format.kind === 'XLSX' ? mapping.format.sheet : 1;
    let out: CounterpartRecord<T>[] = [];
    for await (const { line, cells } of xlsxRows(all, sheet)) {
      const record = rows.take(line, cells);
      if (record !== null) out.push(record);
      if (out.length >= XLSX_BATCH) {
        yield out;
        out = [];
      }
    }
    if (out.length > 0) yield out;
    rows.end();
    return;
  }

  const encoding = options.encoding ?? mapping?.encoding ?? detectEncoding(head);
  const decode = decoder(encoding);
  const delimiter = delimiterOf(options.format, mapping, head, encoding);
  const batch: DelimitedRecord[] = [];
  const splitter = new DelimitedSplitter(
    delimiter,
    (record) => batch.push(record),
    (problem) => rows.problem({ line: problem.line, path: 'line', rule: problem.rule, message: problem.message }),
  );
  for await (const chunk of all) {
    splitter.push(decode.write(chunk, splitter.linesRead + 1));
    const out = recordsOf(batch, rows);
    if (out.length > 0) yield out;
  }
  splitter.push(decode.end(splitter.linesRead + 1));
  splitter.end();
  const out = recordsOf(batch, rows);
  if (out.length > 0) yield out;
  rows.end();
}

/** The records of a chunk's rows, the batch emptied for the next chunk. */
function recordsOf<R>(batch: DelimitedRecord[], rows: RowLoop<R>): R[] {
  const out: R[] = [];
  for (const { line, fields } of batch) {
    const record = rows.take(line, fields);
    if (record !== null) out.push(record);
  }
  batch.length = 0;
  return out;
}

/**
 * Rows in, records out: the header where the reader expects it, blank rows skipped, the data
 * ended by a marker row, problems collected and thrown together.
 */
class RowLoop<R> {
  private state: 'BEFORE_HEADER' | 'DATA' | 'ENDED' = 'BEFORE_HEADER';
  private readonly problems: FileLineError[] = [];
  private lastLine = 0;

  constructor(private readonly reader: RowReader<R>) {}

  problem(problem: FileLineError): void {
    this.problems.push(problem);
    this.stopWhenFull();
  }

  private stopWhenFull(): void {
    if (this.problems.length >= MAX_FILE_ERRORS) throw new CounterpartFileError(this.problems.slice(0, MAX_FILE_ERRORS), true);
  }

  /** The row's record; null for the header, a blank or ignored row, or a row with problems (kept for the refusal). */
  take(line: number, cells: readonly string[]): R | null {
    this.lastLine = line;
    if (this.state === 'ENDED') return null;
    if (this.state === 'BEFORE_HEADER') {
      const at = this.reader.headerRow;
      if (at === 'FIRST' ? isBlankRow(cells) : line < at) return null;
      if (at !== 'FIRST' && line > at) refuse(line, 'header', 'header-row', `the header is expected on line ${at}, but the first record after it starts on line ${line}`);
      const problems = this.reader.header(cells, line);
      if (problems.length > 0) throw new CounterpartFileError(problems, false);
      this.state = 'DATA';
      return null;
    }
    if (isBlankRow(cells)) return null;
    if (this.reader.ends(cells)) {
      this.state = 'ENDED';
      return null;
    }
    const record = this.reader.row(cells, line, this.problems);
    if (this.problems.length === 0) return record;
    this.stopWhenFull();
    return null;
  }

  end(): void {
    if (this.state === 'BEFORE_HEADER') {
      if (this.lastLine === 0 && this.problems.length === 0) refuse(1, 'file', 'empty', 'the file holds no line');
      if (this.problems.length === 0) {
        const at = this.reader.headerRow;
        refuse(this.lastLine || 1, 'header', 'header-row', at === 'FIRST' ? 'the file has no header line' : `the file ends before its header line ${at}`);
      }
    }
    if (this.problems.length > 0) throw new CounterpartFileError(this.problems, false);
  }
}

async function sniff(bytes: AsyncIterator<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  while (size < SNIFF_BYTES) {
    const next = await bytes.next();
    if (next.done) break;
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    chunks.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(chunks);
}

async function* prepend(head: Buffer, rest: AsyncIterator<Uint8Array>): AsyncGenerator<Buffer> {
  if (head.length > 0) yield head;
  for (;;) {
    const next = await rest.next();
    if (next.done) return;
    yield Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
  }
}

/** A UTF-8 BOM, or bytes that are valid UTF-8 (a character cut at the end of the sample allowed): UTF-8; else GBK. */
export function detectEncoding(head: Uint8Array): FileEncoding {
  if (head[0] === 0xff && head[1] === 0xfe) refuse(1, 'encoding', 'encoding', 'the file is UTF-16; Colend reads UTF-8 and GBK');
  if (head[0] === 0xfe && head[1] === 0xff) refuse(1, 'encoding', 'encoding', 'the file is UTF-16; Colend reads UTF-8 and GBK');
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'UTF-8';
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    return 'UTF-8';
  } catch {
    return 'GBK';
  }
}

interface Decoder {
  /** The text of the chunk; `line` is where the chunk's text starts, for a refusal. */
  write(chunk: Buffer, line: number): string;
  end(line: number): string;
}

/** UTF-8 strictly (a byte that is not UTF-8 refuses the file, naming the line), the BOM dropped; GBK with iconv-lite. */
function decoder(encoding: FileEncoding): Decoder {
  if (encoding === 'GBK') {
    const gbk = iconv.getDecoder('gbk');
    return { write: (chunk) => gbk.write(chunk), end: () => gbk.end() ?? '' };
  }
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  const refused = (line: number): never =>
    refuse(line, 'encoding', 'utf-8', `the bytes from line ${line} on are not valid UTF-8; a GBK file needs the encoding GBK (in the mapping, or told)`);
  return {
    write: (chunk, line) => {
      try {
        return utf8.decode(chunk, { stream: true });
      } catch {
        return refused(line);
      }
    },
    end: (line) => {
      try {
        return utf8.decode();
      } catch {
        return refused(line);
      }
    },
  };
}

/** The mapping's delimiter; `PIPE` or `CSV` as told; else the separator the first line holds more of (partner files are pipe-delimited by default). */
function delimiterOf(format: CounterpartFormat | undefined, mapping: BankStatementMapping | null, head: Buffer, encoding: FileEncoding): string {
  if (format === 'PIPE') return '|';
  if (mapping?.format.kind === 'CSV') return mapping.format.delimiter;
  if (format === 'CSV') return ',';
  return separatorOf(encoding === 'GBK' ? iconv.decode(head, 'gbk') : head.toString('utf8'), '|');
}

// ---------------------------------------------------------------------------------------------
// XLSX, row by row.

interface SheetReader extends AsyncIterable<ExcelJS.Row> {
  readonly name?: string;
}

/** The rows of the chosen sheet (by name, or position from 1), as text cells with their row number. */
async function* xlsxRows(bytes: AsyncIterable<Buffer>, sheet: string | number): AsyncGenerator<{ line: number; cells: string[] }> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from(bytes), { sharedStrings: 'cache', styles: 'cache', hyperlinks: 'ignore', worksheets: 'emit', entries: 'ignore' });
  let position = 0;
  let found = false;
  try {
    for await (const worksheet of workbook as AsyncIterable<SheetReader>) {
      position++;
      const chosen = typeof sheet === 'number' ? position === sheet : worksheet.name === sheet;
      if (!chosen || found) {
        // Drained all the same: the reader may have spooled the sheet to a temporary file that it
        // removes as soon as the sheet is handed over, and a sheet left unread would then open it too late.
        for await (const row of worksheet) void row;
        continue;
      }
      found = true;
      // A workbook holds no cell for an empty one, so a row ends at its last cell with text (as
      // Excel writes them, and our copies for people): its missing cells up to the widest row so
      // far (the header, after any shorter lines above it) are empty.
      let width = 0;
      for await (const row of worksheet) {
        const values = row.values as unknown[];
        const cells: string[] = [];
        for (let i = 1; i < values.length; i++) cells.push(cellText(values[i]));
        if (cells.some((cell) => cell.trim() !== '')) width = Math.max(width, cells.length);
        while (cells.length < width) cells.push('');
        yield { line: row.number, cells };
      }
    }
  } catch (error) {
    if (error instanceof CounterpartFileError) throw error;
    refuse(1, 'file', 'xlsx', `the XLSX workbook cannot be read: ${(error as Error).message}`);
  }
  if (!found) refuse(1, 'file', 'sheet', `the workbook has no sheet ${typeof sheet === 'number' ? `number ${sheet}` : JSON.stringify(sheet)} (it has ${position})`);
}

/** A cell as the text a delimited file would hold: numbers as JavaScript writes them (exact for amounts), dates as YYYY-MM-DD. */
function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === 'object') {
    const v = value as { richText?: { text: string }[]; text?: unknown; result?: unknown; error?: string };
    if (v.richText) return v.richText.map((r) => r.text).join('');
    if ('result' in v) return cellText(v.result);
    if (v.text !== undefined) return cellText(v.text);
    if (v.error !== undefined) return v.error;
  }
  return String(value);
}
