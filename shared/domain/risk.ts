import { classifyAt } from './delinquency.ts';
import { RuleViolation } from './errors.ts';
import type { JournalEntry } from './ledger.ts';
import { LoanAccount, type AccountSummary } from './loan-account.ts';
import type { Loan } from './loan.ts';
import { compareIsoDates } from './money/index.ts';
import { REGULATORY_PROFILES } from './regulatory-profile.ts';
import { decideLoanEvent, type BookedItem, type LoanRisk, type RepaymentLedger } from './repayment-booking.ts';

/**
 * The daily risk update of one loan at a business date: days past due, the five-category class
 * (one class for the loan, so the same for every lender; `classifyAt`), guarantee
 * compensation at the program's trigger, and write-off at the program's write-off DPD. Pure: the
 * caller writes the new ledger and the entries in one transaction. docs/risk-update.md.
 */

/** What a capped program pool may still take: no cap, up to what is left, or not measured yet. */
export type Room = { readonly kind: 'UNCAPPED' } | { readonly kind: 'CAPPED'; readonly remainingMinor: bigint } | { readonly kind: 'UNKNOWN' };

export interface RiskRooms {
  /** The default-loss guarantee under a profile that caps it. */
  readonly guarantee: Room;
  /** The lead's first losses under LEAD_FIRST_LOSS. */
  readonly firstLoss: Room;
}

const UNCAPPED: RiskRooms = { guarantee: { kind: 'UNCAPPED' }, firstLoss: { kind: 'UNCAPPED' } };

export interface RiskAssessment {
  /** The ledger to write, or null when the loan was already assessed for this date (or is settled). */
  readonly ledger: RepaymentLedger | null;
  readonly entries: readonly JournalEntry[];
  /** The items of the book written with it (a compensation, a write-off, what they restated). */
  readonly writes: readonly BookedItem[];
  readonly risk: LoanRisk | null;
  readonly status: string;
  /** The loan had a class and this assessment gave it another. */
  readonly reclassified: boolean;
  readonly compensated: boolean;
  readonly writtenOff: boolean;
  /** Why an action the program calls for was not taken (e.g. the guarantee cap is reached). */
  readonly held: string | null;
  /** What the guarantor pays by this assessment's compensation (0 without one). */
  readonly guaranteePaidMinor: bigint;
  /** The lead's first loss taken by this assessment's write-off (0 without one). */
  readonly leadFirstLossMinor: bigint;
  /** The lenders' principal outstanding after the assessment (0 once compensated or written off). */
  readonly outstandingMinor: bigint;
}

/**
 * `today` is the loan's calendar date when the run assesses it: a business date after it is
 * refused (nothing has happened on it yet), and an assessment held for a date after it, left by a
 * run of a date that had not come, is no fact: the class is derived again from the loan's facts
 * as of the business date, as if that assessment had never been made.
 */
