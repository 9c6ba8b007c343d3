import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { verifyLedger } from '../../infra/cli/ledger-verify.ts';
import type { LocalStack } from '../../infra/local/stack.ts';
import { calendarOf } from '../../shared/domain/calendar.ts';
import { call, setUpProgram } from './setup.ts';
import { groupProcesses, percentile } from './stats.ts';

/**
 * The soak (`BENCH_PHASE=soak npm run bench`, docs/testing.md): SOAK_RATE repayments a second
 * (default 100) for SOAK_MINUTES (default 10), open loop, on SOAK_LOANS loans (default 3,000),
 * and a settlement run every SOAK_SETTLE_EVERY_S seconds (default 120), each of a business date of
 * its own. One line a minute and a summary; exit status 1 when a repayment was not booked, a run
 * did not settle, the settled entries are not the repayments booked, or the ledger does not verify.
 *
 * Dates: the loans are booked on the business day before SOAK_FIRST_DATE (default 2026-12-01, in
 * the CN calendar) and that day is settled before the load starts. Then each period of the load
 * books on a business day of its own: at the end of a period the stack's clock moves to 10:00 in
 * Beijing of the next business day (the previous day's cut-off passed), and once every request
 * sent before the move has its answer (so nothing is booked on the day after its run has started),
 * the day is settled. Runs chain (a date's run waits for the previous one to finish).
 */

export interface SoakOptions {
  readonly ratePerSecond: number;
  readonly minutes: number;
  readonly settleEverySeconds: number;
  readonly loans: number;
  /** Requests in flight at most; an arrival beyond waits and counts as a late start. */
  readonly maxInFlight: number;
  readonly firstDate: string;
}

export function soakOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): SoakOptions {
  const number = (name: string, fallback: number): number => {
    const value = Number(env[name] ?? fallback);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, not ${env[name]}`);
    return value;
  };
  return {
    ratePerSecond: number('SOAK_RATE', 100),
    minutes: number('SOAK_MINUTES', 10),
    settleEverySeconds: number('SOAK_SETTLE_EVERY_S', 120),
    loans: Math.floor(number('SOAK_LOANS', 3000)),
    maxInFlight: Math.floor(number('SOAK_MAX_IN_FLIGHT', 64)),
    firstDate: env.SOAK_FIRST_DATE ?? '2026-12-01',
  };
}

/** A start this much later than its arrival is late (the driver's timer ticks every 5 ms). */
const LATE_START_MS = 50;
/** Disbursed half a year before the first date: several instalments are overdue, as on a servicing book. */
const DISBURSEMENT_DATE = '2026-06-02';
/** Loans of four sizes, each paid its own instalment (principal and interest of its first period). */
const PRINCIPALS = [1_000_003n, 1_500_007n, 2_400_011n, 3_600_001n];
const TERM_MONTHS = 36;
const CALENDAR = 'CN';
const BEIJING_10AM_UTC = 'T02:00:00.000Z';

interface Minute {
  offered: number;
  answered: number;
  errors: Map<string, number>;
  lateStarts: number;
  latencies: number[];
  maxRss: number;
  maxHeapUsed: number;
  jvmRss: number | null;
  runs: string[];
}

const newMinute = (): Minute => ({ offered: 0, answered: 0, errors: new Map(), lateStarts: 0, latencies: [], maxRss: 0, maxHeapUsed: 0, jvmRss: null, runs: [] });

interface SettledRun {
  readonly businessDate: string;
  readonly status: string;
  readonly durationMs: number;
  readonly entries: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** Resident memory of every process of a group (DynamoDB Local's JVM), from /proc; null where there is no /proc. */
export function groupRssBytes(processGroup: number): number | null {
  const processes = groupProcesses(processGroup);
  if (processes === null) return null;
  let kib = 0;
  for (const { pid } of processes) {
    try {
      kib += Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // The process ended while it was read.
    }
  }
  return kib * 1024;
}

/** Loans of the program, booked by 8 clients at once; returns each loan's id and instalment. */
async function bookLoans(stack: LocalStack, token: string, setup: Awaited<ReturnType<typeof setUpProgram>>, run: string, count: number) {
  const loans = Array.from({ length: count }, (_, i) => ({ loanId: `SK-${run}-${i}`, principal: PRINCIPALS[i % PRINCIPALS.length] as bigint }));
  let next = 0;
  const client = async (): Promise<void> => {
    while (next < loans.length) {
      const loan = loans[next++]!;
      const partner = (loan.principal * 3n + 9n) / 10n; // at least 30% each (CN-2021)
      const { status, json } = await call(stack, token, 'POST', '/v1/loans', {
        loanId: loan.loanId,
        programId: setup.programId,
        borrower: { borrowerId: `SB-${loan.loanId}`, type: 'INDIVIDUAL', region: 'CN-31' },
        currency: 'CNY',
        principalMinor: loan.principal.toString(),
        annualRate: '0.108',
        termMonths: TERM_MONTHS,
        repaymentMethod: 'EQUAL_INSTALLMENT',
        disbursementDate: DISBURSEMENT_DATE,
        disbursementReference: `SD-${loan.loanId}`,
        fundingPlan: [
          { lenderId: setup.lead, amountMinor: (loan.principal - 2n * partner).toString() },
          { lenderId: setup.a, amountMinor: partner.toString() },
          { lenderId: setup.b, amountMinor: partner.toString() },
        ],
      });
      if (status !== 201) throw new Error(`soak setup: loan ${loan.loanId} answered ${status}: ${JSON.stringify(json)}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, client));
  // Every loan of a size has the same schedule: its first instalment is the payment of each of its repayments.
  const instalments = new Map<bigint, bigint>();
  for (const [i, principal] of PRINCIPALS.entries()) {
    const { status, json } = await call(stack, token, 'GET', `/v1/loans/${loans[i]?.loanId}/repayments`);
    const first = (json as { instalments?: { principalMinor: string; interestMinor: string }[] } | null)?.instalments?.[0];
    if (status !== 200 || first === undefined) throw new Error(`soak setup: no schedule for ${loans[i]?.loanId}`);
    instalments.set(principal, BigInt(first.principalMinor) + BigInt(first.interestMinor));
  }
  return loans.map((loan) => ({ loanId: loan.loanId, instalmentMinor: instalments.get(loan.principal) as bigint }));
}

