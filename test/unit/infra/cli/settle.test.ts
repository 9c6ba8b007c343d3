import { describe, expect, it } from 'vitest';
import { formatSettle, settle } from '../../../../infra/cli/settle.ts';
import { fakeApiInTurn, jsonAnswer } from '../../../support/fake-api.ts';

/** The API answering in turn, each body as JSON. */
const fakeApi = (answers: readonly { status: number; body: unknown }[]) => fakeApiInTurn(answers.map((a) => jsonAnswer(a.status, a.body)));

const API = { apiUrl: 'https://api.colend.test/', token: 't', pollMs: 0 };

const run = (attempt: number, status: string) => ({
  run: {
    businessDate: '2026-12-02',
    status,
    attempt,
    entries: status === 'SETTLED' ? 3 : 0,
    instructions: status === 'SETTLED' ? 1 : 0,
    files: status === 'SETTLED' ? [{ lenderId: 'JN_RCB', name: 'repayment_detail_20261202.txt', records: 3 }, { lenderId: 'JN_RCB', name: 'summary_20261202.txt', records: 2 }] : [],
    failure: null,
  },
  shardsGathered: status === 'SETTLED' ? 16 : 4,
  instructions:
    status === 'SETTLED'
      ? [{ instructionId: 'SI-20261202-P1-ESCROW-JN_RCB', payer: 'ESCROW', payee: 'JN_RCB', amountMinor: '1234567', currency: 'CNY', valueDate: '2026-12-03', netted: true }]
      : [],
});

describe('colend settle', () => {
  it("starts the date's next attempt under a key of its own, waits while it runs, and prints the instructions and each lender's files", async () => {
    const api = fakeApi([{ status: 404, body: { code: 'NOT_FOUND' } }, { status: 202, body: { businessDate: '2026-12-02' } }, { status: 200, body: run(1, 'RUNNING') }, { status: 200, body: run(1, 'SETTLED') }]);
    const answer = await settle({ ...API, fetch: api.fetch, businessDate: '2026-12-02', restart: false });
    expect(api.calls.map((c) => [c.method, c.url, c.key ?? null, c.body ?? null])).toEqual([
      ['GET', 'https://api.colend.test/v1/settlement-runs/2026-12-02', null, null],
      ['POST', 'https://api.colend.test/v1/settlement-runs', 'settle:2026-12-02:after-0', { businessDate: '2026-12-02' }],
      ['GET', 'https://api.colend.test/v1/settlement-runs/2026-12-02', null, null],
      ['GET', 'https://api.colend.test/v1/settlement-runs/2026-12-02', null, null],
    ]);
    expect(formatSettle('2026-12-02', answer)).toEqual([
      'settlement of 2026-12-02, attempt 1: SETTLED',
      'entries settled: 3, instructions: 1',
      '  SI-20261202-P1-ESCROW-JN_RCB  ESCROW -> JN_RCB  CNY 1234567 (minor units)  value 2026-12-03  netted',
      '  files of JN_RCB: repayment_detail_20261202.txt (3), summary_20261202.txt (2)',
    ]);
  });

  it('asks for a restart of a settled date as the next attempt, and waits for that attempt, not the one before', async () => {
    const api = fakeApi([{ status: 200, body: run(1, 'SETTLED') }, { status: 202, body: {} }, { status: 200, body: run(1, 'SETTLED') }, { status: 200, body: run(2, 'SETTLED') }]);
    const answer = await settle({ ...API, fetch: api.fetch, businessDate: '2026-12-02', restart: true });
    expect(api.calls[1]).toMatchObject({ method: 'POST', key: 'settle:2026-12-02:after-1', body: { businessDate: '2026-12-02', restart: true } });
    expect(api.calls).toHaveLength(4);
    expect(formatSettle('2026-12-02', answer)[0]).toBe('settlement of 2026-12-02, attempt 2: SETTLED');
  });

  it('prints the refusal of a date it cannot settle, with its code, and reads nothing after it', async () => {
    const refusal = { code: 'CALENDAR_YEAR_NOT_COVERED', message: 'the calendar CN does not cover 2027: load its table with PUT /v1/calendars/CN/years/2027 or colend calendar load' };
    const api = fakeApi([{ status: 404, body: {} }, { status: 422, body: refusal }]);
    const answer = await settle({ ...API, fetch: api.fetch, businessDate: '2027-01-04', restart: false });
    expect(api.calls).toHaveLength(2);
    expect(formatSettle('2027-01-04', answer)).toEqual([`settlement of 2027-01-04 not started: 422 CALENDAR_YEAR_NOT_COVERED ${refusal.message}`]);
  });

  it('shows a failed run with its failure, and no instructions', async () => {
    const failed = { ...run(1, 'FAILED'), run: { ...run(1, 'FAILED').run, failure: { code: 'INVARIANT_VIOLATED', message: 'a shard failed' } } };
    const api = fakeApi([{ status: 404, body: {} }, { status: 202, body: {} }, { status: 200, body: failed }]);
    expect(formatSettle('2026-12-02', await settle({ ...API, fetch: api.fetch, businessDate: '2026-12-02', restart: false }))).toEqual([
      'settlement of 2026-12-02, attempt 1: FAILED (INVARIANT_VIOLATED: a shard failed)',
    ]);
  });
});
