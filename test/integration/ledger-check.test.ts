import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { api, fireSchedule } from './support/stack.ts';
import { createWorld, expectLedgerBalanced, loanBody, post, type World } from './support/world.ts';

afterEach(expectLedgerBalanced);

let w: World;

beforeAll(async () => {
  w = await createWorld();
  expect((await post('/v1/loans', w.tokens.lead, loanBody(w, `LC-${w.suffix}-1`))).status).toBe(201);
});

async function reportOf(businessDate: string, tokenValue: string): Promise<{ status: string; loansChecked: number; differenceCount: number; businessDate: string }> {
  for (let i = 0; i < 200; i++) {
    const res = await api(`/v1/ledger-checks/${businessDate}`, { token: tokenValue });
    if (res.status === 200) return res.json as never;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no ledger-check report for ${businessDate}`);
}

describe('daily ledger check workflow', () => {
  it('recomputes every position from the entries and finds the books balanced', async () => {
    const started = await post('/v1/ledger-checks', w.tokens.finance, { businessDate: '2026-10-31' });
    expect(started.status).toBe(202);
    expect((started.json as { executionArn: string }).executionArn).toContain(':execution:');
    const report = await reportOf('2026-10-31', w.tokens.finance);
    expect(report.status).toBe('BALANCED');
    expect(report.differenceCount).toBe(0);
    expect(report.loansChecked).toBeGreaterThanOrEqual(1);
  });

  it('the daily schedule checks the business day that ended before its run', async () => {
    // 01:00 in Shanghai on 2026-12-05 is 17:00 UTC on 2026-12-04; the day it closes is 2026-12-04.
    const fired = await fireSchedule('DailyLedgerCheck', '2026-12-04T17:00:00Z');
    expect(fired.executionArn).toContain(':execution:');
    const report = await reportOf('2026-12-04', w.tokens.lead);
    expect(report.businessDate).toBe('2026-12-04');
    expect(report.status).toBe('BALANCED');
  });
});
