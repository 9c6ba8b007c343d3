import { PassThrough } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';
import { COLUMN_NAMES_ZH, type RenderedFile } from './settlement-files.ts';

/**
 * Copies of a lender's files for people (docs/files.md, Copies for people): CSV and XLSX with a
 * header row naming each column in Chinese and English, the rows as in the pipe-delimited file.
 * The CSV gives the same bytes for the same file; an XLSX does not (its zip entries carry the
 * time they were written), so neither is in the control file, whose promise covers the data files.
 */

/** How many rows are written between two yields to the event loop, so a large sheet never holds it long. */
export const ROWS_PER_YIELD = 2_000;

/** `业务日期 business_date`: every column of a file has its Chinese name, or the copy is refused. */
export function bilingualHeader(file: Pick<RenderedFile, 'name' | 'table'>): string[] {
  return file.table.header.map((column) => {
    const zh = COLUMN_NAMES_ZH[column];
    if (zh === undefined) throw new RangeError(`column ${column} of ${file.name} has no Chinese name (COLUMN_NAMES_ZH)`);
    return `${zh} ${column}`;
  });
}

const baseName = (name: string): string => name.replace(/\.txt$/, '');

/** The CSV copy: UTF-8 with a byte order mark (so spreadsheet programs read the Chinese), RFC 4180 quoting, CRLF. */
export function csvCopy(file: Pick<RenderedFile, 'name' | 'table'>): { name: string; body: Buffer } {
  const text = stringify([bilingualHeader(file), ...file.table.rows], { record_delimiter: '\r\n' });
  return { name: `${baseName(file.name)}.csv`, body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]) };
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The XLSX copy, written with the streaming writer: one sheet, the bilingual header frozen, every
 * cell text (amounts as written in the file, exact to the fen). The workbook's created and
 * modified dates are the business date, midnight UTC, so only the zip's own timestamps vary.
 */
export async function xlsxCopy(file: Pick<RenderedFile, 'name' | 'table'>, businessDate: string, sheetName: string): Promise<{ name: string; body: Buffer }> {
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    sink.on('end', resolve);
    sink.on('error', reject);
  });
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: sink, useStyles: false, useSharedStrings: false });
  const day = new Date(`${businessDate}T00:00:00.000Z`);
  workbook.created = day;
  workbook.modified = day;
  workbook.creator = 'Colend';
  workbook.lastModifiedBy = 'Colend';
  const sheet = workbook.addWorksheet(sheetName, { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.addRow(bilingualHeader(file)).commit();
  let written = 0;
  for (const row of file.table.rows) {
    sheet.addRow([...row]).commit();
    written += 1;
    if (written % ROWS_PER_YIELD === 0) await yieldToEventLoop();
  }
  sheet.commit();
  await workbook.commit();
  await done;
  return { name: `${baseName(file.name)}.xlsx`, body: Buffer.concat(chunks) };
}
