import fc from 'fast-check';

// Mutation runs only (vitest.mutation.split.config.ts): a property that a mutant fails has done its
// work, so it stops at the first counterexample instead of shrinking it.
fc.configureGlobal({ endOnFailure: true });
