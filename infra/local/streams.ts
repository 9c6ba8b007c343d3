import { randomUUID } from 'node:crypto';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand, type DynamoDBStreamsClient, type _Record } from '@aws-sdk/client-dynamodb-streams';
import { LOCAL_REGION, asRecord, asString, functionArn, type TemplateResolver } from './template.ts';

/**
 * The template's DynamoDB stream event sources, run locally as Lambda runs them in AWS: each
 * table stream is read shard by shard from its oldest record, the template's filter patterns keep
 * the records the function asks for, and the function gets them in batches. A batch that fails
 * (the handler throws, or reports its first failed record) is handed again from that record, up
 * to the mapping's retry attempts; what still fails goes, as Lambda's on-failure record (the
 * batch's shard and sequence numbers), to the mapping's on-failure queue (infra/local/dead-letters.ts),
 * and is logged.
 */

export interface LocalStreamSource {
  readonly logicalId: string;
  readonly functionLogicalId: string;
  readonly tableLogicalId: string;
  readonly batchSize: number;
  readonly retryAttempts: number;
  readonly reportBatchItemFailures: boolean;
  readonly patterns: readonly unknown[];
  /** The queue (logical id) of the mapping's on-failure destination. */
  readonly deadLetterQueue?: string;
}

/** The stream event sources of the template (`AWS::Lambda::EventSourceMapping` on a table's `StreamArn`). */
export function streamSourcesFromTemplate(resolver: TemplateResolver): LocalStreamSource[] {
  return resolver.resourcesOfType('AWS::Lambda::EventSourceMapping').flatMap(([logicalId, resource]) => {
    const props = resource.Properties ?? {};
    const source = asRecord(props.EventSourceArn)?.['Fn::GetAtt'];
    const fn = asString(asRecord(props.FunctionName)?.Ref);
    if (!Array.isArray(source) || source[1] !== 'StreamArn' || fn === undefined) return [];
    const filters = (asRecord(props.FilterCriteria)?.Filters ?? []) as { Pattern?: string }[];
    const onFailure = asRecord(asRecord(asRecord(props.DestinationConfig)?.OnFailure)?.Destination)?.['Fn::GetAtt'];
    const deadLetterQueue = Array.isArray(onFailure) && onFailure[1] === 'Arn' ? String(onFailure[0]) : undefined;
    return [
      {
        logicalId,
        functionLogicalId: fn,
        tableLogicalId: String(source[0]),
        batchSize: typeof props.BatchSize === 'number' ? props.BatchSize : 100,
        retryAttempts: typeof props.MaximumRetryAttempts === 'number' ? props.MaximumRetryAttempts : 10,
        reportBatchItemFailures: Array.isArray(props.FunctionResponseTypes) && props.FunctionResponseTypes.includes('ReportBatchItemFailures'),
        patterns: filters.flatMap((f) => (f.Pattern === undefined ? [] : [JSON.parse(f.Pattern) as unknown])),
        ...(deadLetterQueue !== undefined ? { deadLetterQueue } : {}),
      },
    ];
  });
}

/** Whether an event matches an EventBridge-style pattern: every key of the pattern, a list of allowed values or a nested pattern. */
export function matchesPattern(value: unknown, pattern: unknown): boolean {
  if (Array.isArray(pattern)) return pattern.some((allowed) => allowed === value);
  if (pattern === null || typeof pattern !== 'object') return pattern === value;
  const record = asRecord(value);
  if (record === undefined) return false;
  return Object.entries(pattern as Record<string, unknown>).every(([key, inner]) => matchesPattern(record[key], inner));
}

/** A stream record as Lambda hands it to a function. */
function lambdaRecord(record: _Record, streamArn: string) {
  return { eventID: record.eventID, eventName: record.eventName, eventVersion: '1.1', eventSource: 'aws:dynamodb', awsRegion: LOCAL_REGION, dynamodb: record.dynamodb, eventSourceARN: streamArn };
}

export interface StreamPollerDeps {
  readonly dynamodb: DynamoDBClient;
  readonly streams: DynamoDBStreamsClient;
  readonly tableName: (logicalId: string) => string;
  readonly invoke: (functionLogicalId: string, event: unknown) => Promise<unknown>;
  readonly log: (line: string) => void;
  /** Puts a message in a dead-letter queue (logical id). */
  readonly deadLetter?: (queue: string, body: unknown) => void;
}

