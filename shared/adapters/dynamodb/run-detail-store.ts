import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Page, PageRequest, RunDetail, RunDetailStore } from '../../ports/stores.ts';
import { batchWriteAll, queryPage, type Tables } from './client.ts';
import type { Item } from './codec.ts';
import { TABLE_KEY } from './cursor.ts';
import { stateFamilies, stateKeys } from './state-keys.ts';
import type { StoreKeys } from './key-families.ts';

/**
 * A run's details in the StateTable (S37, S38): one item per detail under the run, keyed by part
 * and position, and a head per part with the most it may hold. A part is replaced by raising its
 * head, writing its items, deleting those past the new count that an earlier attempt wrote, then
 * lowering its head.
 */
export class DynamoRunDetailStore implements RunDetailStore {
  /** The key families it reads, queries on gsi1 and writes (key-families.ts): its functions' roles allow these. */
  static readonly keys: StoreKeys = {
    reads: [stateFamilies.runDetail, stateFamilies.runDetailHead],
    queries: [],
    writes: [stateFamilies.runDetail, stateFamilies.runDetailHead],
    replaces: [stateFamilies.runDetail],
  };

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tables: Tables,
  ) {}

  async replace(run: string, part: number, details: readonly RunDetail[]): Promise<void> {
    const head = await this.doc.send(new GetCommand({ TableName: this.tables.state, Key: stateKeys.runDetailHead(run, part), ConsistentRead: true }));
    const before = typeof head.Item?.count === 'number' ? head.Item.count : 0;
    // The head is raised first, so an attempt that stops half way leaves a count that covers every item it wrote.
    if (details.length > before) await this.putHead(run, part, details.length);
    const puts = details.map((detail, seq) => ({ PutRequest: { Item: { ...stateKeys.runDetail(run, part, seq), entityType: 'RunDetail', detail } as Item } }));
    const deletes = Array.from({ length: Math.max(0, before - details.length) }, (_, i) => ({ DeleteRequest: { Key: stateKeys.runDetail(run, part, details.length + i) as Item } }));
    await batchWriteAll(this.doc, this.tables.state, [...puts, ...deletes]);
    if (details.length < before) await this.putHead(run, part, details.length);
  }

  private async putHead(run: string, part: number, count: number): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.tables.state, Item: { ...stateKeys.runDetailHead(run, part), entityType: 'RunDetailHead', count } }));
  }

  async page(run: string, request: PageRequest): Promise<Page<RunDetail>> {
    const partition = stateKeys.runDetailPartition(run);
    const page = await queryPage(this.doc, { TableName: this.tables.state, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': partition } }, request, {
      attributes: TABLE_KEY,
      where: { pk: partition },
    });
    return { items: page.items.map((i) => i.detail as RunDetail), cursor: page.cursor };
  }
}
