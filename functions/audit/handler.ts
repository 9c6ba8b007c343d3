import { auditStoreFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { auditQuery } from '../../shared/contracts/audit.ts';
import { validate } from '../../shared/contracts/validate.ts';
import { apiHandler, callerOf } from '../../shared/http/api.ts';
import { listAuditRecords } from './use-case.ts';

const deps = { audit: auditStoreFromEnv() };

export const handler = apiHandler(
  {
    'GET /v1/audit': async (req) => ({ statusCode: 200, body: await listAuditRecords(deps, callerOf(req), validate(auditQuery, req.query)) }),
  },
);
