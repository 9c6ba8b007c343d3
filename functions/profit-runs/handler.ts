import { SFNClient } from '@aws-sdk/client-sfn';
import { systemClock } from '../../shared/adapters/clock.ts';
import { auditStoreFromEnv, createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { StepFunctionsStarter } from '../../shared/adapters/stepfunctions.ts';
import { withCachedReferences } from '../../shared/adapters/reference-cache.ts';
import { apiHandler, callerOf, idempotentWrite, platformOnly } from '../../shared/http/api.ts';
import { validate } from '../../shared/contracts/validate.ts';
import { profitRunPath, profitStatementPath, type StartProfitRunRequest } from '../../shared/contracts/schemas.ts';
import { lenderProfitStatements, runView, startProfitRun } from './use-case.ts';
import { STORES } from './stores.ts';

const stores = withCachedReferences(createStores(createDocumentClient(), tablesFromEnv(), STORES));
const workflow = new StepFunctionsStarter(new SFNClient({}), process.env.PROFIT_SHARING_STATE_MACHINE_ARN ?? '');
const deps = { ...stores, workflow, clock: systemClock };

export const handler = apiHandler(
  {
    'POST /v1/profit-runs': (req) => idempotentWrite(platformOnly(req, 'profit-sharing runs'), deps, (seal, _, reservation) => startProfitRun(deps, req.body as StartProfitRunRequest, seal, reservation)),
    'GET /v1/profit-runs/{programId}/{period}': async (req) => {
      const { programId, period } = validate(profitRunPath, platformOnly(req, 'profit-sharing runs').pathParameters);
      return { statusCode: 200, body: await runView(deps, programId, period) };
    },
    'GET /v1/lenders/{lenderId}/profit-statements/{period}': async (req) => {
      const { lenderId, period } = validate(profitStatementPath, req.pathParameters);
      return { statusCode: 200, body: await lenderProfitStatements(deps, callerOf(req), lenderId, period) };
    },
  },
  { audit: auditStoreFromEnv() },
);
