import { stringify } from 'csv-stringify/sync';
import { COLUMN_NAMES_ZH, LineWriter, type FileLayout, type LineFormat, type RowSink } from './settlement-files.ts';
import type { FileSink } from './text-writer.ts';
import { XlsxWriter } from './xlsx-writer.ts';

/**
 * Copies of a lender's files for people (docs/files.md, Copies for people): CSV and XLSX with a
 * header row naming each column in Chinese and English, the rows as in the pipe-delimited file,
 * written as the rows come. Both give the same bytes for the same rows; neither is in the control
 * file, whose promise covers the data files.
 */

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

/**
 * The XLSX copy, written with our streaming writer (xlsx-writer.ts, docs/adr/0015): one sheet, the
 * bilingual header frozen, every cell text (amounts as written in the file, exact to the fen),
 * the rows turned into XML as they come. Every `ROWS_PER_YIELD` rows it yields to the event loop
 * and waits while the store is behind, so the compressed sheet flows out instead of piling up. A
 * sheet past Excel's 1,048,576 rows goes on in `{sheetName} (2)`, the header repeated. The
 * workbook's dates and its zip entries' are the business date, so the same rows give the same bytes.
 */
export function xlsxCopyWriter(layout: Pick<FileLayout, 'prefix' | 'header'>, businessDate: string, sheetName: string, sink: FileSink, names?: Readonly<Record<string, string>>): RowSink {
  const workbook = new XlsxWriter(sink, { businessDate, sheetName, header: bilingualHeader(layout, names) });
  return {
    write: (rows) => workbook.write(rows),
    end: () => workbook.end(),
    abort: (error) => workbook.abort(error),
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
