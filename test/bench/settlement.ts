import { spawnSync } from 'node:child_process';
import { getHeapStatistics } from 'node:v8';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { entryItem } from '../../shared/adapters/dynamodb/entry-codec.ts';
import { applyEntries, assertBalanced, ESCROW, openPosition, type JournalEntry, type Leg } from '../../shared/domain/ledger.ts';
import { bookLoan, type BookLoanRequest } from '../../shared/domain/loan.ts';
import { createStores } from '../../shared/adapters/dynamodb/index.ts';
import { bookedLoanItems } from '../../shared/adapters/dynamodb/stores.ts';
import type { Tables } from '../../shared/adapters/dynamodb/client.ts';
import { LOCAL_CREDENTIALS, type LocalStack } from '../../infra/local/stack.ts';
import { LOCAL_REGION } from '../../infra/local/template.ts';
import { benchLender, call } from './setup.ts';
import { cpuMeter, cpuText, formatMs } from './stats.ts';
import { folderStoreRequests } from '../../shared/adapters/files/file-store.ts';

/** The business date settled: a Wednesday. Its bookings are seeded at 10:00 and it is settled at 23:00 Beijing time. */
const DATE = '2026-12-02';
const LENDERS = ['SLEAD', 'SBANKA', 'SBANKB', 'SBANKC'];
const PROGRAM = 'SPROG';

/**
 * One loan's repayment of the date across the four lenders (a lead with 10%, three partners with
 * 30% each): principal and interest to each, as the split books them.
 */
function repaymentOf(loanId: string, n: number): JournalEntry {
  const legs: Leg[] = [];
  LENDERS.forEach((lenderId, i) => {
    const principal = BigInt(i === 0 ? 1_000 + (n % 97) : 3_000 + (n % 89));
    const interest = BigInt(i === 0 ? 90 : 270);
    legs.push({ lenderId, account: 'SETTLEMENT_CLEARING', side: 'DEBIT', amountMinor: principal + interest, counterparty: ESCROW });
    legs.push({ lenderId, account: 'PRINCIPAL_RECEIVABLE', side: 'CREDIT', amountMinor: principal, counterparty: null });
    legs.push({ lenderId, account: 'INTEREST_INCOME', side: 'CREDIT', amountMinor: interest, counterparty: null });
  });
  return assertBalanced({
    entryId: `REPAYMENT#SR-${n}`,
    eventType: 'REPAYMENT',
    eventId: `SR-${n}`,
    loanId,
    currency: 'CNY',
    businessDate: DATE,
    bookedOn: DATE,
    programId: PROGRAM,
    programVersion: 1,
    legs,
    createdAt: `${DATE}T02:00:00.000Z`,
  });
}

/** Each loan's principal, 10,000.00 yuan: the lead funds 10%, the three partners 30% each. */
const LOAN_PRINCIPAL = 1_000_000n;
const PLAN_BPS = [1_000n, 3_000n, 3_000n, 3_000n];

/** When the loans were booked: a month before the settled date, so their disbursements were settled then. */
const DISBURSED_AT = '2026-11-02T02:00:00.000Z';

/** A loan as `POST /v1/loans` asks for it, disbursed a month before the settled date. */
function loanRequest(n: number): BookLoanRequest {
  return {
    loanId: `SL-${n}`,
    programId: PROGRAM,
    programVersion: null,
    borrower: { borrowerId: `SB-${n}`, type: 'INDIVIDUAL', region: 'CN', secured: false },
    currency: 'CNY',
    principalMinor: LOAN_PRINCIPAL,
    annualRate: '0.108',
    termMonths: 12,
    repaymentMethod: 'EQUAL_INSTALLMENT',
    disbursementDate: '2026-11-02',
    disbursementReference: `SD-${n}`,
    fundingPlan: LENDERS.map((lenderId, i) => ({ lenderId, amountMinor: (LOAN_PRINCIPAL * PLAN_BPS[i]!) / 10_000n })),
  };
}

/**
 * Seeds `loans` active loans, each with its repayment of the date, with BatchWriteItem (25 items a
 * call, 16 calls at once) from a process of its own: the stack's process then holds nothing of the
 * seeding when the run starts, so its memory is the run's. Each loan is booked by the domain's own
 * booking against the program and lenders the bench created, and written as a booking writes it
 * (the loan, its facts, its disbursement entry, its head and a holder per lender); its head holds the
 * positions after the repayment, which the loan master reads. Schedules, quotas and exposure are
 * left out: the settlement of a date without disbursements reads none of them.
 */
