/**
 * fast-check's number of runs for a property: `numRuns` in `npm test`. The mutation measure of
 * `money/split.ts` (vitest.mutation.split.config.ts) runs the properties again for each of about a
 * thousand mutants and sets PROPERTY_RUNS_DIVISOR to run a fraction of them there.
 */
export function propertyRuns(numRuns: number): number {
  const divisor = Number(process.env['PROPERTY_RUNS_DIVISOR'] ?? '1');
  if (!Number.isInteger(divisor) || divisor < 1) throw new Error(`PROPERTY_RUNS_DIVISOR must be a whole number of 1 or more, got ${divisor}`);
  return Math.max(1, Math.ceil(numRuns / divisor));
}
