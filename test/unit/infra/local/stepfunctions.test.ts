import { DescribeExecutionCommand, ListExecutionsCommand, SendTaskFailureCommand, SendTaskHeartbeatCommand, SendTaskSuccessCommand, SFNClient, StartExecutionCommand, StartSyncExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FunctionHost } from '../../../../infra/local/functions.ts';
import type { LocalFunction } from '../../../../infra/local/functions.ts';
import { resolveSyncHostPrefix, startSfnEndpoint } from '../../../../infra/local/sfn-endpoint.ts';
import type { SfnEndpoint } from '../../../../infra/local/sfn-endpoint.ts';
import {
  bindTaskState,
  engineDefinition,
  MAX_TIMER_SECONDS,
  TASK_TIMEOUT_CONTEXT_PATH,
  taskStates,
  stateMachinesFromTemplate,
  taskTiming,
  TIMING_ENVELOPE,
  unboundTaskStates,
} from '../../../../infra/local/state-machines.ts';
import type { AslDefinition, LocalStateMachine } from '../../../../infra/local/state-machines.ts';
import { startExecutionErrorName, StepFunctionsRuntime } from '../../../../infra/local/stepfunctions.ts';
import { functionArn, stateMachineArn, TemplateResolver } from '../../../../infra/local/template.ts';
import { REPOSITORY_ROOT } from '../../../../infra/local/issuer.ts';

const FIXTURES = 'test/unit/infra/local/fixtures';
const fnArn = functionArn;

function localFunction(logicalId: string, entry: string | undefined): LocalFunction {
  return { logicalId, entry, arn: functionArn(logicalId), environment: {}, timeoutSeconds: 5, memoryMb: 128 };
}

class ValueRejectedError extends Error {
  override name = 'ValueRejectedError';
}

const asked: Array<{ token: string; lenderId: string }> = [];

/** Handlers by module file; the host imports them through this loader. */
const modules: Record<string, Record<string, unknown>> = {
  'work-handler.ts': {
    handler: async (event: { value?: number; fail?: boolean; crash?: boolean; errorName?: string; sleepMs?: number }) => {
      if (event.sleepMs) await new Promise((resolve) => setTimeout(resolve, event.sleepMs));
      if (event.errorName) throw Object.assign(new Error(`refused with ${event.errorName}`), { name: event.errorName });
      if (event.fail) throw new ValueRejectedError(`value ${event.value} rejected`);
      if (event.crash) throw new TypeError('boom');
      return { doubled: (event.value ?? 0) * 2 };
    },
  },
  'ask-handler.ts': {
    handler: async (event: { token: string; lenderId: string }) => {
      asked.push(event);
    },
  },
};

const functions = new FunctionHost(
  [localFunction('Work', `${FIXTURES}/work-handler.ts`), localFunction('Ask', `${FIXTURES}/ask-handler.ts`), localFunction('Helper', undefined)],
  { rootDir: REPOSITORY_ROOT, loadModule: async (url) => modules[url.split('/').pop() as string] ?? {} },
);

function machine(logicalId: string, definition: AslDefinition, type: 'STANDARD' | 'EXPRESS' = 'STANDARD'): LocalStateMachine {
  return { logicalId, arn: stateMachineArn(logicalId), type, definition };
}

const retry = [{ ErrorEquals: ['Lambda.ServiceException'], IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2, JitterStrategy: 'FULL' }];

const flow = machine('Flow', {
  StartAt: 'Start',
  States: {
    Start: { Type: 'Pass', Parameters: { 'values.$': '$.values', 'fail.$': '$.fail', 'executionName.$': '$$.Execution.Name' }, Next: 'EachValue' },
    EachValue: {
      Type: 'Map',
      ItemsPath: '$.values',
      ItemSelector: { 'value.$': '$$.Map.Item.Value', 'fail.$': '$.fail' },
      ResultPath: '$.results',
      MaxConcurrency: 2,
      ItemProcessor: {
        ProcessorConfig: { Mode: 'INLINE' },
        StartAt: 'DoubleValue',
        States: { DoubleValue: { Type: 'Task', Resource: fnArn('Work'), Retry: retry, End: true } },
      },
      Catch: [{ ErrorEquals: ['ValueRejectedError'], ResultPath: '$.error', Next: 'Rejected' }],
      Next: 'Wait',
    },
    Wait: { Type: 'Wait', SecondsPath: '$.values[0]', Next: 'Done' },
    Done: { Type: 'Succeed' },
    Rejected: { Type: 'Fail', Error: 'Rejected', Cause: 'A value was rejected' },
  },
});

const crash = machine('Crash', {
  StartAt: 'Invoke',
  States: {
    Invoke: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: fnArn('Work'), 'Payload.$': '$' },
      End: true,
    },
  },
});

