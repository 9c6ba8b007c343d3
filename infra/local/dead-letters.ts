import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { IncomingMessage } from 'node:http';
import { jsonResponse, type ApiResponse } from './api-event.ts';
import { asRecord, asString, functionArn, LOCAL_ACCOUNT, LOCAL_REGION, type TemplateResolver } from './template.ts';

/**
 * The template's dead-letter queues, kept locally: what the local stream, bus and scheduler could
 * not deliver after their retries lands here in the shape AWS puts in the queue (an invocation
 * record, a stream batch's bounds, or the event or input with the attributes naming its target),
 * so `colend replay` reads and redrives local and AWS dead letters with one logic
 * (docs/operations.md, Dead letters). In memory, or in `<persistDir>/dead-letters.json` with
 * `--persist`; served to the command line at `/local/dead-letters/…`.
 */

export const DEAD_LETTERS_FILE = 'dead-letters.json';

export interface LocalDeadLetter {
  readonly messageId: string;
  readonly body: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly sentAt: string;
}

/** The queue a GetAtt names: `{ "Fn::GetAtt": [logicalId, "Arn"] }`. */
function queueOf(value: unknown): string | undefined {
  const getAtt = asRecord(value)?.['Fn::GetAtt'];
  return Array.isArray(getAtt) && getAtt[1] === 'Arn' && typeof getAtt[0] === 'string' ? getAtt[0] : undefined;
}

export function localQueueArn(logicalId: string): string {
  return `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${logicalId}`;
}

/** A function's asynchronous invocation settings (`AWS::Lambda::EventInvokeConfig`): its retries and its on-failure queue. */
export interface AsyncInvokeConfig {
  readonly retryAttempts: number;
  readonly onFailureQueue?: string;
}

/** Lambda runs a failed asynchronous invocation twice more when the function says nothing else. */
export const DEFAULT_ASYNC_RETRY_ATTEMPTS = 2;

/** Each function's asynchronous invocation settings, by the function's logical id. */
export function asyncInvokeConfigsFromTemplate(resolver: TemplateResolver): Map<string, AsyncInvokeConfig> {
  const configs = new Map<string, AsyncInvokeConfig>();
  for (const [, resource] of resolver.resourcesOfType('AWS::Lambda::EventInvokeConfig')) {
    const props = resource.Properties ?? {};
    const fn = asString(asRecord(props.FunctionName)?.Ref);
    if (fn === undefined) continue;
    const queue = queueOf(asRecord(asRecord(asRecord(props.DestinationConfig)?.OnFailure))?.Destination);
    const retries = props.MaximumRetryAttempts;
    configs.set(fn, { retryAttempts: typeof retries === 'number' ? retries : DEFAULT_ASYNC_RETRY_ATTEMPTS, ...(queue !== undefined ? { onFailureQueue: queue } : {}) });
  }
  return configs;
}

/** The template's SQS queues that some path names as its dead-letter queue or on-failure destination. */
export function deadLetterQueuesFromTemplate(resolver: TemplateResolver): string[] {
  const named = new Set<string>();
  for (const [, resource] of resolver.resourcesOfType('AWS::Lambda::EventSourceMapping', 'AWS::Lambda::EventInvokeConfig')) {
    const queue = queueOf(asRecord(asRecord(resource.Properties?.DestinationConfig)?.OnFailure)?.Destination);
    if (queue !== undefined) named.add(queue);
  }
  for (const [, resource] of resolver.resourcesOfType('AWS::Events::Rule')) {
    const targets = Array.isArray(resource.Properties?.Targets) ? (resource.Properties.Targets as unknown[]) : [];
    for (const target of targets) {
      const queue = queueOf(asRecord(asRecord(target)?.DeadLetterConfig)?.Arn);
      if (queue !== undefined) named.add(queue);
    }
  }
  for (const [, resource] of resolver.resourcesOfType('AWS::Scheduler::Schedule')) {
    const queue = queueOf(asRecord(asRecord(resource.Properties?.Target)?.DeadLetterConfig)?.Arn);
    if (queue !== undefined) named.add(queue);
  }
  const queues = new Set(resolver.resourcesOfType('AWS::SQS::Queue').map(([logicalId]) => logicalId));
  return [...named].filter((queue) => queues.has(queue)).sort();
}

/** The dead letters of every queue, oldest first; written through to a file when one is given. */
export class LocalDeadLetters {
  private readonly queues = new Map<string, LocalDeadLetter[]>();

