import middy from '@middy/core';
import { systemClock } from '../../shared/adapters/clock.ts';
import { createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { loanGroup } from '../../shared/contracts/repayments.ts';
import { validate } from '../../shared/contracts/validate.ts';
import { cachedLoans } from '../../shared/use-cases/loan-cache.ts';
import { bookLoanGroup } from '../../shared/use-cases/loan-changes.ts';
import { STORES } from './stores.ts';

const stores = createStores(createDocumentClient(), tablesFromEnv(), STORES);
const deps = { loan: cachedLoans(stores.loans), repayments: stores.repayments, programPools: stores.programPools, clock: systemClock };

/** `BookLoanGroup` of the RepaymentBatch workflow: one loan's rows, booked in order. */
export const handler = middy<unknown, unknown>().handler((event) => bookLoanGroup(deps, validate(loanGroup, event)));
