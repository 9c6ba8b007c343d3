import { systemClock } from '../../shared/adapters/clock.ts';
import { createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { validate } from '../../shared/contracts/validate.ts';
import type { LedgerCheckReport } from '../../shared/ports/stores.ts';
import { recordReportInput } from './schema.ts';
import { recordReport } from './use-case.ts';
import { STORES } from './stores.ts';
import { eventHandler } from '../../shared/adapters/telemetry/index.ts';

const stores = createStores(createDocumentClient(), tablesFromEnv(), STORES);

export const handler = eventHandler<unknown, LedgerCheckReport>((event) => recordReport({ ...stores, clock: systemClock }, validate(recordReportInput, event)));
