import { actorOf } from '../../../shared/domain/access.ts';
import { ADJUSTABLE_COMPONENTS, ADJUSTMENT_DIRECTIONS, ADJUSTMENT_STATES, type AdjustmentState } from '../../../shared/domain/adjustment.ts';
import { SETTLEMENT_COMPONENTS } from '../../../shared/domain/ledger.ts';
import { CURRENCIES, isCurrencyCode } from '../../../shared/domain/money/amount.ts';
import { BREAK_KINDS, BREAK_STATES, RECONCILIATION_TYPES, type BreakKind, type BreakState } from '../../../shared/domain/reconciliation-break.ts';
import type { AdjustmentView, BreakView, ReconciliationView } from '../api.ts';
import { isPlatform, type ViewContext } from '../context.ts';
import { form, h, table } from '../dom.ts';
import { instant, money } from '../format.ts';
import { DICTIONARY, type LabelKey } from '../i18n.ts';
import { ageOf, approvalOf, isOpen, mayActOnBreaks, mayAdjust, mayReconcileEscrow, minorOfInput, proposalFromBreak, type ProposalDraft } from '../reconciliation-model.ts';

/**
 * The reconciliation panels of a business date: its reconciliations (with the upload form and the
 * exports), the breaks (filtered by state and kind, a page at a time, with their history and the
 * actions the caller's role allows), and the adjustments by state with maker-checker. Every figure
 * is the API's; every action is an API call, whose error is shown as the API answered it.
 */

const today = (): string => new Date().toISOString().slice(0, 10);
const ids = (): string => crypto.randomUUID().replaceAll('-', '').slice(0, 12).toUpperCase();

/** Amounts per currency: `CNY 264.87 · INR 1.00`. */
const perCurrency = (amounts: Readonly<Record<string, string>>): string =>
  Object.entries(amounts)
    .map(([currency, minor]) => `${currency} ${money(minor, currency)}`)
    .join(' · ') || '—';

/** Counts by a key, labelled: `金额不符 1`. */
const counts = (byKey: Readonly<Record<string, number>>, labelOf: (key: string) => string): string =>
  Object.entries(byKey)
    .filter(([, n]) => n > 0)
    .map(([key, n]) => `${labelOf(key)} ${n}`)
    .join(' · ') || '—';

/** A message line a form fills in when an action is refused (the API's code and message as they came). */
const messageLine = (): HTMLElement => h('span', { class: 'error', attrs: { role: 'alert' } });

async function run(message: HTMLElement, ctx: ViewContext, buttons: readonly HTMLButtonElement[], call: () => Promise<unknown>): Promise<void> {
  message.textContent = '';
  const before = buttons.map((b) => b.disabled);
  for (const b of buttons) b.disabled = true;
  try {
    await call();
  } catch (error) {
    message.textContent = ctx.t('action.failed', { message: error instanceof Error ? error.message : String(error) });
    buttons.forEach((b, n) => (b.disabled = before[n]!));
  }
}

const exportLink = (ctx: ViewContext, path: string, name: string, format: 'csv' | 'xlsx'): HTMLElement =>
  h('a', { attrs: { href: '#', 'data-export': format }, on: { click: (event) => (event.preventDefault(), void ctx.actions.save(`${path}${path.includes('?') ? '&' : '?'}format=${format}`, `${name}.${format}`)) } }, format.toUpperCase());

// ---------------------------------------------------------------------------------------------
// Reconciliations

