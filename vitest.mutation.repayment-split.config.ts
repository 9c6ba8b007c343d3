import { defineConfig } from 'vitest/config';

/**
 * The tests mutation testing of `shared/domain/repayment-split.ts` runs against
 * (stryker.repayment-split.config.mjs): the split's example tests, the repayment tests, and the
 * number-path test that compares `splitRepayment` with the bigint reference on random splits, at
 * its own number of runs. The other domain tests that reach the split (the property and golden
 * tests, the loan account, the schedule) are left out: they run the same code again and would make
 * a run of the module take hours on two shared cores. A failing property stops at its first
 * counterexample, unshrunk.
 */
export default defineConfig({
  test: {
    include: [
      'test/unit/shared/domain/repayment-split.test.ts',
      'test/unit/shared/domain/repayment.test.ts',
      'test/unit/shared/domain/repayment-number-path.test.ts',
    ],
    setupFiles: ['test/support/fast-check-no-shrink.ts'],
    testTimeout: 60_000,
    pool: 'forks',
  },
});
