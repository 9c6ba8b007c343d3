import days from 'chinese-days/dist/chinese-days.json' with { type: 'json' };
import packageJson from 'chinese-days/package.json' with { type: 'json' };

/**
 * China's public holidays and adjusted working days (调休) as the `chinese-days` package publishes
 * them, one table per year. The package answers for any year, treating a year it has no notice
 * for as a plain week; this module only ever hands out the years its data really holds (those with
 * holidays listed), so a year without a notice is a year not covered, never a guess.
 */
export interface PackageYear {
  readonly year: number;
  /** Days off of the year's notice, weekends inside a holiday period included, ascending. */
  readonly holidays: readonly string[];
  /** Saturdays and Sundays worked in lieu (调休上班), ascending. */
  readonly workingDays: readonly string[];
}

export const CHINESE_DAYS_PACKAGE = { name: packageJson.name, version: packageJson.version } as const;

function byYear(dates: Readonly<Record<string, string>>): Map<number, string[]> {
  const years = new Map<number, string[]>();
  for (const date of Object.keys(dates).sort()) {
    const year = Number(date.slice(0, 4));
    const list = years.get(year) ?? [];
    list.push(date);
    years.set(year, list);
  }
  return years;
}

let cached: ReadonlyMap<number, PackageYear> | undefined;

/** The package's years, built once per process. */
export function packageYears(): ReadonlyMap<number, PackageYear> {
  if (cached) return cached;
  const holidays = byYear(days.holidays as Readonly<Record<string, string>>);
  const workingDays = byYear(days.workdays as Readonly<Record<string, string>>);
  cached = new Map(
    [...holidays.keys()].sort((a, b) => a - b).map((year) => [year, { year, holidays: holidays.get(year) ?? [], workingDays: workingDays.get(year) ?? [] }]),
  );
  return cached;
}
