import { businessDateAt, PLATFORM_CALENDAR } from './business-date.ts';
import { RuleViolation } from './errors.ts';
import type { Lender } from './lender.ts';

/**
 * A bank's figures for the ratio rules of its regulatory profile (docs/regulatory-report.md):
 * its net tier-1 capital and its total loans, as the lead sets them from the bank's reports, dated
 * and versioned. The figures in force on a date are the latest version of the latest effective
 * date on or before it; allocation and the daily regulatory report both read them through
 * `figuresInForce`, the one definition.
 */
export interface RegulatoryFigures {
  readonly lenderId: string;
  /** The first date the figures are in force (YYYY-MM-DD). */
  readonly effectiveDate: string;
  /** 1 for the first figures of an effective date, counting up with each correction; 0 for the figures given at registration. */
  readonly version: number;
  /** Null only in the figures of a registration that gave one figure and not the other. */
  readonly netTier1CapitalMinor: bigint | null;
  readonly totalLoansMinor: bigint | null;
  /** Where the figures come from, e.g. the quarter's regulatory report. */
  readonly source: string;
  /** The client that set them; null for the figures given at registration. */
  readonly setBy: string | null;
  readonly setAt: string;
}

/** What the lead sets: both figures, positive, with their source. */
export interface FiguresInput {
  readonly netTier1CapitalMinor: bigint;
  readonly totalLoansMinor: bigint;
  readonly source: string;
}

export const REGISTRATION_SOURCE = 'lender registration';

/** The ratio rules bind banks (商业银行); a non-bank lender has no figures for them. */
export function isBank(lender: Pick<Lender, 'institutionType'>): boolean {
  return lender.institutionType !== 'NON_BANK';
}

/** Refuses figures for a lender the rules do not bind. */
export function assertBank(lender: Lender): void {
  if (isBank(lender)) return;
  throw new RuleViolation('LENDER_NOT_A_BANK', `lender ${lender.lenderId} is a ${lender.institutionType}: the ratio rules, and their figures, are for banks`, {
    path: 'lenderId',
    rule: 'bank-only',
    lenderId: lender.lenderId,
    institutionType: lender.institutionType,
  });
}

/** An effective date may not be after today: figures are set from a report already published. */
export function assertEffectiveDate(effectiveDate: string, today: string): void {
  if (effectiveDate <= today) return;
  throw new RuleViolation('EFFECTIVE_DATE_IN_FUTURE', `effectiveDate ${effectiveDate} is after today, ${today}`, {
    path: 'effectiveDate',
    rule: 'not-after-today',
    effectiveDate,
    today,
  });
}

/** The figures a lender was registered with, in force from the registration date; null when it gave none. */
export function registrationFigures(lender: Lender): RegulatoryFigures | null {
  if (lender.netTier1CapitalMinor === null && lender.totalLoansMinor === null) return null;
  return {
    lenderId: lender.lenderId,
    effectiveDate: businessDateAt(lender.createdAt, PLATFORM_CALENDAR),
    version: 0,
    netTier1CapitalMinor: lender.netTier1CapitalMinor,
    totalLoansMinor: lender.totalLoansMinor,
    source: REGISTRATION_SOURCE,
    setBy: null,
    setAt: lender.createdAt,
  };
}

const byDateThenVersion = (a: RegulatoryFigures, b: RegulatoryFigures): number =>
  a.effectiveDate === b.effectiveDate ? a.version - b.version : a.effectiveDate < b.effectiveDate ? -1 : 1;

/** Every version of a bank's figures, oldest first: the registration's, then those set since. */
export function figureHistory(lender: Lender, stored: readonly RegulatoryFigures[]): RegulatoryFigures[] {
  const registered = registrationFigures(lender);
  return [...(registered === null ? [] : [registered]), ...stored.filter((f) => f.lenderId === lender.lenderId)].sort(byDateThenVersion);
}

/**
 * The figures in force on a date: the highest version of the latest effective date on or before
 * it. Null for a lender that is not a bank, or that has no figures in force yet: never zero.
 */
export function figuresInForce(lender: Lender, stored: readonly RegulatoryFigures[], date: string): RegulatoryFigures | null {
  if (!isBank(lender)) return null;
  const inForce = figureHistory(lender, stored).filter((f) => f.effectiveDate <= date);
  return inForce.at(-1) ?? null;
}

/** The lender as allocation judges it on a date: its figures are those in force then. */
export function withFiguresInForce(lender: Lender, inForce: RegulatoryFigures | null): Lender {
  return { ...lender, netTier1CapitalMinor: inForce?.netTier1CapitalMinor ?? null, totalLoansMinor: inForce?.totalLoansMinor ?? null };
}

/** The next version of an effective date: one more than the highest stored for it. */
export function nextVersion(stored: readonly RegulatoryFigures[], effectiveDate: string): number {
  return stored.filter((f) => f.effectiveDate === effectiveDate).reduce((latest, f) => Math.max(latest, f.version), 0) + 1;
}
