import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { colendHome } from './checkout.ts';

/**
 * The running local stack's state file, `.colend/local-stack.json` (or `$COLEND_HOME/...`): where
 * `npm start` listens and the secret of its local-only endpoints, readable by its owner only.
 * The `colend` command line and the token command read it to find the stack by themselves.
 */

export interface LocalStackState {
  /** The process that runs the stack; a file whose process has gone is stale. */
  readonly pid: number;
  readonly baseUrl: string;
  readonly dynamodbEndpoint: string;
  readonly sfnEndpoint: string;
  readonly eventsEndpoint: string;
  readonly filesDir: string;
  /** The secret that `/local/*` endpoints ask for (header `x-colend-local-token`). */
  readonly localToken: string;
  readonly startedAt: string;
}

/** A second `npm start` in a checkout whose stack runs: said in one line, not as a crash. */
export class StackAlreadyRunningError extends Error {
  override name = 'StackAlreadyRunningError';
  constructor(state: LocalStackState, path: string) {
    super(`a local stack of this checkout already runs at ${state.baseUrl} (process ${state.pid}, ${path}); stop it first, or start this one with another COLEND_HOME`);
  }
}

/** The header that carries the local token to `/local/*` endpoints. */
export const LOCAL_TOKEN_HEADER = 'x-colend-local-token';
/** The cookie the console's sign-in carries it in (set by the console URL the banner prints). */
export const LOCAL_TOKEN_COOKIE = 'colend_local_token';

export function stateFilePath(): string {
  return join(colendHome(), 'local-stack.json');
}

/** A fresh secret for one run of the stack. */
export function newLocalToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Whether a presented token is the stack's, compared in constant time. */
export function sameToken(expected: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isState(value: unknown): value is LocalStackState {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    Number.isSafeInteger(record.pid) &&
    ['baseUrl', 'dynamodbEndpoint', 'sfnEndpoint', 'eventsEndpoint', 'filesDir', 'localToken', 'startedAt'].every((key) => typeof record[key] === 'string')
  );
}

/** The running stack's state, or null when no stack of this checkout runs (no file, a bad one, or its process gone). */
export function readLocalStackState(path: string = stateFilePath()): LocalStackState | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  return isState(parsed) && alive(parsed.pid) ? parsed : null;
}

/** Writes the state file atomically, readable by its owner only. */
export function writeLocalStackState(state: LocalStackState, path: string = stateFilePath()): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.${randomUUID()}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}

/** Removes the state file if it is still this process's (a later stack may have replaced it). */
export function removeLocalStackState(path: string = stateFilePath(), pid: number = process.pid): void {
  let current: unknown;
  try {
    current = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return;
  }
  if (isState(current) && current.pid === pid) rmSync(path, { force: true });
}
