import { readFile } from 'node:fs/promises';

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

/** A request body a command reads from a JSON file; a file that is not JSON is named in the error. */
export async function readJsonFile(file: string): Promise<unknown> {
  const text = await readFile(file, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`${file} is not JSON: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
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

/** A file the API serves (an export): its bytes and name, or the API's refusal. */
export interface FileAnswer {
  readonly status: number;
  readonly bytes: Buffer;
  /** From the answer's content-disposition; null when it names none (a refusal). */
  readonly fileName: string | null;
}

/** Reads a file the API serves, as bytes: a refusal comes back as its JSON, in `bytes`. */
export async function fetchFile(api: CommandApi, path: string): Promise<FileAnswer> {
  const response = await (api.fetch ?? fetch)(`${api.apiUrl.replace(/\/+$/, '')}${path}`, { method: 'GET', headers: { authorization: `Bearer ${api.token}` } });
  const named = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '');
  return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()), fileName: named?.[1] ?? null };
}

/** A run the API starts and then reports: its attempt and whether it is still going. */
interface RunRead {
  readonly run: { readonly attempt: number; readonly status: string };
}

/**
 * Starts a run's next attempt and waits for its end: reads the run (`runPath`), posts `body` to
 * `startPath` with the key `{keyPrefix}:after-{attempt read}`, so the command run again after a
 * lost answer starts nothing twice, then reads the run until the new attempt has ended.
 */
export async function startAndAwait<View extends RunRead>(
  api: CommandApi & { readonly pollMs?: number; readonly timeoutMs?: number },
  runPath: string,
  startPath: string,
  body: unknown,
  keyPrefix: string,
): Promise<{ started: ApiAnswer; view: View | null }> {
  const before = await callApi(api, 'GET', runPath);
  const after = before.status === 200 ? (before.body as unknown as View).run.attempt : 0;
  const started = await callApi(api, 'POST', startPath, body, `${keyPrefix}:after-${after}`);
  if (started.status !== 202) return { started, view: null };
  const deadline = Date.now() + (api.timeoutMs ?? 15 * 60_000);
  for (;;) {
    const read = await callApi(api, 'GET', runPath);
    const view = read.status === 200 ? (read.body as unknown as View) : null;
    if (view !== null && view.run.attempt > after && view.run.status !== 'RUNNING') return { started, view };
    if (Date.now() > deadline) return { started, view };
    await new Promise((resolve) => setTimeout(resolve, api.pollMs ?? 1000));
  }
}
