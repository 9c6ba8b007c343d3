import { randomUUID } from 'node:crypto';
import * as dynamodb from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, StateMachine } from 'aws-local-stepfunctions';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { FunctionError } from './functions.ts';
import type { FunctionHost } from './functions.ts';
import { TaskFailure, TaskTokenRegistry } from './task-tokens.ts';
import { asRecord, asString, LOCAL_ACCOUNT, LOCAL_REGION, stateMachineArn, TemplateError } from './template.ts';
import type { TemplateResolver } from './template.ts';

/**
 * The state machines of the template, run by the `aws-local-stepfunctions` engine with every
 * Task state bound to the handler module its Lambda function runs in AWS.
 */

export type AslState = Record<string, unknown> & { Type: string };
export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  TimeoutSeconds?: number;
  [key: string]: unknown;
}

export interface LocalStateMachine {
  logicalId: string;
  arn: string;
  type: 'STANDARD' | 'EXPRESS';
  definition: AslDefinition;
}

function parseDefinition(logicalId: string, props: Record<string, unknown>): AslDefinition {
  let text: string | undefined;
  if (typeof props.DefinitionString === 'string') {
    text = props.DefinitionString;
  } else if (asRecord(props.Definition)) {
    text = JSON.stringify(props.Definition);
  }
  if (text === undefined) {
    throw new TemplateError(`State machine ${logicalId} has no DefinitionString or Definition (S3 definitions are not supported locally)`);
  }
  const substitutions = asRecord(props.DefinitionSubstitutions) ?? {};
  for (const [key, value] of Object.entries(substitutions)) {
    text = text.split(`\${${key}}`).join(String(value));
  }
  const definition = JSON.parse(text) as AslDefinition;
  if (typeof definition.StartAt !== 'string' || !asRecord(definition.States)) {
    throw new TemplateError(`State machine ${logicalId} has no StartAt or States`);
  }
  return definition;
}

export function stateMachinesFromTemplate(resolver: TemplateResolver): LocalStateMachine[] {
  return resolver.resourcesOfType('AWS::StepFunctions::StateMachine').map(([logicalId]) => {
    const props = resolver.properties(logicalId);
    return {
      logicalId,
      arn: stateMachineArn(logicalId),
      type: asString(props.StateMachineType) === 'EXPRESS' ? 'EXPRESS' : 'STANDARD',
      definition: parseDefinition(logicalId, props),
    };
  });
}

export interface TaskStateRef {
  stateMachine: string;
  stateName: string;
  state: AslState;
}

function nestedDefinitions(state: AslState): AslDefinition[] {
  const nested: AslDefinition[] = [];
  if (state.Type === 'Map') {
    const processor = asRecord(state.ItemProcessor) ?? asRecord(state.Iterator);
    if (processor) nested.push(processor as unknown as AslDefinition);
  }
  if (state.Type === 'Parallel' && Array.isArray(state.Branches)) {
    nested.push(...(state.Branches as AslDefinition[]));
  }
  return nested;
}

/** Every Task state of a definition, including those inside Map and Parallel states. */
export function taskStates(machine: LocalStateMachine): TaskStateRef[] {
  const found: TaskStateRef[] = [];
  const walk = (definition: AslDefinition): void => {
    for (const [stateName, state] of Object.entries(definition.States)) {
      if (state.Type === 'Task') found.push({ stateMachine: machine.logicalId, stateName, state });
      nestedDefinitions(state).forEach(walk);
    }
  };
  walk(machine.definition);
  return found;
}

export type TaskBinding =
  | { kind: 'lambda'; functionId: string }
  | { kind: 'lambda-invoke'; functionId: string; waitForToken: boolean }
  | { kind: 'start-execution'; mode: 'async' | 'sync' | 'sync:2' | 'waitForTaskToken' }
  | { kind: 'dynamodb'; operation: string; errorPrefix: 'DynamoDB' | 'DynamoDb' };

export interface UnboundTaskState {
  stateMachine: string;
  stateName: string;
  resource: string;
  reason: string;
}

interface FunctionLookup {
  resolve(nameOrArn: string): { logicalId: string } | undefined;
  isRunnable(logicalId: string): boolean;
}

const DYNAMODB_OPTIMIZED = new Set(['getItem', 'putItem', 'updateItem', 'deleteItem']);

