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

/**
 * What a lender's legs of some entries add up to in one currency, whoever the parties are: the
 * figures of a profit statement before the lender's roles divide its fee income, and the fees it
 * cleared with each counterparty, of which those cleared with a guarantor are its guarantee cost.
 * Every figure is a sum, so the lines of the days of a period add up to the period's: what the
 * daily settlement keeps per lender and settlement day (docs/profit-sharing.md, Monthly profit).
 */
export interface ProfitLine {
  readonly currency: string;
  /** Credits less debits on INTEREST_INCOME, PENALTY_INCOME and FEE_INCOME. */
  readonly interestIncomeMinor: bigint;
  readonly penaltyIncomeMinor: bigint;
  readonly feeIncomeMinor: bigint;
  /** Debits less credits on FEE_EXPENSE and LOSSES. */
  readonly feesPaidMinor: bigint;
  readonly lossesMinor: bigint;
  /** Credits less debits of its other legs of component FEE naming a counterparty, per counterparty. */
  readonly feeClearingMinor: Readonly<Record<string, bigint>>;
  /** Entries with a leg of the lender. */
  readonly entries: number;
}

const emptyLine = (currency: string): ProfitLine => ({ currency, interestIncomeMinor: 0n, penaltyIncomeMinor: 0n, feeIncomeMinor: 0n, feesPaidMinor: 0n, lossesMinor: 0n, feeClearingMinor: {}, entries: 0 });

/** The lender's line of one entry in its currency, or null when no leg is the lender's. */
export function profitLineOf(lenderId: string, entry: JournalEntry): ProfitLine | null {
  const legs = entry.legs.filter((leg) => leg.lenderId === lenderId);
  if (legs.length === 0) return null;
  let interest = 0n;
  let penalty = 0n;
  let fee = 0n;
  let paid = 0n;
  let losses = 0n;
  const clearing: Record<string, bigint> = {};
  for (const leg of legs) {
    const credit = leg.side === 'CREDIT' ? leg.amountMinor : -leg.amountMinor;
    const kind = INCOME[leg.account];
    if (kind === 'interest') interest += credit;
    else if (kind === 'penalty') penalty += credit;
    else if (kind === 'fee') fee += credit;
    else if (leg.account === 'FEE_EXPENSE') paid -= credit;
    else if (leg.account === 'LOSSES') losses -= credit;
    else if (leg.component === 'FEE' && leg.counterparty !== null) clearing[leg.counterparty] = (clearing[leg.counterparty] ?? 0n) + credit;
  }
  return { currency: entry.currency, interestIncomeMinor: interest, penaltyIncomeMinor: penalty, feeIncomeMinor: fee, feesPaidMinor: paid, lossesMinor: losses, feeClearingMinor: clearing, entries: 1 };
}

/** Two lines of one currency added up. */
export function addProfitLines(a: ProfitLine, b: ProfitLine): ProfitLine {
  if (a.currency !== b.currency) throw new RangeError(`profit lines of ${a.currency} and ${b.currency} do not add up`);
  const clearing: Record<string, bigint> = { ...a.feeClearingMinor };
  for (const [counterparty, amount] of Object.entries(b.feeClearingMinor)) clearing[counterparty] = (clearing[counterparty] ?? 0n) + amount;
  return {
    currency: a.currency,
    interestIncomeMinor: a.interestIncomeMinor + b.interestIncomeMinor,
    penaltyIncomeMinor: a.penaltyIncomeMinor + b.penaltyIncomeMinor,
    feeIncomeMinor: a.feeIncomeMinor + b.feeIncomeMinor,
    feesPaidMinor: a.feesPaidMinor + b.feesPaidMinor,
    lossesMinor: a.lossesMinor + b.lossesMinor,
    feeClearingMinor: clearing,
    entries: a.entries + b.entries,
  };
}

/** Lines per currency, one more added in. */
export function addProfitLine(lines: Map<string, ProfitLine>, line: ProfitLine): void {
  const before = lines.get(line.currency);
  lines.set(line.currency, before === undefined ? addProfitLines(emptyLine(line.currency), line) : addProfitLines(before, line));
}

/** What a lender is, for the figures that depend on it (`GET /v1/lenders/{id}/profit`). */
export interface ProfitRoles {
  /** It guarantees and funds nothing: its fee income is guarantee fees. */
  readonly guarantorOnly: boolean;
  /** It is a service partner and funds nothing: its fee income is its share. */
  readonly servicePartner: boolean;
  /** Every guarantor: fees cleared with one are the guarantee cost. */
  readonly guarantors: ReadonlySet<string>;
}

/** A line of the monthly profit: a statement's line without the count of loans, which no sum of days can give. */
export type MonthProfitLine = Omit<LenderProfit, 'loans'>;

/** The statement's figures of a period's lines (one per currency, in any order), as `lenderProfit` gives them from the entries. */
export function profitFigures(lines: Iterable<ProfitLine>, roles: ProfitRoles): MonthProfitLine[] {
  return [...lines]
    .filter((l) => l.entries > 0)
    .sort((a, b) => (a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0))
    .map((l) => {
      const guaranteeCost = Object.entries(l.feeClearingMinor).reduce((sum, [counterparty, amount]) => (roles.guarantors.has(counterparty) ? sum + amount : sum), 0n);
      return {
        currency: l.currency,
        interestIncomeMinor: l.interestIncomeMinor,
        penaltyIncomeMinor: l.penaltyIncomeMinor,
        feeIncomeMinor: roles.guarantorOnly || roles.servicePartner ? 0n : l.feeIncomeMinor,
        guaranteeFeesMinor: roles.guarantorOnly ? l.feeIncomeMinor : 0n,
        servicePartnerShareMinor: !roles.guarantorOnly && roles.servicePartner ? l.feeIncomeMinor : 0n,
        feesPaidMinor: l.feesPaidMinor,
        guaranteeCostMinor: guaranteeCost,
        lossesMinor: l.lossesMinor,
        netMinor: l.interestIncomeMinor + l.penaltyIncomeMinor + l.feeIncomeMinor - l.feesPaidMinor - l.lossesMinor,
        entries: l.entries,
      };
    });
}

/** Two parts of a month's profit (pages of `GET /v1/lenders/{id}/profit`) added up, per currency. */
export function addMonthProfit(a: readonly MonthProfitLine[], b: readonly MonthProfitLine[]): MonthProfitLine[] {
  const sums = new Map<string, MonthProfitLine>(a.map((l) => [l.currency, l]));
  for (const l of b) {
    const s = sums.get(l.currency);
    sums.set(
      l.currency,
      s === undefined
        ? l
        : {
            currency: l.currency,
            interestIncomeMinor: s.interestIncomeMinor + l.interestIncomeMinor,
            penaltyIncomeMinor: s.penaltyIncomeMinor + l.penaltyIncomeMinor,
            feeIncomeMinor: s.feeIncomeMinor + l.feeIncomeMinor,
            guaranteeFeesMinor: s.guaranteeFeesMinor + l.guaranteeFeesMinor,
            servicePartnerShareMinor: s.servicePartnerShareMinor + l.servicePartnerShareMinor,
            feesPaidMinor: s.feesPaidMinor + l.feesPaidMinor,
            guaranteeCostMinor: s.guaranteeCostMinor + l.guaranteeCostMinor,
            lossesMinor: s.lossesMinor + l.lossesMinor,
            netMinor: s.netMinor + l.netMinor,
            entries: s.entries + l.entries,
          },
    );
  }
  return [...sums.values()].sort((x, y) => (x.currency < y.currency ? -1 : x.currency > y.currency ? 1 : 0));
}
