import { systemClock } from '../../shared/adapters/clock.ts';
import { auditStoreFromEnv, createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { withCachedReferences } from '../../shared/adapters/reference-cache.ts';
import { validate } from '../../shared/contracts/validate.ts';
import { bookFromApplicationInput } from './schema.ts';
import { bookLoanStep } from './use-case.ts';
import { STORES } from './stores.ts';
import { eventHandler, logger } from '../../shared/adapters/telemetry/index.ts';

const deps = { ...withCachedReferences(createStores(createDocumentClient(), tablesFromEnv(), STORES)), clock: systemClock, audit: auditStoreFromEnv(), auditLog: logger };

export const handler = eventHandler<unknown, unknown>((event) => bookLoanStep(deps, validate(bookFromApplicationInput, event)));
