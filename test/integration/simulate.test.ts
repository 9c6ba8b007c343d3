import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError } from '../../infra/local/scenario.ts';
import { simulate, type SimulationSummary } from '../../infra/local/simulator.ts';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.ts';
import { localTemplate } from './support/stack.ts';
import { lenderBody, programBody } from './support/world.ts';

const ids = { lead: 'SIM_LEAD', bankA: 'SIM_BANKA', bankB: 'SIM_BANKB', guarantor: 'SIM_GUAR', programId: 'SIM_PROG', wideProgramId: 'SIM_WIDE' };
/** The guarantor compensates a loan 28 days past due, so the risk update of 03-06 compensates only SIM-APP-1 (29 days; loan 4's part payment leaves it 26). */
const guaranteed = { fees: { guarantorLenderId: ids.guarantor }, lossSharing: { method: 'PRO_RATA', guaranteeTriggerDpd: 28 } };
/** The partners' targets above the 30% floor, so a partner may approve less than it is asked. */
const wideShares = {
  participants: [
    { lenderId: ids.lead, role: 'LEAD', targetShareBps: 2000, priority: 0 },
    { lenderId: ids.bankA, role: 'PARTNER', targetShareBps: 4000, priority: 1 },
    { lenderId: ids.bankB, role: 'PARTNER', targetShareBps: 4000, priority: 2 },
    { lenderId: ids.guarantor, role: 'GUARANTOR', priority: 9 },
  ],
};
const application = (applicationId: string, programId = ids.programId) => ({
  applicationId,
  programId,
  borrower: { borrowerId: `B-${applicationId}`, type: 'INDIVIDUAL', region: 'CN-31' },
  currency: 'CNY',
  amountMinor: '1200000',
  termMonths: 6,
  repaymentMethod: 'EQUAL_INSTALLMENT',
  annualRate: '0.108',
});
const decline = { decision: 'DECLINE', reasonCodes: ['DEBT_TO_INCOME_TOO_HIGH'] };
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
 * Five applications go through the joint review: one approved by both partners, never repaid and
 * compensated by the guarantor; one declined by bank B, funded by the lead instead and written
 * off; one declined by both; one that bank A approves for less than asked; one the lead cancels.
 */
const scenario = {
  version: 1,
  name: 'Two months through the Spring Festival',
  start: '2026-01-05',
  end: '2026-03-06',
  lenders: [lenderBody(ids.lead, ['LEAD']), lenderBody(ids.bankA, ['PARTNER']), lenderBody(ids.bankB, ['PARTNER']), lenderBody(ids.guarantor, ['GUARANTOR'])],
  programs: [programBody(ids, guaranteed), programBody({ ...ids, programId: ids.wideProgramId }, { ...guaranteed, ...wideShares })],
  loanSeries: [{ count: 6, from: '2026-01-05', everyDays: 1, idPrefix: 'SIM-L', template, late: { every: 3, instalment: 1, days: 4 }, partial: { every: 4, instalment: 1, shareBps: 5000 } }],
  applications: [
    { on: '2026-01-05', application: application('SIM-APP-1'), repay: { missed: [1, 2, 3, 4, 5, 6] } },
    { on: '2026-01-06', application: application('SIM-APP-2'), decisions: { [ids.bankB]: decline }, repay: { missed: [2, 3, 4, 5, 6] } },
    { on: '2026-01-06', application: application('SIM-APP-3'), decisions: { [ids.bankA]: decline, [ids.bankB]: decline } },
    { on: '2026-01-07', application: application('SIM-APP-4', ids.wideProgramId), decisions: { [ids.bankA]: { decision: 'APPROVE', approvedAmountMinor: '400000' } } },
    { on: '2026-01-07', application: application('SIM-APP-5'), disbursement: { outcome: 'CANCELLED', reason: 'Borrower withdrew' } },
  ],
  events: [
    { type: 'reversal', on: '2026-02-09', repaymentId: 'SIM-L0005-I1', reversalId: 'SIM-V1', reason: 'BOUNCED' },
    { type: 'buyback', on: '2026-02-12', loanId: 'SIM-L0002', buyback: { buybackId: 'SIM-B1', sellerLenderId: ids.bankB, buyerId: ids.lead, valueDate: '2026-02-12' } },
    { type: 'writeOff', on: '2026-02-25', loanId: 'SIM-APP-2', writeOffId: 'SIM-W1', reason: 'Borrower deceased, no estate' },
    { type: 'riskUpdate', on: '2026-03-06' },
  ],
};