/** What Lambda puts in a stream mapping's on-failure destination: the batch's bounds in the stream, not its records. */
export function streamFailureRecord(source: LocalStreamSource, streamArn: string, shardId: string, records: readonly _Record[], attempts: number, error: string): Record<string, unknown> {
  const first = records[0];
  const last = records[records.length - 1];
  const arrival = (record: _Record | undefined): string | undefined => record?.dynamodb?.ApproximateCreationDateTime?.toISOString();
  return {
    version: '1.0',
    timestamp: new Date().toISOString(),
    requestContext: { requestId: randomUUID(), functionArn: functionArn(source.functionLogicalId), condition: 'RetryAttemptsExhausted', approximateInvokeCount: attempts },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    errorMessage: error,
    DDBStreamBatchInfo: {
      shardId,
      startSequenceNumber: first?.dynamodb?.SequenceNumber,
      endSequenceNumber: last?.dynamodb?.SequenceNumber,
      approximateArrivalOfFirstRecord: arrival(first),
      approximateArrivalOfLastRecord: arrival(last),
      batchSize: records.length,
      streamArn,
    },
  };
}

interface Shard {
  readonly shardId: string;
  iterator: string | undefined;
  /** The last record handed on (or given up on): a new iterator starts after it. */
  lastSequence: string | undefined;
  /** The iterator must be asked for again (DynamoDB Local refuses one taken while the shard was empty, and iterators expire). */
  stale: boolean;
  /** Records read and not yet handled, oldest first. */
  pending: _Record[];
  attempts: number;
}

/** Reads the streams of the sources' tables and hands their records to the functions. */
export class StreamPoller {
  private running = false;
  private loop: Promise<void> | null = null;
  private readonly shards = new Map<string, Map<string, Shard>>();
  private readonly arns = new Map<string, string>();
  /** Records the function never took after every retry. */
  readonly deadLetters: { readonly source: string; readonly record: unknown; readonly error: string }[] = [];
  private idleRounds = 0;
  /** Wakes the loop from an idle wait (stop, settled). */
  private wake: (() => void) | null = null;
  private settling = 0;

  /**
   * A busy stream is read again at once; an idle one after `intervalMs`, doubling while it stays
   * idle up to `maxIdleMs` (Lambda reads each shard about four times a second): an idle stack
   * does not spend the cores on empty reads. `settled()` reads at the shortest interval.
   */
  constructor(
    private readonly sources: readonly LocalStreamSource[],
    private readonly deps: StreamPollerDeps,
    private readonly intervalMs = 20,
    private readonly maxIdleMs = 160,
  ) {}

