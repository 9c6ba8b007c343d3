import uPlot from 'uplot';
import { collectionSeries } from '../series.ts';
import type { ViewContext } from '../context.ts';
import { h } from '../dom.ts';

/**
 * The chart of collections per lender per day (uPlot): one line per lender and currency over the
 * listed runs, from `GET /v1/settlement-runs`. A lender's callers see their own line only (the
 * API gives them nothing else).
 */

const DAY_SECONDS = 86_400;
const DAY_STEPS = [1, 2, 7, 14, 28, 91].map((days) => days * DAY_SECONDS);
const dayOf = (epochSecondsValue: number): string => new Date(epochSecondsValue * 1000).toISOString().slice(0, 10);
const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];
const epochSeconds = (date: string): number => Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) / 1000;

let drawn: uPlot | null = null;

export function collectionsChart(ctx: ViewContext): HTMLElement {
  drawn?.destroy();
  drawn = null;
  const section = h('section', { id: 'collections', class: 'panel' }, h('h2', {}, ctx.t('chart.collections')), h('p', { class: 'muted' }, ctx.t('chart.collectionsNote')));
  const { dates, lines } = collectionSeries(ctx.data.runs?.runs ?? []);
  if (lines.length === 0) {
    section.append(h('p', { class: 'empty' }, ctx.t('chart.none')));
    return section;
  }
  const xs = dates.map(epochSeconds);
  const target = h('div', { class: 'chart', dataset: { series: String(lines.length) } });
  section.append(target);
  // Drawn once the section is in the page, at the width it gets there.
  requestAnimationFrame(() => {
    drawn = new uPlot(
      {
        width: Math.max(320, target.clientWidth),
        height: 260,
        // One date alone is drawn in the middle of its neighbours; collections start from zero.
        scales: { x: { time: true, range: (_u, min, max) => (xs.length === 1 ? [xs[0]! - DAY_SECONDS, xs[0]! + DAY_SECONDS] : [min, max]) }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
        // Business dates, not instants: days in UTC, ticks a whole number of days apart.
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        series: [
          { label: ctx.t('date.label'), value: (_u, v) => (v === null ? '--' : dayOf(v)) },
          ...lines.map((line, i) => ({ label: line.label, stroke: PALETTE[i % PALETTE.length], width: 2, points: { show: true } })),
        ],
        axes: [{ incrs: DAY_STEPS, values: (_u, splits) => splits.map((v) => dayOf(v).slice(5)) }, { size: 80 }],
      },
      [xs, ...lines.map((line) => line.values)],
      target,
    );
  });
  return section;
}
