import { businessDateClosedAt, cutoffDayAt } from '../domain/business-date.ts';
import { NotFound, RuleViolation, StateConflict, invariant } from '../domain/errors.ts';
import { outstandingPrincipalMinor } from '../domain/ledger.ts';
import type { Loan } from '../domain/loan.ts';
import { latestVersions, type Program } from '../domain/program.ts';
import { NO_MEASURES, addMeasures, measureJointLoans, regulatoryReport, type LoanPrincipals } from '../domain/regulatory-report.ts';
import { WriteConflict, type IdempotencyStore, type KeyReservation, type LenderStore, type RegulatoryReportRun, type RegulatoryReportStore, type Seal, type WorkflowStarter } from '../ports/stores.ts';
import { positionsAtEndOf, type PositionsAtDeps } from './positions-at.ts';
import { figuresInForceOf, type FiguresDeps } from './regulatory-figures.ts';

/**
 * The daily regulatory report (docs/regulatory-report.md): OpenRun → MeasureShard (per loan
 * shard) → RecordReport, FailRun on any failure. Each step may run again with the same effect:
 * a shard's measures and the run are written whole.
 */
export interface RegulatoryReportDeps extends PositionsAtDeps, FiguresDeps {
  readonly regulatoryReports: RegulatoryReportStore;
  readonly lenders: Pick<LenderStore, 'list'>;
  /** A loan by id (cached: a booked loan's terms never change). */
  readonly loan: (loanId: string) => Promise<Loan | null>;
  readonly shardCount: number;
}

/**
 * A date is reported once every program's cut-off of it has passed: until then bookings may
 * still land on it, and its joint loans at the end of the day are not known.
 */
export function assertDateClosed(programs: readonly Program[], businessDate: string, now: string): void {
  for (const program of latestVersions(programs)) {
    if (cutoffDayAt(now, program.settlement) > businessDate) continue;
    throw new RuleViolation('BUSINESS_DATE_OPEN', `${businessDate} is still open for program ${program.programId}: its cut-off is ${program.settlement.cutoffTime} (${program.settlement.calendar})`, {
      path: 'businessDate',
      programId: program.programId,
      cutoffTime: program.settlement.cutoffTime,
    });
  }
}

export interface OpenedReportRun {
  readonly businessDate: string;
  readonly attempt: number;
  readonly skipped: boolean;
  readonly shards: readonly { readonly shard: number }[];
}

/**
 * Opens attempt N of a date's run: the date given with its attempt (on demand), or the date the
 * schedule closes. A scheduled start skips a date done or running; a failed one runs again.
 */
export async function openReportRun(deps: RegulatoryReportDeps, input: { businessDate?: string; scheduledTime?: string; attempt?: number }): Promise<OpenedReportRun> {
  const now = deps.clock.now();
  const businessDate = input.businessDate ?? businessDateClosedAt(input.scheduledTime ?? now);
  assertDateClosed(await deps.programs.list(), businessDate, now);
  const existing = await deps.regulatoryReports.getRun(businessDate);
  if (input.attempt === undefined && existing !== null && existing.status !== 'FAILED') {
    return { businessDate, attempt: existing.attempt, skipped: true, shards: [] };
  }
  const attempt = (existing?.attempt ?? 0) + 1;
  if (input.attempt !== undefined && input.attempt !== attempt) {
    throw new StateConflict('REGULATORY_REPORT_CHANGED', `run ${attempt - 1} of the regulatory report of ${businessDate} changed since attempt ${input.attempt} was started`, { path: 'businessDate', attempt: input.attempt });
  }
  const run: RegulatoryReportRun = { businessDate, status: 'RUNNING', attempt, shardCount: deps.shardCount, startedAt: now, doneAt: null, loans: 0, report: null, failure: null };
  try {
    await deps.regulatoryReports.putRun(run, existing?.attempt ?? 0);
  } catch (error) {
    if (error instanceof WriteConflict) throw new StateConflict('REGULATORY_REPORT_RUNNING', `another run of the regulatory report of ${businessDate} started at the same time`, { path: 'businessDate' });
    throw error;
  }
  return { businessDate, attempt, skipped: false, shards: Array.from({ length: deps.shardCount }, (_, shard) => ({ shard })) };
}

/** The run a step works for: its attempt, still RUNNING (an execution a restart replaced finds another attempt and stops). */
async function runningRun(deps: Pick<RegulatoryReportDeps, 'regulatoryReports'>, businessDate: string, attempt: number): Promise<RegulatoryReportRun> {
  const run = await deps.regulatoryReports.getRun(businessDate);
  if (run === null) throw new NotFound('regulatoryReport', businessDate);
  if (run.status !== 'RUNNING' || run.attempt !== attempt) {
    throw new StateConflict('REGULATORY_REPORT_NOT_RUNNING', `attempt ${attempt} of the regulatory report of ${businessDate} is not running: attempt ${run.attempt} is ${run.status}`, { businessDate, attempt });
  }
  return run;
}

/**
 * `MeasureShard`: each lender's principal at the end of the date in every loan of the shard, the
 * same positions the date's loan master shows, summed by lender, lead and partner. Written whole.
 */
