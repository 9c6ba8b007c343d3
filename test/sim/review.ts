import { createApplication, decide, reportDisbursement, resumeReview, startReview, type StoredDecision } from '../../functions/applications/use-case.ts';
import { allocateRound, chooseRound, recordTimeout } from '../../functions/review-steps/use-case.ts';
import { QuotaUnavailable, awaitDisbursement, release, reserve } from '../../functions/disbursement-steps/use-case.ts';
import { BookingRefused, bookFromApplication } from '../../functions/disbursement-book/use-case.ts';
import type { CreateApplicationRequest, DecisionRequest, DisbursementRequest } from '../../shared/contracts/schemas.ts';
import type { Principal } from '../../shared/domain/access.ts';
import { DomainError, InvariantViolation } from '../../shared/domain/errors.ts';
import { addDays } from '../../shared/domain/money/index.ts';
import type { ApplicationStatus, Ask } from '../../shared/domain/review.ts';
import { runIdempotent, type StoredResponse } from '../../shared/http/idempotency.ts';
import { PROGRAM_ID } from '../support/builders.ts';
import type { Answer, Fault, SimCommand } from './commands.ts';
import { SimCrash, withoutBackoff } from './faults.ts';
import type { World } from './world.ts';

/*
 * The joint review and its disbursement saga in the money simulator (docs/joint-review.md), played
 * as the two workflows play them: an application through `POST /v1/applications`, each partner's
 * decision through its route (or its ask timing out), the review's rounds (ChooseCandidates,
 * Allocate), the saga's ReserveQuota, AwaitDisbursement, the lead's report, BookLoan or Release.
 * A step that crashed after its write is run again, as Step Functions retries it; the timers of
 * the asks and of the wait for the disbursement fire when a review command finds them past.
 */

/** What the simulation offers the review: its world, its list of violations, and what a booked loan means for the cash. */
export interface ReviewContext {
  readonly world: World;
  readonly violations: string[];
  /** A loan booked from a plan: its principal was paid out, and later commands may repay it. */
  booked(loanId: string, principalMinor: bigint): void;
  /** Something accepted, to be delivered again later (a duplicate delivery, or a step retried after others acted). */
  again(label: string, replay: () => Promise<void>): void;
}

type SentRequest = { readonly operation: string; readonly clientId: string; readonly key: string; readonly body: Record<string, unknown> };

/** The outcome an Allocate step answers, from the event it wrote. */
const ALLOCATED: Readonly<Record<string, string>> = { PLANNED: 'PLAN', MORE_PARTNERS_NEEDED: 'NEED_MORE', REJECTED: 'REJECT' };
/** The Release step's cause for each way a disbursement ends without a loan. */
const CAUSES = { FAILED: 'DisbursementFailed', CANCELLED: 'DisbursementCancelled', EXPIRED: 'States.Timeout' } as const;
const DISBURSEMENT_TIMEOUT_MS = 604_800_000;

