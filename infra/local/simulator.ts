import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { addDays } from '../../shared/domain/money/index.ts';
import { parseScenario, type Scenario } from './scenario.ts';
import { startLocalStack, type LocalStack } from './stack.ts';

/**
 * `colend simulate <scenario.json>` (docs/scenario.md): plays a co-lending story through the
 * local stack, day by day on the stack's clock. Each day at 10:00 Beijing time its loans are
 * booked and its repayments and other events posted through the API, as the lead's systems
 * would; at 23:00, after the cut-off, the day is settled when it is a business day. At the end
 * every lender's files are copied to the output folder with a summary of positions and of what
 * settlement moved per lender and component.
 */

export interface SimulationOptions {
  /** Where the lenders' files and `summary.json` are written. */
  readonly out: string;
  readonly log?: (line: string) => void;
  /** A running local stack to play on (its clock is moved); one is started (and stopped) when absent. */
  readonly stack?: LocalStack;
  /** Copy the lenders' files from the stack's file folder to `out` (default true; `npm start` writes the summary beside them instead). */
  readonly copyFiles?: boolean;
}

export interface SimulationSummary {
  readonly scenario: string;
  readonly start: string;
  readonly end: string;
  readonly loansBooked: number;
  readonly repaymentsBooked: number;
  readonly repaymentsRefused: readonly { readonly repaymentId: string; readonly status: string; readonly code?: string }[];
  readonly eventsPlayed: number;
  /** Every application as its review and disbursement left it: booked (its loan bears its id), rejected, cancelled… */
  readonly applications: readonly ApplicationOutcome[];
  /** What each risk update of the story did: counts per class, and the loans it compensated, wrote off or held. */
  readonly riskUpdates: readonly RiskUpdateOutcome[];
  /** Every compensation (代偿) and write-off booked on the story's loans, by a risk update or a write-off event, with the principal each lender gave up. */
  readonly losses: readonly LossOutcome[];
  readonly settledDates: readonly string[];
  /**
   * Per lender: its outstanding principal (from its positions), the principal a guarantor
   * compensated it for and the principal written off its books, and what settlement moved, net,
   * per component (minor units).
   */
  readonly lenders: Readonly<
    Record<
      string,
      {
        readonly outstandingPrincipalMinor: string;
        readonly compensatedPrincipalMinor: string;
        readonly writtenOffPrincipalMinor: string;
        readonly settledByComponentMinor: Readonly<Record<string, string>>;
        readonly settledNetMinor: string;
      }
    >
  >;
}

export interface ApplicationOutcome {
  readonly applicationId: string;
  readonly on: string;
  /** BOOKED, REJECTED, CANCELLED, DISBURSEMENT_FAILED, EXPIRED or REVIEW_FAILED. */
  readonly status: string;
  readonly loanId: string | null;
  readonly rounds: number;
  /** Each partner asked, in the order asked: its answer (APPROVED, DECLINED, TIMED_OUT), what it was asked and what it approved. */
  readonly decisions: readonly { readonly lenderId: string; readonly round: number; readonly state: string; readonly askedAmountMinor: string; readonly approvedAmountMinor: string | null }[];
  /** The funding plan, or null when none was made. */
  readonly plan: readonly { readonly lenderId: string; readonly amountMinor: string }[] | null;
  /** The rules that rejected it (empty unless rejected). */
  readonly rejectedBecause: readonly string[];
}

export interface RiskUpdateOutcome {
  readonly businessDate: string;
  readonly byClass: Readonly<Record<string, number>>;
  readonly compensated: readonly string[];
  readonly writtenOff: readonly string[];
  readonly held: readonly { readonly loanId: string; readonly code: string }[];
}

export interface LossOutcome {
  readonly loanId: string;
  readonly type: 'COMPENSATION' | 'WRITE_OFF';
  readonly eventId: string;
  /** Per lender, the principal it no longer holds: paid by the guarantor (a compensation) or lost (a write-off of the lenders' principal). */
  readonly principalByLenderMinor: Readonly<Record<string, string>>;
  /** Per party, what it lost (LOSSES): a write-off's shares, the guarantor's claim once written off. */
  readonly lossesByPartyMinor: Readonly<Record<string, string>>;
  /** A compensation: the claim the guarantor took over (principal and the interest it covered). */
  readonly guarantorClaimMinor: string | null;
}

