import { InvokeCommand, LambdaClient, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { SFNClient, StartExecutionCommand, ExecutionAlreadyExists } from '@aws-sdk/client-sfn';
import { DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand, type _Record } from '@aws-sdk/client-dynamodb-streams';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { executionNameOf, formatReplay, redriveOf, replay, replayIsClean, type DeadLetter, type DeadLetterQueue } from '../../../../infra/cli/replay.ts';
import { redriveTargets, sqsDeadLetterQueue } from '../../../../infra/cli/replay-targets.ts';
import { DeleteMessageCommand, ListQueuesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

const WEBHOOK_FN = 'arn:aws:lambda:cn-north-1:111122223333:function:Colend-WebhookDeliveryFunction-abc';
const PUBLISH_FN = 'arn:aws:lambda:cn-north-1:111122223333:function:Colend-RepaymentPublishFunction-def';
const SETTLEMENT_SM = 'arn:aws:states:cn-north-1:111122223333:stateMachine:SettlementStateMachine-xyz';
const STREAM = 'arn:aws:dynamodb:cn-north-1:111122223333:table/Colend-LedgerTable/stream/2026-12-01T00:00:00.000';

const reviewEvent = { version: '0', id: 'evt-1', 'detail-type': 'colend.review.requested', source: 'colend', detail: { applicationId: 'APP-1', lenderId: 'BANK_B', round: 1 } };

/** What Lambda puts in an on-failure destination for an asynchronous invocation. */
const asyncFailure = (payload: unknown) =>
  JSON.stringify({ version: '1.0', requestContext: { requestId: 'r1', functionArn: `${WEBHOOK_FN}:$LATEST`, condition: 'RetriesExhausted', approximateInvokeCount: 3 }, requestPayload: payload, responseContext: { statusCode: 200, functionError: 'Unhandled' } });
/** What Lambda puts in a stream mapping's on-failure destination. */
const streamFailure = (start: string, end: string) =>
  JSON.stringify({ requestContext: { functionArn: PUBLISH_FN, condition: 'RetryAttemptsExhausted' }, DDBStreamBatchInfo: { shardId: 'shardId-0001', startSequenceNumber: start, endSequenceNumber: end, batchSize: 2, streamArn: STREAM } });

const letter = (messageId: string, body: string, attributes: Record<string, string> = {}): DeadLetter => ({ messageId, receipt: `receipt-${messageId}`, body, attributes });

/** A queue in memory: the port's contract (a message received in a replay is not received again in it; deleted by its receipt). */
class MemoryQueue implements DeadLetterQueue {
  readonly name = 'TestDeadLetters';
  readonly deleted: string[] = [];
  private hidden = new Set<string>();
  constructor(public letters: DeadLetter[]) {}
  receive(max: number, { peek }: { peek: boolean }): Promise<DeadLetter[]> {
    const visible = this.letters.filter((l) => !this.hidden.has(l.messageId)).slice(0, max);
    if (!peek) for (const l of visible) this.hidden.add(l.messageId);
    return Promise.resolve(visible);
  }
  delete(l: DeadLetter): Promise<void> {
    this.deleted.push(l.receipt);
    this.letters = this.letters.filter((x) => x.receipt !== l.receipt);
    return Promise.resolve();
  }
  /** A new replay: the messages not deleted are visible again. */
  reset(): void {
    this.hidden = new Set();
  }
}

const lambda = mockClient(LambdaClient);
const sfn = mockClient(SFNClient);
const streams = mockClient(DynamoDBStreamsClient);
const targets = () => redriveTargets({ lambda: new LambdaClient({ region: 'cn-north-1' }), sfn: new SFNClient({ region: 'cn-north-1' }), streams: new DynamoDBStreamsClient({ region: 'cn-north-1' }) });
const payloadOf = (call: number) => JSON.parse(new TextDecoder().decode(lambda.commandCalls(InvokeCommand)[call]!.args[0].input.Payload as Uint8Array)) as unknown;
/** A function's answer as the client gives it (bytes with the SDK's string helpers, which the code under test does not use). */
const answer = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)) as unknown as InvokeCommandOutput['Payload'];

beforeEach(() => {
  lambda.reset();
  sfn.reset();
  streams.reset();
});
afterEach(() => {
  lambda.reset();
});