const jsonOf = (value: unknown): Record<string, unknown> => JSON.parse(JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as Record<string, unknown>;

export class ReviewPlayer {
  /** Every application sent, in order. */
  private readonly applicationIds: string[] = [];
  /** When each application began to wait for its disbursement. */
  private readonly awaitingSince = new Map<string, string>();

  constructor(private readonly ctx: ReviewContext) {}

  private get world(): World {
    return this.ctx.world;
  }

  private writes(): number {
    return this.world.stores.db.transactions;
  }

  private async status(applicationId: string): Promise<ApplicationStatus | null> {
    return (await this.world.stores.applications.get(applicationId))?.status ?? null;
  }

  /** A request through its Idempotency-Key, as the API runs it. */
  private send(sent: SentRequest, write: Parameters<typeof runIdempotent>[2]): Promise<StoredResponse> {
    const now = this.world.stores.clock.now();
    return runIdempotent(this.world.stores.idempotency, { operation: sent.operation, clientId: sent.clientId, userId: sent.clientId, key: sent.key, body: sent.body, now }, write);
  }

  /** A request sent again with its key: answered as a replay, nothing written. */
  private async resend(sent: SentRequest, write: Parameters<typeof runIdempotent>[2], label: string): Promise<void> {
    const before = this.writes();
    const again = await this.send(sent, write);
    if (!again.replayed) this.ctx.violations.push(`${label} sent again was not answered as a replay`);
    if (this.writes() !== before) this.ctx.violations.push(`${label} sent again wrote`);
  }

  // Applications ------------------------------------------------------------------------------------

  async apply(command: Extract<SimCommand, { type: 'APPLY' }>): Promise<string> {
    await this.fireTimers();
    const applicationId = `APP-SIM-${String(this.applicationIds.length + 1).padStart(4, '0')}`;
    const now = this.world.stores.clock.now();
    const request: CreateApplicationRequest = {
      applicationId,
      programId: PROGRAM_ID,
      programVersion: null,
      borrower: { borrowerId: `BRW-${command.borrower}`, type: 'INDIVIDUAL', region: 'CN-44', secured: false },
      currency: 'CNY',
      amountMinor: command.amountMinor,
      termMonths: command.termMonths,
      repaymentMethod: command.method,
      annualRate: ['0.0725', '0.12', '0.18', '0.24'][command.borrower % 4]!,
      purpose: 'Consumer loan',
      leadApproval: { approved: true, reference: `LA-${applicationId}`, approvedAt: now },
    };
    const sent: SentRequest = { operation: 'createApplication', clientId: 'lead-ops-client', key: `apply-${applicationId}`, body: jsonOf(request) };
    const write = (seal: Parameters<Parameters<typeof runIdempotent>[2]>[0]) => createApplication(this.world.applicationDeps, request, seal, this.world.stores.clock.now());
    const before = this.writes();
    let answer: StoredResponse;
    try {
      answer = await this.firstDelivery(sent, write, command.fault, `application ${applicationId}`);
    } catch (error) {
      if (!(error instanceof DomainError) || error instanceof InvariantViolation) throw error;
      if (this.writes() !== before) this.ctx.violations.push(`application ${applicationId} was refused (${error.code}) but wrote`);
      return `REFUSED ${error.code}`;
    }
    if (this.writes() - before !== 1) this.ctx.violations.push(`application ${applicationId} accepted with ${this.writes() - before} writes`);
    this.applicationIds.push(applicationId);
    this.ctx.again(`application ${applicationId}`, () => this.resend(sent, write, `application ${applicationId}`));
    await this.resend(sent, write, `application ${applicationId}`);
    await startReview(this.world.applicationDeps, applicationId);
    const told = [`${answer.replayed ? 'CRASHED, then ' : ''}APPLIED ${applicationId}: ${await this.choose(applicationId, 1)}`];
    // Partners that answer at once, and the lead that reports at once, in the same command.
    const pending = (await this.world.stores.applications.asks(applicationId)).filter((a) => a.state === 'PENDING');
    if (command.answers.length > 0 && pending.length > 0) told.push(await this.answerAsks(applicationId, pending, { partner: 0, answers: command.answers, decisionFault: 'NONE', quotaFault: command.sagaFault }));
    if (command.disbursement !== null && (await this.status(applicationId)) === 'AWAITING_DISBURSEMENT') told.push(await this.disburseOne(applicationId, command.disbursement, 0, command.sagaFault));
    return told.join('; ');
  }

  /**
   * A request delivered for the first time with the fault: a crash after the commit is answered by
   * nothing, so the client sends it again and must hear a replay; a lost race is the same request
   * sent twice at once, of which one writes and the other replays it.
   */
  private async firstDelivery(sent: SentRequest, write: Parameters<typeof runIdempotent>[2], fault: Fault, label: string): Promise<StoredResponse> {
    if (fault === 'CONFLICT') {
      const both = await Promise.all([this.send(sent, write), this.send(sent, write)]);
      if (both.filter((a) => !a.replayed).length !== 1) this.ctx.violations.push(`${label} sent twice at once: ${both.filter((a) => !a.replayed).length} answers not replayed`);
      return both.find((a) => !a.replayed) ?? both[0]!;
    }
    this.world.faults.arm(fault, ['APPLICATION']);
    try {
      return await this.send(sent, write);
    } catch (error) {
      if (!(error instanceof SimCrash)) throw error;
      const committed = this.writes();
      const again = await this.send(sent, write);
      if (!again.replayed) this.ctx.violations.push(`${label} committed before the crash, its retry was not answered as a replay`);
      if (this.writes() !== committed) this.ctx.violations.push(`${label}: its retry after the crash wrote again`);
      return { ...again, replayed: true };
    } finally {
      this.world.faults.disarm();
    }
  }

  /** ChooseCandidates of a round (run again at once: the same asks, nothing written). */
  private async choose(applicationId: string, round: number): Promise<string> {
    const deps = this.world.reviewDeps;
    const chosen = await chooseRound(deps, applicationId, round);
    const before = this.writes();
    const again = await chooseRound(deps, applicationId, round);
    if (this.writes() !== before) this.ctx.violations.push(`ChooseCandidates#${round} of ${applicationId} run again wrote`);
    if (JSON.stringify(again) !== JSON.stringify(chosen)) this.ctx.violations.push(`ChooseCandidates#${round} of ${applicationId} run again answered otherwise`);
    this.ctx.again(`ChooseCandidates#${round} of ${applicationId}`, async () => {
      const w = this.writes();
      const later = await chooseRound(deps, applicationId, round);
      if (this.writes() !== w) this.ctx.violations.push(`ChooseCandidates#${round} of ${applicationId} run again later wrote`);
      if (JSON.stringify(later.asks) !== JSON.stringify(chosen.asks)) this.ctx.violations.push(`ChooseCandidates#${round} of ${applicationId} run again later asked others`);
    });
    if (chosen.outcome === 'REJECT') return `round ${round} REJECTED`;
    return `round ${round} asks ${chosen.asks.map((a) => a.lenderId).join(', ')}`;
  }

  // Decisions ---------------------------------------------------------------------------------------

  /** Applications in review with an open ask, oldest first. */
  private async inReview(): Promise<{ applicationId: string; pending: Ask[] }[]> {
    const open: { applicationId: string; pending: Ask[] }[] = [];
    for (const applicationId of this.applicationIds) {
      if ((await this.status(applicationId)) !== 'IN_REVIEW') continue;
      const pending = (await this.world.stores.applications.asks(applicationId)).filter((a) => a.state === 'PENDING');
      if (pending.length > 0) open.push({ applicationId, pending });
    }
    return open;
  }

  async decideOne(command: Extract<SimCommand, { type: 'DECIDE' }>): Promise<string> {
    const fired = await this.fireTimers();
    const open = await this.inReview();
    if (open.length === 0) return `${fired}no ask open`;
    const { applicationId, pending } = open[command.application % open.length]!;
    // A crash goes to the first decision's write when it is one; otherwise the fault goes on to the quota's writes.
    const decides = command.answers[0]!.kind !== 'TIMEOUT' && command.answers[0]!.kind !== 'LATE';
    const decisionFault = command.fault === 'CRASH' && decides ? 'CRASH' : 'NONE';
    return `${fired}${await this.answerAsks(applicationId, pending, { partner: command.partner, answers: command.answers, decisionFault, quotaFault: decisionFault === 'NONE' ? command.fault : 'NONE' })}`;
  }

  /** Answers open asks of the application, from the one named by `partner` on; Allocate once the round is over. */
  private async answerAsks(applicationId: string, pending: readonly Ask[], how: { partner: number; answers: readonly Answer[]; decisionFault: Fault; quotaFault: Fault }): Promise<string> {
    const told: string[] = [];
    const answered = new Set<string>();
    for (const [i, answer] of how.answers.entries()) {
      if (i >= pending.length) break;
      const ask = pending[(how.partner + i) % pending.length]!;
      const outcome = await this.answer(applicationId, ask, answer, i === 0 ? how.decisionFault : 'NONE');
      told.push(outcome);
      if (outcome.startsWith('REFUSED')) continue;
      answered.add(ask.lenderId);
      if (i === how.answers.length - 1 || i === pending.length - 1) told.push(await this.afterAnswer(applicationId, ask.round, how.quotaFault));
    }
    return answered.size === 0 ? told.join('; ') : `${applicationId}: ${told.join('; ')}`;
  }

  /** One partner's answer to its ask, or its ask timing out. */
  private async answer(applicationId: string, ask: Ask, answer: Answer, fault: Fault): Promise<string> {
    const label = `decision of ${ask.lenderId} on ${applicationId}`;
    if (answer.kind === 'TIMEOUT' || answer.kind === 'LATE') {
      await recordTimeout(this.world.reviewDeps, applicationId, ask.lenderId, ask.round);
      if (answer.kind === 'LATE') {
        const before = this.writes();
        try {
          await this.decision(applicationId, ask, { decision: 'APPROVE', approvedAmountMinor: ask.askedAmountMinor, conditions: [], reasonCodes: [], comment: null });
          this.ctx.violations.push(`${label} after its ask timed out was accepted`);
        } catch (error) {
          if (!(error instanceof DomainError) || error.code !== 'REVIEW_CLOSED') throw error;
        }
        if (this.writes() !== before) this.ctx.violations.push(`${label} after its ask timed out wrote`);
      }
      return `TIMED OUT ${ask.lenderId}`;
    }
    const span = ask.askedAmountMinor - ask.minimumAmountMinor;
    const approved = answer.kind === 'APPROVE' ? ask.askedAmountMinor : answer.kind === 'APPROVE_MIN' ? ask.minimumAmountMinor : ask.minimumAmountMinor + (span * BigInt(answer.permille)) / 1_000n;
    const input: DecisionRequest =
      answer.kind === 'DECLINE'
        ? { decision: 'DECLINE', approvedAmountMinor: null, conditions: [], reasonCodes: ['INCOME_INSUFFICIENT'], comment: null }
        : { decision: 'APPROVE', approvedAmountMinor: approved > 0n ? approved : ask.askedAmountMinor, conditions: [], reasonCodes: [], comment: null };
    const before = this.writes();
    let crashed: boolean;
    try {
      crashed = await this.decision(applicationId, ask, input, fault);
    } catch (error) {
      if (!(error instanceof DomainError) || error instanceof InvariantViolation) throw error;
      if (this.writes() !== before) this.ctx.violations.push(`${label} was refused (${error.code}) but wrote`);
      return `REFUSED ${error.code}`;
    }
    if (this.writes() - before !== 1) this.ctx.violations.push(`${label} accepted with ${this.writes() - before} writes`);
    const verb = input.decision === 'APPROVE' ? `APPROVED ${input.approvedAmountMinor}` : 'DECLINED';
    return `${crashed ? 'CRASHED, then ' : ''}${verb} by ${ask.lenderId}`;
  }

  /** A partner's decision through its route, then handed to the review; answers whether it crashed after its commit. */
  private async decision(applicationId: string, ask: Ask, input: DecisionRequest, fault: Fault = 'NONE'): Promise<boolean> {
    const principal: Principal = { roles: ['PARTNER'], clientId: `${ask.lenderId}-client`, userId: `${ask.lenderId}-client`, lenderId: ask.lenderId };
    const sent: SentRequest = { operation: 'decide', clientId: principal.clientId, key: `decide-${applicationId}-${ask.lenderId}-${ask.round}`, body: jsonOf(input) };
    let stored: StoredDecision | undefined;
    const write = async (seal: Parameters<Parameters<typeof runIdempotent>[2]>[0]) => {
      stored = await decide(this.world.applicationDeps, principal, applicationId, input, seal, this.world.stores.clock.now());
    };
    const answer = await this.firstDelivery(sent, write, fault === 'CRASH' ? 'CRASH' : 'NONE', `decision of ${ask.lenderId} on ${applicationId}`);
    await resumeReview(this.world.applicationDeps, applicationId, ask.lenderId, stored);
    this.ctx.again(`decision of ${ask.lenderId} on ${applicationId}`, () => this.resend(sent, write, `decision of ${ask.lenderId} on ${applicationId}`));
    return answer.replayed;
  }

  /** Once every ask of the round is over, Allocate runs; a plan goes on to the saga, more partners to the next round. */
  private async afterAnswer(applicationId: string, round: number, fault: Fault): Promise<string> {
    const asks = (await this.world.stores.applications.asks(applicationId)).filter((a) => a.round === round);
    if (asks.some((a) => a.state === 'PENDING')) return 'the round waits';
    const deps = this.world.reviewDeps;
    const allocated = await allocateRound(deps, applicationId, round);
    const before = this.writes();
    const again = await allocateRound(deps, applicationId, round);
    if (this.writes() !== before || again.outcome !== allocated.outcome) this.ctx.violations.push(`Allocate#${round} of ${applicationId} run again answered ${again.outcome} (first ${allocated.outcome}) with ${this.writes() - before} writes`);
    this.ctx.again(`Allocate#${round} of ${applicationId}`, () => this.allocateAgain(applicationId, round));
    if (allocated.outcome === 'NEED_MORE') return `more partners needed: ${await this.choose(applicationId, allocated.round)}`;
    if (allocated.outcome === 'REJECT') return 'REJECTED';
    return `PLANNED; ${await this.reserveQuota(applicationId, fault)}`;
  }

  /**
   * Allocate run again later (Step Functions retries a step whose answer was lost, after others
   * acted): it writes nothing and answers what it recorded, or the workflow would take another
   * path than the application says it took.
   */
  private async allocateAgain(applicationId: string, round: number): Promise<void> {
    const record = (await this.world.stores.applications.get(applicationId))!;
    const recorded = record.timeline.find((e) => e.step === `Allocate#${round}`);
    const before = this.writes();
    const again = await allocateRound(this.world.reviewDeps, applicationId, round);
    if (this.writes() !== before) this.ctx.violations.push(`Allocate#${round} of ${applicationId} run again later wrote`);
    if (recorded !== undefined && ALLOCATED[recorded.event] !== again.outcome) {
      this.ctx.violations.push(`Allocate#${round} of ${applicationId} run again later answered ${again.outcome}, but the application recorded ${recorded.event} (now ${record.status})`);
    }
  }

  // The saga ----------------------------------------------------------------------------------------

  /** ReserveQuota with the fault in its quota writes, then AwaitDisbursement; a lender short of quota sends the saga to Release. */
  private async reserveQuota(applicationId: string, fault: Fault): Promise<string> {
    const deps = this.world.disbursementDeps;
    this.world.faults.arm(fault, ['QUOTA']);
    let crashed = false;
    try {
      try {
        await (fault === 'CONFLICT' ? withoutBackoff(() => reserve(deps, applicationId)) : reserve(deps, applicationId));
      } catch (error) {
        if (!(error instanceof SimCrash)) throw error;
        crashed = true;
        this.world.faults.disarm();
        await reserve(deps, applicationId);
      }
    } catch (error) {
      this.world.faults.disarm();
      if (!(error instanceof QuotaUnavailable)) throw error;
      return `quota short, ${await this.release(applicationId, 'QuotaUnavailable', 'NONE')}`;
    } finally {
      this.world.faults.disarm();
    }
    const before = this.writes();
    await reserve(deps, applicationId);
    if (this.writes() !== before) this.ctx.violations.push(`ReserveQuota of ${applicationId} run again wrote`);
    this.ctx.again(`ReserveQuota of ${applicationId}`, async () => {
      const w = this.writes();
      try {
        await reserve(deps, applicationId);
      } catch (error) {
        if (!(error instanceof QuotaUnavailable)) throw error;
        this.ctx.violations.push(`ReserveQuota of ${applicationId} run again later found the quota short of its own reservation`);
      }
      if (this.writes() !== w) this.ctx.violations.push(`ReserveQuota of ${applicationId} run again later wrote`);
    });
    await awaitDisbursement(deps, applicationId, `TOKEN-DISBURSEMENT-${applicationId}`);
    this.awaitingSince.set(applicationId, this.world.stores.clock.now());
    return `${crashed ? 'CRASHED, then ' : ''}RESERVED, awaiting the disbursement`;
  }

  /** Release with the fault in its quota writes; a crash after a release commits runs the step again. */
  private async release(applicationId: string, cause: string, fault: Fault): Promise<string> {
    const deps = this.world.disbursementDeps;
    this.world.faults.arm(fault, ['QUOTA']);
    let result;
    let crashed = false;
    try {
      result = await (fault === 'CONFLICT' ? withoutBackoff(() => release(deps, applicationId, cause)) : release(deps, applicationId, cause));
    } catch (error) {
      this.world.faults.disarm();
      if (!(error instanceof SimCrash)) throw error;
      crashed = true;
      result = await release(deps, applicationId, cause);
    } finally {
      this.world.faults.disarm();
    }
    this.awaitingSince.delete(applicationId);
    const before = this.writes();
    const again = await release(deps, applicationId, cause);
    if (this.writes() !== before || again.status !== result.status) this.ctx.violations.push(`Release of ${applicationId} run again answered ${again.status} (first ${result.status}) with ${this.writes() - before} writes`);
    this.ctx.again(`Release of ${applicationId}`, async () => {
      const w = this.writes();
      await release(deps, applicationId, cause);
      if (this.writes() !== w) this.ctx.violations.push(`Release of ${applicationId} run again later wrote`);
    });
    return `${crashed ? 'CRASHED, then ' : ''}RELEASED: ${result.status}`;
  }

  async disburse(command: Extract<SimCommand, { type: 'DISBURSE' }>): Promise<string> {
    const fired = await this.fireTimers();
    const waiting: string[] = [];
    for (const applicationId of this.applicationIds) if ((await this.status(applicationId)) === 'AWAITING_DISBURSEMENT') waiting.push(applicationId);
    if (waiting.length === 0) return `${fired}nothing awaits its disbursement`;
    return `${fired}${await this.disburseOne(waiting[command.application % waiting.length]!, command.outcome, command.daysAgo, command.fault)}`;
  }

  /** The lead's report on one application awaiting its disbursement (or its wait expiring), and the saga's step after it. */
  private async disburseOne(applicationId: string, outcome: Extract<SimCommand, { type: 'DISBURSE' }>['outcome'], daysAgo: number, fault: Fault): Promise<string> {
    if (outcome === 'EXPIRED') return this.release(applicationId, CAUSES.EXPIRED, fault);
    const input: DisbursementRequest =
      outcome === 'DISBURSED'
        ? { outcome: 'DISBURSED', disbursementReference: `DISB-${applicationId}`, disbursementDate: addDays(this.world.today, -daysAgo) }
        : { outcome, reason: 'Reported by the lead' };
    const sent: SentRequest = { operation: 'reportDisbursement', clientId: 'lead-ops-client', key: `disburse-${applicationId}`, body: jsonOf(input) };
    const write = (seal: Parameters<Parameters<typeof runIdempotent>[2]>[0]) => reportDisbursement(this.world.applicationDeps, applicationId, input, seal, this.world.stores.clock.now());
    const before = this.writes();
    try {
      await this.send(sent, write);
    } catch (error) {
      if (!(error instanceof DomainError) || error instanceof InvariantViolation) throw error;
      if (this.writes() !== before) this.ctx.violations.push(`disbursement of ${applicationId} was refused (${error.code}) but wrote`);
      return `REFUSED ${error.code}`;
    }
    this.ctx.again(`disbursement report of ${applicationId}`, () => this.resend(sent, write, `disbursement report of ${applicationId}`));
    if (input.outcome !== 'DISBURSED') return `${input.outcome}, ${await this.release(applicationId, CAUSES[input.outcome], fault)}`;
    return this.bookLoan(applicationId, input.disbursementReference, input.disbursementDate, fault);
  }

  /** BookLoan with the fault in its booking: a lost race decides again, a crash after the commit runs the step again. */
  private async bookLoan(applicationId: string, disbursementReference: string, disbursementDate: string, fault: Fault): Promise<string> {
    const deps = this.world.bookFromApplicationDeps;
    const input = { applicationId, disbursementReference, disbursementDate };
    const before = this.writes();
    this.world.faults.arm(fault, ['BOOKING']);
    let crashed = false;
    let booked;
    try {
      try {
        booked = await (fault === 'CONFLICT' ? withoutBackoff(() => bookFromApplication(deps, input)) : bookFromApplication(deps, input));
      } catch (error) {
        if (!(error instanceof SimCrash)) throw error;
        this.world.faults.disarm();
        crashed = true;
        booked = await bookFromApplication(deps, input);
      }
    } catch (error) {
      this.world.faults.disarm();
      if (!(error instanceof BookingRefused)) throw error;
      if (this.writes() !== before) this.ctx.violations.push(`BookLoan of ${applicationId} was refused (${error.message}) but wrote`);
      return `booking refused (${error.message}), ${await this.release(applicationId, 'BookingRefused', 'NONE')}`;
    } finally {
      this.world.faults.disarm();
    }
    if (this.writes() - before !== 1) this.ctx.violations.push(`BookLoan of ${applicationId} booked with ${this.writes() - before} writes`);
    this.awaitingSince.delete(applicationId);
    const loan = (await this.world.stores.loans.get(booked.loanId))!;
    this.ctx.booked(loan.loanId, loan.principalMinor);
    const again = async (when: string) => {
      const w = this.writes();
      const result = await bookFromApplication(deps, input);
      if (this.writes() !== w || result.loanId !== booked.loanId) this.ctx.violations.push(`BookLoan of ${applicationId} run again ${when} booked ${result.loanId} with ${this.writes() - w} writes`);
    };
    await again('at once');
    this.ctx.again(`BookLoan of ${applicationId}`, () => again('later'));
    return `${crashed ? 'CRASHED, then ' : ''}BOOKED ${loan.loanId} of ${loan.principalMinor}`;
  }

  // Timers ------------------------------------------------------------------------------------------

  /** The asks past their deadline time out, and a wait for a disbursement past its timeout expires, as the workflows' timers do. */
  private async fireTimers(): Promise<string> {
    const now = this.world.stores.clock.now();
    const fired: string[] = [];
    for (const { applicationId, pending } of await this.inReview()) {
      const late = pending.filter((a) => Date.parse(a.deadline) <= Date.parse(now));
      for (const ask of late) await recordTimeout(this.world.reviewDeps, ask.applicationId, ask.lenderId, ask.round);
      if (late.length > 0) fired.push(`${applicationId} ${late.map((a) => a.lenderId).join(', ')} timed out: ${await this.afterAnswer(applicationId, late[0]!.round, 'NONE')}`);
    }
    for (const [applicationId, since] of [...this.awaitingSince]) {
      if (Date.parse(now) - Date.parse(since) < DISBURSEMENT_TIMEOUT_MS) continue;
      fired.push(`${applicationId} ${await this.release(applicationId, CAUSES.EXPIRED, 'NONE')}`);
    }
    return fired.length === 0 ? '' : `(${fired.join('; ')}) `;
  }
}
