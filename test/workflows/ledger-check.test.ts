import { App, Stack } from 'aws-cdk-lib';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { StateGraph } from 'aws-cdk-lib/aws-stepfunctions';
import { StateMachine } from 'aws-local-stepfunctions';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ledgerCheckDefinition } from '../../workflows/ledger-check/definition.ts';
import { LedgerCheckStates, TRANSIENT_LAMBDA_ERRORS } from '../../workflows/ledger-check/states.ts';
import { verifyShard } from '../../functions/ledger-check-shard/use-case.ts';
import { verifyShardInput } from '../../functions/ledger-check-shard/schema.ts';
import { recordReportStep } from '../../functions/ledger-check-report/use-case.ts';
import { recordReportInput } from '../../functions/ledger-check-report/schema.ts';
import { getLedgerCheck } from '../../functions/ledger-checks/use-case.ts';
import { validate } from '../../shared/contracts/validate.ts';
import type { JournalEntry, Position } from '../../shared/domain/ledger.ts';
import type { LedgerStore, LoanStore } from '../../shared/ports/stores.ts';
import { createInMemoryStores } from '../support/in-memory-stores.ts';
import { InMemoryAuditStore } from '../support/in-memory-audit.ts';
import { STATE_DATA_LIMIT_BYTES, jsonBytes, runMeasured, type JSONValue } from './support/state-sizes.ts';

const toJsonValue = (value: unknown): JSONValue => JSON.parse(JSON.stringify(value)) as JSONValue;

type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
type Json = { [key: string]: JsonValue };

const SHARD_COUNT = 16;
const EXECUTION = 'arn:aws:states:cn-north-1:123456789012:execution:LedgerCheckStateMachine:ledger-check-2025-03-31';

let stack: Stack;
let asl: Json;
const functionIds: Record<'verifyShard' | 'recordReport', string> = { verifyShard: '', recordReport: '' };

beforeAll(() => {
  stack = new Stack(new App(), 'WorkflowTest');
  const verifyShard = new LambdaFunction(stack, 'VerifyShardFn', { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('x') });
  const recordReport = new LambdaFunction(stack, 'RecordReportFn', { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('x') });
  const chain = ledgerCheckDefinition(stack, { verifyShard, recordReport, shardCount: SHARD_COUNT });
  asl = stack.resolve(new StateGraph(chain.startState, 'LedgerCheck').toGraphJson()) as Json;
  functionIds.verifyShard = stack.getLogicalId(verifyShard.node.defaultChild as never);
  functionIds.recordReport = stack.getLogicalId(recordReport.node.defaultChild as never);
});

function states(): Record<string, Json> {
  return asl['States'] as Record<string, Json>;
}

function mapState(): Json {
  return states()[LedgerCheckStates.verifyShards] ?? {};
}

function verifyShardState(): Json {
  return (mapState()['ItemProcessor'] as { States: Record<string, Json> }).States[LedgerCheckStates.verifyShard] ?? {};
}

describe('ledger-check ASL', () => {
  it('starts at PrepareShards, a Pass state adding the shard list', () => {
    expect(asl['StartAt']).toBe('PrepareShards');
    expect(states()['PrepareShards']).toEqual({
      Type: 'Pass',
      Comment: expect.any(String),
      Result: Array.from({ length: SHARD_COUNT }, (_, shard) => ({ shard })),
      ResultPath: '$.shards',
      Next: 'VerifyShards',
    });
  });

  it('maps VerifyShard over the shards, four at a time, and puts the results back in shards', () => {
    expect(mapState()).toEqual(
      expect.objectContaining({
        Type: 'Map',
        ItemsPath: '$.shards',
        MaxConcurrency: 4,
        ResultPath: '$.shards',
        ItemSelector: { 'payload.$': 'States.JsonMerge($$.Execution.Input, $$.Map.Item.Value, false)' },
        Next: 'ReportExecution',
      }),
    );
    const processor = mapState()['ItemProcessor'] as { StartAt: string; ProcessorConfig: Json; States: Record<string, Json> };
    expect(processor.StartAt).toBe('VerifyShard');
    expect(processor.ProcessorConfig).toEqual({ Mode: 'INLINE' });
    expect(Object.keys(processor.States)).toEqual(['VerifyShard']);
  });

  it('invokes each Task function directly: Resource is the function ARN, no Parameters, no Payload wrapper', () => {
    const tasks = { verifyShard: verifyShardState(), recordReport: states()['RecordReport'] ?? {} };
    for (const [name, task] of Object.entries(tasks)) {
      expect(task['Type']).toBe('Task');
      expect(task['Resource']).toEqual({ 'Fn::GetAtt': [functionIds[name as keyof typeof functionIds], 'Arn'] });
      expect(task['Parameters']).toBeUndefined();
      expect(task['ResultSelector']).toBeUndefined();
    }
    expect(verifyShardState()['InputPath']).toBe('$.payload');
    expect(states()['RecordReport']?.['End']).toBe(true);
  });

  it('retries only transient Lambda service errors; any other error of the Map or the report ends in CheckFailed', () => {
    for (const task of [verifyShardState(), states()['RecordReport'] ?? {}]) {
      expect(task['Retry']).toEqual([
        { ErrorEquals: [...TRANSIENT_LAMBDA_ERRORS], IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2, JitterStrategy: 'FULL' },
      ]);
      expect(JSON.stringify(task['Retry'])).not.toContain('States.ALL');
    }
    expect(verifyShardState()['Catch']).toBeUndefined();
    for (const name of ['VerifyShards', 'RecordReport']) {
      expect(states()[name]?.['Catch'], name).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'CheckFailed' }]);
    }
    expect(states()['CheckFailed']).toEqual({ Type: 'Fail', Comment: expect.any(String), ErrorPath: '$.error.Error', CausePath: '$.error.Cause' });
  });
});

