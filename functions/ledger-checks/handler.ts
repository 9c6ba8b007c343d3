import { SFNClient } from '@aws-sdk/client-sfn';
import { systemClock } from '../../shared/adapters/clock.ts';
import { auditStoreFromEnv, createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { StepFunctionsStarter } from '../../shared/adapters/stepfunctions.ts';
import { apiHandler, idempotentWrite, platformOnly } from '../../shared/http/api.ts';
import { validate } from '../../shared/contracts/validate.ts';
import { businessDatePath } from '../../shared/contracts/schemas.ts';
import { pageQuery } from '../../shared/contracts/paging.ts';
import { getLedgerCheck, startLedgerCheck } from './use-case.ts';
import { STORES } from './stores.ts';

const stores = createStores(createDocumentClient(), tablesFromEnv(), STORES);
const workflow = new StepFunctionsStarter(new SFNClient({}), process.env.LEDGER_CHECK_STATE_MACHINE_ARN ?? '');
const deps = { ...stores, workflow, clock: systemClock };

export const handler = apiHandler(
  {
    'POST /v1/ledger-checks': (req) =>
      idempotentWrite(platformOnly(req, 'ledger checks'), deps, (seal, _, reservation) => startLedgerCheck(deps, (req.body as { businessDate: string }).businessDate, req.idempotencyKey ?? '', seal, reservation)),
    'GET /v1/ledger-checks/{businessDate}': async (req) => ({
      statusCode: 200,
      body: await getLedgerCheck(deps, validate(businessDatePath, platformOnly(req, 'ledger checks').pathParameters).businessDate, validate(pageQuery, req.query)),
    }),
  },
  { audit: auditStoreFromEnv() },
);
