/** A call a command made to the API, as the fake received it. */
export interface ApiCall {
  readonly url: string;
  readonly method: string | undefined;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

/** A `fetch` that records every call and answers each with the same status, JSON body and headers. */
export function fakeApi(status: number, body: unknown, headers: Record<string, string> = {}) {
  const calls: ApiCall[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(input), method: init?.method, headers: init?.headers as Record<string, string>, body: init?.body === undefined ? undefined : JSON.parse(String(init.body)) });
    return new Response(JSON.stringify(body), { status, headers });
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

/** An answer of `fakeApiInTurn`: its status, its body as sent (text or bytes) and headers. */
export interface TurnAnswer {
  readonly status: number;
  readonly body: string | Buffer;
  readonly headers?: Record<string, string>;
}

/** A JSON answer of `fakeApiInTurn`. */
export const jsonAnswer = (status: number, body: unknown): TurnAnswer => ({ status, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

/** A `fetch` that answers the calls in turn (the last answer again once they run out), recording each with its Idempotency-Key. */
export function fakeApiInTurn(answers: readonly TurnAnswer[]) {
  const calls: { method: string | undefined; url: string; key: string | undefined; body: unknown }[] = [];
  let next = 0;
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const headers = (init?.headers ?? {}) as Record<string, string>;
    calls.push({ method: init?.method, url: String(input), key: headers['idempotency-key'], body: init?.body === undefined ? undefined : JSON.parse(String(init.body)) });
    const answer = answers[Math.min(next++, answers.length - 1)]!;
    return new Response(answer.body, { status: answer.status, headers: answer.headers ?? {} });
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}
