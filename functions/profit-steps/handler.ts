import { systemClock } from '../../shared/adapters/clock.ts';
import { auditStoreFromEnv, createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { LOAN_SHARDS } from '../../shared/adapters/dynamodb/state-keys.ts';
import { withCachedReferences } from '../../shared/adapters/reference-cache.ts';
import { validate } from '../../shared/contracts/validate.ts';
import { cachedLoans } from '../../shared/use-cases/loan-cache.ts';
import { profitStepInput } from './schema.ts';
import { runProfitStep } from './use-case.ts';
import { STORES } from './stores.ts';
import { eventHandler, logger } from '../../shared/adapters/telemetry/index.ts';

const stores = withCachedReferences(createStores(createDocumentClient(), tablesFromEnv(), STORES));
// The loan shards: every loan of the program is gone through.
const deps = { ...stores, loan: cachedLoans(stores.loans), clock: systemClock, shardCount: LOAN_SHARDS, audit: auditStoreFromEnv(), auditLog: logger };

export const handler = eventHandler<unknown, unknown>((event) => runProfitStep(deps, validate(profitStepInput, event)));
