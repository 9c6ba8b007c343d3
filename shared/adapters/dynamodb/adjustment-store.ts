import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Adjustment } from '../../domain/adjustment.ts';
import { WriteConflict, type AdjustmentQuery, type AdjustmentStore, type Page } from '../../ports/stores.ts';
import { queryPage, type Tables } from './client.ts';
import { GSI1_KEY } from './cursor.ts';
import { decode, encode, stripKeys, type Item } from './codec.ts';
import { stateFamilies, stateKeys } from './state-keys.ts';
import type { StoreKeys } from './key-families.ts';

/**
 * The adjustments of reconciliation in the StateTable (R5): one item per adjustment, written on its
 * version, indexed by state and proposal time; a lender's listing filters the state's partition on
 * the two parties (adjustments are few: a finance team's work queue).
 */
export class DynamoAdjustmentStore implements AdjustmentStore {
  /** The key families it reads, queries on gsi1 and writes (key-families.ts): its functions' roles allow these. */
  static readonly keys: StoreKeys = { reads: [stateFamilies.adjustment], queries: [stateFamilies.adjustments], writes: [stateFamilies.adjustment] };

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

  /** One read of the state's index (filtered to the lender's two parties when bound to one): a page may hold fewer than `limit` and still a cursor. */
  async list(query: AdjustmentQuery): Promise<Page<Adjustment>> {
    const partition = stateKeys.adjustmentsPartition(query.state);
    const page = await queryPage(
      this.doc,
      {
        TableName: this.tables.state,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :p',
        ...(query.lenderId === null
          ? { ExpressionAttributeValues: { ':p': partition } }
          : { FilterExpression: 'lenderId = :l OR counterparty = :l', ExpressionAttributeValues: { ':p': partition, ':l': query.lenderId } }),
      },
      query,
      { attributes: GSI1_KEY, where: { gsi1pk: partition } },
    );
    return { items: page.items.map((item) => decode<Adjustment>(stripKeys(item))), cursor: page.cursor };
  }
}
