import fc from 'fast-check';

/**
 * Mutation testing only needs to know that a property fails: it stops at the first counterexample
 * instead of shrinking it (loaded by the mutation configs, never by `npm test`).
 */
fc.configureGlobal({ endOnFailure: true });
