import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { api } from './support/stack.ts';
import { createWorld, loanBody, post, type World } from './support/world.ts';

let w: World;
const loanId = () => `PF-${w.suffix}-1`;

/** A loan of 1,000,003 fen at 10.8% over 12 months disbursed 2026-01-05, funded 400,001 / 300,001 / 300,001. */
beforeAll(async () => {
  w = await createWorld();
  expect((await post('/v1/loans', w.tokens.lead, loanBody(w, loanId(), { disbursementDate: '2026-01-05' }))).status).toBe(201);
  // Instalment 1 on its due date: 79,289 principal, 9,000 interest (3,600 / 2,700 / 2,700).
  const paid = await api<{ results: { status: string }[] }>('/v1/repayments', {
    method: 'POST',
    token: w.tokens.lead,
    body: { repayments: [{ repaymentId: `PF-${w.suffix}-R1`, loanId: loanId(), amountMinor: '88289', currency: 'CNY', valueDate: '2026-02-05', channel: 'AUTO_DEBIT' }] },
  });
  expect(paid.json.results[0]?.status).toBe('BOOKED');
  const writeOff = await api(`/v1/loans/${loanId()}/write-off`, {
    method: 'POST',
    token: w.tokens.lead,
    body: { writeOffId: `PF-${w.suffix}-W`, valueDate: '2026-03-20', reason: 'Fraud confirmed' },
  });
  expect(writeOff.status).toBe(201);
});

interface Profit {
  lenderId: string;
  from: string;
  to: string;
  byCurrency: { currency: string; interestIncomeMinor: string; penaltyIncomeMinor: string; feeIncomeMinor: string; guaranteeFeesMinor: string; servicePartnerShareMinor: string; feesPaidMinor: string; guaranteeCostMinor: string; lossesMinor: string; netMinor: string; loans: number; entries: number }[];
}

describe('GET /v1/lenders/{lenderId}/profit', () => {
  it("gives a partner its interest of the month, and its losses of the month it absorbed them", async () => {
    const feb = await api<Profit>(`/v1/lenders/${w.bankA}/profit?month=2026-02`, { token: w.tokens.bankA });
    expect(feb.status).toBe(200);
    expect(feb.json).toEqual({
      lenderId: w.bankA,
      month: '2026-02',
      from: '2026-02-01',
      to: '2026-02-28',
      byCurrency: [
        { currency: 'CNY', interestIncomeMinor: '2700', penaltyIncomeMinor: '0', feeIncomeMinor: '0', guaranteeFeesMinor: '0', servicePartnerShareMinor: '0', feesPaidMinor: '0', guaranteeCostMinor: '0', lossesMinor: '0', netMinor: '2700', loans: 1, entries: 1 },
      ],
    });
    const march = await api<Profit>(`/v1/lenders/${w.bankA}/profit?month=2026-03`, { token: w.tokens.lead });
    // Written off: what partner A still held, 300,001 - 23,787.
    expect(march.json.byCurrency).toEqual([
      { currency: 'CNY', interestIncomeMinor: '0', penaltyIncomeMinor: '0', feeIncomeMinor: '0', guaranteeFeesMinor: '0', servicePartnerShareMinor: '0', feesPaidMinor: '0', guaranteeCostMinor: '0', lossesMinor: '276214', netMinor: '-276214', loans: 1, entries: 1 },
    ]);
  });

  it('refuses a malformed month and hides another lender', async () => {
    const bad = await api<{ code: string; details: { path: string } }>(`/v1/lenders/${w.bankA}/profit?month=2026-13`, { token: w.tokens.lead });
    expect(bad.status).toBe(400);
    expect(bad.json.details.path).toBe('month');
    expect((await api(`/v1/lenders/${w.bankA}/profit?month=2026-02`, { token: w.tokens.outsider })).status).toBe(404);
  });

  it('gives the same figures on the command line', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'infra/cli/colend.ts', 'profit', w.lead, '--month', '2026-02', '--endpoint', inject('dynamodbEndpoint')], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(
      `profit of ${w.lead}, 2026-02-01 to 2026-02-28\n` +
        'CNY: interest 36.00, penalty 0.00, fees and spread 0.00, guarantee fees 0.00, service partner share 0.00, fees paid 0.00 (guarantee cost 0.00), losses 0.00, net 36.00 (1 loans, 1 entries)\n',
    );
  });
});
