import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { DefinitionBody, Pass, StateGraph, StateMachine as CdkStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { StateMachine } from 'aws-local-stepfunctions';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { settlementStepInput } from '../../functions/settlement-steps/schema.ts';
import { runSettlementStep } from '../../functions/settlement-steps/use-case.ts';
import { FolderFileStore } from '../../shared/adapters/files/file-store.ts';
import { STATE_DATA_LIMIT_BYTES, jsonBytes, runMeasured } from './support/state-sizes.ts';
import { validate } from '../../shared/contracts/validate.ts';
import type { JournalEntry } from '../../shared/domain/ledger.ts';
import { businessCalendar } from '../../shared/use-cases/calendars.ts';
import { statementFile } from '../../shared/use-cases/settlement.ts';
import { settlementDefinition } from '../../workflows/settlement/definition.ts';
import { SettlementStates, type ShardMap } from '../../workflows/settlement/states.ts';
import { aLeg as leg, aProgram, LEAD_ID, PARTNER_A, PARTNER_B, PROGRAM_ID } from '../support/builders.ts';
import { createInMemoryStores, seed, type InMemoryStores } from '../support/in-memory-stores.ts';
import { PrometheusRegistry } from '../../shared/adapters/telemetry/prometheus-registry.ts';
import type { SettlementStepDeps } from '../../functions/settlement-steps/use-case.ts';
import { InMemoryAuditStore } from '../support/in-memory-audit.ts';

/*
 * Tuesday 2025-03-04, settled after its 22:00 cut-off (23:00 in Beijing): two loans repaid that
 * day, each lender's principal and interest owed to it by the collection account.
 *   LN-A: lead 300.00 + 36.00, each partner 225.00 + 27.00;
 *   LN-B: lead 100.00 + 10.00, each partner 100.00 + 10.00.
 * The collection account pays the lead 446.00 and each partner 362.00, the next business day.
 */

const SHARDS = 16;
const DATE = '2025-03-04';
const EXECUTION = `arn:aws:states:cn-north-1:123456789012:execution:SettlementStateMachine:settle-${DATE}-1`;
type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
type Json = { [key: string]: JsonValue };

function asl(shardMap: ShardMap): Json {
  const stack = new Stack(new App(), 'WorkflowTest');
  const settlementSteps = new LambdaFunction(stack, 'SettlementStepsFn', { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('x') });
  const workBucket = new Bucket(stack, 'WorkBucket');
  const reconciliation = new CdkStateMachine(stack, 'Reconciliation', { definitionBody: DefinitionBody.fromChainable(new Pass(stack, 'Reconcile')) });
  const chain = settlementDefinition(stack, { settlementSteps, reconciliation, workBucket, shardMap });
  return stack.resolve(new StateGraph(chain.startState, 'Settlement').toGraphJson()) as Json;
}

const states = (definition: Json) => definition['States'] as Record<string, Json>;

describe('Settlement ASL', () => {
  it('opens the run, gathers every shard, instructs, writes the files and closes; a failure after OpenRun is recorded', () => {
    for (const shardMap of ['DISTRIBUTED', 'INLINE'] as const) {
      const definition = asl(shardMap);
      expect(definition['StartAt']).toBe(SettlementStates.openRun);
      expect(Object.keys(states(definition)).sort()).toEqual(['CloseRun', 'Failed', 'FailRun', 'GatherShards', 'Instruct', 'OpenRun', 'OpenedOrSkipped', 'ReconcileDate', 'Settled', 'Skipped', 'WriteFiles'].sort());
      expect(states(definition)['ReconcileDate']).toMatchObject({
        Type: 'Task',
        Parameters: { Input: { 'businessDate.$': '$.businessDate' }, 'Name.$': "States.Format('reconcile-{}-settled-{}', $.businessDate, $.attempt)" },
        ResultPath: null,
        Retry: [{ ErrorEquals: ['StepFunctions.ExecutionLimitExceededException', 'StepFunctions.SdkClientException'], IntervalSeconds: 2, BackoffRate: 2, MaxAttempts: 6, JitterStrategy: 'FULL' }],
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.reconcileError', Next: 'Settled' }],
        Next: 'Settled',
      });
      for (const state of ['GatherShards', 'Instruct', 'WriteFiles', 'CloseRun']) expect(states(definition)[state]!['Catch'], `${shardMap} ${state}`).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'FailRun' }]);
      const processor = states(definition)['GatherShards']!['ItemProcessor'] as { StartAt: string; States: Record<string, Json> };
      expect(processor.StartAt).toBe('GatherShard');
      expect(processor.States['GatherShard']).toMatchObject({ Type: 'Task', Parameters: { step: 'GatherShard', 'businessDate.$': '$.businessDate', 'shard.$': '$.shard' }, End: true });
    }
  });

  it("in AWS, reads the shards from the run's manifest in the files bucket, each gathered by a child execution, 4 at a time, results discarded", () => {
    const map = states(asl('DISTRIBUTED'))['GatherShards']!;
    expect(map).toEqual({
      Type: 'Map',
      Next: 'Instruct',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'FailRun' }],
      ResultPath: null,
      ItemSelector: { 'businessDate.$': '$.businessDate', 'attempt.$': '$.attempt', 'shard.$': '$$.Map.Item.Value.shard' },
      ItemProcessor: expect.objectContaining({ ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' } }) as JsonValue,
      ItemReader: {
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':states:::s3:getObject']] },
        ReaderConfig: { InputType: 'JSON' },
        Parameters: { Bucket: { Ref: expect.stringMatching(/^WorkBucket/) as unknown as string }, 'Key.$': '$.manifest' },
      },
      MaxConcurrency: 4,
    });
  });

  it('on the local stage, iterates the shards OpenRun returns inline: its engine runs no Distributed Map', () => {
    const map = states(asl('INLINE'))['GatherShards']!;
    expect(map).toMatchObject({ Type: 'Map', ItemsPath: '$.shards', MaxConcurrency: 4, ResultPath: null, ItemSelector: { 'businessDate.$': '$.businessDate', 'attempt.$': '$.attempt', 'shard.$': '$$.Map.Item.Value.shard' } });
    expect(map['ItemReader']).toBeUndefined();
    expect((map['ItemProcessor'] as Json)['ProcessorConfig']).toEqual({ Mode: 'INLINE' });
  });
});

