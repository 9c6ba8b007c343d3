import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { DeleteMessageCommand, ListQueuesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { GetRecordsCommand, GetShardIteratorCommand, type DynamoDBStreamsClient, type _Record } from '@aws-sdk/client-dynamodb-streams';
import type { DeadLetter, DeadLetterQueue, RedriveTargets, StreamRecordRange } from './replay.ts';

/**
 * The clients `colend replay` redrives through: Lambda's Invoke, Step Functions' StartExecution and
 * the table stream's GetShardIterator / GetRecords, the same calls in AWS and on the local stack
 * (whose Step Functions endpoint, DynamoDB Local stream and `/local/lambda` answer them).
 */

const decoder = new TextDecoder();

/** Reading a range stops after this many empty pages in a row (an open shard answers empty pages at its end). */
const EMPTY_PAGES = 3;

/** The region a stream's ARN names. */
function regionOf(arn: string): string {
  return arn.split(':')[3] ?? '';
}

/** A stream record as Lambda hands it to a function (what the function reads in AWS). */
export function lambdaStreamRecord(record: _Record, streamArn: string): Record<string, unknown> {
  const { ApproximateCreationDateTime, ...dynamodb } = record.dynamodb ?? {};
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: record.awsRegion ?? regionOf(streamArn),
    dynamodb: { ...(ApproximateCreationDateTime !== undefined ? { ApproximateCreationDateTime: Math.floor(ApproximateCreationDateTime.getTime() / 1000) } : {}), ...dynamodb },
    eventSourceARN: streamArn,
  };
}

export function redriveTargets(clients: { readonly lambda: LambdaClient; readonly sfn: SFNClient; readonly streams: DynamoDBStreamsClient }): RedriveTargets {
  return {
    async invoke(functionArn, payload) {
      const out = await clients.lambda.send(new InvokeCommand({ FunctionName: functionArn, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(JSON.stringify(payload)) }));
      const answer = out.Payload === undefined || out.Payload.length === 0 ? '' : decoder.decode(out.Payload);
      if (out.FunctionError !== undefined) {
        let message = answer;
        try {
          const parsed = JSON.parse(answer) as { errorMessage?: unknown };
          if (typeof parsed.errorMessage === 'string') message = parsed.errorMessage;
        } catch {
          // The answer as it came.
        }
        throw new Error(`the function failed (${out.FunctionError}): ${message}`);
      }
      return answer === '' ? null : (JSON.parse(answer) as unknown);
    },

    async startExecution(stateMachineArn, input, name) {
      try {
        await clients.sfn.send(new StartExecutionCommand({ stateMachineArn, input, name }));
        return 'started';
      } catch (error) {
        if (error instanceof Error && error.name === 'ExecutionAlreadyExists') return 'already started';
        throw error;
      }
    },

    async streamRecords(range: StreamRecordRange) {
      const end = BigInt(range.endSequenceNumber);
      let iterator: string | undefined;
      try {
        ({ ShardIterator: iterator } = await clients.streams.send(
          new GetShardIteratorCommand({ StreamArn: range.streamArn, ShardId: range.shardId, ShardIteratorType: 'AT_SEQUENCE_NUMBER', SequenceNumber: range.startSequenceNumber }),
        ));
      } catch (error) {
        // Past the stream's 24 hours the records are trimmed: nothing left to read.
        if (error instanceof Error && (error.name === 'TrimmedDataAccessException' || error.name === 'ResourceNotFoundException')) return [];
        throw error;
      }
      const records: unknown[] = [];
      let empty = 0;
      while (iterator !== undefined && empty < EMPTY_PAGES) {
        const page = await clients.streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
        iterator = page.NextShardIterator;
        const found = page.Records ?? [];
        empty = found.length === 0 ? empty + 1 : 0;
        for (const record of found) {
          const sequence = record.dynamodb?.SequenceNumber;
          if (sequence === undefined) continue;
          if (BigInt(sequence) > end) return records;
          records.push(lambdaStreamRecord(record, range.streamArn));
          if (BigInt(sequence) === end) return records;
        }
      }
      return records;
    },
  };
}

/** The local stack's dead letters (`/local/dead-letters/{queue}`), read with its local token. */
export function localDeadLetterQueue(baseUrl: string, localToken: string, name: string, fetchImpl: typeof fetch = fetch): DeadLetterQueue {
  const headers = { 'x-colend-local-token': localToken };
  // A message handed out is not handed out again in the same replay, as SQS hides it while it is being worked on.
  const handedOut = new Set<string>();
  return {
    name,
    async receive(max) {
      const response = await fetchImpl(`${baseUrl}/local/dead-letters/${encodeURIComponent(name)}?max=${handedOut.size + max}`, { headers });
      const body = (await response.json()) as { messages?: { messageId: string; body: string; attributes: Record<string, string> }[]; message?: string };
      if (!response.ok) throw new Error(body.message ?? `the local stack answered ${response.status}`);
      const fresh = (body.messages ?? []).filter((message) => !handedOut.has(message.messageId)).slice(0, max);
      for (const message of fresh) handedOut.add(message.messageId);
      return fresh.map((message): DeadLetter => ({ messageId: message.messageId, receipt: message.messageId, body: message.body, attributes: message.attributes }));
    },
    async delete(letter) {
      const response = await fetchImpl(`${baseUrl}/local/dead-letters/${encodeURIComponent(name)}/${encodeURIComponent(letter.receipt)}`, { method: 'DELETE', headers });
      if (!response.ok) throw new Error(`the local stack did not delete ${letter.messageId}: ${response.status}`);
    },
  };
}

