import { ConditionalCheckFailedException, DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  type BatchWriteCommandOutput,
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  type BatchGetCommandOutput,
  TransactWriteCommand,
  type QueryCommandInput,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { WriteConflict, type PageRequest } from '../../ports/stores.ts';
import { GSI1_KEY, decodeCursor, encodeCursor, type CursorShape } from './cursor.ts';
import { invariant } from '../../domain/errors.ts';
import { MAX_TRANSACTION_ITEMS } from '../../domain/transaction-size.ts';
import type { Item } from './codec.ts';

export interface Tables {
  readonly ledger: string;
  readonly state: string;
}

export function tablesFromEnv(env: NodeJS.ProcessEnv = process.env): Tables {
  const ledger = env.LEDGER_TABLE;
  const state = env.STATE_TABLE;
  if (!ledger || !state) throw new Error('LEDGER_TABLE and STATE_TABLE must be set');
  return { ledger, state };
}

export function createDocumentClient(client = new DynamoDBClient({})): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** Every page of a query; request paths only query partitions whose size is bounded. */
export async function queryAll(doc: DynamoDBDocumentClient, input: QueryCommandInput): Promise<Item[]> {
  const items: Item[] = [];
  for await (const page of queryPages(doc, input)) items.push(...page);
  return items;
}

/** The pages of a query one at a time, each read when the one before is done with: what a partition of any size needs. */
export async function* queryPages(doc: DynamoDBDocumentClient, input: QueryCommandInput): AsyncGenerator<Item[]> {
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(new QueryCommand({ ...input, ExclusiveStartKey }));
    yield (page.Items ?? []) as Item[];
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
}

/**
 * One page of a query: one request of at most `request.limit` items from the cursor's key, and the
 * cursor of the next page (DynamoDB's last key, absent when the query is exhausted). The cursor is
 * checked against `shape` before anything is read. A filtered query may answer fewer items than
 * the limit and still a cursor: a page is one bounded read, never a loop to fill it.
 */
export async function queryPage(doc: DynamoDBDocumentClient, input: QueryCommandInput, request: PageRequest, shape: CursorShape): Promise<{ items: Item[]; cursor: string | null }> {
  const ExclusiveStartKey = decodeCursor(request.cursor, shape);
  const out = await doc.send(new QueryCommand({ ...input, Limit: request.limit, ...(ExclusiveStartKey === undefined ? {} : { ExclusiveStartKey }) }));
  return { items: (out.Items ?? []) as Item[], cursor: encodeCursor(out.LastEvaluatedKey) };
}

/**
 * A page of the latest version of each item of an index partition that lists every version
 * newest first under its item's `pk` (programs, bank formats): the first version a page meets of
 * an item is its latest, and a page that goes on within an item (the cursor's `pk`) skips its
 * older versions, so a page may hold fewer than the limit.
 */
export async function latestVersionsPage(doc: DynamoDBDocumentClient, table: string, partition: string, request: PageRequest): Promise<{ items: Item[]; cursor: string | null }> {
  const shape = { attributes: GSI1_KEY, where: { gsi1pk: partition } };
  const from = decodeCursor(request.cursor, shape);
  const page = await queryPage(doc, { TableName: table, IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': partition }, ScanIndexForward: false }, request, shape);
  const seen = new Set(from === undefined ? [] : [from.pk]);
  const latest = page.items.filter((item) => {
    const pk = String(item.pk);
    if (seen.has(pk)) return false;
    seen.add(pk);
    return true;
  });
  return { items: latest, cursor: page.cursor };
}

/** Puts and deletes, 25 a call, unprocessed ones sent again (not atomic: for items each written whole and idempotently). */
export async function batchWriteAll(doc: DynamoDBDocumentClient, table: string, requests: readonly BatchWriteRequest[]): Promise<void> {
  for (let i = 0; i < requests.length; i += 25) {
    let pending: BatchWriteRequest[] | undefined = requests.slice(i, i + 25);
    for (let attempt = 1; pending && pending.length > 0; attempt++) {
      if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * Math.min(1000, 20 * 2 ** attempt))));
      const out: BatchWriteCommandOutput = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
      pending = out.UnprocessedItems?.[table] as BatchWriteRequest[] | undefined;
    }
  }
}
export type BatchWriteRequest = { PutRequest: { Item: Item } } | { DeleteRequest: { Key: Item } };

/** Every item of `keys` that exists, read consistently 100 at a time, unprocessed keys asked again. */
export async function batchGetAll(doc: DynamoDBDocumentClient, table: string, keys: readonly Record<string, unknown>[]): Promise<Item[]> {
  const items: Item[] = [];
  for (let i = 0; i < keys.length; i += 100) {
    let pending: Record<string, unknown>[] | undefined = keys.slice(i, i + 100);
    while (pending && pending.length > 0) {
      const out: BatchGetCommandOutput = await doc.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: true } } }));
      items.push(...((out.Responses?.[table] ?? []) as Item[]));
      pending = out.UnprocessedKeys?.[table]?.Keys;
    }
  }
  return items;
}

export type TransactItems = NonNullable<TransactWriteCommandInput['TransactItems']>;

/**
 * Writes one atomic group. A failed condition becomes a WriteConflict naming the item that lost
 * (`entities[i]` names item i); a conflict with another transaction in flight is retried a few
 * times, since the other writer's outcome decides ours.
 */
export async function transactWrite(doc: DynamoDBDocumentClient, items: TransactItems, entities: readonly string[], attempts = 8): Promise<void> {
  // The use cases measure their writes first (shared/domain/transaction-size.ts); one that did not is a defect, not a request to send.
  invariant(items.length <= MAX_TRANSACTION_ITEMS, 'a transaction holds at most 100 items', { items: items.length, entities: [...new Set(entities)].join(',') });
  for (let attempt = 1; ; attempt++) {
    try {
      await doc.send(new TransactWriteCommand({ TransactItems: items }));
      return;
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      const failed = reasons.findIndex((r) => r.Code === 'ConditionalCheckFailed');
      if (failed >= 0) {
        const entity = entities[failed] ?? 'item';
        throw new WriteConflict(entity === 'idempotency' ? 'IDEMPOTENCY_KEY' : 'ALREADY_EXISTS', entity);
      }
      const inFlight = reasons.some((r) => r.Code === 'TransactionConflict');
      if (!inFlight) throw error;
      if (attempt >= attempts) throw new WriteConflict('BUSY', entities.join(','));
      // Full jitter, so writers that collided do not collide again in step.
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * Math.min(500, 10 * 2 ** attempt))));
    }
  }
}

/**
 * Writes a run item (a run of a date or a period) whole: created when `expectedAttempt` is 0
 * (`attribute_not_exists(pk)`), else only over the attempt read (`attempt = :a`), so two starts of
 * one attempt cannot both win. A lost condition is a WriteConflict on `entity`.
 */
export async function putAttempt(doc: DynamoDBDocumentClient, table: string, item: Item, expectedAttempt: number, entity: string): Promise<void> {
  const created = expectedAttempt === 0;
  try {
    await doc.send(
      new PutCommand({
        TableName: table,
        Item: item,
        ConditionExpression: created ? 'attribute_not_exists(pk)' : 'attempt = :a',
        ...(created ? {} : { ExpressionAttributeValues: { ':a': expectedAttempt } }),
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) throw new WriteConflict(created ? 'ALREADY_EXISTS' : 'VERSION', entity);
    throw error;
  }
}