/** The ASL with each function ARN made concrete, for the local engine. */
function runnableDefinition(): StateMachineDefinition {
  const text = JSON.stringify(asl).replace(
    /\{"Fn::GetAtt":\["([A-Za-z0-9]+)","Arn"\]\}/g,
    (_, logicalId: string) => `"arn:aws:lambda:ap-east-1:123456789012:function:${logicalId}"`,
  );
  return JSON.parse(text) as StateMachineDefinition;
}

interface Run {
  readonly result: unknown;
  readonly shardInputs: Json[];
  readonly reportInput: Json | undefined;
  readonly maxInFlight: number;
}

async function run(input: Record<string, string>, verifyShard?: (payload: Json) => Promise<Json>): Promise<Run> {
  const shardInputs: Json[] = [];
  let reportInput: Json | undefined;
  let inFlight = 0;
  let maxInFlight = 0;
  const machine = new StateMachine(runnableDefinition());
  const execution = machine.run(input, {
    context: { Execution: { Id: EXECUTION } },
    overrides: {
      retryIntervalOverrides: { VerifyShard: 0, RecordReport: 0 },
      taskResourceLocalHandlers: {
        VerifyShard: async (payload) => {
          inFlight += 1;
          maxInFlight = Math.max(maxInFlight, inFlight);
          try {
            shardInputs.push(payload as Json);
            await new Promise((resolve) => setTimeout(resolve, 5));
            return verifyShard ? await verifyShard(payload as Json) : { shard: (payload as Json)['shard'] ?? null, loans: 1, mismatches: 0 };
          } finally {
            inFlight -= 1;
          }
        },
        RecordReport: (payload) => {
          reportInput = payload as Json;
          return { recorded: true };
        },
      },
    },
  });
  return { result: await execution.result, shardInputs, reportInput, maxInFlight };
}

describe('ledger-check data flow (local engine)', () => {
  it('passes an explicit business date to every shard and to the report, with nothing invented', async () => {
    const outcome = await run({ businessDate: '2025-03-31' });
    expect(outcome.result).toEqual({ recorded: true });
    expect(outcome.shardInputs.map((payload) => payload['shard']).sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: SHARD_COUNT }, (_, shard) => shard),
    );
    for (const payload of outcome.shardInputs) {
      expect(Object.keys(payload).sort()).toEqual(['businessDate', 'shard']);
      expect(payload['businessDate']).toBe('2025-03-31');
    }
    expect(outcome.reportInput).toEqual({
      businessDate: '2025-03-31',
      shards: Array.from({ length: SHARD_COUNT }, (_, shard) => ({ shard, loans: 1, mismatches: 0 })),
      execution: { executionId: EXECUTION },
      executionId: EXECUTION,
    });
    expect(outcome.maxInFlight).toBeLessThanOrEqual(4);
  });

  it("passes the scheduler's time along when there is no business date", async () => {
    const outcome = await run({ scheduledTime: '2025-03-31T17:00:00Z' });
    for (const payload of outcome.shardInputs) {
      expect(payload).toEqual({ scheduledTime: '2025-03-31T17:00:00Z', shard: payload['shard'] });
    }
    expect(Object.keys(outcome.reportInput ?? {}).sort()).toEqual(['execution', 'executionId', 'scheduledTime', 'shards']);
  });

  it('retries a throttled shard and fails the execution on an error of the handler itself', async () => {
    let throttled = false;
    const retried = await run({ businessDate: '2025-03-31' }, async (payload) => {
      if (payload['shard'] === 3 && !throttled) {
        throttled = true;
        throw Object.assign(new Error('Rate exceeded'), { name: 'Lambda.TooManyRequestsException' });
      }
      return { shard: payload['shard'] ?? null };
    });
    expect(throttled).toBe(true);
    expect(retried.result).toEqual({ recorded: true });

    let calls = 0;
    await expect(
      run({ businessDate: '2025-03-31' }, async (payload) => {
        if (payload['shard'] === 3) {
          calls += 1;
          throw Object.assign(new Error('Entries do not balance'), { name: 'LedgerImbalance' });
        }
        return { shard: payload['shard'] ?? null };
      }),
    ).rejects.toThrow();
    expect(calls).toBe(1);
  });
});

