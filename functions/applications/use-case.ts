import { restrictedTo, type Principal } from '../../shared/domain/access.ts';
import { borrowerNow } from '../../shared/use-cases/outstanding.ts';
import { personRef } from '../../shared/domain/person.ts';
import { validateApplication, type Application } from '../../shared/domain/application.ts';
import { RuleViolation, StateConflict, NotFound } from '../../shared/domain/errors.ts';
import { businessDateAt } from '../../shared/domain/business-date.ts';
import { checkNotBeforeStart, programStartDate } from '../../shared/domain/program.ts';
import { decideAsk, outcomeOf, type Ask, type TimelineEvent } from '../../shared/domain/review.ts';
import {
  WriteConflict,
  type ApplicationRecord,
  type ApplicationStore,
  type ExposureStore,
  type IdempotencyStore,
  type LenderStore,
  type ProgramStore,
  type TaskResumer,
  type WorkflowStarter,
} from '../../shared/ports/stores.ts';
import type { PageRequest, Seal } from '../../shared/ports/stores.ts';
import type { CreateApplicationRequest, DecisionRequest, DisbursementRequest } from '../../shared/contracts/schemas.ts';
import { programOf } from '../../shared/use-cases/loan-booking.ts';
import type { PersonalDataCipher } from '../../shared/ports/personal-data.ts';
import { borrowerSubject } from '../../shared/domain/personal-data.ts';
import { borrowerViewFor, borrowerViewOf, identityHashOf, sealBorrower, type BorrowerView } from '../../shared/use-cases/personal-data.ts';

export interface ApplicationDeps {
  readonly applications: ApplicationStore;
  readonly exposure: ExposureStore;
  readonly programs: ProgramStore;
  readonly lenders: LenderStore;
  readonly review: WorkflowStarter;
  readonly tasks: TaskResumer;
  readonly idempotency: IdempotencyStore;
  readonly personalData: PersonalDataCipher;
}

/**
 * What an application looks like to a caller; a partner sees its own ask and plan line only, and
 * the borrower's personal data in clear only when the program entitles it (docs/personal-data.md).
 */
export interface ApplicationView extends Omit<ApplicationRecord, 'application'> {
  readonly application: Omit<Application, 'borrower'> & { readonly borrower: BorrowerView };
  readonly asks: readonly Ask[];
}

/**
 * Takes an application for joint review: checked against its program and the regulatory profile
 * (for this borrower across all its loans) before anything is stored. The review workflow is
 * started, named by the application, by `startReview`.
 */
export async function createApplication(deps: ApplicationDeps, input: CreateApplicationRequest, seal: Seal, now: string): Promise<void> {
  const program = await programOf(deps, input.programId, input.programVersion);
  if (input.currency !== program.currency) {
    throw new RuleViolation('CURRENCY_MISMATCH', `program ${program.programId} lends in ${program.currency}, not ${input.currency}`, { path: 'currency' });
  }
  const lead = await deps.lenders.get(program.leadLenderId);
  if (!lead) throw new RuleViolation('UNKNOWN_LENDER', `the program's lead ${program.leadLenderId} does not exist`, { path: 'programId' });
  const { currency: _currency, borrower: { personalData: clear, ...borrower }, ...fields } = input;
  const checked: Application = { ...fields, borrower, programVersion: program.version, createdAt: now };
  // The identity number's keyed hash names the person whose loans the caps count, under every borrower id.
  const identityHash = clear?.identityNumber === undefined ? null : await identityHashOf(deps.personalData, clear.identityNumber);
  // The caps count what the person owes now: what its loans were booked at, less what was repaid since.
  const { owed } = await borrowerNow(deps, { borrowerId: borrower.borrowerId, personalData: { identityHash } });
  const assessment = validateApplication(checked, program, lead, owed);
  // Sealed once the application is accepted, so a refused one costs no encryption.
  const sealed = await sealBorrower(deps.personalData, input.borrower);
  const application: Application = { ...checked, borrower: sealed };
  const person = identityHash === null ? null : personRef(identityHash, 'APPLICATION', application.applicationId, sealed.borrowerId, program.programId, now);
  const record: ApplicationRecord = { application, status: 'IN_REVIEW', round: 0, plan: null, reasons: [], dropped: [], timeline: [], loanId: null };
  const detail = { programId: program.programId, programVersion: program.version, amountMinor: input.amountMinor, tags: assessment.tags };
  // The answer is kept in the idempotency record, so it shows the personal data masked, to every caller.
  const answer: ApplicationView = { ...record, application: { ...application, borrower: borrowerViewOf(application.borrower, clear ?? null, 'MASKED') }, asks: [] };
  await deps.applications.create(record, { step: 'Submitted', at: now, event: 'SUBMITTED', detail, set: {} }, seal(202, answer), person);
}

/** Starts (or finds) the review of an application; safe to call after every request. */
export async function startReview(deps: Pick<ApplicationDeps, 'review'>, applicationId: string): Promise<void> {
  await deps.review.start(applicationId, { applicationId, round: 1 });
}

