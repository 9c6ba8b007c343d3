import { systemClock } from '../../shared/adapters/clock.ts';
import { auditStoreFromEnv, createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { validate } from '../../shared/contracts/validate.ts';
import { riskStepInput } from './schema.ts';
import { runRiskStep } from './use-case.ts';
import { STORES } from './stores.ts';
import { eventHandler, logger } from '../../shared/adapters/telemetry/index.ts';

const stores = createStores(createDocumentClient(), tablesFromEnv(), STORES);
const deps = { loans: stores.loans, repayments: stores.repayments, riskRuns: stores.riskRuns, programPools: stores.programPools, runDetails: stores.runDetails, clock: systemClock, audit: auditStoreFromEnv(), auditLog: logger };

export const handler = eventHandler<unknown, unknown>((event) => runRiskStep(deps, validate(riskStepInput, event)));