/** 10:00 and 23:00 in Beijing: the day's business, and after its 22:00 cut-off. */
const morning = (date: string) => `${date}T02:00:00.000Z`;
const night = (date: string) => `${date}T15:00:00.000Z`;

interface Api {
  call<T = Record<string, unknown>>(method: string, path: string, body?: unknown, key?: string): Promise<{ status: number; json: T }>;
}

function apiOf(stack: LocalStack, token: string): Api {
  return {
    async call<T>(method: string, path: string, body?: unknown, key?: string) {
      const response = await fetch(`${stack.baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(key === undefined ? {} : { 'idempotency-key': key }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, json: (text === '' ? {} : JSON.parse(text)) as T };
    },
  };
}

interface PlannedLoan {
  readonly on: string;
  readonly body: Record<string, unknown>;
  readonly repay: Scenario['loans'][number]['repay'];
}

/** The scenario's loans, its series expanded, in the order they are booked. */
export function plannedLoans(scenario: Scenario): PlannedLoan[] {
  const loans: PlannedLoan[] = scenario.loans.map((l) => ({ on: l.on, body: { disbursementDate: l.on, ...l.loan }, repay: l.repay }));
  for (const series of scenario.loanSeries) {
    for (let n = 0; n < series.count; n++) {
      const on = addDays(series.from, n * series.everyDays);
      if (on > scenario.end) break;
      const loanId = `${series.idPrefix}${String(n + 1).padStart(4, '0')}`;
      const borrower = { ...(series.template.borrower as Record<string, unknown> | undefined), borrowerId: `B-${loanId}` };
      const k = n + 1;
      const late: Record<string, number> = series.late !== undefined && k % series.late.every === 0 ? { [String(series.late.instalment)]: series.late.days } : {};
      const partial: Record<string, number> = series.partial !== undefined && k % series.partial.every === 0 ? { [String(series.partial.instalment)]: series.partial.shareBps } : {};
      const missed = series.missed !== undefined && k % series.missed.every === 0 ? Array.from({ length: 600 }, (_, i) => series.missed!.fromInstalment + i) : [];
      loans.push({
        on,
        body: { ...series.template, loanId, borrower, disbursementDate: on, disbursementReference: `DISB-${loanId}` },
        repay: { mode: 'SCHEDULE', late, partial, missed },
      });
    }
  }
  return loans.sort((a, b) => (a.on < b.on ? -1 : a.on > b.on ? 1 : 0));
}

export async function simulate(json: unknown, options: SimulationOptions): Promise<SimulationSummary> {
  const scenario = parseScenario(json);
  const log = options.log ?? (() => undefined);
  const stack = options.stack ?? (await startLocalStack({ port: 0, runSchedules: false, log: () => undefined, longRunning: true }));
  try {
    return await play(scenario, stack, options.out, log, options.copyFiles ?? true);
  } finally {
    stack.setTime(null);
    if (options.stack === undefined) await stack.stop();
  }
}

async function play(scenario: Scenario, stack: LocalStack, out: string, log: (line: string) => void, copyFiles: boolean): Promise<SimulationSummary> {
  stack.setTime(morning(scenario.start));
  const lead = apiOf(stack, await stack.mintToken({ scopes: ['lead'] }));
  const finance = apiOf(stack, await stack.mintToken({ scopes: ['finance'] }));
  const must = async (what: string, answer: Promise<{ status: number; json: unknown }>, ok: number[]) => {
    const { status, json } = await answer;
    if (!ok.includes(status)) throw new Error(`${what}: the API answered ${status} ${JSON.stringify(json)}`);
    return json;
  };
  for (const [i, lender] of scenario.lenders.entries()) await must(`lenders[${i}]`, lead.call('POST', '/v1/lenders', lender, `sim-lender-${String(lender.lenderId)}`), [201]);
  for (const [i, program] of scenario.programs.entries()) await must(`programs[${i}]`, lead.call('POST', '/v1/programs', program, `sim-program-${String(program.programId)}-${i}`), [201]);

  const loans = plannedLoans(scenario);
  const lenderIds = scenario.lenders.map((l) => String(l.lenderId));
  const partners = partnerApis(stack);
  const agenda = new Map<string, { repaymentId: string; loanId: string; amountMinor: string }[]>();
  const summary = {
    loansBooked: 0,
    repaymentsBooked: 0,
    repaymentsRefused: [] as SimulationSummary['repaymentsRefused'][number][],
    eventsPlayed: 0,
    applications: [] as ApplicationOutcome[],
    riskUpdates: [] as RiskUpdateOutcome[],
    settledDates: [] as string[],
  };
  const lossLoans = new Set<string>();
  const settled = new Map<string, Map<string, bigint>>();
  let nextLoan = 0;
  // The repayments a booked loan's schedule calls for, on the days the scenario says it pays them.
  const scheduleRepayments = async (loanId: string, repay: Scenario['loans'][number]['repay']) => {
    if (repay.mode === 'NONE') return;
    const schedule = (await must(`schedule of ${loanId}`, lead.call('GET', `/v1/loans/${loanId}/schedule`), [200])) as { borrower: { instalments: { number: number; dueDate: string; totalMinor: string }[] } };
    for (const instalment of schedule.borrower.instalments) {
      if (repay.missed.includes(instalment.number)) continue;
      const on = addDays(instalment.dueDate, repay.late[String(instalment.number)] ?? 0);
      if (on > scenario.end) continue;
      const share = repay.partial[String(instalment.number)];
      const amountMinor = share === undefined ? instalment.totalMinor : ((BigInt(instalment.totalMinor) * BigInt(share)) / 10_000n).toString();
      agenda.set(on, [...(agenda.get(on) ?? []), { repaymentId: `${loanId}-I${instalment.number}`, loanId, amountMinor }]);
    }
  };

  for (let day = scenario.start; day <= scenario.end; day = addDays(day, 1)) {
    stack.setTime(morning(day));
    // The day's loans, and the repayments their schedules call for.
    for (; nextLoan < loans.length && loans[nextLoan]!.on === day; nextLoan++) {
      const { body, repay } = loans[nextLoan]!;
      const loanId = String(body.loanId);
      await must(`loan ${loanId}`, lead.call('POST', '/v1/loans', body, `sim-loan-${loanId}`), [201]);
      summary.loansBooked++;
      await scheduleRepayments(loanId, repay);
    }
    // The day's applications, reviewed side by side; those booked are repaid like the day's loans.
    const reviewed = await Promise.all(scenario.applications.filter((a) => a.on === day).map((a) => playApplication(a, lead, partners, must)));
    for (const [outcome, repay] of reviewed) {
      summary.applications.push(outcome);
      log(`${day}: application ${outcome.applicationId} ${outcome.status}${outcome.decisions.filter((d) => d.state !== 'APPROVED').map((d) => `, ${d.lenderId} ${d.state}`).join('')}`);
      if (outcome.loanId === null) continue;
      summary.loansBooked++;
      await scheduleRepayments(outcome.loanId, repay);
    }
    // The day's repayments (scheduled and named), then its other events: a reversal finds its repayment booked.
    const events = scenario.events.filter((e) => e.on === day);
    for (const event of events.filter((e) => e.type === 'repayment')) {
      agenda.set(day, [...(agenda.get(day) ?? []), { repaymentId: event.repaymentId, loanId: event.loanId, amountMinor: event.amountMinor, ...(event.kind === undefined ? {} : { kind: event.kind }) }]);
    }
    const due = agenda.get(day) ?? [];
    for (let i = 0; i < due.length; i += 100) {
      const batch = due.slice(i, i + 100).map((r) => ({ ...r, currency: 'CNY', valueDate: day, channel: 'AUTO_DEBIT' }));
      const answer = (await must(`repayments of ${day}`, lead.call('POST', '/v1/repayments', { repayments: batch }, `sim-repayments-${day}-${i}`), [200])) as { results: { repaymentId: string; status: string; code?: string }[] };
      for (const result of answer.results) {
        if (result.status === 'BOOKED' || result.status === 'REPLAYED') summary.repaymentsBooked++;
        else summary.repaymentsRefused.push({ repaymentId: result.repaymentId, status: result.status, ...(result.code === undefined ? {} : { code: result.code }) });
      }
    }
    summary.eventsPlayed += events.filter((e) => e.type === 'repayment').length;
    for (const event of events.filter((e) => e.type !== 'repayment')) {
      await playEvent(event, lead, finance, must);
      summary.eventsPlayed++;
      if (event.type === 'writeOff') lossLoans.add(event.loanId);
      if (event.type === 'riskUpdate') {
        const report = await riskUpdateOf(finance, event.on);
        for (const loanId of [...report.compensated, ...report.writtenOff]) lossLoans.add(loanId);
        summary.riskUpdates.push(report);
        log(`${day}: risk update compensated ${report.compensated.length}, wrote off ${report.writtenOff.length}, held ${report.held.length}`);
      }
    }
    // After the cut-off: the day is settled if it is a business day.
    stack.setTime(night(day));
    const started = await finance.call<{ code?: string }>('POST', '/v1/settlement-runs', { businessDate: day }, `sim-settle-${day}`);
    if (started.status === 422 && started.json.code === 'NOT_A_BUSINESS_DAY') continue;
    if (started.status !== 202) throw new Error(`settlement of ${day}: the API answered ${started.status} ${JSON.stringify(started.json)}`);
    const run = await settledRun(finance, day);
    summary.settledDates.push(day);
    for (const instruction of run.instructions) addSettled(settled, instruction);
    log(`${day}: ${summary.loansBooked} loans booked, ${summary.repaymentsBooked} repayments, settled ${run.run.entries} entries into ${run.run.instructions} instructions`);
  }

  await mkdir(out, { recursive: true });
  if (copyFiles) {
    await cp(join(stack.filesDir, 'statements'), join(out, 'statements'), { recursive: true, force: true }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
  const losses: LossOutcome[] = [];
  for (const loanId of [...lossLoans].sort()) losses.push(...(await lossesOf(lead, loanId)));
  const lenders: Record<string, SimulationSummary['lenders'][string]> = {};
  for (const lenderId of lenderIds) {
    // Every page of the lender's positions, its outstanding principal added up over them.
    let outstandingPrincipalMinor = 0n;
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '?limit=100' : `?limit=100&cursor=${cursor}`;
      const page = (await must(`positions of ${lenderId}`, finance.call('GET', `/v1/lenders/${encodeURIComponent(lenderId)}/positions${query}`), [200])) as PositionsPage;
      for (const p of page.positions) outstandingPrincipalMinor += BigInt(p.outstandingPrincipalMinor);
      cursor = page.cursor;
    } while (cursor !== null);
    const byComponent = settled.get(lenderId) ?? new Map<string, bigint>();
    const principalOf = (type: LossOutcome['type']) => losses.filter((l) => l.type === type).reduce((sum, l) => sum + BigInt(l.principalByLenderMinor[lenderId] ?? '0'), 0n);
    lenders[lenderId] = {
      outstandingPrincipalMinor: outstandingPrincipalMinor.toString(),
      compensatedPrincipalMinor: principalOf('COMPENSATION').toString(),
      writtenOffPrincipalMinor: principalOf('WRITE_OFF').toString(),
      settledByComponentMinor: Object.fromEntries([...byComponent].sort(([a], [b]) => (a < b ? -1 : 1)).map(([c, v]) => [c, v.toString()])),
      settledNetMinor: [...byComponent.values()].reduce((s, v) => s + v, 0n).toString(),
    };
  }
  const result: SimulationSummary = { scenario: scenario.name, start: scenario.start, end: scenario.end, ...summary, losses, lenders };
  await writeFile(join(out, 'summary.json'), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

/** A page of `GET /v1/lenders/{lenderId}/positions`. */
interface PositionsPage {
  positions: { outstandingPrincipalMinor: string }[];
  cursor: string | null;
}

interface RunView {
  run: { status: string; entries: number; instructions: number };
  instructions: { payer: string; payee: string; componentsMinor: Record<string, string> }[];
}

async function settledRun(finance: Api, day: string): Promise<RunView> {
  for (let i = 0; i < 6000; i++) {
    const read = await finance.call<RunView>('GET', `/v1/settlement-runs/${day}`);
    if (read.status === 200 && read.json.run.status === 'SETTLED') return read.json;
    if (read.status === 200 && read.json.run.status === 'FAILED') throw new Error(`settlement of ${day} failed: ${JSON.stringify(read.json.run)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`settlement of ${day} did not end`);
}

/** What an instruction moves, per party and component: the payee receives each component, the payer pays it. */
function addSettled(settled: Map<string, Map<string, bigint>>, instruction: RunView['instructions'][number]): void {
  for (const [component, amount] of Object.entries(instruction.componentsMinor)) {
    for (const [party, sign] of [
      [instruction.payee, 1n],
      [instruction.payer, -1n],
    ] as const) {
      const own = settled.get(party) ?? new Map<string, bigint>();
      own.set(component, (own.get(component) ?? 0n) + sign * BigInt(amount));
      settled.set(party, own);
    }
  }
}

async function playEvent(
  event: Exclude<Scenario['events'][number], { type: 'repayment' }>,
  lead: Api,
  finance: Api,
  must: (what: string, answer: Promise<{ status: number; json: unknown }>, ok: number[]) => Promise<unknown>,
): Promise<void> {
  switch (event.type) {
    case 'reversal':
      await must(`reversal ${event.reversalId}`, lead.call('POST', `/v1/repayments/${event.repaymentId}/reversal`, { reversalId: event.reversalId, reason: event.reason }, `sim-${event.reversalId}`), [200, 201]);
      return;
    case 'transfer':
      await must(`transfer on ${event.loanId}`, lead.call('POST', `/v1/loans/${event.loanId}/transfers`, event.transfer, `sim-transfer-${String(event.transfer.transferId)}`), [200, 201]);
      return;
    case 'buyback':
      await must(`buyback on ${event.loanId}`, lead.call('POST', `/v1/loans/${event.loanId}/buybacks`, event.buyback, `sim-buyback-${String(event.buyback.buybackId)}`), [200, 201]);
      return;
    case 'writeOff':
      await must(`write-off ${event.writeOffId}`, lead.call('POST', `/v1/loans/${event.loanId}/write-off`, { writeOffId: event.writeOffId, valueDate: event.on, reason: event.reason }, `sim-${event.writeOffId}`), [200, 201]);
      return;
    case 'riskUpdate':
      await must(`risk update of ${event.on}`, finance.call('POST', '/v1/risk-updates', { businessDate: event.on }, `sim-risk-${event.on}`), [202]);
      return;
  }
}

type Must = (what: string, answer: Promise<{ status: number; json: unknown }>, ok: number[]) => Promise<unknown>;

/** Each partner's own credentials, minted once: a partner answers for itself only. */
function partnerApis(stack: LocalStack): (lenderId: string) => Promise<Api> {
  const apis = new Map<string, Promise<Api>>();
  return (lenderId) => {
    let api = apis.get(lenderId);
    if (api === undefined) {
      api = stack.mintToken({ scopes: ['partner'], lenderId }).then((token) => apiOf(stack, token));
      apis.set(lenderId, api);
    }
    return api;
  };
}

/** `GET /v1/applications/{id}` as the lead sees it. */
interface ApplicationView {
  status: string;
  round: number;
  plan: { lenderId: string; amountMinor: string }[] | null;
  reasons: { rule?: string }[];
  asks: { lenderId: string; round: number; state: string; askedAmountMinor: string; decision: { approvedAmountMinor?: string | null } | null }[];
  loanId: string | null;
}

const FINAL_APPLICATION_STATUSES = new Set(['BOOKED', 'REJECTED', 'DISBURSEMENT_FAILED', 'REVIEW_FAILED', 'CANCELLED', 'EXPIRED']);
const APPLICATION_POLL_MS = 20;
const APPLICATION_TIMEOUT_MS = 120_000;

/**
 * One application through the real joint review: submitted by the lead, each partner's ask
 * answered with the partner's own credentials as the scenario says, the plan's disbursement
 * confirmed (or cancelled, or failed) by the lead, until the application reaches a final state.
 * The workflows run in the background; the application is read until it moves.
 */
async function playApplication(
  planned: Scenario['applications'][number],
  lead: Api,
  partners: (lenderId: string) => Promise<Api>,
  must: Must,
): Promise<[ApplicationOutcome, Scenario['applications'][number]['repay']]> {
  const applicationId = planned.application.applicationId;
  const body = {
    purpose: 'Personal consumption',
    leadApproval: { approved: true, reference: `LA-${applicationId}`, approvedAt: `${planned.on}T01:00:00.000Z` },
    ...planned.application,
  };
  await must(`application ${applicationId}`, lead.call('POST', '/v1/applications', body, `sim-application-${applicationId}`), [202]);
  const answered = new Set<string>();
  let disbursed = false;
  const started = Date.now();
  for (;;) {
    const view = (await must(`application ${applicationId}`, lead.call('GET', `/v1/applications/${applicationId}`), [200])) as ApplicationView;
    if (FINAL_APPLICATION_STATUSES.has(view.status)) return [outcomeOf(applicationId, planned.on, view), planned.repay];
    for (const ask of view.asks.filter((a) => a.state === 'PENDING' && !answered.has(`${a.lenderId}#${a.round}`))) {
      answered.add(`${ask.lenderId}#${ask.round}`);
      const named = planned.decisions[ask.lenderId] ?? { decision: 'APPROVE' };
      const decision = named.decision === 'APPROVE' && named.approvedAmountMinor === undefined ? { ...named, approvedAmountMinor: ask.askedAmountMinor } : named;
      const partner = await partners(ask.lenderId);
      await must(`decision of ${ask.lenderId} on ${applicationId}`, partner.call('POST', `/v1/applications/${applicationId}/decisions`, decision, `sim-decision-${applicationId}-${ask.lenderId}`), [201]);
    }
    if (view.status === 'AWAITING_DISBURSEMENT' && !disbursed) {
      disbursed = true;
      const { outcome, reason } = planned.disbursement;
      const confirmation = outcome === 'DISBURSED' ? { outcome, disbursementReference: `DISB-${applicationId}`, disbursementDate: planned.on } : { outcome, reason };
      await must(`disbursement of ${applicationId}`, lead.call('POST', `/v1/applications/${applicationId}/disbursement`, confirmation, `sim-disbursement-${applicationId}`), [202]);
    }
    if (Date.now() - started > APPLICATION_TIMEOUT_MS) throw new Error(`application ${applicationId}: still ${view.status} after ${APPLICATION_TIMEOUT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, APPLICATION_POLL_MS));
  }
}

function outcomeOf(applicationId: string, on: string, view: ApplicationView): ApplicationOutcome {
  return {
    applicationId,
    on,
    status: view.status,
    loanId: view.status === 'BOOKED' ? view.loanId : null,
    rounds: view.round,
    decisions: view.asks.map((a) => ({ lenderId: a.lenderId, round: a.round, state: a.state, askedAmountMinor: a.askedAmountMinor, approvedAmountMinor: a.state === 'APPROVED' ? (a.decision?.approvedAmountMinor ?? a.askedAmountMinor) : null })),
    plan: view.plan?.map((p) => ({ lenderId: p.lenderId, amountMinor: p.amountMinor })) ?? null,
    rejectedBecause: view.status === 'REJECTED' ? [...new Set(view.reasons.flatMap((r) => (r.rule === undefined ? [] : [r.rule])))] : [],
  };
}

interface RiskReportPage {
  byClass: Record<string, number>;
  loans: { loanId: string; outcome: 'COMPENSATED' | 'WRITTEN_OFF' | 'HELD'; code?: string }[];
  cursor: string | null;
}

/** The report of a risk update once its run has recorded it, every page of the loans it acted on. */
async function riskUpdateOf(finance: Api, businessDate: string): Promise<RiskUpdateOutcome> {
  const started = Date.now();
  let read = await finance.call<RiskReportPage>('GET', `/v1/risk-updates/${businessDate}?limit=100`);
  while (read.status === 404) {
    if (Date.now() - started > APPLICATION_TIMEOUT_MS) throw new Error(`risk update of ${businessDate} did not end`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    read = await finance.call<RiskReportPage>('GET', `/v1/risk-updates/${businessDate}?limit=100`);
  }
  if (read.status !== 200) throw new Error(`risk update of ${businessDate}: the API answered ${read.status} ${JSON.stringify(read.json)}`);
  const loans = [...read.json.loans];
  for (let cursor = read.json.cursor; cursor !== null; ) {
    const page = await finance.call<RiskReportPage>('GET', `/v1/risk-updates/${businessDate}?limit=100&cursor=${encodeURIComponent(cursor)}`);
    if (page.status !== 200) throw new Error(`risk update of ${businessDate}: the API answered ${page.status} ${JSON.stringify(page.json)}`);
    loans.push(...page.json.loans);
    cursor = page.json.cursor;
  }
  const of = (outcome: string) => loans.filter((l) => l.outcome === outcome).map((l) => l.loanId).sort();
  return {
    businessDate,
    byClass: read.json.byClass,
    compensated: of('COMPENSATED'),
    writtenOff: of('WRITTEN_OFF'),
    held: loans.filter((l) => l.outcome === 'HELD').map((l) => ({ loanId: l.loanId, code: l.code ?? '' })),
  };
}

/** `GET /v1/loans/{loanId}/repayments`: the loan's events with the legs of their entries. */
interface LoanAccount {
  events: { type: string; eventId: string; reversal?: unknown; legs: { lenderId: string; account: string; side: 'DEBIT' | 'CREDIT'; amountMinor: string }[] }[];
}

/** The compensations and write-offs in effect on a loan (a reversed one is left out), from the legs of their entries. */
async function lossesOf(lead: Api, loanId: string): Promise<LossOutcome[]> {
  const read = await lead.call<LoanAccount>('GET', `/v1/loans/${loanId}/repayments`);
  if (read.status !== 200) throw new Error(`account of ${loanId}: the API answered ${read.status} ${JSON.stringify(read.json)}`);
  const sums = (legs: LoanAccount['events'][number]['legs'], account: string, side: 'DEBIT' | 'CREDIT') => {
    const byParty = new Map<string, bigint>();
    for (const leg of legs.filter((l) => l.account === account && l.side === side)) byParty.set(leg.lenderId, (byParty.get(leg.lenderId) ?? 0n) + BigInt(leg.amountMinor));
    return Object.fromEntries([...byParty].sort(([a], [b]) => (a < b ? -1 : 1)).map(([party, amount]) => [party, amount.toString()]));
  };
  return read.json.events
    .filter((e): e is typeof e & { type: LossOutcome['type'] } => (e.type === 'COMPENSATION' || e.type === 'WRITE_OFF') && (e.reversal === undefined || e.reversal === null))
    .map((e) => {
      const claim = Object.values(sums(e.legs, 'GUARANTEE_RECEIVABLE', 'DEBIT')).reduce((s, v) => s + BigInt(v), 0n);
      return {
        loanId,
        type: e.type,
        eventId: e.eventId,
        principalByLenderMinor: sums(e.legs, 'PRINCIPAL_RECEIVABLE', 'CREDIT'),
        lossesByPartyMinor: sums(e.legs, 'LOSSES', 'DEBIT'),
        guarantorClaimMinor: e.type === 'COMPENSATION' ? claim.toString() : null,
      };
    });
}
