import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { subscribe } from 'node:diagnostics_channel';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS, startLocalStack, type LocalStack } from '../../../infra/local/stack.ts';
import { LOCAL_REGION } from '../../../infra/local/template.ts';
import { WEBHOOK_SECRETS_ENV } from '../../../shared/adapters/webhook-secrets/index.ts';

/**
 * A local stack of the fuzzer's own (its own DynamoDB Local, so other test files sharing the run's
 * stack never move the state it checks), whose handlers run in this process. Every AWS call a
 * handler makes while it serves a request is put down to that request (the request's
 * `x-fuzz-case` header, carried through the handler's async work), so a refused request that
 * wrote anything is named, however many requests run at once.
 */

/** The header that names the case a request belongs to. */
export const CASE_HEADER = 'x-fuzz-case';

/** AWS operations that change state: DynamoDB writes, starting or steering executions, publishing events. */
const STATE_CHANGING = new Set([
  'DynamoDB_20120810.PutItem',
  'DynamoDB_20120810.UpdateItem',
  'DynamoDB_20120810.DeleteItem',
  'DynamoDB_20120810.BatchWriteItem',
  'DynamoDB_20120810.TransactWriteItems',
  'AWSStepFunctions.StartExecution',
  'AWSStepFunctions.StartSyncExecution',
  'AWSStepFunctions.StopExecution',
  'AWSStepFunctions.SendTaskSuccess',
  'AWSStepFunctions.SendTaskFailure',
  'secretsmanager.CreateSecret',
  'secretsmanager.PutSecretValue',
  'AWSEvents.PutEvents',
]);

const requestCase = new AsyncLocalStorage<string>();
const callsInFlight = new WeakMap<object, { caseId: string; operation: string }>();
const writesByCase = new Map<string, string[]>();

subscribe('http.client.request.start', (message) => {
  const caseId = requestCase.getStore();
  if (caseId === undefined) return;
  const request = (message as { request: ClientRequest }).request;
  const target = request.getHeader('x-amz-target');
  if (typeof target === 'string' && STATE_CHANGING.has(target)) callsInFlight.set(request, { caseId, operation: target });
});

subscribe('http.client.response.finish', (message) => {
  const { request, response } = message as { request: ClientRequest; response: IncomingMessage };
  const call = callsInFlight.get(request);
  if (!call || response.statusCode !== 200) return;
  const list = writesByCase.get(call.caseId) ?? [];
  list.push(call.operation.slice(call.operation.indexOf('.') + 1));
  writesByCase.set(call.caseId, list);
});

/** The state-changing AWS calls that succeeded while the case's request was served; forgotten once read. */
export function takeWrites(caseId: string): string[] {
  const writes = writesByCase.get(caseId) ?? [];
  writesByCase.delete(caseId);
  return writes;
}

/** Imports a handler module and runs its handler inside the context of the case its event names. */
async function loadAttributed(url: string): Promise<Record<string, unknown>> {
  const module = (await import(url)) as Record<string, unknown>;
  const handler = module.handler;
  if (typeof handler !== 'function') return module;
  const attributed = (event: unknown, context: unknown): unknown => {
    const headers = (event as { headers?: Record<string, string> } | null)?.headers;
    const caseId = headers?.[CASE_HEADER];
    return caseId === undefined ? handler(event, context) : requestCase.run(caseId, () => handler(event, context));
  };
  return { ...module, handler: attributed };
}

export interface FuzzStack {
  readonly stack: LocalStack;
  readonly baseUrl: string;
  /** A digest of everything the stack keeps: every item of every table, the files, the secrets file, the executions and events. */
  fingerprint(): Promise<Fingerprint>;
  stop(): Promise<void>;
}

export interface Fingerprint {
  /** `table|key` → hash of the item. */
  readonly items: ReadonlyMap<string, string>;
  readonly files: ReadonlyMap<string, string>;
  readonly executions: number;
  readonly events: number;
}

/** What differs between two fingerprints, at most `max` lines. */
export function differences(before: Fingerprint, after: Fingerprint, max = 20): string[] {
  const lines: string[] = [];
  const compare = (what: string, a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>) => {
    for (const [key, hash] of b) if (a.get(key) !== hash) lines.push(`${what} ${a.has(key) ? 'changed' : 'added'}: ${key}`);
    for (const key of a.keys()) if (!b.has(key)) lines.push(`${what} removed: ${key}`);
  };
  compare('item', before.items, after.items);
  compare('file', before.files, after.files);
  if (before.executions !== after.executions) lines.push(`executions: ${before.executions} → ${after.executions}`);
  if (before.events !== after.events) lines.push(`events: ${before.events} → ${after.events}`);
  return lines.slice(0, max);
}

const hash = (value: string | Buffer): string => createHash('sha256').update(value).digest('hex').slice(0, 32);

function keyOf(item: Record<string, AttributeValue>): string {
  return `${item.pk?.S ?? JSON.stringify(item.pk)}|${item.sk?.S ?? JSON.stringify(item.sk)}`;
}

async function scanTable(client: DynamoDBClient, tableName: string, into: Map<string, string>): Promise<void> {
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      const sorted = Object.fromEntries(Object.entries(item).sort(([a], [b]) => a.localeCompare(b)));
      into.set(`${tableName}|${keyOf(item)}`, hash(JSON.stringify(sorted)));
    }
    start = page.LastEvaluatedKey;
  } while (start);
}

async function hashFiles(dir: string, into: Map<string, string>, prefix = ''): Promise<void> {
  if (!existsSync(dir)) return;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await hashFiles(path, into, `${prefix}${entry.name}/`);
    // A partial file is a write under way, renamed when whole: nothing lists or reads it, so it is no part of the state.
    else if (!entry.name.endsWith('.partial')) into.set(`${prefix}${entry.name}`, hash(await readFile(path)));
  }
}

/** Starts the fuzzer's stack, its clock at `clockStart`. */
export async function startFuzzStack(clockStart: string): Promise<FuzzStack> {
  // Without the clients' request counts (docs/limits.md): a write every request makes, refused or not, by design; they have their own tests.
  const stack = await startLocalStack({ port: 0, runSchedules: false, clockStart, countClientRequests: false, loadModule: loadAttributed, log: (line) => { if (process.env.FUZZ_LOG) process.stderr.write(`[fuzz stack] ${line}\n`); } });
  const client = new DynamoDBClient({ endpoint: stack.dynamodbEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const tables = [...stack.tables.created, ...stack.tables.existing].map((t) => t.tableName).sort();
  const secretsFile = process.env[WEBHOOK_SECRETS_ENV.file];
  return {
    stack,
    baseUrl: stack.baseUrl,
    async fingerprint() {
      const items = new Map<string, string>();
      for (const table of tables) await scanTable(client, table, items);
      const files = new Map<string, string>();
      await hashFiles(stack.filesDir, files);
      if (secretsFile !== undefined && existsSync(secretsFile)) files.set('webhook-secrets', hash(await readFile(secretsFile)));
      const executions = Object.values(stack.stepFunctions.transitionCounts()).reduce((a, b) => a + b, 0);
      return { items, files, executions, events: stack.events.count() };
    },
    async stop() {
      client.destroy();
      await stack.stop();
    },
  };
}
