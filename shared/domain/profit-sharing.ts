import { periodRange, periodRules, type FeeProgram } from './fees.ts';
import { compareIsoDates } from './money/index.ts';

/**
 * The periods of profit sharing (docs/profit-sharing.md): which period a day falls in, the one
 * before it, which periods of a program are due when the schedule fires, and who the parties of a
 * program's statements are. Pure.
 */

export type PeriodKind = 'MONTHLY' | 'QUARTERLY';

/** The month `YYYY-MM` or the quarter `YYYY-Qn` a day `YYYY-MM-DD` falls in. */
export function periodOf(date: string, kind: PeriodKind): string {
  const year = date.slice(0, 4);
  const month = Number(date.slice(5, 7));
  return kind === 'MONTHLY' ? date.slice(0, 7) : `${year}-Q${Math.ceil(month / 3)}`;
}

/** The period just before a month or a quarter. */
export function previousPeriod(period: string): string {
  const { kind, from } = periodRange(period);
  const year = Number(from.slice(0, 4));
  const month = Number(from.slice(5, 7));
  const step = kind === 'MONTHLY' ? 1 : 3;
  const back = month - step < 1 ? { year: year - 1, month: month - step + 12 } : { year, month: month - step };
  return periodOf(`${back.year}-${String(back.month).padStart(2, '0')}-01`, kind);
}

/** Whether a period has ended on a settlement day: its last day is before it. */
export function periodEnded(period: string, settlementDay: string): boolean {
  return compareIsoDates(periodRange(period).to, settlementDay) < 0;
}

/** The kinds of period a program bills fees in, from its period fee rules (any version's). */
export function periodKindsOf(versions: readonly FeeProgram[]): PeriodKind[] {
  return (['MONTHLY', 'QUARTERLY'] as const).filter((kind) => versions.some((terms) => periodRules(terms, kind).length > 0));
}

/**
 * The periods of a program due on a settlement day: for each kind it bills in, the period just
 * before the one the day falls in (the one that ended last).
 */
export function duePeriods(versions: readonly FeeProgram[], settlementDay: string): string[] {
  return periodKindsOf(versions).map((kind) => previousPeriod(periodOf(settlementDay, kind)));
}

/** The parties of a program's statements: every participant of any version, in id order, with its latest role. */
export function statementParties(versions: readonly { readonly version: number; readonly participants: readonly { readonly lenderId: string; readonly role: string }[] }[]): { lenderId: string; role: string }[] {
  const roles = new Map<string, string>();
  for (const v of [...versions].sort((a, b) => a.version - b.version)) for (const p of v.participants) roles.set(p.lenderId, p.role);
  return [...roles].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([lenderId, role]) => ({ lenderId, role }));
}
