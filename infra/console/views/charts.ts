import uPlot from 'uplot';
import { collectionSeries } from '../series.ts';
import type { ViewContext } from '../context.ts';
import { h, table } from '../dom.ts';
import { openBreaksByAge } from '../reconciliation-model.ts';

/**
 * The console's charts (uPlot). Collections per lender per day: one line per lender and currency
 * over the listed runs, from `GET /v1/settlement-runs`. A lender's callers see their own line only
 * (the API gives them nothing else).
 */

const DAY_SECONDS = 86_400;
const DAY_STEPS = [1, 2, 7, 14, 28, 91].map((days) => days * DAY_SECONDS);
const dayOf = (epochSecondsValue: number): string => new Date(epochSecondsValue * 1000).toISOString().slice(0, 10);
const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];
const epochSeconds = (date: string): number => Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) / 1000;

const drawn: Record<'collections' | 'breaks', uPlot | null> = { collections: null, breaks: null };

/** The chart drawn before this render is gone with the page it was in. */
function forget(which: keyof typeof drawn): void {
  drawn[which]?.destroy();
  drawn[which] = null;
}

/** Draws a chart once its element is in the page, at the width it gets there. */
function draw(which: keyof typeof drawn, target: HTMLElement, options: (width: number) => uPlot.Options, values: uPlot.AlignedData): void {
  requestAnimationFrame(() => {
    drawn[which] = new uPlot(options(Math.max(320, target.clientWidth)), values, target);
  });
}

export function collectionsChart(ctx: ViewContext): HTMLElement {
  forget('collections');
  const section = h('section', { id: 'collections', class: 'panel' }, h('h2', {}, ctx.t('chart.collections')), h('p', { class: 'muted' }, ctx.t('chart.collectionsNote')));
  const { dates, lines } = collectionSeries(ctx.data.runs?.runs ?? []);
  if (lines.length === 0) {
    section.append(h('p', { class: 'empty' }, ctx.t('chart.none')));
    return section;
  }
  const xs = dates.map(epochSeconds);
  const target = h('div', { class: 'chart', dataset: { series: String(lines.length) } });
  section.append(target);
  draw(
    'collections',
    target,
    (width) => ({
      width,
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
    }),
    [xs, ...lines.map((line) => line.values)],
  );
  return section;
}

/**
 * The chart of open breaks by age: bars of each lender's open and investigating breaks in each age
 * band, as of the reader's day, side by side within a band (each lender a slot of its own on the x
 * axis), with the same counts as a table under it.
 */
export function breaksByAgeChart(ctx: ViewContext): HTMLElement {
  forget('breaks');
  const day = new Date().toISOString().slice(0, 10);
  const section = h('section', { id: 'breaks-by-age', class: 'panel' }, h('h2', {}, ctx.t('chart.breaks')), h('p', { class: 'muted' }, ctx.t('chart.breaksNote', { today: day })));
  const { bands, lines } = openBreaksByAge(ctx.data.recon?.openBreaks ?? [], day);
  if (lines.length === 0) {
    section.append(h('p', { class: 'empty' }, ctx.t('chart.breaksNone')));
    return section;
  }
  const slots = lines.length + 1;
  const xs = bands.flatMap((_b, band) => lines.map((_l, lender) => band * slots + lender).concat(band * slots + lines.length));
  const target = h('div', { class: 'chart', dataset: { series: String(lines.length) } });
  section.append(target, table([ctx.t('breaks.lender'), ...bands], lines.map((line) => [line.label, ...line.values]), { class: 'age-table' }));
  const bars = uPlot.paths.bars!({ size: [0.9, 40], align: 0 });
  draw(
    'breaks',
    target,
    (width) => ({
      width,
      height: 220,
      scales: { x: { time: false, range: [-0.5, bands.length * slots - 0.5] }, y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max * 1.1))] } },
      series: [
        { label: ctx.t('chart.band'), value: (_u, v) => (v === null ? '--' : (bands[Math.floor(v / slots)] ?? '')) },
        ...lines.map((line, i) => ({ label: line.label, fill: PALETTE[i % PALETTE.length], stroke: PALETTE[i % PALETTE.length], width: 0, paths: bars, points: { show: false } })),
      ],
      axes: [
        { splits: () => bands.map((_b, band) => band * slots + (lines.length - 1) / 2), values: () => bands.map((b) => b) },
        { size: 50, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] },
      ],
    }),
    [xs, ...lines.map((_line, lender) => xs.map((x) => (x % slots === lender ? lines[lender]!.values[Math.floor(x / slots)]! : null)))],
  );
  return section;
}
