import { systemClock } from '../../shared/adapters/clock.ts';
import { auditStoreFromEnv, createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { breakPath, type BreakActionRequestBody } from '../../shared/contracts/adjustments.ts';
import { validate } from '../../shared/contracts/validate.ts';
import { apiHandler, callerOf, idempotentWrite, platformOnly } from '../../shared/http/api.ts';
import { getBreak, postBreakAction } from './use-case.ts';
import { STORES } from './stores.ts';

const stores = createStores(createDocumentClient(), tablesFromEnv(), STORES);
const deps = { breaks: stores.breaks, idempotency: stores.idempotency, clock: systemClock };

export const handler = apiHandler(
  {
    'GET /v1/breaks/{breakId}': async (req) => ({ statusCode: 200, body: await getBreak(deps, callerOf(req), validate(breakPath, req.pathParameters).breakId) }),
    'POST /v1/breaks/{breakId}/actions': (req) => {
      const { breakId } = validate(breakPath, platformOnly(req, 'actions on breaks').pathParameters);
      return idempotentWrite(req, deps, (seal) => postBreakAction(deps, callerOf(req), breakId, req.body as BreakActionRequestBody, seal));
    },
  },
  { audit: auditStoreFromEnv() },
);
