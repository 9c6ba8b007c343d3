import { systemClock } from '../../shared/adapters/clock.ts';
import { auditStoreFromEnv, createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { LOAN_SHARDS } from '../../shared/adapters/dynamodb/state-keys.ts';
import { fileStoreFromEnv } from '../../shared/adapters/files/index.ts';
import { withCachedReferences } from '../../shared/adapters/reference-cache.ts';
import { validate } from '../../shared/contracts/validate.ts';
import { businessCalendar } from '../../shared/use-cases/calendars.ts';
import { settlementStepInput } from './schema.ts';
import { runSettlementStep } from './use-case.ts';
import { STORES } from './stores.ts';
import { eventHandler, logger, metrics } from '../../shared/adapters/telemetry/index.ts';

const stores = withCachedReferences(createStores(createDocumentClient(), tablesFromEnv(), STORES));
const deps = {
  ...stores,
  files: fileStoreFromEnv(),
  clock: systemClock,
  calendar: (id: string) => businessCalendar(stores, id),
  // The date index's shards: every shard of the loans is gathered.
  shardCount: LOAN_SHARDS,
  metrics,
  audit: auditStoreFromEnv(),
  auditLog: logger,
};

export const handler = eventHandler<unknown, unknown>((event) => runSettlementStep(deps, validate(settlementStepInput, event)));
