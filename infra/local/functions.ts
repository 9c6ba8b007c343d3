import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { asRecord, asString, functionArn, functionNameFromArn } from './template.ts';
import type { TemplateResolver } from './template.ts';

/**
 * The Lambda functions of the template, bound to the handler modules they run in AWS.
 * Each function resource carries the metadata `colend:entry` (the handler module relative to
 * the repository root); the module is imported once and its `handler(event, context)` called.
 */

export const ENTRY_METADATA_KEY = 'colend:entry';

export interface LocalFunction {
  logicalId: string;
  /** The handler module relative to the repository root, or undefined for functions we do not run. */
  entry: string | undefined;
  arn: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
}

export function functionsFromTemplate(resolver: TemplateResolver): LocalFunction[] {
  return resolver.resourcesOfType('AWS::Lambda::Function').map(([logicalId, resource]) => {
    const props = resolver.properties(logicalId);
    const variables = asRecord(asRecord(props.Environment)?.Variables) ?? {};
    const environment: Record<string, string> = {};
    for (const [name, value] of Object.entries(variables)) environment[name] = String(value);
    return {
      logicalId,
      entry: asString(resource.Metadata?.[ENTRY_METADATA_KEY]),
      arn: functionArn(logicalId),
      environment,
      timeoutSeconds: typeof props.Timeout === 'number' ? props.Timeout : 3,
      memoryMb: typeof props.MemorySize === 'number' ? props.MemorySize : 128,
    };
  });
}

/** An error a handler threw, in the shape Lambda reports it (`errorType`, `errorMessage`, `trace`). */
export class FunctionError extends Error {
  constructor(
    readonly functionId: string,
    readonly errorType: string,
    readonly errorMessage: string,
    readonly trace: string[],
    options?: { cause?: unknown },
  ) {
    super(`${functionId} failed with ${errorType}: ${errorMessage}`, options);
    this.name = 'FunctionError';
  }

  /** The function error payload Lambda returns, which Step Functions puts in `Cause`. */
  get payload(): { errorType: string; errorMessage: string; trace: string[] } {
    return { errorType: this.errorType, errorMessage: this.errorMessage, trace: this.trace };
  }
}

type Handler = (event: unknown, context: Context, callback?: (error?: unknown, result?: unknown) => void) => unknown;

/** Loads a module by file URL; swapped in tests, defaults to the platform's dynamic import. */
export type ModuleLoader = (url: string) => Promise<Record<string, unknown>>;

const defaultLoader: ModuleLoader = (url) => import(url) as Promise<Record<string, unknown>>;

/** Variables that configure the Lambda runtime itself, not the handler: never copied locally. */
const RUNTIME_VARIABLES = new Set(['NODE_OPTIONS', 'AWS_NODEJS_CONNECTION_REUSE_ENABLED']);

/** One invocation as it ended: what the function was given, how long it ran, whether it failed. */
export interface Invocation {
  readonly functionId: string;
  /** The event as the handler received it (after the JSON boundary). */
  readonly event: unknown;
  /** `performance.now()` when the invocation started, in milliseconds. */
  readonly startedAt: number;
  readonly durationMs: number;
  readonly failed: boolean;
}

export interface FunctionHostOptions {
  rootDir: string;
  log?: (line: string) => void;
  loadModule?: ModuleLoader;
}

export class FunctionHost {
  private readonly byId = new Map<string, LocalFunction>();
  private readonly handlers = new Map<string, Promise<Handler>>();
  private readonly counts = new Map<string, number>();
  private readonly durations = new Map<string, number>();
  private readonly listeners = new Set<(invocation: Invocation) => void>();
  private readonly loadModule: ModuleLoader;

  constructor(
    functions: LocalFunction[],
    private readonly options: FunctionHostOptions,
  ) {
    for (const fn of functions) this.byId.set(fn.logicalId, fn);
    this.loadModule = options.loadModule ?? defaultLoader;
  }

  get functions(): LocalFunction[] {
    return [...this.byId.values()];
  }

  get(logicalId: string): LocalFunction | undefined {
    return this.byId.get(logicalId);
  }

  /** The logical id of a function named by ARN (any qualifier) or name, if it runs locally. */
  resolve(nameOrArn: string): LocalFunction | undefined {
    const name = functionNameFromArn(nameOrArn);
    return name === undefined ? undefined : this.byId.get(name);
  }

  /** Whether the function has a handler module that exists on disk. */
  isRunnable(logicalId: string): boolean {
    const entry = this.byId.get(logicalId)?.entry;
    return entry !== undefined && existsSync(this.entryPath(entry));
  }

  private entryPath(entry: string): string {
    return isAbsolute(entry) ? entry : join(this.options.rootDir, entry);
  }

  /**
   * The environment every handler sees: each function's variables (the functions share the
   * names), plus whatever the caller adds (region, credentials, local endpoints). Warns when
   * two functions give one variable different values, since one process holds them all.
   */
  environment(extra: Record<string, string>): Record<string, string> {
    const merged: Record<string, string> = {};
    const owner = new Map<string, string>();
    for (const fn of this.byId.values()) {
      if (fn.entry === undefined) continue;
      for (const [name, value] of Object.entries(fn.environment)) {
        if (RUNTIME_VARIABLES.has(name)) continue;
        const previous = merged[name];
        if (previous !== undefined && previous !== value) {
          this.options.log?.(
            `warning: ${name} is ${previous} for ${owner.get(name)} but ${value} for ${fn.logicalId}; locally all functions see ${previous}`,
          );
          continue;
        }
        merged[name] = value;
        owner.set(name, fn.logicalId);
      }
    }
    return { ...merged, ...extra };
  }

