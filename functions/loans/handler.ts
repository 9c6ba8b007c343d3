import { systemClock } from '../../shared/adapters/clock.ts';
import { auditStoreFromEnv, createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { apiHandler, callerOf, idempotentWrite, pathParam } from '../../shared/http/api.ts';
import type { BookLoanRequestBody } from '../../shared/contracts/schemas.ts';
import { bookLoan, getLoan, getLoanSchedule } from './use-case.ts';
import { STORES } from './stores.ts';
import { deployedKms, personalDataCipherFromEnv } from '../../shared/adapters/personal-data/index.ts';

const stores = createStores(createDocumentClient(), tablesFromEnv(), STORES);
const deps = { ...stores, personalData: personalDataCipherFromEnv(process.env, deployedKms), clock: systemClock };

export const handler = apiHandler(
  {
    'POST /v1/loans': (req) => idempotentWrite(req, deps, (seal, now) => bookLoan(deps, req.body as BookLoanRequestBody, seal, now)),
    'GET /v1/loans/{loanId}': async (req) => ({ statusCode: 200, body: await getLoan(deps, callerOf(req), pathParam(req, 'loanId')) }),
    'GET /v1/loans/{loanId}/schedule': async (req) => ({ statusCode: 200, body: await getLoanSchedule(deps, callerOf(req), pathParam(req, 'loanId')) }),
  },
  { audit: auditStoreFromEnv() },
);
