import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { api } from './support/stack.ts';
import { createWorld, loanBody, post, uniqueKey, type World } from './support/world.ts';
import { cutoffDayAt } from '../../shared/domain/business-date.ts';
import { monthRange } from '../../shared/domain/profit.ts';

let w: World;
/**
 * A month's profit counts the entries booked in it (their settlement day, as settlement does): a
 * payment valued in February but booked today is today's month's income, and a closed month
 * never changes. Both events below are booked now.
 */
let month: string;
const loanId = () => `PF-${w.suffix}-1`;

/** A loan of 1,000,003 fen at 10.8% over 12 months disbursed 2026-01-05, funded 400,001 / 300,001 / 300,001. */
beforeAll(async () => {
  w = await createWorld();
  month = cutoffDayAt(new Date().toISOString(), { cutoffTime: '22:00', calendar: 'CN' }).slice(0, 7);
  expect((await post('/v1/loans', w.tokens.lead, loanBody(w, loanId(), { disbursementDate: '2026-01-05' }))).status).toBe(201);
  // Instalment 1 on its due date: 79,289 principal, 9,000 interest (3,600 / 2,700 / 2,700).
  const paid = await api<{ results: { status: string }[] }>('/v1/repayments', {
    method: 'POST',
    headers: { 'idempotency-key': uniqueKey('w') },
    token: w.tokens.lead,
    body: { repayments: [{ repaymentId: `PF-${w.suffix}-R1`, loanId: loanId(), amountMinor: '88289', currency: 'CNY', valueDate: '2026-02-05', channel: 'AUTO_DEBIT' }] },
  });
  expect(paid.json.results[0]?.status).toBe('BOOKED');
  const writeOff = await api(`/v1/loans/${loanId()}/write-off`, {
    method: 'POST',
    headers: { 'idempotency-key': uniqueKey('w') },
    token: w.tokens.lead,
    body: { writeOffId: `PF-${w.suffix}-W`, valueDate: '2026-03-20', reason: 'Fraud confirmed' },
  });
  expect(writeOff.status).toBe(201);
});

type Line = { currency: string; interestIncomeMinor: string; penaltyIncomeMinor: string; feeIncomeMinor: string; guaranteeFeesMinor: string; servicePartnerShareMinor: string; feesPaidMinor: string; guaranteeCostMinor: string; lossesMinor: string; netMinor: string; entries: number };

interface ProfitPage {
  lenderId: string;
  month: string;
  from: string;
  to: string;
  keptThrough: string | null;
  byCurrency: Line[];
  cursor: string | null;
}

/** Every page of a lender's profit of a month, added up per currency, and how many pages it took. */
async function profitOf(lenderId: string, of: string, token: string) {
  const first = await api<ProfitPage>(`/v1/lenders/${lenderId}/profit?month=${of}`, { token });
  expect(first.status).toBe(200);
  const sums = new Map<string, Line>();
  let page = first.json;
  let pages = 0;
  for (;;) {
    pages += 1;
    for (const line of page.byCurrency) {
      const sum = sums.get(line.currency);
      if (sum === undefined) sums.set(line.currency, line);
      else {
        const added = Object.fromEntries(Object.entries(line).map(([k, v]) => [k, k === 'currency' ? v : k === 'entries' ? sum.entries + line.entries : (BigInt(sum[k as keyof Line]) + BigInt(v)).toString()]));
        sums.set(line.currency, added as Line);
      }
    }
    if (page.cursor === null) break;
    const next = await api<ProfitPage>(`/v1/lenders/${lenderId}/profit?month=${of}&cursor=${page.cursor}`, { token });
    expect(next.status).toBe(200);
    page = next.json;
  }
  const { cursor: _cursor, byCurrency: _first, ...head } = first.json;
  return { ...head, byCurrency: [...sums.values()], pages };
}

describe('GET /v1/lenders/{lenderId}/profit', () => {
  it('gives a partner its interest and its losses of the month they were booked in, and nothing for the month they are valued in', async () => {
    const booked = await profitOf(w.bankA, month, w.tokens.bankA);
    const { from, to } = monthRange(month);
    // Interest 2,700; written off: what partner A still held, 300,001 - 23,787; three entries with the disbursement.
    expect(booked).toMatchObject({
      lenderId: w.bankA,
      month,
      from,
      to,
      byCurrency: [
        { currency: 'CNY', interestIncomeMinor: '2700', penaltyIncomeMinor: '0', feeIncomeMinor: '0', guaranteeFeesMinor: '0', servicePartnerShareMinor: '0', feesPaidMinor: '0', guaranteeCostMinor: '0', lossesMinor: '276214', netMinor: '-273514', entries: 3 },
      ],
    });
    const valued = await profitOf(w.bankA, '2026-02', w.tokens.lead);
    expect(valued.byCurrency).toEqual([]);
  });

  it('refuses a malformed month and hides another lender', async () => {
    const bad = await api<{ code: string; details: { path: string } }>(`/v1/lenders/${w.bankA}/profit?month=2026-13`, { token: w.tokens.lead });
    expect(bad.status).toBe(400);
    expect(bad.json.details.path).toBe('month');
    const tampered = await api<{ code: string; details: { path: string } }>(`/v1/lenders/${w.bankA}/profit?month=${month}&cursor=${Buffer.from('{"pk":"x"}').toString('base64url')}`, { token: w.tokens.lead });
    expect([tampered.status, tampered.json.details.path]).toEqual([400, 'cursor']);
    expect((await api(`/v1/lenders/${w.bankA}/profit?month=2026-02`, { token: w.tokens.outsider })).status).toBe(404);
  });

  it('gives the same figures on the command line', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'infra/cli/colend.ts', 'profit', w.lead, '--month', month, '--endpoint', inject('dynamodbEndpoint')], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const { from, to } = monthRange(month);
    // The lead: interest 3,600; written off, what it still held: 400,001 - 31,715.
    expect(run.stdout).toBe(
      `profit of ${w.lead}, ${from} to ${to}\n` +
        'CNY: interest 36.00, penalty 0.00, fees and spread 0.00, guarantee fees 0.00, service partner share 0.00, fees paid 0.00 (guarantee cost 0.00), losses 3682.86, net -3646.86 (3 entries)\n',
    );
  });
});
