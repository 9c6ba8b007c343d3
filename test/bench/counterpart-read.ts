/**
 * Reading counterpart files (docs/files.md, Counterpart files): a partner's repayment detail
 * (pipe-delimited UTF-8) and an escrow bank statement (GBK CSV, Chinese headers, the built-in
 * mapping) of `rows` rows each, written to a temporary folder as a stream (never built in memory),
 * then read as a stream into typed records. Prints rows per second (wall and CPU time) and the
 * process's peak resident memory while each file is read; also how fast the same pipe file splits into records through csv-parse alone
 * and through the splitter, which is why quote-free lines skip csv-parse (docs/adr/0005).
 * Run in a process of its own (run.ts starts this file), so the memory figure is the reader's;
 * BENCH_COUNTERPART_ROWS (default 1000000) sets the rows of each file.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import iconv from 'iconv-lite';
import { readCounterpartFile } from '../../shared/adapters/files/counterpart-reader.ts';
import { DelimitedSplitter, csvParseRecords } from '../../shared/adapters/files/delimited-records.ts';
import type { CounterpartFileType } from '../../shared/domain/counterpart-records.ts';
import { formatMajor } from '../../shared/domain/money/amount.ts';

export interface CounterpartReadFigures {
  readonly rows: number;
  readonly files: readonly {
    readonly what: string;
    readonly megabytes: number;
    readonly seconds: number;
    readonly rowsPerSecond: number;
    /** Rows per second of the process's own CPU time: on a machine shared with other work, the steadier figure. */
    readonly rowsPerCpuSecond: number;
    /** The process's peak resident memory while the file was read. */
    readonly peakRssMiB: number;
    readonly totalMinor: bigint;
  }[];
  readonly splitting: { readonly csvParseRowsPerCpuSecond: number; readonly splitterRowsPerCpuSecond: number };
  /** Resident memory when the reading started (the process's modules and the files written). */
  readonly rssAtStartMiB: number;
}

const ROWS_PER_WRITE = 2_000;