  constructor(
    queueLogicalIds: readonly string[],
    private readonly file?: string,
  ) {
    for (const queue of queueLogicalIds) this.queues.set(queue, []);
    if (file !== undefined && existsSync(file)) {
      const kept = asRecord(JSON.parse(readFileSync(file, 'utf8'))) ?? {};
      for (const [queue, letters] of Object.entries(kept)) if (this.queues.has(queue) && Array.isArray(letters)) this.queues.set(queue, letters as LocalDeadLetter[]);
    }
  }

  /** A queue by logical id, or by construct id (the logical id without its 8-digit hash). */
  resolve(name: string): string | undefined {
    if (this.queues.has(name)) return name;
    const found = [...this.queues.keys()].filter((id) => id.startsWith(name) && /^[0-9A-F]{8}$/.test(id.slice(name.length)));
    return found.length === 1 ? found[0] : undefined;
  }

  /** Each queue with the number of messages it holds. */
  depths(): { queue: string; depth: number }[] {
    return [...this.queues].map(([queue, letters]) => ({ queue, depth: letters.length }));
  }

  send(queue: string, body: unknown, attributes: Readonly<Record<string, string>> = {}): LocalDeadLetter {
    const letters = this.queues.get(queue);
    if (letters === undefined) throw new Error(`no dead-letter queue ${queue}`);
    const letter: LocalDeadLetter = { messageId: randomUUID(), body: typeof body === 'string' ? body : JSON.stringify(body), attributes: { ...attributes }, sentAt: new Date().toISOString() };
    letters.push(letter);
    this.save();
    return letter;
  }

  receive(queue: string, max: number): LocalDeadLetter[] {
    return (this.queues.get(queue) ?? []).slice(0, Math.max(0, max)).map((letter) => structuredClone(letter));
  }

  /** Removes a message; false when the queue no longer holds it. */
  remove(queue: string, messageId: string): boolean {
    const letters = this.queues.get(queue) ?? [];
    const at = letters.findIndex((letter) => letter.messageId === messageId);
    if (at < 0) return false;
    letters.splice(at, 1);
    this.save();
    return true;
  }

  private save(): void {
    if (this.file === undefined) return;
    mkdirSync(dirname(this.file), { recursive: true });
    const partial = `${this.file}.${process.pid}.tmp`;
    writeFileSync(partial, JSON.stringify(Object.fromEntries(this.queues), null, 1), { mode: 0o600 });
    renameSync(partial, this.file);
  }
}

/** What Lambda puts in an on-failure destination for an asynchronous invocation that failed every retry. */
export function asyncFailureRecord(functionLogicalId: string, payload: unknown, attempts: number, error: string): Record<string, unknown> {
  return {
    version: '1.0',
    timestamp: new Date().toISOString(),
    requestContext: { requestId: randomUUID(), functionArn: `${functionArn(functionLogicalId)}:$LATEST`, condition: 'RetriesExhausted', approximateInvokeCount: attempts },
    requestPayload: payload,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: { errorMessage: error },
  };
}

/**
 * Invokes a function asynchronously as Lambda does: the caller does not wait; a failure is run
 * again up to the function's retry attempts (a short pause between, locally), then put in its
 * on-failure queue, or only logged when it has none (as Lambda drops it).
 */
export function asyncInvoker(deps: {
  readonly invoke: (functionLogicalId: string, payload: unknown) => Promise<unknown>;
  readonly configs: ReadonlyMap<string, AsyncInvokeConfig>;
  readonly deadLetters: LocalDeadLetters;
  readonly log: (line: string) => void;
  readonly retryDelayMs?: number;
}): (functionLogicalId: string, payload: unknown) => Promise<void> {
  return async (functionLogicalId, payload) => {
    const config = deps.configs.get(functionLogicalId);
    const retries = config?.retryAttempts ?? DEFAULT_ASYNC_RETRY_ATTEMPTS;
    for (let attempt = 0; attempt <= retries; attempt++) {
      try {
        await deps.invoke(functionLogicalId, payload);
        return;
      } catch (thrown) {
        const error = thrown instanceof Error ? thrown.message : String(thrown);
        if (attempt < retries) {
          await new Promise((resolve) => setTimeout(resolve, deps.retryDelayMs ?? 200));
          continue;
        }
        if (config?.onFailureQueue === undefined) {
          deps.log(`lambda: ${functionLogicalId} dropped an asynchronous invocation after ${retries} retries (no on-failure destination): ${error}`);
          return;
        }
        deps.deadLetters.send(config.onFailureQueue, asyncFailureRecord(functionLogicalId, payload, attempt + 1, error));
        deps.log(`lambda: ${functionLogicalId} failed after ${retries} retries, kept in ${config.onFailureQueue}: ${error}`);
      }
    }
  };
}

