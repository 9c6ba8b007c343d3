import { systemClock } from '../../shared/adapters/clock.ts';
import { createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { withCachedReferences } from '../../shared/adapters/reference-cache.ts';
import { validate } from '../../shared/contracts/validate.ts';
import { disbursementStepInput } from './schema.ts';
import { awaitDisbursement, release, reserve } from './use-case.ts';
import { STORES } from './stores.ts';
import { eventHandler } from '../../shared/adapters/telemetry/index.ts';

const deps = { ...withCachedReferences(createStores(createDocumentClient(), tablesFromEnv(), STORES)), clock: systemClock };

/** The Disbursement saga's steps around the booking: ReserveQuota, AwaitDisbursement, Release. */
export const handler = eventHandler<unknown, unknown>(async (event) => {
  const input = validate(disbursementStepInput, event);
  switch (input.step) {
    case 'ReserveQuota':
      return reserve(deps, input.applicationId);
    case 'AwaitDisbursement':
      return awaitDisbursement(deps, input.applicationId, input.taskToken);
    case 'Release':
      return release(deps, input.applicationId, input.cause);
  }
});
