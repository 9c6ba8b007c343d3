import { RuleViolation } from '../domain/errors.ts';
import { borrowerPeriodFee, periodFeeByPayer, periodFeeEntry, periodFeeEventId, periodRange, periodRules, principalDays, type FeePeriodRange } from '../domain/fees.ts';
import type { FeeRule } from '../domain/fee-rules.ts';
import type { JournalEntry } from '../domain/ledger.ts';
import type { Loan } from '../domain/loan.ts';
import { HEAD_ONLY, decideLoanEvent, endOf, type LoanEventRequest } from '../domain/repayment-booking.ts';
import { scheduleRemainderRule } from '../domain/schedule.ts';
import { WriteConflict, type Clock, type LedgerStore, type RepaymentStore } from '../ports/stores.ts';
import { commitLedgerChange } from './ledger-writer.ts';

/**
 * The period fees of one loan for one period (docs/fees.md): each period rule of the loan's
 * program billed once. A fee the lenders pay out of their interest is the entry
 * `FEE#{ruleId}#{period}#{loanId}` written through the ledger writer, so the loan's positions move
 * with it; a period already billed finds its entry taken and books nothing again. A fee the
 * borrower pays is the event `FEE` `{ruleId}#{period}#{loanId}` of the loan's account, dated the
 * period's last day: owed from then on and due in the FEES slot of the next payments; a period
 * already billed finds its event and books nothing again.
 */

export interface PeriodFeeDeps {
  readonly loan: (loanId: string) => Promise<Loan | null>;
  readonly repayments: RepaymentStore;
  readonly ledger: Pick<LedgerStore, 'loanLedger'>;
  readonly clock: Clock;
}

export interface PeriodFeeResult {
  readonly loanId: string;
  readonly period: string;
  /** Entry ids (lenders' fees) and `FEE#` event ids (the borrower's) booked now. */
  readonly booked: readonly string[];
  /** The same, found booked before. */
  readonly replayed: readonly string[];
}

export async function bookPeriodFees(deps: PeriodFeeDeps, loanId: string, period: string): Promise<PeriodFeeResult> {
  const range = periodRange(period);
  const loan = await deps.loan(loanId);
  if (loan === null) throw new RuleViolation('LOAN_NOT_FOUND', `loan ${loanId} does not exist`, { path: 'loanId', loanId });
  const rules = periodRules(loan.terms, range.kind);
  const booked: string[] = [];
  const replayed: string[] = [];
  if (rules.length === 0) return { loanId, period, booked, replayed };
  const { entries } = await deps.ledger.loanLedger(loanId);
  const taken = new Set(entries.map((e) => e.entryId));
  const days = principalDays(entries, range, loan.terms.dayCount);
  for (const rule of rules) {
    if (rule.payer.kind === 'BORROWER') {
      const amountMinor = borrowerPeriodFee(loan.terms, rule, days);
      if (amountMinor === 0n) continue;
      const outcome = await billBorrower(deps, loan, rule, range, amountMinor);
      (outcome.booked ? booked : replayed).push(outcome.id);
      continue;
    }
    const entry = periodFeeEntry(loan, rule, range, periodFeeByPayer(loan.terms, rule, days, scheduleRemainderRule(loan.terms)), deps.clock.now());
    if (entry === null) continue;
    if (taken.has(entry.entryId)) {
      replayed.push(entry.entryId);
      continue;
    }
    if (await bookLenderFee(deps, loan, entry)) booked.push(entry.entryId);
    else replayed.push(entry.entryId);
  }
  return { loanId, period, booked, replayed };
}

/** A lenders' period fee: its entry through the ledger writer; false when another run booked it first. */
async function bookLenderFee(deps: PeriodFeeDeps, loan: Loan, entry: JournalEntry): Promise<boolean> {
  try {
    await commitLedgerChange(deps, loan, HEAD_ONLY, (ledger, _today, now) => ({
      ledger: { ...ledger, version: ledger.version + 1 },
      items: [],
      entries: [{ ...entry, createdAt: now }],
      rebooked: 0,
      record: null,
      result: entry.entryId,
    }));
    return true;
  } catch (error) {
    // Booked by another run between the read and the write.
    if (!(error instanceof WriteConflict && error.entity === 'entry')) throw error;
    return false;
  }
}

/**
 * A borrower's period fee billed to the loan's account, as one change of its book (the head, the
 * event and its reference; payments after the period's end that the bill changes are rebooked):
 * false when the rule's period was billed before, whatever it would come to now.
 */
async function billBorrower(deps: PeriodFeeDeps, loan: Loan, rule: FeeRule, range: FeePeriodRange, amountMinor: bigint): Promise<{ id: string; booked: boolean }> {
  const eventId = periodFeeEventId(rule.id, range.period, loan.loanId);
  const id = `FEE#${eventId}`;
  const request: LoanEventRequest = {
    type: 'FEE',
    eventId,
    valueDate: range.to,
    reason: `period fee ${rule.id} of ${range.period}`,
    transfer: null,
    leadFirstLossCapMinor: null,
    fee: { ruleId: rule.id, period: range.period, amountMinor },
  };
  const booked = await commitLedgerChange<boolean>(deps, loan, endOf(range.to), async (ledger, today, now) => {
    if ((await deps.repayments.loanEvent(loan.loanId, 'FEE', eventId)) !== null) return { done: false };
    const decision = decideLoanEvent(loan, ledger, request, today, now);
    if (decision.kind === 'REPLAY') return { done: false };
    return { ledger: decision.ledger, items: decision.writes, entries: decision.entries, rebooked: decision.rebooked.length, record: null, result: true };
  });
  return { id, booked };
}
