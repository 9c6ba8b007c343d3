import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import zlib from 'node:zlib';
import type { FileSink } from './text-writer.ts';

/**
 * A small streaming XLSX writer (docs/adr/0015): a workbook of text cells, written as its rows
 * come into a zip that is itself written as a stream. It writes what a copy for people needs and
 * nothing more: the header row frozen on every sheet, every cell an inline string, the minimum of
 * styles Excel asks for, no shared strings. Every zip entry is dated the business date at 00:00, so
 * the same rows give the same bytes.
 */

/** How many rows a sheet holds, its header included: Excel's limit. */
export const EXCEL_MAX_ROWS = 1_048_576;

/** How many rows are turned into XML between two yields to the event loop, so a large sheet never holds it long. */
export const ROWS_PER_YIELD = 2_000;

/** How long a sheet name may be in Excel. */
const MAX_SHEET_NAME = 31;

/** Characters Excel refuses in a sheet name. */
const SHEET_NAME_FORBIDDEN = /[[\]:*?/\\]/;

/** The largest size or offset a zip without ZIP64 records can hold: 4 GiB − 1. */
const ZIP32_MAX = 0xffff_ffff;

/** How much XML may wait for the deflater before the writer waits: enough that the next rows are built while it compresses. */
const DEFLATE_BACKLOG = 4 * 1024 * 1024;

/** How much compressed output the deflater gives at once: a batch of rows' worth, so a batch is compressed in one go on zlib's thread while the next is built. */
const DEFLATE_OUTPUT_BYTES = 512 * 1024;

/** Fast compression: the copies are text that compresses well even so, and the deflater is most of the writer's time. */
const DEFLATE_LEVEL = 1;

export interface XlsxWriterOptions {
  /** `YYYY-MM-DD`: the workbook's created and modified dates (midnight UTC) and every zip entry's date. */
  readonly businessDate: string;
  /** The first sheet's name; the sheets that continue it are `{name} (2)`, `(3)`, … */
  readonly sheetName: string;
  /** The header row, repeated (and frozen) at the top of every sheet. */
  readonly header: readonly string[];
  /** How many rows a sheet holds, its header included (`EXCEL_MAX_ROWS`; a test sets a small one). */
  readonly rowsPerSheet?: number;
}

/**
 * A workbook written to a file of the store as its rows come. `write` turns rows into sheet XML
 * and hands it to the deflater batch by batch, yielding to the event loop every `ROWS_PER_YIELD`
 * rows and waiting while the deflater or the store is behind, so it holds a batch or two whatever
 * the size of the sheet. A full sheet is closed and the rows go on in the next one.
 */
export class XlsxWriter {
  private readonly out = new PassThrough();
  private readonly stored: Promise<void>;
  private readonly zip: ZipStream;
  private readonly rowsPerSheet: number;
  private readonly sheetNames: string[] = [];
  private readonly headerXml: string;
  private readonly columns: ColumnRefs;
  private readonly bytes = new ByteChunks((bytes) => this.zip.push(bytes, () => this.bytes.giveBack(bytes)));
  /** Rows in the open sheet, its header included; 0 when no sheet is open. */
  private rowsInSheet = 0;
  /** Rows written, all sheets together. */
  private written = 0;

  constructor(
    sink: FileSink,
    private readonly options: XlsxWriterOptions,
  ) {
    const rowsPerSheet = options.rowsPerSheet ?? EXCEL_MAX_ROWS;
    if (!Number.isInteger(rowsPerSheet) || rowsPerSheet < 2 || rowsPerSheet > EXCEL_MAX_ROWS) {
      throw new RangeError(`a sheet holds 2 to ${EXCEL_MAX_ROWS} rows (got ${rowsPerSheet})`);
    }
    if (SHEET_NAME_FORBIDDEN.test(options.sheetName) || options.sheetName.trim() === '') {
      throw new RangeError(`sheet name ${JSON.stringify(options.sheetName)} must not be blank nor hold any of [ ] : * ? / \\`);
    }
    this.rowsPerSheet = rowsPerSheet;
    this.columns = new ColumnRefs();
    this.headerXml = rowXml(this.columns, 1, options.header);
    this.stored = sink(this.out);
    // Awaited by `end` and by every wait for the store; a failure must not go unhandled before.
    this.stored.catch(() => undefined);
    this.zip = new ZipStream(this.out, this.stored, dosDate(options.businessDate));
  }

