import { App, Stack } from 'aws-cdk-lib';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { StateGraph } from 'aws-cdk-lib/aws-stepfunctions';
import { StateMachine } from 'aws-local-stepfunctions';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { beforeEach, describe, expect, it } from 'vitest';
import { profitStepInput } from '../../functions/profit-steps/schema.ts';
import { runProfitStep } from '../../functions/profit-steps/use-case.ts';
import { validate } from '../../shared/contracts/validate.ts';
import type { JournalEntry } from '../../shared/domain/ledger.ts';
import type { Loan } from '../../shared/domain/loan.ts';
import type { Program } from '../../shared/domain/program.ts';
import type { ProfitSharingDeps } from '../../shared/use-cases/profit-sharing.ts';
import { profitSharingDefinition } from '../../workflows/profit-sharing/definition.ts';
import { ProfitSharingStates } from '../../workflows/profit-sharing/states.ts';
import { GUARANTOR_ID, LEAD_ID, PARTNER_A, PARTNER_B, PROGRAM_ID, aLoan, aParticipant, aProgram, defaultParticipants } from '../support/builders.ts';
import { createInMemoryStores, seed, seedBookedLoan, type InMemoryStores } from '../support/in-memory-stores.ts';
import { InMemoryAuditStore } from '../support/in-memory-audit.ts';
import type { StepAuditDeps } from '../../shared/use-cases/audit.ts';

/*
 * The test loan: 1,000,000 fen disbursed 2025-03-01 (booked that day), PARTNER-A and PARTNER-B
 * 300,000 each, the lead 400,000; ACT/360, HALF_UP. Two monthly fee rules, both paid by the
 * partners out of their interest:
 *   SERVICE 1% a year to the lead:        March (31 days) 300,000 × 31 × 0.01 / 360 = 258.33 → 258 fen per partner;
 *                                          April (30 days) 300,000 × 30 × 0.01 / 360 = 250 fen per partner.
 *   GUARANTEE 0.5% a year to GUARANTOR-1: March 300,000 × 31 × 0.005 / 360 = 129.17 → 129 fen per partner;
 *                                          April 300,000 × 30 × 0.005 / 360 = 125 fen per partner.
 * A run of March on 2025-04-02 (12:00 in Shanghai, before the 22:00 cut-off) books March's fees on
 * settlement day 2025-04-02: they are April's income, and March's statements hold only the
 * disbursement.
 */

const SHARDS = 16;
const MARCH_RUN_AT = '2025-04-02T04:00:00.000Z';
const EXECUTION = 'arn:aws:states:cn-north-1:123456789012:execution:ProfitSharingStateMachine:profit-2025-03';

type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
type Json = { [key: string]: JsonValue };

let asl: Json;
let stores: InMemoryStores;
let deps: ProfitSharingDeps & StepAuditDeps & { audit: InMemoryAuditStore };
let loan: Loan;

function program(): Program {
  const rule = (id: 'SERVICE' | 'GUARANTEE', payee: string, rate: string) => ({
    id,
    kind: id,
    payee,
    base: 'OUTSTANDING_PRINCIPAL' as const,
    rate,
    amountMinor: null,
    period: 'MONTHLY' as const,
    payer: { kind: 'DEDUCTED_FROM_INTEREST' as const, lenders: 'ALL_PARTNERS' as const },
  });
  return aProgram({
    participants: [...defaultParticipants(), aParticipant(GUARANTOR_ID, 'GUARANTOR', null, { priority: 9 })],
    fees: { serviceFeeRate: null, guaranteeFeeRate: null, guarantorLenderId: GUARANTOR_ID, rules: [rule('SERVICE', LEAD_ID, '0.01'), rule('GUARANTEE', GUARANTOR_ID, '0.005')] },
  });
}

