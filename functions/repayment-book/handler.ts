import { systemClock } from '../../shared/adapters/clock.ts';
import { createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { loanGroup } from '../../shared/contracts/repayments.ts';
import { validate } from '../../shared/contracts/validate.ts';
import { cachedLoans } from '../../shared/use-cases/loan-cache.ts';
import { STORES } from './stores.ts';

const stores = createStores(createDocumentClient(), tablesFromEnv(), STORES);
const deps = { loan: cachedLoans(stores.loans), repayments: stores.repayments, programPools: stores.programPools, clock: systemClock, metrics };
import { bookCountedLoanGroup } from '../../shared/use-cases/booking-metrics.ts';
import { eventHandler, metrics } from '../../shared/adapters/telemetry/index.ts';

/** `BookLoanGroup` of the RepaymentBatch workflow: one loan's rows, booked in order. */
export const handler = eventHandler<unknown, unknown>((event) => bookCountedLoanGroup(deps, validate(loanGroup, event)));