const askLender = (lenderId: string, extra: Record<string, unknown> = {}) => ({
  StartAt: `Ask${lenderId}`,
  States: {
    [`Ask${lenderId}`]: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: fnArn('Ask'), Payload: { 'token.$': '$$.Task.Token', lenderId } },
      ResultPath: `$.decision${lenderId}`,
      End: true,
      ...extra,
    },
  },
});

const approval = machine('Approval', {
  StartAt: 'AskLenders',
  States: { AskLenders: { Type: 'Parallel', Branches: [askLender('BankA'), askLender('BankB')], End: true } },
});

const hurried = machine('Hurried', askLender('BankC', { HeartbeatSeconds: 1 }) as unknown as AslDefinition);

const quick = machine(
  'Quick',
  {
    StartAt: 'QuickDouble',
    States: {
      QuickDouble: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: fnArn('Work'), 'Payload.$': '$' }, OutputPath: '$.Payload', End: true },
    },
  },
  'EXPRESS',
);

describe('binding Task states', () => {
  it('finds Task states inside Map and Parallel states', () => {
    expect(taskStates(flow).map((task) => task.stateName)).toEqual(['DoubleValue']);
    expect(taskStates(approval).map((task) => task.stateName)).toEqual(['AskBankA', 'AskBankB']);
    const legacyMap = machine('Legacy', {
      StartAt: 'M',
      States: { M: { Type: 'Map', Iterator: { StartAt: 'T', States: { T: { Type: 'Task', Resource: fnArn('Work'), End: true } } }, End: true } },
    });
    expect(taskStates(legacyMap).map((task) => task.stateName)).toEqual(['T']);
  });

  it('binds Lambda ARNs, lambda:invoke, task tokens, child executions and DynamoDB calls', () => {
    expect(bindTaskState({ Type: 'Task', Resource: fnArn('Work') }, functions)).toEqual({ kind: 'lambda', functionId: 'Work' });
    expect(bindTaskState({ Type: 'Task', Resource: `${fnArn('Work')}:$LATEST` }, functions)).toEqual({ kind: 'lambda', functionId: 'Work' });
    expect(bindTaskState({ Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'Work' } }, functions)).toEqual({
      kind: 'lambda-invoke',
      functionId: 'Work',
      waitForToken: false,
    });
    expect(bindTaskState(taskStates(approval)[0]?.state ?? { Type: 'Task' }, functions)).toEqual({ kind: 'lambda-invoke', functionId: 'Ask', waitForToken: true });
    expect(bindTaskState({ Type: 'Task', Resource: 'arn:aws:states:::states:startExecution.sync:2' }, functions)).toEqual({ kind: 'start-execution', mode: 'sync:2' });
    expect(bindTaskState({ Type: 'Task', Resource: 'arn:aws:states:::dynamodb:putItem' }, functions)).toEqual({ kind: 'dynamodb', operation: 'putItem', errorPrefix: 'DynamoDB' });
    expect(bindTaskState({ Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:dynamodb:transactWriteItems' }, functions)).toEqual({
      kind: 'dynamodb',
      operation: 'transactWriteItems',
      errorPrefix: 'DynamoDb',
    });
  });

  it('reports every Task state it cannot run, with the reason', () => {
    const broken = machine('Broken', {
      StartAt: 'P',
      States: {
        P: {
          Type: 'Parallel',
          End: true,
          Branches: [
            { StartAt: 'Missing', States: { Missing: { Type: 'Task', Resource: fnArn('Nobody'), End: true } } },
            { StartAt: 'NoEntry', States: { NoEntry: { Type: 'Task', Resource: fnArn('Helper'), End: true } } },
            { StartAt: 'Dynamic', States: { Dynamic: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { 'FunctionName.$': '$.fn' }, End: true } } },
            { StartAt: 'Queue', States: { Queue: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken', End: true } } },
          ],
        },
      },
    });
    expect(unboundTaskStates([flow, approval, quick], functions)).toEqual([]);
    expect(unboundTaskStates([broken], functions)).toEqual([
      { stateMachine: 'Broken', stateName: 'Missing', resource: fnArn('Nobody'), reason: `no function ${fnArn('Nobody')} in the template` },
      { stateMachine: 'Broken', stateName: 'NoEntry', resource: fnArn('Helper'), reason: 'function Helper has no colend:entry metadata or its handler module is missing' },
      { stateMachine: 'Broken', stateName: 'Dynamic', resource: 'arn:aws:states:::lambda:invoke', reason: 'the function is chosen at run time, so it cannot be checked' },
      { stateMachine: 'Broken', stateName: 'Queue', resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken', reason: 'the service integration sqs:sendMessage.waitForTaskToken is not available locally' },
    ]);
    expect(() => new StepFunctionsRuntime({ machines: [broken], functions })).toThrow(/Broken\.Missing/);
  });

  it('lets the runtime time every Task state: the engine reads the timeout from the context', () => {
    const adjusted = engineDefinition(approval.definition);
    const branch = (adjusted.States.AskLenders?.Branches as AslDefinition[])[0];
    expect(branch?.States.AskBankA?.TimeoutSecondsPath).toBe(TASK_TIMEOUT_CONTEXT_PATH);
    expect(branch?.States.AskBankA?.TimeoutSeconds).toBeUndefined();
    expect(branch?.States.AskBankA?.Parameters).toEqual(askLender('BankA').States.AskBankA?.Parameters);
    expect(engineDefinition({ StartAt: 'T', TimeoutSeconds: 31_536_000, States: { T: { Type: 'Task', TimeoutSeconds: 30, Resource: 'x', End: true } } })).toEqual({
      StartAt: 'T',
      TimeoutSeconds: MAX_TIMER_SECONDS,
      States: { T: { Type: 'Task', TimeoutSecondsPath: TASK_TIMEOUT_CONTEXT_PATH, Resource: 'x', End: true } },
    });
    expect(approval.definition.States.AskLenders?.Branches).toEqual([askLender('BankA'), askLender('BankB')]);
  });

  it('reads TimeoutSecondsPath and HeartbeatSecondsPath from the state input through an envelope around the Parameters', () => {
    const withParameters = engineDefinition({
      StartAt: 'T',
      States: { T: { Type: 'Task', Resource: 'x', TimeoutSecondsPath: '$.wait', HeartbeatSecondsPath: '$.beat', Parameters: { 'a.$': '$.a', b: 1 }, End: true } },
    });
    expect(withParameters.States.T).toEqual({
      Type: 'Task',
      Resource: 'x',
      TimeoutSecondsPath: TASK_TIMEOUT_CONTEXT_PATH,
      Parameters: { [TIMING_ENVELOPE.input]: { 'a.$': '$.a', b: 1 }, [`${TIMING_ENVELOPE.timeoutSeconds}.$`]: '$.wait', [`${TIMING_ENVELOPE.heartbeatSeconds}.$`]: '$.beat' },
      End: true,
    });
    const direct = engineDefinition({ StartAt: 'T', States: { T: { Type: 'Task', Resource: 'x', TimeoutSecondsPath: '$.wait', End: true } } });
    expect(direct.States.T?.Parameters).toEqual({ [`${TIMING_ENVELOPE.input}.$`]: '$', [`${TIMING_ENVELOPE.timeoutSeconds}.$`]: '$.wait' });
  });

  it('takes the timing of a run from the definition or the envelope, capped to the longest timer', () => {
    const state = { Type: 'Task', TimeoutSecondsPath: '$.wait', HeartbeatSecondsPath: '$.beat' };
    expect(taskTiming('T', state, { [TIMING_ENVELOPE.input]: { a: 1 }, [TIMING_ENVELOPE.timeoutSeconds]: 3, [TIMING_ENVELOPE.heartbeatSeconds]: 2 })).toEqual({
      input: { a: 1 },
      timeoutSeconds: 3,
      heartbeatSeconds: 2,
    });
    expect(taskTiming('T', { Type: 'Task', TimeoutSecondsPath: '$.wait' }, { [TIMING_ENVELOPE.input]: {}, [TIMING_ENVELOPE.timeoutSeconds]: 40 * 86_400 })).toEqual({
      input: {},
      timeoutSeconds: MAX_TIMER_SECONDS,
    });
    expect(taskTiming('T', { Type: 'Task', TimeoutSeconds: 5, HeartbeatSeconds: 1 }, { a: 1 })).toEqual({ input: { a: 1 }, timeoutSeconds: 5, heartbeatSeconds: 1 });
    expect(taskTiming('T', { Type: 'Task' }, { a: 1 })).toEqual({ input: { a: 1 }, timeoutSeconds: MAX_TIMER_SECONDS });
    for (const bad of [0, -1, 1.5, '10', null]) {
      expect(() => taskTiming('T', { Type: 'Task', TimeoutSecondsPath: '$.wait' }, { [TIMING_ENVELOPE.input]: {}, [TIMING_ENVELOPE.timeoutSeconds]: bad })).toThrow(
        /T: TimeoutSeconds must be a positive integer/,
      );
    }
  });
});

describe('the local Step Functions endpoint', () => {
  let runtime: StepFunctionsRuntime;
  let endpoint: SfnEndpoint;
  let client: SFNClient;

  beforeAll(async () => {
    runtime = new StepFunctionsRuntime({ machines: [flow, crash, approval, hurried, quick], functions });
    endpoint = await startSfnEndpoint(runtime);
    client = new SFNClient({ endpoint: endpoint.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  });

  afterAll(async () => {
    client.destroy();
    await runtime.stop();
    await endpoint.close();
  });

  const settled = async (executionArn: string) => {
    await runtime.waitForExecution(executionArn);
    return client.send(new DescribeExecutionCommand({ executionArn }));
  };

  it('runs a Map of Lambda tasks and describes the execution', async () => {
    const started = await client.send(new StartExecutionCommand({ stateMachineArn: flow.arn, name: 'run-1', input: JSON.stringify({ values: [0, 2, 3], fail: false }) }));
    expect(started.executionArn).toBe('arn:aws:states:us-east-1:000000000000:execution:Flow:run-1');
    expect(started.startDate).toBeInstanceOf(Date);
    const described = await settled(started.executionArn ?? '');
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output ?? '')).toEqual({
      values: [0, 2, 3],
      fail: false,
      executionName: 'run-1',
      results: [{ doubled: 0 }, { doubled: 4 }, { doubled: 6 }],
    });
    expect(described.stopDate?.getTime()).toBeGreaterThanOrEqual(described.startDate?.getTime() ?? 0);
    expect(runtime.transitionCounts().Flow).toBeGreaterThanOrEqual(6);
  });

  it('keeps execution names unique as Standard workflows do', async () => {
    const input = JSON.stringify({ values: [1], fail: false });
    const first = await client.send(new StartExecutionCommand({ stateMachineArn: flow.arn, name: 'unique', input }));
    const again = await client.send(new StartExecutionCommand({ stateMachineArn: flow.arn, name: 'unique', input }));
    expect(again.executionArn).toBe(first.executionArn);
    await expect(client.send(new StartExecutionCommand({ stateMachineArn: flow.arn, name: 'unique', input: '{"values":[2],"fail":false}' }))).rejects.toMatchObject({
      name: 'ExecutionAlreadyExists',
    });
    await settled(first.executionArn ?? '');
    await expect(client.send(new StartExecutionCommand({ stateMachineArn: flow.arn, name: 'unique', input }))).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
  });

  it('routes a named error to its Catch and records the failure', async () => {
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: flow.arn, input: JSON.stringify({ values: [1], fail: true }) }));
    const described = await settled(executionArn ?? '');
    expect(described).toMatchObject({ status: 'FAILED', error: 'Rejected', cause: 'A value was rejected' });
  });

  it('reports an unhandled function error as Lambda does', async () => {
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: crash.arn, input: '{"crash":true}' }));
    const described = await settled(executionArn ?? '');
    expect(described.status).toBe('FAILED');
    expect(described.error).toBe('TypeError');
    expect(JSON.parse(described.cause ?? '')).toMatchObject({ errorType: 'TypeError', errorMessage: 'boom' });
  });

  it('lists executions newest first, filtered by status', async () => {
    const page = await client.send(new ListExecutionsCommand({ stateMachineArn: flow.arn, statusFilter: 'FAILED' }));
    expect(page.executions?.every((execution) => execution.status === 'FAILED')).toBe(true);
    const all = await client.send(new ListExecutionsCommand({ stateMachineArn: flow.arn, maxResults: 2 }));
    expect(all.executions).toHaveLength(2);
    expect(all.nextToken).toBeDefined();
    const rest = await client.send(new ListExecutionsCommand({ stateMachineArn: flow.arn, nextToken: all.nextToken }));
    expect(rest.executions?.at(-1)?.name).toBe('run-1');
  });

  it('waits for task tokens answered with SendTaskSuccess and SendTaskFailure', async () => {
    asked.length = 0;
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: approval.arn, input: '{"loanId":"L1"}' }));
    await expect.poll(() => asked.length).toBe(2);
    const byLender = Object.fromEntries(asked.map((entry) => [entry.lenderId, entry.token]));
    expect(byLender.BankA).not.toBe(byLender.BankB);
    expect(runtime.tokens.openTokens(executionArn)).toHaveLength(2);
    await client.send(new SendTaskHeartbeatCommand({ taskToken: byLender.BankA }));
    await client.send(new SendTaskSuccessCommand({ taskToken: byLender.BankA, output: '{"approved":true}' }));
    await client.send(new SendTaskSuccessCommand({ taskToken: byLender.BankB, output: '{"approved":false}' }));
    const described = await settled(executionArn ?? '');
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output ?? '')).toEqual([
      { loanId: 'L1', decisionBankA: { approved: true } },
      { loanId: 'L1', decisionBankB: { approved: false } },
    ]);
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: byLender.BankA, output: '{}' }))).rejects.toMatchObject({ name: 'TaskTimedOut' });
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: 'not-a-token', output: '{}' }))).rejects.toMatchObject({ name: 'InvalidToken' });

    asked.length = 0;
    const second = await client.send(new StartExecutionCommand({ stateMachineArn: approval.arn, input: '{"loanId":"L2"}' }));
    await expect.poll(() => asked.length).toBe(2);
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: asked[0]?.token, output: 'not json' }))).rejects.toMatchObject({ name: 'InvalidOutput' });
    await client.send(new SendTaskFailureCommand({ taskToken: asked[0]?.token, error: 'Declined', cause: 'over the quota' }));
    expect(await settled(second.executionArn ?? '')).toMatchObject({ status: 'FAILED', error: 'Declined', cause: 'over the quota' });
    expect(runtime.tokens.openTokens(second.executionArn)).toEqual([]);
  });

  it('fails a waiting task whose heartbeats stop', async () => {
    asked.length = 0;
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: hurried.arn, input: '{}' }));
    expect(await settled(executionArn ?? '')).toMatchObject({ status: 'FAILED', error: 'States.HeartbeatTimeout' });
  });

  it('stops a running execution', async () => {
    asked.length = 0;
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: approval.arn, input: '{}' }));
    await expect.poll(() => asked.length).toBe(2);
    await client.send(new StopExecutionCommand({ executionArn, error: 'Cancelled', cause: 'by the test' }));
    expect(await settled(executionArn ?? '')).toMatchObject({ status: 'ABORTED', error: 'Cancelled', cause: 'by the test' });
  });

  it('runs Express workflows synchronously, also through the SDK host prefix', async () => {
    const viaOption = new SFNClient({ endpoint: endpoint.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' }, disableHostPrefix: true });
    const result = await viaOption.send(new StartSyncExecutionCommand({ stateMachineArn: quick.arn, input: '{"value":21}' }));
    expect(result).toMatchObject({ status: 'SUCCEEDED', output: '{"doubled":42}' });
    expect(result.executionArn).toMatch(/^arn:aws:states:us-east-1:000000000000:express:Quick:/);
    resolveSyncHostPrefix();
    const result2 = await client.send(new StartSyncExecutionCommand({ stateMachineArn: quick.arn, input: '{"value":1}' }));
    expect(result2.output).toBe('{"doubled":2}');
    await expect(client.send(new StartSyncExecutionCommand({ stateMachineArn: flow.arn, input: '{}' }))).rejects.toMatchObject({ name: 'StateMachineTypeNotSupported' });
    viaOption.destroy();
  });

  it('answers errors by name', async () => {
    await expect(client.send(new StartExecutionCommand({ stateMachineArn: stateMachineArn('Nope'), input: '{}' }))).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
    await expect(client.send(new StartExecutionCommand({ stateMachineArn: flow.arn, input: '{oops' }))).rejects.toMatchObject({ name: 'InvalidExecutionInput' });
    await expect(client.send(new StartExecutionCommand({ stateMachineArn: flow.arn, name: 'has space', input: '{}' }))).rejects.toMatchObject({ name: 'InvalidName' });
    await expect(client.send(new DescribeExecutionCommand({ executionArn: `${flow.arn.replace('stateMachine', 'execution')}:missing` }))).rejects.toMatchObject({
      name: 'ExecutionDoesNotExist',
    });
  });
});