/** `/local/dead-letters/{queue}[/{messageId}]` and `/local/lambda/2015-03-31/functions/{name}/invocations`. */
export const DEAD_LETTERS_PATH = '/local/dead-letters';
export const LOCAL_LAMBDA_PATH = '/local/lambda';

async function readText(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The local endpoints `colend replay` uses (behind the local token, like every `/local/*`):
 * - `GET /local/dead-letters` lists the queues and their depths;
 * - `GET /local/dead-letters/{queue}?max=N` reads a queue's first messages (construct or logical id);
 * - `POST /local/dead-letters/{queue}` with `{body, attributes?}` puts one in (SQS's SendMessage);
 * - `DELETE /local/dead-letters/{queue}/{messageId}` removes one;
 * - `POST /local/lambda/2015-03-31/functions/{name}/invocations` is Lambda's Invoke (RequestResponse),
 *   so the command line redrives through the real Lambda client, as in AWS.
 */
export function localDeadLetterEndpoints(deadLetters: LocalDeadLetters, invoke: (nameOrArn: string, payload: unknown) => Promise<unknown>) {
  return async (request: IncomingMessage, url: URL): Promise<ApiResponse | undefined> => {
    const invocation = /^\/local\/lambda\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(url.pathname);
    if (invocation !== null && request.method === 'POST') {
      const text = await readText(request);
      const name = decodeURIComponent(invocation[1] as string);
      let payload: unknown;
      try {
        payload = text === '' ? {} : JSON.parse(text);
      } catch {
        return jsonResponse(400, { message: 'the payload is not JSON' }, [['x-amzn-errortype', 'InvalidRequestContentException']]);
      }
      try {
        const result = await invoke(name, payload);
        return jsonResponse(200, result ?? null, [['x-amz-executed-version', '$LATEST']]);
      } catch (error) {
        if (error instanceof FunctionNotFound) return jsonResponse(404, { message: error.message }, [['x-amzn-errortype', 'ResourceNotFoundException']]);
        const errorMessage = error instanceof Error ? error.message : String(error);
        return jsonResponse(200, { errorMessage, errorType: error instanceof Error ? error.name : 'Error' }, [['x-amz-function-error', 'Unhandled'], ['x-amz-executed-version', '$LATEST']]);
      }
    }
    if (url.pathname === DEAD_LETTERS_PATH && request.method === 'GET') return jsonResponse(200, { queues: deadLetters.depths() });
    const path = new RegExp(`^${DEAD_LETTERS_PATH}/([^/]+)(?:/([^/]+))?$`).exec(url.pathname);
    if (path === null) return undefined;
    const queue = deadLetters.resolve(decodeURIComponent(path[1] as string));
    if (queue === undefined) return jsonResponse(404, { message: `no dead-letter queue ${path[1]} (known: ${deadLetters.depths().map((d) => d.queue).join(', ') || 'none'})` });
    if (path[2] === undefined && request.method === 'POST') {
      // SendMessage: an operator putting back a message it took out, or a test placing one.
      let sent: unknown;
      try {
        sent = JSON.parse(await readText(request));
      } catch {
        sent = undefined;
      }
      const message = asRecord(sent);
      const body = asString(message?.body);
      const attributes = asRecord(message?.attributes) ?? {};
      if (body === undefined || !Object.values(attributes).every((value) => typeof value === 'string')) {
        return jsonResponse(400, { message: 'body: a string is required; attributes: an object of strings' });
      }
      return jsonResponse(201, { queue, messageId: deadLetters.send(queue, body, attributes as Record<string, string>).messageId });
    }
    if (path[2] === undefined && request.method === 'GET') {
      const max = Number(url.searchParams.get('max') ?? '10');
      return jsonResponse(200, { queue, messages: deadLetters.receive(queue, Number.isSafeInteger(max) && max > 0 ? max : 10) });
    }
    if (path[2] !== undefined && request.method === 'DELETE') {
      const removed = deadLetters.remove(queue, decodeURIComponent(path[2]));
      return jsonResponse(removed ? 200 : 404, removed ? { queue, messageId: path[2] } : { message: `${queue} holds no message ${path[2]}` });
    }
    return undefined;
  };
}

/** A function the local stack does not run (Lambda's ResourceNotFoundException). */
export class FunctionNotFound extends Error {
  override readonly name = 'ResourceNotFoundException';
}
