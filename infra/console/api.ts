import type { Adjustment } from '../../shared/domain/adjustment.ts';
import type { ReconciliationBreak } from '../../shared/domain/reconciliation-break.ts';
import type { Reconciliation, SettlementRun, StoredInstruction } from '../../shared/ports/stores.ts';
import type { SettlementRunList } from '../../shared/use-cases/settlement-runs.ts';

/**
 * The console's client of the `/v1` API: the same routes and tokens as any other client, the
 * token sent as `Authorization: Bearer`. Answers are typed from the API's own types, with amounts
 * as the strings of minor units the API sends.
 */

/** A value as JSON carries it: amounts (bigint) are strings of minor units. */
export type Wire<T> = T extends bigint ? string : T extends readonly (infer U)[] ? Wire<U>[] : T extends object ? { [K in keyof T]: Wire<T[K]> } : T;

export type RunList = Wire<SettlementRunList>;
export type RunView = Wire<{ run: SettlementRun; shardsGathered: number; instructions: StoredInstruction[] }>;
export type Instruction = Wire<StoredInstruction>;
export type ReconciliationView = Wire<Reconciliation>;
export type BreakView = Wire<ReconciliationBreak>;
export type AdjustmentView = Wire<Adjustment>;
export interface ReconciliationList {
  readonly businessDate: string;
  readonly reconciliations: ReconciliationView[];
}
export interface BreakPage {
  readonly items: BreakView[];
  readonly cursor: string | null;
}
export interface AdjustmentPage {
  readonly state: string;
  readonly adjustments: AdjustmentView[];
  readonly cursor: string | null;
}
export interface UploadAnswer {
  readonly uploadId: string;
  readonly method: string;
  readonly url: string;
  /** Sent with the bytes: the URL signs them (the file's SHA-256 in AWS, which the files bucket's object lock requires). */
  readonly headers: Readonly<Record<string, string>>;
}
export interface Statements {
  readonly lenderId: string;
  readonly businessDate: string;
  readonly files: string[];
}

/** An answer other than 2xx: the API's `{code, message, details}`. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

export interface ApiClient {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body: unknown, idempotencyKey?: string): Promise<T>;
  /** A file's bytes, for a download. */
  blob(path: string): Promise<Blob>;
}

/** `base`: the API's origin; empty when the page is served by the API's own server (the local stack). */
export function apiClient(base: () => string, token: () => string | null, onUnauthorized: () => void): ApiClient {
  const send = async (path: string, init: RequestInit): Promise<Response> => {
    const headers = new Headers(init.headers);
    const bearer = token();
    if (bearer !== null) headers.set('authorization', `Bearer ${bearer}`);
    const response = await fetch(`${base()}${path}`, { ...init, headers });
    if (response.ok) return response;
    if (response.status === 401) onUnauthorized();
    const text = await response.text();
    let body: { code?: string; message?: string; details?: Record<string, unknown> } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      body = { message: text };
    }
    throw new ApiError(response.status, body.code ?? String(response.status), body.message ?? response.statusText, body.details ?? {});
  };
  return {
    get: async <T>(path: string) => (await (await send(path, { method: 'GET' })).json()) as T,
    post: async <T>(path: string, body: unknown, idempotencyKey?: string) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
      return (await (await send(path, { method: 'POST', headers, body: JSON.stringify(body) })).json()) as T;
    },
    blob: async (path: string) => (await send(path, { method: 'GET' })).blob(),
  };
}