describe('Settlement data flow (local engine, the inline Map)', () => {
  let stores: InMemoryStores;
  let deps: SettlementStepDeps & { metrics: PrometheusRegistry; audit: InMemoryAuditStore };
  let dir: string;

  const repaid = (loanId: string, principal: [bigint, bigint], interest: [bigint, bigint]): void => {
    const entry: JournalEntry = {
      entryId: `REPAYMENT#R-${loanId}`,
      eventType: 'REPAYMENT',
      eventId: `R-${loanId}`,
      loanId,
      currency: 'CNY',
      businessDate: DATE,
      bookedOn: DATE,
      programId: PROGRAM_ID,
      programVersion: 1,
      createdAt: `${DATE}T02:00:00.000Z`,
      legs: [LEAD_ID, PARTNER_A, PARTNER_B].flatMap((id, i) => {
        const p = i === 0 ? principal[0] : principal[1];
        const r = i === 0 ? interest[0] : interest[1];
        return [leg(id, 'SETTLEMENT_CLEARING', 'D', p + r, 'ESCROW'), leg(id, 'PRINCIPAL_RECEIVABLE', 'C', p), leg(id, 'INTEREST_INCOME', 'C', r)];
      }),
    };
    stores.db.entries.set(`${loanId}#${entry.entryId}`, entry);
  };

  beforeEach(async () => {
    stores = createInMemoryStores(`${DATE}T15:00:00.000Z`);
    seed(stores, { programs: [aProgram()] });
    dir = await mkdtemp(join(tmpdir(), 'settlement-workflow-'));
    deps = {
      ...stores,
      files: new FolderFileStore(dir),
      calendar: (id) => businessCalendar(stores, id),
      shardCount: SHARDS,
      metrics: new PrometheusRegistry(),
      audit: new InMemoryAuditStore(),
      auditLog: { error: (message) => expect.fail(message) },
    };
    repaid('LN-A', [30_000n, 22_500n], [3_600n, 2_700n]);
    repaid('LN-B', [10_000n, 10_000n], [1_000n, 1_000n]);
  });

  afterEach(() => rm(dir, { recursive: true, force: true }));

  const reconciliationsStarted: JsonValue[] = [];

  /** The inline ASL with the function ARN made concrete; every Task state runs the steps' use case. */
  async function run(input: Json, failAt?: string, before: Readonly<Record<string, () => void | Promise<void>>> = {}, executionId = EXECUTION): Promise<unknown> {
    const text = JSON.stringify(asl('INLINE')).replace(/\{"Fn::GetAtt":\["([A-Za-z0-9]+)","Arn"\]\}/g, (_, id: string) => `"arn:aws:lambda:cn-north-1:123456789012:function:${id}"`);
    const handlers = Object.fromEntries([
      ['ReconcileDate', async (payload: JsonValue): Promise<JsonValue> => {
        reconciliationsStarted.push(payload);
        return {};
      }],
      ...['OpenRun', 'GatherShard', 'Instruct', 'WriteFiles', 'CloseRun', 'FailRun'].map((state) => [
        state,
        async (payload: JsonValue): Promise<JsonValue> => {
          if (state === failAt) throw Object.assign(new Error('the state table was unreachable'), { name: 'TableUnreachable' });
          await before[state]?.();
          return JSON.parse(JSON.stringify(await runSettlementStep(deps, validate(settlementStepInput, payload)))) as JsonValue;
        },
      ]),
    ]);
    const machine = new StateMachine(JSON.parse(text) as StateMachineDefinition);
    return machine.run(input, { overrides: { taskResourceLocalHandlers: handlers }, context: { Execution: { Id: executionId } } }).result;
  }

  const manifest = async (): Promise<string> => Buffer.from((await deps.files.get(`settlement-work/${DATE}/manifest.json`))!).toString('utf8');

  it("settles the date through every shard: one instruction per lender to the fen, each lender's files, the manifest of the 16 shards", async () => {
    await run({ businessDate: DATE });
    expect(await stores.settlements.getRun(DATE)).toMatchObject({ status: 'SETTLED', attempt: 1, entries: 2, instructions: 3 });
    expect((await stores.settlements.instructions(DATE)).map((i) => [i.payer, i.payee, i.amountMinor, i.valueDate])).toEqual([
      ['ESCROW', LEAD_ID, 44_600n, '2025-03-05'],
      ['ESCROW', PARTNER_A, 36_200n, '2025-03-05'],
      ['ESCROW', PARTNER_B, 36_200n, '2025-03-05'],
    ]);
    expect(await stores.settlements.shards(DATE)).toHaveLength(SHARDS);
    expect(await manifest()).toBe(JSON.stringify(Array.from({ length: SHARDS }, (_, shard) => ({ shard }))));
    const detail = Buffer.from(await statementFile(deps, PARTNER_A, DATE, 'repayment_detail_20250304.txt')).toString('utf8').split('\n');
    expect(detail.slice(1)).toEqual([
      '2025-03-04|PARTNER-A|LN-A|REPAYMENT|R-LN-A|2025-03-04|2025-03-04|CNY|225.00|27.00|0.00|0.00|0.00|0.00|0.00|252.00|',
      '2025-03-04|PARTNER-A|LN-B|REPAYMENT|R-LN-B|2025-03-04|2025-03-04|CNY|100.00|10.00|0.00|0.00|0.00|0.00|0.00|110.00|',
      '',
    ]);
  });

  it("passes counts, not the lenders' file lists, between the steps: the files are kept on the run, and nine a lender would pass 256 KiB at about 200 lenders", async () => {
    const outputs: Record<string, JsonValue> = {};
    const text = JSON.stringify(asl('INLINE')).replace(/\{"Fn::GetAtt":\["([A-Za-z0-9]+)","Arn"\]\}/g, (_, id: string) => `"arn:aws:lambda:cn-north-1:123456789012:function:${id}"`);
    const handlers = Object.fromEntries([
      ['ReconcileDate', async (): Promise<JsonValue> => ({})],
      ...['OpenRun', 'GatherShard', 'Instruct', 'WriteFiles', 'CloseRun', 'FailRun'].map((state) => [
        state,
        async (payload: JsonValue): Promise<JsonValue> => {
          const out = JSON.parse(JSON.stringify(await runSettlementStep(deps, validate(settlementStepInput, payload)))) as JsonValue;
          outputs[state] = out;
          return out;
        },
      ]),
    ]);
    const { result, largest } = await runMeasured(new StateMachine(JSON.parse(text) as StateMachineDefinition), { businessDate: DATE }, { overrides: { taskResourceLocalHandlers: handlers }, context: { Execution: { Id: EXECUTION } } });
    const run = (await stores.settlements.getRun(DATE))!;
    expect(run.files).toHaveLength(27);
    expect(outputs['WriteFiles']).toEqual({ files: 27 });
    expect(outputs['CloseRun']).toEqual({ businessDate: DATE, status: 'SETTLED', attempt: 1, entries: 2, instructions: 3, files: 27 });
    expect(result).toBeDefined();
    expect(largest.bytes).toBeLessThan(4 * 1024);
    // Before: the list itself went from WriteFiles to CloseRun and out as the execution's output.
    const perLender = jsonBytes(run.files) / 3;
    expect(perLender * 200).toBeGreaterThan(STATE_DATA_LIMIT_BYTES);
  });

  const samples = (prefix: string): string[] => deps.metrics.render().split('\n').filter((line) => line.startsWith(prefix));

  it("measures the run's duration when it closes, from opening to settled, by the run's clock", async () => {
    // Opened at 15:00:00Z; the clock moves 7 min 30 s before CloseRun marks it settled.
    await run({ businessDate: DATE }, undefined, { CloseRun: () => stores.clock.set(`${DATE}T15:07:30.000Z`) });
    expect(samples('colend_settlement_duration_seconds_')).toEqual([
      'colend_settlement_duration_seconds_bucket{le="1"} 0',
      'colend_settlement_duration_seconds_bucket{le="5"} 0',
      'colend_settlement_duration_seconds_bucket{le="15"} 0',
      'colend_settlement_duration_seconds_bucket{le="30"} 0',
      'colend_settlement_duration_seconds_bucket{le="60"} 0',
      'colend_settlement_duration_seconds_bucket{le="120"} 0',
      'colend_settlement_duration_seconds_bucket{le="300"} 0',
      'colend_settlement_duration_seconds_bucket{le="600"} 1',
      'colend_settlement_duration_seconds_bucket{le="1800"} 1',
      'colend_settlement_duration_seconds_bucket{le="3600"} 1',
      'colend_settlement_duration_seconds_bucket{le="+Inf"} 1',
      'colend_settlement_duration_seconds_sum 450',
      'colend_settlement_duration_seconds_count 1',
    ]);
  });

  it('at the deadline, finds the date that closed late until its run is settled, and a failed run late', async () => {
    const check = (scheduledTime: string) => runSettlementStep(deps, validate(settlementStepInput, { step: 'CheckDeadline', scheduledTime }));
    // 07:00 in Beijing on the 5th: the date that closed is the 4th, not settled yet.
    expect(await check('2025-03-04T23:00:00Z')).toEqual({ businessDate: DATE, status: 'NOT_STARTED', late: true });
    expect(samples('colend_settlement_late ')).toEqual(['colend_settlement_late 1']);
    await expect(run({ businessDate: DATE }, 'Instruct')).rejects.toThrow('the state table was unreachable');
    expect(await check('2025-03-04T23:00:00Z')).toEqual({ businessDate: DATE, status: 'FAILED', late: true });
    await run({ businessDate: DATE, attempt: 2 });
    expect(await check('2025-03-04T23:00:00Z')).toEqual({ businessDate: DATE, status: 'SETTLED', late: false });
    expect(samples('colend_settlement_late ')).toEqual(['colend_settlement_late 0']);
  });

  it('at the deadline after a day no calendar settles, finds nothing to settle and nothing late', async () => {
    // 2025-03-08 is a Saturday: the CN calendar settles nothing on it.
    expect(await runSettlementStep(deps, validate(settlementStepInput, { step: 'CheckDeadline', businessDate: '2025-03-08' }))).toEqual({ businessDate: '2025-03-08', status: 'NOTHING_TO_SETTLE', late: false });
    expect(samples('colend_settlement_late ')).toEqual(['colend_settlement_late 0']);
  });

  it('writes the same manifest and the same files when the date is run again', async () => {
    await run({ businessDate: DATE });
    const first = { manifest: await manifest(), files: (await stores.settlements.getRun(DATE))!.files };
    await run({ businessDate: DATE, attempt: 2 });
    expect(await stores.settlements.getRun(DATE)).toMatchObject({ status: 'SETTLED', attempt: 2 });
    expect({ manifest: await manifest(), files: (await stores.settlements.getRun(DATE))!.files }).toEqual(first);
  });

  it("records each action in the audit trail once per execution: an instruction per payee, each lender's files, the run closed", async () => {
    // Instruct and WriteFiles run again in the same execution before CloseRun, as a retry after a crash runs them: nothing new is recorded.
    const again = async () => {
      for (const step of ['Instruct', 'WriteFiles'] as const) await runSettlementStep(deps, validate(settlementStepInput, { step, businessDate: DATE, attempt: 1, executionId: EXECUTION }));
    };
    await run({ businessDate: DATE }, undefined, { CloseRun: again });
    const records = deps.audit.all(DATE).sort((a, b) => (a.auditKey < b.auditKey ? -1 : 1));
    const at = `${DATE}T15:00:00.000Z`;
    expect(records.map((r) => [r.action, r.target, r.lenderIds, r.after])).toEqual([
      ['Settlement.CloseRun', { businessDate: DATE }, [LEAD_ID, PARTNER_A, PARTNER_B], { attempt: 1, status: 'SETTLED', entries: 2, instructions: 3, files: 27 }],
      ...[[LEAD_ID, '44600'], [PARTNER_A, '36200'], [PARTNER_B, '36200']].map(([payee, amountMinor]) => [
        'Settlement.Instruct',
        { instructionId: `SI-20250304-${PROGRAM_ID}-ESCROW-${payee}` },
        [payee],
        { businessDate: DATE, attempt: 1, valueDate: '2025-03-05', currency: 'CNY', payer: 'ESCROW', payee, amountMinor },
      ]),
      ...[LEAD_ID, PARTNER_A, PARTNER_B].map((lenderId) => ['Settlement.WriteFiles', { businessDate: DATE, lenderId }, [lenderId], { attempt: 1, files: 9, records: expect.any(Number) }]),
    ]);
    for (const r of records) expect([r.executionId, r.at, r.actor, r.route, r.status, r.auditKey.startsWith(`STEP#${EXECUTION}#`)]).toEqual([EXECUTION, at, { kind: 'WORKFLOW', principalId: 'Settlement', clientId: 'Settlement', roles: [] }, null, null, true]);
  });

  it('records a failed run once, as the FailRun of its execution', async () => {
    await expect(run({ businessDate: DATE }, 'Instruct')).rejects.toThrow();
    expect(deps.audit.all(DATE).map((r) => [r.action, r.target, r.after, r.executionId])).toEqual([
      ['Settlement.FailRun', { businessDate: DATE }, { attempt: 1, status: 'FAILED', code: 'TableUnreachable' }, EXECUTION],
    ]);
  });

  it('records the run FAILED with the step\'s error when a gather fails, and leaves no lender a file', async () => {
    await expect(run({ businessDate: DATE }, 'GatherShard')).rejects.toThrow();
    expect(await stores.settlements.getRun(DATE)).toMatchObject({ status: 'FAILED', attempt: 1, failure: { code: 'TableUnreachable', message: 'the state table was unreachable' } });
    expect(await deps.files.list('statements/')).toEqual([]);
  });
});
