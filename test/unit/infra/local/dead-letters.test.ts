import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { asyncInvokeConfigsFromTemplate, asyncInvoker, deadLetterQueuesFromTemplate, LocalDeadLetters } from '../../../../infra/local/dead-letters.ts';
import { eventRulesFromTemplate, LocalEventBus, routeEventRules } from '../../../../infra/local/eventbridge.ts';
import { LocalScheduler, schedulesFromTemplate } from '../../../../infra/local/scheduler.ts';
import { streamFailureRecord, streamSourcesFromTemplate } from '../../../../infra/local/streams.ts';
import { TemplateResolver, type CfnTemplate } from '../../../../infra/local/template.ts';

const arnOf = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });

/** The shape of the stack's template for its asynchronous paths. */
const template: CfnTemplate = {
  Resources: {
    LedgerTable1234ABCD: { Type: 'AWS::DynamoDB::Table', Properties: {} },
    EventBus1234ABCD: { Type: 'AWS::Events::EventBus', Properties: { Name: 'bus' } },
    LedgerCheckStateMachine1234ABCD: { Type: 'AWS::StepFunctions::StateMachine', Properties: {} },
    PublishFnAAAAAAAA: { Type: 'AWS::Lambda::Function', Properties: {} },
    WebhookFnBBBBBBBB: { Type: 'AWS::Lambda::Function', Properties: {} },
    PublishDeadLetters11111111: { Type: 'AWS::SQS::Queue', Properties: {} },
    WebhookDeadLetters22222222: { Type: 'AWS::SQS::Queue', Properties: {} },
    ScheduleDeadLetters33333333: { Type: 'AWS::SQS::Queue', Properties: {} },
    Mapping: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: {
        FunctionName: { Ref: 'PublishFnAAAAAAAA' },
        EventSourceArn: { 'Fn::GetAtt': ['LedgerTable1234ABCD', 'StreamArn'] },
        MaximumRetryAttempts: 20,
        DestinationConfig: { OnFailure: { Destination: arnOf('PublishDeadLetters11111111') } },
      },
    },
    WebhooksRule44444444: {
      Type: 'AWS::Events::Rule',
      Properties: {
        EventBusName: { Ref: 'EventBus1234ABCD' },
        EventPattern: { source: ['colend'] },
        Targets: [{ Id: 'Target0', Arn: arnOf('WebhookFnBBBBBBBB'), RetryPolicy: { MaximumRetryAttempts: 1 }, DeadLetterConfig: { Arn: arnOf('WebhookDeadLetters22222222') } }],
      },
    },
    WebhookInvokeConfig: {
      Type: 'AWS::Lambda::EventInvokeConfig',
      Properties: { FunctionName: { Ref: 'WebhookFnBBBBBBBB' }, Qualifier: '$LATEST', MaximumRetryAttempts: 2, DestinationConfig: { OnFailure: { Destination: arnOf('WebhookDeadLetters22222222') } } },
    },
    DailyLedgerCheck55555555: {
      Type: 'AWS::Scheduler::Schedule',
      Properties: {
        ScheduleExpression: 'cron(0 1 * * ? *)',
        Target: { Arn: { Ref: 'LedgerCheckStateMachine1234ABCD' }, Input: '{"scheduledTime":"<aws.scheduler.scheduled-time>"}', DeadLetterConfig: { Arn: arnOf('ScheduleDeadLetters33333333') } },
      },
    },
  },
};
const resolver = new TemplateResolver(template);

let folder: string | undefined;
afterEach(() => {
  if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
  folder = undefined;
});

