import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { BankFormatVersion } from '../../domain/counterpart-records.ts';
import type { BankFormatStore, IdempotencyRecord, Page, PageRequest } from '../../ports/stores.ts';
import { latestVersionsPage, queryAll, transactWrite, type Tables } from './client.ts';
import { stateFamilies, stateKeys } from './state-keys.ts';
import { fromItem, idempotencyPut, toItem } from './stores.ts';
import type { StoreKeys } from './key-families.ts';

/**
 * The versions of each bank's statement mapping in the StateTable (docs/access-patterns.md S34):
 * one item per version under the bank's partition, written once on `attribute_not_exists` with
 * the write's idempotency record, and indexed on gsi1 so every bank's versions are one query.
 */
export class DynamoBankFormatStore implements BankFormatStore {
  /** The key families it reads, queries on gsi1 and writes (key-families.ts): its functions' roles allow these. */
  static readonly keys: StoreKeys = { reads: [stateFamilies.bankFormat], queries: [stateFamilies.bankFormats], writes: [stateFamilies.bankFormat, stateFamilies.idempotency] };

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tables: Tables,
  ) {}

  async versions(bankId: string): Promise<BankFormatVersion[]> {
    const items = await queryAll(this.doc, {
      TableName: this.tables.state,
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :v)',
      ExpressionAttributeValues: { ':p': stateKeys.bankFormatPartition(bankId), ':v': stateKeys.bankFormatVersionPrefix },
      ConsistentRead: true,
    });
    return items.map((item) => fromItem<BankFormatVersion>(item) as BankFormatVersion);
  }

  async pageLatest(request: PageRequest): Promise<Page<BankFormatVersion>> {
    const page = await latestVersionsPage(this.doc, this.tables.state, stateKeys.bankFormatsPartition, request);
    return { items: page.items.map((item) => fromItem<BankFormatVersion>(item) as BankFormatVersion), cursor: page.cursor };
  }

  async put(format: BankFormatVersion, idempotency: IdempotencyRecord): Promise<void> {
    const keys = { ...stateKeys.bankFormat(format.bankId, format.version), ...stateKeys.bankFormatIndex(format.bankId, format.version) };
    await transactWrite(
      this.doc,
      [idempotencyPut(this.tables, idempotency), { Put: { TableName: this.tables.state, Item: toItem('BankFormat', keys, format), ConditionExpression: 'attribute_not_exists(pk)' } }],
      ['idempotency', 'bank-format'],
    );
  }
}