  /**
   * Takes the next rows. Their XML goes to the deflater a buffer at a time (as one fills, and every
   * `ROWS_PER_YIELD` rows, however the rows are batched), so small batches do not each make a write.
   */
  async write(rows: readonly (readonly string[])[]): Promise<void> {
    for (const fields of rows) {
      if (this.rowsInSheet === 0 || this.rowsInSheet === this.rowsPerSheet) await this.nextSheet();
      this.rowsInSheet += 1;
      this.bytes.add(rowXml(this.columns, this.rowsInSheet, fields));
      this.written += 1;
      if (this.written % ROWS_PER_YIELD !== 0) continue;
      await this.flush();
      await yieldToEventLoop();
    }
  }

  /** Hands the rows turned into bytes so far to the open sheet's entry, and waits while the deflater is far behind. */
  private async flush(): Promise<void> {
    this.bytes.handOn();
    await this.zip.caughtUp();
  }

  /** Ends the workbook (a sheet of its header alone when no row came) and waits until it is stored whole. */
  async end(): Promise<void> {
    if (this.rowsInSheet === 0) await this.nextSheet();
    await this.closeSheet();
    for (const [name, xml] of packageParts(this.sheetNames, this.options.businessDate)) {
      await this.zip.openEntry(name);
      await this.zip.write(Buffer.from(xml, 'utf8'));
      await this.zip.closeEntry();
    }
    await this.zip.finish();
    await this.stored;
  }

  /** Stops the workbook: the store fails with the error and keeps nothing of it. */
  async abort(error: Error): Promise<void> {
    this.zip.destroy();
    this.out.destroy(error);
    await this.stored.catch(() => undefined);
  }

  private async nextSheet(): Promise<void> {
    if (this.sheetNames.length > 0) await this.closeSheet();
    this.sheetNames.push(sheetName(this.options.sheetName, this.sheetNames.length + 1));
    await this.zip.openEntry(`xl/worksheets/sheet${this.sheetNames.length}.xml`);
    this.bytes.add(SHEET_START + this.headerXml);
    this.rowsInSheet = 1;
  }

  private async closeSheet(): Promise<void> {
    this.bytes.add(SHEET_END);
    await this.flush();
    await this.zip.closeEntry();
  }
}

/** How many bytes of XML are gathered in one buffer before the next is started: about a batch of rows. */
const CHUNK_BYTES = 2 * 1024 * 1024;

/** How many read buffers are kept to be filled again: as many as the deflater's backlog holds, and some. */
const SPARE_CHUNKS = 4;

/**
 * Text encoded as UTF-8 straight into buffers of 2 MiB, each handed on as soon as it is full: one
 * copy of the bytes, rather than strings joined and then encoded, and the deflater can start on a
 * buffer while the next is filled. A buffer comes back once the deflater has read it and is filled
 * again: memory already touched is much cheaper to write than new pages.
 */
class ByteChunks {
  private readonly spare: Buffer[] = [];
  private chunk: Buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;

  /** `hand`: takes the bytes of a buffer, a view of it until it is given back. */
  constructor(private readonly hand: (bytes: Buffer) => void) {}

  add(text: string): void {
    // A UTF-16 code unit is at most 3 bytes of UTF-8 (a surrogate pair, two units, is 4).
    const room = text.length * 3;
    if (this.used + room > this.chunk.length) {
      this.handOn();
      if (room > this.chunk.length) this.chunk = Buffer.allocUnsafe(room);
    }
    this.used += this.chunk.write(text, this.used, 'utf8');
  }

  /** Hands on the bytes added since the last buffer was. */
  handOn(): void {
    if (this.used === 0) return;
    const bytes = this.chunk.subarray(0, this.used);
    this.chunk = this.spare.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES);
    this.used = 0;
    this.hand(bytes);
  }

  /** Takes back a buffer handed on, once read. */
  giveBack(bytes: Buffer): void {
    if (bytes.byteOffset === 0 && bytes.buffer.byteLength === CHUNK_BYTES && this.spare.length < SPARE_CHUNKS) this.spare.push(Buffer.from(bytes.buffer, 0, CHUNK_BYTES));
  }
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The name of the `n`th sheet: the base name, then `{name} (n)`, cut so the whole fits in 31 characters. */
export function sheetName(base: string, n: number): string {
  const suffix = n === 1 ? '' : ` (${n})`;
  let cut = base.slice(0, MAX_SHEET_NAME - suffix.length);
  // A character outside the BMP is two code units: never keep half of it.
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return cut + suffix;
}