/** How a Task state runs locally, or why it cannot. */
export function bindTaskState(state: AslState, functions: FunctionLookup): TaskBinding | { unbound: string } {
  const resource = asString(state.Resource) ?? '';
  const functionBinding = (nameOrArn: string | undefined): { functionId: string } | { unbound: string } => {
    if (nameOrArn === undefined) return { unbound: 'the function is chosen at run time, so it cannot be checked' };
    const fn = functions.resolve(nameOrArn);
    if (!fn) return { unbound: `no function ${nameOrArn} in the template` };
    if (!functions.isRunnable(fn.logicalId)) {
      return { unbound: `function ${fn.logicalId} has no colend:entry metadata or its handler module is missing` };
    }
    return { functionId: fn.logicalId };
  };

  if (/^arn:aws[\w-]*:lambda:/.test(resource)) {
    const bound = functionBinding(resource);
    return 'unbound' in bound ? bound : { kind: 'lambda', ...bound };
  }
  const integration = /^arn:aws[\w-]*:states:::(.+)$/.exec(resource)?.[1];
  if (integration === undefined) return { unbound: `unsupported resource ${resource}` };
  const parameters = asRecord(state.Parameters) ?? {};

  if (integration === 'lambda:invoke' || integration === 'lambda:invoke.waitForTaskToken') {
    const bound = functionBinding(asString(parameters.FunctionName));
    if ('unbound' in bound) return bound;
    return { kind: 'lambda-invoke', ...bound, waitForToken: integration.endsWith('.waitForTaskToken') };
  }
  const startExecution = /^states:startExecution(?:\.(sync(?::2)?|waitForTaskToken))?$/.exec(integration);
  if (startExecution) {
    const mode = (startExecution[1] ?? 'async') as 'async' | 'sync' | 'sync:2' | 'waitForTaskToken';
    return { kind: 'start-execution', mode };
  }
  const optimized = /^dynamodb:(\w+)$/.exec(integration)?.[1];
  if (optimized !== undefined && DYNAMODB_OPTIMIZED.has(optimized)) {
    return { kind: 'dynamodb', operation: optimized, errorPrefix: 'DynamoDB' };
  }
  const sdk = /^aws-sdk:dynamodb:(\w+)$/.exec(integration)?.[1];
  if (sdk !== undefined && commandFor(sdk) !== undefined) {
    return { kind: 'dynamodb', operation: sdk, errorPrefix: 'DynamoDb' };
  }
  return { unbound: `the service integration ${integration} is not available locally` };
}

/** Task states that the local engine cannot run; the local stack refuses to start with any. */
export function unboundTaskStates(machines: LocalStateMachine[], functions: FunctionLookup): UnboundTaskState[] {
  const unbound: UnboundTaskState[] = [];
  for (const machine of machines) {
    for (const { stateName, state } of taskStates(machine)) {
      const binding = bindTaskState(state, functions);
      if ('unbound' in binding) {
        unbound.push({
          stateMachine: machine.logicalId,
          stateName,
          resource: asString(state.Resource) ?? '',
          reason: binding.unbound,
        });
      }
    }
  }
  return unbound;
}

type DynamoCommand = new (input: unknown) => Parameters<DynamoDBClient['send']>[0];

function commandFor(operation: string): DynamoCommand | undefined {
  const name = `${operation.charAt(0).toUpperCase()}${operation.slice(1)}Command`;
  const command = (dynamodb as unknown as Record<string, unknown>)[name];
  return typeof command === 'function' ? (command as DynamoCommand) : undefined;
}

/** The longest timer Node can hold (about 24.8 days); longer Task timeouts are capped to it. */
export const MAX_TIMER_SECONDS = 2_147_483;

/**
 * Where the engine reads the timeout of the Task state it is running: a context field whose
 * value the runtime sets for each task (see `engineDefinition`).
 */
export const TASK_TIMEOUT_CONTEXT_PATH = '$$.LocalRuntime.TaskTimeoutSeconds';

/**
 * The fields of the envelope the engine builds for a Task state that reads its timeout or
 * heartbeat from its input: the state's own input or Parameters under `input`, and the values
 * of TimeoutSecondsPath and HeartbeatSecondsPath. The runtime unwraps it before the task runs.
 */
export const TIMING_ENVELOPE = {
  input: 'LocalTaskInput',
  timeoutSeconds: 'LocalTaskTimeoutSeconds',
  heartbeatSeconds: 'LocalTaskHeartbeatSeconds',
} as const;

function hasTimingPaths(state: AslState): boolean {
  return typeof state.TimeoutSecondsPath === 'string' || typeof state.HeartbeatSecondsPath === 'string';
}

