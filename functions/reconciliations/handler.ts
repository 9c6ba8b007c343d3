import { SFNClient } from '@aws-sdk/client-sfn';
import { systemClock } from '../../shared/adapters/clock.ts';
import { auditStoreFromEnv, createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { fileStoreFromEnv } from '../../shared/adapters/files/index.ts';
import { uploadUrlsFromEnv } from '../../shared/adapters/files/upload-urls.ts';
import { StepFunctionsStarter } from '../../shared/adapters/stepfunctions.ts';
import {
  breaksExportQuery,
  breaksQuery,
  counterpartyPath,
  exportQuery,
  reconciliationPath,
  reconciliationsQuery,
  type CreateUploadRequest,
  type ReconciliationSettingsRequest,
  type StartReconciliationRequestBody,
} from '../../shared/contracts/reconciliation-schemas.ts';
import { validate } from '../../shared/contracts/validate.ts';
import { apiHandler, attachment, callerOf, idempotentWrite, platformOnly } from '../../shared/http/api.ts';
import { sha256 } from '../../shared/json.ts';
import {
  allBreaks,
  latestMapping,
  createUpload,
  listBreaks,
  putSettings,
  reconciliationsOfDate,
  reconciliationView,
  settingsView,
  startReconciliation,
} from '../../shared/use-cases/reconciliation.ts';
import { breaksExport, reconciliationExport } from './use-case.ts';
import { STORES } from './stores.ts';

const stores = createStores(createDocumentClient(), tablesFromEnv(), STORES);
const deps = {
  ...stores,
  files: fileStoreFromEnv(),
  uploads: uploadUrlsFromEnv(),
  clock: systemClock,
  workflow: new StepFunctionsStarter(new SFNClient({}), process.env.RECONCILIATION_STATE_MACHINE_ARN ?? ''),
  bankFormat: (bankId: string) => latestMapping(stores, bankId),
  lenderExists: async (lenderId: string) => (await stores.lenders.get(lenderId)) !== null,
};


export const handler = apiHandler(
  {
    'POST /v1/reconciliation-uploads': (req) =>
      idempotentWrite(req, deps, (seal, _, reservation) => {
        // The upload's id comes from the client and its key, so a replay names the same upload.
        const uploadId = sha256(`${callerOf(req).clientId}#${req.idempotencyKey}`).slice(0, 32);
        return createUpload({ ...deps, newId: () => uploadId }, callerOf(req), req.body as CreateUploadRequest, seal, reservation);
      }),
    'POST /v1/reconciliations': (req) => {
      const body = req.body as StartReconciliationRequestBody;
      // The escrow statement covers every lender's money: the platform's teams reconcile it.
      if (body.type === 'ESCROW_STATEMENT') platformOnly(req, 'escrow statement reconciliations');
      return idempotentWrite(req, deps, (seal, _, reservation) => startReconciliation(deps, callerOf(req), body, seal, reservation));
    },
    'GET /v1/reconciliations': async (req) => {
      const { businessDate, lender, ...page } = validate(reconciliationsQuery, req.query);
      const found = await reconciliationsOfDate(deps, callerOf(req), businessDate, lender, page);
      return { statusCode: 200, body: { businessDate, reconciliations: found.items, cursor: found.cursor } };
    },
    'GET /v1/reconciliations/{reconciliationId}': async (req) => ({
      statusCode: 200,
      body: await reconciliationView(deps, callerOf(req), validate(reconciliationPath, req.pathParameters).reconciliationId),
    }),
    'GET /v1/reconciliations/{reconciliationId}/export': async (req) => {
      const { reconciliationId } = validate(reconciliationPath, req.pathParameters);
      const { format } = validate(exportQuery, req.query);
      const file = await reconciliationExport(deps, callerOf(req), reconciliationId, format);
      return attachment(`${file.name}.${format}`, file.body);
    },
    'GET /v1/breaks': async (req) => ({ statusCode: 200, body: await listBreaks(deps, callerOf(req), validate(breaksQuery, req.query)) }),
    'GET /v1/breaks/export': async (req) => {
      const { format, ...query } = validate(breaksExportQuery, req.query);
      const file = await breaksExport(await allBreaks(deps, callerOf(req), query), deps.clock.now().slice(0, 10), format);
      return attachment(`${file.name}.${format}`, file.body);
    },
    'PUT /v1/reconciliation-settings/{counterparty}': (req) => {
      const { counterparty } = validate(counterpartyPath, platformOnly(req, 'reconciliation settings').pathParameters);
      return idempotentWrite(req, deps, (seal) => putSettings(deps, callerOf(req), counterparty, req.body as ReconciliationSettingsRequest, seal));
    },
    'GET /v1/reconciliation-settings/{counterparty}': async (req) => ({
      statusCode: 200,
      body: await settingsView(deps, validate(counterpartyPath, platformOnly(req, 'reconciliation settings').pathParameters).counterparty),
    }),
  },
  { audit: auditStoreFromEnv() },
);
