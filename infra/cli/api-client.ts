/** How a `colend` command reaches the API: its base URL and a bearer token. */
export interface CommandApi {
  /** The API's base URL, e.g. `https://api.example.com`. */
  readonly apiUrl: string;
  /** A bearer token of lead operations or the platform's finance team. */
  readonly token: string;
  readonly fetch?: typeof fetch;
}

export interface ApiAnswer {
  readonly status: number;
  /** The API's JSON answer, or `{code, message}` when the answer was not JSON. */
  readonly body: Record<string, unknown>;
  /** The answer replays the first answer to the same Idempotency-Key. */
  readonly replayed: boolean;
}

/** One call of a command, with its Idempotency-Key when it writes. */
export async function callApi(api: CommandApi, method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown, key?: string): Promise<ApiAnswer> {
  const response = await (api.fetch ?? fetch)(`${api.apiUrl.replace(/\/+$/, '')}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${api.token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(key === undefined ? {} : { 'idempotency-key': key }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { code: `HTTP_${response.status}`, message: text.slice(0, 500), details: {} };
  }
  return { status: response.status, body: parsed, replayed: response.headers.get('idempotent-replayed') === 'true' };
}