export async function measureShard(deps: RegulatoryReportDeps, businessDate: string, attempt: number, shard: number): Promise<{ shard: number; loans: number }> {
  const run = await runningRun(deps, businessDate, attempt);
  let measures = NO_MEASURES;
  for await (const batch of positionsAtEndOf(deps, businessDate, shard)) {
    const loans: LoanPrincipals[] = [];
    for (const { loanId, positions } of batch) {
      const principals = new Map(positions.map((p): [string, bigint] => [p.lenderId, outstandingPrincipalMinor(p)]).filter(([, amount]) => amount !== 0n));
      if (principals.size === 0) continue;
      const loan = await deps.loan(loanId);
      invariant(loan !== null, 'a loan with a head is booked', { loanId });
      loans.push({ leadLenderId: loan.terms.leadLenderId, profile: loan.terms.regulatoryProfile, currency: loan.currency, principals });
    }
    measures = addMeasures(measures, measureJointLoans(loans));
  }
  await deps.regulatoryReports.putShard({ businessDate, shard, attempt: run.attempt, measures });
  return { shard, loans: measures.loans };
}

/** `RecordReport`: the shards' measures added up, each bank's figures in force on the date, the report stored with the run, DONE. */
export async function recordReport(deps: RegulatoryReportDeps, businessDate: string, attempt: number): Promise<{ businessDate: string; attempt: number; loans: number }> {
  const run = await runningRun(deps, businessDate, attempt);
  const shards = (await deps.regulatoryReports.shards(businessDate)).filter((s) => s.attempt === run.attempt);
  invariant(shards.length === run.shardCount, "every shard of the run is measured before its report", { businessDate, measured: shards.length, shardCount: run.shardCount });
  const measures = shards.reduce((sum, s) => addMeasures(sum, s.measures), NO_MEASURES);
  const [programs, lenders] = await Promise.all([deps.programs.list(), deps.lenders.list()]);
  const figures = await figuresInForceOf(deps, lenders, businessDate);
  const report = regulatoryReport({ businessDate, programs, lenders: new Map(lenders.map((l) => [l.lenderId, l])), figures, measures });
  await deps.regulatoryReports.putRun({ ...run, status: 'DONE', doneAt: deps.clock.now(), loans: measures.loans, report }, run.attempt);
  return { businessDate, attempt: run.attempt, loans: measures.loans };
}

/** `FailRun`: records why the attempt stopped; the date can be run again. Another attempt's run is left as it is. */
export async function failReportRun(deps: Pick<RegulatoryReportDeps, 'regulatoryReports'>, businessDate: string, attempt: number, failure: { code: string; message: string }): Promise<void> {
  const run = await deps.regulatoryReports.getRun(businessDate);
  if (run === null || run.status !== 'RUNNING' || run.attempt !== attempt) return;
  await deps.regulatoryReports.putRun({ ...run, status: 'FAILED', failure }, run.attempt);
}

/** A date's run and, once done, its report. */
export async function reportRun(deps: Pick<RegulatoryReportDeps, 'regulatoryReports'>, businessDate: string): Promise<RegulatoryReportRun> {
  const run = await deps.regulatoryReports.getRun(businessDate);
  if (run === null) throw new NotFound('regulatoryReport', businessDate);
  return run;
}

export interface StartReportDeps {
  readonly regulatoryReports: RegulatoryReportStore;
  readonly programs: Pick<RegulatoryReportDeps['programs'], 'list'>;
  readonly idempotency: IdempotencyStore;
  readonly workflow: WorkflowStarter;
  readonly clock: RegulatoryReportDeps['clock'];
}

/**
 * Starts the report of a date as its next attempt, named `regulatory-report-{date}-{n}`, so two
 * starts of one attempt are one execution. Refused at once with the reason OpenRun would give: a
 * date still open, or a run not finished unless `restart` says it stopped. A date done is
 * reported again (its figures may have been corrected since): the new report replaces it.
 */
export async function startReportRun(deps: StartReportDeps, request: { businessDate: string; restart?: boolean }, seal: Seal, reservation?: KeyReservation): Promise<void> {
  const { businessDate } = request;
  assertDateClosed(await deps.programs.list(), businessDate, deps.clock.now());
  const run = await deps.regulatoryReports.getRun(businessDate);
  if (run?.status === 'RUNNING' && request.restart !== true) {
    throw new StateConflict('REGULATORY_REPORT_RUNNING', `the regulatory report run of ${businessDate} (attempt ${run.attempt}) has not finished; ask again with "restart": true if it stopped`, {
      path: 'businessDate',
      attempt: run.attempt,
    });
  }
  const attempt = (run?.attempt ?? 0) + 1;
  // The request's key is reserved before the run starts, after every refusal: two requests under one key never both start one.
  await reservation?.take();
  const { executionArn } = await deps.workflow.start(`regulatory-report-${businessDate}-${attempt}`, { businessDate, attempt });
  await deps.idempotency.put(seal(202, { businessDate, attempt, executionArn, status: 'STARTED' }));
}
