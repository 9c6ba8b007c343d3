import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { restrictedTo } from '../../shared/domain/access.ts';
import type { AdjustmentState } from '../../shared/domain/adjustment.ts';
import { OPEN_BREAK_STATES } from '../../shared/domain/reconciliation-break.ts';
import { ApiError, apiClient, type AdjustmentPage, type BreakPage, type BreakView, type ReconciliationList, type ReconciliationView, type RunList, type RunView, type Statements, type UploadAnswer } from './api.ts';
import { currentSession, endSession, finishCognitoSignIn, localSignIn, localUsers, signOutUrl, startCognitoSignIn, type LocalUserView, type Session } from './auth.ts';
import type { CognitoConfig, ConsoleConfig } from './config.ts';
import { isPlatform, type BreakFilter, type ConsoleActions, type ConsoleData, type ProposalBody, type ReconcileRequest, type ReconData, type ViewContext } from './context.ts';
import { h } from './dom.ts';
import { DEFAULT_LANGUAGE, isLanguage, label, type LabelKey, type Language } from './i18n.ts';
import { breaksByAgeChart, collectionsChart } from './views/charts.ts';
import { adjustmentsPanel, breaksPanel, reconciliationsPanel } from './views/reconciliation.ts';
import { datePicker, filesPanel, runPanel } from './views/settlement.ts';
import { signInView } from './views/sign-in.ts';
import { putUpload, sha256Hex } from './upload.ts';

/**
 * The finance console (docs/console.md): sign in, pick a business date, see its settlement run,
 * instructions and files, its reconciliations, the breaks and the adjustments with their actions
 * (maker-checker), and the charts of collections per lender per day and of open breaks by age.
 * Everything it shows
 * comes from the `/v1` API with the signed-in user's token; it keeps no data of its own.
 * `<body data-state="ready" data-date="...">` says the view of a date is rendered (the tests and
 * the bench wait for it).
 */

const LANGUAGE_KEY = 'colend.console.language';
const root = document.getElementById('app')!;

let language: Language = (() => {
  const saved = localStorage.getItem(LANGUAGE_KEY);
  return isLanguage(saved) ? saved : DEFAULT_LANGUAGE;
})();
let config: ConsoleConfig = { signIn: 'local' };
let session: Session | null = null;
let users: LocalUserView[] = [];
let message: string | null = null;
const EMPTY: ConsoleData = { runs: null, date: null, run: null, statements: null, error: null, recon: null };
let data: ConsoleData = EMPTY;

const t = (key: LabelKey, values?: Readonly<Record<string, string | number>>) => label(language, key, values);
const api = apiClient(
  () => config.apiUrl ?? '',
  () => session?.accessToken ?? null,
  () => signOut(t('error.sessionEnded')),
);

function describe(error: unknown): string {
  if (error instanceof ApiError) return t(error.status === 403 ? 'error.forbidden' : 'error.generic', { message: `${error.code}: ${error.message}` });
  return t('error.generic', { message: error instanceof Error ? error.message : String(error) });
}

function setReady(state: 'loading' | 'ready'): void {
  document.body.dataset.state = state;
  document.body.dataset.date = data.date ?? '';
  // How long the view took from the navigation, for anyone measuring it (the bench reads it).
  if (state === 'ready' && data.date !== null) performance.mark('colend:view-ready', { detail: data.date });
}

