import { SFNClient } from '@aws-sdk/client-sfn';
import { systemClock } from '../../shared/adapters/clock.ts';
import { auditStoreFromEnv, createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { StepFunctionsStarter } from '../../shared/adapters/stepfunctions.ts';
import { apiHandler, idempotentWrite, platformOnly } from '../../shared/http/api.ts';
import { validate } from '../../shared/contracts/validate.ts';
import { businessDatePath, regulatoryReportQuery, type StartRegulatoryReportRequest } from '../../shared/contracts/schemas.ts';
import { startReportRun } from '../../shared/use-cases/regulatory-report.ts';
import { reportExport, reportView } from './use-case.ts';
import { STORES } from './stores.ts';

const stores = createStores(createDocumentClient(), tablesFromEnv(), STORES);
const workflow = new StepFunctionsStarter(new SFNClient({}), process.env.REGULATORY_REPORT_STATE_MACHINE_ARN ?? '');
const deps = { ...stores, workflow, clock: systemClock };

export const handler = apiHandler(
  {
    'POST /v1/regulatory-reports': (req) =>
      idempotentWrite(platformOnly(req, 'regulatory reports'), deps, (seal, _, reservation) => startReportRun(deps, req.body as StartRegulatoryReportRequest, seal, reservation)),
    'GET /v1/regulatory-reports/{businessDate}': async (req) => {
      const { businessDate } = validate(businessDatePath, platformOnly(req, 'regulatory reports').pathParameters);
      const { format = 'json' } = validate(regulatoryReportQuery, req.query);
      if (format === 'json') return { statusCode: 200, body: await reportView(deps, businessDate) };
      const file = await reportExport(deps, businessDate, format);
      return { statusCode: 200, body: file.body, headers: { 'content-type': file.contentType, 'content-disposition': `attachment; filename="${file.name}"` } };
    },
  },
  { audit: auditStoreFromEnv() },
);
