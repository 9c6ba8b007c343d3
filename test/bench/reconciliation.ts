import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { once } from 'node:events';
import { readCounterpartBatches } from '../../shared/adapters/files/counterpart-reader.ts';
import { FolderFileStore } from '../../shared/adapters/files/file-store.ts';
import { DiskMatchSpool } from '../../shared/adapters/files/match-spool.ts';
import type { SettlementRun } from '../../shared/ports/stores.ts';
import { receivedReconciliation, reconcileOne, type ReconciliationDeps } from '../../shared/use-cases/reconciliation.ts';
import { createInMemoryStores, InMemoryBreakStore, InMemoryReconciliationStore } from '../support/in-memory-stores.ts';

/**
 * A partner's repayment detail of BENCH_RECONCILE_ROWS rows (default 1,000,000) reconciled against
 * the lender's own file of the date, through the Reconcile step as the workflow runs it: the
 * streaming reader, the spool of 16 partitions on disk, the matcher, the breaks. Our side is the
 * lender's repayment detail as the settlement writes it (its layout and order), written here row
 * by row; the partner's file is the same rows with a difference every 997th row, a row dropped
 * every 4,999th and one repeated every 7,001st. Prints rows matched per second and the process's
 * peak memory; run alone (`BENCH_PHASE=reconciliation`) it is the only thing in its process.
 */
const DATE = '2026-12-02';
const LENDER = 'BENCH_A';
const HEADER =
  'business_date|lender_id|loan_id|event_type|event_id|value_date|booked_on|currency|principal_amount|interest_amount|penalty_amount|fee_amount|suspense_amount|guarantee_amount|loss_amount|total_amount|corrects_entry';

const money = (fen: number): string => `${Math.trunc(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;

function row(i: number, interestDelta = 0): string {
  const principal = 50_000 + (i % 9_973) * 7;
  const interest = 1_000 + (i % 331) + interestDelta;
  const loan = `BL-${String(i).padStart(9, '0')}`;
  return `${DATE}|${LENDER}|${loan}|REPAYMENT|BR-${i}|${DATE}|${DATE}|CNY|${money(principal)}|${money(interest)}|0.00|0.00|0.00|0.00|0.00|${money(principal + interest)}|\n`;
}

async function writeRows(path: string, rows: number, partner: boolean): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(`${HEADER}\n`);
  for (let i = 0; i < rows; i++) {
    if (partner && i % 4_999 === 4_998) continue;
    await write(row(i, partner && i % 997 === 996 ? 1 : 0));
    if (partner && i % 7_001 === 7_000) await write(row(i));
  }
  out.end();
  await once(out, 'finish');
}

export async function reconciliationBench(rows = Number(process.env.BENCH_RECONCILE_ROWS ?? '1000000')): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'colend-bench-reconcile-'));
  try {
    const files = new FolderFileStore(dir);
    await writeRows(join(dir, 'statements', LENDER, DATE.replaceAll('-', ''), `repayment_detail_${DATE.replaceAll('-', '')}.txt`), rows, false);
    await writeRows(join(dir, 'reconciliation-uploads', 'UP-bench'), rows, true);
    const stores = createInMemoryStores();
    const run: SettlementRun = {
      businessDate: DATE,
      status: 'SETTLED',
      attempt: 1,
      daysByCalendar: { CN: [DATE] },
      shardCount: 16,
      startedAt: '2026-12-02T15:00:00.000Z',
      settledAt: '2026-12-02T15:01:00.000Z',
      firstSettledAt: '2026-12-02T15:01:00.000Z',
      entries: rows,
      instructions: 0,
      files: [],
      failure: null,
    };
    await stores.settlements.putRun(run, 0);
    const reconciliations = new InMemoryReconciliationStore();
    const breaks = new InMemoryBreakStore();
    const deps: ReconciliationDeps = {
      reconciliations,
      breaks,
      settlements: stores.settlements,
      ledger: stores.ledger,
      files,
      clock: { now: () => '2026-12-03T02:00:00.000Z' },
      spool: () => DiskMatchSpool.open(16),
      readCounterpart: readCounterpartBatches,
      bankFormat: async () => null,
      shardCount: 16,
    };
    await reconciliations.putUpload({ uploadId: 'UP-bench', fileName: 'bench.txt', path: 'reconciliation-uploads/UP-bench', createdBy: 'bench', lenderId: LENDER, createdAt: '2026-12-03T01:00:00.000Z' });
    const id = `RC-20261202-PARTNER_REPAYMENTS-${LENDER}-000000000000`;
    await reconciliations.put(
      receivedReconciliation({
        reconciliationId: id,
        type: 'PARTNER_REPAYMENTS',
        businessDate: DATE,
        counterparty: LENDER,
        lenderId: LENDER,
        bankFormat: null,
        uploadId: 'UP-bench',
        fileName: 'bench.txt',
        fileSha256: '0'.repeat(64),
        createdBy: 'bench',
        createdAt: '2026-12-03T01:00:00.000Z',
      }),
      0,
    );
    const theirsBytes = (await stat(join(dir, 'reconciliation-uploads', 'UP-bench'))).size;
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    const started = performance.now();
    const result = await reconcileOne(deps, id);
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    const r = (await reconciliations.get(id))!;
    const theirs = r.counts!.theirs;
    console.log(`reconciliation of a partner's repayment detail (${theirs.toLocaleString('en')} rows, ${(theirsBytes / 2 ** 20).toFixed(0)} MiB) against the lender's own file (${r.counts!.ours.toLocaleString('en')} rows):`);
    console.log(`  ${result.status} in ${seconds.toFixed(1)} s: ${Math.round((theirs + r.counts!.ours) / seconds).toLocaleString('en')} rows read and matched/s (both sides), ${Math.round(theirs / seconds).toLocaleString('en')} of their rows/s`);
    console.log(`  matched ${r.counts!.matched.toLocaleString('en')}, breaks ${r.counts!.breaks} (${Object.entries(r.breaksByKind).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ')})`);
    console.log(`  peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB (heap limit ${process.execArgv.find((a) => a.startsWith('--max-old-space-size')) ?? 'default'})`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