/** A Task state that hands `$$.Task.Token` to the Ask function and waits for the answer. */
const callbackState = (extra: Record<string, unknown>) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
  Parameters: { FunctionName: fnArn('Ask'), Payload: { 'token.$': '$$.Task.Token', 'lenderId.$': '$.lenderId' } },
  ...extra,
});

/** Asks every lender at once; each has `timeoutSeconds` to answer; a timeout is recorded, a failure too. */
const review = machine('Review', {
  StartAt: 'AskAll',
  States: {
    AskAll: {
      Type: 'Map',
      ItemsPath: '$.asks',
      ResultPath: '$.decisions',
      End: true,
      ItemProcessor: {
        ProcessorConfig: { Mode: 'INLINE' },
        StartAt: 'AskOne',
        States: {
          AskOne: callbackState({
            TimeoutSecondsPath: '$.timeoutSeconds',
            // States.TaskFailed matches any error but States.Timeout, as in AWS.
            Catch: [
              { ErrorEquals: ['States.TaskFailed'], ResultPath: '$.error', Next: 'Failed' },
              { ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'TimedOut' },
            ],
            End: true,
          }),
          TimedOut: { Type: 'Pass', Parameters: { 'lenderId.$': '$.lenderId', decision: 'TIMEOUT', 'error.$': '$.error.Error' }, End: true },
          Failed: { Type: 'Pass', Parameters: { 'lenderId.$': '$.lenderId', decision: 'FAILED', 'error.$': '$.error.Error' }, End: true },
        },
      },
    },
  },
});

