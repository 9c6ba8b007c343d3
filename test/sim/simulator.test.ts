import { describe, it } from 'vitest';
import fc from 'fast-check';
import { simSequence } from './commands.ts';
import { runSequence } from './simulator.ts';

/*
 * The money simulator in CI (docs/testing.md, The money simulator): SIM_RUNS sequences (5,000 by
 * default) of up to SIM_LENGTH commands (11 by default: the review's and the profit runs'
 * commands made a sequence dearer, and CI keeps the time it had). A failing sequence is shrunk and
 * reported with its seed and path; `SIM_SEED=… SIM_PATH=… npx vitest run test/sim` plays exactly
 * that sequence again.
 */

const runs = Number(process.env.SIM_RUNS ?? '5000');
const length = Number(process.env.SIM_LENGTH ?? '11');
const seed = process.env.SIM_SEED === undefined ? undefined : Number(process.env.SIM_SEED);
const path = process.env.SIM_PATH;

describe('the money simulator', () => {
  it(`keeps the money sound over ${runs} random sequences of bookings, applications and partner decisions, repayments, reversals, transfers, buybacks, compensations, write-offs, fee billing, profit-sharing runs, adjustments and settlements, with faults`, async () => {
    await fc.assert(
      fc.asyncProperty(simSequence(length), async (sequence) => {
        const outcome = await runSequence(sequence);
        if (outcome.violations.length > 0) {
          throw new Error(`${outcome.violations.slice(0, 5).join('\n')}\n  sequence:\n    ${outcome.trace.join('\n    ')}`);
        }
      }),
      { numRuns: runs, ...(seed === undefined ? {} : { seed }), ...(path === undefined ? {} : { path }) },
    );
  }, 600_000);
});
