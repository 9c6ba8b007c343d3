import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { limitWindows, refusal, type ClientLimits, type LimitRefusal, type LimitWindows } from '../../domain/request-limits.ts';
import type { RequestCounter } from '../../ports/request-counter.ts';
import { stateKeys, STATE_TIME_TO_LIVE_ATTRIBUTE } from './state-keys.ts';

/** How a counter item is written: `open` starts a new second of the day's item, `same` adds to the second it holds. */
type Attempt = 'open' | 'same';

/** At most this many writes for one request: a guess of the second's state, then the state the failed write returned. */
const MAX_ATTEMPTS = 3;

interface CounterItem {
  readonly requests?: number;
  readonly second?: number;
  readonly inSecond?: number;
}

/**
 * The request counters of S44 (docs/adr/0011-per-client-limits-at-the-edge.md): one item per app
 * client and UTC day holds the day's count, the second it last counted and that second's count.
 * A request is one UpdateItem that adds to both counts under a condition that both stay within the
 * limits: `same` when the item holds the current second, `open` (the second reset to one) when it
 * holds an earlier one. Which of the two applies is guessed from the last second this instance
 * counted for the client; a wrong guess fails its condition and returns the item as it is
 * (no read), and the right write follows. No read is ever made.
 */
export class DynamoRequestCounter implements RequestCounter {
  /** The last second this instance counted, per client: the guess of the next write. */
  private readonly lastSecond = new Map<string, number>();
  /** A second this instance is opening, per client: concurrent requests wait for it and add to it, instead of racing to open it too. */
  private readonly opening = new Map<string, Promise<unknown>>();

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async count(clientId: string, limits: ClientLimits, instant: string): Promise<LimitRefusal | null> {
    const windows = limitWindows(instant);
    const opened = this.opening.get(`${clientId}#${windows.epochSecond}`);
    if (opened !== undefined) await opened;
    const attempt: Attempt = this.lastSecond.get(clientId) === windows.epochSecond ? 'same' : 'open';
    if (attempt === 'open') return this.open(clientId, limits, windows);
    return this.countFrom(clientId, limits, windows, attempt);
  }

  /** The first request of a second on this instance: the others of that second wait for its write. */
  private async open(clientId: string, limits: ClientLimits, windows: LimitWindows): Promise<LimitRefusal | null> {
    const key = `${clientId}#${windows.epochSecond}`;
    const counted = this.countFrom(clientId, limits, windows, 'open');
    this.opening.set(key, counted.catch(() => undefined));
    try {
      return await counted;
    } finally {
      this.opening.delete(key);
    }
  }

  private async countFrom(clientId: string, limits: ClientLimits, startWindows: LimitWindows, firstAttempt: Attempt): Promise<LimitRefusal | null> {
    let windows = startWindows;
    let attempt = firstAttempt;
    for (let tries = 0; tries < MAX_ATTEMPTS; tries += 1) {
      const found = await this.countOnce(clientId, limits, windows, attempt);
      if (found === 'COUNTED') {
        this.remember(clientId, windows.epochSecond);
        return null;
      }
      if ((found.requests ?? 0) >= limits.requestsPerDay) return refusal('requestsPerDay', limits, windows);
      const sameSecond = found.second === windows.epochSecond;
      if (sameSecond && (found.inSecond ?? 0) >= limits.requestsPerSecond) return refusal('requestsPerSecond', limits, windows);
      if (found.second !== undefined && found.second > windows.epochSecond) {
        // Another instance counts a later second (its clock ahead of ours): this request counts in that second.
        windows = { ...windows, epochSecond: found.second };
        attempt = 'same';
        continue;
      }
      attempt = sameSecond ? 'same' : 'open';
    }
    // Other requests of the client kept changing the item between our writes: a busy second.
    return refusal('requestsPerSecond', limits, windows);
  }

  /** One conditional UpdateItem; on a failed condition, the item as it was (returned by the failure, not read). */
  private async countOnce(clientId: string, limits: ClientLimits, windows: LimitWindows, attempt: Attempt): Promise<'COUNTED' | CounterItem> {
    const common = {
      TableName: this.tableName,
      Key: stateKeys.clientRequests(clientId, windows.day),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    };
    const names = { '#second': 'second', '#inSecond': 'inSecond', '#requests': 'requests' };
    const withinDay = '(attribute_not_exists(#requests) OR #requests < :perDay)';
    try {
      if (attempt === 'same') {
        await this.doc.send(
          new UpdateCommand({
            ...common,
            UpdateExpression: 'ADD #requests :one, #inSecond :one',
            ConditionExpression: `#second = :second AND #inSecond < :perSecond AND ${withinDay}`,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: { ':one': 1, ':second': windows.epochSecond, ':perSecond': limits.requestsPerSecond, ':perDay': limits.requestsPerDay },
          }),
        );
      } else {
        await this.doc.send(
          new UpdateCommand({
            ...common,
            UpdateExpression: 'SET #second = :second, #inSecond = :one, #type = :type, #ttl = :ttl ADD #requests :one',
            ConditionExpression: `(attribute_not_exists(#second) OR #second < :second) AND ${withinDay}`,
            ExpressionAttributeNames: { ...names, '#type': 'entityType', '#ttl': STATE_TIME_TO_LIVE_ATTRIBUTE },
            ExpressionAttributeValues: {
              ':one': 1,
              ':second': windows.epochSecond,
              ':perDay': limits.requestsPerDay,
              ':type': 'ClientRequests',
              // Kept one day past its own, then removed by the table's time to live.
              ':ttl': windows.epochSecond + windows.secondsLeftInDay + 86_400,
            },
          }),
        );
      }
      return 'COUNTED';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return (error.Item === undefined ? {} : itemOf(error.Item)) as CounterItem;
    }
  }

  private remember(clientId: string, epochSecond: number): void {
    // Bounded: an instance serves a few clients; a stale guess only costs one failed write.
    if (this.lastSecond.size >= 10_000) this.lastSecond.clear();
    this.lastSecond.set(clientId, epochSecond);
  }
}

/** The failed condition's item comes back in DynamoDB's own encoding, numbers as strings. */
function itemOf(raw: Record<string, unknown>): CounterItem {
  const numberOf = (name: string): number | undefined => {
    const value = raw[name];
    if (typeof value === 'number') return value;
    const encoded = (value as { N?: string } | undefined)?.N;
    return encoded === undefined ? undefined : Number(encoded);
  };
  return { requests: numberOf('requests'), second: numberOf('second'), inSecond: numberOf('inSecond') };
}