/** Writes the lines `line(i)` for i < rows, a few thousand at a time, waiting whenever the file asks to. */
async function writeLines(out: WriteStream, header: string, rows: number, line: (i: number) => string, encode: (text: string) => Buffer): Promise<void> {
  out.write(encode(`${header}\n`));
  for (let i = 0; i < rows; ) {
    let text = '';
    for (const end = Math.min(rows, i + ROWS_PER_WRITE); i < end; i++) text += `${line(i)}\n`;
    if (!out.write(encode(text))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

const day = (i: number): string => `2026-03-${String(1 + (i % 28)).padStart(2, '0')}`;
const money = (minor: bigint): string => formatMajor(minor, 'CNY');

function repaymentLine(i: number): string {
  const principal = BigInt(10_000 + ((i * 7919) % 5_000_000));
  const interest = BigInt((i * 104_729) % 90_000);
  const penalty = i % 17 === 0 ? 1234n : 0n;
  const reversal = i % 101 === 0;
  const sign = reversal ? -1n : 1n;
  const parts = [principal * sign, interest * sign, penalty * sign, 0n, 0n, 0n, 0n];
  const total = parts.reduce((s, p) => s + p, 0n);
  const loan = `L-${String(i % 250_000).padStart(8, '0')}`;
  return `2026-03-31|BANK-A|${loan}|${reversal ? 'REVERSAL' : 'REPAYMENT'}|R-${String(i).padStart(9, '0')}|${day(i)}|${day(i)}|CNY|${parts.map(money).join('|')}|${money(total)}|${reversal ? `REPAYMENT#R-${String(i - 1).padStart(9, '0')}` : ''}`;
}

function statementLine(i: number): string {
  const minor = BigInt(100 + ((i * 7919) % 50_000_000));
  const credit = i % 5 !== 0;
  const amount = `"${formatThousands(money(minor))}"`;
  const memo = credit ? `还款 R-${String(i).padStart(9, '0')}` : `结算付款 SI-20260331-P1-LEAD-BANK-${i % 7}`;
  return `${day(i).replaceAll('-', '')},FL${String(i).padStart(12, '0')},${credit ? '' : amount},${credit ? amount : ''},"${formatThousands(money(BigInt(i) * 100n))}",人民币,62220200${String(i % 100_000).padStart(8, '0')},借款人${i % 1000},${memo}`;
}

function formatThousands(major: string): string {
  const [whole = '', fraction] = major.split('.');
  return `${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${fraction}`;
}

export async function benchCounterpartRead(rows: number): Promise<CounterpartReadFigures> {
  let peakRss = 0;
  const sample = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 20);
  const folder = mkdtempSync(join(tmpdir(), 'colend-counterpart-'));
  try {
    const repayments = join(folder, 'repayment_detail_20260331.txt');
    const header = 'business_date|lender_id|loan_id|event_type|event_id|value_date|booked_on|currency|principal_amount|interest_amount|penalty_amount|fee_amount|suspense_amount|guarantee_amount|loss_amount|total_amount|corrects_entry';
    await writeLines(createWriteStream(repayments), header, rows, repaymentLine, (text) => Buffer.from(text, 'utf8'));
    const statement = join(folder, 'escrow_20260331.csv');
    await writeLines(createWriteStream(statement), '交易日期,交易流水号,借方发生额,贷方发生额,余额,币种,对方账号,对方户名,摘要', rows, statementLine, (text) => iconv.encode(text, 'gbk'));

    const files = [];
    const rssAtStart = process.memoryUsage.rss();
    for (const [what, path, type] of [
      ['partner repayment detail, pipe-delimited UTF-8', repayments, 'PARTNER_REPAYMENTS'],
      ['escrow bank statement, GBK CSV, built-in mapping', statement, 'ESCROW_STATEMENT'],
    ] as const) {
      peakRss = process.memoryUsage.rss();
      const started = performance.now();
      const cpu = process.cpuUsage();
      let count = 0;
      let totalMinor = 0n;
      for await (const record of readCounterpartFile(createReadStream(path, { highWaterMark: 256 * 1024 }), { type: type as CounterpartFileType })) {
        count++;
        totalMinor += 'totalMinor' in record ? record.totalMinor : 'amountMinor' in record ? record.amountMinor : 0n;
      }
      const seconds = (performance.now() - started) / 1000;
      const cpuSeconds = cpuSecondsSince(cpu);
      if (count !== rows) throw new Error(`bench: read ${count} records of ${what}, expected ${rows}`);
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
      files.push({ what, megabytes: statSync(path).size / 2 ** 20, seconds, rowsPerSecond: count / seconds, rowsPerCpuSecond: count / cpuSeconds, peakRssMiB: peakRss / 2 ** 20, totalMinor });
    }

    const splitting = { csvParseRowsPerCpuSecond: await splitRate(repayments, true), splitterRowsPerCpuSecond: await splitRate(repayments, false) };
    return { rows, files, splitting, rssAtStartMiB: rssAtStart / 2 ** 20 };
  } finally {
    clearInterval(sample);
    rmSync(folder, { recursive: true, force: true });
  }
}

const cpuSecondsSince = (start: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
};

/** Records per CPU second of splitting the file alone (no typed records): csv-parse on every line, or the splitter. */
async function splitRate(path: string, csvParseAlone: boolean): Promise<number> {
  const cpu = process.cpuUsage();
  let records = 0;
  const text = createReadStream(path, { encoding: 'utf8', highWaterMark: 256 * 1024 }) as AsyncIterable<string>;
  if (csvParseAlone) {
    for await (const record of csvParseRecords(text, '|')) records += record.fields.length > 0 ? 1 : 0;
  } else {
    const splitter = new DelimitedSplitter('|', () => records++, () => undefined);
    for await (const chunk of text) splitter.push(chunk);
    splitter.end();
  }
  return records / cpuSecondsSince(cpu);
}

export function printCounterpartRead(f: CounterpartReadFigures): void {
  const rate = (n: number) => `${Math.round(n).toLocaleString('en-US')} rows/s`;
  console.log(`counterpart files (${f.rows.toLocaleString('en-US')} rows each, read as a stream into typed records):`);
  for (const file of f.files) {
    console.log(
      `  ${file.what}: ${file.megabytes.toFixed(0)} MiB in ${file.seconds.toFixed(2)} s, ${rate(file.rowsPerSecond)}; ${rate(file.rowsPerCpuSecond)} of CPU time; peak resident memory ${file.peakRssMiB.toFixed(0)} MiB (sum of amounts ${file.totalMinor} fen)`,
    );
  }
  console.log(`  splitting the pipe file into records alone, per CPU second: csv-parse on every line ${rate(f.splitting.csvParseRowsPerCpuSecond)}, the splitter ${rate(f.splitting.splitterRowsPerCpuSecond)}`);
  console.log(`  resident memory of the process when the reading started ${f.rssAtStartMiB.toFixed(0)} MiB (its modules, the files just written)`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) printCounterpartRead(await benchCounterpartRead(Number(process.env.BENCH_COUNTERPART_ROWS ?? '1000000')));
