/**
 * `npm run bench`: local performance figures. Prints; asserts nothing about time.
 *   BENCH_LOANS_PER_CLIENT (default 100), BENCH_APPLICATIONS (default 100), BENCH_SPLITS
 *   (default 200000), BENCH_REPAYMENTS (default 2000, one per call) and BENCH_REPAYMENT_BATCHES
 *   (default 5 calls of 25 per client) and BENCH_SETTLEMENT_LOANS (default 100000; 10000 on the
 *   metered stack), BENCH_COUNTERPART_ROWS (default 1000000) and BENCH_RECONCILE_ROWS (default
 *   1000000) set the run sizes; BENCH_CONSOLE_END (default 2026-08-31) how far the demo story is
 *   played before the finance console is opened. BENCH_PHASE=settlement runs the settlement alone
 *   (BENCH_SETTLEMENT_METERED=1: on the metered stack), BENCH_PHASE=counterpart-read the reading of
 *   counterpart files alone, BENCH_PHASE=reconciliation the reconciliation of a million rows alone,
 *   BENCH_PHASE=startup the time from `npm start` to /health alone (BENCH_STARTS starts, default 3), then to the demo story's first settled files.
 *   BENCH_PHASE=sim plays the money simulator alone: BENCH_SIM_SEQUENCES (default 100000) sequences of
 *   up to BENCH_SIM_LENGTH (default 12) commands from BENCH_SIM_SEED (default 1), docs/testing.md.
 *   BENCH_PHASE=faults kills `npm start` BENCH_FAULT_KILLS times (default 100) during a burst of
 *   repayments and a settlement, then injects DynamoDB's faults (BENCH_FAULT_SEED, default 1;
 *   BENCH_FAULT_DYNAMODB), docs/testing.md, "Fault injection"; not part of the default phases.
 *   BENCH_PHASE=soak holds SOAK_RATE repayments a second (default 100, open loop) for SOAK_MINUTES
 *   (default 10) on SOAK_LOANS loans (default 3000), settling a business date every
 *   SOAK_SETTLE_EVERY_S seconds (default 120), and prints a line a minute (docs/testing.md, "The
 *   soak"); not part of the default phases: it takes its minutes whatever the machine, and wants a
 *   quiet one.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startLocalStack } from '../../infra/local/stack.ts';
import { benchBooking, printBooking } from './booking.ts';
import { benchConsole, printConsole } from './console.ts';
import { benchLongLoan, printLongLoan } from './long-loan.ts';
import { benchWriteFloor, printWriteFloor } from './floor.ts';
import { NO_COUNTS, benchRepayments, printRepayments } from './repayments.ts';
import { benchReview, printReview } from './review.ts';
import { benchSettlement, printSettlement } from './settlement.ts';
import { reconciliationBench } from './reconciliation.ts';
import { benchSim, printSim } from './sim.ts';
import { faultsBench } from './faults.ts';
import { benchSoak, soakOptionsFromEnv } from './soak.ts';
import { benchSplit } from './split.ts';
import { benchFirstFiles, benchStartup, printFirstFiles, printStartup, startupBench } from './startup.ts';

const loansPerClient = Number(process.env.BENCH_LOANS_PER_CLIENT ?? '100');
const applications = Number(process.env.BENCH_APPLICATIONS ?? '100');
const repayments = Number(process.env.BENCH_REPAYMENTS ?? '2000');
const repaymentBatches = Number(process.env.BENCH_REPAYMENT_BATCHES ?? '5');
const settlementLoans = Number(process.env.BENCH_SETTLEMENT_LOANS ?? '100000');

/*
 * Two stacks, each in a process of its own (a function's clients are made once per process, for the
 * stack it started with). The meter counts DynamoDB work as a proxy in front of DynamoDB Local that
 * reads every request and answer, so it costs the one Node process as much HTTP work again: units
 * per business event come from a metered stack, rates and latencies from a stack without it.
 */
const phase = process.env.BENCH_PHASE ?? 'all';
const options = { port: 0, runSchedules: false, log: () => undefined, longRunning: true } as const;

if (phase === 'all') {
  console.log(`Colend local benchmarks, Node ${process.version}, ${new Date().toISOString()}`);
  benchSplit(Number(process.env.BENCH_SPLITS ?? '200000')); // the pure engine, before anything local starts
  printStartup(await benchStartup());
  printFirstFiles(await benchFirstFiles());
  counterpartRead();
  for (const next of ['units', 'rates', 'settlement', 'reconciliation', 'console', 'sim']) {
    const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], { env: { ...process.env, BENCH_PHASE: next }, stdio: 'inherit' });
    if (child.status !== 0) process.exit(child.status ?? 1);
  }
} else if (phase === 'units') {
  await unitsOfWork();
} else if (phase === 'settlement') {
  await settlementRun();
} else if (phase === 'reconciliation') {
  await reconciliationBench();
} else if (phase === 'startup') {
  await startupBench();
} else if (phase === 'counterpart-read') {
  counterpartRead();
} else if (phase === 'console') {
  await consoleLoad();
} else if (phase === 'sim') {
  await simulator();
} else if (phase === 'faults') {
  if (!(await faultsBench())) process.exitCode = 1;
} else if (phase === 'soak') {
  await soak();
} else {
  await ratesAndLatencies();
}

