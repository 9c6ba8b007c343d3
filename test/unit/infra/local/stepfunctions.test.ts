import { DescribeExecutionCommand, ListExecutionsCommand, SendTaskFailureCommand, SendTaskHeartbeatCommand, SendTaskSuccessCommand, SFNClient, StartExecutionCommand, StartSyncExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FunctionHost } from '../../../../infra/local/functions.ts';
import type { LocalFunction } from '../../../../infra/local/functions.ts';
import { resolveSyncHostPrefix, startSfnEndpoint } from '../../../../infra/local/sfn-endpoint.ts';
import type { SfnEndpoint } from '../../../../infra/local/sfn-endpoint.ts';
import { bindTaskState, engineDefinition, MAX_TIMER_SECONDS, StepFunctionsRuntime, taskStates, unboundTaskStates } from '../../../../infra/local/stepfunctions.ts';
import type { AslDefinition, LocalStateMachine } from '../../../../infra/local/stepfunctions.ts';
import { functionArn, stateMachineArn } from '../../../../infra/local/template.ts';
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
    handler: async (event: { value?: number; fail?: boolean; crash?: boolean }) => {
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

  it('gives Task states without a timeout the longest timer instead of the engine default', () => {
    const adjusted = engineDefinition(approval.definition);
    const branch = (adjusted.States.AskLenders?.Branches as AslDefinition[])[0];
    expect(branch?.States.AskBankA?.TimeoutSeconds).toBe(MAX_TIMER_SECONDS);
    expect(engineDefinition({ StartAt: 'T', TimeoutSeconds: 31_536_000, States: { T: { Type: 'Task', TimeoutSeconds: 30, Resource: 'x', End: true } } })).toMatchObject({
      TimeoutSeconds: MAX_TIMER_SECONDS,
      States: { T: { TimeoutSeconds: 30 } },
    });
    expect(approval.definition.States.AskLenders?.Branches).toEqual([askLender('BankA'), askLender('BankB')]);
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