/**
 * Starts the run of a date and reads it every 250 ms until it is no longer RUNNING. A start
 * answered otherwise than 202 is an error of the soak; when the run was opened all the same (a
 * start whose answer timed out), it is followed to its end, so the next date can be settled.
 */
async function settle(stack: LocalStack, token: string, businessDate: string): Promise<SettledRun> {
  const started = performance.now();
  let startError: string | null = null;
  try {
    const start = await call(stack, token, 'POST', '/v1/settlement-runs', { businessDate });
    if (start.status !== 202) startError = `start answered ${start.status} ${JSON.stringify(start.json)}`;
  } catch (error) {
    startError = `start got no answer: ${String(error)}`;
  }
  for (let reads = 0; ; reads++) {
    await sleep(250);
    const read = await call(stack, token, 'GET', `/v1/settlement-runs/${businessDate}`).catch(() => null);
    const run = (read?.json as { run?: { status: string; entries: number } } | null)?.run;
    if (read?.status === 404 && startError !== null && reads >= 40) return { businessDate, status: `NOT STARTED (${startError})`, durationMs: performance.now() - started, entries: 0 };
    if (read?.status === 200 && run !== undefined && run.status !== 'RUNNING') {
      const status = startError === null ? run.status : `${run.status}, but its ${startError}`;
      return { businessDate, status, durationMs: performance.now() - started, entries: run.entries };
    }
  }
}

