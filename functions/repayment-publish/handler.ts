import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { ledgerKeys } from '../../shared/adapters/dynamodb/ledger-keys.ts';
import { bookedOf } from '../../shared/adapters/dynamodb/repayment-store.ts';
import { putEvents } from '../../shared/adapters/notifier.ts';
import { cachedLoans } from '../../shared/use-cases/loan-cache.ts';
import { publishCommitted, type CommittedChange } from './use-case.ts';
import { STORES } from './stores.ts';
import { eventHandler } from '../../shared/adapters/telemetry/index.ts';

const events = new EventBridgeClient({});
const busName = process.env.EVENT_BUS_NAME ?? 'default';
const stores = createStores(createDocumentClient(), tablesFromEnv(), STORES);
const deps = { loan: cachedLoans(stores.loans), publish: (batch: Parameters<typeof putEvents>[2]) => putEvents(events, busName, batch) };

const BOOK_ITEMS = new Set(['BookedRepayment', 'BookedLoanEvent']);

function itemOf(image: Record<string, AttributeValue> | undefined) {
  if (image === undefined) return null;
  const item = unmarshall(image);
  return BOOK_ITEMS.has(String(item.entityType)) ? bookedOf(item) : null;
}

/**
 * The ledger table's stream (filtered to the items of loans' books) → the event bus. A batch that
 * fails part way reports the first change not published; the stream hands it again, with what
 * follows, so nothing committed is lost (docs/adr/0004).
 */
export const handler = eventHandler<DynamoDBStreamEvent, DynamoDBBatchResponse>(async (event) => {
  const changes: CommittedChange[] = event.Records.flatMap((record) => {
    const keys = record.dynamodb?.Keys as Record<string, AttributeValue> | undefined;
    const pk = keys?.pk?.S;
    if (pk === undefined || record.dynamodb?.SequenceNumber === undefined) return [];
    return [
      {
        loanId: ledgerKeys.loanIdOf(pk),
        sequenceNumber: record.dynamodb.SequenceNumber,
        before: itemOf(record.dynamodb.OldImage as Record<string, AttributeValue> | undefined),
        after: itemOf(record.dynamodb.NewImage as Record<string, AttributeValue> | undefined),
      },
    ];
  });
  const failed = await publishCommitted(deps, changes);
  return { batchItemFailures: failed === null ? [] : [{ itemIdentifier: failed }] };
});
