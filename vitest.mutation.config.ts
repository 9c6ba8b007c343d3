import { defineConfig } from 'vitest/config';

/**
 * The tests mutation testing runs against the money core: the unit tests of the pure domain,
 * without the local stack of the integration tests (`npm run mutation`, stryker.config.mjs).
 */
export default defineConfig({
  test: {
    include: ['test/unit/shared/domain/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
  },
});