export function reconciliationsPanel(ctx: ViewContext): HTMLElement {
  const section = h('div', { id: 'reconciliations', class: 'subpanel' }, h('h3', {}, ctx.t('recon.reconciliations')));
  section.append(uploadForm(ctx));
  const list = ctx.data.recon?.reconciliations;
  if (list === undefined) return section;
  if (list.length === 0) {
    section.append(h('p', { class: 'empty' }, ctx.t('recon.none', { date: ctx.data.date ?? '' })));
    return section;
  }
  const headings: LabelKey[] = ['recon.type', 'recon.counterparty', 'recon.status', 'recon.matched', 'recon.byKind', 'recon.byAge', 'recon.net', 'recon.balance', 'recon.export'];
  const rows = list.map((r) => [
    ctx.t(`recon.type.${r.type}`),
    r.counterparty,
    h('span', { dataset: { status: r.status } }, ctx.t(`recon.status.${r.status}`)),
    r.counts === null ? '—' : `${ctx.t('recon.matchedCount', { count: r.counts.matched })} · ${perCurrency(r.matchedMinor)}`,
    counts(r.breaksByKind, (kind) => ctx.t(`breaks.kind.${kind as BreakKind}`)),
    counts(r.breaksByAge, (band) => band),
    perCurrency(r.netDifferenceMinor),
    balanceCell(ctx, r),
    h('span', { class: 'exports' }, ...(['csv', 'xlsx'] as const).map((f) => exportLink(ctx, `/v1/reconciliations/${encodeURIComponent(r.reconciliationId)}/export`, `reconciliation_${r.reconciliationId}`, f))),
  ]);
  const rendered = table(headings.map((k) => ctx.t(k)), rows, { class: 'reconciliations' });
  rendered.querySelectorAll('tbody tr').forEach((tr, n) => tr.setAttribute('data-reconciliation', list[n]!.reconciliationId));
  section.append(rendered);
  for (const r of list.filter((x) => x.errors.length > 0)) {
    section.append(h('details', { class: 'file-errors', dataset: { reconciliation: r.reconciliationId } }, h('summary', {}, `${ctx.t('recon.errors')} · ${r.fileName}`), h('ul', {}, ...r.errors.map((e) => h('li', {}, ctx.t('recon.errorLine', { ...e }))))));
  }
  return section;
}

function balanceCell(ctx: ViewContext, r: ReconciliationView): string {
  if (r.balance.length === 0) return '—';
  return r.balance
    .map((b) => ctx.t('recon.balanceCheck', { currency: b.currency, statement: money(b.statementMinor, b.currency), expected: money(b.expectedMinor, b.currency), difference: money(b.differenceMinor, b.currency) }))
    .join('；');
}

/** Upload a counterpart file of the date: a lender's callers their own records, the platform any. */
function uploadForm(ctx: ViewContext): HTMLElement {
  const own = isPlatform(ctx.principal) ? null : ctx.principal.lenderId;
  const types = RECONCILIATION_TYPES.filter((t) => t !== 'ESCROW_STATEMENT' || mayReconcileEscrow(ctx.principal));
  const file = h('input', { attrs: { type: 'file', name: 'file', 'aria-label': ctx.t('upload.file') } });
  const type = h('select', { attrs: { name: 'type', 'aria-label': ctx.t('upload.type') } }, ...types.map((t) => h('option', { attrs: { value: t } }, ctx.t(`recon.type.${t}`))));
  const lender = h('input', { attrs: { name: 'lenderId', placeholder: ctx.t('upload.lender'), 'aria-label': ctx.t('upload.lender'), maxlength: '64' } });
  if (own !== null) {
    lender.value = own;
    lender.readOnly = true;
  }
  const bankFormat = h('input', { attrs: { name: 'bankFormat', placeholder: ctx.t('upload.bankFormat'), 'aria-label': ctx.t('upload.bankFormat'), maxlength: '64' } });
  const escrow = () => type.value === 'ESCROW_STATEMENT';
  const showFields = () => {
    lender.hidden = escrow();
    bankFormat.hidden = !escrow();
  };
  type.addEventListener('change', showFields);
  showFields();
  const message = messageLine();
  const done = h('span', { class: 'muted', dataset: { upload: 'status' } });
  const button = h('button', { attrs: { type: 'submit' } }, ctx.t('upload.submit'));
  return form(
    'upload',
    () => {
      const chosen = file.files?.[0];
      message.textContent = '';
      if (chosen === undefined) return void (message.textContent = ctx.t('form.required', { field: ctx.t('upload.file') }));
      if (!escrow() && lender.value.trim() === '') return void (message.textContent = ctx.t('form.required', { field: ctx.t('upload.lender') }));
      const request = escrow() ? (bankFormat.value.trim() === '' ? { type: type.value } : { type: type.value, bankFormat: bankFormat.value.trim() }) : { type: type.value, lenderId: lender.value.trim() };
      void run(message, ctx, [button], async () => {
        const status = await ctx.actions.reconcileFile(chosen, request);
        done.textContent = ctx.t('upload.started', { id: chosen.name, status });
      });
    },
    h('strong', {}, ctx.t('upload.heading')),
    type,
    lender,
    bankFormat,
    file,
    button,
    done,
    message,
  );
}

