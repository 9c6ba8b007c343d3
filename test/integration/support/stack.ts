import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { inject } from 'vitest';
import { mintToken } from '../../../infra/local/issuer.ts';
import type { LocalScope, MintTokenOptions } from '../../../infra/local/issuer.ts';
import { LOCAL_CREDENTIALS } from '../../../infra/local/stack.ts';
import { LOCAL_TOKEN_HEADER } from '../../../infra/local/state-file.ts';
import { LOCAL_REGION } from '../../../infra/local/template.ts';
import type { CfnTemplate } from '../../../infra/local/template.ts';

/**
 * Helpers for tests against the one local stack that test/integration/global-setup.ts starts.
 */

function provided<K extends 'baseUrl' | 'dynamodbEndpoint' | 'sfnEndpoint' | 'localTemplate' | 'localToken' | 'eventsEndpoint'>(key: K) {
  const value = inject(key);
  if (value === undefined) {
    throw new Error(`The local stack is not running (no ${key}): integration tests need test/integration/global-setup.ts`);
  }
  return value;
}

export const baseUrl = (): string => provided('baseUrl');
export const dynamodbEndpoint = (): string => provided('dynamodbEndpoint');
export const sfnEndpoint = (): string => provided('sfnEndpoint');
/** The local EventBridge endpoint: an event put there reaches the targets of the template's rules. */
export const eventsEndpoint = (): string => provided('eventsEndpoint');
/** The template the local stack runs. */
export const localTemplate = (): CfnTemplate => provided('localTemplate');
/** The header local-only endpoints (`/local/*`) ask for. */
const localAccess = (): Record<string, string> => ({ [LOCAL_TOKEN_HEADER]: provided('localToken') });

/** An access token of the local issuer (the same key file as the stack and `npm run token`). */
export function token(options: MintTokenOptions): Promise<string>;
export function token(scope: LocalScope, lenderId?: string): Promise<string>;
export function token(options: MintTokenOptions | LocalScope, lenderId?: string): Promise<string> {
  return mintToken(typeof options === 'string' ? { scopes: [options], ...(lenderId !== undefined ? { lenderId } : {}) } : options);
}

export interface ApiOptions {
  method?: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** JSON-encoded unless `raw` is set (then sent as is: a string or bytes). */
  body?: unknown;
  raw?: boolean;
  headers?: Record<string, string>;
}

export interface ApiResult<T = unknown> {
  status: number;
  /** The parsed JSON body; undefined when the body is empty or not JSON. */
  json: T;
  text: string;
  headers: Headers;
}

/** Calls the local HTTP API. */
export async function api<T = unknown>(path: string, options: ApiOptions = {}): Promise<ApiResult<T>> {
  const headers: Record<string, string> = { ...(path.startsWith('/local/') ? localAccess() : {}), ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | Uint8Array | undefined;
  if (options.body !== undefined) {
    if (options.raw) {
      body = typeof options.body === 'string' || options.body instanceof Uint8Array ? options.body : String(options.body);
    } else {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
  }
  const response = await fetch(`${baseUrl()}${path}`, { method: options.method ?? 'GET', headers, body });
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json: json as T, text, headers: response.headers };
}

/** A DynamoDB client on the stack's DynamoDB Local. */
export function dynamoDbClient(): DynamoDBClient {
  return new DynamoDBClient({ endpoint: dynamodbEndpoint(), region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
}

/** A Step Functions client on the stack's local endpoint (StartSyncExecution included). */
export function sfnClient(): SFNClient {
  return new SFNClient({ endpoint: sfnEndpoint(), region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, disableHostPrefix: true });
}

/** Fires a schedule of the template now, as if at `isoTime`; returns the execution it started. */
export async function fireSchedule(scheduleLogicalId: string, isoTime: string): Promise<{ executionArn?: string; scheduledTime: string }> {
  const response = await fetch(`${baseUrl()}/local/schedules/${encodeURIComponent(scheduleLogicalId)}/fire`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...localAccess() },
    body: JSON.stringify({ time: isoTime }),
  });
  const json = (await response.json()) as { executionArn?: string; scheduledTime: string; message?: string };
  if (!response.ok) throw new Error(json.message ?? `firing ${scheduleLogicalId} failed with ${response.status}`);
  return json;
}

/** Function invocations and state transitions since the stack started (for benchmarks). */
export async function invocationCounts(): Promise<{ functions: Record<string, number>; stateTransitions: Record<string, number> }> {
  const response = await fetch(`${baseUrl()}/local/invocations`, { headers: localAccess() });
  return (await response.json()) as { functions: Record<string, number>; stateTransitions: Record<string, number> };
}