describe('how a dead letter is redriven', () => {
  it("reads an asynchronous invocation's failure record: the same function, the same payload", () => {
    expect(redriveOf(letter('m1', asyncFailure(reviewEvent)))).toEqual({
      kind: 'invoke',
      functionArn: `${WEBHOOK_FN}:$LATEST`,
      payload: reviewEvent,
      what: 'colend.review.requested APP-1:BANK_B:1 (event evt-1) → Colend-WebhookDeliveryFunction-abc',
    });
  });

  it("reads a stream mapping's failure record: the batch's shard and sequence numbers", () => {
    expect(redriveOf(letter('m2', streamFailure('100', '205')))).toEqual({
      kind: 'stream',
      functionArn: PUBLISH_FN,
      range: { streamArn: STREAM, shardId: 'shardId-0001', startSequenceNumber: '100', endSequenceNumber: '205' },
      what: 'stream records 100..205 of shardId-0001 → Colend-RepaymentPublishFunction-def',
    });
  });

  it("reads a rule's dead letter (the event, its target in TARGET_ARN) and a schedule's (the input), naming a started execution after the message", () => {
    expect(redriveOf(letter('m3', JSON.stringify(reviewEvent), { TARGET_ARN: WEBHOOK_FN, RULE_ARN: 'arn:aws:events:cn-north-1:111122223333:rule/bus/WebhooksRule' }))).toMatchObject({ kind: 'invoke', functionArn: WEBHOOK_FN, payload: reviewEvent });
    expect(redriveOf(letter('4c1f-aa', '{"scheduledTime":"2026-12-06T15:00:00Z"}', { TARGET_ARN: SETTLEMENT_SM }))).toEqual({
      kind: 'start',
      stateMachineArn: SETTLEMENT_SM,
      input: '{"scheduledTime":"2026-12-06T15:00:00Z"}',
      name: 'replay-4c1f-aa',
      what: 'scheduled run of 2026-12-06T15:00:00Z → SettlementStateMachine-xyz',
    });
    expect(executionNameOf('a'.repeat(100))).toHaveLength(80);
    expect(executionNameOf('id with/odd:chars')).toBe('replay-id-with-odd-chars');
  });

  it('refuses what it cannot read, saying why', () => {
    expect(redriveOf(letter('x', 'not json'))).toEqual({ problem: 'its body is not JSON' });
    expect(redriveOf(letter('x', '{}'))).toEqual({ problem: 'it is neither a failed invocation, a stream batch, nor a message naming its target (TARGET_ARN)' });
    expect(redriveOf(letter('x', '{}', { TARGET_ARN: 'arn:aws:sqs:cn-north-1:1:q' }))).toEqual({ problem: 'its target arn:aws:sqs:cn-north-1:1:q is neither a function nor a state machine' });
    expect(redriveOf(letter('x', JSON.stringify({ requestContext: { functionArn: PUBLISH_FN }, DDBStreamBatchInfo: { shardId: 's' } })))).toEqual({ problem: 'its stream batch does not name the stream, shard and sequence numbers' });
  });
});

