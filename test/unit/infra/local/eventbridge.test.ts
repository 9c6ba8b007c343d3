import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { eventBusNamesFromTemplate, eventRulesFromTemplate, KEPT_EVENTS, LocalEventBus, routeEventRules, startEventsEndpoint } from '../../../../infra/local/eventbridge.ts';
import type { EventsEndpoint } from '../../../../infra/local/eventbridge.ts';
import { TemplateResolver } from '../../../../infra/local/template.ts';

const BUS = 'ColendEventBus12DFFDD0';

/** What an SDK client sends for PutEvents: AWS JSON 1.1 with the operation in X-Amz-Target. */
async function putEvents(endpoint: string, body: unknown, target = 'AWSEvents.PutEvents') {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, errorType: response.headers.get('x-amzn-errortype'), contentType: response.headers.get('content-type'), json: (await response.json()) as Record<string, unknown> };
}

const entry = (detailType: string, detail: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  Source: 'colend.review',
  DetailType: detailType,
  Detail: JSON.stringify(detail),
  EventBusName: BUS,
  ...extra,
});

describe('the local event bus', () => {
  it('keeps every event in order, as EventBridge delivers it to a target', () => {
    const bus = new LocalEventBus([BUS]);
    const now = new Date('2026-03-01T08:00:00.123Z');
    const result = bus.putEvents(
      { Entries: [entry('colend.review.requested', { applicationId: 'APP-1', lenderId: 'BANK_A' }), entry('colend.review.requested', { applicationId: 'APP-1', lenderId: 'BANK_B' }, { Resources: ['arn:x'] })] },
      now,
    );
    expect(result.FailedEntryCount).toBe(0);
    expect(result.Entries).toEqual([{ EventId: expect.any(String) }, { EventId: expect.any(String) }]);
    const events = bus.list();
    expect(events.map((event) => (event.detail as { lenderId: string }).lenderId)).toEqual(['BANK_A', 'BANK_B']);
    expect(events[1]).toEqual({
      version: '0',
      id: (result.Entries[1] as { EventId: string }).EventId,
      'detail-type': 'colend.review.requested',
      source: 'colend.review',
      account: '000000000000',
      time: '2026-03-01T08:00:00Z',
      region: 'us-east-1',
      resources: ['arn:x'],
      detail: { applicationId: 'APP-1', lenderId: 'BANK_B' },
      eventBusName: BUS,
    });
  });

  it('accepts the bus by name or ARN, and the default bus when none is named', () => {
    const bus = new LocalEventBus([BUS]);
    bus.putEvents({ Entries: [entry('a', {}, { EventBusName: `arn:aws:events:us-east-1:000000000000:event-bus/${BUS}` }), entry('b', {}, { EventBusName: undefined })] });
    expect(bus.list().map((event) => [event['detail-type'], event.eventBusName])).toEqual([
      ['a', BUS],
      ['b', 'default'],
    ]);
    expect(bus.list({ eventBusName: BUS }).map((event) => event['detail-type'])).toEqual(['a']);
  });

  it('keeps the latest events, at least KEPT_EVENTS, and counts every one put', () => {
    const bus = new LocalEventBus([BUS]);
    const put = 2 * KEPT_EVENTS + 5;
    for (let i = 0; i < put; i += 10) bus.putEvents({ Entries: Array.from({ length: Math.min(10, put - i) }, (_, j) => entry(`e${i + j}`, {})) });
    const kept = bus.list().map((event) => event['detail-type']);
    expect(bus.count()).toBe(put);
    expect(kept.length).toBeGreaterThanOrEqual(KEPT_EVENTS);
    expect(kept.length).toBeLessThan(2 * KEPT_EVENTS);
    expect(kept.at(-1)).toBe(`e${put - 1}`);
    expect(kept[0]).toBe(`e${put - kept.length}`);
    bus.clear();
    expect([bus.count(), bus.list()]).toEqual([0, []]);
  });

  it('refuses bad entries one by one and keeps the good ones', () => {
    const bus = new LocalEventBus([BUS]);
    const result = bus.putEvents({
      Entries: [
        entry('kept', { n: 1 }),
        { DetailType: 'x', Detail: '{}' },
        entry('x', {}, { Detail: 'not json' }),
        entry('x', {}, { Detail: '[1]' }),
        entry('x', {}, { EventBusName: 'Elsewhere' }),
      ],
    });
    expect(result.FailedEntryCount).toBe(4);
    expect(result.Entries.slice(1)).toEqual([
      { ErrorCode: 'InvalidArgument', ErrorMessage: expect.stringContaining('Source') },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { ErrorCode: 'ResourceNotFoundException', ErrorMessage: 'Event bus Elsewhere does not exist.' },
    ]);
    expect(bus.list().map((event) => event['detail-type'])).toEqual(['kept']);
  });

  it('refuses a request without entries, with more than ten, or over 256 KiB', () => {
    const bus = new LocalEventBus([BUS]);
    expect(() => bus.putEvents({})).toThrow(expect.objectContaining({ code: 'ValidationException' }));
    expect(() => bus.putEvents({ Entries: Array.from({ length: 11 }, () => entry('x', {})) })).toThrow(expect.objectContaining({ code: 'ValidationException' }));
    expect(() => bus.putEvents({ Entries: [entry('x', { blob: 'x'.repeat(262_144) })] })).toThrow(expect.objectContaining({ code: 'ValidationException' }));
    expect(bus.list()).toEqual([]);
  });

  it('filters by detail type and forgets everything on clear', () => {
    const bus = new LocalEventBus([BUS]);
    bus.putEvents({ Entries: [entry('one', {}), entry('two', {}), entry('one', { again: true })] });
    expect(bus.list({ detailType: 'one' }).map((event) => event.detail)).toEqual([{}, { again: true }]);
    expect(bus.list({ source: 'elsewhere' })).toEqual([]);
    bus.clear();
    expect(bus.list()).toEqual([]);
  });

  it("finds the template's buses by the name their Ref gives", () => {
    const resolver = new TemplateResolver({
      Resources: { EventBus7B8748AA: { Type: 'AWS::Events::EventBus', Properties: { Name: BUS } }, Other: { Type: 'AWS::SQS::Queue' } },
    });
    expect(eventBusNamesFromTemplate(resolver)).toEqual([BUS]);
  });
});

