import { allocate, chooseCandidates, type AllocationResult, type Candidate, type DroppedLender, type LenderExposure } from '../../shared/domain/allocation.ts';
import type { Application } from '../../shared/domain/application.ts';
import { invariant } from '../../shared/domain/errors.ts';
import type { Lender } from '../../shared/domain/lender.ts';
import type { Program } from '../../shared/domain/program.ts';
import { FINAL_STATUSES, outcomeOf, type Ask, type ApplicationStatus } from '../../shared/domain/review.ts';
import { failureOf, type StepError } from '../../shared/contracts/step-failure.ts';
import type { ApplicationChange, ApplicationRecord, ApplicationStore, Clock, ExposureStore, LenderStore, ProgramStore, RegulatoryFiguresStore } from '../../shared/ports/stores.ts';
import { businessDateAt } from '../../shared/domain/business-date.ts';
import { lendersOnDate } from '../../shared/use-cases/regulatory-figures.ts';
import { borrowerNow, lenderOutstandingNow } from '../../shared/use-cases/outstanding.ts';
import { auditStep, type StepAuditDeps } from '../../shared/use-cases/audit.ts';
import type { ReviewStepInput } from './schema.ts';

export interface ReviewDeps {
  readonly applications: ApplicationStore;
  readonly exposure: ExposureStore;
  readonly programs: ProgramStore;
  readonly lenders: LenderStore;
  readonly regulatoryFigures: RegulatoryFiguresStore;
  readonly clock: Clock;
}

interface Review {
  readonly record: ApplicationRecord;
  readonly application: Application;
  readonly program: Program;
  readonly asks: readonly Ask[];
  readonly candidates: readonly Candidate[];
  readonly dropped: readonly DroppedLender[];
  readonly result: AllocationResult;
}

/** What each funding lender owes now (outstanding principal, not what was ever committed), from its quota and principal shards and the borrower's figures. */
async function exposuresOf(deps: ReviewDeps, program: Program, application: Application, lenderIds: readonly string[]): Promise<Map<string, LenderExposure>> {
  const borrowerRead = borrowerNow(deps, application.borrower);
  const entries = await Promise.all(
    lenderIds.map(async (lenderId): Promise<[string, LenderExposure]> => {
      const held = await lenderOutstandingNow(deps, lenderId);
      return [
        lenderId,
        {
          outstandingMinor: held.outstandingMinor,
          reservedMinor: held.reservedMinor,
          borrowerOutstandingMinor: 0n,
          jointWithLeadMinor: held.byLeadMinor[program.leadLenderId] ?? 0n,
          jointTotalMinor: held.outstandingMinor,
        },
      ];
    }),
  );
  const { owed } = await borrowerRead;
  return new Map(entries.map(([lenderId, figures]): [string, LenderExposure] => [lenderId, { ...figures, borrowerOutstandingMinor: owed.perLenderMinor[lenderId] ?? 0n }]));
}

/**
 * A partner already asked is judged on the terms it was asked under, even if its limits moved
 * since (another plan took some of its quota): its answer was to that question. Reserving the
 * plan checks the quota again.
 */
function asAsked(candidate: Candidate, ask: Ask | undefined): Candidate {
  if (!ask) return candidate;
  const maximum = candidate.maximumAmountMinor > ask.askedAmountMinor ? candidate.maximumAmountMinor : ask.askedAmountMinor;
  return { ...candidate, askedAmountMinor: ask.askedAmountMinor, minimumAmountMinor: ask.minimumAmountMinor, maximumAmountMinor: maximum };
}

/** The review as it stands: fresh candidates and the allocation of every decision so far. */
async function assess(deps: ReviewDeps, applicationId: string): Promise<Review> {
  const record = await deps.applications.get(applicationId);
  invariant(record, 'the application of a review exists', { applicationId });
  const { application } = record;
  const program = await deps.programs.get(application.programId, application.programVersion);
  invariant(program, 'the program version of an application exists', { applicationId });
  const lenderIds = program.participants.map((p) => p.lenderId);
  // Each bank is judged by its figures in force today, in the program's calendar.
  const today = businessDateAt(deps.clock.now(), program.settlement.calendar);
  // An application's asks are written with its first round, so before it there are none to read.
  const [lenders, exposure, asks]: [Map<string, Lender>, Map<string, LenderExposure>, readonly Ask[]] = await Promise.all([
    lendersOnDate(deps, lenderIds, today),
    exposuresOf(deps, program, application, lenderIds),
    record.round === 0 ? Promise.resolve([]) : deps.applications.asks(applicationId),
  ]);
  const selection = chooseCandidates(program, application, lenders, exposure, new Set());
  const candidates = selection.candidates.map((c) => asAsked(c, asks.find((a) => a.lenderId === c.lenderId)));
  const { dropped } = selection;
  const result = allocate(program, application, candidates, asks.filter((a) => a.state !== 'PENDING').map(outcomeOf));
  return { record, application, program, asks, candidates, dropped, result };
}