const deadline = machine('Deadline', { StartAt: 'Ask', States: { Ask: callbackState({ TimeoutSeconds: 1, End: true }) } });
const patient = machine('Patient', { StartAt: 'Ask', States: { Ask: callbackState({ TimeoutSecondsPath: '$.timeoutSeconds', End: true }) } });
const slowWork = machine('SlowWork', {
  StartAt: 'Work',
  States: {
    Work: {
      Type: 'Task',
      Resource: fnArn('Work'),
      TimeoutSecondsPath: '$.limitSeconds',
      Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'TooSlow' }],
      End: true,
    },
    TooSlow: { Type: 'Pass', End: true },
  },
});

/** Reserve (a function that may throw a named error) → Await (a callback) → Booked; named failures → Release. */
const saga = machine('Saga', {
  StartAt: 'Reserve',
  States: {
    Reserve: {
      Type: 'Task',
      Resource: fnArn('Work'),
      Parameters: { 'errorName.$': '$.reserveError' },
      ResultPath: '$.reserved',
      Catch: [{ ErrorEquals: ['QuotaUnavailable'], ResultPath: '$.error', Next: 'Release' }],
      Next: 'Await',
    },
    Await: callbackState({
      TimeoutSecondsPath: '$.timeoutSeconds',
      Catch: [{ ErrorEquals: ['DisbursementFailed', 'DisbursementCancelled', 'States.Timeout'], ResultPath: '$.error', Next: 'Release' }],
      Next: 'Booked',
    }),
    Booked: { Type: 'Succeed' },
    Release: { Type: 'Pass', Parameters: { 'cause.$': '$.error.Error', 'details.$': '$.error.Cause' }, Next: 'Released' },
    Released: { Type: 'Succeed' },
  },
});

