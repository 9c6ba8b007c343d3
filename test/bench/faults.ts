import { rmSync } from 'node:fs';
import { compareRuns } from '../faults/compare.ts';
import { faultRun } from '../faults/kill-run.ts';

/**
 * BENCH_PHASE=faults: the fault-injection scenario (docs/testing.md, "Fault injection") with
 * BENCH_FAULT_KILLS kills (default 100) from BENCH_FAULT_SEED (default 1), against the same
 * scenario without a kill, then with DynamoDB's faults (BENCH_FAULT_DYNAMODB, default
 * `throttle=0.05,conflict=0.05,race=0.1`). Prints accepted, booked, duplicated and kills; exits 1
 * on any violation.
 */
export async function faultsBench(): Promise<boolean> {
  const seed = Number(process.env.BENCH_FAULT_SEED ?? '1');
  const kills = Number(process.env.BENCH_FAULT_KILLS ?? '100');
  const spec = `seed=${seed},${process.env.BENCH_FAULT_DYNAMODB ?? 'throttle=0.05,conflict=0.05,race=0.1'}`;
  console.log(`fault injection, seed ${seed}: ${kills} kills of npm start, then --dynamodb-faults ${spec}`);
  const cpuBefore = process.cpuUsage();
  const [reference, killed] = await Promise.all([faultRun({ seed, kills: 0 }), faultRun({ seed, kills, maxKillDelayMs: 2_000, log: (line) => (/^kill \d*0 /.test(line) || /stuck|failed start/.test(line) ? console.log(`    ${line}`) : undefined) })]);
  const faulted = await faultRun({ seed, kills: 0, stackArgs: ['--dynamodb-faults', spec] });
  let ok = true;
  try {
    for (const [what, run] of [
      ['kills', killed],
      ['DynamoDB faults', faulted],
    ] as const) {
      const compared = compareRuns(run, reference);
      console.log(
        `  ${what}: ${run.kills} kills, ${run.scenario.repaymentIds.length} repayments: ${compared.accepted} accepted, ${compared.booked} booked once, ${compared.duplicated} duplicated; ` +
          `${compared.lostAnswers} repayments and ${run.heard.lostCalls.size} calls lost an answer, ${run.heard.retried503} answers 503, ${run.heard.retriedInProgress} 409 REQUEST_IN_PROGRESS; files ${run.outcome.files.size}; ` +
          `DynamoDB faults ${JSON.stringify(run.dynamoDbFaults)}; ${(run.elapsedMs / 1000).toFixed(1)} s`,
      );
      if (run.startMs.length > 0) {
        const sorted = [...run.startMs].sort((a, b) => a - b);
        console.log(`    starts to /health: ${run.startMs.length}, median ${(sorted[Math.floor(sorted.length / 2)]! / 1000).toFixed(1)} s; failed starts made again: ${run.failedStarts.length}`);
      }
      for (const violation of compared.violations.slice(0, 20)) console.log(`    VIOLATION ${violation}`);
      if (compared.violations.length > 0) ok = false;
    }
    const cpu = process.cpuUsage(cpuBefore);
    console.log(`  without faults: ${(reference.elapsedMs / 1000).toFixed(1)} s; this process's CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s`);
  } finally {
    for (const run of [reference, killed, faulted]) rmSync(run.dir, { recursive: true, force: true });
  }
  return ok;
}
