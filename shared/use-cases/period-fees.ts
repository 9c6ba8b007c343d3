import { RuleViolation } from '../domain/errors.ts';
import { periodFeeByPayer, periodFeeEntry, periodRange, periodRules, principalDays } from '../domain/fees.ts';
import type { Loan } from '../domain/loan.ts';
import { HEAD_ONLY } from '../domain/repayment-booking.ts';
import { scheduleRemainderRule } from '../domain/schedule.ts';
import { WriteConflict, type Clock, type LedgerStore, type RepaymentStore } from '../ports/stores.ts';
import { commitLedgerChange } from './ledger-writer.ts';

/**
 * The period fees of one loan for one period (docs/fees.md): each period rule of the loan's
 * program billed once, as the entry `FEE#{ruleId}#{period}#{loanId}` written through the ledger
 * writer, so the loan's positions move with it. A period already billed finds its entry taken
 * and books nothing again.
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
  /** Entry ids booked now. */
  readonly booked: readonly string[];
  /** Entry ids found booked before. */
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
    const entry = periodFeeEntry(loan, rule, range, periodFeeByPayer(loan.terms, rule, days, scheduleRemainderRule(loan.terms)), deps.clock.now());
    if (entry === null) continue;
    if (taken.has(entry.entryId)) {
      replayed.push(entry.entryId);
      continue;
    }
    try {
      await commitLedgerChange(deps, loan, HEAD_ONLY, (ledger, _today, now) => ({
        ledger: { ...ledger, version: ledger.version + 1 },
        items: [],
        entries: [{ ...entry, createdAt: now }],
        rebooked: 0,
        record: null,
        result: entry.entryId,
      }));
      booked.push(entry.entryId);
    } catch (error) {
      // Booked by another run between the read and the write.
      if (!(error instanceof WriteConflict && error.entity === 'entry')) throw error;
      replayed.push(entry.entryId);
    }
  }
  return { loanId, period, booked, replayed };
}