// ---------------------------------------------------------------------------------------------
// Breaks

export function breaksPanel(ctx: ViewContext): HTMLElement {
  const section = h('div', { id: 'breaks', class: 'subpanel' }, h('h3', {}, ctx.t('breaks.heading')));
  const recon = ctx.data.recon;
  if (recon === null) return section;
  const { filter, items, cursor } = recon.breaks;
  const option = (value: string, text: string, selected: boolean) => h('option', { attrs: { value, ...(selected ? { selected: '' } : {}) } }, text);
  const state = h('select', { attrs: { name: 'state', 'aria-label': ctx.t('breaks.state') } }, option('', ctx.t('breaks.all'), filter.state === undefined), ...BREAK_STATES.map((s) => option(s, ctx.t(`breaks.state.${s}`), filter.state === s)));
  const kind = h('select', { attrs: { name: 'kind', 'aria-label': ctx.t('breaks.kind') } }, option('', ctx.t('breaks.all'), filter.kind === undefined), ...BREAK_KINDS.map((k) => option(k, ctx.t(`breaks.kind.${k}`), filter.kind === k)));
  const exportPath = `/v1/breaks/export?${new URLSearchParams(Object.entries(filter).filter((e): e is [string, string] => e[1] !== undefined)).toString()}`;
  section.append(
    form(
      'break-filter',
      () => ctx.actions.filterBreaks({ ...(state.value === '' ? {} : { state: state.value as BreakState }), ...(kind.value === '' ? {} : { kind: kind.value as BreakKind }) }),
      state,
      kind,
      h('button', { attrs: { type: 'submit' } }, ctx.t('breaks.filter')),
      h('span', { class: 'exports' }, ctx.t('recon.export'), ' ', ...(['csv', 'xlsx'] as const).flatMap((f) => [exportLink(ctx, exportPath, `breaks_${today().replaceAll('-', '')}`, f), ' '])),
    ),
  );
  if (items.length === 0) {
    section.append(h('p', { class: 'empty' }, ctx.t('breaks.none')));
    return section;
  }
  const proposal = h('div', { id: 'proposal' });
  const headings: LabelKey[] = ['breaks.kind', 'breaks.lender', 'breaks.record', 'breaks.ours', 'breaks.theirs', 'breaks.difference', 'breaks.age', 'breaks.state', 'breaks.owner', 'breaks.actions'];
  const day = today();
  const rows = items.map((b) => [
    `${ctx.t(`breaks.kind.${b.kind}`)}${b.component === '' ? '' : ` · ${componentLabel(ctx, b.component)}`}`,
    b.lenderId,
    h('code', {}, b.recordKey),
    h('span', { class: 'amount', dataset: { amount: 'ours' } }, b.oursMinor === null ? (b.ours ?? '—') : money(b.oursMinor, b.currency)),
    h('span', { class: 'amount', dataset: { amount: 'theirs' } }, b.theirsMinor === null ? (b.theirs ?? '—') : money(b.theirsMinor, b.currency)),
    h('span', { class: 'amount', dataset: { amount: 'difference' } }, money(b.differenceMinor, b.currency)),
    ageOf(b, day),
    h('span', { dataset: { state: b.state } }, ctx.t(`breaks.state.${b.state}`)),
    b.owner ?? '—',
    breakActions(ctx, b, proposal),
  ]);
  const rendered = table(headings.map((k) => ctx.t(k)), rows, { class: 'breaks' });
  rendered.querySelectorAll('tbody tr').forEach((tr, n) => tr.setAttribute('data-break', items[n]!.breakId));
  section.append(rendered, proposal);
  if (cursor !== null) section.append(h('button', { class: 'more', on: { click: () => ctx.actions.moreBreaks() } }, ctx.t('breaks.more')));
  return section;
}

