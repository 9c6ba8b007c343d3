import { systemClock } from '../../shared/adapters/clock.ts';
import { createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { apiHandler, callerOf, idempotentWrite, pathParam } from '../../shared/http/api.ts';
import type { BookLoanRequestBody } from '../../shared/contracts/schemas.ts';
import { bookLoan, getLoan, getLoanSchedule } from './use-case.ts';

const stores = createStores(createDocumentClient(), tablesFromEnv());
const deps = { ...stores, clock: systemClock };

export const handler = apiHandler(
  {
    'POST /v1/loans': (req) => idempotentWrite(req, deps, (seal, now) => bookLoan(deps, req.body as BookLoanRequestBody, seal, now)),
    'GET /v1/loans/{loanId}': async (req) => ({ statusCode: 200, body: await getLoan(deps, callerOf(req), pathParam(req, 'loanId')) }),
    'GET /v1/loans/{loanId}/schedule': async (req) => ({ statusCode: 200, body: await getLoanSchedule(deps, callerOf(req), pathParam(req, 'loanId')) }),
  },
);
