import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BREAK_STATES, breakFoundAgain, type ReconciliationBreak } from '../../domain/reconciliation-break.ts';
import { WriteConflict, type BreakQuery, type BreakStore, type IdempotencyRecord, type Page } from '../../ports/stores.ts';
import { batchGetAll, queryPage, transactWrite, type Tables } from './client.ts';
import { GSI1_KEY, decodeCursor } from './cursor.ts';
import { decode, encode, stripKeys, type Item } from './codec.ts';
import { stateFamilies, stateKeys } from './state-keys.ts';
import { idempotencyPut } from './stores.ts';
import type { StoreKeys } from './key-families.ts';

/** The breaks of reconciliation in the StateTable (R2): one item per break, indexed by state and lender. */
export class DynamoBreakStore implements BreakStore {
  /** The key families it reads, queries on gsi1 and writes (key-families.ts): its functions' roles allow these. */
  static readonly keys: StoreKeys = { reads: [stateFamilies.reconciliationBreak], queries: [stateFamilies.breaks], writes: [stateFamilies.reconciliationBreak, stateFamilies.idempotency] };

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tables: Tables,
  ) {}

  async get(breakId: string): Promise<ReconciliationBreak | null> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tables.state, Key: stateKeys.reconciliationBreak(breakId), ConsistentRead: true }));
    return out.Item ? decode<ReconciliationBreak>(stripKeys(out.Item)) : null;
  }

  async getMany(breakIds: readonly string[]): Promise<ReconciliationBreak[]> {
    const items = await batchGetAll(this.doc, this.tables.state, breakIds.map((id) => stateKeys.reconciliationBreak(id)));
    const byId = new Map(items.map((item) => [String(item.breakId), decode<ReconciliationBreak>(stripKeys(item))]));
    return breakIds.flatMap((id) => byId.get(id) ?? []);
  }

  async upsertFound(breaks: readonly ReconciliationBreak[]): Promise<ReconciliationBreak[]> {
    const written: ReconciliationBreak[] = [];
    for (let i = 0; i < breaks.length; i += 100) {
      const chunk = breaks.slice(i, i + 100);
      const stored = new Map((await batchGetAll(this.doc, this.tables.state, chunk.map((b) => stateKeys.reconciliationBreak(b.breakId)))).map((item) => [String(item.breakId), decode<ReconciliationBreak>(stripKeys(item))]));
      for (const found of chunk) written.push(await this.upsertOne(found, stored.get(found.breakId) ?? null));
    }
    return written;
  }

  /** A new break is created; a stored one takes the new figures on its version, retried when another write came first. */
  private async upsertOne(found: ReconciliationBreak, known: ReconciliationBreak | null): Promise<ReconciliationBreak> {
    let current = known;
    for (let attempt = 0; attempt < 10; attempt++) {
      const next = breakFoundAgain(current, found);
      try {
        await this.write(next, current === null ? 0 : current.version);
        return next;
      } catch (error) {
        if (!(error instanceof WriteConflict)) throw error;
        current = await this.get(found.breakId);
      }
    }
    throw new WriteConflict('BUSY', 'reconciliation-break');
  }

  async put(changed: ReconciliationBreak, expectedVersion: number, idempotency?: IdempotencyRecord): Promise<void> {
    await this.write(changed, expectedVersion, idempotency);
  }

  /** The break on its version; with a request's idempotency record, both in one transaction. */
  private async write(b: ReconciliationBreak, expectedVersion: number, idempotency?: IdempotencyRecord): Promise<void> {
    const put = {
      TableName: this.tables.state,
      Item: {
        ...stateKeys.reconciliationBreak(b.breakId),
        ...stateKeys.breakIndex(b.state, b.lenderId, b.openedOn, b.breakId),
        entityType: 'ReconciliationBreak',
        ...(encode(b) as Item),
      },
      ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(pk)' : 'version = :v',
      ...(expectedVersion === 0 ? {} : { ExpressionAttributeValues: { ':v': expectedVersion } }),
    };
    const lost = new WriteConflict(expectedVersion === 0 ? 'ALREADY_EXISTS' : 'VERSION', 'reconciliation-break');
    try {
      if (idempotency === undefined) await this.doc.send(new PutCommand(put));
      else await transactWrite(this.doc, [idempotencyPut(this.tables, idempotency), { Put: put }], ['idempotency', 'reconciliation-break']);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw lost;
      if (error instanceof WriteConflict && error.entity === 'reconciliation-break') throw lost;
      throw error;
    }
  }

  /**
   * A page of the breaks in a state (of one lender: `begins_with`), or in every state in order:
   * `limit` items at most, read state by state (one Query each, at most the four states), and the
   * cursor is the last key read, whose index partition says which state to go on with.
   */
  async list(query: BreakQuery): Promise<Page<ReconciliationBreak>> {
    const partitions = (query.state === undefined ? BREAK_STATES : [query.state]).map((state) => stateKeys.breaksPartition(state));
    const lenderPrefix = query.lenderId === undefined ? undefined : stateKeys.breaksOfLenderPrefix(query.lenderId);
    const shape = {
      attributes: GSI1_KEY,
      where: { gsi1pk: (p: string) => partitions.includes(p), ...(lenderPrefix === undefined ? {} : { gsi1sk: (sk: string) => sk.startsWith(lenderPrefix) }) },
    };
    const from = decodeCursor(query.cursor, shape);
    const first = from === undefined ? 0 : partitions.indexOf(from.gsi1pk ?? '');
    const items: ReconciliationBreak[] = [];
    for (let i = first; i < partitions.length && items.length < query.limit; i++) {
      const page = await queryPage(
        this.doc,
        {
          TableName: this.tables.state,
          IndexName: 'gsi1',
          KeyConditionExpression: lenderPrefix === undefined ? 'gsi1pk = :p' : 'gsi1pk = :p AND begins_with(gsi1sk, :l)',
          ExpressionAttributeValues: { ':p': partitions[i], ...(lenderPrefix === undefined ? {} : { ':l': lenderPrefix }) },
        },
        { limit: query.limit - items.length, ...(i === first && query.cursor !== undefined ? { cursor: query.cursor } : {}) },
        shape,
      );
      items.push(...page.items.map((item) => decode<ReconciliationBreak>(stripKeys(item))));
      if (page.cursor !== null) return { items, cursor: page.cursor };
    }
    return { items, cursor: null };
  }
}
