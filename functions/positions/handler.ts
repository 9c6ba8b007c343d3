import { systemClock } from '../../shared/adapters/clock.ts';
import { createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { apiHandler, callerOf, pathParam } from '../../shared/http/api.ts';
import { validate } from '../../shared/contracts/validate.ts';
import { pageQuery } from '../../shared/contracts/paging.ts';
import { profitQuery } from '../../shared/contracts/schemas.ts';
import { getLenderPositions, getLenderProfit } from './use-case.ts';
import { STORES } from './stores.ts';

const deps = { ...createStores(createDocumentClient(), tablesFromEnv(), STORES), clock: systemClock };

export const handler = apiHandler(
  {
    'GET /v1/lenders/{lenderId}/positions': async (req) => ({
      statusCode: 200,
      body: await getLenderPositions(deps, callerOf(req), pathParam(req, 'lenderId'), validate(pageQuery, req.query)),
    }),
    'GET /v1/lenders/{lenderId}/profit': async (req) => {
      const { month, cursor } = validate(profitQuery, req.query);
      return { statusCode: 200, body: await getLenderProfit(deps, callerOf(req), pathParam(req, 'lenderId'), month, cursor) };
    },
  },
);
