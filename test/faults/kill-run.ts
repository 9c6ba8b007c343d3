import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from '../../infra/local/free-port.ts';
import { mintToken } from '../../infra/local/issuer.ts';
import { newHeard, runClients, sendUntilAnswered, type Heard } from './clients.ts';
import { readOutcome, type Outcome } from './outcome.ts';
import { seededRandom } from '../../infra/local/dynamodb-faults.ts';
import { BOOKING_CLOCK, BUSINESS_DATE, faultScenario, SETTLEMENT_CLOCK, type Call, type Scenario } from './scenario.ts';
import { StackProcess } from './stack-process.ts';

/**
 * One run of the fault-injection scenario on `npm start` in a child process: the setup, the
 * clients' burst of loans and repayments, then the settlement of the business date, each phase
 * on a stack started with `--persist` and the phase's `--clock`. With `kills`, a killer SIGKILLs
 * the stack at seeded random instants and starts it again on the same folder; clients send again
 * whatever got no answer; the settlement is started again (`"restart": true`) after each start
 * until it is settled and at least `kills` kills were made (a settled date is run again meanwhile).
 */
export interface RunOptions {
  readonly seed: number;
  /** At least this many kills (0: an uninterrupted run, the reference). */
  readonly kills: number;
  /** A kill falls uniformly within this many milliseconds after the stack answered /health. */
  readonly maxKillDelayMs?: number;
  readonly clients?: number;
  readonly loansPerClient?: number;
  /** Extra arguments of `npm start` at every start (the DynamoDB fault injection). */
  readonly stackArgs?: readonly string[];
  readonly log?: (line: string) => void;
  /** Keep the run's folder (its path is in the result). */
  readonly keep?: boolean;
}

export interface RunResult {
  readonly seed: number;
  readonly kills: number;
  /** When each kill fell: the phase, and milliseconds after the stack answered. */
  readonly killPoints: readonly string[];
  readonly heard: Heard;
  readonly outcome: Outcome;
  readonly scenario: Scenario;
  /** Milliseconds from each start to /health. */
  readonly startMs: readonly number[];
  /** DynamoDB faults injected (`stackArgs` with `--dynamodb-faults`), summed over the starts that ended cleanly; zeros without. */
  readonly dynamoDbFaults: { requests: number; throttled: number; conflicts: number; races: number };
  /** Starts that failed and were made again (the machine too slow), with their last lines. */
  readonly failedStarts: readonly string[];
  readonly elapsedMs: number;
  readonly dir: string;
}

/** How long the settlement may show no change, the stack up, before the run is called stuck. */
const STALL_MS = 240_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A token of the stack whose home is `home` (its issuer key). */
async function tokenOf(home: string, scopes: ('lead' | 'finance')[]): Promise<string> {
  const previous = process.env.COLEND_HOME;
  process.env.COLEND_HOME = home;
  try {
    // The key's path is read as the call starts.
    return await mintToken({ scopes, ttlSeconds: 4 * 3600 });
  } finally {
    if (previous === undefined) delete process.env.COLEND_HOME;
    else process.env.COLEND_HOME = previous;
  }
}

/**
 * The killer: after each start, once the work has moved on (a call answered, a step of the run
 * done) since the start, a seeded wait, then SIGKILL and a new start. Waiting for progress keeps
 * a slow machine from killing every start before it does anything.
 */
class Killer {
  kills = 0;
  readonly points: string[] = [];
  private readonly random: () => number;
  constructor(
    private readonly stack: StackProcess,
    seed: number,
    private readonly maxDelayMs: number,
    private readonly log: (line: string) => void,
  ) {
    this.random = seededRandom(seed ^ 0x5bd1e995);
  }

  /** Kills and restarts the stack until `stopped()`, at most `budget` times. */
  async run(phase: string, budget: number, progress: () => number, stopped: () => boolean): Promise<void> {
    while (!stopped() && this.kills < budget) {
      const before = progress();
      while (progress() === before && !stopped()) await sleep(10);
      const delay = Math.floor(this.random() * this.maxDelayMs);
      const until = performance.now() + delay;
      while (performance.now() < until && !stopped()) await sleep(Math.min(10, until - performance.now()));
      if (stopped()) return;
      await this.stack.kill();
      this.kills++;
      this.points.push(`${phase} +${delay} ms`);
      this.log(`kill ${this.kills} (${phase}): ${delay} ms after the first progress of the start`);
      await this.stack.start();
    }
  }
}