// ---------------------------------------------------------------------------------------------
// The sheet's XML.

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const MAIN_NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL_NS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';

const SHEET_START =
  `${XML_DECLARATION}<worksheet xmlns="${MAIN_NS}" xmlns:r="${REL_NS}">` +
  '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>' +
  '<sheetData>';
const SHEET_END = '</sheetData></worksheet>';

/** The opening of a cell in each column, `<c r="A` … `<c r="AA` …, computed once each. */
class ColumnRefs {
  private readonly opens: string[] = [];

  open(index: number): string {
    let open = this.opens[index];
    if (open === undefined) {
      let letters = '';
      for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
      open = `<c r="${letters}`;
      this.opens[index] = open;
    }
    return open;
  }
}

const CELL_TEXT = '" t="inlineStr"><is><t>';
const CELL_TEXT_PRESERVED = '" t="inlineStr"><is><t xml:space="preserve">';
const CELL_END = '</t></is></c>';

/**
 * A row: one inline-string cell per field that is not empty, each with its reference. Built by
 * plain concatenation, one string a row: the writer's hottest loop.
 */
function rowXml(columns: ColumnRefs, row: number, fields: readonly string[]): string {
  const n = String(row);
  const text = n + CELL_TEXT;
  let xml = '<row r="' + n + '">';
  for (let i = 0; i < fields.length; i += 1) {
    let field = fields[i];
    if (field === undefined || field === '') continue;
    let escaped = field;
    if (NEEDS_WORK.test(field)) {
      field = field.replace(FORBIDDEN, '');
      escaped = field.replace(/[&<>"\r]/g, (c) => ESCAPES[c] ?? c);
    }
    xml += columns.open(i) + (edgeWhitespace(field) ? n + CELL_TEXT_PRESERVED : text) + escaped + CELL_END;
  }
  return xml + '</row>';
}

/** Whether the text starts or ends with XML whitespace (space, tab, LF, CR), which a `<t>` keeps only with `xml:space="preserve"`. */
function edgeWhitespace(text: string): boolean {
  const first = text.charCodeAt(0);
  const last = text.charCodeAt(text.length - 1);
  return first === 0x20 || first === 0x09 || first === 0x0a || first === 0x0d || last === 0x20 || last === 0x09 || last === 0x0a || last === 0x0d;
}

/**
 * Anything that needs more than copying: markup, characters to drop, a surrogate (paired or not),
 * a CR (written as a reference, since an XML reader turns a literal CR into LF).
 */
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const NEEDS_WORK = /[&<>"\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;

/** The characters XML 1.0 forbids (C0 controls but tab, LF and CR; U+FFFE, U+FFFF; a surrogate without its pair). */
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\r': '&#13;' };

/** Text for an attribute value or an element of the package parts. */
const attr = (text: string): string => text.replace(FORBIDDEN, '').replace(/[&<>"]/g, (c) => ESCAPES[c] ?? c);

// ---------------------------------------------------------------------------------------------
// The package around the sheets.

const CT = 'application/vnd.openxmlformats-officedocument';

/** The parts written after the sheets, once their number is known; in the order exceljs writes them. */
function packageParts(sheets: readonly string[], businessDate: string): [string, string][] {
  const midnight = `${businessDate}T00:00:00Z`;
  const sheetRels = sheets.map((_, i) => `<Relationship Id="rId${i + 1}" Type="${REL_NS}/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`);
  return [
    [
      '[Content_Types].xml',
      `${XML_DECLARATION}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
        '<Default Extension="xml" ContentType="application/xml"/>' +
        `<Override PartName="/xl/workbook.xml" ContentType="${CT}.spreadsheetml.sheet.main+xml"/>` +
        sheets.map((_, i) => `<Override PartName="/xl/worksheets/sheet${i + 1}.xml" ContentType="${CT}.spreadsheetml.worksheet+xml"/>`).join('') +
        `<Override PartName="/xl/styles.xml" ContentType="${CT}.spreadsheetml.styles+xml"/>` +
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>' +
        `<Override PartName="/docProps/app.xml" ContentType="${CT}.extended-properties+xml"/>` +
        '</Types>',
    ],
    [
      '_rels/.rels',
      `${XML_DECLARATION}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
        `<Relationship Id="rId1" Type="${REL_NS}/officeDocument" Target="xl/workbook.xml"/>` +
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>' +
        `<Relationship Id="rId3" Type="${REL_NS}/extended-properties" Target="docProps/app.xml"/>` +
        '</Relationships>',
    ],
    [
      'docProps/app.xml',
      `${XML_DECLARATION}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">` +
        '<Application>Colend</Application></Properties>',
    ],
    [
      'docProps/core.xml',
      `${XML_DECLARATION}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
        '<dc:creator>Colend</dc:creator><cp:lastModifiedBy>Colend</cp:lastModifiedBy>' +
        `<dcterms:created xsi:type="dcterms:W3CDTF">${midnight}</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">${midnight}</dcterms:modified>` +
        '</cp:coreProperties>',
    ],
    [
      'xl/styles.xml',
      `${XML_DECLARATION}<styleSheet xmlns="${MAIN_NS}">` +
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>' +
        '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>' +
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
        '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>' +
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>' +
        '</styleSheet>',
    ],
    [
      'xl/_rels/workbook.xml.rels',
      `${XML_DECLARATION}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
        sheetRels.join('') +
        `<Relationship Id="rId${sheets.length + 1}" Type="${REL_NS}/styles" Target="styles.xml"/>` +
        '</Relationships>',
    ],
    [
      'xl/workbook.xml',
      `${XML_DECLARATION}<workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}">` +
        '<bookViews><workbookView/></bookViews><sheets>' +
        sheets.map((name, i) => `<sheet name="${attr(name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`).join('') +
        '</sheets></workbook>',
    ],
  ];
}

// ---------------------------------------------------------------------------------------------
// The zip, written as a stream.

/** `YYYY-MM-DD` at 00:00 as the zip's MS-DOS date and time. */
function dosDate(businessDate: string): { date: number; time: number } {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(businessDate);
  const year = Number(match?.[1]);
  if (match === null || year < 1980 || year > 2107) throw new RangeError(`business date ${businessDate} must be YYYY-MM-DD between 1980 and 2107`);
  return { date: ((year - 1980) << 9) | (Number(match[2]) << 5) | Number(match[3]), time: 0 };
}

interface ZipEntry {
  readonly name: Buffer;
  readonly offset: number;
  crc: number;
  size: number;
  compressed: number;
}

const FLAG_DATA_DESCRIPTOR = 0x0008;
const METHOD_DEFLATE = 8;
const VERSION = 20;

/**
 * A zip written entry by entry: a local header with general-purpose bit 3 (the CRC and sizes come
 * in a data descriptor after the data), the data through zlib's raw deflate with its CRC-32
 * computed as it passes, then the central directory and its end record. Refuses rather than
 * writes a size or an offset past 4 GiB − 1 (no ZIP64).
 */
class ZipStream {
  private offset = 0;
  private readonly entries: ZipEntry[] = [];
  private current: { entry: ZipEntry; deflate: zlib.DeflateRaw; failed: Promise<never> } | null = null;

  constructor(
    private readonly out: PassThrough,
    private readonly stored: Promise<void>,
    private readonly dos: { date: number; time: number },
  ) {}

  async openEntry(name: string): Promise<void> {
    const entry: ZipEntry = { name: Buffer.from(name, 'utf8'), offset: this.offset, crc: 0, size: 0, compressed: 0 };
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(VERSION, 4);
    header.writeUInt16LE(FLAG_DATA_DESCRIPTOR, 6);
    header.writeUInt16LE(METHOD_DEFLATE, 8);
    header.writeUInt16LE(this.dos.time, 10);
    header.writeUInt16LE(this.dos.date, 12);
    // CRC-32 and sizes (14–25) stay 0: they follow the data.
    header.writeUInt16LE(entry.name.length, 26);
    await this.emit(Buffer.concat([header, entry.name]));
    const deflate = zlib.createDeflateRaw({ level: DEFLATE_LEVEL, chunkSize: DEFLATE_OUTPUT_BYTES });
    const failed = new Promise<never>((_, reject) => deflate.once('error', reject));
    failed.catch(() => undefined); // raced by every wait of the entry
    deflate.on('data', (chunk: Buffer) => {
      entry.compressed += chunk.length;
      this.offset += chunk.length;
      if (this.offset > ZIP32_MAX) deflate.destroy(new RangeError(`the workbook passes 4 GiB at ${name}, more than a zip without ZIP64 holds`));
    });
    deflate.pipe(this.out, { end: false });
    this.current = { entry, deflate, failed };
  }

  /** Adds bytes to the open entry; `read`, if given, is called once the deflater is done with them. */
  async write(bytes: Buffer): Promise<void> {
    this.push(bytes);
    await this.caughtUp();
  }

  /**
   * Hands bytes of the open entry to the deflater at once, so it starts on them while the next
   * are built; `read`, if given, is called once it is done with them.
   */
  push(bytes: Buffer, read?: () => void): void {
    const { entry, deflate } = this.open();
    entry.crc = zlib.crc32(bytes, entry.crc);
    entry.size += bytes.length;
    if (entry.size > ZIP32_MAX) throw new RangeError(`${entry.name.toString()} passes 4 GiB, more than a zip without ZIP64 holds`);
    deflate.write(bytes, read);
  }

  /** Waits while the deflater (or, behind it, the store) has more than `DEFLATE_BACKLOG` bytes to go. */
  async caughtUp(): Promise<void> {
    const { deflate, failed } = this.open();
    if (deflate.writableLength > DEFLATE_BACKLOG) await Promise.race([once(deflate, 'drain'), failed, this.stored]);
  }

  async closeEntry(): Promise<void> {
    const { entry, deflate, failed } = this.open();
    const ended = once(deflate, 'end');
    deflate.end();
    await Promise.race([ended, failed, this.stored]);
    this.current = null;
    const descriptor = Buffer.alloc(16);
    descriptor.writeUInt32LE(0x08074b50, 0);
    descriptor.writeUInt32LE(entry.crc, 4);
    descriptor.writeUInt32LE(entry.compressed, 8);
    descriptor.writeUInt32LE(entry.size, 12);
    await this.emit(descriptor);
    this.entries.push(entry);
  }

  /** Writes the central directory and its end record, and ends the stream. */
  async finish(): Promise<void> {
    if (this.entries.length > 0xffff) throw new RangeError(`${this.entries.length} zip entries are more than a zip without ZIP64 holds`);
    const start = this.offset;
    const records = this.entries.map((entry) => {
      const record = Buffer.alloc(46);
      record.writeUInt32LE(0x02014b50, 0);
      record.writeUInt16LE(VERSION, 4); // made by: MS-DOS, 2.0
      record.writeUInt16LE(VERSION, 6);
      record.writeUInt16LE(FLAG_DATA_DESCRIPTOR, 8);
      record.writeUInt16LE(METHOD_DEFLATE, 10);
      record.writeUInt16LE(this.dos.time, 12);
      record.writeUInt16LE(this.dos.date, 14);
      record.writeUInt32LE(entry.crc, 16);
      record.writeUInt32LE(entry.compressed, 20);
      record.writeUInt32LE(entry.size, 24);
      record.writeUInt16LE(entry.name.length, 28);
      // Extra field and comment lengths, disk number, attributes (30–41) stay 0.
      record.writeUInt32LE(entry.offset, 42);
      return Buffer.concat([record, entry.name]);
    });
    const directory = Buffer.concat(records);
    if (start + directory.length > ZIP32_MAX) throw new RangeError('the workbook passes 4 GiB, more than a zip without ZIP64 holds');
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(this.entries.length, 8);
    end.writeUInt16LE(this.entries.length, 10);
    end.writeUInt32LE(directory.length, 12);
    end.writeUInt32LE(start, 16);
    await this.emit(Buffer.concat([directory, end]));
    this.out.end();
  }

  destroy(): void {
    this.current?.deflate.destroy();
    this.current = null;
  }

  private open(): NonNullable<ZipStream['current']> {
    if (this.current === null) throw new Error('no zip entry is open');
    return this.current;
  }

  /** Bytes of the zip's own records, written straight to the output (no entry's data is flowing then). */
  private async emit(bytes: Buffer): Promise<void> {
    if (this.offset + bytes.length > ZIP32_MAX) throw new RangeError('the workbook passes 4 GiB, more than a zip without ZIP64 holds');
    this.offset += bytes.length;
    if (!this.out.write(bytes)) await Promise.race([once(this.out, 'drain'), this.stored]);
  }
}
