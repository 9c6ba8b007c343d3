import { spawnSync } from 'node:child_process';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cutoffDayAt } from '../../shared/domain/business-date.ts';
import { api, baseUrl, fireSchedule } from './support/stack.ts';
import { createWorld, expectLedgerBalanced, loanBody, post, programBody, type World } from './support/world.ts';

afterEach(expectLedgerBalanced);

/*
 * The shared stack runs on the machine's clock, so the test shares a past month, October 2026: the
 * loan was disbursed on 2026-09-01 but booked now, and the period fees of October are booked now
 * too (their business date 2026-10-31, their settlement day today). They are this month's income
 * and expense, not October's: October's statements hold nothing.
 *
 * The loan: 1,000,003 fen, the lead 400,001, bank A and bank B 300,001 each, ACT/360, HALF_UP.
 * Program version 2 bills each partner monthly, out of its interest:
 *   SERVICE 1% a year to the lead:   300,001 × 31 × 0.01 / 360 = 258.33 → 258 fen per partner (the lead 516);
 *   GUARANTEE 0.5% to the guarantor: 300,001 × 31 × 0.005 / 360 = 129.17 → 129 fen per partner (the guarantor 258).
 */

let w: World;
const loanId = () => `PS-${w.suffix}-1`;

interface Run {
  run: { programId: string; period: string; status: string; attempt: number; loans: number; booked: number; replayed: number; parties: string[] };
  statements: { lenderId: string; role: string; period: string; byCurrency: unknown[] }[];
}

