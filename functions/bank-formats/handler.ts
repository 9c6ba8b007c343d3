import { systemClock } from '../../shared/adapters/clock.ts';
import { auditStoreFromEnv, createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { apiHandler, callerOf, idempotentWrite, platformOnly } from '../../shared/http/api.ts';
import { validate } from '../../shared/contracts/validate.ts';
import { versionQuery } from '../../shared/contracts/schemas.ts';
import { bankFormatPath, type BankFormatRequest } from '../../shared/contracts/bank-formats.ts';
import { pageQuery } from '../../shared/contracts/paging.ts';
import { bankFormat, listBankFormats, loadBankFormat } from '../../shared/use-cases/bank-formats.ts';
import { STORES } from './stores.ts';

const stores = createStores(createDocumentClient(), tablesFromEnv(), STORES);
const deps = { ...stores, clock: systemClock };

export const handler = apiHandler(
  {
    'PUT /v1/bank-formats/{bankId}': (req) => {
      const { bankId } = validate(bankFormatPath, platformOnly(req, 'bank formats').pathParameters);
      return idempotentWrite(req, deps, async (seal, now) => {
        await loadBankFormat(deps, bankId, req.body as BankFormatRequest, callerOf(req).clientId, seal, now);
      });
    },
    'GET /v1/bank-formats/{bankId}': async (req) => {
      const { version } = validate(versionQuery, req.query);
      return { statusCode: 200, body: await bankFormat(deps, validate(bankFormatPath, req.pathParameters).bankId, version ?? null) };
    },
    'GET /v1/bank-formats': async (req) => ({ statusCode: 200, body: await listBankFormats(deps, validate(pageQuery, req.query)) }),
  },
  { audit: auditStoreFromEnv() },
);
