import dns from 'node:dns';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SfnServiceError } from './stepfunctions.ts';
import type { ExecutionRecord, ExecutionStatus, StepFunctionsRuntime } from './stepfunctions.ts';
import { readAwsBody, sendAwsError, sendAwsJson, serveAwsJson, type AwsJsonEndpoint } from './aws-json.ts';

/**
 * A local Step Functions endpoint speaking the AWS JSON 1.0 protocol, so handlers call
 * StartExecution, SendTaskSuccess and friends through the real SDK client, unchanged.
 */

const TARGET_PREFIX = 'AWSStepFunctions.';

/** Timestamps travel as epoch seconds in the JSON protocols. */
function epochSeconds(date: Date | undefined): number | undefined {
  return date === undefined ? undefined : date.getTime() / 1000;
}

function describe(record: ExecutionRecord): Record<string, unknown> {
  return {
    executionArn: record.executionArn,
    stateMachineArn: record.stateMachineArn,
    name: record.name,
    status: record.status,
    startDate: epochSeconds(record.startDate),
    stopDate: epochSeconds(record.stopDate),
    input: record.input,
    inputDetails: { included: true },
    ...(record.output !== undefined ? { output: record.output, outputDetails: { included: true } } : {}),
    ...(record.error !== undefined ? { error: record.error } : {}),
    ...(record.cause !== undefined ? { cause: record.cause } : {}),
  };
}

type Operation = (runtime: StepFunctionsRuntime, body: Record<string, unknown>) => unknown;

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function required(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '') {
    throw new SfnServiceError('ValidationException', `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`);
  }
  return value;
}

const OPERATIONS: Record<string, Operation> = {
  StartExecution: (runtime, body) => {
    const started = runtime.startExecution({
      stateMachineArn: required(body, 'stateMachineArn'),
      name: str(body.name),
      input: str(body.input),
    });
    return { executionArn: started.executionArn, startDate: epochSeconds(started.startDate) };
  },
  StartSyncExecution: async (runtime, body) => {
    const record = await runtime.startSyncExecution({
      stateMachineArn: required(body, 'stateMachineArn'),
      name: str(body.name),
      input: str(body.input),
    });
    const billedMs = Math.max(100, (record.stopDate?.getTime() ?? Date.now()) - record.startDate.getTime());
    return {
      ...describe(record),
      billingDetails: { billedMemoryUsedInMB: 64, billedDurationInMilliseconds: billedMs },
    };
  },
  DescribeExecution: (runtime, body) => describe(runtime.describeExecution(required(body, 'executionArn'))),
  ListExecutions: (runtime, body) => {
    const page = runtime.listExecutions({
      stateMachineArn: required(body, 'stateMachineArn'),
      statusFilter: str(body.statusFilter) as ExecutionStatus | undefined,
      maxResults: typeof body.maxResults === 'number' ? body.maxResults : undefined,
      nextToken: str(body.nextToken),
    });
    return {
      executions: page.executions.map((record) => ({
        executionArn: record.executionArn,
        stateMachineArn: record.stateMachineArn,
        name: record.name,
        status: record.status,
        startDate: epochSeconds(record.startDate),
        stopDate: epochSeconds(record.stopDate),
      })),
      ...(page.nextToken ? { nextToken: page.nextToken } : {}),
    };
  },
  StopExecution: (runtime, body) => {
    const stopped = runtime.stopExecution({
      executionArn: required(body, 'executionArn'),
      error: str(body.error),
      cause: str(body.cause),
    });
    return { stopDate: epochSeconds(stopped.stopDate) };
  },
  SendTaskSuccess: (runtime, body) => {
    runtime.sendTaskSuccess(required(body, 'taskToken'), required(body, 'output'));
    return {};
  },
  SendTaskFailure: (runtime, body) => {
    runtime.sendTaskFailure(required(body, 'taskToken'), str(body.error), str(body.cause));
    return {};
  },
  SendTaskHeartbeat: (runtime, body) => {
    runtime.sendTaskHeartbeat(required(body, 'taskToken'));
    return {};
  },
  DescribeStateMachine: (runtime, body) => {
    const machine = runtime.machine(required(body, 'stateMachineArn'));
    return {
      stateMachineArn: machine.arn,
      name: machine.logicalId,
      status: 'ACTIVE',
      definition: JSON.stringify(machine.definition),
      roleArn: 'arn:aws:iam::000000000000:role/local',
      type: machine.type,
      creationDate: 0,
    };
  },
  ListStateMachines: (runtime) => ({
    stateMachines: runtime.stateMachines.map((machine) => ({
      stateMachineArn: machine.arn,
      name: machine.logicalId,
      type: machine.type,
      creationDate: 0,
    })),
  }),
};

