import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../infra/local/free-port.ts';
import { mintToken } from '../../infra/local/issuer.ts';
import { newHeard, runClients } from './clients.ts';
import { readOutcome, type Outcome } from './outcome.ts';
import { BOOKING_CLOCK, BUSINESS_DATE, faultScenario, SETTLEMENT_CLOCK } from './scenario.ts';
import { StackProcess } from './stack-process.ts';

/**
 * A settlement run in flight when `npm start -- --persist` dies (SIGKILL, nothing shut down) is
 * resumed by the next start on the same folder, from the journal of running executions, and
 * settles on its own: nobody starts the date again. Its files are those of the same scenario
 * settled without a kill, and the ledger verifies (docs/settlement.md, "Starts").
 */

const SEED = 20261207;
const dirs: string[] = [];
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A token of the stack whose home is `home` (its issuer key). */
async function tokenOf(home: string, scopes: ('lead' | 'finance')[]): Promise<string> {
  const previous = process.env.COLEND_HOME;
  process.env.COLEND_HOME = home;
  try {
    return await mintToken({ scopes, ttlSeconds: 3600 });
  } finally {
    if (previous === undefined) delete process.env.COLEND_HOME;
    else process.env.COLEND_HOME = previous;
  }
}

interface RunRead {
  readonly status: string;
  readonly attempt: number;
  readonly shardsGathered: number;
}

async function readRun(stack: StackProcess, token: string): Promise<RunRead | null> {
  const res = await fetch(`${stack.baseUrl}/v1/settlement-runs/${BUSINESS_DATE}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(30_000) });
  const json = (await res.json()) as { run?: { status: string; attempt: number }; shardsGathered?: number };
  return res.status === 200 && json.run ? { status: json.run.status, attempt: json.run.attempt, shardsGathered: json.shardsGathered ?? 0 } : null;
}

interface Played {
  readonly outcome: Outcome;
  /** The run as it was read just before the kill; null without a kill. */
  readonly atKill: RunRead | null;
  /** The run at the end. */
  readonly end: RunRead | null;
  /** The lines of the start after the kill that name resumed or not-resumed executions. */
  readonly resumeLines: readonly string[];
  /** The journal of running executions at the end. */
  readonly journal: unknown;
}

/** The scenario's bookings, then its date settled by one start of the run; with `kill`, the stack is killed once the run is under way, and started again. */
async function play(kill: boolean): Promise<Played> {
  const dir = mkdtempSync(join(tmpdir(), `colend-resume-${kill ? 'killed' : 'reference'}-`));
  dirs.push(dir);
  const persistDir = join(dir, 'persist');
  const home = join(dir, 'home');
  const port = await findFreePort();
  const scenario = faultScenario(SEED);
  const booking = new StackProcess({ persistDir, home, port, clock: BOOKING_CLOCK });
  await booking.start();
  const lead = await tokenOf(home, ['lead']);
  const finance = await tokenOf(home, ['finance']);
  const heard = newHeard();
  await runClients(() => booking.baseUrl, lead, [scenario.setup], heard);
  await runClients(() => booking.baseUrl, lead, scenario.clients, heard);
  await booking.kill();

  const lines: string[] = [];
  const settling = new StackProcess({ persistDir, home, port, clock: SETTLEMENT_CLOCK, log: (line) => lines.push(line) });
  try {
    await settling.start();
    const started = await fetch(`${settling.baseUrl}/v1/settlement-runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${finance}`, 'content-type': 'application/json', 'idempotency-key': `resume-${SEED}` },
      body: JSON.stringify({ businessDate: BUSINESS_DATE }),
    });
    expect(started.status).toBe(202);
    let atKill: RunRead | null = null;
    let linesBeforeRestart = lines.length;
    if (kill) {
      // Once OpenRun has opened the run and a gather has written its shard (or 2 s after the run
      // opened, on a machine quick enough to gather every shard at once), the machine dies.
      let openedAt: number | null = null;
      for (;;) {
        atKill = await readRun(settling, finance);
        if (atKill !== null) openedAt ??= performance.now();
        if (atKill !== null && (atKill.status !== 'RUNNING' || atKill.shardsGathered > 0 || performance.now() - (openedAt ?? 0) > 2_000)) break;
        await sleep(5);
      }
      await settling.kill();
      linesBeforeRestart = lines.length;
      expect(atKill.status, 'the run finished before the kill: this machine settles the scenario faster than the test reads it').toBe('RUNNING');
      await settling.start();
    }
    let end = await readRun(settling, finance);
    const deadline = performance.now() + 300_000;
    while ((end === null || end.status === 'RUNNING') && performance.now() < deadline) {
      await sleep(250);
      end = await readRun(settling, finance);
    }
    const outcome = await readOutcome(settling, scenario, join(persistDir, 'files'), finance);
    return {
      outcome,
      atKill,
      end,
      resumeLines: kill ? lines.slice(linesBeforeRestart).filter((line) => line.includes('resumed')) : [],
      journal: JSON.parse(readFileSync(join(persistDir, 'executions.json'), 'utf8')),
    };
  } finally {
    await settling.kill();
  }
}

describe('a settlement run when npm start --persist is killed under it', () => {
  it('is resumed by the next start and settles with the files of an uninterrupted run, started once', { timeout: 1_200_000 }, async () => {
    const [reference, resumed] = await Promise.all([play(false), play(true)]);
    console.log(`settlement resume: killed at ${JSON.stringify(resumed.atKill)}; after the restart: ${resumed.resumeLines.join(' | ')}`);
    expect(reference.end).toMatchObject({ status: 'SETTLED', attempt: 1 });
    // Started once, before the kill: the restart resumed that attempt's execution, by its name.
    expect(resumed.resumeLines.filter((line) => line.includes('SettlementStateMachine'))).toEqual([
      expect.stringMatching(new RegExp(`\\] resumed SettlementStateMachine[0-9A-F]{8} settlement-${BUSINESS_DATE}-1 \\(started `)),
    ]);
    expect(resumed.end).toMatchObject({ status: 'SETTLED', attempt: 1 });
    // Its execution has ended: the journal of running executions no longer names it.
    expect(JSON.stringify(resumed.journal)).not.toContain('SettlementStateMachine');
    expect(resumed.outcome.files.size).toBeGreaterThan(0);
    expect(Object.fromEntries(resumed.outcome.files)).toEqual(Object.fromEntries(reference.outcome.files));
    expect([resumed.outcome.verify.status, reference.outcome.verify.status]).toEqual([0, 0]);
  });
});
