import type { DroppedLender, PlanLine, Reason } from './allocation.ts';
import { RuleViolation, StateConflict, ValidationError } from './errors.ts';

/** Where an application stands; see docs/joint-review.md for the transitions. */
export type ApplicationStatus =
  | 'IN_REVIEW'
  | 'PLANNED'
  | 'AWAITING_DISBURSEMENT'
  | 'BOOKED'
  | 'REJECTED'
  | 'DISBURSEMENT_FAILED'
  | 'REVIEW_FAILED'
  | 'CANCELLED'
  | 'EXPIRED';

export const FINAL_STATUSES: readonly ApplicationStatus[] = ['BOOKED', 'REJECTED', 'DISBURSEMENT_FAILED', 'REVIEW_FAILED', 'CANCELLED', 'EXPIRED'];

export interface TimelineEvent {
  readonly at: string;
  /** The step that made the change, e.g. `ChooseCandidates#1`; one event per step, ever. */
  readonly step: string;
  readonly event: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

export type AskState = 'PENDING' | 'APPROVED' | 'DECLINED' | 'TIMED_OUT';

export interface PartnerDecision {
  readonly decision: 'APPROVE' | 'DECLINE';
  /** APPROVE: the amount the partner will fund. */
  readonly approvedAmountMinor: bigint | null;
  readonly conditions: readonly string[];
  readonly reasonCodes: readonly string[];
  readonly comment: string | null;
  /** The client that decided, from its token. */
  readonly decidedBy: string;
  readonly decidedAt: string;
}

/** One partner asked for its decision in one round of the review. */
export interface Ask {
  readonly applicationId: string;
  readonly lenderId: string;
  readonly round: number;
  readonly askedAmountMinor: bigint;
  readonly minimumAmountMinor: bigint;
  readonly priority: number;
  readonly askedAt: string;
  /** After this instant the partner can no longer decide. */
  readonly deadline: string;
  readonly state: AskState;
  readonly decision: PartnerDecision | null;
}

export interface DecisionInput {
  readonly decision: 'APPROVE' | 'DECLINE';
  readonly approvedAmountMinor: bigint | null;
  readonly conditions: readonly string[];
  readonly reasonCodes: readonly string[];
  readonly comment: string | null;
}

/**
 * A partner's answer to its ask: once, before the deadline, an approval between its minimum and
 * what it was asked, a decline with reasons. Returns the decided ask; refuses otherwise.
 */
export function decideAsk(ask: Ask, input: DecisionInput, decidedBy: string, now: string): Ask {
  if (ask.state === 'APPROVED' || ask.state === 'DECLINED') {
    throw new StateConflict('DECISION_ALREADY_MADE', `lender ${ask.lenderId} already decided on application ${ask.applicationId} (${ask.state})`, {
      applicationId: ask.applicationId,
      state: ask.state,
      decidedAt: ask.decision?.decidedAt ?? null,
    });
  }
  if (ask.state === 'TIMED_OUT' || Date.parse(now) >= Date.parse(ask.deadline)) {
    throw new StateConflict('REVIEW_CLOSED', `the review of application ${ask.applicationId} closed for lender ${ask.lenderId} at ${ask.deadline}`, {
      applicationId: ask.applicationId,
      deadline: ask.deadline,
    });
  }
  if (input.decision === 'APPROVE') {
    const amount = input.approvedAmountMinor;
    if (amount === null) {
      throw new ValidationError('an approval states the amount the lender will fund', { path: 'approvedAmountMinor', rule: 'required' });
    }
    if (amount > ask.askedAmountMinor) {
      throw new RuleViolation('APPROVAL_ABOVE_ASKED', `lender ${ask.lenderId} was asked for ${ask.askedAmountMinor} and may approve at most that, not ${amount}`, {
        path: 'approvedAmountMinor',
        askedAmountMinor: ask.askedAmountMinor.toString(),
        approvedAmountMinor: amount.toString(),
      });
    }
    if (amount < ask.minimumAmountMinor) {
      throw new RuleViolation('APPROVAL_BELOW_MINIMUM', `lender ${ask.lenderId} must fund at least ${ask.minimumAmountMinor} of this loan, not ${amount}`, {
        path: 'approvedAmountMinor',
        minimumAmountMinor: ask.minimumAmountMinor.toString(),
        approvedAmountMinor: amount.toString(),
      });
    }
  } else {
    if (input.approvedAmountMinor !== null) {
      throw new ValidationError('a decline carries no amount', { path: 'approvedAmountMinor', rule: 'absent-on-decline' });
    }
    if (input.reasonCodes.length === 0) {
      throw new ValidationError('a decline gives at least one reason code', { path: 'reasonCodes', rule: 'required-on-decline' });
    }
  }
  return {
    ...ask,
    state: input.decision === 'APPROVE' ? 'APPROVED' : 'DECLINED',
    decision: { ...input, decidedBy, decidedAt: now },
  };
}

/** The review's view of an ask once it is over: what the allocation works from. */
export function outcomeOf(ask: Ask): { lenderId: string; decision: 'APPROVE' | 'DECLINE' | 'TIMEOUT'; approvedAmountMinor?: bigint } {
  if (ask.state === 'APPROVED' && ask.decision?.approvedAmountMinor != null) {
    return { lenderId: ask.lenderId, decision: 'APPROVE', approvedAmountMinor: ask.decision.approvedAmountMinor };
  }
  if (ask.state === 'DECLINED') return { lenderId: ask.lenderId, decision: 'DECLINE' };
  return { lenderId: ask.lenderId, decision: 'TIMEOUT' };
}

export interface ApplicationState<A> {
  readonly application: A;
  readonly status: ApplicationStatus;
  /** The review round under way (1 for the first set of partners asked). */
  readonly round: number;
  readonly plan: readonly PlanLine[] | null;
  /** Why each number of the plan is what it is, or why the application was refused. */
  readonly reasons: readonly Reason[];
  /** Candidates dropped before asking, with the rule and figures. */
  readonly dropped: readonly DroppedLender[];
  readonly timeline: readonly TimelineEvent[];
  readonly loanId: string | null;
}
