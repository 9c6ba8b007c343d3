import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, StateMachine } from 'aws-local-stepfunctions';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { FunctionError } from './functions.ts';
import type { FunctionHost } from './functions.ts';
import { bindTaskState, commandFor, engineDefinition, MAX_TIMER_SECONDS, taskStates, taskTiming, unboundTaskStates } from './state-machines.ts';
import type { AslState, LocalStateMachine, TaskBinding, TaskTiming } from './state-machines.ts';
import { TaskFailure, TaskTokenRegistry } from './task-tokens.ts';
import { asRecord, asString, LOCAL_ACCOUNT, LOCAL_REGION } from './template.ts';

/**
 * Executions of the template's state machines (bound in `state-machines.ts`), run by the
 * `aws-local-stepfunctions` engine: the execution registry, each Task state's run, task tokens
 * and the answers of the Step Functions API.
 */

/** An error of the Step Functions API, answered with its code as AWS does. */
export class SfnServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
}

interface ExecutionEntry {
  record: ExecutionRecord;
  machine: LocalStateMachine;
  abort?: () => void;
  done: Promise<void>;
  stopRequest?: { error?: string; cause?: string };
}

export interface StepFunctionsRuntimeOptions {
  machines: LocalStateMachine[];
  functions: FunctionHost;
  /** DynamoDB client for DynamoDB service integrations, created on first use. */
  dynamodb?: () => DynamoDBClient;
  log?: (line: string) => void;
  /**
   * Validate each definition against the ASL schema (default true). The local stack leaves it out
   * for a template it validated on an earlier start: the check costs seconds and its answer
   * depends on the definitions alone.
   */
  validateDefinitions?: boolean;
  /**
   * A file that lists the Standard executions running, rewritten as each starts and ends and
   * kept as it is when the runtime stops, so that the next runtime on the same file (a restart
   * with `--persist`) can resume them (`resumeInFlight`).
   */
  journal?: string;
}

/** A Standard execution that was running when the runtime stopped, as the journal keeps it. */
export interface InFlightExecution {
  readonly stateMachine: string;
  readonly name: string;
  readonly input: string;
  readonly startDate: string;
}

/** What `resumeInFlight` did with the executions of the journal. */
export interface ResumedExecutions {
  /** Started again, with the same name and input. */
  readonly resumed: InFlightExecution[];
  /** Left stopped, each with the reason. */
  readonly notResumed: (InFlightExecution & { readonly reason: string })[];
}

function readJournal(path: string): InFlightExecution[] {
  if (!existsSync(path)) return [];
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as { executions?: unknown };
  if (!Array.isArray(parsed.executions)) throw new Error(`${path} is not a journal of executions: it has no "executions" list`);
  return parsed.executions.map((entry: unknown, index: number) => {
    const record = asRecord(entry);
    const [stateMachine, name, input, startDate] = [record?.stateMachine, record?.name, record?.input, record?.startDate];
    if (typeof stateMachine !== 'string' || typeof name !== 'string' || typeof input !== 'string' || typeof startDate !== 'string') {
      throw new Error(`${path}: executions[${index}] needs the strings stateMachine, name, input and startDate`);
    }
    return { stateMachine, name, input, startDate };
  });
}

