import { describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoApplicationStore, DynamoExposureStore } from '../../../../../shared/adapters/dynamodb/application-store.ts';
import { createDocumentClient, ALL_STORES, createStores } from '../../../../../shared/adapters/dynamodb/index.ts';
import {
  DynamoIdempotencyStore,
  DynamoLedgerCheckStore,
  DynamoLedgerStore,
  DynamoLenderStore,
  DynamoLoanStore,
  DynamoProgramStore,
} from '../../../../../shared/adapters/dynamodb/stores.ts';

describe('createStores', () => {
  it('builds every store over one client', () => {
    const stores = createStores(createDocumentClient(new DynamoDBClient({ region: 'cn-north-1' })), { ledger: 'L', state: 'S' }, ALL_STORES);
    expect(stores.idempotency).toBeInstanceOf(DynamoIdempotencyStore);
    expect(stores.lenders).toBeInstanceOf(DynamoLenderStore);
    expect(stores.programs).toBeInstanceOf(DynamoProgramStore);
    expect(stores.loans).toBeInstanceOf(DynamoLoanStore);
    expect(stores.ledger).toBeInstanceOf(DynamoLedgerStore);
    expect(stores.ledgerChecks).toBeInstanceOf(DynamoLedgerCheckStore);
    expect(stores.applications).toBeInstanceOf(DynamoApplicationStore);
    expect(stores.exposure).toBeInstanceOf(DynamoExposureStore);
  });
});
