import type { RunResult } from './kill-run.ts';

/** The figures of a run with faults, against the same scenario run without them. */
export interface Comparison {
  /** Repayments answered 2xx (BOOKED or REPLAYED). */
  readonly accepted: number;
  /** Repayments with exactly one entry, one event and one record. */
  readonly booked: number;
  /** Repayments with more than one entry, event or record. */
  readonly duplicated: number;
  /** Repayments whose call lost its answer to a kill at least once (each must still be booked once). */
  readonly lostAnswers: number;
  /** Everything that breaks exactly-once or differs from the run without faults; empty when the run held. */
  readonly violations: readonly string[];
}

/** A repayment's answer without the instant it was booked at (the runs' clocks differ by their elapsed time). */
function answerOf(result: { status: string; repayment?: unknown; error?: unknown } | undefined): string {
  if (result === undefined) return 'no answer';
  const { bookedAt: _bookedAt, ...repayment } = (result.repayment ?? {}) as Record<string, unknown>;
  return JSON.stringify({ repayment, error: result.error });
}

export function compareRuns(run: RunResult, reference: RunResult): Comparison {
  const violations: string[] = [];
  let accepted = 0;
  let booked = 0;
  let duplicated = 0;
  for (const id of run.scenario.repaymentIds) {
    const answer = run.heard.results.get(id);
    if (answer && (answer.status === 'BOOKED' || answer.status === 'REPLAYED')) accepted++;
    else violations.push(`${id}: answered ${answer?.status ?? 'never'}`);
    const counted = run.outcome.booked.get(id) ?? { entries: 0, events: 0, records: 0 };
    if (counted.entries === 1 && counted.events === 1 && counted.records === 1) booked++;
    else if (counted.entries > 1 || counted.events > 1 || counted.records > 1) duplicated++;
    if (counted.entries !== 1 || counted.events !== 1 || counted.records !== 1) {
      violations.push(`${id}: ${counted.entries} entries, ${counted.events} events, ${counted.records} records${run.heard.lostAnswer.has(id) ? ' (its call lost an answer)' : ''}`);
    }
    if (answerOf(answer) !== answerOf(reference.heard.results.get(id))) violations.push(`${id}: answered ${answerOf(answer)}, without faults ${answerOf(reference.heard.results.get(id))}`);
  }
  for (const [loanId, entries] of reference.outcome.entries) {
    const got = run.outcome.entries.get(loanId) ?? [];
    if (JSON.stringify(got) !== JSON.stringify(entries)) violations.push(`${loanId}: entries ${JSON.stringify(got)}, without faults ${JSON.stringify(entries)}`);
  }
  for (const name of new Set([...run.outcome.files.keys(), ...reference.outcome.files.keys()])) {
    const got = run.outcome.files.get(name);
    const expected = reference.outcome.files.get(name);
    if (got !== expected) violations.push(`file ${name}: ${got === undefined ? 'missing' : expected === undefined ? 'not written without faults' : 'other bytes than without faults'}`);
  }
  if (reference.outcome.files.size === 0) violations.push('the run without faults wrote no settlement file');
  if (run.outcome.runStatus !== 'SETTLED') violations.push(`the settlement run ended ${run.outcome.runStatus}`);
  if (run.outcome.verify.status !== 0 || !run.outcome.verify.stdout.includes('BALANCED')) {
    violations.push(`colend ledger verify: exit ${run.outcome.verify.status}: ${run.outcome.verify.stdout}${run.outcome.verify.stderr}`);
  }
  for (const error of run.heard.serverErrors) violations.push(`a 5xx answer: ${error}`);
  return { accepted, booked, duplicated, lostAnswers: run.heard.lostAnswer.size, violations };
}