function seedBook(stack: LocalStack, loans: number): number {
  const tableOf = (prefix: string) => [...stack.tables.created, ...stack.tables.existing].find((t) => t.logicalId.startsWith(prefix))?.tableName;
  const ledger = tableOf('LedgerTable');
  const state = tableOf('StateTable');
  if (ledger === undefined || state === undefined) throw new Error('bench: no ledger or state table');
  const started = performance.now();
  const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'seed', stack.dynamodbEndpoint, ledger, state, String(loans)], { stdio: 'inherit' });
  if (child.status !== 0) throw new Error(`bench: seeding the book failed (${child.status})`);
  return performance.now() - started;
}

async function seedInThisProcess(endpoint: string, tables: Tables, loans: number): Promise<void> {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 10 }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const stores = createStores(doc, tables, ['programs:read', 'lenders:read']);
  const program = await stores.programs.get(PROGRAM, null);
  if (program === null) throw new Error('bench: the program is not there');
  const lenders = await stores.lenders.getMany(LENDERS);
  const itemsOf = (n: number) => {
    const booked = bookLoan(loanRequest(n), program, lenders, DISBURSED_AT);
    const repayment = repaymentOf(booked.loan.loanId, n);
    const positions = booked.loan.fundingPlan.map((part) => applyEntries(openPosition(part.lenderId, booked.loan.loanId, booked.loan.currency), [booked.entry, repayment]));
    return [...bookedLoanItems(tables, booked, positions), { TableName: tables.ledger, Item: entryItem(repayment) }];
  };
  let next = 0;
  const worker = async () => {
    let pending: { TableName: string; Item: Record<string, unknown> }[] = [];
    const send = async (items: typeof pending) => {
      let requests: Record<string, { PutRequest: { Item: Record<string, unknown> } }[]> = {};
      for (const { TableName, Item } of items) (requests[TableName] ??= []).push({ PutRequest: { Item } });
      while (Object.keys(requests).length > 0) {
        const out = await doc.send(new BatchWriteCommand({ RequestItems: requests }));
        requests = (out.UnprocessedItems ?? {}) as typeof requests;
      }
    };
    while (next < loans || pending.length > 0) {
      if (pending.length < 25 && next < loans) {
        pending.push(...itemsOf(next++));
        continue;
      }
      await send(pending.slice(0, 25));
      pending = pending.slice(25);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  doc.destroy();
}

// `tsx settlement.ts seed <endpoint> <ledger table> <state table> <loans>`: the seeding process.
if (process.argv[2] === 'seed' && process.argv[1] === fileURLToPath(import.meta.url)) {
  await seedInThisProcess(process.argv[3] as string, { ledger: process.argv[4] as string, state: process.argv[5] as string }, Number(process.argv[6]));
}

interface RunView {
  readonly run: { readonly status: string; readonly entries: number; readonly instructions: number; readonly files: readonly unknown[] };
}

/** Reads the run every 100 ms until it is no longer running. */
async function view(stack: LocalStack, token: string): Promise<RunView> {
  const read = await call(stack, token, 'GET', `/v1/settlement-runs/${DATE}`);
  if (read.status !== 200) throw new Error(`bench: the run cannot be read: ${JSON.stringify(read.json)}`);
  return read.json as RunView;
}

/**
 * Settlement of one business date for `loans` loans with one repayment each across four lenders:
 * the book is seeded first (not timed), then the run is started through the API and timed to the
 * end of its last step (CloseRun), which the bench learns from the function's invocations rather
 * than by reading the run, so no read of its own counts in the DynamoDB figures. Prints the wall time, the Node process's peak memory (overall and while each step ran),
 * each step's duration in the settlement-steps function with the GB-seconds they come to at its
 * configured memory, the state transitions, DynamoDB work per loan when the stack is metered, and
 * the run's counts.
 */
export async function benchSettlement(stack: LocalStack, loans: number) {
  stack.setTime(`${DATE}T02:00:00.000Z`);
  const lead = await stack.mintToken({ scopes: ['lead'] });
  for (const [i, id] of LENDERS.entries()) {
    if ((await call(stack, lead, 'POST', '/v1/lenders', benchLender(id, [i === 0 ? 'LEAD' : 'PARTNER']))).status !== 201) throw new Error('bench setup: lender');
  }
  const program = {
    startDate: '2024-01-01',
    programId: PROGRAM,
    name: 'Bench settlement',
    currency: 'CNY',
    leadLenderId: LENDERS[0],
    amountRange: { minMinor: '1000', maxMinor: '20000000' },
    termMonthsRange: { min: 1, max: 36 },
    repaymentMethods: ['EQUAL_INSTALLMENT'],
    borrowerRateRange: { min: '0.01', max: '0.24' },
    participants: LENDERS.map((lenderId, i) => ({ lenderId, role: i === 0 ? 'LEAD' : 'PARTNER', targetShareBps: i === 0 ? 1000 : 3000, priority: i })),
  };
  const created = await call(stack, lead, 'POST', '/v1/programs', program);
  if (created.status !== 201) throw new Error(`bench setup: program ${JSON.stringify(created.json)}`);
  const seedMs = seedBook(stack, loans);
  // The ledger's stream hands the seeded entries to the publishing function (which publishes none
  // of them); in AWS Lambda's pollers read it, here the stack's process does: let it finish first.
  await stack.streams.settled(600_000);
  stack.setTime(`${DATE}T15:00:00.000Z`);
  const finance = await stack.mintToken({ scopes: ['finance'] });
  const before = stack.dynamoDbCounts();
  const s3Before = { ...folderStoreRequests };
  const transitionsBefore = settlementTransitions(stack);
  const stepsFunction = stack.functions.functions.find((fn) => fn.entry === STEPS_ENTRY);
  if (stepsFunction === undefined) throw new Error(`bench: no function runs ${STEPS_ENTRY}`);
  const steps: StepRun[] = [];
  // The run has ended when its last step has: waiting on that, not by reading the run, keeps the clients' reads out of the figures.
  let lastStep: () => void = () => undefined;
  const lastStepEnded = new Promise<void>((resolve) => (lastStep = resolve));
  const stopObserving = stack.functions.onInvocation((invocation) => {
    if (invocation.functionId !== stepsFunction.logicalId) return;
    const step = String((invocation.event as { step?: unknown }).step);
    steps.push({ step, startedAt: invocation.startedAt, durationMs: invocation.durationMs });
    if (step === 'CloseRun' || step === 'FailRun') lastStep();
  });
  // The run's own peak: the process's resident memory, sampled while it runs.
  const samples: MemorySample[] = [];
  const sample = () => {
    const cpu = process.cpuUsage();
    samples.push({ at: performance.now(), memory: process.memoryUsage(), cpuMs: (cpu.user + cpu.system) / 1000 });
  };
  sample();
  const sampler = setInterval(sample, 25);
  const cpu = cpuMeter(stack.dynamodbProcessGroup);
  const started = performance.now();
  const start = await call(stack, finance, 'POST', '/v1/settlement-runs', { businessDate: DATE });
  if (start.status !== 202) throw new Error(`bench: the run did not start: ${JSON.stringify(start.json)}`);
  await lastStepEnded;
  const wallMs = performance.now() - started;
  const used = cpu();
  sample();
  clearInterval(sampler);
  stopObserving();
  const after = stack.dynamoDbCounts();
  const s3 = { putClass: folderStoreRequests.putClass - s3Before.putClass, get: folderStoreRequests.get - s3Before.get };
  const ran = await view(stack, finance);
  stack.setTime(null);
  const peak = samples.reduce((max, s) => (s.memory.rss > max.memory.rss ? s : max));
  return {
    loans,
    seedMs,
    wallMs,
    status: ran.run.status,
    entries: ran.run.entries,
    instructions: ran.run.instructions,
    files: ran.run.files.length,
    atStart: samples[0]!.memory,
    atPeak: peak.memory,
    heapLimitMiB: getHeapStatistics().heap_size_limit / 2 ** 20,
    steps: stepFigures(steps, samples, started),
    memoryMb: stepsFunction.memoryMb,
    stateTransitions: settlementTransitions(stack) - transitionsBefore,
    cpu: used,
    s3,
    perLoan:
      before === null || after === null
        ? null
        : {
            reads: (after.readRequests - before.readRequests) / loans,
            rcu: (after.readUnits - before.readUnits) / loans,
            writes: (after.writeItems - before.writeItems) / loans,
            wcu: (after.writeUnits - before.writeUnits + after.indexWriteUnits - before.indexWriteUnits) / loans,
          },
  };
}

const STEPS_ENTRY = 'functions/settlement-steps/handler.ts';
const STEP_ORDER = ['OpenRun', 'GatherShard', 'Instruct', 'WriteFiles', 'CloseRun'];

interface StepRun {
  readonly step: string;
  readonly startedAt: number;
  readonly durationMs: number;
}

interface MemorySample {
  readonly at: number;
  readonly memory: NodeJS.MemoryUsage;
  /** The process's CPU time so far (user and system). */
  readonly cpuMs: number;
}

/** The Settlement state machine's transitions since the stack started. */
function settlementTransitions(stack: LocalStack): number {
  return Object.entries(stack.stepFunctions.transitionCounts())
    .filter(([id]) => id.startsWith('SettlementStateMachine'))
    .reduce((sum, [, n]) => sum + n, 0);
}

/**
 * Per step: how often it ran, its durations (the function's billed time), the wall time from its
 * first start to its last end, and the highest resident memory sampled while one of its runs was
 * going.
 */
function stepFigures(runs: readonly StepRun[], samples: readonly MemorySample[], runStarted: number) {
  return STEP_ORDER.map((step) => {
    const own = runs.filter((r) => r.step === step);
    const durations = own.map((r) => r.durationMs).sort((a, b) => a - b);
    const during = samples.filter((s) => own.some((r) => s.at >= r.startedAt && s.at <= r.startedAt + r.durationMs));
    const from = Math.min(...own.map((r) => r.startedAt));
    const to = Math.max(...own.map((r) => r.startedAt + r.durationMs));
    // The process's CPU time from the last sample before the step's first start to the first sample after its last end.
    const before = samples.filter((s) => s.at <= from).at(-1);
    const after = samples.find((s) => s.at >= to);
    return {
      step,
      runs: own.length,
      totalMs: durations.reduce((sum, ms) => sum + ms, 0),
      minMs: durations[0] ?? 0,
      medianMs: durations[Math.floor(durations.length / 2)] ?? 0,
      maxMs: durations[durations.length - 1] ?? 0,
      startMs: own.length === 0 ? 0 : from - runStarted,
      wallMs: own.length === 0 ? 0 : to - from,
      peakRssMiB: during.length === 0 ? null : during.reduce((max, s) => Math.max(max, s.memory.rss), 0) / 2 ** 20,
      nodeCpuMs: before === undefined || after === undefined ? null : after.cpuMs - before.cpuMs,
    };
  });
}

export function printSettlement(r: Awaited<ReturnType<typeof benchSettlement>>): void {
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
  const heapSetting = /--max-old-space-size/.test(`${process.env.NODE_OPTIONS ?? ''} ${process.execArgv.join(' ')}`) ? 'capped by --max-old-space-size' : "V8's default";
  console.log(
    `settlement of one business date, ${r.loans} loans with one repayment each across 4 lenders: ${formatMs(r.wallMs)} (${r.status}; ${r.entries} entries, ${r.instructions} instructions, ${r.files} files; seeding the book took ${formatMs(r.seedMs)}), ` +
      `peak resident memory of the Node process during the run ${mib(r.atPeak.rss)} (${mib(r.atStart.rss)} when it started; the stack and the clients share the process; heap limit ${r.heapLimitMiB.toFixed(0)} MiB, ${heapSetting})`,
  );
  const memory = (m: NodeJS.MemoryUsage) => `heap ${mib(m.heapUsed)} used of ${mib(m.heapTotal)}, external ${mib(m.external)} (array buffers ${mib(m.arrayBuffers)})`;
  console.log(`  memory at the start: ${memory(r.atStart)}; at the peak: ${memory(r.atPeak)}`);
  const functionMs = r.steps.reduce((sum, s) => sum + s.totalMs, 0);
  const gbSeconds = (functionMs / 1000) * (r.memoryMb / 1024);
  for (const s of r.steps) {
    const spread = s.runs > 1 ? ` in ${s.runs} runs (${formatMs(s.minMs)} to ${formatMs(s.maxMs)}, median ${formatMs(s.medianMs)}; ${formatMs(s.wallMs)} of wall time)` : '';
    const cpuUsed = s.nodeCpuMs === null ? '' : `, the Node process's CPU ${formatMs(s.nodeCpuMs)}`;
    const peak = s.peakRssMiB === null ? 'no memory sample (shorter than the sampling)' : `peak resident memory ${s.peakRssMiB.toFixed(0)} MiB`;
    console.log(`  ${s.step} at ${formatMs(s.startMs)}: ${formatMs(s.totalMs)}${spread}; while it ran: ${peak}${cpuUsed}`);
  }
  console.log(
    `  the steps' function ran ${formatMs(functionMs)} in all: at ${r.memoryMb} MB, ${gbSeconds.toFixed(2)} GB-s per run, ${((gbSeconds / r.loans) * 1e6).toFixed(2)} GB-s per million settled loan-days; ${r.stateTransitions} state transitions`,
  );
  const perLoan = { nodeMs: r.cpu.nodeMs / r.loans, dynamoDbMs: r.cpu.dynamoDbMs === null ? null : r.cpu.dynamoDbMs / r.loans };
  console.log(`  CPU of the run: ${formatMs(r.cpu.nodeMs)} in the Node process, ${r.cpu.dynamoDbMs === null ? 'DynamoDB Local not measured' : `${formatMs(r.cpu.dynamoDbMs)} in DynamoDB Local`}; per settled loan ${cpuText(perLoan)}`);
  console.log(`  S3 requests of the run (the files folder counted as the files bucket would be sent them): ${r.s3.putClass} PUT-class, ${r.s3.get} GET`);
  if (r.perLoan !== null) {
    console.log(
      `  DynamoDB per settled loan: ${r.perLoan.reads.toFixed(3)} read requests (${r.perLoan.rcu.toFixed(3)} RCU), ${r.perLoan.writes.toFixed(4)} items written (${r.perLoan.wcu.toFixed(4)} WCU with the index)`,
    );
  }
}
