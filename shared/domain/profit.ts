import type { Account, JournalEntry } from './ledger.ts';
import { ValidationError } from './errors.ts';
import { periodRange } from './fees.ts';
import { fromEpochDay, toEpochDay } from './money/index.ts';

/**
 * A party's profit statement for a period (a month or a quarter), from its legs of the period's
 * journal entries: what it earned (interest, penalty, fees and the lead's spread, guarantee fees,
 * a service partner's share), what it paid (fees out of its interest, the guarantee cost among
 * them), what it lost, and the net. Each figure is credits less debits on the account (debits less
 * credits for what it paid and lost), so a reversal or a rebooking in the period counts against
 * what it restates. docs/fees.md.
 */

export interface LenderProfit {
  readonly currency: string;
  readonly interestIncomeMinor: bigint;
  readonly penaltyIncomeMinor: bigint;
  /** FEE_INCOME: service fees and, for the lead under LENDER_RATE, its spread. */
  readonly feeIncomeMinor: bigint;
  /** FEE_INCOME of a lender that is a program's guarantor on the loan. */
  readonly guaranteeFeesMinor: bigint;
  /** FEE_INCOME of a service partner: its agreed share of income. */
  readonly servicePartnerShareMinor: bigint;
  /** FEE_EXPENSE: fees paid out of its interest to other parties. */
  readonly feesPaidMinor: bigint;
  /** Of the fees paid, those paid to a guarantor (clearing legs naming it, component FEE). */
  readonly guaranteeCostMinor: bigint;
  /** LOSSES: losses absorbed on write-offs, less recoveries. */
  readonly lossesMinor: bigint;
  /** Everything earned less the fees paid and the losses. */
  readonly netMinor: bigint;
  readonly loans: number;
  readonly entries: number;
}

export interface ProfitReport {
  readonly lenderId: string;
  readonly month: string;
  readonly from: string;
  readonly to: string;
  /** One line per currency. */
  readonly byCurrency: readonly LenderProfit[];
}

/** Every day of a period `YYYY-MM` or `YYYY-Qn`, first to last. */
export function periodDays(period: string): { from: string; to: string; days: string[] } {
  const { from, to } = periodRange(period);
  const days: string[] = [];
  for (let d = toEpochDay(from); d <= toEpochDay(to); d++) days.push(fromEpochDay(d));
  return { from, to, days };
}

/** The first and last day of a month `YYYY-MM`. */
export function monthRange(month: string): { from: string; to: string; days: string[] } {
  const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!match) throw new ValidationError(`month must be YYYY-MM, got ${month}`, { path: 'month', rule: 'month' });
  const year = Number(match[1]);
  const monthNumber = Number(match[2]);
  const count = new Date(Date.UTC(year, monthNumber, 0)).getUTCDate();
  const days = Array.from({ length: count }, (_, i) => `${month}-${String(i + 1).padStart(2, '0')}`);
  return { from: days[0]!, to: days[count - 1]!, days };
}

const INCOME: Readonly<Partial<Record<Account, 'interest' | 'penalty' | 'fee'>>> = {
  INTEREST_INCOME: 'interest',
  PENALTY_INCOME: 'penalty',
  FEE_INCOME: 'fee',
};

/** Who the parties are, for the figures that depend on it. */
export interface ProfitParties {
  /** Guarantors: fees paid to them are the payer's guarantee cost. */
  readonly guarantors?: ReadonlySet<string>;
  /** The lender is a service partner: its fee income is its share. */
  readonly servicePartner?: boolean;
}

/**
 * The lender's profit over the entries given (those of the period, a month `YYYY-MM` or a quarter
 * `YYYY-Qn`). `guarantorOf(loanId)` names the guarantor of the loan's program, whose fee income is
 * reported as guarantee fees.
 */
export function lenderProfit(
  lenderId: string,
  month: string,
  entries: readonly JournalEntry[],
  guarantorOf: (loanId: string) => string | null,
  parties: ProfitParties = {},
): ProfitReport {
  const { from, to } = periodRange(month);
  const lines = new Map<string, { interest: bigint; penalty: bigint; fee: bigint; guarantee: bigint; share: bigint; paid: bigint; guaranteeCost: bigint; losses: bigint; loans: Set<string>; entries: number }>();
  for (const entry of entries) {
    const day = entry.bookedOn ?? entry.businessDate; // the settlement day it was booked in: a closed period never changes
    if (day < from || day > to) continue;
    const legs = entry.legs.filter((leg) => leg.lenderId === lenderId);
    if (legs.length === 0) continue;
    const line = lines.get(entry.currency) ?? { interest: 0n, penalty: 0n, fee: 0n, guarantee: 0n, share: 0n, paid: 0n, guaranteeCost: 0n, losses: 0n, loans: new Set<string>(), entries: 0 };
    line.loans.add(entry.loanId);
    line.entries += 1;
    const isGuarantor = guarantorOf(entry.loanId) === lenderId;
    for (const leg of legs) {
      const credit = leg.side === 'CREDIT' ? leg.amountMinor : -leg.amountMinor;
      const kind = INCOME[leg.account];
      if (kind === 'interest') line.interest += credit;
      else if (kind === 'penalty') line.penalty += credit;
      else if (kind === 'fee' && isGuarantor) line.guarantee += credit;
      else if (kind === 'fee' && parties.servicePartner === true) line.share += credit;
      else if (kind === 'fee') line.fee += credit;
      else if (leg.account === 'FEE_EXPENSE') line.paid -= credit;
      else if (leg.account === 'LOSSES') line.losses -= credit;
      else if (leg.component === 'FEE' && leg.counterparty !== null && parties.guarantors?.has(leg.counterparty) === true) line.guaranteeCost += credit;
    }
    lines.set(entry.currency, line);
  }
  const byCurrency = [...lines]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([currency, l]): LenderProfit => ({
      currency,
      interestIncomeMinor: l.interest,
      penaltyIncomeMinor: l.penalty,
      feeIncomeMinor: l.fee,
      guaranteeFeesMinor: l.guarantee,
      servicePartnerShareMinor: l.share,
      feesPaidMinor: l.paid,
      guaranteeCostMinor: l.guaranteeCost,
      lossesMinor: l.losses,
      netMinor: l.interest + l.penalty + l.fee + l.guarantee + l.share - l.paid - l.losses,
      loans: l.loans.size,
      entries: l.entries,
    }));
  return { lenderId, month, from, to, byCurrency };
}