const COMPONENT_LABELS: Readonly<Record<string, LabelKey>> = Object.fromEntries(SETTLEMENT_COMPONENTS.map((c) => [c, `component.${c}` as LabelKey]));

/** A break's component: a settlement component, or a field of a partner's file the reconciliation compares (docs/reconciliation.md); a name it does not know, as it is. */
function componentLabel(ctx: ViewContext, component: string): string {
  const key = COMPONENT_LABELS[component] ?? `field.${component}`;
  return key in DICTIONARY.en ? ctx.t(key as LabelKey) : component;
}

function breakActions(ctx: ViewContext, b: BreakView, proposal: HTMLElement): HTMLElement {
  const cell = h('div', { class: 'break-actions' });
  const history = h('ol', { class: 'history', attrs: { hidden: '' } });
  const message = messageLine();
  cell.append(
    h(
      'button',
      {
        class: 'history-toggle',
        on: {
          click: () => {
            if (!history.hidden) return void (history.hidden = true);
            void run(message, ctx, [], async () => {
              const full = await ctx.actions.breakHistory(b.breakId);
              history.replaceChildren(
                ...full.history.map((e) =>
                  h('li', {}, ctx.t('breaks.historyEntry', { at: instant(e.at), by: e.by, from: e.from === null ? '—' : ctx.t(`breaks.state.${e.from}`), to: ctx.t(`breaks.state.${e.to}`) }), e.reason === '' ? null : ` ${e.reason}`, e.adjustmentId === undefined ? null : h('code', {}, ` ${e.adjustmentId}`)),
                ),
              );
              history.hidden = false;
            });
          },
        },
      },
      ctx.t('breaks.history'),
    ),
  );
  if (mayActOnBreaks(ctx.principal) && isOpen(b.state)) {
    const investigate = h('button', { attrs: { type: 'button', 'data-action': 'investigate' } }, ctx.t('breaks.investigate'));
    const reason = h('input', { attrs: { name: 'reason', placeholder: ctx.t('breaks.reason'), 'aria-label': ctx.t('breaks.reason'), maxlength: '500' } });
    const accept = h('button', { attrs: { type: 'submit', 'data-action': 'accept' } }, ctx.t('breaks.accept'));
    investigate.addEventListener('click', () => void run(message, ctx, [investigate, accept], () => ctx.actions.actOnBreak(b.breakId, 'INVESTIGATE', reason.value.trim())));
    cell.append(
      investigate,
      form(
        'accept',
        () => {
          // No money moves on an acceptance: the reason is what is left of the difference.
          if (reason.value.trim() === '') return void (message.textContent = ctx.t('form.required', { field: ctx.t('breaks.reason') }));
          void run(message, ctx, [investigate, accept], () => ctx.actions.actOnBreak(b.breakId, 'ACCEPT', reason.value.trim()));
        },
        reason,
        accept,
      ),
    );
    if (mayAdjust(ctx.principal)) {
      cell.append(h('button', { attrs: { type: 'button', 'data-action': 'propose' }, on: { click: () => proposal.replaceChildren(proposalForm(ctx, proposalFromBreak(b), () => proposal.replaceChildren())) } }, ctx.t('breaks.propose')));
    }
  }
  cell.append(message, history);
  return cell;
}

