import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: handler entries and the lock file are resolved from here. */
export const REPOSITORY_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** The handler module of a function folder, relative to the repository root (POSIX separators). */
export function handlerEntry(functionName: string): string {
  if (!/^[a-z][a-z0-9-]*$/.test(functionName)) {
    throw new Error(`Invalid function folder name: ${functionName}`);
  }
  return `functions/${functionName}/handler.ts`;
}

/** The absolute path of a repository-relative path, which must exist. */
export function repositoryFile(relativePath: string): string {
  const absolute = join(REPOSITORY_ROOT, relativePath);
  if (!existsSync(absolute)) {
    throw new Error(`Missing ${relativePath} in the repository`);
  }
  return absolute;
}