/** How long a received message stays hidden from other readers while its redrive runs. */
const VISIBILITY_TIMEOUT_SECONDS = 300;

/**
 * A queue of the stack in AWS, by its URL or found by its construct id (CloudFormation names it
 * `<stack>-<construct id><hash>-<suffix>`).
 */
export async function sqsDeadLetterQueue(name: string, options: { readonly queueUrl?: string; readonly stackName: string; readonly region?: string }): Promise<DeadLetterQueue & { close(): void }> {
  const client = new SQSClient(options.region !== undefined ? { region: options.region } : {});
  let queueUrl = options.queueUrl;
  if (queueUrl === undefined) {
    const listed = await client.send(new ListQueuesCommand({ QueueNamePrefix: `${options.stackName}-${name}` }));
    const urls = (listed.QueueUrls as string[] | undefined) ?? [];
    if (urls.length !== 1) throw new Error(`expected one queue named ${options.stackName}-${name}…, found ${urls.length === 0 ? 'none' : urls.join(', ')}; name it with --queue-url`);
    queueUrl = urls[0];
  }
  return {
    name,
    async receive(max, { peek }) {
      const out = await client.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: max, WaitTimeSeconds: 1, VisibilityTimeout: peek ? 0 : VISIBILITY_TIMEOUT_SECONDS, MessageAttributeNames: ['All'] }),
      );
      const messages = out.Messages ?? [];
      return messages.map((message) => ({
        messageId: message.MessageId ?? '',
        receipt: message.ReceiptHandle ?? '',
        body: message.Body ?? '',
        attributes: Object.fromEntries(Object.entries(message.MessageAttributes ?? {}).flatMap(([key, value]) => (value.StringValue !== undefined ? [[key, value.StringValue]] : []))),
      }));
    },
    async delete(letter) {
      await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: letter.receipt }));
    },
    close: () => client.destroy(),
  };
}

/** Where a replay works: the local stack of this checkout (its state file), else AWS in a region. */
export type ReplayStack =
  | { readonly kind: 'local'; readonly baseUrl: string; readonly localToken: string; readonly sfnEndpoint: string; readonly dynamodbEndpoint: string }
  | { readonly kind: 'aws'; readonly region: string; readonly stackName: string; readonly queueUrl?: string };

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** `colend replay`: the queue and the targets of the stack, run, and the clients closed. */
export async function replayOn(stack: ReplayStack, queueName: string, run: (queue: DeadLetterQueue, targets: RedriveTargets) => Promise<void>): Promise<void> {
  const { LambdaClient } = await import('@aws-sdk/client-lambda');
  const { SFNClient } = await import('@aws-sdk/client-sfn');
  const { DynamoDBStreamsClient } = await import('@aws-sdk/client-dynamodb-streams');
  if (stack.kind === 'local') {
    const local = { region: 'us-east-1', credentials: LOCAL_CREDENTIALS };
    const lambda = new LambdaClient({ ...local, endpoint: `${stack.baseUrl}/local/lambda` });
    // `/local/*` answers only with the stack's local token.
    lambda.middlewareStack.add(
      (next) => (args) => {
        (args.request as { headers: Record<string, string> }).headers['x-colend-local-token'] = stack.localToken;
        return next(args);
      },
      { step: 'build', name: 'colendLocalToken' },
    );
    const sfn = new SFNClient({ ...local, endpoint: stack.sfnEndpoint });
    const streams = new DynamoDBStreamsClient({ ...local, endpoint: stack.dynamodbEndpoint });
    try {
      await run(localDeadLetterQueue(stack.baseUrl, stack.localToken, queueName), redriveTargets({ lambda, sfn, streams }));
    } finally {
      lambda.destroy();
      sfn.destroy();
      streams.destroy();
    }
    return;
  }
  const config = { region: stack.region };
  const lambda = new LambdaClient(config);
  const sfn = new SFNClient(config);
  const streams = new DynamoDBStreamsClient(config);
  const queue = await sqsDeadLetterQueue(queueName, { stackName: stack.stackName, region: stack.region, ...(stack.queueUrl !== undefined ? { queueUrl: stack.queueUrl } : {}) });
  try {
    await run(queue, redriveTargets({ lambda, sfn, streams }));
  } finally {
    queue.close();
    lambda.destroy();
    sfn.destroy();
    streams.destroy();
  }
}