export interface AskOrder {
  readonly applicationId: string;
  readonly lenderId: string;
  readonly round: number;
  readonly timeoutSeconds: number;
}

/**
 * Round n of the review: ask the partners the allocation needs next. Writing the round's asks is
 * one step; run again (a retry after a crash), it finds them written and returns the same asks.
 */
export async function chooseRound(deps: ReviewDeps, applicationId: string, round: number): Promise<{ applicationId: string; round: number; asks: AskOrder[]; outcome: 'ASK' | 'REJECT' }> {
  const review = await assess(deps, applicationId);
  const timeoutSeconds = review.program.reviewTimeoutSeconds;
  const stored = review.asks.filter((a) => a.round === round);
  if (review.record.round >= round) {
    const outcome = review.record.status === 'REJECTED' ? 'REJECT' : 'ASK';
    return { applicationId, round, asks: stored.map((a) => ({ applicationId, lenderId: a.lenderId, round, timeoutSeconds })), outcome };
  }
  const now = deps.clock.now();
  if (review.result.outcome === 'REJECT') {
    await deps.applications.change(applicationId, {
      step: `ChooseCandidates#${round}`,
      at: now,
      event: 'REJECTED',
      detail: { round, reasons: review.result.reasons, dropped: review.dropped },
      set: { status: 'REJECTED', round, reasons: review.result.reasons, dropped: review.dropped },
    });
    return { applicationId, round, asks: [], outcome: 'REJECT' };
  }
  const asked = new Set(review.asks.map((a) => a.lenderId));
  const next = review.result.outcome === 'NEED_MORE' ? review.result.askLenderIds.filter((id) => !asked.has(id)) : [];
  const deadline = new Date(Date.parse(now) + timeoutSeconds * 1000).toISOString();
  const asks: Ask[] = next.map((lenderId) => {
    const candidate = review.candidates.find((c) => c.lenderId === lenderId);
    invariant(candidate, 'the partners to ask are candidates', { lenderId });
    return {
      applicationId,
      lenderId,
      round,
      askedAmountMinor: candidate.askedAmountMinor,
      minimumAmountMinor: candidate.minimumAmountMinor,
      priority: candidate.priority,
      askedAt: now,
      deadline,
      state: 'PENDING',
      decision: null,
    };
  });
  await deps.applications.change(
    applicationId,
    {
      step: `ChooseCandidates#${round}`,
      at: now,
      event: 'PARTNERS_ASKED',
      detail: { round, lenderIds: next, deadline },
      set: { round, dropped: review.dropped },
    },
    asks,
  );
  return { applicationId, round, asks: asks.map((a) => ({ applicationId, lenderId: a.lenderId, round, timeoutSeconds })), outcome: 'ASK' };
}

/** A partner let its ask run out: recorded, unless its decision arrived first (then that stands). */
export async function recordTimeout(deps: ReviewDeps, applicationId: string, lenderId: string, round: number) {
  const ask = await deps.applications.timeOut(applicationId, lenderId, {
    step: `Timeout#${lenderId}#${round}`,
    at: deps.clock.now(),
    event: 'PARTNER_TIMED_OUT',
    detail: { lenderId, round },
    set: {},
  });
  return outcomeOf(ask);
}

type Allocated = { applicationId: string; outcome: AllocationResult['outcome']; round: number };

const OUTCOME_OF_EVENT: Readonly<Record<string, AllocationResult['outcome']>> = { PLANNED: 'PLAN', MORE_PARTNERS_NEEDED: 'NEED_MORE', REJECTED: 'REJECT' };

/** What the round's Allocate recorded, if it ran: the answer it gave then. */
function recordedAllocation(record: ApplicationRecord | null, applicationId: string, round: number): Allocated | null {
  const event = record?.timeline.find((e) => e.step === `Allocate#${round}`);
  const outcome = event === undefined ? undefined : OUTCOME_OF_EVENT[event.event];
  if (outcome === undefined) return null;
  return { applicationId, outcome, round: outcome === 'NEED_MORE' ? round + 1 : round };
}

/**
 * After a round: a plan, another round, or a refusal, each with its reasons. Run again (a retry
 * whose first answer was lost, after other bookings moved the limits), it answers what it
 * recorded, not a new decision: the workflow must take the path the application says it took.
 */