describe('colend replay, through the Lambda, Step Functions and stream clients', () => {
  it('invokes the function once per message and deletes a message only after its redrive succeeded; a failed one stays for the next replay', async () => {
    const failing = { ...reviewEvent, id: 'evt-2' };
    const queue = new MemoryQueue([letter('m1', asyncFailure(reviewEvent)), letter('m2', asyncFailure(failing))]);
    lambda
      .on(InvokeCommand)
      .resolvesOnce({ StatusCode: 200, Payload: answer(null) })
      .resolvesOnce({ StatusCode: 200, FunctionError: 'Unhandled', Payload: answer({ errorMessage: 'webhook of BANK_B answered 503' }) });
    const first = await replay(queue, targets(), { dryRun: false, max: 100 });
    expect(first.lines).toEqual([
      { messageId: 'm1', what: 'colend.review.requested APP-1:BANK_B:1 (event evt-1) → Colend-WebhookDeliveryFunction-abc', outcome: 'redriven', detail: 'redriven' },
      { messageId: 'm2', what: 'colend.review.requested APP-1:BANK_B:1 (event evt-2) → Colend-WebhookDeliveryFunction-abc', outcome: 'failed', detail: 'the function failed (Unhandled): webhook of BANK_B answered 503 (kept in the queue)' },
    ]);
    expect(lambda.commandCalls(InvokeCommand).map((c) => [c.args[0].input.FunctionName, c.args[0].input.InvocationType])).toEqual([
      [`${WEBHOOK_FN}:$LATEST`, 'RequestResponse'],
      [`${WEBHOOK_FN}:$LATEST`, 'RequestResponse'],
    ]);
    expect(payloadOf(0)).toEqual(reviewEvent);
    expect(queue.deleted).toEqual(['receipt-m1']);
    expect(replayIsClean(first)).toBe(false);
    expect(formatReplay(first, false).split('\n').at(-1)).toBe('TestDeadLetters: 1 redriven and deleted, 1 failed, 0 not understood (those stay in the queue)');

    queue.reset();
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: answer(null) });
    const second = await replay(queue, targets(), { dryRun: false, max: 100 });
    expect(second.lines.map((l) => [l.messageId, l.outcome])).toEqual([['m2', 'redriven']]);
    expect(queue.letters).toEqual([]);
    queue.reset();
    const third = await replay(queue, targets(), { dryRun: false, max: 100 });
    expect(third.lines).toEqual([]);
    expect(formatReplay(third, false)).toBe('TestDeadLetters: no dead letters');
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(3);
    expect(formatReplay(second, false)).toBe(`m2  redriven: ${second.lines[0]!.what}\nTestDeadLetters: 1 redriven and deleted, 0 failed, 0 not understood`);
  });

  it('with --dry-run says what it would do and calls and deletes nothing; --max stops after that many', async () => {
    const queue = new MemoryQueue(['a', 'b', 'c'].map((id) => letter(id, asyncFailure({ ...reviewEvent, id }))));
    const dry = await replay(queue, targets(), { dryRun: true, max: 100 });
    expect(dry.lines.map((l) => [l.messageId, l.outcome, l.detail])).toEqual([
      ['a', 'would redrive', 'invoke'],
      ['b', 'would redrive', 'invoke'],
      ['c', 'would redrive', 'invoke'],
    ]);
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
    expect(queue.deleted).toEqual([]);
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: answer(null) });
    const two = await replay(queue, targets(), { dryRun: false, max: 2 });
    expect(two.lines.map((l) => l.messageId)).toEqual(['a', 'b']);
    expect(queue.deleted).toEqual(['receipt-a', 'receipt-b']);
  });

  it("reads a stream batch again from its first record through its last, hands it to the function as Lambda does, and keeps it when the function reports a failed record", async () => {
    const record = (sequence: string): _Record => ({
      eventID: `e${sequence}`,
      eventName: 'INSERT',
      dynamodb: { SequenceNumber: sequence, Keys: { pk: { S: 'LOAN#L1' }, sk: { S: `R#${sequence}` } }, ApproximateCreationDateTime: new Date('2026-12-06T01:02:03Z') },
    });
    streams.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-1' });
    streams.on(GetRecordsCommand, { ShardIterator: 'it-1' }).resolves({ Records: [record('100'), record('150')], NextShardIterator: 'it-2' });
    streams.on(GetRecordsCommand, { ShardIterator: 'it-2' }).resolves({ Records: [record('205'), record('300')], NextShardIterator: 'it-3' });
    lambda.on(InvokeCommand).resolvesOnce({ StatusCode: 200, Payload: answer({ batchItemFailures: [{ itemIdentifier: '150' }] }) }).resolves({ StatusCode: 200, Payload: answer({ batchItemFailures: [] }) });
    const queue = new MemoryQueue([letter('s1', streamFailure('100', '205'))]);

    const first = await replay(queue, targets(), { dryRun: false, max: 10 });
    expect(first.lines[0]).toMatchObject({ outcome: 'failed', detail: 'the function reported record 150 failed (kept in the queue)' });
    expect(streams.commandCalls(GetShardIteratorCommand)[0]!.args[0].input).toEqual({ StreamArn: STREAM, ShardId: 'shardId-0001', ShardIteratorType: 'AT_SEQUENCE_NUMBER', SequenceNumber: '100' });
    expect(payloadOf(0)).toEqual({
      Records: ['100', '150', '205'].map((sequence) => ({
        eventID: `e${sequence}`,
        eventName: 'INSERT',
        eventVersion: '1.1',
        eventSource: 'aws:dynamodb',
        awsRegion: 'cn-north-1',
        dynamodb: { ApproximateCreationDateTime: 1_796_518_923, SequenceNumber: sequence, Keys: { pk: { S: 'LOAN#L1' }, sk: { S: `R#${sequence}` } } },
        eventSourceARN: STREAM,
      })),
    });
    expect(queue.deleted).toEqual([]);

    queue.reset();
    const second = await replay(queue, targets(), { dryRun: false, max: 10 });
    expect(second.lines[0]).toMatchObject({ outcome: 'redriven', detail: 'redriven (3 records)' });
    expect(queue.deleted).toEqual(['receipt-s1']);
  });

  it('keeps a stream batch whose records the stream no longer holds, saying what to do instead', async () => {
    streams.on(GetShardIteratorCommand).rejects(Object.assign(new Error('trimmed'), { name: 'TrimmedDataAccessException' }));
    const queue = new MemoryQueue([letter('s1', streamFailure('100', '205'))]);
    const report = await replay(queue, targets(), { dryRun: false, max: 10 });
    expect(report.lines[0]).toMatchObject({ outcome: 'failed', detail: 'the stream no longer holds these records (kept 24 hours): derive the events from the books instead (kept in the queue)' });
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
  });

  it("starts a schedule's workflow named after the message, and takes a start refused as already made (the message redriven before its delete)", async () => {
    sfn.on(StartExecutionCommand).resolvesOnce({ executionArn: 'arn:exec:1', startDate: new Date() }).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    const queue = new MemoryQueue([letter('m-1', '{"scheduledTime":"2026-12-06T15:00:00Z"}', { TARGET_ARN: SETTLEMENT_SM })]);
    const first = await replay(queue, targets(), { dryRun: false, max: 10 });
    expect(first.lines[0]).toMatchObject({ outcome: 'redriven', detail: 'redriven (execution replay-m-1)' });
    expect(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input).toEqual({ stateMachineArn: SETTLEMENT_SM, input: '{"scheduledTime":"2026-12-06T15:00:00Z"}', name: 'replay-m-1' });
    // The same message again (its delete lost): the start is refused, the message deleted.
    const again = new MemoryQueue([letter('m-1', '{"scheduledTime":"2026-12-06T15:00:00Z"}', { TARGET_ARN: SETTLEMENT_SM })]);
    const second = await replay(again, targets(), { dryRun: false, max: 10 });
    expect(second.lines[0]).toMatchObject({ outcome: 'redriven', detail: 'redriven before (execution replay-m-1 exists)' });
    expect(again.deleted).toEqual(['receipt-m-1']);
  });

  it('keeps a message it cannot read and goes on with the next', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: answer(null) });
    const queue = new MemoryQueue([letter('bad', 'oops'), letter('good', asyncFailure(reviewEvent))]);
    const report = await replay(queue, targets(), { dryRun: false, max: 10 });
    expect(report.lines.map((l) => [l.messageId, l.outcome, l.detail])).toEqual([
      ['bad', 'kept', 'its body is not JSON'],
      ['good', 'redriven', 'redriven'],
    ]);
    expect(queue.deleted).toEqual(['receipt-good']);
    expect(replayIsClean(report)).toBe(false);
  });
});

