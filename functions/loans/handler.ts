import { systemClock } from '../../shared/adapters/clock.ts';
import { auditStoreFromEnv, createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { apiHandler, callerOf, idempotentWrite, pathParam } from '../../shared/http/api.ts';
import type { BookLoanRequestBody, BorrowerLookupRequest } from '../../shared/contracts/schemas.ts';
import { recordAudit } from '../../shared/use-cases/audit.ts';
import { logger } from '../../shared/adapters/telemetry/index.ts';
import { bookLoan, getLoan, getLoanSchedule, lookUpBorrower, lookupAuditEvent } from './use-case.ts';
import { STORES } from './stores.ts';
import { deployedKms, personalDataCipherFromEnv } from '../../shared/adapters/personal-data/index.ts';

const stores = createStores(createDocumentClient(), tablesFromEnv(), STORES);
const deps = { ...stores, personalData: personalDataCipherFromEnv(process.env, deployedKms), clock: systemClock };
const audit = auditStoreFromEnv();

export const handler = apiHandler(
  {
    'POST /v1/loans': (req) => idempotentWrite(req, deps, (seal, now) => bookLoan(deps, req.body as BookLoanRequestBody, seal, now)),
    'GET /v1/loans/{loanId}': async (req) => ({ statusCode: 200, body: await getLoan(deps, callerOf(req), pathParam(req, 'loanId')) }),
    'GET /v1/loans/{loanId}/schedule': async (req) => ({ statusCode: 200, body: await getLoanSchedule(deps, callerOf(req), pathParam(req, 'loanId')) }),
    // A read sent as POST: no idempotency record; the audit record names who looked, and the hash, never the number.
    'POST /v1/borrower-lookups': async (req) => {
      const principal = callerOf(req);
      const { answer, identityHash } = await lookUpBorrower(deps, principal, req.body as BorrowerLookupRequest);
      await recordAudit(audit, lookupAuditEvent(principal, identityHash, answer, deps.clock.now()), logger);
      return { statusCode: 200, body: answer };
    },
  },
  { audit },
);
