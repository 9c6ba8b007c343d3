import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { restrictedTo } from '../../shared/domain/access.ts';
import { ApiError, apiClient, type RunList, type RunView, type Statements } from './api.ts';
import { currentSession, endSession, finishCognitoSignIn, localSignIn, localUsers, signOutUrl, startCognitoSignIn, type LocalUserView, type Session } from './auth.ts';
import type { CognitoConfig, ConsoleConfig } from './config.ts';
import { isPlatform, type ConsoleData, type ViewContext } from './context.ts';
import { h } from './dom.ts';
import { DEFAULT_LANGUAGE, isLanguage, label, type LabelKey, type Language } from './i18n.ts';
import { collectionsChart } from './views/charts.ts';
import { reconciliationSection } from './views/reconciliation.ts';
import { datePicker, filesPanel, runPanel } from './views/settlement.ts';
import { signInView } from './views/sign-in.ts';

/**
 * The finance console (docs/console.md): sign in, pick a business date, see its settlement run,
 * instructions and files, and the chart of collections per lender per day. Everything it shows
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
let data: ConsoleData = { runs: null, date: null, run: null, statements: null, error: null };

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
      session === null ? null : h('span', { id: 'who' }, `${session.principal.userId} · ${t(`role.${session.principal.role}`)} · ${restrictedTo(session.principal) ?? t('user.platform')}`),
      h('button', { id: 'language', attrs: { 'aria-label': t('language.switchLabel') }, on: { click: () => switchLanguage() } }, t('language.switch')),
      session === null ? null : h('button', { id: 'sign-out', on: { click: () => signOut(null) } }, t('signOut')),
    ),
  );
  const main = h('main', {});
  if (session === null) {
    main.append(signInView({ language, t, config, users, message, signInLocal: (u) => void signInLocal(u), signInCognito: () => void startCognitoSignIn(config as CognitoConfig) }));
  } else {
    const ctx: ViewContext = { language, t, principal: session.principal, api, data, actions: { selectDate: (d) => void selectDate(d), recordExecuted, download } };
    if (data.error !== null) main.append(h('p', { class: 'error', attrs: { role: 'alert' } }, data.error));
    main.append(datePicker(ctx), runPanel(ctx), filesPanel(ctx), collectionsChart(ctx), reconciliationSection(ctx));
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
  data = { runs: null, date: null, run: null, statements: null, error: null };
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
  data = { ...data, date, run: null, statements: null, error: null };
  render();
  history.replaceState(null, '', `#${date}`);
  try {
    if (isPlatform(principal)) {
      data = { ...data, run: await orNotFound(api.get<RunView>(`/v1/settlement-runs/${date}`)) };
    } else {
      data = { ...data, statements: await orNotFound(api.get<Statements>(`/v1/lenders/${encodeURIComponent(restrictedTo(principal)!)}/statements/${date}`)) };
    }
  } catch (error) {
    data = { ...data, error: describe(error) };
  }
}

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
    await api.post(`/v1/settlement-runs/${date}/instructions/${encodeURIComponent(instructionId)}/executed`, { bankReference, executedAt });
  } catch (error) {
    throw new Error(describe(error), { cause: error });
  }
  await selectDate(date);
}

async function download(lenderId: string, fileName: string): Promise<void> {
  const date = data.date;
  if (date === null) return;
  try {
    const blob = await api.blob(`/v1/lenders/${encodeURIComponent(lenderId)}/statements/${date}/${encodeURIComponent(fileName)}`);
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
