import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseCollectionFile, type CollectionFileFormat, type CollectionLineError, type CollectionRepayment } from '../../shared/adapters/files/collection-file.ts';
import { MAX_REPAYMENTS_PER_CALL } from '../../shared/contracts/schemas.ts';
import { toJson } from '../../shared/json.ts';

export interface ImportOptions {
  readonly file: string;
  /** The API's base URL, e.g. `https://api.example.com`; `/v1/repayments` is appended. */
  readonly apiUrl: string;
  /** A bearer token of the lead. */
  readonly token: string;
  readonly fetch?: typeof fetch;
  /**
   * This run of the command; each call's Idempotency-Key is `import:{runId}:{call}`, so a call
   * retried within the run replays its first answer. A fresh id by default: importing the file
   * again is a new request, and each repayment id still books once.
   */
  readonly runId?: string;
}

export type ImportOutcome = 'BOOKED' | 'REPLAYED' | 'REFUSED' | 'INVALID';

export interface ImportLineError {
  /** The API's error code (`LOAN_NOT_FOUND`, `HTTP_500`, ...) or the file rule broken (`too_small`, `duplicate`, ...). */
  readonly code: string;
  readonly message: string;
  /** The request field at fault, for a line the file refused. */
  readonly path?: string;
  /** The HTTP status of a batch the API did not answer with 200. */
  readonly status?: number;
}

export interface ImportedLine {
  readonly line: number;
  /** Null for a line the file refused. */
  readonly repaymentId: string | null;
  readonly outcome: ImportOutcome;
  /** Null when booked or replayed; the first of `errors` otherwise. */
  readonly error: ImportLineError | null;
  /** Every problem of the line (a refused file line may have several). */
  readonly errors: readonly ImportLineError[];
}

export interface ImportReport {
  readonly file: string;
  readonly format: CollectionFileFormat;
  /** In the order of the file's lines. */
  readonly lines: readonly ImportedLine[];
  readonly counts: { readonly lines: number; readonly booked: number; readonly replayed: number; readonly refused: number; readonly invalid: number };
}

/**
 * `colend import-collections <file>`: parses the lead's collection file and posts its valid lines
 * to `POST /v1/repayments`, at most `MAX_REPAYMENTS_PER_CALL` a call, in the order of the file.
 * A line refused by the file is never sent. Each call carries an Idempotency-Key of this run; each
 * repayment id books once whatever the key, so the same file can be imported again: what was
 * booked comes back REPLAYED.
 */
export async function importCollections(options: ImportOptions): Promise<ImportReport> {
  const parsed = parseCollectionFile(await readUtf8(options.file));
  const send = options.fetch ?? fetch;
  const url = `${options.apiUrl.replace(/\/+$/, '')}/v1/repayments`;
  const runId = options.runId ?? randomUUID();

  const lines: ImportedLine[] = invalidLines(parsed.errors);
  for (let start = 0; start < parsed.repayments.length; start += MAX_REPAYMENTS_PER_CALL) {
    const batch = parsed.repayments.slice(start, start + MAX_REPAYMENTS_PER_CALL);
    lines.push(...(await postBatch(send, url, options.token, `import:${runId}:${start / MAX_REPAYMENTS_PER_CALL}`, batch)));
  }
  lines.sort((a, b) => a.line - b.line);
  const count = (outcome: ImportOutcome) => lines.filter((l) => l.outcome === outcome).length;
  return {
    file: options.file,
    format: parsed.format,
    lines,
    counts: { lines: lines.length, booked: count('BOOKED'), replayed: count('REPLAYED'), refused: count('REFUSED'), invalid: count('INVALID') },
  };
}