/**
 * The definition as the engine runs it. The runtime, not the engine, decides how long each Task
 * state may run, so that:
 * - a state without a timeout waits as long as a timer can (the engine's default is 60 seconds,
 *   AWS waits as long as the execution may run), and a longer timeout is capped to that timer
 *   instead of overflowing it;
 * - TimeoutSecondsPath and HeartbeatSecondsPath are read from the state's input (after
 *   InputPath), not from the Parameters the engine would apply first: such a state's Parameters
 *   become an envelope (`TIMING_ENVELOPE`) carrying the input and both values;
 * - the engine still raises its own `States.Timeout`, which `States.TaskFailed` does not match
 *   in Retry and Catch, exactly as in AWS: every Task state reads its timeout from the context
 *   field `TASK_TIMEOUT_CONTEXT_PATH`, set by the runtime as the task starts.
 */
export function engineDefinition(definition: AslDefinition): AslDefinition {
  const copy = structuredClone(definition);
  const adjust = (def: AslDefinition): void => {
    for (const state of Object.values(def.States)) {
      if (state.Type === 'Task') {
        if (hasTimingPaths(state)) {
          state.Parameters = {
            ...(state.Parameters === undefined ? { [`${TIMING_ENVELOPE.input}.$`]: '$' } : { [TIMING_ENVELOPE.input]: state.Parameters }),
            ...(typeof state.TimeoutSecondsPath === 'string' ? { [`${TIMING_ENVELOPE.timeoutSeconds}.$`]: state.TimeoutSecondsPath } : {}),
            ...(typeof state.HeartbeatSecondsPath === 'string' ? { [`${TIMING_ENVELOPE.heartbeatSeconds}.$`]: state.HeartbeatSecondsPath } : {}),
          };
        }
        delete state.TimeoutSeconds;
        delete state.HeartbeatSeconds;
        delete state.HeartbeatSecondsPath;
        state.TimeoutSecondsPath = TASK_TIMEOUT_CONTEXT_PATH;
      }
      nestedDefinitions(state).forEach(adjust);
    }
  };
  adjust(copy);
  if (typeof copy.TimeoutSeconds === 'number') copy.TimeoutSeconds = Math.min(copy.TimeoutSeconds, MAX_TIMER_SECONDS);
  return copy;
}

/** A Task state's input as its task receives it, and how long it may run and go without a heartbeat. */
export interface TaskTiming {
  input: unknown;
  /** Capped to `MAX_TIMER_SECONDS`; that cap when the state sets no timeout. */
  timeoutSeconds: number;
  heartbeatSeconds?: number;
}

function positiveSeconds(value: unknown, field: string, stateName: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TaskFailure('States.Runtime', `${stateName}: ${field} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return Math.min(value, MAX_TIMER_SECONDS);
}

/**
 * The timing of one run of a Task state, from its definition (TimeoutSeconds, HeartbeatSeconds)
 * or from the envelope `engineDefinition` built (TimeoutSecondsPath, HeartbeatSecondsPath).
 */
export function taskTiming(stateName: string, state: AslState, engineInput: unknown): TaskTiming {
  let input = engineInput;
  let timeout: unknown = state.TimeoutSeconds;
  let heartbeat: unknown = state.HeartbeatSeconds;
  if (hasTimingPaths(state)) {
    const envelope = asRecord(engineInput) ?? {};
    input = envelope[TIMING_ENVELOPE.input];
    if (typeof state.TimeoutSecondsPath === 'string') timeout = envelope[TIMING_ENVELOPE.timeoutSeconds];
    if (typeof state.HeartbeatSecondsPath === 'string') heartbeat = envelope[TIMING_ENVELOPE.heartbeatSeconds];
  }
  return {
    input,
    timeoutSeconds: timeout === undefined ? MAX_TIMER_SECONDS : positiveSeconds(timeout, 'TimeoutSeconds', stateName),
    ...(heartbeat === undefined ? {} : { heartbeatSeconds: positiveSeconds(heartbeat, 'HeartbeatSeconds', stateName) }),
  };
}

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
      this.engines.set(machine.arn, new StateMachine(definition, { validationOptions: { checkArn: true, checkPaths: true } }));
      const byState = new Map<string, TaskBinding>();
      for (const { stateName, state } of taskStates(machine)) {
        byState.set(stateName, bindTaskState(state, options.functions) as TaskBinding);
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

  /** Aborts every running execution and waits until each has settled. */
  async stop(): Promise<void> {
    const running = [...this.executions.values()].filter((entry) => entry.record.status === 'RUNNING');
    for (const entry of running) {
      entry.stopRequest = { error: 'States.Aborted', cause: 'The local stack stopped' };
      entry.abort?.();
    }
    await Promise.all(running.map((entry) => entry.done));
    this.dynamoClient?.destroy();
  }
}