function render(): void {
  document.documentElement.lang = language === 'zh' ? 'zh-CN' : 'en';
  document.title = t('app.title');
  const header = h(
    'header',
    {},
    h('h1', {}, h('span', { class: 'product' }, t('app.product')), ' ', t('app.title')),
    h(
      'nav',
      {},
      session === null ? null : h('span', { id: 'who' }, `${session.principal.userId} · ${session.principal.roles.map((role) => t(`role.${role}`)).join(' + ')} · ${restrictedTo(session.principal) ?? t('user.platform')}`),
      h('button', { id: 'language', attrs: { 'aria-label': t('language.switchLabel') }, on: { click: () => switchLanguage() } }, t('language.switch')),
      session === null ? null : h('button', { id: 'sign-out', on: { click: () => signOut(null) } }, t('signOut')),
    ),
  );
  const main = h('main', {});
  if (session === null) {
    main.append(signInView({ language, t, config, users, message, signInLocal: (u) => void signInLocal(u), signInCognito: () => void startCognitoSignIn(config as CognitoConfig) }));
  } else {
    const ctx: ViewContext = { language, t, principal: session.principal, api, data, actions };
    if (data.error !== null) main.append(h('p', { class: 'error', attrs: { role: 'alert' } }, data.error));
    main.append(
      datePicker(ctx),
      runPanel(ctx),
      filesPanel(ctx),
      h('div', { class: 'charts' }, collectionsChart(ctx), breaksByAgeChart(ctx)),
      h('section', { id: 'reconciliation', class: 'panel' }, h('h2', {}, t('recon.heading')), reconciliationsPanel(ctx), breaksPanel(ctx), adjustmentsPanel(ctx)),
    );
  }
  root.replaceChildren(header, main);
}

function switchLanguage(): void {
  language = language === 'zh' ? 'en' : 'zh';
  localStorage.setItem(LANGUAGE_KEY, language);
  render();
}

function signOut(notice: string | null): void {
  endSession();
  session = null;
  message = notice;
  data = EMPTY;
  const away = notice === null ? signOutUrl(config) : null;
  if (away !== null) location.assign(away);
  else void showSignIn();
}

/** The sign-in page; in AWS straight on to the hosted login, unless there is something to say first. */
async function showSignIn(): Promise<void> {
  if (config.signIn === 'cognito' && message === null) {
    await startCognitoSignIn(config);
    return;
  }
  if (config.signIn === 'local' && users.length === 0) {
    try {
      users = await localUsers();
    } catch (error) {
      message = describe(error);
    }
  }
  setReady('ready');
  render();
}

async function signInLocal(username: string): Promise<void> {
  try {
    session = await localSignIn(username);
    message = null;
    await loadRuns();
  } catch (error) {
    message = t('signIn.failed', { message: error instanceof Error ? error.message : String(error) });
    render();
  }
}

/** The chart and the date picker show this many runs up to the date on view: about a month of business days. */
const RUNS_SHOWN = 23;

/** The latest runs up to a date (or the latest of all), for the chart and the date picker. */
function listRuns(to: string | null): Promise<RunList> {
  return api.get<RunList>(`/v1/settlement-runs?limit=${RUNS_SHOWN}${to === null ? '' : `&to=${to}`}`).then((runs) => {
    data = { ...data, runs };
    return runs;
  });
}

/**
 * The runs and the date asked for in the address (`#2026-11-30`), side by side; without a date in
 * the address, the latest settled date of the runs.
 */
async function loadRuns(): Promise<void> {
  setReady('loading');
  const asked = /^#(\d{4}-\d{2}-\d{2})$/.exec(location.hash)?.[1] ?? null;
  const listing = listRuns(asked);
  try {
    const date = asked ?? [...(await listing).runs].reverse().find((r) => r.status === 'SETTLED')?.businessDate ?? null;
    if (date === null) await listing;
    else await Promise.all([listing, loadDate(date)]);
  } catch (error) {
    data = { ...data, error: describe(error) };
  }
  render();
  setReady('ready');
}

/** The user picked a date: its run, and the runs up to it when it is beyond those shown. */
async function selectDate(date: string): Promise<void> {
  setReady('loading');
  const shown = data.runs?.runs ?? [];
  const within = shown.length > 0 && shown[0]!.businessDate <= date && date <= shown.at(-1)!.businessDate;
  try {
    await Promise.all([loadDate(date), within ? Promise.resolve() : listRuns(date)]);
  } catch (error) {
    data = { ...data, error: describe(error) };
  }
  render();
  setReady('ready');
}

