import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { seedFrom } from '../support/seed.ts';
import { compareRuns } from './compare.ts';
import { faultRun, type RunResult } from './kill-run.ts';

/**
 * Exactly once under crashes (docs/testing.md, "Fault injection"): the scenario's burst of
 * repayments from four clients and the settlement of its date, on `npm start -- --persist`,
 * killed with SIGKILL at seeded random points at least FAULT_KILLS times (10 in the suite, 20 from
 * `npm run test:faults`), against
 * the same scenario run once without a kill. FAULT_SEED=<seed> plays the same data and the same
 * kill delays again.
 */
const seed = seedFrom('FAULT_SEED', 1718446350);
const kills = Number(process.env.FAULT_KILLS ?? '10');
/** FAULT_KEEP=1 keeps each run's folder (state, files, logs) to read after a failure. */
const keep = process.env.FAULT_KEEP === '1';
const runs: RunResult[] = [];

afterAll(() => {
  if (keep) for (const run of runs) console.log(`kept ${run.dir}`);
  else for (const run of runs) rmSync(run.dir, { recursive: true, force: true });
});

describe(`npm start killed ${kills} times (FAULT_SEED=${seed})`, () => {
  it('books every repayment once, settles the date with the same files, and the ledger verifies', { timeout: 1_800_000 }, async () => {
    console.log(`fault injection: FAULT_SEED=${seed} FAULT_KILLS=${kills}`);
    const log = (line: string): void => console.log(`[faults ${seed}] ${line}`);
    const [reference, run] = await Promise.all([faultRun({ seed, kills: 0, keep }), faultRun({ seed, kills, log, keep })]);
    runs.push(reference, run);
    const compared = compareRuns(run, reference);
    console.log(
      `FAULT_SEED=${seed}: ${run.kills} kills (${run.killPoints.join(', ')}); ${compared.accepted} repayments accepted, ${compared.booked} booked once, ${compared.duplicated} duplicated; ` +
        `${compared.lostAnswers} repayments and ${run.heard.lostCalls.size} calls lost an answer; ${run.heard.retried503} answers 503, ${run.heard.retriedInProgress} answers 409 REQUEST_IN_PROGRESS; ` +
        `${(run.elapsedMs / 1000).toFixed(1)} s with kills, ${(reference.elapsedMs / 1000).toFixed(1)} s without; starts to /health ${run.startMs.map((ms) => (ms / 1000).toFixed(1)).join(', ')} s`,
    );
    for (const failed of [...reference.failedStarts, ...run.failedStarts]) console.log(`a start failed and was made again: ${failed}`);
    expect(compareRuns(reference, reference).violations).toEqual([]);
    expect(compared.violations).toEqual([]);
    expect(run.kills).toBeGreaterThanOrEqual(kills);
    expect(compared.accepted).toBe(run.scenario.repaymentIds.length);
    expect(compared.booked).toBe(run.scenario.repaymentIds.length);
    expect(compared.duplicated).toBe(0);
    expect(run.outcome.files.size).toBe(reference.outcome.files.size);
  });
});
