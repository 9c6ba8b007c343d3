import { OPTIMISTIC_ATTEMPTS, WriteConflict } from '../ports/stores.ts';

/**
 * Writes the next version of something kept in versions (a calendar year, a bank's mapping):
 * `latest()` is read, `write(latest + 1)` is tried on the condition that the version does not
 * exist yet; a writer that lost the race for that number (WriteConflict ALREADY_EXISTS) reads
 * again and takes the next one. A version, once written, never changes.
 */
export async function writeNextVersion<T>(latest: () => Promise<number>, write: (version: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const version = (await latest()) + 1;
    try {
      return await write(version);
    } catch (error) {
      if (!(error instanceof WriteConflict && error.reason === 'ALREADY_EXISTS') || attempt >= OPTIMISTIC_ATTEMPTS) throw error;
    }
  }
}
