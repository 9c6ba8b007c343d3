import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, SendTaskSuccessCommand, SFNClient, StartExecutionCommand, StartSyncExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, startLocalStack } from '../../../../infra/local/stack.ts';
import type { LocalStack } from '../../../../infra/local/stack.ts';
import { LOCAL_TOKEN_HEADER } from '../../../../infra/local/state-file.ts';
import { stateMachinesFromTemplate, unboundTaskStates } from '../../../../infra/local/state-machines.ts';
import { comparableSpec, listTableNames, tableSpecFromDescription, tableSpecsFromTemplate } from '../../../../infra/local/tables.ts';
import { TemplateResolver } from '../../../../infra/local/template.ts';
import type { CfnTemplate } from '../../../../infra/local/template.ts';
import { synthesizeFixtureTemplate } from './fixture-stack.ts';

/** The whole local stack on a small synthesized stack with one of everything. */

const registry = globalThis as typeof globalThis & { askedTokens?: Array<{ token: string; lenderId: string }> };

let template: CfnTemplate;
let stack: LocalStack;
let persistDir: string;
let dynamo: DynamoDBClient;
const logs: string[] = [];
const previousHome = process.env.COLEND_HOME;

function idOf(type: string, prefix: string): string {
  const found = Object.entries(template.Resources ?? {}).find(([id, resource]) => resource.Type === type && id.startsWith(prefix));
  if (!found) throw new Error(`no ${type} ${prefix}`);
  return found[0];
}

