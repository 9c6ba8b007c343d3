import type { Instruction, RunView } from '../api.ts';
import { isPlatform, mayRecordExecution, type ViewContext } from '../context.ts';
import { form, h, table } from '../dom.ts';
import { instant, money } from '../format.ts';
import { COMPONENT_ORDER, type LabelKey } from '../i18n.ts';

/**
 * The settlement of one business date: the date picker, the run (platform teams), its payout
 * instructions with their bank references, and every lender's files to download.
 */

export function datePicker(ctx: ViewContext): HTMLElement {
  const runs = ctx.data.runs?.runs ?? [];
  const latest = [...runs].reverse().find((r) => r.status === 'SETTLED');
  const input = h('input', { id: 'business-date', attrs: { type: 'date', value: ctx.data.date ?? '' } });
  const options = h('datalist', { id: 'run-dates' }, ...runs.map((r) => h('option', { attrs: { value: r.businessDate } })));
  input.setAttribute('list', 'run-dates');
  return form(
    'date-picker',
    () => {
      if (input.value !== '') ctx.actions.selectDate(input.value);
    },
    h('label', { attrs: { for: 'business-date' } }, ctx.t('date.label')),
    input,
    options,
    h('button', { attrs: { type: 'submit' } }, ctx.t('date.show')),
    latest === undefined ? h('span', { class: 'muted' }, ctx.t('runs.none')) : h('span', { class: 'muted', id: 'latest-settled' }, ctx.t('date.latest', { date: latest.businessDate })),
    ctx.data.runs?.truncated === true ? h('span', { class: 'muted' }, ctx.t('runs.truncated', { count: runs.length })) : null,
  );
}

export function runPanel(ctx: ViewContext): HTMLElement {
  const section = h('section', { id: 'run', class: 'panel' }, h('h2', {}, ctx.t('run.heading')));
  if (!isPlatform(ctx.principal)) return ownRunPanel(ctx, section);
  const view = ctx.data.run;
  if (view === 'NOT_FOUND') {
    section.append(h('p', { class: 'empty' }, ctx.t('run.notFound', { date: ctx.data.date ?? '' })));
    return section;
  }
  if (view === null) return section;
  const { run } = view;
  const days = [...new Set(Object.values(run.daysByCalendar).flat())].sort();
  const facts: [LabelKey, string | number][] = [
    ['run.status', ctx.t(`run.status.${run.status}`)],
    ['run.attempt', run.attempt],
    ['run.days', days.join(', ')],
    ['run.entries', run.entries],
    ['run.instructions', run.instructions],
    ['run.files', run.files.length],
    ['run.settledAt', instant(run.settledAt)],
  ];
  if (run.failure !== null) facts.push(['run.failure', `${run.failure.code}: ${run.failure.message}`]);
  section.append(factList(ctx, facts, run.status));
  section.append(instructionsTable(ctx, view));
  return section;
}

/** A lender's callers: the run of the date as the runs list gives it them, with their own collections. */
function ownRunPanel(ctx: ViewContext, section: HTMLElement): HTMLElement {
  const summary = ctx.data.runs?.runs.find((r) => r.businessDate === ctx.data.date);
  if (summary === undefined) {
    section.append(h('p', { class: 'empty' }, ctx.t('run.notFound', { date: ctx.data.date ?? '' })));
  } else {
    const days = [...new Set(Object.values(summary.daysByCalendar).flat())].sort();
    const facts: [LabelKey, string | number][] = [
      ['run.status', ctx.t(`run.status.${summary.status}`)],
      ['run.attempt', summary.attempt],
      ['run.days', days.join(', ')],
      ['run.settledAt', instant(summary.settledAt)],
      ...summary.collections.map((c): [LabelKey, string] => ['run.collected', `${money(c.collectedMinor, c.currency)} ${c.currency} (${components(ctx, c.componentsMinor, c.currency)})`]),
    ];
    section.append(factList(ctx, facts, summary.status));
  }
  section.append(h('p', { class: 'muted' }, ctx.t('run.platformOnly')));
  return section;
}

function factList(ctx: ViewContext, facts: readonly [LabelKey, string | number][], status: string): HTMLElement {
  return h('dl', { class: 'facts', dataset: { status } }, ...facts.flatMap(([key, value]) => [h('dt', {}, ctx.t(key)), h('dd', { dataset: { fact: key } }, value)]));
}