const child = machine('Child', { StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } });
const holding = machine('Holding', { StartAt: 'Hold', States: { Hold: callbackState({ End: true }) } });
const parent = machine('Parent', {
  StartAt: 'StartChild',
  States: {
    StartChild: {
      Type: 'Task',
      Resource: 'arn:aws:states:::states:startExecution',
      Parameters: { 'StateMachineArn.$': '$.target', 'Name.$': '$.id', Input: { 'id.$': '$.id', 'lenderId.$': '$.id' } },
      ResultPath: '$.started',
      Catch: [{ ErrorEquals: ['StepFunctions.ExecutionAlreadyExistsException'], ResultPath: '$.error', Next: 'AlreadyStarted' }],
      Next: 'Started',
    },
    Started: { Type: 'Succeed' },
    AlreadyStarted: { Type: 'Succeed' },
  },
});

describe('callbacks, timeouts, named errors and child executions', () => {
  let runtime: StepFunctionsRuntime;
  let endpoint: SfnEndpoint;
  let client: SFNClient;

  beforeAll(async () => {
    runtime = new StepFunctionsRuntime({ machines: [review, deadline, patient, slowWork, saga, child, holding, parent], functions });
    endpoint = await startSfnEndpoint(runtime);
    client = new SFNClient({ endpoint: endpoint.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  });

  afterAll(async () => {
    client.destroy();
    await runtime.stop();
    await endpoint.close();
  });

  const start = async (target: LocalStateMachine, input: unknown, name?: string): Promise<string> =>
    (await client.send(new StartExecutionCommand({ stateMachineArn: target.arn, input: JSON.stringify(input), name }))).executionArn ?? '';
  const settled = async (executionArn: string) => {
    await runtime.waitForExecution(executionArn);
    return client.send(new DescribeExecutionCommand({ executionArn }));
  };
  const tokenOf = (lenderId: string): string => asked.find((entry) => entry.lenderId === lenderId)?.token ?? '';

  it('waits for each item of a Map until its TimeoutSecondsPath, then raises States.Timeout, which States.TaskFailed does not catch', async () => {
    asked.length = 0;
    const startedAt = Date.now();
    const executionArn = await start(review, {
      asks: [
        { lenderId: 'A', timeoutSeconds: 30 },
        { lenderId: 'B', timeoutSeconds: 1 },
        { lenderId: 'C', timeoutSeconds: 30 },
      ],
    });
    await expect.poll(() => asked.length).toBe(3);
    await client.send(new SendTaskSuccessCommand({ taskToken: tokenOf('A'), output: '{"lenderId":"A","decision":"APPROVE"}' }));
    await client.send(new SendTaskFailureCommand({ taskToken: tokenOf('C'), error: 'Declined', cause: 'over the limit' }));
    const described = await settled(executionArn);
    expect(described.status).toBe('SUCCEEDED');
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1000);
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    expect(JSON.parse(described.output ?? '').decisions).toEqual([
      { lenderId: 'A', decision: 'APPROVE' },
      { lenderId: 'B', decision: 'TIMEOUT', error: 'States.Timeout' },
      { lenderId: 'C', decision: 'FAILED', error: 'Declined' },
    ]);
    // The deadline passed: a late answer is refused as in AWS.
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: tokenOf('B'), output: '{}' }))).rejects.toMatchObject({ name: 'TaskTimedOut' });
  });

  it('refuses an answer once the deadline has passed, even while the execution goes on', async () => {
    asked.length = 0;
    const executionArn = await start(review, { asks: [{ lenderId: 'late', timeoutSeconds: 1 }, { lenderId: 'open', timeoutSeconds: 30 }] });
    await expect.poll(() => asked.length).toBe(2);
    await expect.poll(() => runtime.tokens.openTokens(executionArn).length, { timeout: 5000 }).toBe(1);
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: tokenOf('late'), output: '{}' }))).rejects.toMatchObject({ name: 'TaskTimedOut' });
    expect((await client.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');
    await client.send(new SendTaskSuccessCommand({ taskToken: tokenOf('open'), output: '{"decision":"APPROVE"}' }));
    expect(JSON.parse((await settled(executionArn)).output ?? '').decisions).toEqual([
      { lenderId: 'late', decision: 'TIMEOUT', error: 'States.Timeout' },
      { decision: 'APPROVE' },
    ]);
  });

  it('honours a fixed TimeoutSeconds: without a Catch the execution fails with States.Timeout', async () => {
    asked.length = 0;
    const executionArn = await start(deadline, { lenderId: 'D' });
    expect(await settled(executionArn)).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: tokenOf('D'), output: '{}' }))).rejects.toMatchObject({ name: 'TaskTimedOut' });
  });

  it('keeps waiting through a timeout longer than any timer, capped instead of overflowing', async () => {
    asked.length = 0;
    const executionArn = await start(patient, { lenderId: 'P', timeoutSeconds: 3_000_000_000 });
    await expect.poll(() => asked.length).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await client.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');
    await client.send(new SendTaskSuccessCommand({ taskToken: tokenOf('P'), output: '{"ok":true}' }));
    expect(await settled(executionArn)).toMatchObject({ status: 'SUCCEEDED', output: '{"ok":true}' });
  });

  it('fails the execution with States.Runtime when the timeout path does not hold a positive integer', async () => {
    expect(await settled(await start(patient, { lenderId: 'Z', timeoutSeconds: 0 }))).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    expect(await settled(await start(patient, { lenderId: 'Z' }))).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
  });

  it('times a function task by TimeoutSecondsPath read from its input', async () => {
    const executionArn = await start(slowWork, { limitSeconds: 1, sleepMs: 1500 });
    const described = await settled(executionArn);
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output ?? '').error).toEqual({ Error: 'States.Timeout', Cause: expect.any(String) });
    const quickRun = await settled(await start(slowWork, { limitSeconds: 5, value: 2 }));
    // The function received the state input itself, not the envelope the engine built around it.
    expect(JSON.parse(quickRun.output ?? '')).toEqual({ doubled: 4 });
  });

  it("catches an error a handler throws by the Error's name, with Lambda's payload as the cause", async () => {
    const described = await settled(await start(saga, { reserveError: 'QuotaUnavailable', lenderId: 'S', timeoutSeconds: 5 }));
    expect(described.status).toBe('SUCCEEDED');
    const output = JSON.parse(described.output ?? '') as { cause: string; details: string };
    expect(output.cause).toBe('QuotaUnavailable');
    expect(JSON.parse(output.details)).toMatchObject({ errorType: 'QuotaUnavailable', errorMessage: 'refused with QuotaUnavailable' });
  });

  it('fails a waiting task with the error name given to SendTaskFailure, or with States.Timeout, both caught by name', async () => {
    asked.length = 0;
    const failed = await start(saga, { reserveError: null, lenderId: 'F', timeoutSeconds: 30 });
    await expect.poll(() => asked.length).toBe(1);
    await client.send(new SendTaskFailureCommand({ taskToken: tokenOf('F'), error: 'DisbursementFailed', cause: 'bank rejected the transfer' }));
    expect(JSON.parse((await settled(failed)).output ?? '')).toEqual({ cause: 'DisbursementFailed', details: 'bank rejected the transfer' });

    const expired = await start(saga, { reserveError: null, lenderId: 'E', timeoutSeconds: 1 });
    expect(JSON.parse((await settled(expired)).output ?? '')).toMatchObject({ cause: 'States.Timeout' });

    asked.length = 0;
    const booked = await start(saga, { reserveError: null, lenderId: 'B', timeoutSeconds: 30 });
    await expect.poll(() => asked.length).toBe(1);
    await client.send(new SendTaskSuccessCommand({ taskToken: tokenOf('B'), output: '{"disbursementReference":"R1"}' }));
    expect(JSON.parse((await settled(booked)).output ?? '')).toEqual({ disbursementReference: 'R1' });
  });

  it('starts another state machine by execution name, and reports a duplicate name as StepFunctions.ExecutionAlreadyExistsException', async () => {
    const first = await settled(await start(parent, { id: 'APP-1', target: child.arn }));
    expect(first.status).toBe('SUCCEEDED');
    const childArn = 'arn:aws:states:us-east-1:000000000000:execution:Child:APP-1';
    expect(JSON.parse(first.output ?? '').started).toEqual({ ExecutionArn: childArn, StartDate: expect.any(String) });
    const childRun = await settled(childArn);
    expect(childRun).toMatchObject({ status: 'SUCCEEDED', name: 'APP-1' });
    expect(JSON.parse(childRun.input ?? '')).toEqual({ id: 'APP-1', lenderId: 'APP-1' });

    const again = await settled(await start(parent, { id: 'APP-1', target: child.arn }));
    expect(again.status).toBe('SUCCEEDED');
    expect(JSON.parse(again.output ?? '').error).toEqual({ Error: 'StepFunctions.ExecutionAlreadyExistsException', Cause: expect.stringContaining('APP-1') });

    const missing = await settled(await start(parent, { id: 'APP-2', target: stateMachineArn('Nowhere') }));
    expect(missing).toMatchObject({ status: 'FAILED', error: 'StepFunctions.StateMachineDoesNotExistException' });
    expect(startExecutionErrorName('ExecutionAlreadyExists')).toBe('StepFunctions.ExecutionAlreadyExistsException');
    expect(startExecutionErrorName('InvalidName')).toBe('StepFunctions.InvalidNameException');
  });

  it('returns the running execution for the same name and input, as StartExecution does', async () => {
    asked.length = 0;
    const first = await settled(await start(parent, { id: 'HOLD-1', target: holding.arn }));
    const second = await settled(await start(parent, { id: 'HOLD-1', target: holding.arn }));
    const childArn = 'arn:aws:states:us-east-1:000000000000:execution:Holding:HOLD-1';
    expect(JSON.parse(first.output ?? '').started.ExecutionArn).toBe(childArn);
    expect(JSON.parse(second.output ?? '').started.ExecutionArn).toBe(childArn);
    await expect.poll(() => asked.length).toBe(1);
    await client.send(new SendTaskSuccessCommand({ taskToken: tokenOf('HOLD-1'), output: '{}' }));
    expect((await settled(childArn)).status).toBe('SUCCEEDED');
  });
});

