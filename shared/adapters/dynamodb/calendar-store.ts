import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LoadedCalendarYear } from '../../domain/calendar.ts';
import type { CalendarStore, IdempotencyRecord } from '../../ports/stores.ts';
import { decode, encode, stripKeys, type Item } from './codec.ts';
import { queryAll, transactWrite, type Tables, type TransactItems } from './client.ts';
import { stateFamilies, stateKeys } from './state-keys.ts';
import type { StoreKeys } from './key-families.ts';

const notExists = 'attribute_not_exists(pk)';

/**
 * Operator-loaded calendar years in the StateTable (docs/access-patterns.md S23): one item per
 * version under the calendar's partition, written once on `attribute_not_exists`, read all at once
 * (a calendar holds a few versions of a few years).
 */
export class DynamoCalendarStore implements CalendarStore {
  /** The key families it reads, queries on gsi1 and writes (key-families.ts): its functions' roles allow these. */
  static readonly keys: StoreKeys = { reads: [stateFamilies.calendar], queries: [], writes: [stateFamilies.calendar, stateFamilies.idempotency] };

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tables: Tables,
  ) {}

  async loadedYears(calendar: string): Promise<LoadedCalendarYear[]> {
    const items = await queryAll(this.doc, {
      TableName: this.tables.state,
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :y)',
      ExpressionAttributeValues: { ':p': stateKeys.calendarPartition(calendar), ':y': stateKeys.calendarYearPrefix },
      ConsistentRead: true,
    });
    return items.map((item) => decode<LoadedCalendarYear>(stripKeys(item)));
  }

  async putYear(year: LoadedCalendarYear, idempotency?: IdempotencyRecord): Promise<void> {
    const item: Item = { ...stateKeys.calendarYear(year.calendar, year.year, year.version), entityType: 'CalendarYear', ...(encode(year) as Item) };
    const ops: TransactItems = [{ Put: { TableName: this.tables.state, Item: item, ConditionExpression: notExists } }];
    const entities = ['calendar-year'];
    if (idempotency) {
      ops.unshift({
        Put: {
          TableName: this.tables.state,
          Item: { ...stateKeys.idempotency(idempotency.scopeKey), entityType: 'Idempotency', ...(encode(idempotency) as Item) },
          ConditionExpression: notExists,
        },
      });
      entities.unshift('idempotency');
    }
    await transactWrite(this.doc, ops, entities);
  }
}
