import { describe, expect, it } from 'vitest';
import { CLIENTS_CONTEXT_KEY, DEFAULT_CLIENTS, LOCAL_STAGE, STAGE_CONTEXT_KEY, WORKFLOW_LOGS_CONTEXT_KEY, loadStageConfig, parseClients } from '../../infra/config.ts';

const contextOf =
  (values: Record<string, unknown>) =>
  (key: string): unknown =>
    values[key];

describe('stage config', () => {
  it('defaults to the dev stage, a lead-ops and a platform finance client, and the 01:00 Asia/Shanghai ledger check', () => {
    const config = loadStageConfig(contextOf({}));
    expect(config.stageName).toBe('dev');
    expect(config.clients).toEqual(DEFAULT_CLIENTS);
    expect(config.clients).toEqual([
      { name: 'lead-ops', scopes: ['lead'] },
      { name: 'platform-finance', scopes: ['finance'] },
    ]);
    expect(config.ledgerCheck).toEqual({
      scheduleExpression: 'cron(0 1 * * ? *)',
      timeZone: 'Asia/Shanghai',
      shardCount: 16,
      maxConcurrency: 4,
    });
  });

  it('gathers the settlement with a Distributed Map on every stage but the local one, whose engine runs none', () => {
    expect(loadStageConfig(contextOf({})).settlement).toEqual({ scheduleExpression: 'cron(0 23 * * ? *)', timeZone: 'Asia/Shanghai', maxConcurrency: 4, shardMap: 'DISTRIBUTED' });
    expect(loadStageConfig(contextOf({ [STAGE_CONTEXT_KEY]: 'prod' })).settlement.shardMap).toBe('DISTRIBUTED');
    expect(loadStageConfig(contextOf({ [STAGE_CONTEXT_KEY]: LOCAL_STAGE })).settlement.shardMap).toBe('INLINE');
  });

  it('logs workflow failures without execution data unless colend:workflowLogs asks for ALL (without data) or ALL_WITH_DATA', () => {
    expect(loadStageConfig(contextOf({})).workflowLogs).toEqual({ level: 'ERROR', includeExecutionData: false });
    expect(loadStageConfig(contextOf({ [WORKFLOW_LOGS_CONTEXT_KEY]: 'ERROR' })).workflowLogs).toEqual({ level: 'ERROR', includeExecutionData: false });
    expect(loadStageConfig(contextOf({ [WORKFLOW_LOGS_CONTEXT_KEY]: 'ALL' })).workflowLogs).toEqual({ level: 'ALL', includeExecutionData: false });
    expect(loadStageConfig(contextOf({ [WORKFLOW_LOGS_CONTEXT_KEY]: 'ALL_WITH_DATA' })).workflowLogs).toEqual({ level: 'ALL', includeExecutionData: true });
    expect(() => loadStageConfig(contextOf({ [WORKFLOW_LOGS_CONTEXT_KEY]: 'all' }))).toThrow('Invalid colend:workflowLogs: "all" is not one of ERROR, ALL, ALL_WITH_DATA');
    expect(() => loadStageConfig(contextOf({ [WORKFLOW_LOGS_CONTEXT_KEY]: true }))).toThrow('Invalid colend:workflowLogs: true is not one of ERROR, ALL, ALL_WITH_DATA');
  });

  it('reads clients from colend:clients as JSON text (-c) or as an array (cdk.json)', () => {
    const clients = [
      { name: 'lead-ops', scopes: ['lead'] },
      { name: 'bank-a', scopes: ['partner'], lenderId: 'LENDER-A' },
    ];
    expect(loadStageConfig(contextOf({ [CLIENTS_CONTEXT_KEY]: JSON.stringify(clients) })).clients).toEqual(clients);
    expect(loadStageConfig(contextOf({ [CLIENTS_CONTEXT_KEY]: clients })).clients).toEqual(clients);
    expect(loadStageConfig(contextOf({ [STAGE_CONTEXT_KEY]: 'prod' })).stageName).toBe('prod');
  });

  it('refuses a partner client without a lender, an unknown scope, duplicate names and unknown fields', () => {
    expect(() => parseClients([{ name: 'bank-a', scopes: ['partner'] }])).toThrow(/lenderId/);
    expect(() => parseClients([{ name: 'ops', scopes: ['admin'] }])).toThrow(/colend:clients/);
    expect(() => parseClients([{ name: 'ops', scopes: [] }])).toThrow(/colend:clients/);
    expect(() =>
      parseClients([
        { name: 'ops', scopes: ['lead'] },
        { name: 'ops', scopes: ['finance'] },
      ]),
    ).toThrow(/unique/);
    expect(() => parseClients([{ name: 'ops', scopes: ['lead'], lender: 'x' }])).toThrow(/colend:clients/);
    expect(() => parseClients([{ name: 'Ops Team', scopes: ['lead'] }])).toThrow(/colend:clients/);
    expect(() => parseClients([])).toThrow(/colend:clients/);
    expect(() => loadStageConfig(contextOf({ [STAGE_CONTEXT_KEY]: 'Prod!' }))).toThrow(/colend:stage/);
  });
});

describe('stage options of the edges', () => {
  const load = (context: Record<string, unknown>) => loadStageConfig((key) => context[key]);

  it('encrypts with AWS-managed keys unless colend:customerManagedKeys is true (a value or the text of -c)', () => {
    expect(load({}).encryption).toEqual({ customerManagedKeys: false });
    expect(load({ 'colend:customerManagedKeys': true }).encryption).toEqual({ customerManagedKeys: true });
    expect(load({ 'colend:customerManagedKeys': 'true' }).encryption).toEqual({ customerManagedKeys: true });
    expect(load({ 'colend:customerManagedKeys': 'false' }).encryption).toEqual({ customerManagedKeys: false });
    expect(() => load({ 'colend:customerManagedKeys': 'yes' })).toThrow('Invalid colend:customerManagedKeys: "yes" is not true or false');
  });

  it('gives each client the stage default limits, the local stage higher ones, and reads colend:apiLimits as JSON text too', () => {
    expect(load({}).api.clientLimits).toEqual({ requestsPerSecond: 25, requestsPerDay: 500_000 });
    expect(load({ [STAGE_CONTEXT_KEY]: LOCAL_STAGE }).api.clientLimits).toEqual({ requestsPerSecond: 1_000, requestsPerDay: 10_000_000 });
    expect(load({ 'colend:apiLimits': '{"requestsPerSecond":5,"requestsPerDay":5000}' }).api.clientLimits).toEqual({ requestsPerSecond: 5, requestsPerDay: 5_000 });
    expect(() => load({ 'colend:apiLimits': { requestsPerSecond: 5 } })).toThrow(/Invalid colend:apiLimits/);
  });

  it('lists no CORS origin unless colend:corsOrigins does, each once', () => {
    expect(load({}).api.corsOrigins).toEqual([]);
    expect(load({ 'colend:corsOrigins': '["console","https://ops.example.com:8443","console"]' }).api.corsOrigins).toEqual(['console', 'https://ops.example.com:8443']);
    expect(() => load({ 'colend:corsOrigins': ['https://ops.example.com/app'] })).toThrow(/an origin is https:\/\/host\[:port\], without a path or a wildcard/);
  });
});