function partnerView(record: ApplicationView, asks: readonly Ask[], lenderId: string): ApplicationView {
  return {
    ...record,
    plan: record.plan?.filter((line) => line.lenderId === lenderId) ?? null,
    reasons: record.reasons.filter((r) => r.lenderId === lenderId),
    dropped: record.dropped.filter((d) => d.lenderId === lenderId),
    timeline: record.timeline
      .filter((e) => e.detail.lenderId === undefined || e.detail.lenderId === lenderId)
      .map((e) => ({ ...e, detail: ownDetail(e.detail, lenderId) })),
    asks: asks.filter((a) => a.lenderId === lenderId),
  };
}

/** An event about the whole application keeps, of its lists (plan, reasons, lenders asked), only what concerns this lender. */
function ownDetail(detail: Readonly<Record<string, unknown>>, lenderId: string): Readonly<Record<string, unknown>> {
  const concerns = (key: string, item: unknown): boolean => {
    if (key === 'lenderIds') return item === lenderId;
    if (item !== null && typeof item === 'object' && 'lenderId' in item) return item.lenderId === lenderId;
    return true;
  };
  return Object.fromEntries(Object.entries(detail).map(([key, value]) => [key, Array.isArray(value) ? value.filter((item) => concerns(key, item)) : value]));
}

/** A partner's decision as an event of the timeline: kept on its ask, never written twice. */
function decisionEvent(ask: Ask): TimelineEvent | null {
  const { decision } = ask;
  if (decision === null || (ask.state !== 'APPROVED' && ask.state !== 'DECLINED')) return null;
  return {
    at: decision.decidedAt,
    step: `Decision#${ask.lenderId}#${ask.round}`,
    event: ask.state === 'APPROVED' ? 'PARTNER_APPROVED' : 'PARTNER_DECLINED',
    detail: {
      lenderId: ask.lenderId,
      round: ask.round,
      ...(decision.approvedAmountMinor === null ? {} : { approvedAmountMinor: decision.approvedAmountMinor }),
      reasonCodes: decision.reasonCodes,
      decidedBy: decision.decidedBy,
    },
  };
}

/**
 * The stored timeline with each partner's decision in its place: after the round's asks, before
 * the round's allocation, among the round's other events by time. A decision the timeline already
 * holds (stored with the application before decisions were kept on the ask alone) is not repeated.
 */
export function timelineWithDecisions(timeline: readonly TimelineEvent[], asks: readonly Ask[]): TimelineEvent[] {
  const events = [...timeline];
  const decisions = asks
    .map((ask) => ({ round: ask.round, event: decisionEvent(ask) }))
    .filter((d): d is { round: number; event: TimelineEvent } => d.event !== null && !timeline.some((e) => e.step === d.event?.step))
    .sort((a, b) => (a.event.at < b.event.at ? -1 : a.event.at > b.event.at ? 1 : 0));
  for (const { round, event } of decisions) {
    const asked = events.findIndex((e) => e.step === `ChooseCandidates#${round}`);
    const allocated = events.findIndex((e) => e.step === `Allocate#${round}`);
    const end = allocated < 0 ? events.length : allocated;
    let at = asked + 1;
    while (at < end && (events[at]?.at ?? '') <= event.at) at++;
    events.splice(at, 0, event);
  }
  return events;
}

/** The lead and the platform see everything; a partner only an application it was asked about. */
export async function getApplication(deps: Pick<ApplicationDeps, 'applications' | 'programs' | 'personalData'>, principal: Principal, applicationId: string): Promise<ApplicationView> {
  const stored = await deps.applications.get(applicationId);
  if (!stored) throw new NotFound('application', applicationId);
  const asks = await deps.applications.asks(applicationId);
  const only = restrictedTo(principal);
  if (only !== null && !asks.some((a) => a.lenderId === only)) throw new NotFound('application', applicationId);
  const record: ApplicationView = {
    ...stored,
    application: { ...stored.application, borrower: await shownBorrower(deps, principal, stored.application) },
    timeline: timelineWithDecisions(stored.timeline, asks),
    asks,
  };
  return only === null ? record : partnerView(record, asks, only);
}

/** The borrower as this caller may see it, by the rule of the application's program version. */
async function shownBorrower(deps: Pick<ApplicationDeps, 'programs' | 'personalData'>, principal: Principal, application: Application): Promise<BorrowerView> {
  if (application.borrower.personalData === undefined) return borrowerViewOf(application.borrower, null, 'MASKED');
  const program = await programOf(deps, application.programId, application.programVersion);
  return borrowerViewFor(deps.personalData, principal, borrowerSubject(program), application.borrower);
}