  start(): void {
    if (this.running || this.sources.length === 0) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Resolves once every stream has been read to its end and every record handled. */
  async settled(timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    this.settling += 1;
    try {
      this.idleRounds = 0;
      this.wake?.();
      while (this.idleRounds < 2) {
        if (Date.now() > until) throw new Error('the table streams did not settle');
        await new Promise((resolve) => setTimeout(resolve, this.intervalMs));
      }
    } finally {
      this.settling -= 1;
    }
  }

  /** The wait after an idle round: doubling from `intervalMs` to `maxIdleMs`, cut short by `wake`. */
  private idleWait(): Promise<void> {
    const idleMs = this.settling > 0 ? this.intervalMs : Math.min(this.maxIdleMs, this.intervalMs * 2 ** Math.min(this.idleRounds, 8));
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, idleMs);
      this.wake = done;
    });
  }

  private async run(): Promise<void> {
    let nextDiscovery = 0;
    let nextRenewal = 0;
    while (this.running) {
      let busy = false;
      try {
        // New shards once a second; a stale iterator asked for again five times a second.
        const now = Date.now();
        if (now >= nextDiscovery) {
          await this.discoverShards();
          nextDiscovery = now + 1_000;
          nextRenewal = now + 200;
        } else if (now >= nextRenewal) {
          await this.renewStale();
          nextRenewal = now + 200;
        }
        for (const source of this.sources) busy = (await this.pollSource(source)) || busy;
        busy = busy || this.anyStale();
      } catch (error) {
        this.deps.log(`stream: ${error instanceof Error ? error.message : String(error)}`);
      }
      this.idleRounds = busy ? 0 : this.idleRounds + 1;
      if (!busy) await this.idleWait();
    }
  }

  private async discoverShards(): Promise<void> {
    for (const source of this.sources) {
      let arn = this.arns.get(source.logicalId);
      if (arn === undefined) {
        const { Table } = await this.deps.dynamodb.send(new DescribeTableCommand({ TableName: this.deps.tableName(source.tableLogicalId) }));
        arn = Table?.LatestStreamArn;
        if (arn === undefined) throw new Error(`table ${source.tableLogicalId} has no stream for ${source.logicalId}`);
        this.arns.set(source.logicalId, arn);
      }
      const known = this.shards.get(source.logicalId) ?? new Map<string, Shard>();
      this.shards.set(source.logicalId, known);
      const { StreamDescription } = await this.deps.streams.send(new DescribeStreamCommand({ StreamArn: arn }));
      for (const shard of StreamDescription?.Shards ?? []) {
        if (shard.ShardId === undefined || known.has(shard.ShardId)) continue;
        known.set(shard.ShardId, { shardId: shard.ShardId, iterator: undefined, lastSequence: undefined, stale: true, pending: [], attempts: 0 });
      }
      for (const shard of known.values()) if (shard.stale) await this.renew(arn, shard);
    }
  }

  private anyStale(): boolean {
    return [...this.shards.values()].some((shards) => [...shards.values()].some((shard) => shard.stale));
  }

  private async renewStale(): Promise<void> {
    for (const [logicalId, shards] of this.shards) {
      const arn = this.arns.get(logicalId);
      if (arn === undefined) continue;
      for (const shard of shards.values()) if (shard.stale) await this.renew(arn, shard);
    }
  }

  /** A new iterator for the shard: after the last record handled, or from its oldest record. */
  private async renew(arn: string, shard: Shard): Promise<void> {
    const { ShardIterator } = await this.deps.streams.send(
      new GetShardIteratorCommand(
        shard.lastSequence === undefined
          ? { StreamArn: arn, ShardId: shard.shardId, ShardIteratorType: 'TRIM_HORIZON' }
          : { StreamArn: arn, ShardId: shard.shardId, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: shard.lastSequence },
      ),
    );
    shard.iterator = ShardIterator;
    shard.stale = false;
  }

  /** One read of every shard of a source; true when there was something to do. */
  private async pollSource(source: LocalStreamSource): Promise<boolean> {
    const arn = this.arns.get(source.logicalId);
    let busy = false;
    for (const shard of this.shards.get(source.logicalId)?.values() ?? []) {
      if (shard.pending.length === 0 && shard.iterator !== undefined && !shard.stale) {
        let out;
        try {
          out = await this.deps.streams.send(new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: source.batchSize }));
        } catch (error) {
          if (!(error instanceof Error) || !['TrimmedDataAccessException', 'ExpiredIteratorException'].includes(error.name)) throw error;
          shard.stale = true;
          continue;
        }
        shard.iterator = out.NextShardIterator;
        const records = out.Records ?? [];
        const last = records[records.length - 1]?.dynamodb?.SequenceNumber;
        if (last !== undefined) shard.lastSequence = last;
        shard.pending = records.filter((r) => source.patterns.length === 0 || source.patterns.some((p) => matchesPattern(lambdaRecord(r, arn ?? ''), p)));
        if (records.length > 0) busy = true;
      }
      if (shard.pending.length > 0 && arn !== undefined) {
        busy = true;
        await this.deliver(source, arn, shard);
      }
    }
    return busy;
  }

  private async deliver(source: LocalStreamSource, arn: string, shard: Shard): Promise<void> {
    const batch = shard.pending.slice(0, source.batchSize);
    let failedAt = -1;
    let error = '';
    try {
      const answer = asRecord(await this.deps.invoke(source.functionLogicalId, { Records: batch.map((r) => lambdaRecord(r, arn)) }));
      const failures = (answer?.batchItemFailures ?? []) as { itemIdentifier?: string }[];
      if (source.reportBatchItemFailures && failures.length > 0) {
        failedAt = batch.findIndex((r) => r.dynamodb?.SequenceNumber === failures[0]?.itemIdentifier);
        if (failedAt < 0) failedAt = 0;
        error = `the function reported record ${failures[0]?.itemIdentifier ?? '?'} failed`;
      }
    } catch (thrown) {
      failedAt = 0;
      error = thrown instanceof Error ? thrown.message : String(thrown);
    }
    if (failedAt < 0) {
      shard.pending = shard.pending.slice(batch.length);
      shard.attempts = 0;
      return;
    }
    shard.pending = shard.pending.slice(failedAt);
    shard.attempts += 1;
    if (shard.attempts > source.retryAttempts) {
      const [record, ...rest] = shard.pending;
      this.deadLetters.push({ source: source.logicalId, record, error });
      if (record !== undefined && source.deadLetterQueue !== undefined) this.deps.deadLetter?.(source.deadLetterQueue, streamFailureRecord(source, arn, shard.shardId, [record], source.retryAttempts + 1, error));
      this.deps.log(
        `stream: ${source.logicalId} gave up on record ${record?.dynamodb?.SequenceNumber ?? '?'} after ${source.retryAttempts} retries${source.deadLetterQueue !== undefined ? `, kept in ${source.deadLetterQueue}` : ''}: ${error}`,
      );
      shard.pending = rest;
      shard.attempts = 0;
    }
  }
}
