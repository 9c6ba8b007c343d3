import type { ViewContext } from '../context.ts';
import { h } from '../dom.ts';
import type { LabelKey } from '../i18n.ts';

/**
 * Where the reconciliation panels go: the reconciliations of the date, their breaks by kind and
 * age, the adjustments awaiting approval, and the chart of open breaks by age. Until the
 * reconciliation API answers, each is an empty data state under its heading, never sample data.
 */
const PANELS: readonly { readonly id: string; readonly heading: LabelKey }[] = [
  { id: 'reconciliations', heading: 'recon.reconciliations' },
  { id: 'breaks', heading: 'recon.breaks' },
  { id: 'adjustments', heading: 'recon.adjustments' },
  { id: 'breaks-by-age', heading: 'chart.breaks' },
];

export function reconciliationSection(ctx: ViewContext): HTMLElement {
  return h(
    'section',
    { id: 'reconciliation', class: 'panel' },
    h('h2', {}, ctx.t('recon.heading')),
    h('div', { class: 'grid' }, ...PANELS.map((panel) => h('div', { id: panel.id, class: 'subpanel' }, h('h3', {}, ctx.t(panel.heading)), h('p', { class: 'empty', dataset: { empty: 'true' } }, ctx.t('recon.empty'))))),
  );
}
