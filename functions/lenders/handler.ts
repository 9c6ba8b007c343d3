import { Logger } from '@aws-lambda-powertools/logger';
import { systemClock } from '../../shared/adapters/clock.ts';
import { createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { apiHandler, callerOf, idempotentWrite, pathParam } from '../../shared/http/api.ts';
import type { CreateLenderRequest } from '../../shared/contracts/schemas.ts';
import { createLender, getLender, listLenders } from './use-case.ts';

const logger = new Logger();
const stores = createStores(createDocumentClient(), tablesFromEnv());
const deps = { ...stores, clock: systemClock };

export const handler = apiHandler(
  {
    'POST /v1/lenders': (req) => idempotentWrite(req, deps, (seal, now) => createLender(deps, req.body as CreateLenderRequest, seal, now)),
    'GET /v1/lenders': async (req) => ({ statusCode: 200, body: await listLenders(deps, callerOf(req)) }),
    'GET /v1/lenders/{lenderId}': async (req) => ({ statusCode: 200, body: await getLender(deps, callerOf(req), pathParam(req, 'lenderId')) }),
  },
  logger,
);
