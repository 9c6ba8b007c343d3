import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * The files that take minutes, longest first (docs/testing.md): started before the others, so
 * the two workers end together instead of one running the kill test alone at the end. Vitest
 * otherwise starts the largest files first on a fresh checkout, and these are small.
 */
const LONGEST_FIRST = ['test/faults/kill.test.ts', 'test/fuzz/contract.test.ts', 'test/faults/dynamodb-faults.test.ts', 'test/faults/settlement-resume.test.ts', 'test/sim/simulator.test.ts'];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (spec: TestSpecification): number => {
      const at = LONGEST_FIRST.findIndex((path) => spec.moduleId.endsWith(path));
      return at < 0 ? LONGEST_FIRST.length : at;
    };
    // Array.prototype.sort is stable: the rest keep vitest's own order.
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    globalSetup: ['test/integration/global-setup.ts'],
    setupFiles: ['test/support/worker-env.ts'],
    sequence: { sequencer: LongestFirst },
  },
});
