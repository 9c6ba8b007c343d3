import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { WriteConflict, type IdempotencyRecord, type Page, type PageRequest, type Reconciliation, type ReconciliationSettings, type ReconciliationStore, type ReconciliationUpload } from '../../ports/stores.ts';
import { queryAll, queryPage, transactWrite, type Tables } from './client.ts';
import { idempotencyPut } from './stores.ts';
import { GSI1_KEY } from './cursor.ts';
import { decode, encode, stripKeys, type Item } from './codec.ts';
import { stateFamilies, stateKeys } from './state-keys.ts';
import type { StoreKeys } from './key-families.ts';

/** Reconciliations, uploads and counterparty settings in the StateTable (R1, R3, R4). */
export class DynamoReconciliationStore implements ReconciliationStore {
  /** The key families it reads, queries on gsi1 and writes (key-families.ts): its functions' roles allow these. */
  static readonly keys: StoreKeys = { reads: [stateFamilies.upload, stateFamilies.reconciliation, stateFamilies.reconciliationSettings], queries: [stateFamilies.reconciliations], writes: [stateFamilies.upload, stateFamilies.reconciliation, stateFamilies.reconciliationSettings, stateFamilies.idempotency] };

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tables: Tables,
  ) {}

  async putUpload(upload: ReconciliationUpload): Promise<void> {
    await this.conditionalPut({ ...stateKeys.upload(upload.uploadId), entityType: 'ReconciliationUpload', ...(encode(upload) as Item) }, 0, 'reconciliation-upload');
  }

  async getUpload(uploadId: string): Promise<ReconciliationUpload | null> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tables.state, Key: stateKeys.upload(uploadId), ConsistentRead: true }));
    return out.Item ? decode<ReconciliationUpload>(stripKeys(out.Item)) : null;
  }

  async get(reconciliationId: string): Promise<Reconciliation | null> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tables.state, Key: stateKeys.reconciliation(reconciliationId), ConsistentRead: true }));
    return out.Item ? decode<Reconciliation>(stripKeys(out.Item)) : null;
  }

  async put(r: Reconciliation, expectedVersion: number): Promise<void> {
    await this.conditionalPut(
      {
        ...stateKeys.reconciliation(r.reconciliationId),
        ...stateKeys.reconciliationIndex(r.businessDate, r.type, r.counterparty, r.reconciliationId),
        entityType: 'Reconciliation',
        ...(encode(r) as Item),
      },
      expectedVersion,
      'reconciliation',
    );
  }

  async ofDate(businessDate: string): Promise<Reconciliation[]> {
    const items = await queryAll(this.doc, {
      TableName: this.tables.state,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :p',
      ExpressionAttributeValues: { ':p': stateKeys.reconciliationsPartition(businessDate) },
    });
    return items.map((item) => decode<Reconciliation>(stripKeys(item))).sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
  }

  async pageOfDate(businessDate: string, request: PageRequest): Promise<Page<Reconciliation>> {
    const partition = stateKeys.reconciliationsPartition(businessDate);
    const page = await queryPage(this.doc, { TableName: this.tables.state, IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': partition } }, request, {
      attributes: GSI1_KEY,
      where: { gsi1pk: partition },
    });
    return { items: page.items.map((item) => decode<Reconciliation>(stripKeys(item))), cursor: page.cursor };
  }

  async settings(counterparty: string): Promise<ReconciliationSettings | null> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tables.state,
        KeyConditionExpression: 'pk = :p',
        ExpressionAttributeValues: { ':p': stateKeys.reconciliationSettingsPartition(counterparty) },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const item = out.Items?.[0];
    return item ? decode<ReconciliationSettings>(stripKeys(item)) : null;
  }

  /** One transaction of two items: the version (`attribute_not_exists`) and the request's answer (S8). */
  async putSettings(settings: ReconciliationSettings, idempotency: IdempotencyRecord): Promise<void> {
    const item = { ...stateKeys.reconciliationSettings(settings.counterparty, settings.version), entityType: 'ReconciliationSettings', ...(encode(settings) as Item) };
    await transactWrite(
      this.doc,
      [{ Put: { TableName: this.tables.state, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } }, idempotencyPut(this.tables, idempotency)],
      ['reconciliation-settings', 'idempotency'],
    );
  }

  private async conditionalPut(item: Item, expectedVersion: number, entity: string): Promise<void> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tables.state,
          Item: item,
          ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(pk)' : 'version = :v',
          ...(expectedVersion === 0 ? {} : { ExpressionAttributeValues: { ':v': expectedVersion } }),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new WriteConflict(expectedVersion === 0 ? 'ALREADY_EXISTS' : 'VERSION', entity);
      throw error;
    }
  }
}
