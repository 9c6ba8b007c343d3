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
