/**
 * A suite's seed from the environment: a number plays that seed, `random` draws a fresh one, and
 * nothing gives the suite's fixed seed, so `npm test` (and so CI) plays the same cases at every
 * run while the suite's own script (`npm run test:faults`, `npm run test:fuzz`) explores a new
 * seed each time. The seed in use is printed by each suite, with how to play it again.
 */
export function seedFrom(variable: string, fixed: number): number {
  const given = process.env[variable];
  if (given === undefined || given === '') return fixed;
  if (given === 'random') return Math.floor(Math.random() * 2 ** 31);
  const seed = Number(given);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`${variable}=${given} is neither an integer nor "random"`);
  return seed;
}
