import middy from '@middy/core';
import { systemClock } from '../../shared/adapters/clock.ts';
import { createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { validate } from '../../shared/http/api.ts';
import { repaymentStepInput } from './schema.ts';
import { splitAndBook } from './use-case.ts';
import { cachedLoans } from './loan-cache.ts';

const stores = createStores(createDocumentClient(), tablesFromEnv());
const deps = { loan: cachedLoans(stores.loans), repayments: stores.repayments, programPools: stores.programPools, clock: systemClock };

export const handler = middy<unknown, unknown>().handler((event) => splitAndBook(deps, validate(repaymentStepInput, event)));
