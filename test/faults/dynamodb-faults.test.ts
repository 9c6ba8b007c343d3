import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { seedFrom } from '../support/seed.ts';
import { compareRuns } from './compare.ts';
import { faultRun, type RunResult } from './kill-run.ts';

/**
 * Exactly once under DynamoDB's faults (docs/testing.md, "Fault injection"): the same burst and
 * settlement as the kill test on `npm start -- --dynamodb-faults`, where the handlers' DynamoDB
 * calls are throttled, their transactions cancelled as conflicting, and competing writes land
 * before their conditioned writes, against the same scenario run without faults.
 * FAULT_SEED=<seed> plays the same data and the same sequence of decisions again.
 */
const seed = seedFrom('FAULT_SEED', 1490085560);
const spec = `seed=${seed},throttle=0.05,conflict=0.05,race=0.1`;
const runs: RunResult[] = [];

afterAll(() => {
  for (const run of runs) rmSync(run.dir, { recursive: true, force: true });
});

describe(`npm start -- --dynamodb-faults ${spec}`, () => {
  it('books every repayment once, settles the date with the same files, and the ledger verifies', { timeout: 1_800_000 }, async () => {
    console.log(`DynamoDB fault injection: FAULT_SEED=${seed}`);
    const [reference, run] = await Promise.all([faultRun({ seed, kills: 0 }), faultRun({ seed, kills: 0, stackArgs: ['--dynamodb-faults', spec], log: (line) => console.log(`[faults ${seed}] ${line}`) })]);
    runs.push(reference, run);
    const compared = compareRuns(run, reference);
    console.log(
      `FAULT_SEED=${seed}: ${run.dynamoDbFaults.requests} DynamoDB requests, ${run.dynamoDbFaults.throttled} throttled, ${run.dynamoDbFaults.conflicts} transactions cancelled as conflicting, ` +
        `${run.dynamoDbFaults.races} competing writes; ${compared.accepted} repayments accepted, ${compared.booked} booked once, ${compared.duplicated} duplicated; ` +
        `${run.heard.retried503} answers 503 (retried); ${(run.elapsedMs / 1000).toFixed(1)} s`,
    );
    expect(compared.violations).toEqual([]);
    expect(compared.booked).toBe(run.scenario.repaymentIds.length);
    expect(compared.duplicated).toBe(0);
    // The faults were injected: a run that met none would prove nothing.
    expect(run.dynamoDbFaults.throttled).toBeGreaterThan(0);
    expect(run.dynamoDbFaults.conflicts).toBeGreaterThan(0);
    expect(run.dynamoDbFaults.races).toBeGreaterThan(0);
    expect(reference.dynamoDbFaults.requests).toBe(0);
  });
});
