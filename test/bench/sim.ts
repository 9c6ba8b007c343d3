import fc from 'fast-check';
import { simSequence } from '../sim/commands.ts';
import { runSequence } from '../sim/simulator.ts';

/**
 * The money simulator at volume (docs/testing.md, The money simulator): `sequences` random
 * sequences of up to `length` commands from one seed, each through the real use cases on
 * in-memory stores with faults. Prints sequences per second and the violations found (the first
 * failing sequence in full); a seed and an index reproduce any of them.
 */
export interface SimBench {
  readonly sequences: number;
  readonly steps: number;
  readonly failing: number;
  readonly seconds: number;
  /** CPU time the process spent (user and system): on a busy machine, what the run would take on one core of its own. */
  readonly cpuSeconds: number;
  /** Commands played, per type, and of those how many the system accepted (not refused, not a no-op). */
  readonly byType: ReadonlyMap<string, { played: number; accepted: number }>;
}

/** A step's type and whether it did something: the trace line is `n. [date] TYPE {...} → outcome`. */
function countStep(byType: Map<string, { played: number; accepted: number }>, line: string): void {
  const match = /^\d+\. \[[^\]]*\] (\w+) .* → (.*)$/.exec(line);
  if (match === null) return;
  const [, type, outcome] = match as unknown as [string, string, string];
  const count = byType.get(type) ?? { played: 0, accepted: 0 };
  count.played++;
  if (!/^(REFUSED|no |nothing |SKIPPED)/.test(outcome)) count.accepted++;
  byType.set(type, count);
}

export async function benchSim(sequences: number, length: number, seed: number): Promise<SimBench> {
  const arbitrary = simSequence(length);
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  let steps = 0;
  let failing = 0;
  const byType = new Map<string, { played: number; accepted: number }>();
  // Drawn in batches from one generator, so a sequence's place and the seed name it.
  const batch = 1_000;
  for (let done = 0; done < sequences; done += batch) {
    const drawn = fc.sample(arbitrary, { numRuns: Math.min(batch, sequences - done), seed: seed + done });
    for (const [i, sequence] of drawn.entries()) {
      const outcome = await runSequence(sequence);
      steps += outcome.steps;
      for (const line of outcome.trace) countStep(byType, line);
      if (outcome.violations.length > 0) {
        failing++;
        if (failing === 1) console.log(`  sequence ${done + i} (seed ${seed + done}, index ${i}) fails:\n    ${outcome.violations.slice(0, 5).join('\n    ')}\n  its steps:\n    ${outcome.trace.join('\n    ')}`);
      }
    }
  }
  const cpu = process.cpuUsage(cpuStarted);
  return { sequences, steps, failing, seconds: (performance.now() - started) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, byType };
}

export function printSim(result: SimBench): void {
  console.log('money simulator (in-memory stores, faults injected):');
  console.log(`  ${result.sequences} sequences, ${result.steps} steps in ${result.seconds.toFixed(1)} s: ${(result.sequences / result.seconds).toFixed(0)} sequences/s, ${(result.steps / result.seconds).toFixed(0)} steps/s`);
  console.log(`  CPU time ${result.cpuSeconds.toFixed(1)} s: ${(result.sequences / result.cpuSeconds).toFixed(0)} sequences per CPU second`);
  const types = [...result.byType].sort(([a], [b]) => (a < b ? -1 : 1));
  console.log(`  commands played (accepted): ${types.map(([type, c]) => `${type} ${c.played} (${c.accepted})`).join(', ')}`);
  console.log(`  violations: ${result.failing} failing sequence${result.failing === 1 ? '' : 's'}`);
}