/** The report as the command prints it: one line per file line not booked, then the counts. */
export function formatImportReport(report: ImportReport): string[] {
  const out: string[] = [];
  for (const l of report.lines) {
    if (l.outcome === 'BOOKED' || l.outcome === 'REPLAYED') continue;
    if (l.outcome === 'INVALID') out.push(`line ${l.line} INVALID ${l.errors.map((e) => `${e.path ?? 'line'}: ${e.message}`).join('; ')}`);
    else out.push(`line ${l.line} ${l.repaymentId ?? '-'} REFUSED ${l.errors.map((e) => `${e.code}: ${e.message}`).join('; ')}`);
  }
  const c = report.counts;
  out.push(`lines: ${c.lines}, booked: ${c.booked}, replayed: ${c.replayed}, refused: ${c.refused}, invalid: ${c.invalid}`);
  return out;
}

async function readUtf8(file: string): Promise<string> {
  const bytes = await readFile(file);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`${file} is not UTF-8 text`);
  }
}

function invalidLines(errors: readonly CollectionLineError[]): ImportedLine[] {
  const byLine = new Map<number, ImportLineError[]>();
  for (const e of errors) {
    const list = byLine.get(e.line) ?? [];
    list.push({ code: e.rule, message: e.message, path: e.path });
    byLine.set(e.line, list);
  }
  return [...byLine].map(([line, list]) => ({ line, repaymentId: null, outcome: 'INVALID', error: list[0] ?? null, errors: list }));
}

function refusedLine(r: CollectionRepayment, error: ImportLineError): ImportedLine {
  return { line: r.line, repaymentId: r.request.repaymentId, outcome: 'REFUSED', error, errors: [error] };
}

async function postBatch(send: typeof fetch, url: string, token: string, key: string, batch: readonly CollectionRepayment[]): Promise<ImportedLine[]> {
  let response: Response;
  try {
    response = await send(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
      body: toJson({ repayments: batch.map((r) => r.request) }),
    });
  } catch (error) {
    const message = `the API could not be reached: ${error instanceof Error ? error.message : String(error)}`;
    return batch.map((r) => refusedLine(r, { code: 'UNREACHABLE', message }));
  }
  const text = await response.text();
  const body = parseJson(text);
  if (response.status !== 200) {
    const error = httpError(response.status, body, text);
    return batch.map((r) => refusedLine(r, error));
  }
  const results = isRecord(body) && Array.isArray(body.results) ? (body.results as unknown[]) : null;
  if (results === null || results.length !== batch.length) {
    const error = { code: 'BAD_RESPONSE', message: `the API answered 200 without one result per repayment sent (${batch.length})`, status: 200 };
    return batch.map((r) => refusedLine(r, error));
  }
  return batch.map((r, index) => lineResult(r, results[index]));
}

function lineResult(r: CollectionRepayment, result: unknown): ImportedLine {
  const repaymentId = r.request.repaymentId;
  if (!isRecord(result) || result.repaymentId !== repaymentId) {
    return refusedLine(r, { code: 'BAD_RESPONSE', message: `the API's result in this position is not for repayment ${repaymentId}` });
  }
  if (result.status === 'BOOKED' || result.status === 'REPLAYED') return { line: r.line, repaymentId, outcome: result.status, error: null, errors: [] };
  if (result.status === 'REFUSED') {
    const error = isRecord(result.error) ? result.error : {};
    const code = typeof error.code === 'string' ? error.code : 'REFUSED';
    const message = typeof error.message === 'string' ? error.message : 'refused without a reason';
    return refusedLine(r, { code, message });
  }
  return refusedLine(r, { code: 'BAD_RESPONSE', message: `the API answered an unknown status ${JSON.stringify(result.status)}` });
}

function httpError(status: number, body: unknown, text: string): ImportLineError {
  if (isRecord(body) && typeof body.code === 'string') {
    const message = typeof body.message === 'string' ? body.message : '';
    return { code: body.code, message: `${message} (HTTP ${status})`.trim(), status };
  }
  const excerpt = text.trim().slice(0, 200);
  return { code: `HTTP_${status}`, message: excerpt === '' ? `the API answered HTTP ${status}` : `the API answered HTTP ${status}: ${excerpt}`, status };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
