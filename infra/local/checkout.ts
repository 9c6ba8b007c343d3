import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where this checkout is, and where the local stack keeps its files. A module of its own, free of
 * packages, so that `npm start` can launch DynamoDB Local before it loads anything heavier.
 */

export const REPOSITORY_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where the local stack keeps its files: `$COLEND_HOME`, or `.colend` at the repository root. */
export function colendHome(): string {
  const fromEnv = process.env.COLEND_HOME;
  return fromEnv && fromEnv !== '' ? resolve(fromEnv) : join(REPOSITORY_ROOT, '.colend');
}
