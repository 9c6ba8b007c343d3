import { paginateScan } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoIdempotencyStore, fromItem } from '../../shared/adapters/dynamodb/stores.ts';
import type { Tables } from '../../shared/adapters/dynamodb/client.ts';
import type { Item } from '../../shared/adapters/dynamodb/codec.ts';
import type { IdempotencyReservation } from '../../shared/ports/stores.ts';

/**
 * A stack started again over kept tables runs no function of the run before it: every key
 * reservation that run left (a request whose function died between its write and its answer)
 * has no owner any more, and lapses now instead of after `RESERVATION_SECONDS`, so the same
 * request sent again runs at once (its business id books nothing twice). In AWS nothing knows a
 * function died, and the reservation lapses with time (docs/architecture.md#requests).
 */
export async function lapseReservationsOfEarlierRun(doc: DynamoDBDocumentClient, tables: Tables, now: Date): Promise<number> {
  const store = new DynamoIdempotencyStore(doc, tables);
  const nowEpochSeconds = Math.floor(now.getTime() / 1000);
  let lapsed = 0;
  const pages = paginateScan(
    { client: doc },
    {
      TableName: tables.state,
      // Every reservation not released yet, whatever the clock of the run that took it said.
      FilterExpression: 'entityType = :idempotency AND #state = :inProgress AND reservedUntilEpochSeconds > :released',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':idempotency': 'Idempotency', ':inProgress': 'IN_PROGRESS', ':released': 0 },
    },
  );
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      const reservation = fromItem<IdempotencyReservation>(item as Item);
      if (reservation === null) continue;
      await store.release(reservation, nowEpochSeconds);
      lapsed += 1;
    }
  }
  return lapsed;
}
