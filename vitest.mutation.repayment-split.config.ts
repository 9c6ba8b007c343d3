import { defineConfig } from 'vitest/config';

/**
 * The tests mutation testing of `shared/domain/repayment-split.ts` runs against
 * (stryker.repayment-split.config.mjs): the split's example tests, the repayment tests, and the
 * property, golden and number-path tests that compare the number path with the bigint reference.
 * The other domain tests that reach the split through the loan account or the schedule are left
 * out: they cover the same code again and would make a run of the module take hours.
 */
export default defineConfig({
  test: {
    include: [
      'test/unit/shared/domain/repayment-split.test.ts',
      'test/unit/shared/domain/repayment.test.ts',
      'test/unit/shared/domain/repayment-number-path.test.ts',
      'test/unit/shared/domain/repayment-properties.test.ts',
      'test/unit/shared/domain/repayment-golden.test.ts',
    ],
    testTimeout: 60_000,
    pool: 'forks',
  },
});
