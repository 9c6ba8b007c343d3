import { beforeAll, describe, expect, it } from 'vitest';
import { api } from './support/stack.ts';
import { createWorld, loanBody, post, uniqueKey, type World } from './support/world.ts';

let w: World;

beforeAll(async () => {
  w = await createWorld();
});

/** The samples of one family on the local stack's `GET /metrics`. */
async function samples(family: string): Promise<string[]> {
  const res = await api('/metrics');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return res.text.split('\n').filter((line) => line.startsWith(`${family}{`) || line.startsWith(`${family} `));
}

describe('GET /metrics', () => {
  it("counts a repayment booked through the API under its program, once: the same repayment again is answered, not counted", async () => {
    const program = `colend_repayments_booked_total{source="API",program="${w.programId}"}`;
    expect((await samples('colend_repayments_booked_total')).filter((line) => line.startsWith(program))).toEqual([]);
    const loanId = `MT-${w.suffix}-1`;
    expect((await post('/v1/loans', w.tokens.lead, loanBody(w, loanId, { disbursementDate: '2026-01-05' }))).status).toBe(201);
    const repayment = { repaymentId: `MR-${w.suffix}-1`, loanId, amountMinor: '88289', currency: 'CNY', valueDate: '2026-02-05', channel: 'AUTO_DEBIT' };
    for (const key of [uniqueKey('m'), uniqueKey('m')]) {
      const res = await api<{ results: { status: string }[] }>('/v1/repayments', { method: 'POST', headers: { 'idempotency-key': key }, token: w.tokens.lead, body: { repayments: [repayment] } });
      expect(res.status).toBe(200);
    }
    expect((await samples('colend_repayments_booked_total')).filter((line) => line.startsWith(program))).toEqual([`${program} 1`]);
  });
});
