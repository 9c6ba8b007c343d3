import { parse } from 'csv-parse/sync';
import { parse as parseStream } from 'csv-parse';

/**
 * Delimited text (CSV, pipe) to records, as `csv-parse` reads it: RFC 4180 quoting with `"`
 * (a quote inside written `""`), a quoted field may hold the delimiter and line breaks, records
 * end with `\n` or `\r\n`, spaces around a quoted field are allowed. Each record carries the
 * physical line where it starts (1-based).
 *
 * A line without any quote is a record whose fields are the line split at the delimiter, and a
 * line whose quotes only wrap whole fields is split at the delimiters outside them: exactly what
 * csv-parse makes of them, at several times its speed (docs/adr/0005). Any other line with a
 * quote starts a quoted record: it runs over the following lines until its quotes pair up, and
 * that text is handed to csv-parse, whose answer (or refusal) is the record's. A property test
 * holds the paths to the same records.
 */
export interface DelimitedRecord {
  readonly line: number;
  /** As written, spaces included (csv-parse trims around quoted fields only); a blank line is `['']`. */
  readonly fields: string[];
}

export interface DelimitedProblem {
  /** The line the record starts on. */
  readonly line: number;
  readonly rule: 'quoting' | 'record-size';
  readonly message: string;
}

/** The longest record read (characters); a longer one is refused rather than held. */
export const MAX_RECORD_CHARS = 128 * 1024;

const QUOTE = '"';

/** The csv-parse options of every quoted record; `quotedRecords` reads a whole text with the same. */
function csvOptions(delimiter: string) {
  return { delimiter, quote: QUOTE, escape: QUOTE, record_delimiter: ['\r\n', '\n'], trim: true, relax_column_count: true, max_record_size: MAX_RECORD_CHARS };
}

/**
 * Splits text pushed chunk by chunk into records, handing each to `onRecord` (or its problem to
 * `onProblem`) as soon as its last line is in. Holds at most one unfinished record.
 */
export class DelimitedSplitter {
  private pending = '';
  private line = 0;
  private quoted: { start: number; text: string; quotes: number } | null = null;

  constructor(
    private readonly delimiter: string,
    private readonly onRecord: (record: DelimitedRecord) => void,
    private readonly onProblem: (problem: DelimitedProblem) => void,
  ) {}

  /** Lines read so far (the last one complete). */
  get linesRead(): number {
    return this.line;
  }

  push(chunk: string): void {
    const text = this.pending === '' ? chunk : this.pending + chunk;
    if (this.quoted === null && text.indexOf(QUOTE) < 0) {
      this.pending = this.takeQuoteFree(text);
    } else {
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        this.take(text.slice(start, nl));
        start = nl + 1;
      }
      this.pending = start === 0 ? text : text.slice(start);
    }
    if (this.pending.length > MAX_RECORD_CHARS) {
      this.onProblem({ line: this.line + 1, rule: 'record-size', message: `line ${this.line + 1} runs over ${MAX_RECORD_CHARS} characters without a line break` });
      this.pending = '';
      this.line++;
    }
  }

  /** The last line (without its line break) and a quoted record left open. */
  end(): void {
    if (this.pending !== '') this.take(this.pending);
    this.pending = '';
    if (this.quoted) {
      const { start, text } = this.quoted;
      this.quoted = null;
      this.parseQuoted(start, text);
    }
  }

  /** The whole lines of a text holding no quote at all (most chunks of most files), each split at the delimiter; the unfinished last line is returned. */
  private takeQuoteFree(text: string): string {
    const lines = text.split('\n');
    const last = lines.length - 1;
    for (let i = 0; i < last; i++) {
      const raw = lines[i] as string;
      this.onRecord({ line: ++this.line, fields: (raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw).split(this.delimiter) });
    }
    return lines[last] as string;
  }

  private take(raw: string): void {
    this.line++;
    if (this.quoted) {
      this.quoted.text += `\n${raw}`;
      this.quoted.quotes += quotesIn(raw);
      if (this.quoted.quotes % 2 === 0) {
        const { start, text } = this.quoted;
        this.quoted = null;
        this.parseQuoted(start, text);
      } else if (this.quoted.text.length > MAX_RECORD_CHARS) {
        const { start, text } = this.quoted;
        this.quoted = null;
        this.parseQuoted(start, text, true);
      }
      return;
    }
    if (raw.indexOf(QUOTE) < 0) {
      const content = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw;
      this.onRecord({ line: this.line, fields: content.split(this.delimiter) });
      return;
    }
    const quotes = quotesIn(raw);
    if (quotes % 2 === 0) {
      const content = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw;
      const fields = splitWrappedFields(content, this.delimiter);
      if (fields) this.onRecord({ line: this.line, fields });
      else this.parseQuoted(this.line, raw);
    } else if (this.refusedAlone(raw)) this.parseQuoted(this.line, raw);
    else this.quoted = { start: this.line, text: raw, quotes };
  }

  /**
   * Whether csv-parse refuses a line with an odd number of quotes for another reason than a
   * quote still open at its end (a quote inside an unquoted value, text after a closing quote):
   * then the record is that line alone, and the lines after it are not swallowed into it.
   */
  private refusedAlone(raw: string): boolean {
    try {
      parse(raw, csvOptions(this.delimiter));
      return false;
    } catch (error) {
      return (error as { code?: string }).code !== 'CSV_QUOTE_NOT_CLOSED';
    }
  }

  /** A quoted record's text (its lines joined by `\n`, without the last line break) through csv-parse. */
  private parseQuoted(start: number, text: string, cut = false): void {
    const body = text.charCodeAt(text.length - 1) === 13 ? text.slice(0, -1) : text;
    let records: string[][];
    try {
      records = parse(body, csvOptions(this.delimiter)) as string[][];
    } catch (error) {
      this.onProblem({ line: start, rule: 'quoting', message: quotingMessage(error, cut) });
      return;
    }
    let line = start;
    for (const fields of records) {
      this.onRecord({ line, fields });
      line += 1 + fields.reduce((n, f) => n + newlinesIn(f), 0);
    }
  }
}

