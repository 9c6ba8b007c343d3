import { systemClock } from '../../shared/adapters/clock.ts';
import { createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { withCachedReferences } from '../../shared/adapters/reference-cache.ts';
import { validate } from '../../shared/contracts/validate.ts';
import { reviewStepInput } from './schema.ts';
import { allocateRound, chooseRound, recordFailure, recordTimeout } from './use-case.ts';
import { STORES } from './stores.ts';
import { eventHandler } from '../../shared/adapters/telemetry/index.ts';

const deps = { ...withCachedReferences(createStores(createDocumentClient(), tablesFromEnv(), STORES)), clock: systemClock };

/** The JointReview steps that read and write the application (ChooseCandidates, RecordTimeout, Allocate, RecordFailure). */
export const handler = eventHandler(async (event) => {
  const input = validate(reviewStepInput, event);
  switch (input.step) {
    case 'ChooseCandidates':
      return chooseRound(deps, input.applicationId, input.round);
    case 'RecordTimeout':
      return recordTimeout(deps, input.applicationId, input.lenderId, input.round);
    case 'Allocate':
      return allocateRound(deps, input.applicationId, input.round);
    case 'RecordFailure':
      return recordFailure(deps, input.applicationId, input.error);
  }
});