async function runOf(programId: string, period: string): Promise<Run> {
  for (let i = 0; i < 500; i++) {
    const res = await api<Run>(`/v1/profit-runs/${programId}/${period}`, { token: w.tokens.lead });
    if (res.status === 200 && res.json.run.status !== 'RUNNING') return res.json;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the profit run of ${programId} ${period} did not finish`);
}

const rule = (id: string, kind: string, payee: string, rate: string) => ({ id, kind, payee, base: 'OUTSTANDING_PRINCIPAL', rate, period: 'MONTHLY', payer: { kind: 'DEDUCTED_FROM_INTEREST', lenders: 'ALL_PARTNERS' } });

beforeAll(async () => {
  w = await createWorld();
  const fees = { guarantorLenderId: w.guarantor, rules: [rule('SERVICE', 'SERVICE', w.lead, '0.01'), rule('GUARANTEE', 'GUARANTEE', w.guarantor, '0.005')] };
  expect((await post('/v1/programs', w.tokens.lead, programBody(w, { fees }))).status).toBe(201);
  expect((await post('/v1/loans', w.tokens.lead, loanBody(w, loanId(), { disbursementDate: '2026-09-01' }))).status).toBe(201);
});

describe('profit-sharing workflow on the local stack', () => {
  it("books October's fees once, stores each party's statement, and refuses a second start", async () => {
    const started = await post('/v1/profit-runs', w.tokens.finance, { programId: w.programId, period: '2026-10' });
    expect(started.status).toBe(202);
    expect(started.json).toMatchObject({ programId: w.programId, period: '2026-10', attempt: 1, status: 'STARTED' });
    const done = await runOf(w.programId, '2026-10');
    expect(done.run).toMatchObject({ status: 'DONE', attempt: 1, loans: 1, booked: 2, replayed: 0, parties: [w.bankA, w.bankB, w.guarantor, w.lead].sort() });
    expect(done.statements.map((s) => [s.lenderId, s.role, s.byCurrency])).toEqual(
      [
        [w.bankA, 'PARTNER', []],
        [w.bankB, 'PARTNER', []],
        [w.guarantor, 'GUARANTOR', []],
        [w.lead, 'LEAD', []],
      ].sort(([a], [b]) => (String(a) < String(b) ? -1 : 1)),
    );

    const again = await post('/v1/profit-runs', w.tokens.lead, { programId: w.programId, period: '2026-10' });
    expect(again.status).toBe(409);
    expect((again.json as { code: string }).code).toBe('PROFIT_RUN_DONE');
    // The positions moved once: each partner's fee expense 258 + 129, the lead's and the guarantor's fee income.
    const position = async (lenderId: string) =>
      ((await api<{ positions: { loanId: string; balancesMinor: Record<string, string> }[] }>(`/v1/lenders/${lenderId}/positions`, { token: w.tokens.lead })).json.positions.find((p) => p.loanId === loanId()))
        ?.balancesMinor;
    expect((await position(w.bankA))?.['FEE_EXPENSE']).toBe('387');
    expect((await position(w.bankB))?.['FEE_EXPENSE']).toBe('387');
    expect((await position(w.lead))?.['FEE_INCOME']).toBe('-516');
    expect((await position(w.guarantor))?.['FEE_INCOME']).toBe('-258');
  });

  it("gives each party its own stored statement; the fees are the income of the month they were booked in", async () => {
    const own = await api<{ lenderId: string; period: string; statements: { programId: string; byCurrency: unknown[] }[] }>(`/v1/lenders/${w.bankA}/profit-statements/2026-10`, { token: w.tokens.bankA });
    expect(own.status).toBe(200);
    expect(own.json).toMatchObject({ lenderId: w.bankA, period: '2026-10', statements: [{ programId: w.programId, byCurrency: [] }] });
    expect((await api(`/v1/lenders/${w.bankA}/profit-statements/2026-10`, { token: w.tokens.outsider })).status).toBe(404);
    expect((await api(`/v1/lenders/${w.guarantor}/profit-statements/2026-10`, { token: w.tokens.finance })).status).toBe(200);
    expect((await api(`/v1/lenders/${w.bankA}/profit-statements/2026-09`, { token: w.tokens.lead })).status).toBe(404);
    const month = cutoffDayAt(new Date().toISOString(), { cutoffTime: '22:00', calendar: 'CN' }).slice(0, 7);
    // The month is the sum of its pages (docs/profit-sharing.md, Monthly profit).
    const summed: Record<string, bigint> = { feesPaidMinor: 0n, guaranteeCostMinor: 0n, netMinor: 0n };
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const page: { json: { byCurrency: Record<string, string>[]; cursor: string | null } } = await api(`/v1/lenders/${w.bankA}/profit?month=${month}${query}`, { token: w.tokens.bankA });
      for (const line of page.json.byCurrency) for (const field of Object.keys(summed)) summed[field] = (summed[field] ?? 0n) + BigInt(line[field] ?? '0');
      cursor = page.json.cursor;
    } while (cursor !== null);
    expect(summed).toEqual({ feesPaidMinor: 387n, guaranteeCostMinor: 129n, netMinor: -387n });
  });

  it('refuses a malformed period, a period not ended, an unknown program and a partner, changing nothing', async () => {
    const bad = await post('/v1/profit-runs', w.tokens.lead, { programId: w.programId, period: '2026-13' });
    expect(bad.status).toBe(400);
    expect((bad.json as { details: { path: string } }).details.path).toBe('period');
    const open = await post('/v1/profit-runs', w.tokens.lead, { programId: w.programId, period: '2099-01' });
    expect(open.status).toBe(422);
    expect(open.json).toMatchObject({ code: 'PERIOD_NOT_ENDED', details: { path: 'period', rule: 'period-ended' } });
    expect((await post('/v1/profit-runs', w.tokens.lead, { programId: `NOPE_${w.suffix}`, period: '2026-10' })).status).toBe(404);
    expect((await post('/v1/profit-runs', w.tokens.financeA, { programId: w.programId, period: '2026-11' })).status).toBe(403);
    expect((await api(`/v1/profit-runs/${w.programId}/2099-01`, { token: w.tokens.lead })).status).toBe(404);
  });

  it('colend profit-run shares September and prints each party\'s statement', () => {
    // September (30 days): each partner pays 300,001 × 30 × 0.01 / 360 = 250.00 → 250 and 300,001 × 30 × 0.005 / 360 = 125.00 → 125.
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'infra/cli/colend.ts', 'profit-run', '--program', w.programId, '--period', '2026-09', '--api', baseUrl(), '--token', w.tokens.finance], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const parties = [w.bankA, w.bankB, w.guarantor, w.lead].sort();
    const roles: Record<string, string> = { [w.bankA]: 'PARTNER', [w.bankB]: 'PARTNER', [w.guarantor]: 'GUARANTOR', [w.lead]: 'LEAD' };
    expect(run.stdout).toBe(
      [
        `profit sharing of ${w.programId} 2026-09, attempt 1: DONE`,
        'loans: 1, fee entries booked: 2, found booked before: 0',
        ...parties.map((id) => `${id} (${roles[id]}), entries booked 2026-09-01 to 2026-09-30: none`),
      ].join('\n') + '\n',
    );
  });

  it('the daily schedule shares the month that ended before it fired, for every program billing monthly', async () => {
    // 22:30 in Shanghai on 2021-01-31, after its cut-off: the settlement day is 2021-02-01, so January 2021 is due.
    const fired = await fireSchedule('DailyProfitSharing', '2021-01-31T14:30:00Z');
    expect(fired.executionArn).toContain(':execution:');
    const done = await runOf(w.programId, '2021-01');
    // Nothing was outstanding in January 2021: no fee, and nothing booked.
    expect(done.run).toMatchObject({ status: 'DONE', attempt: 1, loans: 1, booked: 0, replayed: 0 });
  });
});
