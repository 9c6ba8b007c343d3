// Plain data only: handlers and the local stack may import this file without pulling in the CDK.

/** State names of the Disbursement saga (docs/joint-review.md); handlers and tests refer to them. */
export const DisbursementStates = {
  reserveQuota: 'ReserveQuota',
  awaitDisbursement: 'AwaitDisbursement',
  bookLoan: 'BookLoan',
  booked: 'Booked',
  release: 'Release',
  releasedWhy: 'ReleasedWhy',
  released: 'Released',
  faulted: 'Faulted',
} as const;

export type DisbursementStateName = (typeof DisbursementStates)[keyof typeof DisbursementStates];

/** The `step` field that tells the `disbursement-steps` function which step to run. */
export const DisbursementSteps = {
  reserveQuota: 'ReserveQuota',
  awaitDisbursement: 'AwaitDisbursement',
  release: 'Release',
} as const;

export type DisbursementStep = (typeof DisbursementSteps)[keyof typeof DisbursementSteps];

/**
 * The errors the saga catches and compensates with `Release`. A handler throws an Error whose
 * `name` is one of these (see `workflowError`); the decisions route fails the waiting task with
 * SendTaskFailure `error` set to one of them. The name reaches `Release` as `cause`.
 */
export const DisbursementErrors = {
  /** ReserveQuota: a lender's remaining quota is short of its share. */
  quotaUnavailable: 'QuotaUnavailable',
  /** AwaitDisbursement: the lead reported that the disbursement failed. */
  disbursementFailed: 'DisbursementFailed',
  /** AwaitDisbursement: the lead cancelled the disbursement. */
  disbursementCancelled: 'DisbursementCancelled',
  /** AwaitDisbursement: no confirmation within `timeoutSeconds`. */
  timeout: 'States.Timeout',
  /** BookLoan: booking was refused by a rule (the loan cannot be booked as planned). */
  bookingRefused: 'BookingRefused',
} as const;

export type DisbursementError = (typeof DisbursementErrors)[keyof typeof DisbursementErrors];

/**
 * The errors each state expects: caught into `Release`, which records the outcome they name, and
 * the execution ends in `Released`. Any other error is caught into `Release` too (nothing the
 * saga reserved is left held), and the execution then ends in `Faulted` with that error, so that
 * it is looked at.
 */
export const CAUGHT_ERRORS = {
  [DisbursementStates.reserveQuota]: [DisbursementErrors.quotaUnavailable],
  [DisbursementStates.awaitDisbursement]: [DisbursementErrors.disbursementFailed, DisbursementErrors.disbursementCancelled, DisbursementErrors.timeout],
  [DisbursementStates.bookLoan]: [DisbursementErrors.bookingRefused],
} as const satisfies Partial<Record<DisbursementStateName, readonly DisbursementError[]>>;

/**
 * An Error that Step Functions reports under `name`: thrown by a handler bound to a Task state,
 * it is matched by the state's Catch on that name.
 */
export function workflowError(name: DisbursementError, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** Execution input; the execution is named by the application id. */
export interface DisbursementInput {
  readonly applicationId: string;
}

/** The event of `disbursement-steps` at `ReserveQuota`. */
export interface ReserveQuotaEvent {
  readonly step: typeof DisbursementSteps.reserveQuota;
  readonly applicationId: string;
}

/** How long `AwaitDisbursement` waits, in whole seconds (at least 1), from the program. */
export interface ReserveQuotaResult {
  readonly applicationId: string;
  readonly timeoutSeconds: number;
}

/** The event of `disbursement-steps` at `AwaitDisbursement`; the disbursement route answers `taskToken`. */
export interface AwaitDisbursementEvent {
  readonly step: typeof DisbursementSteps.awaitDisbursement;
  readonly applicationId: string;
  readonly timeoutSeconds: number;
  readonly taskToken: string;
}

/** The output the disbursement route sends with SendTaskSuccess; the event of `disbursement-book`. */
export interface DisbursementConfirmation {
  readonly applicationId: string;
  readonly disbursementReference: string;
  /** YYYY-MM-DD */
  readonly disbursementDate: string;
}

export type BookLoanEvent = DisbursementConfirmation;

/** The event of `disbursement-steps` at `Release`; `cause` is the name of the caught error, named or not. */
export interface ReleaseEvent {
  readonly step: typeof DisbursementSteps.release;
  readonly applicationId: string;
  readonly cause: string;
}

export type DisbursementStepsEvent = ReserveQuotaEvent | AwaitDisbursementEvent | ReleaseEvent;
