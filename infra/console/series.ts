import type { RunList } from './api.ts';
import { chartValue } from './format.ts';

/**
 * The figures the console's charts draw, from what the API answers. Pure: the unit tests read it.
 */

/** The chart's series: the settled dates, and per lender and currency what was collected each date (null before it was settled). */
export function collectionSeries(runs: RunList['runs']): { dates: string[]; lines: { label: string; values: (number | null)[] }[] } {
  const dates = runs.map((r) => r.businessDate);
  const labels = [...new Set(runs.flatMap((r) => r.collections.map((c) => `${c.lenderId} ${c.currency}`)))].sort();
  const lines = labels.map((label) => ({
    label,
    values: runs.map((r) => {
      if (r.status !== 'SETTLED') return null;
      const found = r.collections.find((c) => `${c.lenderId} ${c.currency}` === label);
      return found === undefined ? 0 : chartValue(found.collectedMinor, found.currency);
    }),
  }));
  return { dates, lines };
}
