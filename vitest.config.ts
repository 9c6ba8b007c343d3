import { configDefaults, defineConfig } from 'vitest/config';

/**
 * The suites `npm test` leaves out, each run by a script of its own (docs/testing.md): the kill
 * and DynamoDB-fault tests (`npm run test:faults`) and the contract fuzzer (`npm run test:fuzz`)
 * start stacks of their own and take minutes.
 */
const OWN_RUN = ['faults', 'fuzz'] as const;
const chosen = (process.env.COLEND_SUITES ?? '').split(',');

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...OWN_RUN.filter((suite) => !chosen.includes(suite)).map((suite) => `test/${suite}/**`)],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    globalSetup: ['test/integration/global-setup.ts'],
    setupFiles: ['test/support/worker-env.ts'],
  },
});
