import { SFNClient } from '@aws-sdk/client-sfn';
import { systemClock } from '../../shared/adapters/clock.ts';
import { auditStoreFromEnv, createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { withCachedReferences } from '../../shared/adapters/reference-cache.ts';
import { StepFunctionsResumer, StepFunctionsStarter } from '../../shared/adapters/stepfunctions.ts';
import { apiHandler, callerOf, idempotentWrite, pathParam } from '../../shared/http/api.ts';
import { validate } from '../../shared/contracts/validate.ts';
import { applicationsQuery, type CreateApplicationRequest, type DecisionRequest, type DisbursementRequest } from '../../shared/contracts/schemas.ts';
import { createApplication, decide, getApplication, listApplications, reportDisbursement, resumeReview, startReview, type StoredDecision } from './use-case.ts';
import { STORES } from './stores.ts';
import { deployedKms, personalDataCipherFromEnv } from '../../shared/adapters/personal-data/index.ts';

const sfn = new SFNClient({});
// Taking an application may write its borrower's person (S41, S42): the intake store's grant.
const { applicationIntake, ...stores } = createStores(createDocumentClient(), tablesFromEnv(), STORES);
const deps = {
  ...withCachedReferences({ ...stores, applications: applicationIntake }),
  review: new StepFunctionsStarter(sfn, process.env.JOINT_REVIEW_STATE_MACHINE_ARN ?? ''),
  tasks: new StepFunctionsResumer(sfn),
  personalData: personalDataCipherFromEnv(process.env, deployedKms),
  clock: systemClock,
};

export const handler = apiHandler(
  {
    'POST /v1/applications': async (req) => {
      const response = await idempotentWrite(req, deps, (seal, now) => createApplication(deps, req.body as CreateApplicationRequest, seal, now));
      await startReview(deps, (req.body as CreateApplicationRequest).applicationId);
      return response;
    },
    'GET /v1/applications': async (req) => ({
      statusCode: 200,
      body: await (async () => {
        const { status, ...page } = validate(applicationsQuery, req.query);
        return listApplications(deps, callerOf(req), status, page);
      })(),
    }),
    'GET /v1/applications/{applicationId}': async (req) => ({
      statusCode: 200,
      body: await getApplication(deps, callerOf(req), pathParam(req, 'applicationId')),
    }),
    'POST /v1/applications/{applicationId}/decisions': async (req) => {
      const applicationId = pathParam(req, 'applicationId');
      const principal = callerOf(req);
      let stored: StoredDecision | undefined;
      const response = await idempotentWrite(req, deps, async (seal, now) => {
        stored = await decide(deps, principal, applicationId, req.body as DecisionRequest, seal, now);
      });
      await resumeReview(deps, applicationId, principal.lenderId ?? '', stored);
      return response;
    },
    'POST /v1/applications/{applicationId}/disbursement': (req) =>
      idempotentWrite(req, deps, (seal, now) => reportDisbursement(deps, pathParam(req, 'applicationId'), req.body as DisbursementRequest, seal, now)),
  },
  { audit: auditStoreFromEnv() },
);