beforeEach(() => {
  const stack = new Stack(new App(), 'WorkflowTest');
  const profitSteps = new LambdaFunction(stack, 'ProfitStepsFn', { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('x') });
  const chain = profitSharingDefinition(stack, { profitSteps });
  asl = stack.resolve(new StateGraph(chain.startState, 'ProfitSharing').toGraphJson()) as Json;
  stores = createInMemoryStores(MARCH_RUN_AT);
  const terms = program();
  seed(stores, { programs: [terms] });
  const { programId: _p, version: _v, createdAt: _c, ...programTerms } = terms;
  loan = seedBookedLoan(stores, aLoan({}, programTerms));
  deps = { ...stores, loan: (id) => stores.loans.get(id), shardCount: SHARDS, audit: new InMemoryAuditStore(), auditLog: { error: (message) => expect.fail(message) } };
});

/** The ASL with the function ARN made concrete; every Task state runs the steps' use case on the in-memory stores. */
async function run(input: Json, failAt?: { state: string; times: number }): Promise<unknown> {
  const text = JSON.stringify(asl).replace(/\{"Fn::GetAtt":\["([A-Za-z0-9]+)","Arn"\]\}/g, (_, id: string) => `"arn:aws:lambda:cn-north-1:123456789012:function:${id}"`);
  const handlers = Object.fromEntries(
    ['PlanRuns', 'OpenRun', 'BookShard', 'Statements', 'CloseRun', 'FailRun'].map((state) => [
      state,
      async (payload: JsonValue): Promise<JsonValue> => {
        if (failAt?.state === state && failAt.times > 0) {
          failAt.times -= 1;
          throw Object.assign(new Error('the ledger table was unreachable'), { name: 'TableUnreachable' });
        }
        return (await runProfitStep(deps, validate(profitStepInput, payload))) as JsonValue;
      },
    ]),
  );
  const machine = new StateMachine(JSON.parse(text) as StateMachineDefinition);
  return machine.run(input, { overrides: { retryIntervalOverrides: Object.fromEntries(Object.keys(handlers).map((s) => [s, 0])), taskResourceLocalHandlers: handlers }, context: { Execution: { Id: EXECUTION } } }).result;
}

const feeEntries = (period: string): JournalEntry[] =>
  [...stores.db.entries.values()].filter((e) => e.eventType === 'FEE' && e.eventId.includes(`#${period}#`)).sort((a, b) => (a.entryId < b.entryId ? -1 : 1));

const zeros = { interestIncomeMinor: 0n, penaltyIncomeMinor: 0n, feeIncomeMinor: 0n, guaranteeFeesMinor: 0n, servicePartnerShareMinor: 0n, feesPaidMinor: 0n, guaranteeCostMinor: 0n, lossesMinor: 0n, netMinor: 0n };

describe('ProfitSharing ASL', () => {
  it('plans, then runs each planned period one at a time: open, book the shards, state, close', () => {
    const states = asl['States'] as Record<string, Json>;
    expect(asl['StartAt']).toBe(ProfitSharingStates.planRuns);
    const runs = states[ProfitSharingStates.runs] as Json;
    expect(runs).toMatchObject({ Type: 'Map', ItemsPath: '$.runs', MaxConcurrency: 1 });
    const inner = (runs['ItemProcessor'] as { States: Record<string, Json> }).States;
    expect(Object.keys(inner).sort()).toEqual(['BookShards', 'CloseRun', 'FailRun', 'Failed', 'OpenRun', 'OpenedOrSkipped', 'Skipped', 'Statements'].sort());
    expect(inner[ProfitSharingStates.bookShards]).toMatchObject({ Type: 'Map', ItemsPath: '$.shards', MaxConcurrency: 4 });
    for (const task of ['BookShards', 'Statements', 'CloseRun']) expect(inner[task]!['Catch']).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'FailRun' }]);
    // A refused OpenRun leaves the run as it was: it is not caught into FailRun, it ends the run's iteration in Failed.
    expect(inner[ProfitSharingStates.openRun]!['Catch']).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Failed' }]);
    for (const name of [ProfitSharingStates.planRuns, ProfitSharingStates.runs]) {
      expect(states[name]!['Catch'], name).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RunsFailed' }]);
    }
    expect(states['RunsFailed']).toMatchObject({ Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' });
  });
});

