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
  readonly settledDates: readonly string[];
  /** Per lender: its outstanding principal (from its positions) and what settlement moved, net, per component (minor units). */
  readonly lenders: Readonly<Record<string, { readonly outstandingPrincipalMinor: string; readonly settledByComponentMinor: Readonly<Record<string, string>>; readonly settledNetMinor: string }>>;
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
  const agenda = new Map<string, { repaymentId: string; loanId: string; amountMinor: string }[]>();
  const summary = { loansBooked: 0, repaymentsBooked: 0, repaymentsRefused: [] as SimulationSummary['repaymentsRefused'][number][], eventsPlayed: 0, settledDates: [] as string[] };
  const settled = new Map<string, Map<string, bigint>>();
  let nextLoan = 0;

  for (let day = scenario.start; day <= scenario.end; day = addDays(day, 1)) {
    stack.setTime(morning(day));
    // The day's loans, and the repayments their schedules call for.
    for (; nextLoan < loans.length && loans[nextLoan]!.on === day; nextLoan++) {
      const { body, repay } = loans[nextLoan]!;
      const loanId = String(body.loanId);
      await must(`loan ${loanId}`, lead.call('POST', '/v1/loans', body, `sim-loan-${loanId}`), [201]);
      summary.loansBooked++;
      if (repay.mode === 'NONE') continue;
      const schedule = (await must(`schedule of ${loanId}`, lead.call('GET', `/v1/loans/${loanId}/schedule`), [200])) as { borrower: { instalments: { number: number; dueDate: string; totalMinor: string }[] } };
      for (const instalment of schedule.borrower.instalments) {
        if (repay.missed.includes(instalment.number)) continue;
        const on = addDays(instalment.dueDate, repay.late[String(instalment.number)] ?? 0);
        if (on > scenario.end) continue;
        const share = repay.partial[String(instalment.number)];
        const amountMinor = share === undefined ? instalment.totalMinor : ((BigInt(instalment.totalMinor) * BigInt(share)) / 10_000n).toString();
        agenda.set(on, [...(agenda.get(on) ?? []), { repaymentId: `${loanId}-I${instalment.number}`, loanId, amountMinor }]);
      }
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
    lenders[lenderId] = {
      outstandingPrincipalMinor: outstandingPrincipalMinor.toString(),
      settledByComponentMinor: Object.fromEntries([...byComponent].sort(([a], [b]) => (a < b ? -1 : 1)).map(([c, v]) => [c, v.toString()])),
      settledNetMinor: [...byComponent.values()].reduce((s, v) => s + v, 0n).toString(),
    };
  }
  const result: SimulationSummary = { scenario: scenario.name, start: scenario.start, end: scenario.end, ...summary, lenders };
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
