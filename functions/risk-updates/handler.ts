import { Logger } from '@aws-lambda-powertools/logger';
import { SFNClient } from '@aws-sdk/client-sfn';
import { systemClock } from '../../shared/adapters/clock.ts';
import { createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { StepFunctionsStarter } from '../../shared/adapters/stepfunctions.ts';
import { apiHandler, callerOf, idempotentWrite, validate, type ApiRequest } from '../../shared/http/api.ts';
import { HttpError } from '../../shared/http/errors.ts';
import { restrictedTo } from '../../shared/domain/access.ts';
import { ledgerCheckPath } from '../../shared/http/schemas.ts';
import { getRiskUpdate, startRiskUpdate } from './use-case.ts';

const logger = new Logger();
const stores = createStores(createDocumentClient(), tablesFromEnv());
const workflow = new StepFunctionsStarter(new SFNClient({}), process.env.RISK_UPDATE_STATE_MACHINE_ARN ?? '');
const deps = { ...stores, workflow, clock: systemClock };

/** A run covers every lender's loans, so only the platform's own teams start and read it. */
function platformOnly(req: ApiRequest): ApiRequest {
  if (restrictedTo(callerOf(req)) !== null) throw new HttpError(403, 'FORBIDDEN', 'risk updates cover every lender; they are open to the platform teams only');
  return req;
}

export const handler = apiHandler(
  {
    'POST /v1/risk-updates': (req) =>
      idempotentWrite(platformOnly(req), deps, (seal) => startRiskUpdate(deps, (req.body as { businessDate: string }).businessDate, req.idempotencyKey ?? '', seal)),
    'GET /v1/risk-updates/{businessDate}': async (req) => ({
      statusCode: 200,
      body: await getRiskUpdate(deps, validate(ledgerCheckPath, platformOnly(req).pathParameters).businessDate),
    }),
  },
  logger,
);
