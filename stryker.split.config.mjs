// The mutation measure of `shared/domain/money/split.ts` against its own tests, property tests included
// (docs/testing.md, "Measures"):
//   npx stryker run stryker.split.config.mjs --mutate shared/domain/money/split.ts --concurrency 1
// The module is imported by about a thousand domain tests; vitest.mutation.split.config.ts runs only
// split*.test.ts, with a tenth of the property runs, so a whole measure fits in well under an hour.

import base from './stryker.config.mjs';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...base,
  mutate: ['shared/domain/money/split.ts'],
  vitest: { configFile: 'vitest.mutation.split.config.ts', related: false },
};