describe('ProfitSharing data flow (local engine)', () => {
  it("books March's fees once per loan and stores each party's statement of the entries booked in March", async () => {
    await run({ programId: PROGRAM_ID, period: '2025-03', attempt: 1 });
    const stored = await stores.profitRuns.getRun(PROGRAM_ID, '2025-03');
    expect(stored).toMatchObject({ status: 'DONE', attempt: 1, loans: 1, booked: 2, replayed: 0, parties: [GUARANTOR_ID, LEAD_ID, PARTNER_A, PARTNER_B].sort(), failure: null });
    const [guarantee, service] = feeEntries('2025-03');
    expect(guarantee).toMatchObject({ entryId: `FEE#GUARANTEE#2025-03#${loan.loanId}`, businessDate: '2025-03-31', bookedOn: '2025-04-02' });
    expect(guarantee!.legs.filter((l) => l.lenderId === GUARANTOR_ID).map((l) => [l.account, l.side, l.amountMinor])).toEqual([
      ['SETTLEMENT_CLEARING', 'DEBIT', 129n],
      ['SETTLEMENT_CLEARING', 'DEBIT', 129n],
      ['FEE_INCOME', 'CREDIT', 258n],
    ]);
    expect(service!.legs.find((l) => l.lenderId === LEAD_ID && l.account === 'FEE_INCOME')?.amountMinor).toBe(516n);
    // March's statements: only the disbursement was booked in March (one entry, no income yet).
    const partner = await stores.profitRuns.statements(PARTNER_A, '2025-03');
    expect(partner).toEqual([
      expect.objectContaining({ programId: PROGRAM_ID, period: '2025-03', role: 'PARTNER', attempt: 1, from: '2025-03-01', to: '2025-03-31', byCurrency: [{ currency: 'CNY', ...zeros, loans: 1, entries: 1 }] }),
    ]);
    expect((await stores.profitRuns.statements(GUARANTOR_ID, '2025-03'))[0]?.byCurrency).toEqual([]);
    // The distribution closed is recorded once, naming every party it was booked for.
    expect(deps.audit.all('2025-04-02').map((r) => [r.action, r.target, r.after, r.lenderIds, r.executionId])).toEqual([
      ['ProfitSharing.CloseRun', { programId: PROGRAM_ID, period: '2025-03' }, { attempt: 1, status: 'DONE', loans: 1, booked: 2, replayed: 0 }, [GUARANTOR_ID, LEAD_ID, PARTNER_A, PARTNER_B].sort(), EXECUTION],
    ]);
  });

  it('refuses a period done, and books nothing twice', async () => {
    await run({ programId: PROGRAM_ID, period: '2025-03', attempt: 1 });
    const before = stores.db.entries.size;
    await expect(run({ programId: PROGRAM_ID, period: '2025-03', attempt: 2 })).rejects.toThrow(/PROFIT_RUN_DONE|shared once/);
    expect(stores.db.entries.size).toBe(before);
    expect(await stores.profitRuns.getRun(PROGRAM_ID, '2025-03')).toMatchObject({ status: 'DONE', attempt: 1 });
  });

  it('records a failed run, and runs it again without booking its fees twice', async () => {
    await expect(run({ programId: PROGRAM_ID, period: '2025-03', attempt: 1 }, { state: 'Statements', times: 1 })).rejects.toThrow();
    expect(await stores.profitRuns.getRun(PROGRAM_ID, '2025-03')).toMatchObject({ status: 'FAILED', attempt: 1, booked: 0, failure: { code: 'TableUnreachable', message: 'the ledger table was unreachable' } });
    expect(deps.audit.all('2025-04-02').map((r) => [r.action, r.after])).toEqual([['ProfitSharing.FailRun', { attempt: 1, status: 'FAILED', code: 'TableUnreachable' }]]);
    expect(feeEntries('2025-03')).toHaveLength(2);
    await run({ programId: PROGRAM_ID, period: '2025-03', attempt: 2 });
    expect(await stores.profitRuns.getRun(PROGRAM_ID, '2025-03')).toMatchObject({ status: 'DONE', attempt: 2, loans: 1, booked: 0, replayed: 2 });
    expect(feeEntries('2025-03')).toHaveLength(2);
  });

  it('lets no step of a replaced attempt touch the run: a restart while the first execution still goes on', async () => {
    const step = (input: Json) => runProfitStep(deps, validate(profitStepInput, input));
    await step({ step: 'OpenRun', programId: PROGRAM_ID, period: '2025-03', attempt: 1 });
    await step({ step: 'OpenRun', programId: PROGRAM_ID, period: '2025-03', attempt: 2 });
    await expect(step({ step: 'BookShard', programId: PROGRAM_ID, period: '2025-03', attempt: 1, shard: 0 })).rejects.toMatchObject({
      code: 'PROFIT_RUN_CHANGED',
      details: { attempt: 1, current: 2 },
    });
    await step({ step: 'FailRun', programId: PROGRAM_ID, period: '2025-03', attempt: 1, error: { Error: 'StateConflict', Cause: 'replaced' } });
    expect(await stores.profitRuns.getRun(PROGRAM_ID, '2025-03')).toMatchObject({ status: 'RUNNING', attempt: 2, failure: null });
    expect(feeEntries('2025-03')).toHaveLength(0);
  });

  it('refuses a period whose last day is still open, writing nothing', async () => {
    const before = stores.db.entries.size;
    await expect(run({ programId: PROGRAM_ID, period: '2025-04', attempt: 1 })).rejects.toThrow(/PERIOD_NOT_ENDED|cut-off/);
    expect(await stores.profitRuns.getRun(PROGRAM_ID, '2025-04')).toBeNull();
    expect(stores.db.entries.size).toBe(before);
  });

  it("the schedule shares every program's month that just ended, and March's fees are April's income", async () => {
    await run({ programId: PROGRAM_ID, period: '2025-03', attempt: 1 });
    // 23:00 in Shanghai on 2025-05-01, after the cut-off: settlement day 2025-05-02, April has ended.
    stores.clock.set('2025-05-01T15:00:00.000Z');
    await run({ scheduledTime: '2025-05-01T15:00:00Z' });
    expect(await stores.profitRuns.getRun(PROGRAM_ID, '2025-04')).toMatchObject({ status: 'DONE', attempt: 1, loans: 1, booked: 2 });
    expect(feeEntries('2025-04').map((e) => [e.entryId, e.bookedOn, e.legs.find((l) => l.account === 'FEE_INCOME')?.amountMinor])).toEqual([
      [`FEE#GUARANTEE#2025-04#${loan.loanId}`, '2025-05-02', 250n],
      [`FEE#SERVICE#2025-04#${loan.loanId}`, '2025-05-02', 500n],
    ]);
    // April's statements hold March's fees, booked on 2025-04-02: each partner paid 258 + 129 = 387, 129 of it to the guarantor.
    const april = async (lenderId: string) => (await stores.profitRuns.statements(lenderId, '2025-04'))[0]?.byCurrency;
    expect(await april(PARTNER_A)).toEqual([{ currency: 'CNY', ...zeros, feesPaidMinor: 387n, guaranteeCostMinor: 129n, netMinor: -387n, loans: 1, entries: 2 }]);
    expect(await april(PARTNER_B)).toEqual([{ currency: 'CNY', ...zeros, feesPaidMinor: 387n, guaranteeCostMinor: 129n, netMinor: -387n, loans: 1, entries: 2 }]);
    expect(await april(LEAD_ID)).toEqual([{ currency: 'CNY', ...zeros, feeIncomeMinor: 516n, netMinor: 516n, loans: 1, entries: 1 }]);
    expect(await april(GUARANTOR_ID)).toEqual([{ currency: 'CNY', ...zeros, guaranteeFeesMinor: 258n, netMinor: 258n, loans: 1, entries: 1 }]);
    // The schedule firing again finds April done and starts nothing.
    const entries = stores.db.entries.size;
    expect(await run({ scheduledTime: '2025-05-02T15:00:00Z' })).toEqual({ runs: [] });
    expect(stores.db.entries.size).toBe(entries);
  });
});
