import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RegulatoryFigures } from '../../domain/regulatory-figures.ts';
import type { IdempotencyRecord, RegulatoryFiguresStore, RegulatoryReportRun, RegulatoryReportShard, RegulatoryReportStore } from '../../ports/stores.ts';
import { decode, encode, stripKeys, type Item } from './codec.ts';
import { putAttempt, queryAll, transactWrite, type Tables } from './client.ts';
import { stateFamilies, stateKeys } from './state-keys.ts';
import { idempotencyPut } from './stores.ts';
import type { StoreKeys } from './key-families.ts';

/**
 * A bank's dated regulatory figures in the StateTable (docs/access-patterns.md S31): one item per
 * version under the lender's partition, written once with its idempotency record, read all at
 * once (a bank holds a few versions a quarter).
 */
export class DynamoRegulatoryFiguresStore implements RegulatoryFiguresStore {
  /** The key families it reads, queries on gsi1 and writes (key-families.ts): its functions' roles allow these. */
  static readonly keys: StoreKeys = { reads: [stateFamilies.lender], queries: [], writes: [stateFamilies.lender, stateFamilies.idempotency] };

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tables: Tables,
  ) {}

  async versions(lenderId: string): Promise<RegulatoryFigures[]> {
    const items = await queryAll(this.doc, {
      TableName: this.tables.state,
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :f)',
      ExpressionAttributeValues: { ':p': stateKeys.lenderPartition(lenderId), ':f': stateKeys.regulatoryFiguresPrefix },
      ConsistentRead: true,
    });
    return items.map((item) => decode<RegulatoryFigures>(stripKeys(item)));
  }

  async put(figures: RegulatoryFigures, idempotency: IdempotencyRecord): Promise<void> {
    const item: Item = { ...stateKeys.regulatoryFigures(figures.lenderId, figures.effectiveDate, figures.version), entityType: 'RegulatoryFigures', ...(encode(figures) as Item) };
    await transactWrite(
      this.doc,
      [idempotencyPut(this.tables, idempotency), { Put: { TableName: this.tables.state, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } }],
      ['idempotency', 'regulatory-figures'],
    );
  }
}

/** The regulatory report run of a date and its shards' measures (docs/access-patterns.md S32-S33). */
export class DynamoRegulatoryReportStore implements RegulatoryReportStore {
  /** The key families it reads, queries on gsi1 and writes (key-families.ts): its functions' roles allow these. */
  static readonly keys: StoreKeys = { reads: [stateFamilies.regulatoryReport], queries: [], writes: [stateFamilies.regulatoryReport] };

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tables: Tables,
  ) {}

  async getRun(businessDate: string): Promise<RegulatoryReportRun | null> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tables.state, Key: stateKeys.regulatoryReportRun(businessDate), ConsistentRead: true }));
    return out.Item ? decode<RegulatoryReportRun>(stripKeys(out.Item)) : null;
  }

  async putRun(run: RegulatoryReportRun, expectedAttempt: number): Promise<void> {
    const item = { ...stateKeys.regulatoryReportRun(run.businessDate), entityType: 'RegulatoryReportRun', ...(encode(run) as Item) };
    await putAttempt(this.doc, this.tables.state, item, expectedAttempt, 'regulatory-report-run');
  }

  async putShard(shard: RegulatoryReportShard): Promise<void> {
    const item = { ...stateKeys.regulatoryReportShard(shard.businessDate, shard.shard), entityType: 'RegulatoryReportShard', ...(encode(shard) as Item) };
    await this.doc.send(new PutCommand({ TableName: this.tables.state, Item: item }));
  }

  async shards(businessDate: string): Promise<RegulatoryReportShard[]> {
    const items = await queryAll(this.doc, {
      TableName: this.tables.state,
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)',
      ExpressionAttributeValues: { ':p': stateKeys.regulatoryReportPartition(businessDate), ':s': stateKeys.regulatoryReportShardPrefix },
      ConsistentRead: true,
    });
    return items.map((item) => decode<RegulatoryReportShard>(stripKeys(item)));
  }
}