/** The maker's form, pre-filled from the break; amounts typed in major units, sent in minor units. */
function proposalForm(ctx: ViewContext, draft: ProposalDraft, close: () => void): HTMLElement {
  const input = (name: string, value: string, labelKey: LabelKey) => h('label', {}, ctx.t(labelKey), ' ', h('input', { attrs: { name, value, maxlength: '64' } }));
  const select = (name: string, values: readonly string[], selected: string, labelOf: (v: string) => string, labelKey: LabelKey) =>
    h('label', {}, ctx.t(labelKey), ' ', h('select', { attrs: { name } }, ...values.map((v) => h('option', { attrs: { value: v, ...(v === selected ? { selected: '' } : {}) } }, labelOf(v)))));
  const digits = isCurrencyCode(draft.currency) ? CURRENCIES[draft.currency].minorDigits : 2;
  const major = money(draft.amountMinor, draft.currency).replaceAll(',', '');
  const message = messageLine();
  const submit = h('button', { attrs: { type: 'submit' } }, ctx.t('proposal.submit'));
  // One id for the form: sending it twice is the same proposal, answered again.
  const adjustmentId = `ADJ-${draft.breakId.slice(3, 11)}-${ids()}`;
  const body = form(
    'proposal',
    () => {
      const field = (name: string) => (body.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement).value.trim();
      message.textContent = '';
      for (const [name, key] of [['loanId', 'proposal.loan'], ['lenderId', 'adjustments.lender'], ['counterparty', 'adjustments.counterparty'], ['component', 'adjustments.component'], ['reason', 'adjustments.reason']] as const) {
        if (field(name) === '') return void (message.textContent = ctx.t('form.required', { field: ctx.t(key) }));
      }
      const amountMinor = minorOfInput(field('amount'), digits);
      if (amountMinor === null) return void (message.textContent = ctx.t('form.amount', { field: ctx.t('adjustments.amount'), digits }));
      void run(message, ctx, [submit], () =>
        ctx.actions.proposeAdjustment({
          adjustmentId,
          breakId: draft.breakId,
          loanId: field('loanId'),
          lenderId: field('lenderId'),
          counterparty: field('counterparty'),
          currency: draft.currency,
          component: field('component'),
          direction: field('direction'),
          amountMinor,
          reason: field('reason'),
        }),
      );
    },
    h('strong', {}, ctx.t('proposal.heading', { breakId: draft.breakId })),
    input('loanId', draft.loanId, 'proposal.loan'),
    input('lenderId', draft.lenderId, 'adjustments.lender'),
    input('counterparty', draft.counterparty, 'adjustments.counterparty'),
    select('component', ['', ...ADJUSTABLE_COMPONENTS], draft.component, (c) => (c === '' ? '—' : ctx.t(COMPONENT_LABELS[c]!)), 'adjustments.component'),
    select('direction', ADJUSTMENT_DIRECTIONS, draft.direction, (d) => ctx.t(`adjustments.direction.${d as (typeof ADJUSTMENT_DIRECTIONS)[number]}`), 'adjustments.direction'),
    h('label', {}, ctx.t('adjustments.amount'), ' ', h('input', { attrs: { name: 'amount', value: major, inputmode: 'decimal' } }), ` ${draft.currency}`),
    h('label', {}, ctx.t('adjustments.reason'), ' ', h('input', { attrs: { name: 'reason', maxlength: '500' } })),
    submit,
    h('button', { attrs: { type: 'button' }, on: { click: close } }, ctx.t('proposal.cancel')),
    message,
  );
  return body;
}

// ---------------------------------------------------------------------------------------------
// Adjustments

