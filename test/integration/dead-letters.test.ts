import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { findTables } from '../../infra/cli/ledger-verify.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { formatReplay, replay, type ReplayReport } from '../../infra/cli/replay.ts';
import { replayOn, type ReplayStack } from '../../infra/cli/replay-targets.ts';
import { eventBusNamesFromTemplate } from '../../infra/local/eventbridge.ts';
import { TemplateResolver } from '../../infra/local/template.ts';
import { api, baseUrl, dynamodbEndpoint, eventsEndpoint, localTemplate, sfnEndpoint, token } from './support/stack.ts';
import { createWorld, lenderBody, loanBody, post, uniqueKey } from './support/world.ts';

const LOCAL = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
const QUEUE = 'WebhookDeadLetters';

/** A partner's webhook that answers 503 until it is fixed, and records every delivery id it was sent. */
let server: Server;
let url = '';
let broken = true;
const received: { deliveryId: string; answered: number }[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const answered = broken ? 503 : 200;
      received.push({ deliveryId: String(request.headers['colend-delivery']), answered });
      response.writeHead(answered).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://localhost:${(server.address() as AddressInfo).port}/colend/reviews`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const stack = (): ReplayStack => ({ kind: 'local', baseUrl: baseUrl(), localToken: inject('localToken'), sfnEndpoint: sfnEndpoint(), dynamodbEndpoint: dynamodbEndpoint() });

/** `colend replay <queue> [--dry-run]` against the running local stack (WebhookDeadLetters unless named). */
async function replayQueue(dryRun: boolean, queueName = QUEUE): Promise<ReplayReport> {
  let report: ReplayReport | undefined;
  await replayOn(stack(), queueName, async (queue, targets) => {
    report = await replay(queue, targets, { dryRun, max: 100 });
  });
  return report as ReplayReport;
}

async function depth(): Promise<number> {
  const answer = await api<{ messages: unknown[] }>(`/local/dead-letters/${QUEUE}?max=100`);
  expect(answer.status).toBe(200);
  return answer.json.messages.length;
}

async function until(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('a webhook delivery that fails every retry is kept, and colend replay redrives it once', () => {
  it('lands in WebhookDeadLetters after the function\'s 2 retries, stays there while the webhook fails, is redriven once when fixed, and a second replay does nothing', async () => {
    const lenderId = `DLQ_${randomUUID().slice(0, 8).toUpperCase()}`;
    const deliveryId = `APP-${lenderId}:${lenderId}:1`;
    const lead = await token({ scopes: ['lead'] });
    expect((await post('/v1/lenders', lead, lenderBody(lenderId, ['PARTNER'], { webhook: { url, secret: `whsec-${randomUUID()}` } }))).status).toBe(201);
    const before = await depth();

    const [busName] = eventBusNamesFromTemplate(new TemplateResolver(localTemplate()));
    const events = new EventBridgeClient({ endpoint: eventsEndpoint(), ...LOCAL });
    const detail = JSON.stringify({ type: 'colend.review.requested', applicationId: `APP-${lenderId}`, lenderId, round: 1 });
    await events.send(new PutEventsCommand({ Entries: [{ EventBusName: busName, Source: 'colend', DetailType: 'colend.review.requested', Detail: detail }] }));
    events.destroy();

    // The first try and Lambda's 2 retries of an asynchronous invocation, then the on-failure destination.
    await until(async () => (await depth()) === before + 1, 'the dead letter');
    const mine = () => received.filter((r) => r.deliveryId === deliveryId);
    expect(mine()).toEqual([
      { deliveryId, answered: 503 },
      { deliveryId, answered: 503 },
      { deliveryId, answered: 503 },
    ]);
    const kept = await api<{ messages: { body: string }[] }>(`/local/dead-letters/${QUEUE}?max=100`);
    const record = JSON.parse(kept.json.messages.at(-1)!.body) as { requestContext: { functionArn: string; condition: string }; requestPayload: { detail: unknown } };
    expect(record.requestContext).toMatchObject({ functionArn: expect.stringMatching(/:function:WebhookDeliveryFunction[0-9A-F]{8}:\$LATEST$/), condition: 'RetriesExhausted' });
    expect(record.requestPayload.detail).toEqual(JSON.parse(detail));

    // A dry run says what it would do and sends nothing.
    const dry = await replayQueue(true);
    expect(dry.lines.filter((line) => line.what.includes(lenderId)).map((line) => line.outcome)).toEqual(['would redrive']);
    expect(mine()).toHaveLength(3);
    expect(await depth()).toBe(before + 1);

    // Still broken: the redrive fails and the message is kept.
    const stillBroken = await replayQueue(false);
    expect(stillBroken.lines.filter((line) => line.what.includes(lenderId)).map((line) => [line.outcome, line.detail])).toEqual([
      ['failed', expect.stringMatching(/503.*\(kept in the queue\)$/)],
    ]);
    expect(mine()).toHaveLength(4);
    expect(await depth()).toBe(before + 1);

    broken = false;
    const fixed = await replayQueue(false);
    const line = fixed.lines.find((l) => l.what.includes(lenderId));
    expect(line).toMatchObject({ outcome: 'redriven', what: `colend.review.requested APP-${lenderId}:${lenderId}:1 (event ${String((record.requestPayload as { id?: string }).id)}) → ${record.requestContext.functionArn.split(':')[6]}` });
    expect(formatReplay(fixed, false).split('\n').at(-1)).toBe(`${QUEUE}: ${fixed.lines.length} redriven and deleted, 0 failed, 0 not understood`);
    expect(mine()).toEqual([...Array.from({ length: 4 }, () => ({ deliveryId, answered: 503 })), { deliveryId, answered: 200 }]);
    expect(await depth()).toBe(before);

    const again = await replayQueue(false);
    expect(again.lines).toEqual([]);
    expect(formatReplay(again, false)).toBe(`${QUEUE}: no dead letters`);
    expect(mine()).toHaveLength(5);
  }, 90_000);

  it('refuses to read a queue the stack does not have, naming the ones it has', async () => {
    const answer = await api<{ message: string }>('/local/dead-letters/NoSuchQueue');
    expect(answer.status).toBe(404);
    expect(answer.json.message).toMatch(/^no dead-letter queue NoSuchQueue \(known: InvocationDeadLetters[0-9A-F]{8}, PublishDeadLetters[0-9A-F]{8}, ScheduleDeadLetters[0-9A-F]{8}, WebhookDeadLetters[0-9A-F]{8}\)$/);
    const listed = await api<{ queues: { queue: string; depth: number }[] }>('/local/dead-letters');
    expect(listed.json.queues.map((q) => q.queue.replace(/[0-9A-F]{8}$/, ''))).toEqual(['InvocationDeadLetters', 'PublishDeadLetters', 'ScheduleDeadLetters', 'WebhookDeadLetters']);
  });

  it("redrives a stream batch kept in PublishDeadLetters: its records read again from the ledger's stream and published again, once", async () => {
    const w = await createWorld();
    const loanId = `DLQ-${w.suffix}`;
    const repaymentId = `DLQ-R-${w.suffix}`;
    expect((await post('/v1/loans', w.tokens.lead, loanBody(w, loanId, { disbursementDate: '2026-01-05' }))).status).toBe(201);
    const booked = await api<{ results: { status: string }[] }>('/v1/repayments', {
      method: 'POST',
      headers: { 'idempotency-key': uniqueKey('dlq') },
      token: w.tokens.lead,
      body: { repayments: [{ repaymentId, loanId, amountMinor: '88289', currency: 'CNY', valueDate: '2026-02-05', channel: 'AUTO_DEBIT' }] },
    });
    expect(booked.json.results[0]?.status).toBe('BOOKED');
    const publishedEvents = async () =>
      ((await api<{ events: { detail: { id: string } }[] }>('/local/events?detailType=colend.repayment.booked')).json.events).filter((e) => e.detail.id === `REPAYMENT#${repaymentId}`);
    await until(async () => (await publishedEvents()).length === 1, 'the booking published from the stream');

    // The booking's record in the ledger table's stream, as a batch that failed would name it.
    const dynamodb = new DynamoDBClient({ endpoint: dynamodbEndpoint(), ...LOCAL });
    const streams = new DynamoDBStreamsClient({ endpoint: dynamodbEndpoint(), ...LOCAL });
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: (await findTables(dynamodb)).ledger }));
    const streamArn = Table!.LatestStreamArn!;
    const found: { shardId: string; sequence: string }[] = [];
    for (const shard of (await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }))).StreamDescription?.Shards ?? []) {
      let iterator = (await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
      for (let page = 0; iterator !== undefined && page < 200; page++) {
        const out = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
        for (const record of out.Records ?? []) {
          const image = record.dynamodb?.NewImage ? unmarshall(record.dynamodb.NewImage as Record<string, AttributeValue>) : {};
          if (image.entityType === 'BookedRepayment' && JSON.stringify(image).includes(repaymentId)) found.push({ shardId: shard.ShardId!, sequence: record.dynamodb!.SequenceNumber! });
        }
        if ((out.Records ?? []).length === 0) break;
        iterator = out.NextShardIterator;
      }
    }
    dynamodb.destroy();
    streams.destroy();
    expect(found).toHaveLength(1);
    const publishFunction = Object.keys(localTemplate().Resources ?? {}).find((id) => /^RepaymentPublishFunction[0-9A-F]{8}$/.test(id));
    const failure = {
      version: '1.0',
      requestContext: { requestId: randomUUID(), functionArn: `arn:aws:lambda:us-east-1:000000000000:function:${publishFunction}`, condition: 'RetryAttemptsExhausted', approximateInvokeCount: 21 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      DDBStreamBatchInfo: { shardId: found[0]!.shardId, startSequenceNumber: found[0]!.sequence, endSequenceNumber: found[0]!.sequence, batchSize: 1, streamArn },
    };
    const sent = await api('/local/dead-letters/PublishDeadLetters', { method: 'POST', body: { body: JSON.stringify(failure) } });
    expect(sent.status).toBe(201);

    const report = await replayQueue(false, 'PublishDeadLetters');
    expect(report.lines.map((l) => [l.outcome, l.what, l.detail])).toEqual([
      ['redriven', `stream records ${found[0]!.sequence}..${found[0]!.sequence} of ${found[0]!.shardId} → ${publishFunction}`, 'redriven (1 record)'],
    ]);
    // Published again with the same id: a consumer keeps the first.
    await until(async () => (await publishedEvents()).length === 2, 'the booking published again');
    const [first, again] = await publishedEvents();
    expect(again!.detail).toEqual(first!.detail);
    expect((await replayQueue(false, 'PublishDeadLetters')).lines).toEqual([]);
    expect(await publishedEvents()).toHaveLength(2);
  }, 120_000);
});
