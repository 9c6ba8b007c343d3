import { systemClock } from '../../shared/adapters/clock.ts';
import { auditStoreFromEnv, createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { pageQuery } from '../../shared/contracts/paging.ts';
import { apiHandler, callerOf, idempotentWrite, pathParam } from '../../shared/http/api.ts';
import { validate } from '../../shared/contracts/validate.ts';
import { lenderPath, regulatoryFiguresPath, type CreateLenderRequest, type RegulatoryFiguresRequest, type RotateWebhookSecretRequest } from '../../shared/contracts/schemas.ts';
import { webhookSecretsFromEnv } from '../../shared/adapters/webhook-secrets/index.ts';
import { listRegulatoryFigures, setRegulatoryFigures } from '../../shared/use-cases/regulatory-figures.ts';
import { createLender, getLender, listLenders, rotateWebhookSecret } from './use-case.ts';
import { STORES } from './stores.ts';
import { deployedKms, personalDataCipherFromEnv } from '../../shared/adapters/personal-data/index.ts';

const stores = createStores(createDocumentClient(), tablesFromEnv(), STORES);
const deps = { ...stores, webhookSecrets: webhookSecretsFromEnv(), personalData: personalDataCipherFromEnv(process.env, deployedKms), clock: systemClock };

export const handler = apiHandler(
  {
    'POST /v1/lenders': (req) => idempotentWrite(req, deps, (seal, now) => createLender(deps, req.body as CreateLenderRequest, seal, now)),
    'GET /v1/lenders': async (req) => ({ statusCode: 200, body: await listLenders(deps, callerOf(req), validate(pageQuery, req.query)) }),
    'GET /v1/lenders/{lenderId}': async (req) => ({ statusCode: 200, body: await getLender(deps, callerOf(req), pathParam(req, 'lenderId')) }),
    'POST /v1/lenders/{lenderId}/webhook-secret': (req) =>
      idempotentWrite(req, deps, (seal, now) => rotateWebhookSecret(deps, callerOf(req), validate(lenderPath, req.pathParameters).lenderId, req.body as RotateWebhookSecretRequest, seal, now)),
    'PUT /v1/lenders/{lenderId}/regulatory-figures/{effectiveDate}': (req) => {
      const { lenderId, effectiveDate } = validate(regulatoryFiguresPath, req.pathParameters);
      return idempotentWrite(req, deps, async (seal, now) => {
        await setRegulatoryFigures(deps, { lenderId, effectiveDate, figures: req.body as RegulatoryFiguresRequest }, callerOf(req).clientId, seal, now);
      });
    },
    'GET /v1/lenders/{lenderId}/regulatory-figures': async (req) => ({
      statusCode: 200,
      body: await listRegulatoryFigures(deps, callerOf(req), validate(lenderPath, req.pathParameters).lenderId, deps.clock.now()),
    }),
  },
  { audit: auditStoreFromEnv() },
);
