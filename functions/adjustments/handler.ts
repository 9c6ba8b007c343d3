import { systemClock } from '../../shared/adapters/clock.ts';
import { auditStoreFromEnv, createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { adjustmentPath, adjustmentsQuery, type AdjustmentDecisionRequestBody, type AdjustmentRequestBody } from '../../shared/contracts/adjustments.ts';
import { validate } from '../../shared/contracts/validate.ts';
import { apiHandler, callerOf, idempotentWrite, platformOnly, recordedWrite, type ApiRequest } from '../../shared/http/api.ts';
import { cachedLoans } from '../../shared/use-cases/loan-cache.ts';
import { getAdjustment, listAdjustments, postAdjustment, postApproval, postRejection } from './use-case.ts';
import { STORES } from './stores.ts';

const stores = createStores(createDocumentClient(), tablesFromEnv(), STORES);
const deps = {
  adjustments: stores.adjustments,
  breaks: stores.breaks,
  loan: cachedLoans(stores.loans),
  repayments: stores.repayments,
  ledger: stores.ledger,
  idempotency: stores.idempotency,
  clock: systemClock,
};

/** Writes move money between lenders' books: the platform's finance team only, never a lender's own. */
const adjustmentIdOf = (req: ApiRequest): string => validate(adjustmentPath, platformOnly(req, 'adjustments').pathParameters).adjustmentId;

export const handler = apiHandler(
  {
    'POST /v1/adjustments': (req) => {
      const maker = callerOf(platformOnly(req, 'adjustments'));
      // The proposal reserves the request's Idempotency-Key right before it is written.
      return recordedWrite(req, deps, (_, keyReservation) => postAdjustment({ ...deps, keyReservation }, maker, req.body as AdjustmentRequestBody));
    },
    'GET /v1/adjustments': async (req) => ({ statusCode: 200, body: await listAdjustments(deps, callerOf(req), validate(adjustmentsQuery, req.query)) }),
    'GET /v1/adjustments/{adjustmentId}': async (req) => ({
      statusCode: 200,
      body: await getAdjustment(deps, callerOf(req), validate(adjustmentPath, req.pathParameters).adjustmentId),
    }),
    'POST /v1/adjustments/{adjustmentId}/approval': (req) => {
      const adjustmentId = adjustmentIdOf(req);
      return idempotentWrite(req, deps, (seal) => postApproval(deps, callerOf(req), adjustmentId, (req.body as AdjustmentDecisionRequestBody).reason, seal));
    },
    'POST /v1/adjustments/{adjustmentId}/rejection': (req) => {
      const adjustmentId = adjustmentIdOf(req);
      return idempotentWrite(req, deps, (seal) => postRejection(deps, callerOf(req), adjustmentId, (req.body as AdjustmentDecisionRequestBody).reason, seal));
    },
  },
  { audit: auditStoreFromEnv() },
);
