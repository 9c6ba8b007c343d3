// Mutation testing of the repayment split against the tests that exercise it directly:
// `npx stryker run stryker.repayment-split.config.mjs --mutate shared/domain/repayment-split.ts`.
// docs/testing.md says why and gives the measures.

import base from './stryker.config.mjs';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...base,
  vitest: { configFile: 'vitest.mutation.repayment-split.config.ts', related: true },
};
