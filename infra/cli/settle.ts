import { startAndAwait, type ApiAnswer, type CommandApi } from './api-client.ts';

/**
 * `colend settle --date T [--restart]`: settles a business date through the API (the same run the
 * schedule starts), waits for it and prints the run: its status, the entries it settled, each
 * payout instruction and each lender's files.
 */
export interface SettleOptions extends CommandApi {
  readonly businessDate: string;
  readonly restart: boolean;
  /** How often the run is read while it goes (ms). */
  readonly pollMs?: number;
  /** How long to wait for the run before giving up (ms). */
  readonly timeoutMs?: number;
}

export type SettleAnswer = ApiAnswer;

interface RunView {
  run: { businessDate: string; status: string; attempt: number; entries: number; instructions: number; files: { lenderId: string; name: string; records: number }[]; failure: { code: string; message: string } | null };
  shardsGathered: number;
  instructions: { instructionId: string; payer: string; payee: string; amountMinor: string; currency: string; valueDate: string; netted: boolean }[];
}

/** Starts the date's next attempt and waits for its end (`startAndAwait`). */
export function settle(options: SettleOptions): Promise<{ started: SettleAnswer; view: RunView | null }> {
  const body = { businessDate: options.businessDate, ...(options.restart ? { restart: true } : {}) };
  return startAndAwait<RunView>(options, `/v1/settlement-runs/${options.businessDate}`, '/v1/settlement-runs', body, `settle:${options.businessDate}`);
}

export function formatSettle(businessDate: string, answer: { started: SettleAnswer; view: RunView | null }): string[] {
  if (answer.view === null) {
    const { code, message } = answer.started.body as { code?: string; message?: string };
    return [`settlement of ${businessDate} not started: ${answer.started.status} ${code ?? ''} ${message ?? ''}`.trim()];
  }
  const { run, instructions } = answer.view;
  const lines = [`settlement of ${run.businessDate}, attempt ${run.attempt}: ${run.status}${run.failure ? ` (${run.failure.code}: ${run.failure.message})` : ''}`];
  if (run.status !== 'SETTLED') return lines;
  lines.push(`entries settled: ${run.entries}, instructions: ${run.instructions}`);
  for (const i of instructions) lines.push(`  ${i.instructionId}  ${i.payer} -> ${i.payee}  ${i.currency} ${i.amountMinor} (minor units)  value ${i.valueDate}${i.netted ? '  netted' : ''}`);
  const byLender = new Map<string, string[]>();
  for (const f of run.files) byLender.set(f.lenderId, [...(byLender.get(f.lenderId) ?? []), `${f.name} (${f.records})`]);
  for (const [lenderId, files] of byLender) lines.push(`  files of ${lenderId}: ${files.join(', ')}`);
  return lines;
}
