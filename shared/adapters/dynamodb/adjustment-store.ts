import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Adjustment } from '../../domain/adjustment.ts';
import { ValidationError } from '../../domain/errors.ts';
import { WriteConflict, type AdjustmentQuery, type AdjustmentStore, type Page } from '../../ports/stores.ts';
import type { Tables } from './client.ts';
import { decode, encode, stripKeys, type Item } from './codec.ts';
import { stateKeys } from './state-keys.ts';

/** A listing's cursor: the index key it stopped at, as URL-safe text. */
const cursorOf = (key: Record<string, unknown>): string => Buffer.from(JSON.stringify(key)).toString('base64url');

function keyOf(cursor: string): Record<string, unknown> {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (key !== null && typeof key === 'object' && !Array.isArray(key)) return key as Record<string, unknown>;
  } catch {
    // refused below
  }
  throw new ValidationError('cursor is not one a listing of adjustments gave', { path: 'cursor', rule: 'cursor' });
}

/**
 * The adjustments of reconciliation in the StateTable (R5): one item per adjustment, written on its
 * version, indexed by state and proposal time; a lender's listing filters the state's partition on
 * the two parties (adjustments are few: a finance team's work queue).
 */
export class DynamoAdjustmentStore implements AdjustmentStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tables: Tables,
  ) {}

  async get(adjustmentId: string): Promise<Adjustment | null> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tables.state, Key: stateKeys.adjustment(adjustmentId), ConsistentRead: true }));
    return out.Item ? decode<Adjustment>(stripKeys(out.Item)) : null;
  }

  async create(adjustment: Adjustment): Promise<void> {
    await this.write(adjustment, 0);
  }

  async put(changed: Adjustment, expectedVersion: number): Promise<void> {
    await this.write(changed, expectedVersion);
  }

  private async write(a: Adjustment, expectedVersion: number): Promise<void> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tables.state,
          Item: { ...stateKeys.adjustment(a.adjustmentId), ...stateKeys.adjustmentIndex(a.state, a.proposedAt, a.adjustmentId), entityType: 'Adjustment', ...(encode(a) as Item) },
          ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(pk)' : 'version = :v',
          ...(expectedVersion === 0 ? {} : { ExpressionAttributeValues: { ':v': expectedVersion } }),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new WriteConflict(expectedVersion === 0 ? 'ALREADY_EXISTS' : 'VERSION', 'adjustment');
      throw error;
    }
  }

  async list(query: AdjustmentQuery): Promise<Page<Adjustment>> {
    const items: Adjustment[] = [];
    let startKey = query.cursor === undefined ? undefined : keyOf(query.cursor);
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tables.state,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :p',
          ...(query.lenderId === null
            ? { ExpressionAttributeValues: { ':p': stateKeys.adjustmentsPartition(query.state) } }
            : {
                FilterExpression: 'lenderId = :l OR counterparty = :l',
                ExpressionAttributeValues: { ':p': stateKeys.adjustmentsPartition(query.state), ':l': query.lenderId },
              }),
          Limit: query.limit - items.length,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of out.Items ?? []) items.push(decode<Adjustment>(stripKeys(item)));
      startKey = out.LastEvaluatedKey;
    } while (startKey !== undefined && items.length < query.limit);
    return { items, cursor: startKey === undefined ? null : cursorOf(startKey) };
  }
}