/**
 * The fields of a line whose quotes only wrap whole fields (`2026-03-02,"1,234.56",CNY`), with
 * no quote doubled inside and nothing between a closing quote and the delimiter: what csv-parse
 * reads of it. Null for any other line, which csv-parse then reads (or refuses) itself.
 */
function splitWrappedFields(line: string, delimiter: string): string[] | null {
  const fields: string[] = [];
  const n = line.length;
  for (let i = 0; ; ) {
    if (line.charCodeAt(i) === 34) {
      const close = line.indexOf(QUOTE, i + 1);
      if (close < 0) return null;
      const after = close + 1;
      if (after < n && !line.startsWith(delimiter, after)) return null;
      fields.push(line.slice(i + 1, close));
      if (after >= n) return fields;
      i = after + delimiter.length;
    } else {
      const next = line.indexOf(delimiter, i);
      const end = next < 0 ? n : next;
      const field = line.slice(i, end);
      if (field.indexOf(QUOTE) >= 0) return null;
      fields.push(field);
      if (next < 0) return fields;
      i = next + delimiter.length;
    }
  }
}

function quotesIn(text: string): number {
  let count = 0;
  for (let i = text.indexOf(QUOTE); i >= 0; i = text.indexOf(QUOTE, i + 1)) count++;
  return count;
}

function newlinesIn(text: string): number {
  let count = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) count++;
  return count;
}

/** csv-parse's refusal in the words of our files: which field, and what is wrong with its quotes. */
function quotingMessage(error: unknown, cut: boolean): string {
  const e = error as { code?: string; index?: number; message?: string };
  const field = `field ${(e.index ?? 0) + 1}`;
  switch (e.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return cut ? `${field} opens a quote that is not closed within ${MAX_RECORD_CHARS} characters` : `${field} opens a quote that is not closed before the end of the file`;
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return `${field} has text after its closing quote`;
    case 'INVALID_OPENING_QUOTE':
      return `${field} has a quote inside an unquoted value`;
    case 'CSV_MAX_RECORD_SIZE':
      return `a record runs over ${MAX_RECORD_CHARS} characters`;
    default:
      return e.message ?? String(error);
  }
}

/**
 * The separator of a file told from its first line that is not blank: ids, codes, dates and
 * amounts hold neither `|` nor `,`, so the one that occurs more is the file's; `onTie` when as
 * many of each.
 */
export function separatorOf(text: string, onTie: ',' | '|'): ',' | '|' {
  const first = text.split('\n', 50).find((l) => l.trim() !== '') ?? '';
  const commas = first.split(',').length;
  const pipes = first.split('|').length;
  return commas === pipes ? onTie : commas > pipes ? ',' : '|';
}

/** Every record of a whole text (the collection file) and every problem met, in the order of their lines. */
export function splitDelimited(text: string, delimiter: string): (DelimitedRecord | DelimitedProblem)[] {
  const items: (DelimitedRecord | DelimitedProblem)[] = [];
  const splitter = new DelimitedSplitter(delimiter, (r) => items.push(r), (p) => items.push(p));
  splitter.push(text);
  splitter.end();
  return items;
}

/**
 * The same records read by csv-parse's streaming parser alone, every line through it: the
 * reference the splitter is held to, and the bench's comparison. Its line numbers come from the
 * records (one line each, plus the line breaks inside their fields), so a blank line must stay a
 * record, as csv-parse makes it by default.
 */
export async function* csvParseRecords(text: Iterable<string> | AsyncIterable<string>, delimiter: string): AsyncGenerator<DelimitedRecord> {
  const parser = parseStream(csvOptions(delimiter));
  const feeding = (async () => {
    for await (const chunk of text) if (!parser.write(chunk)) await new Promise((resolve) => parser.once('drain', resolve));
    parser.end();
  })();
  let line = 1;
  for await (const fields of parser as AsyncIterable<string[]>) {
    yield { line, fields };
    line += 1 + fields.reduce((n, f) => n + newlinesIn(f), 0);
  }
  await feeding;
}