let stack: LocalStack;
let out: string;
let summary: SimulationSummary;

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, runSchedules: false, template: localTemplate(), log: () => undefined });
  out = await mkdtemp(join(tmpdir(), 'simulation-'));
  summary = await simulate(scenario, { out, stack });
}, 600_000);

afterAll(async () => {
  await stack?.stop();
  if (out) await rm(out, { recursive: true, force: true });
});

describe('colend simulate', () => {
  it('plays every loan and repayment, and settles every business day of the Chinese calendar', () => {
    // The series' six loans and the three applications booked.
    expect(summary.loansBooked).toBe(9);
    // Instalments 1 and 2 of loans 1-6 fall due by 03-06 (due 02-05..02-10 and 03-05..03-10): 6 + loans 1 and 2 of March;
    // then instalment 1 of SIM-APP-2 (02-06) and of SIM-APP-4 (02-07); SIM-APP-1 pays nothing.
    expect(summary.repaymentsBooked).toBe(10);
    expect(summary.repaymentsRefused).toEqual([]);
    // 2026-01-05..03-06: weekdays, less the Spring Festival (02-16..02-23 off), plus its worked Saturdays 02-14 and 02-28.
    expect(summary.settledDates).toContain('2026-02-14');
    expect(summary.settledDates).toContain('2026-02-28');
    expect(summary.settledDates).not.toContain('2026-02-18');
    expect(summary.settledDates).not.toContain('2026-01-10');
  });

  it('reviews each application with each partner deciding as the scenario says, and books the plan the answers make', () => {
    const outcomes = summary.applications.map((a) => [a.applicationId, a.status, a.loanId, a.decisions.map((d) => [d.lenderId, d.state, d.askedAmountMinor, d.approvedAmountMinor]), a.plan?.map((p) => [p.lenderId, p.amountMinor]) ?? null, a.rejectedBecause]);
    const both = [
      [ids.bankA, 'APPROVED', '360000', '360000'],
      [ids.bankB, 'APPROVED', '360000', '360000'],
    ];
    const fortyThirtyThirty = [
      [ids.lead, '480000'],
      [ids.bankA, '360000'],
      [ids.bankB, '360000'],
    ];
    expect(outcomes).toEqual([
      ['SIM-APP-1', 'BOOKED', 'SIM-APP-1', both, fortyThirtyThirty, []],
      // Bank B declines: the lead funds the rest, bank A keeps its 30%.
      [
        'SIM-APP-2',
        'BOOKED',
        'SIM-APP-2',
        [
          [ids.bankA, 'APPROVED', '360000', '360000'],
          [ids.bankB, 'DECLINED', '360000', null],
        ],
        [
          [ids.lead, '840000'],
          [ids.bankA, '360000'],
        ],
        [],
      ],
      [
        'SIM-APP-3',
        'REJECTED',
        null,
        [
          [ids.bankA, 'DECLINED', '360000', null],
          [ids.bankB, 'DECLINED', '360000', null],
        ],
        null,
        ['DECLINED', 'NO_PARTNER_LEFT'],
      ],
      // Bank A approves 400,000 of the 480,000 it is asked: the lead funds the 80,000 more.
      [
        'SIM-APP-4',
        'BOOKED',
        'SIM-APP-4',
        [
          [ids.bankA, 'APPROVED', '480000', '400000'],
          [ids.bankB, 'APPROVED', '480000', '480000'],
        ],
        [
          [ids.lead, '320000'],
          [ids.bankA, '400000'],
          [ids.bankB, '480000'],
        ],
        [],
      ],
      ['SIM-APP-5', 'CANCELLED', null, both, fortyThirtyThirty, []],
    ]);
  });

  it('shows what the risk update compensated and what the write-off wrote off, per lender', () => {
    expect(summary.riskUpdates).toEqual([{ businessDate: '2026-03-06', byClass: { NORMAL: 4, SPECIAL_MENTION: 5 }, compensated: ['SIM-APP-1'], writtenOff: [], held: [] }]);
    expect(summary.losses).toEqual([
      // 29 days past due: the guarantor pays each lender its principal and the interest of instalments 1 and 2.
      { loanId: 'SIM-APP-1', type: 'COMPENSATION', eventId: 'RISK-2026-03-06', principalByLenderMinor: { [ids.bankA]: '360000', [ids.bankB]: '360000', [ids.lead]: '480000' }, lossesByPartyMinor: {}, guarantorClaimMinor: '1219840' },
      // Instalment 1 paid 195,547 of the principal; each lender loses what it still held, pro rata.
      { loanId: 'SIM-APP-2', type: 'WRITE_OFF', eventId: 'SIM-W1', principalByLenderMinor: { [ids.bankA]: '301336', [ids.lead]: '703117' }, lossesByPartyMinor: { [ids.bankA]: '301336', [ids.lead]: '703117' }, guarantorClaimMinor: null },
    ]);
    // The guarantor paid its claim through settlement, to the fen.
    expect(summary.lenders[ids.guarantor]?.settledByComponentMinor).toEqual({ GUARANTEE: '-1219840' });
    expect([ids.lead, ids.bankA, ids.bankB].map((l) => summary.lenders[l]?.settledByComponentMinor.GUARANTEE)).toEqual(['487936', '365952', '365952']);
  });

  it("pays the buyback's price from the lead to bank B, in both repayment details of its date", async () => {
    expect(summary.eventsPlayed).toBe(4);
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

  it('settles exactly the principal each lender lent out and was repaid: what it still holds, was compensated for or wrote off', () => {
    expect([ids.lead, ids.bankA, ids.bankB].map((l) => [summary.lenders[l]?.compensatedPrincipalMinor, summary.lenders[l]?.writtenOffPrincipalMinor])).toEqual([
      ['480000', '703117'],
      ['360000', '301336'],
      ['360000', '0'],
    ]);
    for (const lenderId of [ids.lead, ids.bankA, ids.bankB]) {
      const lender = summary.lenders[lenderId]!;
      const gone = BigInt(lender.outstandingPrincipalMinor) + BigInt(lender.compensatedPrincipalMinor) + BigInt(lender.writtenOffPrincipalMinor);
      expect(BigInt(lender.settledByComponentMinor.PRINCIPAL ?? '0'), lenderId).toBe(-gone);
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

  it('refuses an application or a loss event the story cannot play, naming each problem by its JSON path', () => {
    const problems = (json: unknown) => {
      try {
        parseScenario(json);
      } catch (caught) {
        if (caught instanceof ScenarioError) return caught.problems.map((p) => `${p.path}: ${p.message}`).sort();
        throw caught;
      }
      return [];
    };
    // The shape of each new part.
    expect(
      problems({
        ...scenario,
        applications: [
          { on: '2026-01-05', application: { programId: ids.programId } },
          { on: '2026-01-05', application: application('SIM-X-1'), decisions: { [ids.bankA]: { decision: 'MAYBE' }, [ids.bankB]: { decision: 'DECLINE', approvedAmountMinor: '100000' } } },
          { on: '2026-01-05', application: application('SIM-X-2'), disbursement: { outcome: 'CANCELLED' } },
          { on: '2026-04-01', application: application('SIM-X-3'), disbursement: { outcome: 'DISBURSED', reason: 'on time' } },
        ],
        events: [{ type: 'writeOff', on: '2026-02-25', loanId: 'SIM-APP-2', writeOffId: 'SIM-W1' }],
      }),
    ).toEqual(
      [
        '$.applications[0].application.applicationId: Invalid input: expected string, received undefined',
        "$.applications[1].decisions.SIM_BANKA.decision: Invalid option: expected one of \"APPROVE\"|\"DECLINE\"",
        '$.applications[1].decisions.SIM_BANKB.approvedAmountMinor: a decline approves no amount',
        '$.applications[2].disbursement.reason: a disbursement CANCELLED needs a reason',
        '$.applications[3].disbursement.reason: only a cancelled or failed disbursement has a reason',
        '$.events[0].reason: Invalid input: expected string, received undefined',
      ].sort(),
    );
    // What the parts name: ids, lenders, loans and dates.
    expect(
      problems({
        ...scenario,
        applications: [
          { on: '2026-01-05', application: application('SIM-L0001'), decisions: { NOBODY: decline } },
          { on: '2026-04-01', application: application('SIM-X-4') },
          { on: '2026-01-07', application: application('SIM-X-5') },
        ],
        events: [
          { type: 'riskUpdate', on: '2026-03-06' },
          { type: 'writeOff', on: '2026-02-25', loanId: 'SIM-NOWHERE', writeOffId: 'SIM-W1', reason: 'Fraud' },
          { type: 'repayment', on: '2026-01-06', repaymentId: 'SIM-R1', loanId: 'SIM-X-5', amountMinor: '1000' },
        ],
      }),
    ).toEqual(
      [
        '$.applications[0].application.applicationId: SIM-L0001 is already a loan or an application of the scenario',
        '$.applications[0].decisions.NOBODY: NOBODY is not a lender of the scenario',
        "$.applications[1].on: 2026-04-01 is outside the scenario's 2026-01-05..2026-03-06",
        '$.events[1].loanId: SIM-NOWHERE is not a loan or an application of the scenario',
        '$.events[2].on: 2026-01-06 is before SIM-X-5 is booked on 2026-01-07',
      ].sort(),
    );
  });
});
