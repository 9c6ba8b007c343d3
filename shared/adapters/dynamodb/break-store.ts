import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BREAK_STATES, breakFoundAgain, type BreakState, type ReconciliationBreak } from '../../domain/reconciliation-break.ts';
import { WriteConflict, type BreakQuery, type BreakStore, type IdempotencyRecord, type Page } from '../../ports/stores.ts';
import { batchGetAll, transactWrite, type Tables } from './client.ts';
import { decode, encode, stripKeys, type Item } from './codec.ts';
import { stateKeys } from './state-keys.ts';
import { idempotencyPut } from './stores.ts';

/** Where a listing stopped: the state it was reading and the last key of that state's index. */
interface BreakCursor {
  readonly state: BreakState;
  readonly key: Record<string, unknown>;
}

export function encodeCursor(cursor: BreakCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

export function decodeCursor(text: string): BreakCursor | null {
  try {
    const parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as BreakCursor;
    return BREAK_STATES.includes(parsed.state) && typeof parsed.key === 'object' && parsed.key !== null ? parsed : null;
  } catch {
    return null;
  }
}

/** The breaks of reconciliation in the StateTable (R2): one item per break, indexed by state and lender. */
export class DynamoBreakStore implements BreakStore {
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

  async list(query: BreakQuery): Promise<Page<ReconciliationBreak>> {
    const from = query.cursor === undefined ? null : decodeCursor(query.cursor);
    const states = query.state === undefined ? BREAK_STATES : [query.state];
    const start = from === null ? 0 : Math.max(0, states.indexOf(from.state));
    const items: ReconciliationBreak[] = [];
    for (let i = start; i < states.length; i++) {
      const state = states[i]!;
      let exclusiveStartKey = from !== null && i === start && Object.keys(from.key).length > 0 ? from.key : undefined;
      do {
        const out = await this.doc.send(
          new QueryCommand({
            TableName: this.tables.state,
            IndexName: 'gsi1',
            KeyConditionExpression: query.lenderId === undefined ? 'gsi1pk = :p' : 'gsi1pk = :p AND begins_with(gsi1sk, :l)',
            ExpressionAttributeValues: {
              ':p': stateKeys.breaksPartition(state),
              ...(query.lenderId === undefined ? {} : { ':l': stateKeys.breaksOfLenderPrefix(query.lenderId) }),
            },
            Limit: query.limit - items.length,
            ExclusiveStartKey: exclusiveStartKey,
          }),
        );
        for (const item of out.Items ?? []) items.push(decode<ReconciliationBreak>(stripKeys(item)));
        exclusiveStartKey = out.LastEvaluatedKey;
        if (items.length >= query.limit) {
          if (exclusiveStartKey !== undefined) return { items, cursor: encodeCursor({ state, key: exclusiveStartKey }) };
          const nextState = states[i + 1];
          return { items, cursor: nextState === undefined ? null : encodeCursor({ state: nextState, key: {} }) };
        }
      } while (exclusiveStartKey !== undefined);
    }
    return { items, cursor: null };
  }
}