/** The run of a date (the platform's teams), or the caller's own lender's files of it. */
async function loadDate(date: string): Promise<void> {
  const principal = session?.principal;
  if (principal === undefined) return;
  data = { ...data, date, run: null, statements: null, error: null, recon: null };
  render();
  history.replaceState(null, '', `#${date}`);
  const settlement = async () => {
    // Each answer is merged into the data as it is when it arrives: the two calls run side by side.
    if (isPlatform(principal)) {
      const run = await orNotFound(api.get<RunView>(`/v1/settlement-runs/${date}`));
      data = { ...data, run };
    } else {
      const statements = await orNotFound(api.get<Statements>(`/v1/lenders/${encodeURIComponent(restrictedTo(principal)!)}/statements/${date}`));
      data = { ...data, statements };
    }
  };
  const reconciliation = async () => {
    const recon = await loadRecon(date);
    data = { ...data, recon };
  };
  const failed = (await Promise.allSettled([settlement(), reconciliation()])).find((r) => r.status === 'rejected');
  if (failed !== undefined) data = { ...data, error: describe(failed.reason) };
}

const query = (params: Readonly<Record<string, string | undefined>>): string => {
  const defined = Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined);
  return defined.length === 0 ? '' : `?${new URLSearchParams(defined).toString()}`;
};

const breaksPage = (filter: BreakFilter, cursor?: string) => api.get<BreakPage>(`/v1/breaks${query({ state: filter.state, kind: filter.kind, cursor })}`);
const adjustmentsPage = (state: AdjustmentState, cursor?: string) => api.get<AdjustmentPage>(`/v1/adjustments${query({ state, cursor })}`);

/** Every open and investigating break the caller may see, page by page (the chart counts them all). */
async function openBreaks(): Promise<BreakView[]> {
  const all: BreakView[] = [];
  await Promise.all(
    OPEN_BREAK_STATES.map(async (state) => {
      let cursor: string | undefined;
      do {
        const page = await api.get<BreakPage>(`/v1/breaks${query({ state, limit: '500', cursor })}`);
        all.push(...page.items);
        cursor = page.cursor ?? undefined;
      } while (cursor !== undefined);
    }),
  );
  return all;
}

/** The reconciliation panels of a date, the breaks' filter and the adjustments' tab kept. */
async function loadRecon(date: string): Promise<ReconData> {
  const filter = data.recon?.breaks.filter ?? {};
  const state = data.recon?.adjustments.state ?? 'PROPOSED';
  const [reconciliations, breaks, adjustments, open] = await Promise.all([
    api.get<ReconciliationList>(`/v1/reconciliations${query({ businessDate: date })}`),
    breaksPage(filter),
    adjustmentsPage(state),
    openBreaks(),
  ]);
  return {
    reconciliations: reconciliations.reconciliations,
    breaks: { filter, items: breaks.items, cursor: breaks.cursor },
    adjustments: { state, items: adjustments.adjustments, cursor: adjustments.cursor },
    openBreaks: open,
  };
}

/** Reloads the reconciliation panels after an action or a change of filter, keeping the rest. */
async function reloadRecon(change: (recon: ReconData) => Promise<ReconData> = async (recon) => ({ ...recon, ...(await loadRecon(data.date!)) })): Promise<void> {
  const recon = data.recon;
  if (data.date === null || recon === null) return;
  setReady('loading');
  try {
    const changed = await change(recon);
    data = { ...data, recon: changed, error: null };
  } catch (error) {
    data = { ...data, error: describe(error) };
  }
  render();
  setReady('ready');
}

/** An API error as it came (code and message), for the form that called. */
function asIs(error: unknown): Error {
  return new Error(error instanceof ApiError ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error), { cause: error });
}

async function acting(call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (error) {
    throw asIs(error);
  }
  await reloadRecon();
}

