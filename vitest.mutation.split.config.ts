import { defineConfig } from 'vitest/config';

/**
 * The tests the mutation measure of `shared/domain/money/split.ts` runs (stryker.split.config.mjs):
 * its own test file, the property tests included, with a tenth of their fast-check runs
 * (test/support/property-runs.ts) and no shrinking of a counterexample. `npm test` runs them in full.
 */
export default defineConfig({
  test: {
    include: ['test/unit/shared/domain/money/split*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
    env: { PROPERTY_RUNS_DIVISOR: '10' },
    setupFiles: ['test/support/fast-check-no-shrink.ts'],
  },
});
