// Plain data only: handlers and the local stack may import this file without pulling in the CDK.

/** State names of the joint-review workflow (docs/joint-review.md); handlers and tests refer to them. */
export const JointReviewStates = {
  chooseCandidates: 'ChooseCandidates',
  roundOutcome: 'RoundOutcome',
  askPartners: 'AskPartners',
  askPartner: 'AskPartner',
  recordTimeout: 'RecordTimeout',
  allocate: 'Allocate',
  allocationOutcome: 'AllocationOutcome',
  startDisbursement: 'StartDisbursement',
  disbursementStarted: 'DisbursementStarted',
  rejected: 'Rejected',
  recordFailure: 'RecordFailure',
  reviewFailed: 'ReviewFailed',
} as const;

export type JointReviewStateName = (typeof JointReviewStates)[keyof typeof JointReviewStates];

/** The `step` field that tells the `review-steps` function which step to run. */
export const ReviewSteps = {
  chooseCandidates: 'ChooseCandidates',
  recordTimeout: 'RecordTimeout',
  allocate: 'Allocate',
  recordFailure: 'RecordFailure',
} as const;

export type ReviewStep = (typeof ReviewSteps)[keyof typeof ReviewSteps];

/** What `ChooseCandidates` decides for a round. */
export const RoundOutcomes = { ask: 'ASK', reject: 'REJECT' } as const;
export type RoundOutcome = (typeof RoundOutcomes)[keyof typeof RoundOutcomes];

/** What `Allocate` decides once every ask of the round has an answer. */
export const AllocationOutcomes = { plan: 'PLAN', needMore: 'NEED_MORE', reject: 'REJECT' } as const;
export type AllocationOutcome = (typeof AllocationOutcomes)[keyof typeof AllocationOutcomes];

/** Error names the workflow catches. */
export const JointReviewErrors = {
  /** `AskPartner` waited `timeoutSeconds` without an answer; caught and routed to `RecordTimeout`. */
  timeout: 'States.Timeout',
  /** `StartDisbursement` found the Disbursement execution of the application already started. */
  disbursementAlreadyStarted: 'StepFunctions.ExecutionAlreadyExistsException',
} as const;

/** Execution input; the execution is named by the application id. */
export interface JointReviewInput {
  readonly applicationId: string;
  readonly round: number;
}

/** The event of `review-steps` at `ChooseCandidates`. */
export interface ChooseCandidatesEvent {
  readonly step: typeof ReviewSteps.chooseCandidates;
  readonly applicationId: string;
  readonly round: number;
}

/** One partner asked in a round: the item of the `AskPartners` Map. */
export interface PartnerAsk {
  readonly applicationId: string;
  readonly lenderId: string;
  readonly round: number;
  /** How long the partner has to answer, in whole seconds (at least 1). */
  readonly timeoutSeconds: number;
}

export interface ChooseCandidatesResult {
  readonly applicationId: string;
  readonly round: number;
  readonly asks: readonly PartnerAsk[];
  readonly outcome: RoundOutcome;
}

/** The event of `review-ask` at `AskPartner`; the partner's answer resumes the task with `taskToken`. */
export interface AskPartnerEvent extends PartnerAsk {
  readonly taskToken: string;
}

/**
 * A partner's answer, sent with SendTaskSuccess by the decisions route, and what `RecordTimeout`
 * returns (the answer stored before the deadline, or TIMEOUT). Amounts are decimal strings of
 * minor units.
 */
export interface PartnerDecision {
  readonly lenderId: string;
  readonly decision: 'APPROVE' | 'DECLINE' | 'TIMEOUT';
  readonly approvedAmountMinor?: string;
}

/** The event of `review-steps` at `RecordTimeout`. */
export interface RecordTimeoutEvent {
  readonly step: typeof ReviewSteps.recordTimeout;
  readonly applicationId: string;
  readonly lenderId: string;
  readonly round: number;
}

/** The event of `review-steps` at `Allocate`. */
export interface AllocateEvent {
  readonly step: typeof ReviewSteps.allocate;
  readonly applicationId: string;
  readonly round: number;
}

/** With `NEED_MORE`, `round` is the next round, which `ChooseCandidates` then runs. */
export interface AllocateResult {
  readonly applicationId: string;
  readonly outcome: AllocationOutcome;
  readonly round: number;
}

export type ReviewStepsEvent = ChooseCandidatesEvent | RecordTimeoutEvent | AllocateEvent;

/** The input of the Disbursement execution that `StartDisbursement` starts, named by the application id. */
export interface StartDisbursementInput {
  readonly applicationId: string;
}
