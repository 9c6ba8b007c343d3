import { RuleViolation } from './errors.ts';

/**
 * DynamoDB writes at most 100 items in one TransactWriteItems. A write whose item count grows with
 * the lenders of a loan (or with the quota shards each one takes from) is measured against it
 * before anything is written, so a booking too large is a named refusal, never a failed call.
 */
export const MAX_TRANSACTION_ITEMS = 100;

/** What one loan booking writes, by kind (docs/access-patterns.md, One booking, one transaction). */
export interface LoanBookingSize {
  /** Lenders of the funding plan: a holder item and a sub-schedule each. */
  readonly lenders: number;
  /** Quota shards changed: at least one per lender, more when a lender's part spans shards. */
  readonly quotaShards: number;
  /** Reservations of the reviewed application turned USED (none for a direct booking). */
  readonly reservations: number;
  /** The idempotency record of a direct booking. */
  readonly idempotency: boolean;
  /** The application's step (a booking from a reviewed application). */
  readonly applicationStep: boolean;
  /** The borrower's person and the loan's link to it (S41, S42), when an identity number names one. */
  readonly person?: boolean;
}

/** The loan, its facts, its disbursement entry, its head, the borrower schedule and the borrower's exposure. */
const FIXED_BOOKING_ITEMS = 6;

/** The person (S41, at its version) and the loan listed under it (S42). */
const PERSON_ITEMS = 2;

export function loanBookingItems(size: LoanBookingSize): number {
  return FIXED_BOOKING_ITEMS + (size.idempotency ? 1 : 0) + (size.applicationStep ? 1 : 0) + (size.person === true ? PERSON_ITEMS : 0) + 2 * size.lenders + size.quotaShards + size.reservations;
}

/**
 * The most lenders one loan can have: each writes at least four items when booked from a reviewed
 * application (holder, sub-schedule, one quota shard, its reservation), besides the fixed ones, the
 * application's step and the borrower's person. 22 with a limit of 100.
 */
export const MAX_LOAN_LENDERS = Math.floor((MAX_TRANSACTION_ITEMS - FIXED_BOOKING_ITEMS - 1 - PERSON_ITEMS) / 4);

/** Refuses a booking whose one transaction would pass the limit, naming the lenders, the items and the maxima. */
export function checkLoanBookingSize(size: LoanBookingSize): void {
  const items = loanBookingItems(size);
  if (items <= MAX_TRANSACTION_ITEMS) return;
  throw new RuleViolation(
    'BOOKING_TOO_LARGE',
    `a loan with ${size.lenders} lenders taking from ${size.quotaShards} quota shards writes ${items} items in its one booking transaction, more than the ${MAX_TRANSACTION_ITEMS} allowed; fewer lenders, or smaller parts of each lender's quota`,
    { path: 'fundingPlan', rule: 'BOOKING_TOO_LARGE', lenders: size.lenders, quotaShards: size.quotaShards, items, maxItems: MAX_TRANSACTION_ITEMS, maxLenders: MAX_LOAN_LENDERS },
  );
}

/** Refuses a program whose loans could never be booked in one transaction: more funding participants than MAX_LOAN_LENDERS. */
export function checkFundingParticipants(fundingParticipants: number): void {
  if (fundingParticipants <= MAX_LOAN_LENDERS) return;
  throw new RuleViolation(
    'TOO_MANY_LENDERS',
    `a program's loans are booked in one transaction of at most ${MAX_TRANSACTION_ITEMS} items, which holds at most ${MAX_LOAN_LENDERS} funding lenders, not ${fundingParticipants}`,
    { path: 'participants', rule: 'TOO_MANY_LENDERS', lenders: fundingParticipants, maxLenders: MAX_LOAN_LENDERS },
  );
}
