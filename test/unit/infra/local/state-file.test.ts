import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startLocalStack } from '../../../../infra/local/stack.ts';
import { newLocalToken, readLocalStackState, removeLocalStackState, sameToken, StackAlreadyRunningError, stateFilePath, writeLocalStackState, type LocalStackState } from '../../../../infra/local/state-file.ts';

let dir: string;
let path: string;
const state = (pid: number): LocalStackState => ({
  pid,
  baseUrl: 'http://127.0.0.1:3000',
  dynamodbEndpoint: 'http://127.0.0.1:41000',
  sfnEndpoint: 'http://127.0.0.1:41001',
  eventsEndpoint: 'http://127.0.0.1:41002',
  filesDir: '/tmp/files',
  localToken: 'secret-token',
  startedAt: '2026-12-07T00:00:00.000Z',
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'colend-state-'));
  path = join(dir, 'home', 'local-stack.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the local stack state file', () => {
  it('is written for its owner only and read back while its process lives', () => {
    writeLocalStackState(state(process.pid), path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readLocalStackState(path)).toEqual(state(process.pid));
  });

  it('is stale when its process has gone, absent or damaged: no stack then', () => {
    writeLocalStackState(state(2 ** 22 + 12_345), path);
    expect(readLocalStackState(path)).toBeNull();
    expect(readLocalStackState(join(dir, 'missing.json'))).toBeNull();
    writeFileSync(path, '{"pid": 1');
    expect(readLocalStackState(path)).toBeNull();
    writeFileSync(path, JSON.stringify({ ...state(process.pid), localToken: 7 }));
    expect(readLocalStackState(path)).toBeNull();
  });

  it('is removed by the process that wrote it, never by another', () => {
    writeLocalStackState(state(process.pid), path);
    removeLocalStackState(path, process.pid + 1);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ pid: process.pid });
    removeLocalStackState(path, process.pid);
    expect(readLocalStackState(path)).toBeNull();
  });
});

describe('a second npm start in the same checkout', () => {
  it('is refused, naming the running stack, before anything starts', async () => {
    const previous = process.env.COLEND_HOME;
    process.env.COLEND_HOME = join(dir, 'home');
    try {
      writeLocalStackState(state(process.pid), stateFilePath());
      const started = startLocalStack({ stateFile: true, template: { Resources: {} } });
      await expect(started).rejects.toThrow(StackAlreadyRunningError);
      await expect(started).rejects.toThrow(`a local stack of this checkout already runs at http://127.0.0.1:3000 (process ${process.pid}, ${join(dir, 'home', 'local-stack.json')})`);
    } finally {
      if (previous === undefined) delete process.env.COLEND_HOME;
      else process.env.COLEND_HOME = previous;
    }
  });
});

describe('the local token', () => {
  it('is new for every start and compared whole', () => {
    const token = newLocalToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newLocalToken()).not.toBe(token);
    expect(sameToken(token, token)).toBe(true);
    expect(sameToken(token, token.slice(0, -1))).toBe(false);
    expect(sameToken(token, `${token}x`)).toBe(false);
    expect(sameToken(token, undefined)).toBe(false);
    expect(sameToken(token, '')).toBe(false);
  });
});