export const SUPPORTED_OPERATIONS = Object.keys(OPERATIONS);

const send = (response: ServerResponse, status: number, body: unknown): void => sendAwsJson(response, '1.0', status, body);
const sendError = (response: ServerResponse, status: number, code: string, message: string): void => sendAwsError(response, '1.0', status, code, message);

export type SfnEndpoint = AwsJsonEndpoint;

export function handleSfnRequest(runtime: StepFunctionsRuntime, log?: (line: string) => void) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const target = String(request.headers['x-amz-target'] ?? '');
    if (request.method !== 'POST' || !target.startsWith(TARGET_PREFIX)) {
      sendError(response, 400, 'UnknownOperationException', 'Expected a POST with X-Amz-Target: AWSStepFunctions.<Operation>');
      return;
    }
    const operationName = target.slice(TARGET_PREFIX.length);
    const operation = OPERATIONS[operationName];
    if (!operation) {
      sendError(response, 400, 'UnknownOperationException', `${operationName} is not available on the local endpoint`);
      return;
    }
    const text = await readAwsBody(request);
    if (text === undefined) {
      sendError(response, 413, 'RequestEntityTooLarge', 'Request too large');
      return;
    }
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = text === '' ? {} : JSON.parse(text);
      body = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
    } catch {
      sendError(response, 400, 'SerializationException', 'The request body is not valid JSON');
      return;
    }
    try {
      send(response, 200, (await operation(runtime, body)) ?? {});
    } catch (error) {
      if (error instanceof SfnServiceError) {
        sendError(response, 400, error.code, error.message);
        return;
      }
      log?.(`Step Functions endpoint: ${operationName} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      sendError(response, 500, 'InternalFailure', error instanceof Error ? error.message : String(error));
    }
  };
}

/** Serves the runtime on a loopback port (0 = any free port). */
export function startSfnEndpoint(runtime: StepFunctionsRuntime, options: { port?: number; log?: (line: string) => void } = {}): Promise<SfnEndpoint> {
  return serveAwsJson(handleSfnRequest(runtime, options.log), { version: '1.0', internalCode: 'InternalFailure', label: 'Step Functions', ...options });
}

let hostPrefixResolution: typeof dns.lookup | undefined;

/**
 * The SDK sends StartSyncExecution to `sync-<endpoint host>`. Locally the endpoint host is a
 * loopback address, so `sync-127.0.0.1` is resolved back to it; every other name resolves as
 * before. Installed once per process.
 */
export function resolveSyncHostPrefix(): void {
  if (hostPrefixResolution) return;
  const original = dns.lookup;
  hostPrefixResolution = original;
  const patched = function lookup(hostname: string, options: unknown, callback?: unknown): void {
    const match = /^sync-(127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(hostname);
    const done = (typeof options === 'function' ? options : callback) as (...args: unknown[]) => void;
    if (match && typeof done === 'function') {
      const address = match[1] as string;
      const wantsAll = typeof options === 'object' && options !== null && (options as { all?: boolean }).all === true;
      process.nextTick(() => (wantsAll ? done(null, [{ address, family: 4 }]) : done(null, address, 4)));
      return;
    }
    (original as (...args: unknown[]) => void).call(dns, hostname, options, callback);
  };
  dns.lookup = patched as typeof dns.lookup;
}
