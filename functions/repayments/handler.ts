import { SFNClient } from '@aws-sdk/client-sfn';
import { systemClock } from '../../shared/adapters/clock.ts';
import { auditStoreFromEnv, createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { StepFunctionsSyncRunner } from '../../shared/adapters/stepfunctions.ts';
import { apiHandler, callerOf, pathParam, platformOnly, recordedWrite } from '../../shared/http/api.ts';
import type { BuybackRequestBody, LossEventReversalRequestBody, PostRepaymentsRequestBody, ReversalRequestBody, TransferRequestBody, WriteOffRequestBody } from '../../shared/contracts/schemas.ts';
import { metrics } from '../../shared/adapters/telemetry/index.ts';
import { cachedLoans } from '../../shared/use-cases/loan-cache.ts';
import { getLoanRepayments, getRepayment, postLoanEvent, postLossEventReversal, postRepayments, postReversal } from './use-case.ts';
import { STORES } from './stores.ts';
import type { KeyReservation } from '../../shared/ports/stores.ts';

const stores = createStores(createDocumentClient(), tablesFromEnv(), STORES);
const deps = {
  batch: new StepFunctionsSyncRunner(new SFNClient({}), process.env.REPAYMENT_BATCH_STATE_MACHINE_ARN ?? ''),
  loans: stores.loans,
  loan: cachedLoans(stores.loans),
  repayments: stores.repayments,
  programPools: stores.programPools,
  idempotency: stores.idempotency,
  lenders: stores.lenders,
  exposure: stores.exposure,
  regulatoryFigures: stores.regulatoryFigures,
  clock: systemClock,
  metrics,
};

/** The deps of one request's write: the change of the book reserves the request's Idempotency-Key in its own transaction. */
const writing = (keyReservation: KeyReservation) => ({ ...deps, keyReservation });

export const handler = apiHandler(
  {
    'POST /v1/repayments': (req) => recordedWrite(req, deps, async (_, reservation) => ({ statusCode: 200, body: await postRepayments(writing(reservation), req.body as PostRepaymentsRequestBody) })),
    'POST /v1/repayments/{repaymentId}/reversal': (req) =>
      recordedWrite(req, deps, async (_, reservation) => ({ statusCode: 200, body: await postReversal(writing(reservation), pathParam(req, 'repaymentId'), req.body as ReversalRequestBody) })),
    'GET /v1/repayments/{repaymentId}': async (req) => ({ statusCode: 200, body: await getRepayment(deps, callerOf(req), pathParam(req, 'repaymentId')) }),
    'POST /v1/loans/{loanId}/transfers': (req) => {
      const { transferId, ...transfer } = req.body as TransferRequestBody;
      return recordedWrite(req, deps, (_, reservation) => postLoanEvent(writing(reservation), pathParam(req, 'loanId'), { type: 'TRANSFER', eventId: transferId, ...transfer }));
    },
    'POST /v1/loans/{loanId}/buybacks': (req) => {
      const { buybackId, expectedPriceMinor, ...buyback } = req.body as BuybackRequestBody;
      return recordedWrite(req, deps, (_, reservation) => postLoanEvent(writing(reservation), pathParam(req, 'loanId'), { type: 'BUYBACK', eventId: buybackId, expectedPriceMinor: expectedPriceMinor ?? null, ...buyback }));
    },
    'POST /v1/loans/{loanId}/write-off': (req) => {
      const { writeOffId, ...writeOff } = req.body as WriteOffRequestBody;
      return recordedWrite(req, deps, (_, reservation) => postLoanEvent(writing(reservation), pathParam(req, 'loanId'), { type: 'WRITE_OFF', eventId: writeOffId, ...writeOff }));
    },
    'POST /v1/loans/{loanId}/loss-events/{eventId}/reversal': (req) =>
      recordedWrite(platformOnly(req, 'reversals of losses'), deps, async (_, reservation) => ({
        statusCode: 200,
        body: await postLossEventReversal(writing(reservation), pathParam(req, 'loanId'), pathParam(req, 'eventId'), req.body as LossEventReversalRequestBody),
      })),
    'GET /v1/loans/{loanId}/repayments': async (req) => ({ statusCode: 200, body: await getLoanRepayments(deps, callerOf(req), pathParam(req, 'loanId')) }),
  },
  { audit: auditStoreFromEnv() },
);
