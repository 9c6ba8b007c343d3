import { systemClock } from '../../shared/adapters/clock.ts';
import { auditStoreFromEnv, createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { validate } from '../../shared/contracts/validate.ts';
import type { LedgerCheckReport } from '../../shared/ports/stores.ts';
import { recordReportInput } from './schema.ts';
import { recordReportStep } from './use-case.ts';
import { STORES } from './stores.ts';
import { eventHandler, logger } from '../../shared/adapters/telemetry/index.ts';

const stores = createStores(createDocumentClient(), tablesFromEnv(), STORES);
const deps = { ...stores, clock: systemClock, audit: auditStoreFromEnv(), auditLog: logger };

export const handler = eventHandler<unknown, LedgerCheckReport>((event) => recordReportStep(deps, validate(recordReportInput, event)));