/** The money simulator at volume, in-process (no stack): it fails the bench when a sequence breaks an invariant. */
async function simulator(): Promise<void> {
  const result = await benchSim(Number(process.env.BENCH_SIM_SEQUENCES ?? '100000'), Number(process.env.BENCH_SIM_LENGTH ?? '12'), Number(process.env.BENCH_SIM_SEED ?? '1'));
  printSim(result);
  if (result.failing > 0) process.exitCode = 1;
}

/** The soak on a stack of its own: exit status 1 when a repayment failed, a run did not settle or the ledger does not verify. */
async function soak(): Promise<void> {
  const soakOptions = soakOptionsFromEnv();
  console.log(`Colend soak, Node ${process.version}, ${new Date().toISOString()}: ${JSON.stringify(soakOptions)}`);
  const stack = await startLocalStack({ ...options, meterDynamoDb: false });
  try {
    if (!(await benchSoak(stack, soakOptions))) process.exitCode = 1;
  } finally {
    await stack.stop();
  }
}

/** Reading counterpart files, in a process that loads nothing else, so its memory is the reader's (counterpart-read.ts). */
function counterpartRead(): void {
  const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./counterpart-read.ts', import.meta.url))], { stdio: 'inherit' });
  if (child.status !== 0) process.exit(child.status ?? 1);
}

async function unitsOfWork(): Promise<void> {
  const metered = await startLocalStack({ ...options, meterDynamoDb: true });
  const dynamoDb = () => metered.dynamoDbCounts() ?? NO_COUNTS;
  /**
   * DynamoDB work per unit between two readings of the meter. Each poll the benchmark's clients
   * made while waiting (an early decision or disbursement call, a status read) cost two reads;
   * they are not the system's work and are taken out.
   */
  const perUnit = (before: ReturnType<typeof dynamoDb>, units: number, what: string, polls: number): string => {
    const after = dynamoDb();
    const reads = (after.readRequests - before.readRequests - 2 * polls) / units;
    const writes = (after.writeItems - before.writeItems) / units;
    const transactional = (after.transactionalWriteItems - before.transactionalWriteItems) / units;
    const rcu = (after.readUnits - before.readUnits) / units;
    const wcu = (after.writeUnits - before.writeUnits + after.indexWriteUnits - before.indexWriteUnits) / units;
    return `  DynamoDB per ${what}: ${reads.toFixed(1)} reads (${rcu.toFixed(1)} RCU), ${writes.toFixed(1)} items written (${transactional.toFixed(1)} in transactions, ${wcu.toFixed(1)} WCU with the index)`;
  };
  try {
    console.log('units of work (metered stack):');
    await benchBooking(metered, 2); // warm-up: module loading and JIT
    let before = dynamoDb();
    const booked = await benchBooking(metered, 10);
    console.log(perUnit(before, booked.loans + booked.failures, 'booked loan', 0));
    await benchReview(metered, 4, 2); // warm-up
    before = dynamoDb();
    const reviewed = await benchReview(metered, 16, 8);
    console.log(perUnit(before, reviewed.applications + reviewed.failures, 'application, intake to booked', reviewed.pollReads / 2));
    printLongLoan(await benchLongLoan(metered));
    await benchRepayments(metered, 80, 0); // warm-up
    printRepayments(await benchRepayments(metered, 400, 0));
    printSettlement(await benchSettlement(metered, Math.min(10_000, settlementLoans)));
  } finally {
    await metered.stop();
  }
}

/**
 * The settlement of one business date on a stack of its own (it settles every program of its
 * stack); BENCH_SETTLEMENT_METERED=1 meters its DynamoDB work instead of timing it.
 */
async function settlementRun(): Promise<void> {
  const metered = process.env.BENCH_SETTLEMENT_METERED === '1';
  const stack = await startLocalStack({ ...options, meterDynamoDb: metered });
  try {
    console.log(`settlement (stack ${metered ? 'with' : 'without'} the meter):`);
    printSettlement(await benchSettlement(stack, settlementLoans));
  } finally {
    await stack.stop();
  }
}

/** The finance console's load time, on a stack of its own that plays part of the demo story. */
async function consoleLoad(): Promise<void> {
  const stack = await startLocalStack({ ...options, meterDynamoDb: false });
  try {
    console.log('finance console (stack without the meter, headless Chromium):');
    printConsole(await benchConsole(stack));
  } finally {
    await stack.stop();
  }
}

async function ratesAndLatencies(): Promise<void> {
  const stack = await startLocalStack({ ...options, meterDynamoDb: false });
  try {
    console.log('rates and latencies (stack without the meter):');
    await benchBooking(stack, 5); // warm-up: module loading and JIT
    printBooking(await benchBooking(stack, loansPerClient));
    await benchReview(stack, 4, 2); // warm-up
    printReview(await benchReview(stack, applications, 8));
    await benchRepayments(stack, 400, 0); // warm-up: the database compiles its hot paths
    const floor = await benchWriteFloor(stack);
    printWriteFloor(floor);
    const repayment = await benchRepayments(stack, repayments, repaymentBatches);
    printRepayments(repayment);
    console.log(`  repayments end to end / the transaction floor: ${((100 * repayment.perSecond) / floor.transactionsPerSecond).toFixed(0)}%`);
  } finally {
    await stack.stop();
  }
}
