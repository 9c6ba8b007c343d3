import { systemClock } from '../../shared/adapters/clock.ts';
import { auditStoreFromEnv, createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { withCachedReferences } from '../../shared/adapters/reference-cache.ts';
import { validate } from '../../shared/contracts/validate.ts';
import { reviewStepInput } from './schema.ts';
import { runReviewStep } from './use-case.ts';
import { STORES } from './stores.ts';
import { eventHandler, logger } from '../../shared/adapters/telemetry/index.ts';

const deps = { ...withCachedReferences(createStores(createDocumentClient(), tablesFromEnv(), STORES)), clock: systemClock, audit: auditStoreFromEnv(), auditLog: logger };

/** The JointReview steps that read and write the application (ChooseCandidates, RecordTimeout, Allocate, RecordFailure). */
export const handler = eventHandler((event) => runReviewStep(deps, validate(reviewStepInput, event)));
