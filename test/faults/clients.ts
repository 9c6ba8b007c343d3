import type { Call } from './scenario.ts';

/**
 * A client of the API that never gives up on a call: when the stack dies under it (no answer),
 * or answers a 503, it sends the same call again (the same body and Idempotency-Key) once the
 * stack answers again. What it heard is kept for the checks.
 */
export interface Heard {
  /** Calls answered (what the killer waits for after a start). */
  answered: number;
  /** Calls sent again because the first attempts got no answer. */
  unanswered: number;
  /** Answers 5xx, by status and code (a 503 is retried; any other is a defect). */
  serverErrors: string[];
  /** 503 answers, retried after their Retry-After. */
  retried503: number;
  /** 409 REQUEST_IN_PROGRESS answers (the key held by the same call sent before a kill), retried after their Retry-After. */
  retriedInProgress: number;
  /** Every repayment's result as answered (the first 2xx answer of its call). */
  readonly results: Map<string, { status: string; repayment?: unknown; error?: unknown }>;
  /** Repayments whose call got no answer at least once before it got one. */
  readonly lostAnswer: Set<string>;
  /** Calls (by Idempotency-Key) that got no answer at least once before they got one. */
  readonly lostCalls: Set<string>;
}

export const newHeard = (): Heard => ({ answered: 0, unanswered: 0, serverErrors: [], retried503: 0, retriedInProgress: 0, results: new Map(), lostAnswer: new Set(), lostCalls: new Set() });

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface Answer {
  readonly status: number;
  readonly json: unknown;
}

/** Sends `call` until it is answered with a status below 500; a call whose answer was lost is sent again. */
export async function sendUntilAnswered(baseUrl: () => string, token: string, call: Call, heard: Heard): Promise<Answer> {
  for (;;) {
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${baseUrl()}${call.path}`, {
        method: call.method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': call.key },
        body: JSON.stringify(call.body),
        signal: AbortSignal.timeout(120_000),
      });
      text = await res.text();
    } catch {
      heard.unanswered++;
      heard.lostCalls.add(call.key);
      for (const id of call.repaymentIds) heard.lostAnswer.add(id);
      await sleep(100);
      continue;
    }
    if (res.status === 503) {
      heard.retried503++;
      const after = Number(res.headers.get('retry-after') ?? '1');
      await sleep(Math.min(Number.isFinite(after) ? after * 1000 : 1000, 2_000));
      continue;
    }
    const json = text === '' ? undefined : (JSON.parse(text) as unknown);
    if (res.status === 409 && (json as { code?: string } | undefined)?.code === 'REQUEST_IN_PROGRESS') {
      // The key is held by this same call sent before a kill: its booking may be written, its answer not. Sent again after
      // Retry-After, it gets the answer, or runs again once the dead request's reservation has lapsed.
      heard.retriedInProgress++;
      const after = Number(res.headers.get('retry-after') ?? '1');
      await sleep(Math.min(Number.isFinite(after) ? after * 1000 : 1000, 2_000));
      continue;
    }
    if (res.status >= 500) {
      heard.serverErrors.push(`${call.method} ${call.path} (${call.key}): ${res.status} ${text.slice(0, 300)}`);
      await sleep(100);
      continue;
    }
    heard.answered++;
    if (res.status >= 300) throw new Error(`${call.method} ${call.path} (${call.key}) answered ${res.status}: ${text.slice(0, 500)}`);
    const results = (json as { results?: { repaymentId: string; status: string; repayment?: unknown; error?: unknown }[] } | undefined)?.results;
    if (results) for (const r of results) if (!heard.results.has(r.repaymentId)) heard.results.set(r.repaymentId, r);
    return { status: res.status, json };
  }
}

/** Each client's calls in order, the clients at once; resolves when every call was answered. */
export async function runClients(baseUrl: () => string, token: string, clients: readonly (readonly Call[])[], heard: Heard): Promise<void> {
  await Promise.all(
    clients.map(async (calls) => {
      for (const call of calls) await sendUntilAnswered(baseUrl, token, call, heard);
    }),
  );
}