export function assessLoan(loan: Loan, ledger: RepaymentLedger, businessDate: string, today: string, now: string, rooms: RiskRooms = UNCAPPED, runId: string | null = null): RiskAssessment {
  if (businessDate > today) {
    throw new RuleViolation('DATE_OUT_OF_WINDOW', `businessDate ${businessDate} is after today, ${today}: a date is assessed once it has come`, {
      path: 'businessDate',
      field: 'businessDate',
      to: today,
    });
  }
  const { guarantee, firstLoss } = rooms;
  const before = heldAssessment(ledger.risk ?? null, today);
  const account = ledger.state === null ? new LoanAccount(loan) : LoanAccount.restore(loan, ledger.state);
  const summary = account.summary(businessDate);
  if (before !== null && before.asOf >= businessDate) {
    // Assessed for this date already: by this run (retried after it committed the loan), what it did; by another, nothing of this run's.
    const done = runId !== null && before.asOf === businessDate && before.outcome?.runId === runId ? before.outcome : undefined;
    return {
      ledger: null,
      entries: [],
      writes: [],
      risk: before,
      status: summary.status,
      reclassified: done?.reclassified ?? false,
      compensated: done?.compensated ?? false,
      writtenOff: done?.writtenOff ?? false,
      held: done?.held ?? null,
      guaranteePaidMinor: 0n,
      leadFirstLossMinor: 0n,
      outstandingMinor: summary.outstandingPrincipalMinor,
    };
  }
  const dpd = account.daysPastDue(businessDate);
  const profile = REGULATORY_PROFILES[loan.terms.regulatoryProfile];
  const risk: LoanRisk =
    summary.status === 'PAID_OFF' && before !== null
      ? { ...before, asOf: businessDate, dpd }
      : { asOf: businessDate, dpd, ...classifyAt({ asOf: businessDate, dpd, arrearsMinor: arrearsOf(summary, businessDate), previous: before }, profile) };
  let next: RepaymentLedger = ledger;
  const entries: JournalEntry[] = [];
  const writes: BookedItem[] = [];
  let compensated = false;
  let writtenOff = false;
  let held: string | null = null;
  let guaranteePaidMinor = 0n;
  let leadFirstLossMinor = 0n;
  const { guaranteeTriggerDpd, writeOffDpd } = loan.terms.lossSharing;
  const standing = account.standing;
  const open = summary.status === 'ACTIVE';
  if (open && loan.terms.fees.guarantorLenderId !== null && guaranteeTriggerDpd !== null && dpd >= guaranteeTriggerDpd && !standing.compensated) {
    const decision = decideLoanEvent(
      loan,
      next,
      { type: 'COMPENSATION', eventId: `RISK-${businessDate}`, valueDate: businessDate, reason: `${dpd} days past due, trigger ${guaranteeTriggerDpd}`, transfer: null, leadFirstLossCapMinor: null },
      today,
      now,
    );
    if (decision.kind === 'BOOK') {
      const paidMinor = decision.booked.legs.filter((leg) => leg.account === 'GUARANTEE_RECEIVABLE' && leg.side === 'DEBIT').reduce((sum, leg) => sum + leg.amountMinor, 0n);
      if (guarantee.kind === 'UNKNOWN') held = 'GUARANTEE_CAP_UNKNOWN';
      else if (guarantee.kind === 'CAPPED' && paidMinor > guarantee.remainingMinor) held = 'GUARANTEE_CAP_REACHED';
      else {
        next = decision.ledger;
        entries.push(...decision.entries);
        writes.push(...decision.writes);
        compensated = true;
        guaranteePaidMinor = paidMinor;
      }
    }
  }
  const writeOffDue = (open || summary.status === 'COMPENSATED') && writeOffDpd !== null && writeOffDpd !== undefined && dpd >= writeOffDpd && !standing.writtenOff;
  // The guarantor's loss on a compensated loan takes nothing from the lead's first-loss cap.
  const lendersLose = !compensated && summary.status !== 'COMPENSATED';
  if (writeOffDue && lendersLose && firstLoss.kind === 'UNKNOWN') held = 'FIRST_LOSS_BASE_UNKNOWN';
  else if (writeOffDue) {
    const decision = decideLoanEvent(
      loan,
      next,
      {
        type: 'WRITE_OFF',
        eventId: `RISK-${businessDate}`,
        valueDate: businessDate,
        reason: `${dpd} days past due, write-off at ${writeOffDpd}`,
        transfer: null,
        leadFirstLossCapMinor: firstLoss.kind === 'CAPPED' && lendersLose ? firstLoss.remainingMinor : null,
      },
      today,
      now,
    );
    if (decision.kind === 'BOOK') {
      next = decision.ledger;
      entries.push(...decision.entries);
      writes.push(...decision.writes);
      writtenOff = true;
      leadFirstLossMinor = decision.leadFirstLossMinor;
    }
  }
  const reclassified = ledger.risk !== undefined && ledger.risk.classification !== risk.classification;
  const assessed: LoanRisk = { ...risk, outcome: { runId, reclassified, compensated, writtenOff, held } };
  return {
    ledger: { ...next, version: ledger.version + 1, risk: assessed },
    entries,
    writes: latestOfEach(writes),
    risk: assessed,
    status: writtenOff ? 'WRITTEN_OFF' : compensated ? 'COMPENSATED' : summary.status,
    reclassified,
    compensated,
    writtenOff,
    held,
    guaranteePaidMinor,
    leadFirstLossMinor,
    outstandingMinor: compensated || writtenOff ? 0n : summary.outstandingPrincipalMinor,
  };
}

/** The assessment a loan's class builds on: none when the one held is of a date after today. */
function heldAssessment(risk: LoanRisk | null, today: string): LoanRisk | null {
  return risk !== null && risk.asOf > today ? null : risk;
}

/** The last write of each item: a write-off after a compensation restates what the compensation wrote. */
function latestOfEach(writes: readonly BookedItem[]): BookedItem[] {
  const byItem = new Map<string, BookedItem>();
  for (const write of writes) byItem.set(write.kind === 'REPAYMENT' ? `R#${write.booked.repaymentId}` : `E#${write.booked.type}#${write.booked.eventId}`, write);
  return [...byItem.values()];
}

/** Principal, interest and penalty due before `asOf` and not paid. */
function arrearsOf(summary: AccountSummary, asOf: string): bigint {
  let arrearsMinor = summary.penaltyOutstandingMinor;
  for (const row of summary.instalments) {
    if (compareIsoDates(row.dueDate, asOf) < 0) arrearsMinor += row.principalMinor - row.paidPrincipalMinor + row.interestMinor - row.paidInterestMinor;
  }
  return arrearsMinor;
}