function instructionsTable(ctx: ViewContext, view: RunView): HTMLElement {
  const wrap = h('div', { id: 'instructions' }, h('h3', {}, ctx.t('instructions.heading')));
  if (view.instructions.length === 0) {
    wrap.append(h('p', { class: 'empty' }, ctx.t('instructions.none')));
    return wrap;
  }
  const rows = view.instructions.map((i) => [
    h('code', {}, i.instructionId),
    i.payer,
    i.payee,
    h('span', { class: 'amount' }, money(i.amountMinor, i.currency)),
    components(ctx, i.componentsMinor, i.currency),
    i.valueDate,
    executedCell(ctx, i),
  ]);
  const headings: LabelKey[] = ['instructions.id', 'instructions.payer', 'instructions.payee', 'instructions.amount', 'instructions.components', 'instructions.valueDate', 'instructions.executed'];
  const rendered = table(headings.map((k) => ctx.t(k)), rows, { class: 'instructions' });
  rendered.querySelectorAll('tbody tr').forEach((tr, n) => tr.setAttribute('data-instruction', view.instructions[n]!.instructionId));
  wrap.append(rendered);
  return wrap;
}

/** What an amount is made of, per component in the ledger's order: `本金 1,000.00 · 利息 80.00`. */
function components(ctx: ViewContext, componentsMinor: Readonly<Partial<Record<string, string>>>, currency: string): string {
  return COMPONENT_ORDER.flatMap((component) => {
    const minor = componentsMinor[component];
    return minor === undefined ? [] : [[component, minor] as const];
  })
    .map(([component, minor]) => `${ctx.t(`component.${component}` as LabelKey)} ${money(minor, currency)}`)
    .join(' · ');
}

function executedCell(ctx: ViewContext, i: Instruction): HTMLElement {
  if (i.executed !== null) {
    return h('span', { class: 'executed' }, h('strong', {}, i.executed.bankReference), ' ', h('span', { class: 'muted' }, ctx.t('instructions.recordedBy', { by: i.executed.recordedBy, at: instant(i.executed.executedAt) })));
  }
  if (!mayRecordExecution(ctx.principal)) return h('span', { class: 'muted' }, '—');
  const reference = h('input', { attrs: { name: 'bankReference', required: '', maxlength: '64', pattern: '[A-Za-z0-9_.:/\\-]{1,64}', 'aria-label': ctx.t('instructions.reference'), placeholder: ctx.t('instructions.reference') } });
  const at = h('input', { attrs: { name: 'executedAt', type: 'datetime-local', step: '1', required: '', 'aria-label': ctx.t('instructions.executedAt') } });
  at.value = localDateTime(new Date());
  const message = h('span', { class: 'error' });
  const button = h('button', { attrs: { type: 'submit' } }, ctx.t('instructions.record'));
  return form(
    'record',
    () => {
      button.disabled = true;
      ctx.actions.recordExecuted(i.instructionId, reference.value.trim(), new Date(at.value).toISOString()).catch((error: unknown) => {
        message.textContent = ctx.t('instructions.recordFailed', { message: error instanceof Error ? error.message : String(error) });
        button.disabled = false;
      });
    },
    reference,
    at,
    button,
    message,
  );
}

const localDateTime = (date: Date): string => {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
};

/** Every lender's files (the run's list, platform teams), or the caller's own lender's. */
export function filesPanel(ctx: ViewContext): HTMLElement {
  const section = h('section', { id: 'files', class: 'panel' }, h('h2', {}, ctx.t('files.heading')));
  const byLender = new Map<string, { name: string; records: number | null }[]>();
  if (isPlatform(ctx.principal)) {
    const view = ctx.data.run;
    if (view !== null && view !== 'NOT_FOUND') for (const f of view.run.files) byLender.set(f.lenderId, [...(byLender.get(f.lenderId) ?? []), { name: f.name, records: f.records }]);
  } else {
    const own = ctx.data.statements;
    if (own !== null && own !== 'NOT_FOUND') byLender.set(own.lenderId, own.files.map((name) => ({ name, records: null })));
  }
  if (byLender.size === 0) {
    section.append(h('p', { class: 'empty' }, ctx.t('files.none')));
    return section;
  }
  for (const [lenderId, files] of [...byLender].sort(([a], [b]) => (a < b ? -1 : 1))) {
    section.append(
      h(
        'div',
        { class: 'lender-files', dataset: { lender: lenderId } },
        h('h3', {}, lenderId),
        h(
          'ul',
          {},
          ...files.map((f) =>
            h(
              'li',
              {},
              h('a', { attrs: { href: '#', 'data-file': f.name }, on: { click: (event) => (event.preventDefault(), void ctx.actions.download(lenderId, f.name)) } }, f.name),
              f.records === null ? null : h('span', { class: 'muted' }, ` ${ctx.t('files.records', { count: f.records })}`),
            ),
          ),
        ),
      ),
    );
  }
  return section;
}