/** Status and attempt of the date's run, or null when there is none (or no answer). */
async function runStatus(stack: StackProcess, token: string): Promise<{ status: string; attempt: number; progress: string } | null> {
  try {
    const res = await fetch(`${stack.baseUrl}/v1/settlement-runs/${BUSINESS_DATE}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(30_000) });
    const json = (await res.json()) as { run?: { status: string; attempt: number }; status?: string; attempt?: number; shards?: unknown };
    if (res.status !== 200) return null;
    const run = json.run ?? (json as { status: string; attempt: number });
    return { status: run.status, attempt: run.attempt, progress: JSON.stringify(json).length.toString() };
  } catch {
    return null;
  }
}

export async function faultRun(options: RunOptions): Promise<RunResult> {
  const started = performance.now();
  const log = options.log ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), `colend-faults-${options.seed}-`));
  const scenario = faultScenario(options.seed, options.clients, options.loansPerClient);
  const home = join(dir, 'home');
  const port = await findFreePort();
  const stackLog = (line: string): void => {
    if (/warning|error|resumed|not resumed/i.test(line)) log(line);
  };
  const heard = newHeard();
  const maxDelay = options.maxKillDelayMs ?? 1_500;
  let kills = 0;
  const points: string[] = [];
  const startMs: number[] = [];
  const failedStarts: string[] = [];
  const dynamoDbFaults = { requests: 0, throttled: 0, conflicts: 0, races: 0 };
  const countFaults = async (stack: StackProcess): Promise<void> => {
    const counts = await stack.faultCounts();
    if (counts === null) return;
    dynamoDbFaults.requests += counts.requests;
    dynamoDbFaults.throttled += counts.throttled;
    dynamoDbFaults.conflicts += counts.conflicts;
    dynamoDbFaults.races += counts.races;
  };
  let outcome: Outcome;
  const stacks: StackProcess[] = [];
  try {
    // Phase 1: setup and the burst, at 10:00 in Beijing.
    const booking = new StackProcess({ persistDir: join(dir, 'persist'), home, port, clock: BOOKING_CLOCK, args: options.stackArgs, log: stackLog });
    stacks.push(booking);
    await booking.start();
    const lead = await tokenOf(home, ['lead']);
    const finance = await tokenOf(home, ['finance']);
    const killer1 = new Killer(booking, options.seed, maxDelay, log);
    let burstDone = false;
    const burst = (async () => {
      try {
        await runClients(() => booking.baseUrl, lead, [scenario.setup], heard);
        await runClients(() => booking.baseUrl, lead, scenario.clients, heard);
      } finally {
        // A client that failed ends the burst too: the kills stop, and the failure is thrown below.
        burstDone = true;
      }
    })();
    // The burst takes about two thirds of the kills, the settlement the rest (and more if the burst ends first).
    if (options.kills > 0) await killer1.run('burst', Math.ceil((options.kills * 2) / 3), () => heard.answered, () => burstDone);
    await burst;
    kills += killer1.kills;
    points.push(...killer1.points);
    // The phase ends as a machine would stop: no clean shutdown even in the reference run.
    await countFaults(booking);
    await booking.kill();
    startMs.push(...booking.startMs);
    failedStarts.push(...booking.failedStarts);

    // Phase 2: the settlement of the date, at 23:30 in Beijing.
    const settling = new StackProcess({ persistDir: join(dir, 'persist'), home, port, clock: SETTLEMENT_CLOCK, args: options.stackArgs, log: stackLog });
    stacks.push(settling);
    await settling.start();
    const killer2 = new Killer(settling, options.seed + 1, Math.max(maxDelay, 3_000), log);
    let settled = false;
    let request = 0;
    let runProgress = 0;
    let lastSeen = '';
    let stalledSince = performance.now();
    const settle = async (): Promise<void> => {
      let life = -1;
      let lastStart = -1;
      while (!settled) {
        const run = await runStatus(settling, finance);
        const seen = run === null ? '' : `${run.attempt}:${run.status}:${run.progress}`;
        if (seen !== lastSeen) {
          lastSeen = seen;
          runProgress++;
          stalledSince = performance.now();
        } else if (performance.now() - stalledSince > STALL_MS) {
          // Nothing drives the run any more (an execution failed and left it RUNNING): a defect, not a wait.
          throw new Error(`the settlement run of ${BUSINESS_DATE} is stuck: ${seen} for ${STALL_MS / 1000} s with the stack up`);
        }
        const startsNow = settling.startMs.length;
        if (run?.status === 'SETTLED' && kills + killer2.kills >= options.kills) {
          settled = true;
          return;
        }
        // After each start nothing runs the date (a stopped run is not resumed): start it.
        const needsStart = startsNow !== life || run?.status === 'FAILED' || (run?.status === 'SETTLED' && lastStart !== startsNow);
        if (needsStart && run !== null) {
          life = startsNow;
          lastStart = startsNow;
          const call: Call = {
            method: 'POST',
            path: '/v1/settlement-runs',
            key: `fk-settle-${options.seed}-${++request}`,
            body: run.status === 'RUNNING' ? { businessDate: BUSINESS_DATE, restart: true } : { businessDate: BUSINESS_DATE },
            repaymentIds: [],
          };
          await sendUntilAnswered(() => settling.baseUrl, finance, call, heard).catch((error: unknown) => log(`settlement start: ${String(error)}`));
        } else if (needsStart && run === null) {
          // No run yet, or no answer: start it (a start refused as running is asked again with restart).
          life = startsNow;
          lastStart = startsNow;
          const call: Call = { method: 'POST', path: '/v1/settlement-runs', key: `fk-settle-${options.seed}-${++request}`, body: { businessDate: BUSINESS_DATE }, repaymentIds: [] };
          await sendUntilAnswered(() => settling.baseUrl, finance, call, heard).catch((error: unknown) => {
            log(`settlement start: ${String(error)}`);
            life = -1;
          });
        }
        await sleep(100);
      }
    };
    let failure: unknown = null;
    const settlement = settle().catch((error: unknown) => {
      failure = error;
    });
    if (options.kills > 0) await killer2.run('settlement', options.kills - kills, () => runProgress, () => settled || failure !== null);
    await settlement;
    if (failure !== null) throw failure;
    kills += killer2.kills;
    points.push(...killer2.points);
    outcome = await readOutcome(settling, scenario, join(dir, 'persist', 'files'), finance);
    await countFaults(settling);
    await settling.stop();
    startMs.push(...settling.startMs);
    failedStarts.push(...settling.failedStarts);
  } catch (error) {
    for (const stack of stacks) {
      for (const failed of stack.failedStarts) log(`a failed start: ${failed}`);
      await stack.kill();
    }
    if (!options.keep) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  if (!options.keep) rmSync(join(dir, 'persist', 'dynamodb'), { recursive: true, force: true });
  return { seed: options.seed, kills, killPoints: points, heard, outcome, scenario, startMs, failedStarts, dynamoDbFaults, elapsedMs: performance.now() - started, dir };
}