describe('the local EventBridge endpoint', () => {
  const bus = new LocalEventBus([BUS]);
  let endpoint: EventsEndpoint;

  beforeAll(async () => {
    endpoint = await startEventsEndpoint(bus);
  });

  afterAll(async () => {
    await endpoint.close();
  });

  it('answers PutEvents in the AWS JSON 1.1 protocol', async () => {
    const answer = await putEvents(endpoint.endpoint, { Entries: [entry('colend.review.requested', { applicationId: 'APP-9' }), { Source: 'colend.review' }] });
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe('application/x-amz-json-1.1');
    expect(answer.json).toEqual({
      FailedEntryCount: 1,
      Entries: [{ EventId: expect.any(String) }, { ErrorCode: 'InvalidArgument', ErrorMessage: expect.any(String) }],
    });
    expect(bus.list({ detailType: 'colend.review.requested' }).map((event) => event.detail)).toEqual([{ applicationId: 'APP-9' }]);
  });

  it('serves the real SDK client, found through AWS_ENDPOINT_URL_EVENTBRIDGE as handlers find it', async () => {
    vi.stubEnv('AWS_ENDPOINT_URL_EVENTBRIDGE', endpoint.endpoint);
    const client = new EventBridgeClient({ region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    try {
      const out = await client.send(
        new PutEventsCommand({
          Entries: [
            { EventBusName: BUS, Source: 'colend', DetailType: 'colend.review.requested', Detail: '{"applicationId":"APP-SDK","lenderId":"BANK_A"}' },
            { EventBusName: 'Elsewhere', Source: 'colend', DetailType: 'colend.review.requested', Detail: '{}' },
          ],
        }),
      );
      expect(out.FailedEntryCount).toBe(1);
      expect(out.Entries?.[0]?.EventId).toEqual(expect.any(String));
      expect(out.Entries?.[1]).toMatchObject({ ErrorCode: 'ResourceNotFoundException' });
      expect(bus.list({ detailType: 'colend.review.requested', source: 'colend' }).map((event) => event.detail)).toEqual([{ applicationId: 'APP-SDK', lenderId: 'BANK_A' }]);
      await expect(client.send(new PutEventsCommand({ Entries: [] }))).rejects.toMatchObject({ name: 'ValidationException' });
    } finally {
      client.destroy();
      vi.unstubAllEnvs();
    }
  });

  it('answers errors with their type, as the SDK reads them', async () => {
    expect(await putEvents(endpoint.endpoint, {})).toMatchObject({ status: 400, errorType: 'ValidationException', json: { __type: 'ValidationException' } });
    expect(await putEvents(endpoint.endpoint, '{oops')).toMatchObject({ status: 400, errorType: 'SerializationException' });
    expect(await putEvents(endpoint.endpoint, {}, 'AWSEvents.ListRules')).toMatchObject({ status: 400, errorType: 'UnknownOperationException' });
    expect(await putEvents(endpoint.endpoint, {}, 'AWSStepFunctions.StartExecution')).toMatchObject({ status: 400, errorType: 'UnknownOperationException' });
  });
});

describe("the template's rules, locally", () => {
  const template = {
    Resources: {
      ColendEventBus12DFFDD0: { Type: 'AWS::Events::EventBus', Properties: { Name: BUS } },
      WebhooksRule1234ABCD: {
        Type: 'AWS::Events::Rule',
        Properties: {
          EventBusName: { Ref: 'ColendEventBus12DFFDD0' },
          EventPattern: { source: ['colend'], 'detail-type': ['colend.review.requested'] },
          Targets: [{ Id: 'Target0', Arn: { 'Fn::GetAtt': ['WebhookDeliveryFunction1234ABCD', 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 2 } }],
        },
      },
    },
  };

  it('reads each rule with its bus, pattern, target function and retries', () => {
    expect(eventRulesFromTemplate(new TemplateResolver(template))).toEqual([
      { logicalId: 'WebhooksRule1234ABCD', busName: BUS, pattern: { source: ['colend'], 'detail-type': ['colend.review.requested'] }, functionLogicalId: 'WebhookDeliveryFunction1234ABCD', retryAttempts: 2 },
    ]);
  });

  it('hands a matching event to the target as EventBridge delivers it, retries an error, and logs a dead letter after the last retry', async () => {
    const bus = new LocalEventBus([BUS]);
    const invoked: unknown[] = [];
    const logged: string[] = [];
    routeEventRules(bus, eventRulesFromTemplate(new TemplateResolver(template)), {
      invoke: async (logicalId, event) => {
        invoked.push([logicalId, (event as { detail: unknown }).detail]);
        if ((event as { detail: { fail?: boolean } }).detail.fail === true) throw new Error('webhook answered 503');
        return null;
      },
      log: (line) => logged.push(line),
      retryDelayMs: 1,
    });
    bus.putEvents({ Entries: [{ ...entry('colend.review.requested', { n: 1 }), Source: 'colend' }, { ...entry('colend.break.escalated', { n: 2 }), Source: 'colend' }] });
    await vi.waitFor(() => expect(invoked).toEqual([['WebhookDeliveryFunction1234ABCD', { n: 1 }]]));
    bus.putEvents({ Entries: [{ ...entry('colend.review.requested', { fail: true }), Source: 'colend' }] });
    await vi.waitFor(() => expect(logged).toHaveLength(1));
    expect(invoked).toHaveLength(4);
    expect(logged[0]).toMatch(/^events: WebhooksRule1234ABCD dead letter [0-9a-f-]{36}: webhook answered 503$/);
  });
});