describe('executions running when the runtime stops, with a journal (--persist)', () => {
  /** Two steps that may each run again: work that takes 300 ms, then work that doubles. */
  const steps = (resumesFromFirstState: boolean): LocalStateMachine => ({
    ...machine(resumesFromFirstState ? 'Resumable' : 'Plain', {
      StartAt: 'Slow',
      States: {
        Slow: { Type: 'Task', Resource: fnArn('Work'), Parameters: { 'value.$': '$.value', sleepMs: 300 }, ResultPath: null, Next: 'Double' },
        Double: { Type: 'Task', Resource: fnArn('Work'), Parameters: { 'value.$': '$.value' }, End: true },
      },
    }),
    resumesFromFirstState,
  });
  const arnOf = (m: LocalStateMachine, name: string) => `arn:aws:states:us-east-1:000000000000:execution:${m.logicalId}:${name}`;
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'colend-resume-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a state machine as resumable only from its metadata colend:resume = FROM_FIRST_STATE', () => {
    const definition = JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } });
    const resource = (metadata?: Record<string, unknown>) => ({ Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: definition }, ...(metadata ? { Metadata: metadata } : {}) });
    const template = {
      Resources: {
        Marked: resource({ 'colend:resume': 'FROM_FIRST_STATE' }),
        OtherValue: resource({ 'colend:resume': 'YES' }),
        Unmarked: resource(),
      },
    };
    expect(stateMachinesFromTemplate(new TemplateResolver(template)).map((m) => [m.logicalId, m.resumesFromFirstState])).toEqual([
      ['Marked', true],
      ['OtherValue', false],
      ['Unmarked', false],
    ]);
  });

  it('starts again, from the first state with the same name and input, an execution of a state machine marked resumable; leaves the others stopped with the reason', async () => {
    const journal = join(dir, 'executions.json');
    const [resumable, plain] = [steps(true), steps(false)];
    const first = new StepFunctionsRuntime({ machines: [resumable, plain], functions, journal });
    first.startExecution({ stateMachineArn: resumable.arn, name: 'settle-1', input: '{"value":21}' });
    first.startExecution({ stateMachineArn: plain.arn, name: 'plain-1', input: '{"value":4}' });
    await first.stop(); // in the middle of Slow: both are aborted and stay in the journal
    expect(first.describeExecution(arnOf(resumable, 'settle-1')).status).toBe('ABORTED');
    const journaled = (JSON.parse(readFileSync(journal, 'utf8')) as { executions: { name: string }[] }).executions.map((e) => e.name);
    expect(journaled.sort()).toEqual(['plain-1', 'settle-1']);

    const second = new StepFunctionsRuntime({ machines: [resumable, plain], functions, journal });
    const { resumed, notResumed } = second.resumeInFlight();
    expect(resumed.map((e) => [e.stateMachine, e.name, e.input])).toEqual([['Resumable', 'settle-1', '{"value":21}']]);
    expect(notResumed.map((e) => [e.name, e.reason])).toEqual([
      [
        'plain-1',
        'it was stopped in the middle of its work, and only workflows that wait for a partner or the lead, or whose steps may all run again (the settlement), are resumed: start it again (a daily run: with "restart": true)',
      ],
    ]);
    const done = await second.waitForExecution(arnOf(resumable, 'settle-1'));
    expect([done.status, done.output, done.input]).toEqual(['SUCCEEDED', '{"doubled":42}', '{"value":21}']);
    // Ended, it leaves the journal; the one not resumed is dropped from it too (named once, in the log).
    expect(JSON.parse(readFileSync(journal, 'utf8'))).toEqual({ executions: [] });
    await second.stop();
  });
});
