import { canSeeLender, type Principal } from '../domain/access.ts';
import { businessDateAt, PLATFORM_CALENDAR } from '../domain/business-date.ts';
import { NotFound } from '../domain/errors.ts';
import type { Lender } from '../domain/lender.ts';
import type { Program } from '../domain/program.ts';
import {
  assertBank,
  assertEffectiveDate,
  figureHistory,
  figuresInForce,
  isBank,
  nextVersion,
  withFiguresInForce,
  type FiguresInput,
  type RegulatoryFigures,
} from '../domain/regulatory-figures.ts';
import { OPTIMISTIC_ATTEMPTS, WriteConflict, type LenderStore, type ProgramStore, type RegulatoryFiguresStore, type Seal } from '../ports/stores.ts';

/**
 * A bank's regulatory figures over time (docs/regulatory-report.md): the lead sets them per
 * effective date, allocation and the daily report read the figures in force on their date.
 */
export interface FiguresDeps {
  readonly regulatoryFigures: RegulatoryFiguresStore;
}

/** Each lender's figures in force on a date: the one source of the figures allocation and the report judge a bank by. */
export async function figuresInForceOf(deps: FiguresDeps, lenders: Iterable<Lender>, date: string): Promise<Map<string, RegulatoryFigures | null>> {
  const entries = await Promise.all(
    [...lenders].map(async (lender): Promise<[string, RegulatoryFigures | null]> => [
      lender.lenderId,
      isBank(lender) ? figuresInForce(lender, await deps.regulatoryFigures.versions(lender.lenderId), date) : null,
    ]),
  );
  return new Map(entries);
}

/** The lenders as allocation judges them on a date, each with its figures in force then; read together with their figures. */
export async function lendersOnDate(deps: FiguresDeps & { readonly lenders: Pick<LenderStore, 'getMany'> }, lenderIds: readonly string[], date: string): Promise<Map<string, Lender>> {
  const [lenders, versions] = await Promise.all([deps.lenders.getMany(lenderIds), Promise.all(lenderIds.map((id) => deps.regulatoryFigures.versions(id)))]);
  const stored = versions.flat();
  return new Map([...lenders].map(([lenderId, lender]) => [lenderId, withFiguresInForce(lender, figuresInForce(lender, stored, date))]));
}

/**
 * Today for a lender's figures: the latest date, at `now`, in the time zones of the calendars of
 * the programs it takes part in (the platform's calendar when it is in none yet).
 */
export function lenderToday(programs: readonly Program[], lenderId: string, now: string): string {
  const calendars = new Set(programs.filter((p) => p.leadLenderId === lenderId || p.participants.some((x) => x.lenderId === lenderId)).map((p) => p.settlement.calendar));
  if (calendars.size === 0) calendars.add(PLATFORM_CALENDAR);
  return [...calendars].map((calendar) => businessDateAt(now, calendar)).reduce((a, b) => (a > b ? a : b));
}

export interface SetFiguresDeps extends FiguresDeps {
  readonly lenders: Pick<LenderStore, 'get'>;
  readonly programs: Pick<ProgramStore, 'list'>;
}

/**
 * Stores a bank's figures of an effective date as its next version (version 1 for a date never
 * set; a correction of a date is version 2, and so on). Refused before anything is written when
 * the lender does not exist or is not a bank, or the date is after today. Two writes of one date
 * at once race for the same version and the loser takes the next.
 */
export async function setRegulatoryFigures(
  deps: SetFiguresDeps,
  request: { readonly lenderId: string; readonly effectiveDate: string; readonly figures: FiguresInput },
  setBy: string,
  seal: Seal,
  now: string,
): Promise<RegulatoryFigures> {
  const { lenderId, effectiveDate } = request;
  const lender = await deps.lenders.get(lenderId);
  if (lender === null) throw new NotFound('lender', lenderId);
  assertBank(lender);
  assertEffectiveDate(effectiveDate, lenderToday(await deps.programs.list(), lenderId, now));
  for (let attempt = 1; ; attempt++) {
    const version = nextVersion(await deps.regulatoryFigures.versions(lenderId), effectiveDate);
    const figures: RegulatoryFigures = {
      lenderId,
      effectiveDate,
      version,
      netTier1CapitalMinor: request.figures.netTier1CapitalMinor,
      totalLoansMinor: request.figures.totalLoansMinor,
      source: request.figures.source.trim(),
      setBy,
      setAt: now,
    };
    try {
      await deps.regulatoryFigures.put(figures, seal(201, figures));
      return figures;
    } catch (error) {
      if (!(error instanceof WriteConflict && error.entity === 'regulatory-figures') || attempt >= OPTIMISTIC_ATTEMPTS) throw error;
    }
  }
}

export interface FiguresView {
  readonly lenderId: string;
  /** Today for the lender (`lenderToday`) and the figures in force on it. */
  readonly today: string;
  readonly inForce: RegulatoryFigures | null;
  /** Every version, oldest first: the registration's (version 0), then those set since. */
  readonly figures: readonly RegulatoryFigures[];
}

/** A lender's figures, every version; another lender's answer 404 to a partner, as if they did not exist. */
export async function listRegulatoryFigures(deps: SetFiguresDeps, principal: Principal, lenderId: string, now: string): Promise<FiguresView> {
  const lender = canSeeLender(principal, lenderId) ? await deps.lenders.get(lenderId) : null;
  if (lender === null) throw new NotFound('lender', lenderId);
  const [stored, programs] = await Promise.all([deps.regulatoryFigures.versions(lenderId), deps.programs.list()]);
  const today = lenderToday(programs, lenderId, now);
  return { lenderId, today, inForce: figuresInForce(lender, stored, today), figures: figureHistory(lender, stored) };
}
