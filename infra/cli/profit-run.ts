import { callApi, type ApiAnswer, type CommandApi } from './api-client.ts';

/**
 * `colend profit-run --program P --period 2026-11 [--restart]`: shares a program's profit of a
 * period through the API (the run the schedule starts), waits for it and prints each party's
 * statement (docs/profit-sharing.md).
 */
export interface ProfitRunOptions extends CommandApi {
  readonly programId: string;
  readonly period: string;
  readonly restart: boolean;
  readonly pollMs?: number;
  readonly timeoutMs?: number;
}

export type ProfitRunAnswer = ApiAnswer;

type Figures = Record<'interestIncomeMinor' | 'penaltyIncomeMinor' | 'feeIncomeMinor' | 'guaranteeFeesMinor' | 'servicePartnerShareMinor' | 'feesPaidMinor' | 'guaranteeCostMinor' | 'lossesMinor' | 'netMinor', string> & {
  currency: string;
  loans: number;
  entries: number;
};

interface RunView {
  run: { programId: string; period: string; status: string; attempt: number; loans: number; booked: number; replayed: number; failure: { code: string; message: string } | null };
  statements: { lenderId: string; role: string; from: string; to: string; byCurrency: Figures[] }[];
}

const call = (options: ProfitRunOptions, method: 'GET' | 'POST', path: string, body?: unknown, key?: string): Promise<ProfitRunAnswer> => callApi(options, method, path, body, key);

/**
 * Starts the period's next attempt and waits for its end. The request's key is the program, the
 * period and the attempt it follows, so running the command again after a lost answer starts nothing twice.
 */
export async function profitRun(options: ProfitRunOptions): Promise<{ started: ProfitRunAnswer; view: RunView | null }> {
  const path = `/v1/profit-runs/${encodeURIComponent(options.programId)}/${options.period}`;
  const before = await call(options, 'GET', path);
  const after = before.status === 200 ? (before.body as unknown as RunView).run.attempt : 0;
  const body = { programId: options.programId, period: options.period, ...(options.restart ? { restart: true } : {}) };
  const started = await call(options, 'POST', '/v1/profit-runs', body, `profit-run:${options.programId}:${options.period}:after-${after}`);
  if (started.status !== 202) return { started, view: null };
  const deadline = Date.now() + (options.timeoutMs ?? 15 * 60_000);
  for (;;) {
    const read = await call(options, 'GET', path);
    const view = read.status === 200 ? (read.body as unknown as RunView) : null;
    if (view !== null && view.run.attempt > after && view.run.status !== 'RUNNING') return { started, view };
    if (Date.now() > deadline) return { started, view };
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1000));
  }
}

/** Minor units (a decimal string) as major units with two decimals: "123456" → "1234.56". */
function major(minor: string): string {
  const value = BigInt(minor);
  const sign = value < 0n ? '-' : '';
  const abs = value < 0n ? -value : value;
  return `${sign}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
}

export function formatProfitRun(programId: string, period: string, answer: { started: ProfitRunAnswer; view: RunView | null }): string[] {
  if (answer.view === null) {
    const { code, message } = answer.started.body as { code?: string; message?: string };
    return [`profit sharing of ${programId} ${period} not started: ${answer.started.status} ${code ?? ''} ${message ?? ''}`.trim()];
  }
  const { run, statements } = answer.view;
  const lines = [`profit sharing of ${run.programId} ${run.period}, attempt ${run.attempt}: ${run.status}${run.failure ? ` (${run.failure.code}: ${run.failure.message})` : ''}`];
  if (run.status !== 'DONE') return lines;
  lines.push(`loans: ${run.loans}, fee entries booked: ${run.booked}, found booked before: ${run.replayed}`);
  for (const s of statements) {
    lines.push(`${s.lenderId} (${s.role}), entries booked ${s.from} to ${s.to}:${s.byCurrency.length === 0 ? ' none' : ''}`);
    for (const p of s.byCurrency) {
      lines.push(
        `  ${p.currency}: interest ${major(p.interestIncomeMinor)}, penalty ${major(p.penaltyIncomeMinor)}, fees and spread ${major(p.feeIncomeMinor)}, guarantee fees ${major(p.guaranteeFeesMinor)}, ` +
          `service partner share ${major(p.servicePartnerShareMinor)}, fees paid ${major(p.feesPaidMinor)} (guarantee cost ${major(p.guaranteeCostMinor)}), losses ${major(p.lossesMinor)}, net ${major(p.netMinor)} (${p.loans} loans, ${p.entries} entries)`,
      );
    }
  }
  return lines;
}
