import * as dynamodb from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TaskFailure } from './task-tokens.ts';
import { asRecord, asString, stateMachineArn, TemplateError } from './template.ts';
import type { TemplateResolver } from './template.ts';

/**
 * The state machines of the template and how each Task state is bound: to the handler module its
 * Lambda function runs in AWS, to a child execution or to DynamoDB; and the definition as the
 * engine runs it, with the runtime deciding each task's timeout. Executions are in
 * `stepfunctions.ts`.
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
  /**
   * Its metadata `colend:resume` is `FROM_FIRST_STATE`: every step may run again with the effect
   * of running once, so an execution running when the stack stopped is started again after a
   * `--persist` restart (infra/constructs/colend-workflow.ts sets it).
   */
  resumesFromFirstState?: boolean;
}

/** The metadata key and value of a resumable state machine (infra/constructs/colend-workflow.ts, `RESUME_METADATA_KEY`). */
export const RESUME_METADATA_KEY = 'colend:resume';
export const RESUME_FROM_FIRST_STATE = 'FROM_FIRST_STATE';

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
  return resolver.resourcesOfType('AWS::StepFunctions::StateMachine').map(([logicalId, resource]) => {
    const props = resolver.properties(logicalId);
    return {
      logicalId,
      arn: stateMachineArn(logicalId),
      type: asString(props.StateMachineType) === 'EXPRESS' ? 'EXPRESS' : 'STANDARD',
      definition: parseDefinition(logicalId, props),
      resumesFromFirstState: resource.Metadata?.[RESUME_METADATA_KEY] === RESUME_FROM_FIRST_STATE,
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

export type DynamoCommand = new (input: unknown) => Parameters<DynamoDBClient['send']>[0];

export function commandFor(operation: string): DynamoCommand | undefined {
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
