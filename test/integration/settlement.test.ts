import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.ts';
import { localTemplate } from './support/stack.ts';
import { createParties, loanBody, uniqueKey } from './support/world.ts';

/**
 * The Settlement workflow on a stack of its own, whose clock the test moves: a loan booked and
 * repaid on Wednesday 2026-12-02, settled after that day's 22:00 cut-off (Beijing time).
 */
let stack: LocalStack;
const ids = { lead: 'S_LEAD', bankA: 'S_BANKA', bankB: 'S_BANKB', guarantor: 'S_GUAR', programId: 'S_PROG' };
const tokens: Record<'lead' | 'finance' | 'bankA' | 'bankB', string> = { lead: '', finance: '', bankA: '', bankB: '' };

async function call<T = Record<string, unknown>>(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; json: T; text: string }> {
  const response = await fetch(`${stack.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json', 'idempotency-key': uniqueKey('s') }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json: json as T, text };
}

interface RunView {
  run: { status: string; attempt: number; entries: number; instructions: number; files: { lenderId: string; name: string; records: number; sha256: string }[]; daysByCalendar: Record<string, string[]> };
  instructions: { instructionId: string; payer: string; payee: string; amountMinor: string; valueDate: string; netted: boolean }[];
}

async function settled(businessDate: string, attempt: number): Promise<RunView> {
  for (let i = 0; i < 600; i++) {
    const read = await call<RunView>('GET', `/v1/settlement-runs/${businessDate}`, tokens.finance);
    if (read.status === 200 && read.json.run.attempt === attempt && read.json.run.status !== 'RUNNING') return read.json;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the run of ${businessDate} did not end`);
}

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, runSchedules: false, template: localTemplate(), log: () => undefined });
  stack.setTime('2026-12-02T02:00:00.000Z'); // Wednesday, 10:00 in Beijing
  tokens.lead = await stack.mintToken({ scopes: ['lead'] });
  tokens.finance = await stack.mintToken({ scopes: ['finance'] });
  tokens.bankA = await stack.mintToken({ scopes: ['partner'], lenderId: ids.bankA });
  tokens.bankB = await stack.mintToken({ scopes: ['partner'], lenderId: ids.bankB });
  await createParties((path, body) => call('POST', path, tokens.lead, body), ids);
  // 1,000,003 fen at 10.8% over 12 months, funded 400,001 / 300,001 / 300,001, disbursed 2026-11-02.
  expect((await call('POST', '/v1/loans', tokens.lead, loanBody(ids, 'S-LOAN-1'))).status).toBe(201);
  // Instalment 1 on its due date: 79,289 principal (31,715 / 23,787 / 23,787) and 9,000 interest (3,600 / 2,700 / 2,700).
  const paid = await call<{ results: { status: string }[] }>('POST', '/v1/repayments', tokens.lead, {
    repayments: [{ repaymentId: 'S-R-1', loanId: 'S-LOAN-1', amountMinor: '88289', currency: 'CNY', valueDate: '2026-12-02', channel: 'AUTO_DEBIT' }],
  });
  expect(paid.json.results[0]?.status).toBe('BOOKED');
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('the Settlement workflow', () => {
  it('refuses a date before its cut-off, at once', async () => {
    const open = await call<{ code: string }>('POST', '/v1/settlement-runs', tokens.finance, { businessDate: '2026-12-02' });
    expect(open.status).toBe(422);
    expect(open.json.code).toBe('BUSINESS_DATE_OPEN');
  });

  it('settles the date after its cut-off: one netted instruction per lender, paid the next business day', async () => {
    stack.setTime('2026-12-02T15:00:00.000Z'); // 23:00 in Beijing
    expect((await call('POST', '/v1/settlement-runs', tokens.finance, { businessDate: '2026-12-02' })).status).toBe(202);
    const view = await settled('2026-12-02', 1);
    expect(view.run).toMatchObject({ status: 'SETTLED', attempt: 1, entries: 2, instructions: 3, daysByCalendar: { CN: ['2026-12-02'] } });
    // Each lender funded its part of the loan and was repaid its part of instalment 1 the same day.
    expect(view.instructions.map((i) => [i.instructionId, i.payer, i.payee, i.amountMinor, i.valueDate, i.netted])).toEqual([
      ['SI-20261202-S_PROG-S_BANKA-ESCROW', ids.bankA, 'ESCROW', '273514', '2026-12-03', true],
      ['SI-20261202-S_PROG-S_BANKB-ESCROW', ids.bankB, 'ESCROW', '273514', '2026-12-03', true],
      ['SI-20261202-S_PROG-S_LEAD-ESCROW', ids.lead, 'ESCROW', '364686', '2026-12-03', true],
    ]);
  });

  it("serves a partner its own files, whose control file adds up, and hides another lender's", async () => {
    const own = await call<{ files: string[] }>('GET', `/v1/lenders/${ids.bankA}/statements/2026-12-02`, tokens.bankA);
    expect(own.json.files).toEqual([
      '20261202.ok',
      'compensation_20261202.txt',
      'control_20261202.txt',
      'disbursement_detail_20261202.txt',
      'human/compensation_20261202.csv',
      'human/compensation_20261202.xlsx',
      'human/disbursement_detail_20261202.csv',
      'human/disbursement_detail_20261202.xlsx',
      'human/loan_master_20261202.csv',
      'human/loan_master_20261202.xlsx',
      'human/repayment_detail_20261202.csv',
      'human/repayment_detail_20261202.xlsx',
      'human/repayment_schedule_20261202.csv',
      'human/repayment_schedule_20261202.xlsx',
      'human/settlement_summary_20261202.csv',
      'human/settlement_summary_20261202.xlsx',
      'human/trial_balance_20261202.csv',
      'human/trial_balance_20261202.xlsx',
      'loan_master_20261202.txt',
      'repayment_detail_20261202.txt',
      'repayment_schedule_20261202.txt',
      'settlement_summary_20261202.txt',
      'trial_balance_20261202.txt',
    ]);
    expect((await call('GET', `/v1/lenders/${ids.bankA}/statements/2026-12-02`, tokens.bankB)).status).toBe(404);
    // The copies for people are served under `human/`: a CSV as text, an XLSX as its bytes; another lender's not at all.
    const copy = await fetch(`${stack.baseUrl}/v1/lenders/${ids.bankA}/statements/2026-12-02/human/trial_balance_20261202.xlsx`, { headers: { authorization: `Bearer ${tokens.bankA}` } });
    expect([copy.status, copy.headers.get('content-type')]).toEqual([200, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet']);
    expect(Buffer.from(await copy.arrayBuffer()).subarray(0, 2).toString('latin1')).toBe('PK');
    const csvCopy = await call('GET', `/v1/lenders/${ids.bankA}/statements/2026-12-02/human/loan_master_20261202.csv`, tokens.bankA);
    expect([csvCopy.status, csvCopy.text.length > 0]).toEqual([200, true]);
    expect((await call('GET', `/v1/lenders/${ids.bankA}/statements/2026-12-02/human/loan_master_20261202.csv`, tokens.bankB)).status).toBe(404);
    expect((await call('GET', `/v1/lenders/${ids.bankA}/statements/2026-12-02/human/loan_master_20261202.txt`, tokens.bankA)).status).toBe(404);
    expect((await call('GET', `/v1/lenders/${ids.bankA}/statements/2026-12-02/control_20261202.txt`, tokens.bankB)).status).toBe(404);
    const detail = await call('GET', `/v1/lenders/${ids.bankA}/statements/2026-12-02/repayment_detail_20261202.txt`, tokens.bankA);
    expect(detail.text.split('\n')[1]).toBe('2026-12-02|S_BANKA|S-LOAN-1|REPAYMENT|S-R-1|2026-12-02|2026-12-02|CNY|237.87|27.00|0.00|0.00|0.00|0.00|0.00|264.87|');
    const control = (await call('GET', `/v1/lenders/${ids.bankA}/statements/2026-12-02/control_20261202.txt`, tokens.lead)).text.split('\n').slice(1, -1);
    for (const line of control) {
      const [, , name, records, totals] = line.split('|') as [string, string, string, string, string];
      const rows = (await call('GET', `/v1/lenders/${ids.bankA}/statements/2026-12-02/${name}`, tokens.lead)).text.split('\n');
      const header = rows[0]!.split('|');
      const data = rows.slice(1, -1).map((r) => r.split('|'));
      expect(data.length, name).toBe(Number(records));
      for (const total of totals.split(';')) {
        const [column, minor] = total.split('=') as [string, string];
        const sum = data.reduce((s, r) => s + BigInt(r[header.indexOf(column)]!.replace('.', '')), 0n);
        expect(sum, `${name} ${column}`).toBe(BigInt(minor));
      }
    }
  });

  it('settles the date again with byte-identical files and the same instructions', async () => {
    const first = await settled('2026-12-02', 1);
    expect((await call('POST', '/v1/settlement-runs', tokens.lead, { businessDate: '2026-12-02' })).status).toBe(202);
    const again = await settled('2026-12-02', 2);
    expect(again.run.status).toBe('SETTLED');
    expect(again.run.files).toEqual(first.run.files);
    expect(again.instructions).toEqual(first.instructions);
  });

  it('refuses a date after a business date left unsettled', async () => {
    stack.setTime('2026-12-04T15:00:00.000Z');
    const skipped = await call<{ code: string; details: { lastSettled: string } }>('POST', '/v1/settlement-runs', tokens.finance, { businessDate: '2026-12-04' });
    expect(skipped.status).toBe(422);
    expect(skipped.json).toMatchObject({ code: 'PREVIOUS_DATE_NOT_SETTLED', details: { lastSettled: '2026-12-02' } });
  });
});