/** A page of the lead's applications in one status (pending reviews by default), oldest first; a partner's open asks, the earliest deadline first. */
export async function listApplications(deps: Pick<ApplicationDeps, 'applications'>, principal: Principal, status: string | undefined, page: PageRequest) {
  const only = restrictedTo(principal);
  if (only === null) {
    const records = await deps.applications.listByStatus(status ?? 'IN_REVIEW', page);
    return {
      applications: records.items.map((r) => ({ applicationId: r.application.applicationId, status: r.status, amountMinor: r.application.amountMinor, createdAt: r.application.createdAt })),
      cursor: records.cursor,
    };
  }
  if (status !== undefined && status !== 'IN_REVIEW') return { applications: [], cursor: null };
  const ids = await deps.applications.awaiting(only, page);
  const asks = await Promise.all(ids.items.map((id) => deps.applications.ask(id, only)));
  return {
    cursor: ids.cursor,
    applications: asks
      .filter((a): a is NonNullable<typeof a> => a !== null && a.state === 'PENDING' && (status === undefined || status === 'IN_REVIEW'))
      .map((a) => ({ applicationId: a.applicationId, askedAmountMinor: a.askedAmountMinor, minimumAmountMinor: a.minimumAmountMinor, deadline: a.deadline })),
  };
}

/** The decision just stored and the task token its ask held when it was read (null if none yet). */
export interface StoredDecision {
  readonly decided: Ask;
  readonly taskToken: string | null;
}

/**
 * A partner's decision on its ask: stored once (with who and when), then handed to the waiting
 * review. A lender that was not asked gets 404, as if the application did not exist.
 */
export async function decide(deps: ApplicationDeps, principal: Principal, applicationId: string, input: DecisionRequest, seal: Seal, now: string): Promise<StoredDecision> {
  const lenderId = principal.lenderId ?? '';
  const ask = await deps.applications.ask(applicationId, lenderId);
  if (!ask) throw new NotFound('application', applicationId);
  const { taskToken: _token, ...open } = ask;
  const decided = decideAsk(open, input, principal.userId, now);
  try {
    await deps.applications.decide(decided, seal(201, decided));
    return { decided, taskToken: ask.taskToken };
  } catch (error) {
    if (!(error instanceof WriteConflict && error.entity === 'ask')) throw error;
    // Decided or closed since it was read: refuse with the reason the ask gives now.
    const latest = await deps.applications.ask(applicationId, lenderId);
    if (latest) decideAsk(latest, input, principal.userId, now);
    throw error;
  }
}

/**
 * Hands a stored decision to the review; a replayed request hands it again (harmless). The token
 * the ask held when the decision was taken resumes it without reading the ask again; without one
 * (the review had not asked yet, or a replay), or if that token no longer waits (the ask was
 * asked again since), the ask is read: the token stored by then, or the ask step resumes itself.
 */
export async function resumeReview(deps: Pick<ApplicationDeps, 'applications' | 'tasks'>, applicationId: string, lenderId: string, stored?: StoredDecision): Promise<void> {
  if (stored?.taskToken && (await deps.tasks.succeed(stored.taskToken, outcomeOf(stored.decided)))) return;
  const ask = await deps.applications.ask(applicationId, lenderId);
  if (!ask || ask.state === 'PENDING' || ask.taskToken === null) return;
  await deps.tasks.succeed(ask.taskToken, outcomeOf(ask));
}

const FAILURES = { FAILED: 'DisbursementFailed', CANCELLED: 'DisbursementCancelled' } as const;

/**
 * A disbursement dated before its program's start is refused here, with 400 DATE_OUT_OF_WINDOW,
 * before the saga is resumed: booked by the saga, it would only fail the plan.
 */
async function checkDisbursedFromStart(deps: Pick<ApplicationDeps, 'applications' | 'programs'>, applicationId: string, disbursementDate: string, now: string): Promise<void> {
  const record = await deps.applications.get(applicationId);
  if (record === null) throw new NotFound('application', applicationId);
  const program = await deps.programs.get(record.application.programId, record.application.programVersion);
  if (program === null) return;
  checkNotBeforeStart('disbursementDate', disbursementDate, programStartDate(program), businessDateAt(now, program.settlement.calendar));
}

/** The lead reports the disbursement of a planned loan, its failure, or cancels it. */
export async function reportDisbursement(deps: ApplicationDeps, applicationId: string, input: DisbursementRequest, seal: Seal, now: string): Promise<void> {
  // The token is there only while the saga waits; the application itself is read only to say why not.
  const token = await deps.applications.disbursementToken(applicationId);
  if (token === null) {
    const record = await deps.applications.get(applicationId);
    if (!record) throw new NotFound('application', applicationId);
    throw new StateConflict('NOT_AWAITING_DISBURSEMENT', `application ${applicationId} is ${record.status}, not awaiting its disbursement`, {
      applicationId,
      status: record.status,
    });
  }
  if (input.outcome === 'DISBURSED') await checkDisbursedFromStart(deps, applicationId, input.disbursementDate, now);
  const resumed =
    input.outcome === 'DISBURSED'
      ? await deps.tasks.succeed(token, { applicationId, disbursementReference: input.disbursementReference, disbursementDate: input.disbursementDate })
      : await deps.tasks.fail(token, FAILURES[input.outcome], input.reason);
  if (!resumed) {
    throw new StateConflict('NOT_AWAITING_DISBURSEMENT', `application ${applicationId} stopped waiting for its disbursement`, { applicationId });
  }
  await deps.idempotency.put(seal(202, { applicationId, outcome: input.outcome, acceptedAt: now }));
}
