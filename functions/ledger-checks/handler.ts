import { Logger } from '@aws-lambda-powertools/logger';
import { SFNClient } from '@aws-sdk/client-sfn';
import { systemClock } from '../../shared/adapters/clock.ts';
import { createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { StepFunctionsStarter } from '../../shared/adapters/stepfunctions.ts';
import { apiHandler, callerOf, idempotentWrite, validate, type ApiRequest } from '../../shared/http/api.ts';
import { HttpError } from '../../shared/http/errors.ts';
import { restrictedTo } from '../../shared/domain/access.ts';
import { ledgerCheckPath } from '../../shared/http/schemas.ts';
import { getLedgerCheck, startLedgerCheck } from './use-case.ts';

const logger = new Logger();
const stores = createStores(createDocumentClient(), tablesFromEnv());
const workflow = new StepFunctionsStarter(new SFNClient({}), process.env.LEDGER_CHECK_STATE_MACHINE_ARN ?? '');
const deps = { ...stores, workflow, clock: systemClock };

/** The check covers every lender's books, so only the platform's own teams run and read it. */
function platformOnly(req: ApiRequest): ApiRequest {
  if (restrictedTo(callerOf(req)) !== null) throw new HttpError(403, 'FORBIDDEN', 'ledger checks cover every lender; they are open to the platform teams only');
  return req;
}

export const handler = apiHandler(
  {
    'POST /v1/ledger-checks': (req) =>
      idempotentWrite(platformOnly(req), deps, (seal) => startLedgerCheck(deps, (req.body as { businessDate: string }).businessDate, req.idempotencyKey ?? '', seal)),
    'GET /v1/ledger-checks/{businessDate}': async (req) => ({
      statusCode: 200,
      body: await getLedgerCheck(deps, validate(ledgerCheckPath, platformOnly(req).pathParameters).businessDate),
    }),
  },
  logger,
);
