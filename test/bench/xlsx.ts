/**
 * Writing the XLSX copies for people (docs/files.md, Copies for people; docs/adr/0015): `rows`
 * rows of a loan master's 21 text columns (dates, ids, amounts as digit strings) written with our
 * streaming writer, the way the settlement writes a copy, and for comparison with exceljs's
 * streaming WorkbookWriter as the copies were written before. Prints rows per second, CPU
 * milliseconds (the process's, the deflater's threads included) and the workbook's bytes of each.
 * The rows are made before the clock starts: 20,000 of them, handed round again for more (far
 * beyond the deflater's 32 KiB window, so the repeat does not help it). Run:
 * `npx tsx -e "import('./test/bench/xlsx.ts').then((m) => m.benchXlsx(100000))"`.
 */
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import { bilingualHeader, xlsxCopyWriter } from '../../shared/adapters/files/human-copies.ts';
import { LOAN_MASTER } from '../../shared/adapters/files/settlement-files.ts';
import type { FileSink } from '../../shared/adapters/files/text-writer.ts';
import { formatMajor } from '../../shared/domain/money/amount.ts';

export interface XlsxFigures {
  readonly what: string;
  readonly rows: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
  readonly cpuMs: number;
  readonly bytes: number;
}

const BATCH = 2_000;
const DATE = '2026-03-31';

const money = (minor: number): string => formatMajor(BigInt(minor), 'CNY');

/** The `i`th loan master row: 21 fields as the file writes them. */
function loanMasterRow(i: number): string[] {
  const principal = 1_000_000 + ((i * 7919) % 50_000_000);
  const funded = Math.floor(principal / 5);
  const balances = [funded - (i % 1000) * 100, (i * 104_729) % 90_000, i % 17 === 0 ? 1234 : 0, 0, 0, 0, i % 13 === 0 ? 500 : 0, 0, 0];
  return [
    DATE,
    `BANK-${String.fromCharCode(65 + (i % 5))}`,
    `L-${String(i).padStart(9, '0')}`,
    `P${1 + (i % 3)}`,
    'CNY',
    `2025-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`,
    money(principal),
    money(funded),
    '0.200000',
    ...balances.map(money),
    String(i % 97 === 0 ? 35 : 0),
    i % 97 === 0 ? 'SPECIAL_MENTION' : 'NORMAL',
    DATE,
  ].slice(0, 21);
}

/** How many distinct rows are made. */
const DISTINCT_ROWS = 20_000;

/** The rows in batches of 2,000, as the settlement hands them to a copy. */
function batchesOf(rows: number): string[][][] {
  const made = Array.from({ length: Math.min(rows, DISTINCT_ROWS) }, (_, i) => loanMasterRow(i));
  const batches: string[][][] = [];
  for (let i = 0; i < rows; i += BATCH) batches.push(Array.from({ length: Math.min(BATCH, rows - i) }, (_, k) => made[(i + k) % made.length]!));
  return batches;
}

/** A sink that counts the bytes it is given. */
function counting(): { sink: FileSink; bytes: () => number } {
  let bytes = 0;
  return {
    sink: async (body) => {
      for await (const chunk of body) bytes += chunk.length;
    },
    bytes: () => bytes,
  };
}

async function measure(what: string, rows: number, run: () => Promise<number>): Promise<XlsxFigures> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const bytes = await run();
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { what, rows, seconds, rowsPerSecond: Math.round(rows / seconds), cpuMs: Math.round((used.user + used.system) / 1000), bytes };
}

async function ours(batches: readonly string[][][]): Promise<number> {
  const { sink, bytes } = counting();
  const copy = xlsxCopyWriter(LOAN_MASTER, DATE, '贷款主文件 loan master', sink);
  for (const batch of batches) await copy.write(batch);
  await copy.end();
  return bytes();
}

/** The copy as exceljs wrote it: a row committed as it comes, a yield every 2,000 rows. */
async function exceljs(batches: readonly string[][][]): Promise<number> {
  const { sink, bytes } = counting();
  const out = new PassThrough();
  const stored = sink(out);
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: false, useSharedStrings: false });
  const sheet = workbook.addWorksheet('贷款主文件 loan master', { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.addRow(bilingualHeader(LOAN_MASTER)).commit();
  for (const batch of batches) {
    for (const fields of batch) sheet.addRow(fields).commit();
    await new Promise((resolve) => setImmediate(resolve));
    if (out.writableNeedDrain) await once(out, 'drain');
  }
  sheet.commit();
  await workbook.commit();
  await stored;
  return bytes();
}

export async function benchXlsx(rows: number): Promise<XlsxFigures[]> {
  const batches = batchesOf(rows);
  const figures = [await measure('xlsx-writer', rows, () => ours(batches)), await measure('exceljs', rows, () => exceljs(batches))];
  for (const f of figures) {
    console.log(`${f.what.padEnd(12)} ${f.rows} rows × 21: ${f.seconds.toFixed(2)} s, ${f.rowsPerSecond.toLocaleString('en')} rows/s, CPU ${f.cpuMs} ms, ${f.bytes.toLocaleString('en')} bytes`);
  }
  const [writer, before] = figures as [XlsxFigures, XlsxFigures];
  console.log(`xlsx-writer against exceljs: ${(before.seconds / writer.seconds).toFixed(1)}× the rows a second, ${(before.cpuMs / writer.cpuMs).toFixed(1)}× less CPU`);
  return figures;
}
