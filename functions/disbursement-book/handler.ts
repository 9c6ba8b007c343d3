import middy from '@middy/core';
import { systemClock } from '../../shared/adapters/clock.ts';
import { createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { withCachedReferences } from '../../shared/adapters/reference-cache.ts';
import { validate } from '../../shared/contracts/validate.ts';
import { bookFromApplicationInput } from './schema.ts';
import { bookFromApplication } from './use-case.ts';
import { STORES } from './stores.ts';

const deps = { ...withCachedReferences(createStores(createDocumentClient(), tablesFromEnv(), STORES)), clock: systemClock };

export const handler = middy<unknown, unknown>().handler((event) => bookFromApplication(deps, validate(bookFromApplicationInput, event)));