beforeAll(async () => {
  template = synthesizeFixtureTemplate();
  persistDir = mkdtempSync(join(tmpdir(), 'colend-stack-'));
  process.env.COLEND_HOME = join(persistDir, 'home');
  stack = await startLocalStack({ template, persistDir, runSchedules: false, log: (line) => logs.push(line) });
  dynamo = new DynamoDBClient({ endpoint: stack.dynamodbEndpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
});

afterAll(async () => {
  dynamo?.destroy();
  await stack?.stop();
  if (previousHome === undefined) delete process.env.COLEND_HOME;
  else process.env.COLEND_HOME = previousHome;
  rmSync(persistDir, { recursive: true, force: true });
});

async function call(path: string, init: RequestInit & { token?: string } = {}) {
  const headers = new Headers(init.headers);
  if (init.token) headers.set('authorization', `Bearer ${init.token}`);
  if (path.startsWith('/local/')) headers.set(LOCAL_TOKEN_HEADER, stack.localToken);
  const response = await fetch(`${stack.baseUrl}${path}`, { ...init, headers });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

describe('the local stack on a synthesized template', () => {
  it('creates exactly the tables of the template', async () => {
    const specs = tableSpecsFromTemplate(new TemplateResolver(template));
    expect(specs.map((spec) => spec.tableName)).toEqual([idOf('AWS::DynamoDB::Table', 'Items')]);
    expect(stack.tables.created.map((spec) => spec.tableName)).toEqual(specs.map((spec) => spec.tableName));
    expect((await listTableNames(dynamo)).sort()).toEqual(specs.map((spec) => spec.tableName).sort());
    for (const spec of specs) {
      const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: spec.tableName }));
      expect(tableSpecFromDescription(spec.logicalId, Table ?? {})).toEqual(comparableSpec(spec));
    }
    expect(specs[0]).toMatchObject({ streamViewType: 'NEW_AND_OLD_IMAGES', timeToLiveAttribute: 'expiresAt', billingMode: 'PAY_PER_REQUEST' });
    expect(specs[0]?.globalSecondaryIndexes.map((index) => index.indexName)).toEqual(['gsi1', 'byOwner']);
  });

  it('loads the handlers while DynamoDB Local starts, and creates the tables once it answers', () => {
    const phases = ['template ready', 'functions and state machines bound', 'handlers loaded', 'DynamoDB Local answers on', 'tables ready'];
    const at = phases.map((name) => logs.findIndex((line) => line.startsWith(name)));
    expect(at.filter((index) => index < 0)).toEqual([]);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(logs[at[3]!]).toMatch(new RegExp(`^DynamoDB Local answers on ${stack.dynamodbEndpoint} \\(data in .+\\) \\(\\d+ ms\\)$`));
  });

  it('binds every Task state to a handler module', () => {
    expect(unboundTaskStates(stateMachinesFromTemplate(new TemplateResolver(template)), stack.functions)).toEqual([]);
    expect(stack.stepFunctions.stateMachines.map((machine) => machine.logicalId).sort()).toEqual(
      [idOf('AWS::StepFunctions::StateMachine', 'Approval'), idOf('AWS::StepFunctions::StateMachine', 'Flow'), idOf('AWS::StepFunctions::StateMachine', 'Quick')].sort(),
    );
  });

  it('serves the routes with payload format 2.0 events and the JWT authorizer', async () => {
    const lead = await stack.mintToken({ scopes: ['lead'] });
    const partner = await stack.mintToken({ scopes: ['partner'], lenderId: 'BANK_A' });
    const item = await call('/items/ITEM%201?x=1', { token: partner });
    expect(item.status).toBe(201);
    expect(item.headers.get('x-echo')).toBe('yes');
    expect(item.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2']);
    const echoed = item.json as { event: Record<string, unknown>; table: string; endpoint: string };
    expect(echoed.table).toBe(idOf('AWS::DynamoDB::Table', 'Items'));
    expect(echoed.endpoint).toBe(stack.dynamodbEndpoint);
    expect(echoed.event).toMatchObject({
      version: '2.0',
      routeKey: 'GET /items/{itemId}',
      rawPath: '/items/ITEM%201',
      rawQueryString: 'x=1',
      pathParameters: { itemId: 'ITEM 1' },
      queryStringParameters: { x: '1' },
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        apiId: idOf('AWS::ApiGatewayV2::Api', 'Api'),
        stage: '$default',
        http: { method: 'GET', path: '/items/ITEM%201', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1' },
        authorizer: { jwt: { claims: { client_id: 'local-partner-BANK_A', lender_id: 'BANK_A', scope: 'colend/partner' }, scopes: ['colend/partner'] } },
      },
    });

    expect((await call('/items', { method: 'POST', token: partner, body: '{}' })).status).toBe(403);
    expect((await call('/items', { method: 'POST', token: lead, body: '{"a":1}' })).status).toBe(201);
    expect(await call('/signed')).toMatchObject({ status: 401, json: { message: 'Unauthorized' } });
    expect((await call('/signed', { token: partner })).json?.event).toMatchObject({ requestContext: { authorizer: { jwt: { scopes: null } } } });
    expect((await call('/items/special')).json?.event).toMatchObject({ routeKey: 'GET /items/special' });
    expect((await call('/files/a/b.txt')).json?.event).toMatchObject({ pathParameters: { path: 'a/b.txt' } });
    expect(await call('/echo/plain', { method: 'PUT' })).toMatchObject({ status: 200, json: { plain: true } });
    expect(await call('/echo/throw')).toMatchObject({ status: 500, json: { message: 'Internal Server Error' } });
    expect(await call('/nowhere')).toMatchObject({ status: 404, json: { message: 'Not Found' } });
    expect(await call('/health')).toMatchObject({ status: 200, json: { status: 'ok' } });
  });

  it('runs the Map workflow when its schedule fires, with the scheduled time in its input', async () => {
    const scheduleId = idOf('AWS::Scheduler::Schedule', 'Daily');
    expect(stack.scheduler.nextFireTime(scheduleId, new Date('2026-11-02T12:00:00Z'))?.toISOString()).toBe('2026-11-02T17:00:00.000Z');
    const fired = await stack.scheduler.fire(scheduleId, '2026-11-02T17:00:00.000Z');
    const record = await stack.stepFunctions.waitForExecution(fired.executionArn ?? '');
    expect(record.status).toBe('SUCCEEDED');
    expect(JSON.parse(record.output ?? '')).toMatchObject({
      scheduledTime: '2026-11-02T17:00:00Z',
      results: [
        { value: 1, doubled: 2, functionName: idOf('AWS::Lambda::Function', 'Work') },
        { value: 2, doubled: 4 },
      ],
    });
  });

  it('lets handlers use the real SDK clients unchanged, task tokens included', async () => {
    const sfn = new SFNClient({});
    registry.askedTokens = [];
    const approvalArn = stack.stepFunctions.stateMachines.find((machine) => machine.logicalId.startsWith('Approval'))?.arn;
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: approvalArn, name: 'loan-L1', input: '{"loanId":"L1"}' }));
    await expect.poll(() => registry.askedTokens?.length).toBe(2);
    for (const asked of registry.askedTokens ?? []) {
      await sfn.send(new SendTaskSuccessCommand({ taskToken: asked.token, output: JSON.stringify({ lenderId: asked.lenderId, approved: true }) }));
    }
    await stack.stepFunctions.waitForExecution(executionArn ?? '');
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output ?? '')).toEqual([
      { loanId: 'L1', decisionBankA: { lenderId: 'BankA', approved: true } },
      { loanId: 'L1', decisionBankB: { lenderId: 'BankB', approved: true } },
    ]);

    const quickArn = stack.stepFunctions.stateMachines.find((machine) => machine.logicalId.startsWith('Quick'))?.arn;
    const sync = await sfn.send(new StartSyncExecutionCommand({ stateMachineArn: quickArn, input: '{"value":5}' }));
    expect(sync.status).toBe('SUCCEEDED');
    expect(JSON.parse(sync.output ?? '')).toMatchObject({ value: 5, doubled: 10 });
    sfn.destroy();

    await new DynamoDBClient({}).send(new PutItemCommand({ TableName: idOf('AWS::DynamoDB::Table', 'Items'), Item: { pk: { S: 'kept' }, sk: { S: 'item' } } }));
  });

  it('gives handlers a local EventBridge endpoint and lists what they put on the bus at /local/events', async () => {
    const busName = stack.events.busNames.find((name) => name !== 'default') ?? '';
    expect(busName).toMatch(/^FixtureBus[0-9A-F]{8}$/);
    const published = await call('/echo/publish', { method: 'POST', body: JSON.stringify({ applicationId: 'APP-1', lenderId: 'BANK_A' }) });
    expect(published.json).toMatchObject({ status: 200, result: { FailedEntryCount: 0, Entries: [{ EventId: expect.any(String) }] } });
    await call('/echo/publish', { method: 'POST', body: JSON.stringify({ applicationId: 'APP-1', lenderId: 'BANK_B' }) });
    expect(stack.eventsEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const listed = await call('/local/events?detailType=echo.published');
    expect(listed.status).toBe(200);
    const events = (listed.json as { events: Array<Record<string, unknown>> }).events;
    expect(events.map((event) => event.detail)).toEqual([
      { applicationId: 'APP-1', lenderId: 'BANK_A' },
      { applicationId: 'APP-1', lenderId: 'BANK_B' },
    ]);
    expect(events[0]).toMatchObject({ source: 'colend.test', 'detail-type': 'echo.published', eventBusName: busName, account: '000000000000', region: 'us-east-1' });
    expect((await call('/local/events?detailType=nothing')).json).toEqual({ events: [], put: 2 });
    expect(((await call('/local/events')).json as { events: unknown[] }).events).toHaveLength(2);
  });

  it('counts invocations per function', () => {
    const counts = stack.invocationCounts();
    expect(counts[idOf('AWS::Lambda::Function', 'Work')]).toBe(3);
    expect(counts[idOf('AWS::Lambda::Function', 'Ask')]).toBe(2);
    expect(counts[idOf('AWS::Lambda::Function', 'Echo')]).toBe(9);
  });

  it('keeps persisted tables and their items across a restart, and leaves no emulator behind', async () => {
    const endpoint = stack.dynamodbEndpoint;
    // An execution waiting for two answers when the stack stops: resumed by the next start.
    registry.askedTokens = [];
    const approvalArn = stack.stepFunctions.stateMachines.find((machine) => machine.logicalId.startsWith('Approval'))?.arn ?? '';
    const waiting = stack.stepFunctions.startExecution({ stateMachineArn: approvalArn, name: 'loan-L2', input: '{"loanId":"L2"}' });
    await expect.poll(() => registry.askedTokens?.length).toBe(2);
    await stack.stop();
    expect(stack.stepFunctions.describeExecution(waiting.executionArn).status).toBe('ABORTED');
    registry.askedTokens = [];
    await expect(fetch(endpoint, { method: 'POST', body: '{}' })).rejects.toThrow();
    stack = await startLocalStack({ template, persistDir, runSchedules: false, log: (line) => logs.push(line) });
    expect(stack.tables.created).toEqual([]);
    expect(stack.tables.existing.map((spec) => spec.tableName)).toEqual([idOf('AWS::DynamoDB::Table', 'Items')]);
    dynamo.destroy();
    dynamo = new DynamoDBClient({ endpoint: stack.dynamodbEndpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
    const { Item } = await dynamo.send(new GetItemCommand({ TableName: idOf('AWS::DynamoDB::Table', 'Items'), Key: { pk: { S: 'kept' }, sk: { S: 'item' } } }));
    expect(Item?.pk?.S).toBe('kept');

    expect(logs).toContainEqual(expect.stringMatching(/^resumed Approval[0-9A-F]{8} loan-L2 \(started .+\), from its first state$/));
    await expect.poll(() => registry.askedTokens?.length).toBe(2);
    for (const asked of registry.askedTokens ?? []) stack.stepFunctions.sendTaskSuccess(asked.token, JSON.stringify({ lenderId: asked.lenderId, approved: true }));
    const resumed = await stack.stepFunctions.waitForExecution(waiting.executionArn);
    expect(resumed.status).toBe('SUCCEEDED');
    expect(JSON.parse(resumed.output ?? '')).toEqual([
      { loanId: 'L2', decisionBankA: { lenderId: 'BankA', approved: true } },
      { loanId: 'L2', decisionBankB: { lenderId: 'BankB', approved: true } },
    ]);
  });
});
