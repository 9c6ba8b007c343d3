import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createWorld, loanBody, post, type World } from './support/world.ts';

let w: World;

beforeAll(async () => {
  w = await createWorld();
  expect((await post('/v1/loans', w.tokens.lead, loanBody(w, `LV-${w.suffix}-1`))).status).toBe(201);
});

function colend(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'infra/cli/colend.ts', ...args], { encoding: 'utf8', timeout: 60_000 });
}

describe('colend ledger verify', () => {
  it('recomputes every position from the entries and finds the books balanced', () => {
    const run = colend('ledger', 'verify', '--endpoint', inject('dynamodbEndpoint'));
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^loans checked: \d+, entries checked: \d+$/m);
    expect(run.stdout).toContain('BALANCED: every position equals its entries, every entry balances');
    expect(Number(/loans checked: (\d+)/.exec(run.stdout)?.[1])).toBeGreaterThanOrEqual(1);
  });

  it('names the usage when the command is unknown', () => {
    const run = colend('ledger', 'fix');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('usage: colend ledger verify');
  });
});