describe("the template's dead letters, locally", () => {
  it('finds every queue a path names, and each asynchronous target\'s retries and on-failure queue', () => {
    expect(deadLetterQueuesFromTemplate(resolver)).toEqual(['PublishDeadLetters11111111', 'ScheduleDeadLetters33333333', 'WebhookDeadLetters22222222']);
    expect([...asyncInvokeConfigsFromTemplate(resolver)]).toEqual([['WebhookFnBBBBBBBB', { retryAttempts: 2, onFailureQueue: 'WebhookDeadLetters22222222' }]]);
    expect(streamSourcesFromTemplate(resolver)[0]?.deadLetterQueue).toBe('PublishDeadLetters11111111');
    expect(eventRulesFromTemplate(resolver)[0]?.deadLetterQueue).toBe('WebhookDeadLetters22222222');
    expect(schedulesFromTemplate(resolver)[0]?.deadLetterQueue).toBe('ScheduleDeadLetters33333333');
  });

  it('keeps messages in order, finds a queue by its construct id, removes by message id, and with a file keeps them across restarts (owner only)', () => {
    folder = mkdtempSync(join(tmpdir(), 'colend-dlq-'));
    const file = join(folder, 'dead-letters.json');
    const store = new LocalDeadLetters(deadLetterQueuesFromTemplate(resolver), file);
    expect(store.resolve('WebhookDeadLetters')).toBe('WebhookDeadLetters22222222');
    expect(store.resolve('Webhook')).toBeUndefined();
    const first = store.send('WebhookDeadLetters22222222', { n: 1 }, { TARGET_ARN: 'arn' });
    store.send('WebhookDeadLetters22222222', '{"n":2}');
    expect(store.receive('WebhookDeadLetters22222222', 1).map((l) => [l.body, l.attributes])).toEqual([['{"n":1}', { TARGET_ARN: 'arn' }]]);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const restarted = new LocalDeadLetters(deadLetterQueuesFromTemplate(resolver), file);
    expect(restarted.depths()).toEqual([
      { queue: 'PublishDeadLetters11111111', depth: 0 },
      { queue: 'ScheduleDeadLetters33333333', depth: 0 },
      { queue: 'WebhookDeadLetters22222222', depth: 2 },
    ]);
    expect(restarted.remove('WebhookDeadLetters22222222', first.messageId)).toBe(true);
    expect(restarted.remove('WebhookDeadLetters22222222', first.messageId)).toBe(false);
    expect((JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown[]>).WebhookDeadLetters22222222).toHaveLength(1);
    expect(() => restarted.send('NoQueue', {})).toThrow('no dead-letter queue NoQueue');
  });

  it("runs a failing asynchronous invocation its retries, then keeps Lambda's failure record in the function's on-failure queue", async () => {
    const store = new LocalDeadLetters(deadLetterQueuesFromTemplate(resolver));
    const calls: unknown[] = [];
    const logged: string[] = [];
    const invoke = asyncInvoker({
      invoke: (logicalId, payload) => {
        calls.push([logicalId, payload]);
        return Promise.reject(new Error('webhook answered 503'));
      },
      configs: asyncInvokeConfigsFromTemplate(resolver),
      deadLetters: store,
      log: (line) => logged.push(line),
      retryDelayMs: 1,
    });
    await invoke('WebhookFnBBBBBBBB', { id: 'evt-1' });
    expect(calls).toHaveLength(3);
    const [kept] = store.receive('WebhookDeadLetters22222222', 10);
    expect(JSON.parse(kept!.body)).toMatchObject({
      requestContext: { functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:WebhookFnBBBBBBBB:$LATEST', condition: 'RetriesExhausted', approximateInvokeCount: 3 },
      requestPayload: { id: 'evt-1' },
      responsePayload: { errorMessage: 'webhook answered 503' },
    });
    // A function without an on-failure destination: Lambda's default 2 retries, then dropped (and said).
    await invoke('PublishFnAAAAAAAA', {});
    expect(calls).toHaveLength(6);
    expect(logged.at(-1)).toBe('lambda: PublishFnAAAAAAAA dropped an asynchronous invocation after 2 retries (no on-failure destination): webhook answered 503');
    expect(store.depths().reduce((n, d) => n + d.depth, 0)).toBe(1);
  });

  it("keeps an event the rule could not hand to its target in the target's dead-letter queue, with EventBridge's attributes", async () => {
    const store = new LocalDeadLetters(deadLetterQueuesFromTemplate(resolver));
    const bus = new LocalEventBus(['bus']);
    routeEventRules(bus, eventRulesFromTemplate(resolver), {
      invoke: () => Promise.reject(Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' })),
      log: () => undefined,
      retryDelayMs: 1,
      deadLetter: (queue, body, attributes) => store.send(queue, body, attributes),
    });
    bus.putEvents({ Entries: [{ EventBusName: 'bus', Source: 'colend', DetailType: 'colend.review.requested', Detail: '{"lenderId":"B"}' }] });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const [kept] = store.receive('WebhookDeadLetters22222222', 10);
    expect(JSON.parse(kept!.body)).toMatchObject({ source: 'colend', 'detail-type': 'colend.review.requested', detail: { lenderId: 'B' } });
    expect(kept!.attributes).toEqual({
      RULE_ARN: 'arn:aws:events:us-east-1:000000000000:rule/bus/WebhooksRule44444444',
      TARGET_ARN: 'arn:aws:lambda:us-east-1:000000000000:function:WebhookFnBBBBBBBB',
      ERROR_CODE: 'TooManyRequestsException',
      ERROR_MESSAGE: 'Rate exceeded',
    });
  });

  it("keeps a start the schedule could not make in its dead-letter queue: the input as the body, the target in TARGET_ARN", async () => {
    const store = new LocalDeadLetters(deadLetterQueuesFromTemplate(resolver));
    const scheduler = new LocalScheduler(
      schedulesFromTemplate(resolver),
      {
        startExecution: () => {
          throw Object.assign(new Error('no such state machine'), { name: 'StateMachineDoesNotExist' });
        },
        invokeFunction: () => Promise.resolve(null),
      },
      { deadLetter: (queue, body, attributes) => store.send(queue, body, attributes) },
    );
    await expect(scheduler.fire('DailyLedgerCheck', '2026-12-06T17:00:00Z')).rejects.toThrow('no such state machine');
    const [kept] = store.receive('ScheduleDeadLetters33333333', 10);
    expect(kept!.body).toBe('{"scheduledTime":"2026-12-06T17:00:00Z"}');
    expect(kept!.attributes).toMatchObject({
      TARGET_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:LedgerCheckStateMachine1234ABCD',
      SCHEDULE_ARN: 'arn:aws:scheduler:us-east-1:000000000000:schedule/default/DailyLedgerCheck55555555',
      ERROR_CODE: 'StateMachineDoesNotExist',
      ERROR_MESSAGE: 'no such state machine',
    });
  });

  it("writes a stream batch that failed every retry as Lambda does: its bounds in the stream, not its records", () => {
    const [source] = streamSourcesFromTemplate(resolver);
    const at = new Date('2026-12-06T01:00:00Z');
    const body = streamFailureRecord(source!, 'arn:stream', 'shard-1', [{ dynamodb: { SequenceNumber: '300', ApproximateCreationDateTime: at } }, { dynamodb: { SequenceNumber: '420', ApproximateCreationDateTime: at } }], 21, 'boom');
    expect(body).toMatchObject({
      requestContext: { functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:PublishFnAAAAAAAA', condition: 'RetryAttemptsExhausted', approximateInvokeCount: 21 },
      DDBStreamBatchInfo: { shardId: 'shard-1', startSequenceNumber: '300', endSequenceNumber: '420', batchSize: 2, streamArn: 'arn:stream', approximateArrivalOfFirstRecord: '2026-12-06T01:00:00.000Z' },
    });
  });
});