export async function benchSoak(stack: LocalStack, options: SoakOptions): Promise<boolean> {
  const calendar = calendarOf(CALENDAR, []);
  const setupDate = calendar.previousBusinessDay(options.firstDate);
  const lead = await stack.mintToken({ scopes: ['lead'], ttlSeconds: 4 * 3600 });
  const finance = await stack.mintToken({ scopes: ['finance'], ttlSeconds: 4 * 3600 });
  const run = randomUUID().slice(0, 6).toUpperCase();

  // Setup, not measured: the program and its loans, booked and settled on the day before the first date.
  stack.setTime(`${setupDate}${BEIJING_10AM_UTC}`);
  let t = performance.now();
  const setup = await setUpProgram(stack, lead, run, 'K', TERM_MONTHS);
  const loans = await bookLoans(stack, lead, setup, run, options.loans);
  const bookedMs = performance.now() - t;
  stack.setTime(`${options.firstDate}${BEIJING_10AM_UTC}`);
  await stack.streams.settled(600_000);
  const first = await settle(stack, finance, setupDate);
  console.log(
    `soak setup: ${loans.length} loans booked on ${setupDate} in ${(bookedMs / 1000).toFixed(1)} s; its settlement ${first.status} in ${(first.durationMs / 1000).toFixed(1)} s (${first.entries} entries)`,
  );
  if (first.status !== 'SETTLED') return false;

  const total = Math.round(options.ratePerSecond * options.minutes * 60);
  const intervalMs = 1000 / options.ratePerSecond;
  const minutes: Minute[] = Array.from({ length: Math.ceil(options.minutes) + 1 }, newMinute);
  const settled: SettledRun[] = [];
  let date = options.firstDate;
  const dates = [date];
  let generation = 0;
  const inFlightOf = new Map<number, number>([[0, 0]]);
  const generationDrained = new Map<number, () => void>();
  let inFlight = 0;
  let maxInFlight = 0;
  let issued = 0;
  let booked = 0;
  const queue: { scheduledAt: number; index: number }[] = [];
  const t0 = performance.now();
  const minuteAt = (at: number): Minute => minutes[Math.min(minutes.length - 1, Math.floor((at - t0) / 60_000))] as Minute;

  const send = (scheduledAt: number, index: number): void => {
    const loan = loans[index % loans.length]!;
    const startedAt = performance.now();
    if (startedAt - scheduledAt > LATE_START_MS) minuteAt(scheduledAt).lateStarts++;
    const own = generation;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    inFlightOf.set(own, (inFlightOf.get(own) ?? 0) + 1);
    const body = {
      repayments: [{ repaymentId: `SKR-${run}-${index}`, loanId: loan.loanId, amountMinor: loan.instalmentMinor.toString(), currency: 'CNY', valueDate: date, channel: 'AUTO_DEBIT' }],
    };
    call(stack, lead, 'POST', '/v1/repayments', body)
      .then(
        ({ status, json }) => {
          const result = (json as { results?: { status: string }[] } | null)?.results?.[0]?.status;
          if (status >= 200 && status < 300 && (result === 'BOOKED' || result === 'REPLAYED')) return null;
          const code = (json as { code?: unknown } | null)?.code;
          return status >= 200 && status < 300 ? `result ${result ?? 'none'}` : `HTTP ${status}${typeof code === 'string' ? ` ${code}` : ''}`;
        },
        (error: unknown) => `network ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      )
      .then((error) => {
        const now = performance.now();
        const minute = minuteAt(now);
        minute.latencies.push(now - scheduledAt); // from the arrival, so a wait for a slot counts
        if (error === null) {
          minute.answered++;
          booked++;
        } else {
          minute.errors.set(error, (minute.errors.get(error) ?? 0) + 1);
        }
        inFlight--;
        const left = (inFlightOf.get(own) ?? 1) - 1;
        inFlightOf.set(own, left);
        if (left === 0) generationDrained.get(own)?.();
        drain();
      });
  };
  const drain = (): void => {
    while (queue.length > 0 && inFlight < options.maxInFlight) {
      const arrival = queue.shift() as { scheduledAt: number; index: number };
      send(arrival.scheduledAt, arrival.index);
    }
  };
  const tick = (): void => {
    const due = Math.min(total, Math.floor((performance.now() - t0) / intervalMs) + 1);
    while (issued < due) {
      const scheduledAt = t0 + issued * intervalMs;
      minuteAt(scheduledAt).offered++;
      queue.push({ scheduledAt, index: issued });
      issued++;
    }
    drain();
  };

  /** Moves the stack to the next business day, waits for the requests sent before, then settles the day left. */
  let settling: Promise<void> = Promise.resolve();
  const closeDay = (): void => {
    const closed = date;
    const before = generation;
    date = calendar.nextBusinessDay(date);
    dates.push(date);
    generation++;
    inFlightOf.set(generation, 0);
    stack.setTime(`${date}${BEIJING_10AM_UTC}`);
    const drained = (inFlightOf.get(before) ?? 0) === 0 ? Promise.resolve() : new Promise<void>((resolve) => generationDrained.set(before, resolve));
    settling = settling.then(async () => {
      await drained;
      const result = await settle(stack, finance, closed);
      settled.push(result);
      minuteAt(performance.now()).runs.push(`${closed} ${result.status} in ${(result.durationMs / 1000).toFixed(1)} s`);
    });
  };

  const sampler = setInterval(() => {
    const minute = minuteAt(performance.now());
    const memory = process.memoryUsage();
    minute.maxRss = Math.max(minute.maxRss, memory.rss);
    minute.maxHeapUsed = Math.max(minute.maxHeapUsed, memory.heapUsed);
  }, 1000);
  let printed = 0;
  const printMinute = (m: number): void => {
    const minute = minutes[m] as Minute;
    const label = m < minutes.length - 1 ? `minute ${m + 1}` : 'after the load';
    minute.jvmRss = groupRssBytes(stack.dynamodbProcessGroup);
    const sorted = minute.latencies.sort((a, b) => a - b);
    const errors = [...minute.errors.values()].reduce((n, c) => n + c, 0);
    const byKind = errors === 0 ? '' : ` (${[...minute.errors].map(([kind, n]) => `${kind}: ${n}`).join(', ')})`;
    console.log(
      `${label}: offered ${minute.offered}, 2xx ${minute.answered}, errors ${errors}${byKind}, late starts ${minute.lateStarts}; ` +
        `latency p50 ${percentile(sorted, 50).toFixed(0)} p99 ${percentile(sorted, 99).toFixed(0)} max ${(sorted.at(-1) ?? Number.NaN).toFixed(0)} ms; ` +
        `RSS ${mib(minute.maxRss)}, heap used ${mib(minute.maxHeapUsed)}, DynamoDB Local ${minute.jvmRss === null ? 'not read' : mib(minute.jvmRss)}; load ${loadavg()[0]?.toFixed(1)}; ` +
        `settlement runs: ${minute.runs.length === 0 ? 'none finished' : minute.runs.join(', ')}`,
    );
  };
  const printer = setInterval(() => {
    while (printed < minutes.length - 1 && performance.now() - t0 >= (printed + 1) * 60_000) printMinute(printed++);
  }, 1000);

  const ticker = setInterval(tick, 5);
  const settleEveryMs = options.settleEverySeconds * 1000;
  const endMs = options.minutes * 60_000;
  for (let at = settleEveryMs; at < endMs; at += settleEveryMs) {
    await sleep(Math.max(0, t0 + at - performance.now()));
    closeDay();
  }
  await sleep(Math.max(0, t0 + endMs - performance.now()));
  tick();
  clearInterval(ticker);
  while (queue.length > 0 || inFlight > 0) await sleep(10);
  closeDay(); // the last period's day
  await settling;
  clearInterval(printer);
  clearInterval(sampler);
  // The minutes of the load not printed yet, then what came after it (the last answers, the last run).
  while (printed < minutes.length) printMinute(printed++);

  // The end: every repayment booked, every run settled, each repayment settled once, the books balanced.
  const ledger = [...stack.tables.created, ...stack.tables.existing].find((x) => x.logicalId.startsWith('LedgerTable'))?.tableName;
  const state = [...stack.tables.created, ...stack.tables.existing].find((x) => x.logicalId.startsWith('StateTable'))?.tableName;
  if (ledger === undefined || state === undefined) throw new Error('soak: no ledger or state table');
  t = performance.now();
  const verified = await verifyLedger({ endpoint: stack.dynamodbEndpoint, tables: { ledger, state } });
  const verifyMs = performance.now() - t;
  stack.setTime(null);
  const errors = minutes.reduce((n, m) => n + [...m.errors.values()].reduce((a, b) => a + b, 0), 0);
  const late = minutes.reduce((n, m) => n + m.lateStarts, 0);
  const failedRuns = settled.filter((r) => r.status !== 'SETTLED');
  const settledEntries = settled.reduce((n, r) => n + r.entries, 0);
  const all = minutes.flatMap((m) => m.latencies).sort((a, b) => a - b);
  const durations = settled.map((r) => r.durationMs).sort((a, b) => a - b);
  console.log(
    `soak: ${issued} repayments offered at ${options.ratePerSecond}/s for ${options.minutes} min on ${loans.length} loans, ${booked} booked, ${errors} errors, ${late} late starts (over ${LATE_START_MS} ms), at most ${maxInFlight} in flight; ` +
      `latency p50 ${percentile(all, 50).toFixed(0)} p99 ${percentile(all, 99).toFixed(0)} max ${(all.at(-1) ?? Number.NaN).toFixed(0)} ms; ` +
      `${settled.length} settlement runs of ${dates[0]} to ${dates.at(-2)}, ${settled.length - failedRuns.length} settled, in ${((durations[0] ?? 0) / 1000).toFixed(1)} to ${((durations.at(-1) ?? 0) / 1000).toFixed(1)} s; ` +
      `${settledEntries} entries settled for ${booked} repayments booked; ledger verify: ${verified.loansChecked} loans, ${verified.entriesChecked} entries, ${verified.differenceCount} differences (${(verifyMs / 1000).toFixed(1)} s)`,
  );
  for (const r of failedRuns) console.log(`  settlement run of ${r.businessDate} ${r.status}`);
  for (const d of verified.differences.slice(0, 5)) console.log(`  ledger difference: ${JSON.stringify(d)}`);
  return errors === 0 && booked === issued && failedRuns.length === 0 && settledEntries === booked && verified.differenceCount === 0;
}
