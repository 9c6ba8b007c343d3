import { formatMajor, type CurrencyCode } from '../../shared/domain/money/index.ts';
import { startAndAwait, type ApiAnswer, type CommandApi } from './api-client.ts';

/** Minor units (a decimal string) in the currency's major units: "123456" → "1234.56". */
const major = (currency: string, minor: string): string => formatMajor(BigInt(minor), currency as CurrencyCode);

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

/** Starts the period's next attempt and waits for its end (`startAndAwait`). */
export function profitRun(options: ProfitRunOptions): Promise<{ started: ProfitRunAnswer; view: RunView | null }> {
  const body = { programId: options.programId, period: options.period, ...(options.restart ? { restart: true } : {}) };
  const path = `/v1/profit-runs/${encodeURIComponent(options.programId)}/${options.period}`;
  return startAndAwait<RunView>(options, path, '/v1/profit-runs', body, `profit-run:${options.programId}:${options.period}`);
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
        `  ${p.currency}: interest ${major(p.currency, p.interestIncomeMinor)}, penalty ${major(p.currency, p.penaltyIncomeMinor)}, fees and spread ${major(p.currency, p.feeIncomeMinor)}, guarantee fees ${major(p.currency, p.guaranteeFeesMinor)}, ` +
          `service partner share ${major(p.currency, p.servicePartnerShareMinor)}, fees paid ${major(p.currency, p.feesPaidMinor)} (guarantee cost ${major(p.currency, p.guaranteeCostMinor)}), losses ${major(p.currency, p.lossesMinor)}, net ${major(p.currency, p.netMinor)} (${p.loans} loans, ${p.entries} entries)`,
      );
    }
  }
  return lines;
}