export async function allocateRound(deps: ReviewDeps, applicationId: string, round: number): Promise<Allocated> {
  const { record, result } = await assess(deps, applicationId);
  const recorded = recordedAllocation(record, applicationId, round);
  if (recorded !== null) return recorded;
  const at = deps.clock.now();
  const step = `Allocate#${round}`;
  let change: ApplicationChange;
  let allocated: Allocated;
  if (result.outcome === 'PLAN') {
    change = { step, at, event: 'PLANNED', detail: { round, plan: result.plan }, set: { status: 'PLANNED', plan: result.plan, reasons: result.reasons } };
    allocated = { applicationId, outcome: 'PLAN', round };
  } else if (result.outcome === 'NEED_MORE') {
    change = { step, at, event: 'MORE_PARTNERS_NEEDED', detail: { round, shortfallMinor: result.shortfallMinor }, set: { reasons: result.reasons } };
    allocated = { applicationId, outcome: 'NEED_MORE', round: round + 1 };
  } else {
    change = { step, at, event: 'REJECTED', detail: { round }, set: { status: 'REJECTED', reasons: result.reasons } };
    allocated = { applicationId, outcome: 'REJECT', round };
  }
  if (await deps.applications.change(applicationId, change)) return allocated;
  // Another run of this step recorded its answer between the read and the write: that answer stands.
  return recordedAllocation(await deps.applications.get(applicationId), applicationId, round) ?? allocated;
}

/** Statuses a failed review leaves as they are: final ones, and a plan whose disbursement has started (its saga owns it). */
const OUT_OF_REVIEW: readonly ApplicationStatus[] = [...FINAL_STATUSES, 'AWAITING_DISBURSEMENT'];

/**
 * The review stopped on an error no step expected: the application says so (REVIEW_FAILED, with
 * the error's code and message), instead of staying IN_REVIEW for ever. The review reserved no
 * quota and booked nothing, so nothing is given back; a new application starts a new review.
 */
export async function recordFailure(deps: Pick<ReviewDeps, 'applications' | 'clock'>, applicationId: string, error: StepError): Promise<{ applicationId: string; status: ApplicationStatus }> {
  const record = await deps.applications.get(applicationId);
  if (record === null || OUT_OF_REVIEW.includes(record.status)) return { applicationId, status: record?.status ?? 'REVIEW_FAILED' };
  const failure = failureOf(error);
  await deps.applications.change(applicationId, { step: 'ReviewFailed', at: deps.clock.now(), event: 'REVIEW_FAILED', detail: { error: failure }, set: { status: 'REVIEW_FAILED' } });
  return { applicationId, status: 'REVIEW_FAILED' };
}

/** The workflow its records name as their actor. */
const WORKFLOW = 'JointReview';

export type ReviewStepDeps = ReviewDeps & StepAuditDeps;

/** The review's outcome as the audit trail records it: the application's status, and every lender asked or in the plan. */
async function auditOutcome(deps: ReviewStepDeps, executionId: string | undefined, step: string, applicationId: string, round: number | null): Promise<void> {
  if (executionId === undefined) return;
  const [record, asks] = await Promise.all([deps.applications.get(applicationId), deps.applications.asks(applicationId)]);
  const planned = record?.plan ?? [];
  await auditStep(deps, executionId, {
    workflow: WORKFLOW,
    step,
    target: { applicationId },
    after: { status: record?.status ?? null, round, ...(record?.loanId == null ? {} : { loanId: record.loanId }) },
    lenderIds: [...asks.map((a) => a.lenderId), ...planned.map((l) => l.lenderId)],
  });
}

/**
 * One JointReview step that reads and writes the application. Its outcome, when the review ends
 * (planned: approved; rejected: declined; REVIEW_FAILED: failed), is recorded in the audit trail
 * once per execution; asking another round is not an outcome.
 */
export async function runReviewStep(deps: ReviewStepDeps, input: ReviewStepInput) {
  switch (input.step) {
    case 'ChooseCandidates': {
      const chosen = await chooseRound(deps, input.applicationId, input.round);
      if (chosen.outcome === 'REJECT') await auditOutcome(deps, input.executionId, 'ChooseCandidates', input.applicationId, input.round);
      return chosen;
    }
    case 'RecordTimeout':
      return recordTimeout(deps, input.applicationId, input.lenderId, input.round);
    case 'Allocate': {
      const allocated = await allocateRound(deps, input.applicationId, input.round);
      if (allocated.outcome !== 'NEED_MORE') await auditOutcome(deps, input.executionId, 'Allocate', input.applicationId, allocated.round);
      return allocated;
    }
    case 'RecordFailure': {
      const failed = await recordFailure(deps, input.applicationId, input.error);
      // An application out of review already (final, or its disbursement started) keeps its outcome.
      if (failed.status === 'REVIEW_FAILED') await auditOutcome(deps, input.executionId, 'RecordFailure', input.applicationId, null);
      return failed;
    }
  }
}
