import { randomBytes } from 'node:crypto';

/**
 * Task tokens of `.waitForTaskToken` Task states: issued when a Task state reads
 * `$$.Task.Token`, completed by SendTaskSuccess / SendTaskFailure, kept alive by
 * SendTaskHeartbeat, failed with `States.HeartbeatTimeout` when heartbeats stop, expired at the
 * task's deadline (the engine fails the state with `States.Timeout` at that moment).
 */

export class TaskTokenError extends Error {
  constructor(
    readonly code: 'InvalidToken' | 'TaskDoesNotExist' | 'TaskTimedOut' | 'InvalidOutput',
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

/** The error a waiting Task state fails with, named as Step Functions names it. */
export class TaskFailure extends Error {
  constructor(error: string, cause: string) {
    super(cause);
    this.name = error;
  }
}

interface Pending {
  executionArn: string;
  settled: boolean;
  promise: Promise<unknown>;
  resolve: (output: unknown) => void;
  reject: (error: Error) => void;
  heartbeatTimer?: NodeJS.Timeout;
  heartbeatSeconds?: number;
  expiryTimer?: NodeJS.Timeout;
}

const TOKEN_PATTERN = /^AQ[A-Za-z0-9_-]{40,}$/;

export class TaskTokenRegistry {
  private readonly tokens = new Map<string, Pending>();
  private readonly current = new Map<string, string>();

  /**
   * The token `$$.Task.Token` reads in an execution. The same token is returned until a Task
   * state claims it, since the engine may read the context path more than once.
   */
  tokenFor(executionArn: string): string {
    const existing = this.current.get(executionArn);
    if (existing) return existing;
    const token = `AQ${randomBytes(48).toString('base64url')}`;
    let resolve!: (output: unknown) => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => undefined);
    this.tokens.set(token, { executionArn, settled: false, promise, resolve, reject });
    this.current.set(executionArn, token);
    return token;
  }

  /** Claims the tokens of an execution that appear anywhere in a Task state's input. */
  claim(executionArn: string, input: unknown): string[] {
    const found = new Set<string>();
    const visit = (value: unknown): void => {
      if (typeof value === 'string') {
        if (this.tokens.get(value)?.executionArn === executionArn) found.add(value);
      } else if (Array.isArray(value)) {
        value.forEach(visit);
      } else if (typeof value === 'object' && value !== null) {
        Object.values(value).forEach(visit);
      }
    };
    visit(input);
    if (found.has(this.current.get(executionArn) ?? '')) this.current.delete(executionArn);
    return [...found];
  }

  /**
   * Waits for SendTaskSuccess (its output) or SendTaskFailure (rejects with a TaskFailure).
   * At `deadline` (epoch milliseconds) the token expires: later answers are refused with
   * TaskTimedOut, and the promise is left to the caller's own timeout, which reports it.
   */
  wait(token: string, options: { heartbeatSeconds?: number; deadline?: number; signal?: AbortSignal } = {}): Promise<unknown> {
    const pending = this.tokens.get(token);
    if (!pending) return Promise.reject(new Error('Unknown task token'));
    if (options.heartbeatSeconds !== undefined) {
      pending.heartbeatSeconds = options.heartbeatSeconds;
      this.armHeartbeat(token, pending);
    }
    if (options.deadline !== undefined) {
      clearTimeout(pending.expiryTimer);
      pending.expiryTimer = setTimeout(() => this.expire(token), Math.max(0, options.deadline - Date.now()));
      pending.expiryTimer.unref();
    }
    options.signal?.addEventListener('abort', () => this.close(token, new TaskFailure('States.Timeout', 'Task aborted')), {
      once: true,
    });
    return pending.promise;
  }

  private armHeartbeat(token: string, pending: Pending): void {
    if (pending.heartbeatSeconds === undefined) return;
    clearTimeout(pending.heartbeatTimer);
    pending.heartbeatTimer = setTimeout(
      () => this.close(token, new TaskFailure('States.HeartbeatTimeout', 'No heartbeat in time')),
      pending.heartbeatSeconds * 1000,
    );
    pending.heartbeatTimer.unref();
  }

  private open(token: string): Pending {
    if (typeof token !== 'string' || !TOKEN_PATTERN.test(token)) {
      throw new TaskTokenError('InvalidToken', 'Invalid token');
    }
    const pending = this.tokens.get(token);
    if (!pending) throw new TaskTokenError('TaskDoesNotExist', 'Task does not exist anymore');
    if (pending.settled) throw new TaskTokenError('TaskTimedOut', 'Task Timed Out');
    return pending;
  }

  succeed(token: string, output: string): void {
    const pending = this.open(token);
    let parsed: unknown;
    try {
      parsed = JSON.parse(output);
    } catch {
      throw new TaskTokenError('InvalidOutput', 'Invalid State Machine Output: the output is not valid JSON');
    }
    this.settle(token, pending);
    pending.resolve(parsed);
  }

  fail(token: string, error = '', cause = ''): void {
    const pending = this.open(token);
    this.settle(token, pending);
    pending.reject(new TaskFailure(error, cause));
  }

  heartbeat(token: string): void {
    const pending = this.open(token);
    this.armHeartbeat(token, pending);
  }

  private settle(token: string, pending: Pending): void {
    pending.settled = true;
    clearTimeout(pending.heartbeatTimer);
    clearTimeout(pending.expiryTimer);
    if (this.current.get(pending.executionArn) === token) this.current.delete(pending.executionArn);
  }

  private close(token: string, failure: Error): void {
    const pending = this.tokens.get(token);
    if (!pending || pending.settled) return;
    this.settle(token, pending);
    pending.reject(failure);
  }

  /** The task's time is up: no answer is accepted any more; the waiting task reports the timeout. */
  private expire(token: string): void {
    const pending = this.tokens.get(token);
    if (!pending || pending.settled) return;
    this.settle(token, pending);
  }

  /** Closes every open token of an execution that has ended. */
  closeExecution(executionArn: string): void {
    for (const [token, pending] of this.tokens) {
      if (pending.executionArn === executionArn) this.close(token, new TaskFailure('States.Runtime', 'Execution ended'));
    }
    this.current.delete(executionArn);
  }

  /** Tokens still waiting for an answer (for tests and diagnostics). */
  openTokens(executionArn?: string): string[] {
    return [...this.tokens.entries()]
      .filter(([, pending]) => !pending.settled && (executionArn === undefined || pending.executionArn === executionArn))
      .map(([token]) => token);
  }
}
