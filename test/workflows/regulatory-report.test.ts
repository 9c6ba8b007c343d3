import { App, Stack } from 'aws-cdk-lib';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { StateGraph } from 'aws-cdk-lib/aws-stepfunctions';
import { StateMachine } from 'aws-local-stepfunctions';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { beforeEach, describe, expect, it } from 'vitest';
import { reportStepInput } from '../../functions/regulatory-report-steps/schema.ts';
import { runReportStep } from '../../functions/regulatory-report-steps/use-case.ts';
import { validate } from '../../shared/contracts/validate.ts';
import type { RegulatoryReportDeps } from '../../shared/use-cases/regulatory-report.ts';
import { regulatoryReportDefinition } from '../../workflows/regulatory-report/definition.ts';
import { RegulatoryReportStates } from '../../workflows/regulatory-report/states.ts';
import { LEAD_ID, PARTNER_A, aLeadLender, aLoan, aPartnerLender, aProgram, PARTNER_B } from '../support/builders.ts';
import { createInMemoryStores, seed, seedBookedLoan, type InMemoryStores } from '../support/in-memory-stores.ts';
import { InMemoryAuditStore } from '../support/in-memory-audit.ts';
import type { StepAuditDeps } from '../../shared/use-cases/audit.ts';

/*
 * One loan of 10,000.00 (the lead 4,000.00, A and B 3,000.00 each) booked on 2025-03-01; the run
 * reports 2025-03-01 at 00:45 on 2 March in Beijing, as the schedule does. A's registration figures
 * leave it the builders' room; the lead (an internet bank) is rated with each partner and in total.
 */

const SHARDS = 16;
const SCHEDULED = '2025-03-01T16:45:00.000Z';
const EXECUTION = 'arn:aws:states:cn-north-1:123456789012:execution:RegulatoryReportStateMachine:regulatory-report-2025-03-01-1';

type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
type Json = { [key: string]: JsonValue };

let asl: Json;
let stores: InMemoryStores;
let deps: RegulatoryReportDeps & StepAuditDeps & { audit: InMemoryAuditStore };

beforeEach(() => {
  const stack = new Stack(new App(), 'WorkflowTest');
  const reportSteps = new LambdaFunction(stack, 'ReportStepsFn', { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('x') });
  const chain = regulatoryReportDefinition(stack, { reportSteps });
  asl = stack.resolve(new StateGraph(chain.startState, 'RegulatoryReport').toGraphJson()) as Json;
  stores = createInMemoryStores(SCHEDULED);
  seed(stores, { lenders: [aLeadLender(), aPartnerLender(PARTNER_A), aPartnerLender(PARTNER_B)], programs: [aProgram()] });
  seedBookedLoan(stores, aLoan());
  deps = { ...stores, loan: (id) => stores.loans.get(id), shardCount: SHARDS, audit: new InMemoryAuditStore(), auditLog: { error: (message) => expect.fail(message) } };
});