describe('a dead-letter queue in AWS, through the SQS client', () => {
  const sqs = mockClient(SQSClient);
  afterEach(() => sqs.reset());

  it('finds the stack\'s queue by its construct id, receives hidden for the redrive (or visible in a dry run) and deletes by receipt', async () => {
    const url = 'https://sqs.cn-north-1.amazonaws.com.cn/111122223333/Colend-WebhookDeadLetters1A2B-xyz';
    sqs.on(ListQueuesCommand, { QueueNamePrefix: 'Colend-WebhookDeadLetters' }).resolves({ QueueUrls: [url] });
    sqs.on(ReceiveMessageCommand).resolves({ Messages: [{ MessageId: 'm-1', ReceiptHandle: 'h-1', Body: '{"a":1}', MessageAttributes: { TARGET_ARN: { StringValue: SETTLEMENT_SM, DataType: 'String' } } }] });
    sqs.on(DeleteMessageCommand).resolves({});
    const queue = await sqsDeadLetterQueue('WebhookDeadLetters', { stackName: 'Colend', region: 'cn-north-1' });
    expect(await queue.receive(10, { peek: false })).toEqual([{ messageId: 'm-1', receipt: 'h-1', body: '{"a":1}', attributes: { TARGET_ARN: SETTLEMENT_SM } }]);
    await queue.receive(5, { peek: true });
    await queue.delete({ messageId: 'm-1', receipt: 'h-1', body: '', attributes: {} });
    queue.close();
    expect(sqs.commandCalls(ReceiveMessageCommand).map((c) => [c.args[0].input.QueueUrl, c.args[0].input.MaxNumberOfMessages, c.args[0].input.VisibilityTimeout])).toEqual([
      [url, 10, 300],
      [url, 5, 0],
    ]);
    expect(sqs.commandCalls(DeleteMessageCommand).map((c) => c.args[0].input)).toEqual([{ QueueUrl: url, ReceiptHandle: 'h-1' }]);
  });

  it('refuses to guess between several queues or none, and asks for --queue-url', async () => {
    sqs.on(ListQueuesCommand).resolves({ QueueUrls: [] });
    await expect(sqsDeadLetterQueue('WebhookDeadLetters', { stackName: 'Colend', region: 'cn-north-1' })).rejects.toThrow('expected one queue named Colend-WebhookDeadLetters…, found none; name it with --queue-url');
  });
});
