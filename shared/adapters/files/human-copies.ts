import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';
import { COLUMN_NAMES_ZH, LineWriter, type FileLayout, type LineFormat, type RowSink } from './settlement-files.ts';
import type { FileSink } from './text-writer.ts';

/**
 * Copies of a lender's files for people (docs/files.md, Copies for people): CSV and XLSX with a
 * header row naming each column in Chinese and English, the rows as in the pipe-delimited file,
 * written as the rows come. The CSV gives the same bytes for the same rows; an XLSX does not (its
 * zip entries carry the time they were written), so neither is in the control file, whose promise
 * covers the data files.
 */

/** How many rows are written between two yields to the event loop, so a large sheet never holds it long. */
export const ROWS_PER_YIELD = 2_000;

/** A small table as its copies need it: its name and its header and rows as written (a report served by the API). */
type Table = { readonly name: string; readonly table: { readonly header: readonly string[]; readonly rows: readonly (readonly string[])[] } };

/** `业务日期 business_date`: every column of a file has its Chinese name (the files' own, or those given), or the copy is refused. */
export function bilingualHeader(layout: Pick<FileLayout, 'prefix' | 'header'>, names: Readonly<Record<string, string>> = COLUMN_NAMES_ZH): string[] {
  return layout.header.map((column) => {
    const zh = names[column];
    if (zh === undefined) throw new RangeError(`column ${column} of ${layout.prefix} has no Chinese name`);
    return `${zh} ${column}`;
  });
}

/** The names of a data file's copies: `loan_master_20250303.csv` and `.xlsx` for `loan_master_20250303.txt`. */
export const copyName = (fileName: string, extension: 'csv' | 'xlsx'): string => `${fileName.replace(/\.txt$/, '')}.${extension}`;

/** How a CSV copy is written: commas between fields, RFC 4180 quoting, CRLF after each line. */
export const CSV_COPY: LineFormat = { options: { delimiter: ',', record_delimiter: '\r\n' }, quotable: /[,"\n\r]/ };

/** The CSV copy: UTF-8 with a byte order mark (so spreadsheet programs read the Chinese), RFC 4180 quoting, CRLF. */
export async function csvCopyWriter(layout: FileLayout, sink: FileSink): Promise<RowSink> {
  const lines = new LineWriter(CSV_COPY, sink, '\uFEFF');
  await lines.write([bilingualHeader(layout)]);
  return {
    write: (rows) => lines.write(rows),
    end: async () => {
      await lines.end();
    },
    abort: (error) => lines.abort(error),
  };
}

/** The CSV copy of a small table, whole: the same bytes the streaming copy writes. */
export function csvCopy(file: Table, names?: Readonly<Record<string, string>>): { name: string; body: Buffer } {
  const text = stringify([bilingualHeader({ prefix: file.name, header: file.table.header }, names), ...file.table.rows], { record_delimiter: '\r\n' });
  return { name: copyName(file.name, 'csv'), body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]) };
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The XLSX copy, written with the streaming writer: one sheet, the bilingual header frozen, every
 * cell text (amounts as written in the file, exact to the fen), each row committed as it comes.
 * Every `ROWS_PER_YIELD` rows it yields to the event loop and waits while the sink is behind, so
 * the compressed sheet flows out instead of piling up. The workbook's created and modified dates
 * are the business date, midnight UTC, so only the zip's own timestamps vary.
 */
export function xlsxCopyWriter(layout: Pick<FileLayout, 'prefix' | 'header'>, businessDate: string, sheetName: string, sink: FileSink, names?: Readonly<Record<string, string>>): RowSink {
  const out = new PassThrough();
  const stored = sink(out);
  stored.catch(() => undefined); // awaited by `end` and by every wait for the sink
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: false, useSharedStrings: false });
  const day = new Date(`${businessDate}T00:00:00.000Z`);
  workbook.created = day;
  workbook.modified = day;
  workbook.creator = 'Colend';
  workbook.lastModifiedBy = 'Colend';
  const sheet = workbook.addWorksheet(sheetName, { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.addRow(bilingualHeader(layout, names)).commit();
  let written = 0;
  return {
    async write(rows) {
      for (const fields of rows) {
        sheet.addRow([...fields]).commit();
        written += 1;
        if (written % ROWS_PER_YIELD !== 0) continue;
        await yieldToEventLoop();
        if (out.writableNeedDrain) await Promise.race([once(out, 'drain'), stored]);
      }
    },
    async end() {
      sheet.commit();
      await workbook.commit();
      await stored;
    },
    async abort(error) {
      out.destroy(error);
      await stored.catch(() => undefined);
    },
  };
}

/** The XLSX copy of a small table, whole (a report served by the API). */
export async function xlsxCopy(file: Table, businessDate: string, sheetName: string, names?: Readonly<Record<string, string>>): Promise<{ name: string; body: Buffer }> {
  const chunks: Uint8Array[] = [];
  const copy = xlsxCopyWriter({ prefix: file.name, header: file.table.header }, businessDate, sheetName, async (body) => {
    for await (const chunk of body) chunks.push(chunk);
  }, names);
  await copy.write(file.table.rows);
  await copy.end();
  return { name: copyName(file.name, 'xlsx'), body: Buffer.concat(chunks) };
}