export function adjustmentsPanel(ctx: ViewContext): HTMLElement {
  const section = h('div', { id: 'adjustments', class: 'subpanel' }, h('h3', {}, ctx.t('adjustments.heading')));
  const recon = ctx.data.recon;
  if (recon === null) return section;
  const { state, items, cursor } = recon.adjustments;
  section.append(
    h(
      'div',
      { class: 'tabs', attrs: { role: 'tablist' } },
      ...ADJUSTMENT_STATES.map((s: AdjustmentState) =>
        h('button', { attrs: { role: 'tab', 'aria-selected': String(s === state), 'data-tab': s }, on: { click: () => ctx.actions.showAdjustments(s) } }, ctx.t(`adjustments.state.${s}`)),
      ),
    ),
  );
  if (items.length === 0) {
    section.append(h('p', { class: 'empty' }, ctx.t('adjustments.none')));
    return section;
  }
  const headings: LabelKey[] = ['adjustments.id', 'proposal.loan', 'adjustments.lender', 'adjustments.counterparty', 'adjustments.component', 'adjustments.direction', 'adjustments.amount', 'adjustments.maker', 'adjustments.reason', 'adjustments.decision'];
  const rows = items.map((a) => [
    h('code', {}, a.adjustmentId),
    a.loanId,
    a.lenderId,
    a.counterparty,
    ctx.t(COMPONENT_LABELS[a.component]!),
    ctx.t(`adjustments.direction.${a.direction}`),
    h('span', { class: 'amount' }, money(a.amountMinor, a.currency)),
    h('span', {}, a.proposedBy, h('br', {}), h('span', { class: 'muted' }, instant(a.proposedAt))),
    a.reason,
    decisionCell(ctx, a),
  ]);
  const rendered = table(headings.map((k) => ctx.t(k)), rows, { class: 'adjustments' });
  rendered.querySelectorAll('tbody tr').forEach((tr, n) => tr.setAttribute('data-adjustment', items[n]!.adjustmentId));
  section.append(rendered);
  if (cursor !== null) section.append(h('button', { class: 'more', on: { click: () => ctx.actions.moreAdjustments() } }, ctx.t('breaks.more')));
  return section;
}

function decisionCell(ctx: ViewContext, a: AdjustmentView): HTMLElement {
  if (a.approval !== null && a.state === 'APPROVED') return h('span', { class: 'decision' }, ctx.t('adjustments.approvedBy', { by: a.approval.by, at: instant(a.approval.at), reason: a.approval.reason }));
  if (a.rejection !== null) return h('span', { class: 'decision' }, ctx.t('adjustments.rejectedBy', { by: a.rejection.by, at: instant(a.rejection.at), reason: a.rejection.reason }));
  const approval = approvalOf(a, ctx.principal);
  if (approval === 'HIDDEN') return h('span', { class: 'muted' }, '—');
  const reason = h('input', { attrs: { name: 'reason', placeholder: ctx.t('adjustments.reason'), 'aria-label': ctx.t('adjustments.reason'), maxlength: '500' } });
  const approve = h('button', { attrs: { type: 'button', 'data-action': 'approve' } }, ctx.t('adjustments.approve'));
  const own = approval === 'OWN_PROPOSAL';
  if (own) {
    approve.disabled = true;
    approve.title = ctx.t('adjustments.ownProposal');
  }
  const reject = h('button', { attrs: { type: 'button', 'data-action': 'reject' } }, ctx.t(a.proposedBy === actorOf(ctx.principal) ? 'adjustments.withdraw' : 'adjustments.reject'));
  const message = messageLine();
  const decide = (decision: 'approval' | 'rejection') => {
    if (reason.value.trim() === '') return void (message.textContent = ctx.t('form.required', { field: ctx.t('adjustments.reason') }));
    void run(message, ctx, [approve, reject], () => ctx.actions.decideAdjustment(a.adjustmentId, decision, reason.value.trim()));
  };
  approve.addEventListener('click', () => decide('approval'));
  reject.addEventListener('click', () => decide('rejection'));
  return h('div', { class: 'decide' }, reason, approve, reject, own ? h('span', { class: 'muted' }, ctx.t('adjustments.ownProposal')) : null, message);
}