/** Execution names: 1 to 80 characters, none of them whitespace, brackets, wildcards, punctuation or control characters. */
function isValidName(name: string): boolean {
  if (name.length < 1 || name.length > 80) return false;
  for (const char of name) {
    const code = char.codePointAt(0) ?? 0;
    if (code <= 0x1f || (code >= 0x7f && code <= 0x9f)) return false;
    if (/[\s<>{}[\]?*"#%\\^|~`$&,;:/]/.test(char)) return false;
  }
  return true;
}
const MAX_INPUT_BYTES = 262_144;

/**
 * A Step Functions API error as the `states:startExecution` integration reports it:
 * `StepFunctions.<Code>Exception` (for example `StepFunctions.ExecutionAlreadyExistsException`).
 */
export function startExecutionErrorName(code: string): string {
  return `StepFunctions.${code.endsWith('Exception') ? code : `${code}Exception`}`;
}

function lambdaErrorForEngine(error: unknown): Error {
  if (error instanceof FunctionError) {
    const failure = new Error(JSON.stringify(error.payload));
    failure.name = error.errorType;
    return failure;
  }
  return error instanceof Error ? error : new Error(String(error));
}

export class StepFunctionsRuntime {
  readonly tokens = new TaskTokenRegistry();
  private readonly machines = new Map<string, LocalStateMachine>();
  private readonly engines = new Map<string, StateMachine>();
  private readonly bindings = new Map<string, Map<string, TaskBinding>>();
  private readonly executions = new Map<string, ExecutionEntry>();
  private readonly transitions = new Map<string, number>();
  /** State machines with a Task state that waits for a task token: what a restart resumes. */
  private readonly waitsForTokens = new Set<string>();
  private stopping = false;
  private dynamoClient: DynamoDBClient | undefined;

  constructor(private readonly options: StepFunctionsRuntimeOptions) {
    const unbound = unboundTaskStates(options.machines, options.functions);
    if (unbound.length > 0) {
      const lines = unbound.map((task) => `  ${task.stateMachine}.${task.stateName} (${task.resource}): ${task.reason}`);
      throw new Error(`Task states that cannot run locally:\n${lines.join('\n')}`);
    }
    for (const machine of options.machines) {
      this.machines.set(machine.arn, machine);
      const definition = engineDefinition(machine.definition) as unknown as StateMachineDefinition;
      const validationOptions = options.validateDefinitions === false ? { noValidate: true } : { checkArn: true, checkPaths: true };
      this.engines.set(machine.arn, new StateMachine(definition, { validationOptions }));
      const byState = new Map<string, TaskBinding>();
      for (const { stateName, state } of taskStates(machine)) {
        const binding = bindTaskState(state, options.functions) as TaskBinding;
        byState.set(stateName, binding);
        const waits = (binding.kind === 'lambda-invoke' && binding.waitForToken) || (binding.kind === 'start-execution' && binding.mode === 'waitForTaskToken');
        if (waits) this.waitsForTokens.add(machine.arn);
      }
      this.bindings.set(machine.arn, byState);
    }
  }

  get stateMachines(): LocalStateMachine[] {
    return [...this.machines.values()];
  }

  machine(arn: string): LocalStateMachine {
    const machine = this.machines.get(arn);
    if (!machine) throw new SfnServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  /** State transitions per state machine logical id since start (for the cost model). */
  transitionCounts(): Record<string, number> {
    return Object.fromEntries([...this.transitions.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  startExecution(request: { stateMachineArn: string; name?: string; input?: string }): {
    executionArn: string;
    startDate: Date;
  } {
    const machine = this.machine(request.stateMachineArn);
    const input = request.input ?? '{}';
    const parsed = this.parseInput(input);
    const name = request.name ?? randomUUID();
    if (!isValidName(name)) throw new SfnServiceError('InvalidName', `Invalid Name: '${name}'`);
    const executionArn =
      machine.type === 'EXPRESS'
        ? `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:express:${machine.logicalId}:${name}:${randomUUID()}`
        : `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${machine.logicalId}:${name}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      // As in AWS Standard: the same name and input while running is the same execution.
      if (existing.record.status === 'RUNNING' && existing.record.input === input) {
        return { executionArn, startDate: existing.record.startDate };
      }
      throw new SfnServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const entry = this.run(machine, executionArn, name, input, parsed);
    return { executionArn, startDate: entry.record.startDate };
  }

  async startSyncExecution(request: { stateMachineArn: string; name?: string; input?: string }): Promise<ExecutionRecord> {
    const machine = this.machine(request.stateMachineArn);
    if (machine.type !== 'EXPRESS') {
      throw new SfnServiceError('StateMachineTypeNotSupported', 'This operation is not supported by this type of state machine');
    }
    const { executionArn } = this.startExecution(request);
    return this.waitForExecution(executionArn);
  }

  private parseInput(input: string): unknown {
    if (Buffer.byteLength(input, 'utf8') > MAX_INPUT_BYTES) {
      throw new SfnServiceError('InvalidExecutionInput', 'The input is larger than 262144 bytes');
    }
    try {
      return JSON.parse(input) as unknown;
    } catch {
      throw new SfnServiceError('InvalidExecutionInput', 'Invalid State Machine Execution Input: the input is not valid JSON');
    }
  }

  private run(machine: LocalStateMachine, executionArn: string, name: string, input: string, parsed: unknown): ExecutionEntry {
    const startDate = new Date();
    const record: ExecutionRecord = { executionArn, stateMachineArn: machine.arn, name, status: 'RUNNING', startDate, input };
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const entry: ExecutionEntry = { record, machine, done };
    this.executions.set(executionArn, entry);
    this.writeJournal();

    const engine = this.engines.get(machine.arn) as StateMachine;
    const tokens = this.tokens;
    // The timeout of the Task state that has just started: the engine calls the task's handler
    // and then, in the same synchronous turn, reads TASK_TIMEOUT_CONTEXT_PATH, so each task sets
    // it before its first await and no other task can run in between.
    const currentTask = { timeoutSeconds: MAX_TIMER_SECONDS };
    const context = {
      Execution: { Id: executionArn, Name: name, RoleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/local`, StartTime: startDate.toISOString() },
      StateMachine: { Id: machine.arn, Name: machine.logicalId },
      Task: {
        get Token(): string {
          return tokens.tokenFor(executionArn);
        },
      },
      LocalRuntime: {
        get TaskTimeoutSeconds(): number {
          return currentTask.timeoutSeconds;
        },
      },
    };
    const abortController = new AbortController();
    const handlers: Record<string, (input: unknown) => Promise<never>> = {};
    for (const [stateName, binding] of this.bindings.get(machine.arn) ?? []) {
      const state = this.stateDefinition(machine, stateName) ?? { Type: 'Task' };
      handlers[stateName] = (engineInput) => {
        let timing: TaskTiming;
        try {
          timing = taskTiming(stateName, state, engineInput);
        } catch (error) {
          currentTask.timeoutSeconds = MAX_TIMER_SECONDS;
          return Promise.reject(error instanceof Error ? error : new Error(String(error)));
        }
        currentTask.timeoutSeconds = timing.timeoutSeconds;
        return this.runTask(stateName, binding, timing, executionArn, abortController.signal) as Promise<never>;
      };
    }
    const execution = engine.run(parsed as never, {
      overrides: { taskResourceLocalHandlers: handlers },
      context: context as never,
    });
    entry.abort = () => {
      abortController.abort();
      execution.abort();
    };
    void this.countTransitions(machine.logicalId, execution.eventLogs);
    execution.result.then(
      (result) => {
        record.status = 'SUCCEEDED';
        record.output = JSON.stringify(result ?? null);
      },
      (error: unknown) => this.recordFailure(entry, error),
    ).finally(() => {
      record.stopDate ??= new Date();
      this.tokens.closeExecution(executionArn);
      entry.abort = undefined;
      this.writeJournal();
      finish();
    });
    return entry;
  }

  private async countTransitions(id: string, events: AsyncGenerator<{ type: string }>): Promise<void> {
    try {
      for await (const event of events) {
        if (event.type === 'StateEntered') this.transitions.set(id, (this.transitions.get(id) ?? 0) + 1);
      }
    } catch {
      // The event log ends with the execution; its errors are recorded on the execution.
    }
  }

  private recordFailure(entry: ExecutionEntry, error: unknown): void {
    const { record } = entry;
    if (error instanceof ExecutionAbortedError || entry.stopRequest) {
      record.status = 'ABORTED';
      record.error = entry.stopRequest?.error;
      record.cause = entry.stopRequest?.cause;
    } else if (error instanceof ExecutionTimeoutError) {
      record.status = 'TIMED_OUT';
      record.error = 'States.Timeout';
    } else if (error instanceof ExecutionError && error.cause instanceof Error) {
      record.status = 'FAILED';
      record.error = error.cause.name;
      record.cause = error.cause.message;
    } else {
      record.status = 'FAILED';
      record.error = 'States.Runtime';
      record.cause = error instanceof Error ? error.message : String(error);
      this.options.log?.(`Execution ${record.executionArn} failed in the local engine: ${record.cause}`);
    }
  }

  private async runTask(stateName: string, binding: TaskBinding, timing: TaskTiming, executionArn: string, signal: AbortSignal): Promise<unknown> {
    const { input, heartbeatSeconds } = timing;
    // Claimed before the first await: the engine resolved `$$.Task.Token` in this same turn.
    const claimed = this.tokens.claim(executionArn, input);
    // The engine raises States.Timeout at this deadline; the token then expires with it, so a
    // late SendTaskSuccess is refused with TaskTimedOut as in AWS.
    const deadline = Date.now() + timing.timeoutSeconds * 1000;
    const waitForToken = async (): Promise<unknown> => {
      const token = claimed[0];
      if (token === undefined) {
        throw new TaskFailure('States.Runtime', `${stateName} waits for a task token but its input does not carry $$.Task.Token`);
      }
      return this.tokens.wait(token, { heartbeatSeconds, deadline, signal });
    };
    switch (binding.kind) {
      case 'lambda':
        return this.invoke(binding.functionId, input);
      case 'lambda-invoke': {
        const parameters = asRecord(input) ?? {};
        const result = await this.invoke(binding.functionId, parameters.Payload ?? {});
        if (binding.waitForToken) return waitForToken();
        return {
          ExecutedVersion: '$LATEST',
          Payload: result,
          SdkHttpMetadata: { HttpStatusCode: 200, HttpHeaders: { 'Content-Type': 'application/json' } },
          SdkResponseMetadata: { RequestId: randomUUID() },
          StatusCode: 200,
        };
      }
      case 'start-execution':
        return this.startChildExecution(binding.mode, input, waitForToken);
      case 'dynamodb':
        return this.callDynamoDb(binding.operation, binding.errorPrefix, input);
    }
  }

  private stateDefinition(machine: LocalStateMachine, stateName: string): AslState | undefined {
    return taskStates(machine).find((task) => task.stateName === stateName)?.state;
  }

  private async invoke(functionId: string, payload: unknown): Promise<unknown> {
    try {
      return await this.options.functions.invoke(functionId, payload);
    } catch (error) {
      throw lambdaErrorForEngine(error);
    }
  }

  private async startChildExecution(
    mode: 'async' | 'sync' | 'sync:2' | 'waitForTaskToken',
    input: unknown,
    waitForToken: () => Promise<unknown>,
  ): Promise<unknown> {
    const parameters = asRecord(input) ?? {};
    const childInput = parameters.Input;
    let started: { executionArn: string; startDate: Date };
    try {
      started = this.startExecution({
        stateMachineArn: String(parameters.StateMachineArn),
        name: asString(parameters.Name),
        input: typeof childInput === 'string' ? childInput : JSON.stringify(childInput ?? {}),
      });
    } catch (error) {
      if (error instanceof SfnServiceError) throw new TaskFailure(startExecutionErrorName(error.code), error.message);
      throw error;
    }
    if (mode === 'async') return { ExecutionArn: started.executionArn, StartDate: started.startDate.toISOString() };
    if (mode === 'waitForTaskToken') return waitForToken();
    const record = await this.waitForExecution(started.executionArn);
    const described = {
      ExecutionArn: record.executionArn,
      StateMachineArn: record.stateMachineArn,
      Name: record.name,
      Status: record.status,
      StartDate: record.startDate.toISOString(),
      StopDate: record.stopDate?.toISOString(),
      Input: mode === 'sync:2' ? (JSON.parse(record.input) as unknown) : record.input,
      Output: mode === 'sync:2' && record.output !== undefined ? (JSON.parse(record.output) as unknown) : record.output,
    };
    if (record.status !== 'SUCCEEDED') throw new TaskFailure('States.TaskFailed', JSON.stringify({ ...described, Error: record.error, Cause: record.cause }));
    return described;
  }

  private async callDynamoDb(operation: string, errorPrefix: string, input: unknown): Promise<unknown> {
    const Command = commandFor(operation);
    if (!Command) throw new TaskFailure('States.Runtime', `Unknown DynamoDB operation ${operation}`);
    if (!this.options.dynamodb) throw new TaskFailure('States.Runtime', 'No DynamoDB endpoint configured for the local engine');
    this.dynamoClient ??= this.options.dynamodb();
    try {
      const { $metadata: _metadata, ...output } = (await this.dynamoClient.send(new Command(input))) as unknown as Record<string, unknown>;
      return JSON.parse(JSON.stringify(output)) as unknown;
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      const message = error instanceof Error ? error.message : String(error);
      throw new TaskFailure(`${errorPrefix}.${name}`, message);
    }
  }

  describeExecution(executionArn: string): ExecutionRecord {
    const entry = this.executions.get(executionArn);
    if (!entry) throw new SfnServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return { ...entry.record };
  }

  async waitForExecution(executionArn: string): Promise<ExecutionRecord> {
    const entry = this.executions.get(executionArn);
    if (!entry) throw new SfnServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    await entry.done;
    return { ...entry.record };
  }

  listExecutions(request: { stateMachineArn: string; statusFilter?: ExecutionStatus; maxResults?: number; nextToken?: string }): {
    executions: ExecutionRecord[];
    nextToken?: string;
  } {
    this.machine(request.stateMachineArn);
    const all = [...this.executions.values()]
      .map((entry) => entry.record)
      .filter((record) => record.stateMachineArn === request.stateMachineArn)
      .filter((record) => request.statusFilter === undefined || record.status === request.statusFilter)
      .reverse();
    const offset = request.nextToken ? Number(Buffer.from(request.nextToken, 'base64url').toString('utf8')) : 0;
    if (!Number.isInteger(offset) || offset < 0) throw new SfnServiceError('InvalidToken', 'Invalid nextToken');
    const size = request.maxResults && request.maxResults > 0 ? Math.min(request.maxResults, 1000) : 100;
    const page = all.slice(offset, offset + size).map((record) => ({ ...record }));
    const next = offset + size < all.length ? Buffer.from(String(offset + size)).toString('base64url') : undefined;
    return { executions: page, ...(next ? { nextToken: next } : {}) };
  }

  stopExecution(request: { executionArn: string; error?: string; cause?: string }): { stopDate: Date } {
    const entry = this.executions.get(request.executionArn);
    if (!entry) throw new SfnServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${request.executionArn}'`);
    if (entry.record.status === 'RUNNING' && entry.abort) {
      entry.stopRequest = { error: request.error, cause: request.cause };
      entry.record.stopDate = new Date();
      entry.abort();
    }
    return { stopDate: entry.record.stopDate ?? new Date() };
  }

  sendTaskSuccess(taskToken: string, output: string): void {
    this.withTokenErrors(() => this.tokens.succeed(taskToken, output));
  }

  sendTaskFailure(taskToken: string, error?: string, cause?: string): void {
    this.withTokenErrors(() => this.tokens.fail(taskToken, error, cause));
  }

  sendTaskHeartbeat(taskToken: string): void {
    this.withTokenErrors(() => this.tokens.heartbeat(taskToken));
  }

  private withTokenErrors(action: () => void): void {
    try {
      action();
    } catch (error) {
      if (error instanceof Error && 'code' in error) throw new SfnServiceError(String(error.code), error.message);
      throw error;
    }
  }

  /**
   * Rewrites the journal with the Standard executions running now. Not while stopping: the
   * executions the stop aborts stay in it, to be resumed by the next runtime.
   */
  private writeJournal(): void {
    const path = this.options.journal;
    if (path === undefined || this.stopping) return;
    const executions: InFlightExecution[] = [...this.executions.values()]
      .filter((entry) => entry.record.status === 'RUNNING' && entry.machine.type === 'STANDARD')
      .map(({ machine, record }) => ({ stateMachine: machine.logicalId, name: record.name, input: record.input, startDate: record.startDate.toISOString() }));
    writeFileSync(`${path}.next`, `${JSON.stringify({ executions }, null, 2)}\n`);
    renameSync(`${path}.next`, path);
  }

  /**
   * Starts again, with the same name and input, each execution the journal says was running when
   * the previous runtime stopped, if its state machine waits for task tokens (a joint review
   * waiting for a partner, a disbursement waiting for the lead) or is marked as resumable from its
   * first state (`colend:resume`, the daily settlement): the engine keeps an execution's position
   * in memory only, so it restarts from the first state, and every step of those workflows may run
   * again with the effect of running once (docs/joint-review.md, docs/settlement.md). Waits start
   * again in full, with new task tokens, and each partner or lead is asked again. The executions
   * of other state machines are left stopped, each with the reason.
   */
  resumeInFlight(): ResumedExecutions {
    const path = this.options.journal;
    if (path === undefined) return { resumed: [], notResumed: [] };
    const resumed: InFlightExecution[] = [];
    const notResumed: (InFlightExecution & { reason: string })[] = [];
    for (const execution of readJournal(path)) {
      const machine = [...this.machines.values()].find((candidate) => candidate.logicalId === execution.stateMachine);
      if (machine === undefined) {
        notResumed.push({ ...execution, reason: 'its state machine is not in the template any more' });
      } else if (!this.waitsForTokens.has(machine.arn) && machine.resumesFromFirstState !== true) {
        notResumed.push({
          ...execution,
          reason: 'it was stopped in the middle of its work, and only workflows that wait for a partner or the lead, or whose steps may all run again (the settlement), are resumed: start it again (a daily run: with "restart": true)',
        });
      } else {
        this.startExecution({ stateMachineArn: machine.arn, name: execution.name, input: execution.input });
        resumed.push(execution);
      }
    }
    this.writeJournal();
    return { resumed, notResumed };
  }

  /** Aborts every running execution and waits until each has settled; the journal keeps them. */
  async stop(): Promise<void> {
    this.stopping = true;
    const running = [...this.executions.values()].filter((entry) => entry.record.status === 'RUNNING');
    for (const entry of running) {
      entry.stopRequest = { error: 'States.Aborted', cause: 'The local stack stopped' };
      entry.abort?.();
    }
    await Promise.all(running.map((entry) => entry.done));
    this.dynamoClient?.destroy();
  }
}