describe('ledger check of books with 20,000 differences (local engine, real steps)', () => {
  /** 16 shards of 625 loans, each loan with two stored positions and no entries behind them: 20,000 differences. */
  const LOANS_PER_SHARD = 625;
  const loanIdsOf = (shard: number) => Array.from({ length: LOANS_PER_SHARD }, (_, i) => `LN-${String(shard).padStart(2, '0')}-${String(i).padStart(6, '0')}`);
  const orphans = (loanId: string): Position[] =>
    ['LENDER-WITH-A-LONG-NAME-A', 'LENDER-WITH-A-LONG-NAME-B'].map((lenderId) => ({ lenderId, loanId, currency: 'CNY', balancesMinor: { PRINCIPAL_RECEIVABLE: 100_000n }, version: 1 }));
  const loans = { loanIdsOfShard: async (shard: number) => loanIdsOf(shard) } as unknown as LoanStore;
  const ledger = { loanLedger: async (loanId: string) => ({ entries: [] as JournalEntry[], positions: orphans(loanId) }) } as unknown as LedgerStore;

  it('keeps every state under 256 KiB, stores all 20,000 and reports the count; the differences page through the report', async () => {
    const stores = createInMemoryStores('2025-04-01T01:00:00.000Z');
    const audit = new InMemoryAuditStore();
    const machine = new StateMachine(runnableDefinition());
    const { result, sizes, largest } = await runMeasured(
      machine,
      { businessDate: '2025-03-31' },
      {
        context: { Execution: { Id: EXECUTION } },
        overrides: {
          taskResourceLocalHandlers: {
            VerifyShard: async (payload) => (await verifyShard({ loans, ledger, runDetails: stores.runDetails }, validate(verifyShardInput, payload))) as unknown as JSONValue,
            RecordReport: async (payload) => toJsonValue(await recordReportStep({ ...stores, audit, auditLog: { error: (message) => expect.fail(message) } }, validate(recordReportInput, payload))),
          },
        },
      },
    );
    expect(result).toEqual({
      businessDate: '2025-03-31',
      status: 'DIFFERENCES',
      loansChecked: 10_000,
      entriesChecked: 0,
      differenceCount: 20_000,
      completedAt: '2025-04-01T01:00:00.000Z',
    });
    // Every state's input and output, each Map iteration's too, measured as JSON.
    expect(sizes.filter((s) => s.state === 'VerifyShard' && s.side === 'output')).toHaveLength(16);
    expect(largest.bytes).toBeLessThan(STATE_DATA_LIMIT_BYTES);
    expect(largest.bytes).toBeLessThan(4 * 1024);
    expect([...stores.runDetails.parts.get('LEDGERCHECK#2025-03-31')!.values()].reduce((n, d) => n + d.length, 0)).toBe(20_000);
    // The report is recorded in the audit trail once, as the check's execution's RecordReport.
    expect(audit.all('2025-04-01').map((r) => [r.action, r.target, r.after, r.lenderIds, r.executionId])).toEqual([
      ['LedgerCheck.RecordReport', { businessDate: '2025-03-31' }, { status: 'DIFFERENCES', loansChecked: 10_000, entriesChecked: 0, differenceCount: 20_000 }, [], EXECUTION],
    ]);

    // The report's differences, 100 a page, every one once, in shard order.
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await getLedgerCheck(stores, '2025-03-31', { limit: 100, ...(cursor === undefined ? {} : { cursor }) });
      expect(page.differences.length).toBeLessThanOrEqual(100);
      seen.push(...page.differences.map((d) => `${d.loanId}/${d.lenderId}`));
      cursor = page.cursor ?? undefined;
      pages += 1;
    } while (cursor !== undefined);
    expect(seen).toHaveLength(20_000);
    expect(new Set(seen).size).toBe(20_000);
    expect(pages).toBe(201);
    expect(seen[0]).toBe('LN-00-000000/LENDER-WITH-A-LONG-NAME-A');
  }, 60_000);

  it('before: the same books put each shard result and the report input far over 256 KiB', () => {
    // What the steps carried when each shard passed its first 1,000 differences on: measured, not assumed.
    const differences = loanIdsOf(0).flatMap((loanId) => orphans(loanId).map((p) => ({ loanId, kind: 'POSITION_WITHOUT_ENTRIES', lenderId: p.lenderId, entryId: null, detail: 'a stored position has no entries behind it' })));
    const shardResult = { shard: 0, loansChecked: LOANS_PER_SHARD, entriesChecked: 0, differenceCount: 1_250, differences: differences.slice(0, 1_000) };
    expect(jsonBytes(shardResult)).toBeGreaterThan(100 * 1024);
    expect(jsonBytes({ businessDate: '2025-03-31', shards: Array.from({ length: 16 }, () => shardResult) })).toBeGreaterThan(STATE_DATA_LIMIT_BYTES * 6);
  });
});
