import { z } from 'zod';
import { checkLimits, type ClientLimits } from '../domain/request-limits.ts';
import type { RequestCounter } from '../ports/request-counter.ts';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoRequestCounter } from '../adapters/dynamodb/request-counter.ts';
import { HttpError } from './errors.ts';

/**
 * Per-client limits at the edge of our code (docs/limits.md, docs/adr/0011-per-client-limits-at-the-edge.md):
 * HTTP APIs have no usage plans, so every API function counts its caller's requests before it
 * does any work, and answers 429 with `Retry-After` above the client's limits.
 */

/** The stage's limits, as the stack hands them to every API function (JSON). */
export const CLIENT_LIMITS_ENV = 'API_CLIENT_LIMITS';

export interface LimitSettings {
  /** Every client not listed. */
  readonly default: ClientLimits;
  /** Clients with limits of their own, by the client id their tokens carry. */
  readonly clients: readonly (ClientLimits & { readonly clientId: string })[];
}

const limits = z.strictObject({ requestsPerSecond: z.number(), requestsPerDay: z.number() });
const settingsSchema = z.strictObject({
  default: limits,
  clients: z.array(limits.extend({ clientId: z.string().min(1) })),
});

/** Reads the stage's limits; undefined when the function runs without them (unit tests of a handler). */
export function limitSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): LimitSettings | undefined {
  const raw = env[CLIENT_LIMITS_ENV];
  if (raw === undefined || raw === '') return undefined;
  const parsed = settingsSchema.safeParse(JSON.parse(raw));
  if (!parsed.success) throw new Error(`${CLIENT_LIMITS_ENV} is not valid: ${z.prettifyError(parsed.error)}`);
  for (const entry of [parsed.data.default, ...parsed.data.clients]) {
    const problem = checkLimits(entry);
    if (problem !== null) throw new Error(`${CLIENT_LIMITS_ENV} is not valid: ${problem}`);
  }
  return parsed.data;
}

export function limitsOf(settings: LimitSettings, clientId: string): ClientLimits {
  const own = settings.clients.find((client) => client.clientId === clientId);
  return own === undefined ? settings.default : { requestsPerSecond: own.requestsPerSecond, requestsPerDay: own.requestsPerDay };
}

/** What the edge needs to limit requests: the limits and where requests are counted. */
export interface EdgeLimiter {
  readonly settings: LimitSettings;
  readonly counter: RequestCounter;
}

/**
 * The limiter of a function deployed by the stack: its limits from the environment, its counters
 * in the state table (S44); none when the environment names no limits.
 */
export function limiterFromEnv(env: NodeJS.ProcessEnv = process.env): EdgeLimiter | undefined {
  const settings = limitSettingsFromEnv(env);
  const table = env.STATE_TABLE;
  if (settings === undefined) return undefined;
  if (table === undefined || table === '') throw new Error(`${CLIENT_LIMITS_ENV} is set but STATE_TABLE, where requests are counted, is not`);
  // A client of its own, so that the edge brings in no command it does not send (one UpdateItem).
  return { settings, counter: new DynamoRequestCounter(DynamoDBDocumentClient.from(new DynamoDBClient({})), table) };
}

/** Counts the client's request, or refuses it with 429, `Retry-After` and the limit it is over; nothing else has run. */
export async function admit(limiter: EdgeLimiter, clientId: string, instant: string): Promise<void> {
  const clientLimits = limitsOf(limiter.settings, clientId);
  const refused = await limiter.counter.count(clientId, clientLimits, instant);
  if (refused === null) return;
  const per = refused.limit === 'requestsPerSecond' ? 'second' : 'day (UTC)';
  throw new HttpError(
    429,
    'TOO_MANY_REQUESTS',
    `client ${clientId} is over its limit of ${refused.allowed} requests per ${per}; retry after ${refused.retryAfterSeconds} s`,
    { limit: refused.limit, allowed: refused.allowed, retryAfterSeconds: refused.retryAfterSeconds },
    { 'retry-after': String(refused.retryAfterSeconds) },
  );
}
