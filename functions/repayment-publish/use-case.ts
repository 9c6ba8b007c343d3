import type { LoanEventView, RepaymentView } from '../../shared/contracts/repayments.ts';
import type { Loan } from '../../shared/domain/loan.ts';
import type { BookedItem } from '../../shared/domain/repayment-booking.ts';
import { toJson } from '../../shared/json.ts';
import { eventViewOf, viewOf } from '../../shared/use-cases/loan-changes.ts';

/**
 * The business events of what was committed to a loan's book, read from the ledger table's
 * stream: a payment or event item written for the first time is booked; a payment, compensation
 * or write-off item that gains its reversal is reversed; an item whose generation grew was rebooked. An item rewritten only
 * because its state after it moved says nothing new. A change that rolled back wrote nothing, so
 * it has no event; a committed one always has its record on the stream. docs/adr/0004.
 */

export const LOAN_LEDGER_EVENTS = {
  booked: 'colend.repayment.booked',
  reversed: 'colend.repayment.reversed',
  rebooked: 'colend.repayment.rebooked',
  COMPENSATION: 'colend.loan.compensated',
  WRITE_OFF: 'colend.loan.written-off',
  TRANSFER: 'colend.loan.share-transferred',
  BUYBACK: 'colend.loan.bought-back',
  FEE: 'colend.loan.fee-billed',
  restated: 'colend.loan.event-restated',
  lossReversed: 'colend.loan.loss-reversed',
} as const;

/** One item of a loan's book as the stream shows its change. */
export interface CommittedChange {
  readonly loanId: string;
  /** The stream record's position: a consumer that failed resumes from it. */
  readonly sequenceNumber: string;
  readonly before: BookedItem | null;
  readonly after: BookedItem | null;
}

/** An event for the bus; `id` is the entry that booked it, so a consumer keeps the first of each id. */
export interface BusEvent {
  readonly id: string;
  readonly detailType: string;
  readonly detail: string;
}

export interface PublishDeps {
  readonly loan: (loanId: string) => Promise<Loan | null>;
  /** Puts the events in order; answers how many were accepted before the first refused one. */
  readonly publish: (events: readonly BusEvent[]) => Promise<number>;
}

/** The events one committed change means, in order. */
export function eventsOf(loan: Loan, change: CommittedChange): BusEvent[] {
  const { before, after } = change;
  if (after === null) return [];
  const event = (id: string, detailType: string, body: { repayment: RepaymentView } | { event: LoanEventView }): BusEvent => ({
    id,
    detailType,
    detail: toJson({ id, type: detailType, loanId: loan.loanId, ...body }),
  });
  if (after.kind === 'REPAYMENT') {
    const view = viewOf(loan, after.booked, []);
    const was = before?.kind === 'REPAYMENT' ? before.booked : null;
    const events: BusEvent[] = [];
    if (was === null) events.push(event(`REPAYMENT#${after.booked.repaymentId}`, LOAN_LEDGER_EVENTS.booked, { repayment: view }));
    if (was !== null && after.booked.generation > was.generation) events.push(event(after.booked.entryId, LOAN_LEDGER_EVENTS.rebooked, { repayment: view }));
    if (after.booked.reversal !== null && (was === null || was.reversal === null)) events.push(event(after.booked.reversal.entryId, LOAN_LEDGER_EVENTS.reversed, { repayment: view }));
    return events;
  }
  const view = eventViewOf(loan, after.booked, []);
  const was = before?.kind === 'EVENT' ? before.booked : null;
  if (was === null) return [event(`${after.booked.type}#${after.booked.eventId}`, LOAN_LEDGER_EVENTS[after.booked.type], { event: view })];
  if (after.booked.generation > was.generation) return [event(after.booked.entryId, LOAN_LEDGER_EVENTS.restated, { event: view })];
  const reversal = after.booked.reversal;
  if (reversal !== undefined && reversal !== null && (was.reversal === undefined || was.reversal === null)) return [event(reversal.entryId, LOAN_LEDGER_EVENTS.lossReversed, { event: view })];
  return [];
}

/**
 * Publishes the changes of one stream batch in order. Answers the sequence number of the first
 * change not fully published (the stream hands it and what follows again), or null when all were.
 */
export async function publishCommitted(deps: PublishDeps, changes: readonly CommittedChange[]): Promise<string | null> {
  for (const change of changes) {
    const loan = await deps.loan(change.loanId);
    if (loan === null) throw new Error(`the book of loan ${change.loanId} changed, but the loan cannot be read`);
    const events = eventsOf(loan, change);
    if (events.length === 0) continue;
    const accepted = await deps.publish(events);
    if (accepted < events.length) return change.sequenceNumber;
  }
  return null;
}
