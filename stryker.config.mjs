// Mutation testing of the money core (`npm run mutation`; not part of `npm test`).
// One module at a time: `npm run mutation -- --mutate shared/domain/ledger.ts`.
// docs/testing.md gives the scores measured and the mutants that are equivalent.

import process from 'node:process';

// Each module keeps its own incremental file, so one module's run does not drop another's results.
const mutateArg = process.argv.indexOf('--mutate');
const only = mutateArg > 0 ? process.argv[mutateArg + 1] : undefined;
const runName = only ? only.replace(/^shared\/domain\//, '').replace(/[^A-Za-z0-9.-]+/g, '_') : 'money-core';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: true },
  mutate: [
    'shared/domain/money/split.ts',
    'shared/domain/repayment-split.ts',
    'shared/domain/repayment-waterfall.ts',
    'shared/domain/ledger.ts',
    'shared/domain/schedule*.ts',
    'shared/domain/loan-account.ts',
  ],
  ignorePatterns: ['cdk.out', '.colend', 'coverage', 'reports', 'test/output'],
  coverageAnalysis: 'perTest',
  ignoreStatic: true,
  incremental: true,
  incrementalFile: `reports/mutation/${runName}.incremental.json`,
  concurrency: 2,
  // An infinite loop a mutant makes is detected after this much beyond the test's own time.
  timeoutMS: 8_000,
  reporters: ['clear-text', 'progress', 'html'],
  htmlReporter: { fileName: `reports/mutation/${runName}.html` },
  clearTextReporter: { allowColor: false, logTests: false, reportTests: false, reportScoreTable: true, reportMutants: true, skipFull: false },
  thresholds: { high: 95, low: 90, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