  invocationCounts(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  resetInvocationCounts(): void {
    this.counts.clear();
    this.durations.clear();
  }

  /** Milliseconds spent in each function's handler since start (or the last reset), the module's first import left out: what Lambda bills as duration. */
  invocationDurations(): Record<string, number> {
    return Object.fromEntries([...this.durations.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** Calls `listener` as each invocation ends, until the returned function is called. */
  onInvocation(listener: (invocation: Invocation) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Imports every handler module ahead of the first request, so a module that cannot load is
   * reported at start. A failure is logged, not fatal: only that function fails, as in AWS.
   */
  async preload(): Promise<void> {
    const runnable = this.functions.filter((fn) => this.isRunnable(fn.logicalId));
    await Promise.all(
      runnable.map((fn) =>
        this.handler(fn).catch((error: unknown) =>
          this.options.log?.(`warning: ${fn.entry} (function ${fn.logicalId}) did not load: ${error instanceof Error ? error.message : String(error)}`),
        ),
      ),
    );
  }

  private handler(fn: LocalFunction): Promise<Handler> {
    let pending = this.handlers.get(fn.logicalId);
    if (!pending) {
      pending = this.importHandler(fn);
      this.handlers.set(fn.logicalId, pending);
      pending.catch(() => this.handlers.delete(fn.logicalId));
    }
    return pending;
  }

  private async importHandler(fn: LocalFunction): Promise<Handler> {
    if (fn.entry === undefined) {
      throw new Error(`Function ${fn.logicalId} has no ${ENTRY_METADATA_KEY} metadata, so it cannot run locally`);
    }
    const module = await this.loadModule(pathToFileURL(this.entryPath(fn.entry)).href);
    const handler = module.handler;
    if (typeof handler !== 'function') {
      throw new Error(`${fn.entry} (function ${fn.logicalId}) does not export a handler function`);
    }
    return handler as Handler;
  }

  /**
   * Invokes a function the way Lambda does: the event and the result cross a JSON boundary,
   * a thrown error becomes a FunctionError carrying Lambda's error payload.
   */
  async invoke(logicalId: string, event: unknown): Promise<unknown> {
    const fn = this.byId.get(logicalId);
    if (!fn) throw new Error(`No function ${logicalId} in the template`);
    this.counts.set(logicalId, (this.counts.get(logicalId) ?? 0) + 1);
    const handler = await this.handler(fn);
    const payload: unknown = JSON.parse(JSON.stringify(event ?? null));
    const context = lambdaContext(fn);
    const startedAt = performance.now();
    let failed = true;
    try {
      const result = await callHandler(handler, payload, context);
      failed = false;
      const serialized = JSON.stringify(result);
      return serialized === undefined ? null : (JSON.parse(serialized) as unknown);
    } catch (error) {
      throw toFunctionError(logicalId, error);
    } finally {
      this.ended({ functionId: logicalId, event: payload, startedAt, durationMs: performance.now() - startedAt, failed });
    }
  }

  private ended(invocation: Invocation): void {
    this.durations.set(invocation.functionId, (this.durations.get(invocation.functionId) ?? 0) + invocation.durationMs);
    for (const listener of this.listeners) listener(invocation);
  }
}

function callHandler(handler: Handler, event: unknown, context: Context): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (error: unknown, result?: unknown): void => {
      if (settled) return;
      settled = true;
      if (error !== undefined && error !== null) reject(error);
      else resolve(result);
    };
    try {
      const returned = handler.length >= 3 ? handler(event, context, settle) : handler(event, context);
      if (returned !== undefined && typeof (returned as Promise<unknown>)?.then === 'function') {
        (returned as Promise<unknown>).then(
          (value) => settle(null, value),
          (error: unknown) => settle(error ?? new Error('Handler rejected')),
        );
      } else if (handler.length < 3) {
        settle(null, returned);
      }
    } catch (error) {
      settle(error ?? new Error('Handler threw'));
    }
  });
}

export function toFunctionError(logicalId: string, error: unknown): FunctionError {
  if (error instanceof FunctionError) return error;
  if (error instanceof Error) {
    const trace = (error.stack ?? '').split('\n').map((line) => line.trim());
    return new FunctionError(logicalId, error.name || 'Error', error.message, trace, { cause: error });
  }
  return new FunctionError(logicalId, 'Error', String(error), [], { cause: error });
}

export function lambdaContext(fn: LocalFunction): Context {
  const deadline = Date.now() + fn.timeoutSeconds * 1000;
  const now = new Date();
  const day = `${now.getUTCFullYear()}/${String(now.getUTCMonth() + 1).padStart(2, '0')}/${String(now.getUTCDate()).padStart(2, '0')}`;
  const notSupported = (): void => {
    throw new Error('The callback-style context methods are not supported; return or throw instead');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fn.logicalId,
    functionVersion: '$LATEST',
    invokedFunctionArn: fn.arn,
    memoryLimitInMB: String(fn.memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${fn.logicalId}`,
    logStreamName: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: notSupported,
    fail: notSupported,
    succeed: notSupported,
  };
}
