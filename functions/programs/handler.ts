import { systemClock } from '../../shared/adapters/clock.ts';
import { auditStoreFromEnv, createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { pageQuery } from '../../shared/contracts/paging.ts';
import { apiHandler, callerOf, idempotentWrite, pathParam } from '../../shared/http/api.ts';
import { validate } from '../../shared/contracts/validate.ts';
import { versionQuery, type CreateProgramRequest } from '../../shared/contracts/schemas.ts';
import { createProgram, getProgram, listPrograms } from './use-case.ts';
import { STORES } from './stores.ts';

const stores = createStores(createDocumentClient(), tablesFromEnv(), STORES);
const deps = { ...stores, clock: systemClock };

export const handler = apiHandler(
  {
    'POST /v1/programs': (req) => idempotentWrite(req, deps, (seal, now) => createProgram(deps, req.body as CreateProgramRequest, seal, now)),
    'GET /v1/programs': async (req) => ({ statusCode: 200, body: await listPrograms(deps, callerOf(req), validate(pageQuery, req.query)) }),
    'GET /v1/programs/{programId}': async (req) => {
      const { version } = validate(versionQuery, req.query);
      return { statusCode: 200, body: await getProgram(deps, callerOf(req), pathParam(req, 'programId'), version ?? null) };
    },
  },
  { audit: auditStoreFromEnv() },
);