/** The ASL with the function ARN made concrete; every Task state runs the steps' use case on the in-memory stores. */
async function run(input: Json, failAt?: { state: string; times: number }): Promise<unknown> {
  const text = JSON.stringify(asl).replace(/\{"Fn::GetAtt":\["([A-Za-z0-9]+)","Arn"\]\}/g, (_, id: string) => `"arn:aws:lambda:cn-north-1:123456789012:function:${id}"`);
  const handlers = Object.fromEntries(
    ['OpenRun', 'MeasureShard', 'RecordReport', 'FailRun'].map((state) => [
      state,
      async (payload: JsonValue): Promise<JsonValue> => {
        if (failAt?.state === state && failAt.times > 0) {
          failAt.times -= 1;
          throw Object.assign(new Error('the state table was unreachable'), { name: 'TableUnreachable' });
        }
        return JSON.parse(JSON.stringify(await runReportStep(deps, validate(reportStepInput, payload)), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as JsonValue;
      },
    ]),
  );
  const machine = new StateMachine(JSON.parse(text) as StateMachineDefinition);
  return machine.run(input, { overrides: { retryIntervalOverrides: Object.fromEntries(Object.keys(handlers).map((s) => [s, 0])), taskResourceLocalHandlers: handlers }, context: { Execution: { Id: EXECUTION } } }).result;
}

describe('RegulatoryReport ASL', () => {
  it('opens the run, measures the shards four at a time, records the report; a failure after opening fails the run', () => {
    const states = asl['States'] as Record<string, Json>;
    expect(asl['StartAt']).toBe(RegulatoryReportStates.openRun);
    expect(Object.keys(states).sort()).toEqual(['Failed', 'FailRun', 'MeasureShards', 'OpenRun', 'OpenedOrSkipped', 'RecordReport', 'Skipped'].sort());
    expect(states[RegulatoryReportStates.measureShards]).toMatchObject({ Type: 'Map', ItemsPath: '$.shards', MaxConcurrency: 4, ResultPath: null, Next: 'RecordReport' });
    expect(states[RegulatoryReportStates.measureShards]!['ItemSelector']).toEqual({ 'businessDate.$': '$.businessDate', 'attempt.$': '$.attempt', 'shard.$': '$$.Map.Item.Value.shard' });
    for (const task of ['MeasureShards', 'RecordReport']) expect(states[task]!['Catch']).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'FailRun' }]);
    // A refused OpenRun leaves the run as it was: it is not caught into FailRun, it ends in Failed.
    expect(states[RegulatoryReportStates.openRun]!['Catch']).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Failed' }]);
  });
});

describe('RegulatoryReport data flow (local engine)', () => {
  it('reports the date the schedule closes, then skips it when the schedule fires again', async () => {
    await run({ scheduledTime: SCHEDULED });
    const stored = await stores.regulatoryReports.getRun('2025-03-01');
    expect(stored).toMatchObject({ status: 'DONE', attempt: 1, loans: 1, failure: null });
    const rows = stored!.report!.sections[0]!.rows;
    expect(rows.map((r) => [r.lenderId, r.counterpartyId, r.outstandingMinor, r.status])).toEqual([
      [PARTNER_A, LEAD_ID, 300_000n, 'OK'],
      [PARTNER_A, null, 300_000n, 'OK'],
      [PARTNER_B, LEAD_ID, 300_000n, 'OK'],
      [PARTNER_B, null, 300_000n, 'OK'],
      [LEAD_ID, PARTNER_A, 400_000n, 'OK'],
      [LEAD_ID, PARTNER_B, 400_000n, 'OK'],
      [LEAD_ID, null, 400_000n, 'OK'],
    ]);
    // The report is recorded once, naming every bank it measures.
    expect(deps.audit.all('2025-03-01').map((r) => [r.action, r.target, r.after, r.lenderIds, r.executionId])).toEqual([
      ['RegulatoryReport.RecordReport', { businessDate: '2025-03-01' }, { attempt: 1, status: 'DONE', loans: 1 }, [LEAD_ID, PARTNER_A, PARTNER_B].sort(), EXECUTION],
    ]);
    expect(await run({ scheduledTime: SCHEDULED })).toEqual({ businessDate: '2025-03-01', attempt: 1, skipped: true, shards: [] });
    expect((await stores.regulatoryReports.getRun('2025-03-01'))?.attempt).toBe(1);
  });

  it('records a failed attempt with its cause, and reports the date on the next attempt', async () => {
    await expect(run({ businessDate: '2025-03-01', attempt: 1 }, { state: 'RecordReport', times: 1 })).rejects.toThrow();
    expect(await stores.regulatoryReports.getRun('2025-03-01')).toMatchObject({ status: 'FAILED', attempt: 1, report: null, failure: { code: 'TableUnreachable', message: 'the state table was unreachable' } });
    await run({ businessDate: '2025-03-01', attempt: 2 });
    expect(await stores.regulatoryReports.getRun('2025-03-01')).toMatchObject({ status: 'DONE', attempt: 2, loans: 1, failure: null });
  });

  it('refuses a date still open, writing nothing', async () => {
    await expect(run({ businessDate: '2025-03-02', attempt: 1 })).rejects.toThrow(/BUSINESS_DATE_OPEN|still open/);
    expect(await stores.regulatoryReports.getRun('2025-03-02')).toBeNull();
  });
});
