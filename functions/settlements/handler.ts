import { SFNClient } from '@aws-sdk/client-sfn';
import { systemClock } from '../../shared/adapters/clock.ts';
import { auditStoreFromEnv, createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { fileStoreFromEnv } from '../../shared/adapters/files/index.ts';
import { StepFunctionsStarter } from '../../shared/adapters/stepfunctions.ts';
import { withCachedReferences } from '../../shared/adapters/reference-cache.ts';
import { businessCalendar } from '../../shared/use-cases/calendars.ts';
import { apiHandler, attachment, callerOf, idempotentWrite, platformOnly, recordedWrite } from '../../shared/http/api.ts';
import { validate } from '../../shared/contracts/validate.ts';
import { businessDatePath, instructionPath, settlementRunsQuery, statementFilePath, statementsPath, type ExecutedRequest, type StartSettlementRequest } from '../../shared/contracts/schemas.ts';
import { executionRecorded, lenderStatementFile, lenderStatements, runList, runView, startSettlement } from './use-case.ts';
import { HUMAN_COPIES } from '../../shared/use-cases/settlement.ts';
import { STORES } from './stores.ts';

const stores = withCachedReferences(createStores(createDocumentClient(), tablesFromEnv(), STORES));
const workflow = new StepFunctionsStarter(new SFNClient({}), process.env.SETTLEMENT_STATE_MACHINE_ARN ?? '');
const deps = { ...stores, workflow, files: fileStoreFromEnv(), clock: systemClock, calendar: (id: string) => businessCalendar(stores, id) };

export const handler = apiHandler(
  {
    'POST /v1/settlement-runs': (req) =>
      idempotentWrite(platformOnly(req, 'settlement runs'), deps, (seal, _, reservation) => startSettlement(deps, req.body as StartSettlementRequest, seal, reservation)),
    'GET /v1/settlement-runs': async (req) => ({ statusCode: 200, body: await runList(deps, callerOf(req), validate(settlementRunsQuery, req.query)) }),
    'GET /v1/settlement-runs/{businessDate}': async (req) => ({
      statusCode: 200,
      body: await runView(deps, validate(businessDatePath, platformOnly(req, 'settlement runs').pathParameters).businessDate),
    }),
    'POST /v1/settlement-runs/{businessDate}/instructions/{instructionId}/executed': (req) => {
      const { businessDate, instructionId } = validate(instructionPath, platformOnly(req, 'settlement runs').pathParameters);
      return recordedWrite(req, deps, async () => ({ statusCode: 200, body: await executionRecorded(deps, businessDate, instructionId, req.body as ExecutedRequest, callerOf(req).userId) }));
    },
    'GET /v1/lenders/{lenderId}/statements/{businessDate}': async (req) => {
      const { lenderId, businessDate } = validate(statementsPath, req.pathParameters);
      return { statusCode: 200, body: await lenderStatements(deps, callerOf(req), lenderId, businessDate) };
    },
    'GET /v1/lenders/{lenderId}/statements/{businessDate}/{fileName}': async (req) => {
      const { lenderId, businessDate, fileName } = validate(statementFilePath, req.pathParameters);
      const body = await lenderStatementFile(deps, callerOf(req), lenderId, businessDate, fileName);
      return { statusCode: 200, body: Buffer.from(body).toString('utf8'), headers: { 'content-type': 'text/plain; charset=utf-8', 'content-disposition': `attachment; filename="${fileName}"` } };
    },
    'GET /v1/lenders/{lenderId}/statements/{businessDate}/human/{fileName}': async (req) => {
      const { lenderId, businessDate, fileName } = validate(statementFilePath, req.pathParameters);
      return attachment(fileName, await lenderStatementFile(deps, callerOf(req), lenderId, businessDate, `${HUMAN_COPIES}/${fileName}`));
    },
  },
  { audit: auditStoreFromEnv() },
);
