import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError } from '../../infra/local/scenario.ts';
import { simulate, type SimulationSummary } from '../../infra/local/simulator.ts';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.ts';
import { localTemplate } from './support/stack.ts';
import { lenderBody, programBody } from './support/world.ts';

const ids = { lead: 'SIM_LEAD', bankA: 'SIM_BANKA', bankB: 'SIM_BANKB', guarantor: 'SIM_GUAR', programId: 'SIM_PROG' };
const template = {
  programId: ids.programId,
  borrower: { type: 'INDIVIDUAL', region: 'CN-31' },
  currency: 'CNY',
  principalMinor: '1200000',
  annualRate: '0.108',
  termMonths: 6,
  repaymentMethod: 'EQUAL_INSTALLMENT',
  fundingPlan: [
    { lenderId: ids.lead, amountMinor: '480000' },
    { lenderId: ids.bankA, amountMinor: '360000' },
    { lenderId: ids.bankB, amountMinor: '360000' },
  ],
};

/**
 * Six loans over a week of January 2026, repaid to their schedules through the Spring Festival;
 * one pays late, one partly, one is reversed, and the lead buys bank B's share of another back.
 */
const scenario = {
  version: 1,
  name: 'Two months through the Spring Festival',
  start: '2026-01-05',
  end: '2026-03-06',
  lenders: [lenderBody(ids.lead, ['LEAD']), lenderBody(ids.bankA, ['PARTNER']), lenderBody(ids.bankB, ['PARTNER']), lenderBody(ids.guarantor, ['GUARANTOR'])],
  programs: [programBody(ids)],
  loanSeries: [{ count: 6, from: '2026-01-05', everyDays: 1, idPrefix: 'SIM-L', template, late: { every: 3, instalment: 1, days: 4 }, partial: { every: 4, instalment: 1, shareBps: 5000 } }],
  events: [
    { type: 'reversal', on: '2026-02-09', repaymentId: 'SIM-L0005-I1', reversalId: 'SIM-V1', reason: 'BOUNCED' },
    { type: 'buyback', on: '2026-02-12', loanId: 'SIM-L0002', buyback: { buybackId: 'SIM-B1', sellerLenderId: ids.bankB, buyerId: ids.lead, valueDate: '2026-02-12' } },
  ],
};

let stack: LocalStack;
let out: string;
let summary: SimulationSummary;

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, runSchedules: false, template: localTemplate(), log: () => undefined });
  out = await mkdtemp(join(tmpdir(), 'simulation-'));
  summary = await simulate(scenario, { out, stack });
}, 300_000);

afterAll(async () => {
  await stack?.stop();
  if (out) await rm(out, { recursive: true, force: true });
});

describe('colend simulate', () => {
  it('plays every loan and repayment, and settles every business day of the Chinese calendar', () => {
    expect(summary.loansBooked).toBe(6);
    // Instalments 1 and 2 of loans 1-6 fall due by 03-06 (due 02-05..02-10 and 03-05..03-10): 6 + loans 1 and 2 of March.
    expect(summary.repaymentsBooked).toBe(8);
    expect(summary.repaymentsRefused).toEqual([]);
    // 2026-01-05..03-06: weekdays, less the Spring Festival (02-16..02-23 off), plus its worked Saturdays 02-14 and 02-28.
    expect(summary.settledDates).toContain('2026-02-14');
    expect(summary.settledDates).toContain('2026-02-28');
    expect(summary.settledDates).not.toContain('2026-02-18');
    expect(summary.settledDates).not.toContain('2026-01-10');
  });

  it("pays the buyback's price from the lead to bank B, in both repayment details of its date", async () => {
    expect(summary.eventsPlayed).toBe(2);
    const rowOf = async (lenderId: string) =>
      (await readFile(join(out, 'statements', lenderId, '20260212', 'repayment_detail_20260212.txt'), 'utf8')).split('\n').find((line) => line.includes('|BUYBACK|SIM-B1|'));
    const seller = (await rowOf(ids.bankB))?.split('|');
    const buyer = (await rowOf(ids.lead))?.split('|');
    // Bank B's principal after instalment 1 (paid 2026-02-06) and its interest since, received by
    // bank B and paid by the lead: the same figures, negative in the lead's row.
    expect(seller?.slice(8, 10).every((v) => /^[1-9]\d*\.\d\d$/.test(v))).toBe(true);
    expect(buyer?.slice(8, 10).every((v) => v.startsWith('-'))).toBe(true);
    expect(buyer?.slice(8).map((v) => v.replace(/^-/, ''))).toEqual(seller?.slice(8));
  });

  it('settles exactly the principal each lender lent out and was repaid: what it still holds', () => {
    for (const lenderId of [ids.lead, ids.bankA, ids.bankB]) {
      const lender = summary.lenders[lenderId]!;
      expect(BigInt(lender.settledByComponentMinor.PRINCIPAL ?? '0'), lenderId).toBe(-BigInt(lender.outstandingPrincipalMinor));
    }
  });

  it("writes every lender's files of every settled date", async () => {
    const dates = await readdir(join(out, 'statements', ids.bankA));
    expect(dates.length).toBe(summary.settledDates.length);
    expect(await readdir(join(out, 'statements', ids.bankA, '20260209'))).toEqual([
      '20260209.ok',
      'compensation_20260209.txt',
      'control_20260209.txt',
      'disbursement_detail_20260209.txt',
      'human',
      'loan_master_20260209.txt',
      'repayment_detail_20260209.txt',
      'repayment_schedule_20260209.txt',
      'settlement_summary_20260209.txt',
      'trial_balance_20260209.txt',
    ]);
  });

  it('refuses a malformed scenario, naming each problem by its JSON path', () => {
    const bad = { ...scenario, end: '2025-12-31', loans: [{ on: '2026-02-30', loan: {} }], events: [{ type: 'refund', on: '2026-01-05' }] };
    let error: unknown;
    try {
      parseScenario(bad);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ScenarioError);
    expect((error as ScenarioError).problems.map((p) => p.path).sort()).toEqual(['$.events[0].type', '$.loans[0].on'].sort());
  });
});