/** Uploads a counterpart file (its bytes to the URL the API gives), starts its reconciliation and waits a little for its report. */
async function reconcileFile(file: File, request: ReconcileRequest): Promise<string> {
  const date = data.date;
  if (date === null) throw new Error('no business date');
  let started: { reconciliationId: string; status: string };
  try {
    const bytes = await file.arrayBuffer();
    const upload = await api.post<UploadAnswer>('/v1/reconciliation-uploads', { fileName: file.name, sha256: await sha256Hex(bytes) }, crypto.randomUUID());
    const put = await putUpload(upload, bytes);
    if (!put.ok) throw new Error(`${put.status}: ${await put.text()}`);
    started = await api.post('/v1/reconciliations', { uploadId: upload.uploadId, businessDate: date, ...request }, crypto.randomUUID());
    for (let i = 0; i < 50 && (started.status === 'RECEIVED' || started.status === 'RUNNING'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      started = await api.get<ReconciliationView>(`/v1/reconciliations/${encodeURIComponent(started.reconciliationId)}`);
    }
  } catch (error) {
    throw asIs(error);
  }
  await reloadRecon();
  return started.status;
}

/** The first page of breaks of a filter, or the next page added to those shown. */
const breaksShown = (filter: BreakFilter, next: boolean) =>
  reloadRecon(async (recon) => {
    const page = await breaksPage(filter, next ? (recon.breaks.cursor ?? undefined) : undefined);
    return { ...recon, breaks: { filter, items: [...(next ? recon.breaks.items : []), ...page.items], cursor: page.cursor } };
  });

/** The first page of adjustments in a state, or the next page added to those shown. */
const adjustmentsShown = (state: AdjustmentState, next: boolean) =>
  reloadRecon(async (recon) => {
    const page = await adjustmentsPage(state, next ? (recon.adjustments.cursor ?? undefined) : undefined);
    return { ...recon, adjustments: { state, items: [...(next ? recon.adjustments.items : []), ...page.adjustments], cursor: page.cursor } };
  });

const actions: ConsoleActions = {
  selectDate: (d) => void selectDate(d),
  recordExecuted,
  // A copy for people is `human/{name}`, served under that path: each segment encoded on its own.
  download: (lenderId, fileName) =>
    save(`/v1/lenders/${encodeURIComponent(lenderId)}/statements/${data.date ?? ''}/${fileName.split('/').map(encodeURIComponent).join('/')}`, fileName.slice(fileName.lastIndexOf('/') + 1)),
  save,
  reconcileFile,
  filterBreaks: (filter) => void breaksShown(filter, false),
  moreBreaks: () => void breaksShown(data.recon?.breaks.filter ?? {}, true),
  breakHistory: async (breakId) => {
    try {
      return await api.get<BreakView>(`/v1/breaks/${encodeURIComponent(breakId)}`);
    } catch (error) {
      throw asIs(error);
    }
  },
  actOnBreak: (breakId, action, reason) => acting(() => api.post(`/v1/breaks/${encodeURIComponent(breakId)}/actions`, { action, reason }, crypto.randomUUID())),
  proposeAdjustment: (body: ProposalBody) => acting(() => api.post('/v1/adjustments', body, crypto.randomUUID())),
  showAdjustments: (state) => void adjustmentsShown(state, false),
  moreAdjustments: () => void adjustmentsShown(data.recon?.adjustments.state ?? 'PROPOSED', true),
  decideAdjustment: (adjustmentId, decision, reason) => acting(() => api.post(`/v1/adjustments/${encodeURIComponent(adjustmentId)}/${decision}`, { reason }, crypto.randomUUID())),
};

async function orNotFound<T>(request: Promise<T>): Promise<T | 'NOT_FOUND'> {
  try {
    return await request;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return 'NOT_FOUND';
    throw error;
  }
}

async function recordExecuted(instructionId: string, bankReference: string, executedAt: string): Promise<void> {
  const date = data.date;
  if (date === null) return;
  try {
    await api.post(`/v1/settlement-runs/${date}/instructions/${encodeURIComponent(instructionId)}/executed`, { bankReference, executedAt }, crypto.randomUUID());
  } catch (error) {
    throw new Error(describe(error), { cause: error });
  }
  await selectDate(date);
}

/** A file the API serves, fetched with the bearer token and saved under its name. */
async function save(path: string, fileName: string): Promise<void> {
  try {
    const blob = await api.blob(path);
    const url = URL.createObjectURL(blob);
    const link = h('a', { attrs: { href: url, download: fileName } });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (error) {
    data = { ...data, error: describe(error) };
    render();
  }
}

async function boot(): Promise<void> {
  setReady('loading');
  try {
    config = (await (await fetch('config.json')).json()) as ConsoleConfig;
    session = config.signIn === 'cognito' ? ((await finishCognitoSignIn(config)) ?? currentSession()) : currentSession();
  } catch (error) {
    message = describe(error);
  }
  if (session === null) await showSignIn();
  else await loadRuns();
}

void boot();
