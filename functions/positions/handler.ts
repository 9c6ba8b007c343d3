import { createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { apiHandler, callerOf, pathParam } from '../../shared/http/api.ts';
import { validate } from '../../shared/contracts/validate.ts';
import { profitQuery } from '../../shared/contracts/schemas.ts';
import { getLenderPositions, getLenderProfit } from './use-case.ts';

const deps = createStores(createDocumentClient(), tablesFromEnv());

export const handler = apiHandler(
  {
    'GET /v1/lenders/{lenderId}/positions': async (req) => ({
      statusCode: 200,
      body: await getLenderPositions(deps, callerOf(req), pathParam(req, 'lenderId')),
    }),
    'GET /v1/lenders/{lenderId}/profit': async (req) => ({
      statusCode: 200,
      body: await getLenderProfit(deps, callerOf(req), pathParam(req, 'lenderId'), validate(profitQuery, req.query).month),
    }),
  },
);
