import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { asRecord, asString, functionArn, LOCAL_ACCOUNT, LOCAL_REGION } from './template.ts';
import type { TemplateResolver } from './template.ts';
import { readAwsBody, sendAwsError, sendAwsJson, serveAwsJson, type AwsJsonEndpoint } from './aws-json.ts';
import { matchesPattern } from './streams.ts';

/**
 * A local EventBridge endpoint speaking the AWS JSON 1.1 protocol for `PutEvents`, so handlers
 * publish through the real SDK client (or any client of the protocol), unchanged. The most recent
 * events (at least `KEPT_EVENTS`) are kept in memory, in the order they were put, for tests to read
 * (`GET /local/events`): a stack that runs for hours does not keep every event it ever put.
 */

/** How many of the latest events the local bus keeps at least; it drops the older ones in batches. */
export const KEPT_EVENTS = 10_000;

const TARGET_PREFIX = 'AWSEvents.';
/** PutEvents takes at most 10 entries and 256 KiB in total. */
const MAX_ENTRIES = 10;
const MAX_ENTRIES_BYTES = 262_144;
export const DEFAULT_EVENT_BUS = 'default';

/** An event as EventBridge delivers it to a target, plus the bus it was put on. */
export interface LocalEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
  eventBusName: string;
}

export type PutEventsResultEntry = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

export interface PutEventsResult {
  FailedEntryCount: number;
  Entries: PutEventsResultEntry[];
}

export class EventsServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = code;
  }
}

/** The names of the template's `AWS::Events::EventBus` resources, as their `Ref` gives them. */
export function eventBusNamesFromTemplate(resolver: TemplateResolver): string[] {
  return resolver.resourcesOfType('AWS::Events::EventBus').map(([logicalId]) => String(resolver.ref(logicalId)));
}

/** EventBridge times travel as epoch seconds in the JSON protocols; ISO text is accepted too. */
function entryTime(value: unknown, now: Date): string {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return new Date(value).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A rule of the template with a function target: the bus it listens on, its pattern, and its retries. */
export interface LocalEventRule {
  readonly logicalId: string;
  readonly busName: string;
  readonly pattern: unknown;
  readonly functionLogicalId: string;
  readonly retryAttempts: number;
  /** The target's dead-letter queue (logical id): where an event the rule could not hand to the function goes. */
  readonly deadLetterQueue?: string;
}

/** The template's `AWS::Events::Rule`s whose targets are functions of the template (`Fn::GetAtt [fn, Arn]`). */
export function eventRulesFromTemplate(resolver: TemplateResolver): LocalEventRule[] {
  return resolver.resourcesOfType('AWS::Events::Rule').flatMap(([logicalId, resource]) => {
    const props = resource.Properties ?? {};
    const busName = props.EventBusName === undefined ? DEFAULT_EVENT_BUS : String(resolver.ref(asString(asRecord(props.EventBusName)?.Ref) ?? ''));
    const targets = Array.isArray(props.Targets) ? props.Targets : [];
    return targets.flatMap((target: unknown) => {
      const getAtt = asRecord(asRecord(target)?.Arn)?.['Fn::GetAtt'];
      if (!Array.isArray(getAtt) || getAtt[1] !== 'Arn') return [];
      const retries = asRecord(asRecord(target)?.RetryPolicy)?.MaximumRetryAttempts;
      const dlq = asRecord(asRecord(asRecord(target)?.DeadLetterConfig)?.Arn)?.['Fn::GetAtt'];
      const deadLetterQueue = Array.isArray(dlq) && dlq[1] === 'Arn' ? String(dlq[0]) : undefined;
      return [
        {
          logicalId,
          busName,
          pattern: props.EventPattern,
          functionLogicalId: String(getAtt[0]),
          retryAttempts: typeof retries === 'number' ? retries : 185,
          ...(deadLetterQueue !== undefined ? { deadLetterQueue } : {}),
        },
      ];
    });
  });
}

/** The buses of the template and the account's `default` bus, and every event put on them. */
export class LocalEventBus {
  private readonly buses: Set<string>;
  private readonly events: LocalEvent[] = [];
  private putInAll = 0;
  private readonly listeners: ((event: LocalEvent) => void)[] = [];

  /** Called with every event kept, after it is kept (the rules of the template, locally). */
  onEvent(listener: (event: LocalEvent) => void): void {
    this.listeners.push(listener);
  }

  constructor(busNames: readonly string[] = []) {
    this.buses = new Set([DEFAULT_EVENT_BUS, ...busNames]);
  }

  get busNames(): string[] {
    return [...this.buses];
  }

  /** The bus an entry names (by name or ARN), or the default bus when it names none. */
  private busOf(nameOrArn: unknown): string | undefined {
    if (nameOrArn === undefined || nameOrArn === null || nameOrArn === '') return DEFAULT_EVENT_BUS;
    if (typeof nameOrArn !== 'string') return undefined;
    const name = /^arn:aws[\w-]*:events:[^:]*:[^:]*:event-bus\/(.+)$/.exec(nameOrArn)?.[1] ?? nameOrArn;
    return this.buses.has(name) ? name : undefined;
  }

  /** `PutEvents`: each entry is kept or refused on its own, as EventBridge does. */
  putEvents(request: Record<string, unknown>, now: Date = new Date()): PutEventsResult {
    const entries = request.Entries;
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > MAX_ENTRIES) {
      throw new EventsServiceError(
        'ValidationException',
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES}`,
      );
    }
    if (Buffer.byteLength(JSON.stringify(entries), 'utf8') > MAX_ENTRIES_BYTES) {
      throw new EventsServiceError('ValidationException', 'Total size of the entries in the request is over the limit.');
    }
    const results = entries.map((entry): PutEventsResultEntry => this.putEntry(asRecord(entry) ?? {}, now));
    return { FailedEntryCount: results.filter((entry) => 'ErrorCode' in entry).length, Entries: results };
  }

  private putEntry(entry: Record<string, unknown>, now: Date): PutEventsResultEntry {
    const source = asString(entry.Source);
    const detailType = asString(entry.DetailType);
    const detailText = asString(entry.Detail);
    for (const [field, value] of [
      ['Source', source],
      ['DetailType', detailType],
      ['Detail', detailText],
    ] as const) {
      if (value === undefined || value === '') {
        return { ErrorCode: 'InvalidArgument', ErrorMessage: `Parameter ${field} is not valid. Reason: ${field} is a required argument.` };
      }
    }
    let detail: unknown;
    try {
      detail = JSON.parse(detailText as string);
    } catch {
      detail = undefined;
    }
    if (asRecord(detail) === undefined) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    const eventBusName = this.busOf(entry.EventBusName);
    if (eventBusName === undefined) {
      return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${String(entry.EventBusName)} does not exist.` };
    }
    const resources = Array.isArray(entry.Resources) ? entry.Resources.filter((value): value is string => typeof value === 'string') : [];
    const event: LocalEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': detailType as string,
      source: source as string,
      account: LOCAL_ACCOUNT,
      time: entryTime(entry.Time, now),
      region: LOCAL_REGION,
      resources,
      detail,
      eventBusName,
    };
    this.events.push(event);
    this.putInAll += 1;
    if (this.events.length >= 2 * KEPT_EVENTS) this.events.splice(0, this.events.length - KEPT_EVENTS);
    for (const listener of this.listeners) listener(event);
    return { EventId: event.id };
  }

  /** How many events were put since the start (or the last `clear`), the ones no longer kept included. */
  count(): number {
    return this.putInAll;
  }

  /** The events kept (the latest, at least `KEPT_EVENTS`), oldest first; only those of one detail type, source or bus when asked. */
  list(filter: { detailType?: string; source?: string; eventBusName?: string } = {}): LocalEvent[] {
    return this.events
      .filter((event) => filter.detailType === undefined || event['detail-type'] === filter.detailType)
      .filter((event) => filter.source === undefined || event.source === filter.source)
      .filter((event) => filter.eventBusName === undefined || event.eventBusName === filter.eventBusName)
      .map((event) => structuredClone(event));
  }

  /** Forgets every event (tests that want a clean slate). */
  clear(): void {
    this.events.length = 0;
    this.putInAll = 0;
  }
}

const send = (response: ServerResponse, status: number, body: unknown): void => sendAwsJson(response, '1.1', status, body);
const sendError = (response: ServerResponse, status: number, code: string, message: string): void => sendAwsError(response, '1.1', status, code, message);

export function handleEventsRequest(bus: LocalEventBus, log?: (line: string) => void) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const target = String(request.headers['x-amz-target'] ?? '');
    if (request.method !== 'POST' || !target.startsWith(TARGET_PREFIX)) {
      request.resume();
      sendError(response, 400, 'UnknownOperationException', 'Expected a POST with X-Amz-Target: AWSEvents.<Operation>');
      return;
    }
    const operation = target.slice(TARGET_PREFIX.length);
    if (operation !== 'PutEvents') {
      request.resume();
      sendError(response, 400, 'UnknownOperationException', `${operation} is not available on the local endpoint`);
      return;
    }
    const text = await readAwsBody(request);
    if (text === undefined) {
      sendError(response, 413, 'RequestEntityTooLarge', 'Request too large');
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = asRecord(text === '' ? {} : JSON.parse(text)) ?? {};
    } catch {
      sendError(response, 400, 'SerializationException', 'The request body is not valid JSON');
      return;
    }
    try {
      send(response, 200, bus.putEvents(body));
    } catch (error) {
      if (error instanceof EventsServiceError) {
        sendError(response, error.status, error.code, error.message);
        return;
      }
      log?.(`EventBridge endpoint: PutEvents failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      sendError(response, 500, 'InternalException', error instanceof Error ? error.message : String(error));
    }
  };
}

export type EventsEndpoint = AwsJsonEndpoint;

/** Serves the bus on a loopback port (0 = any free port). */
export function startEventsEndpoint(bus: LocalEventBus, options: { port?: number; log?: (line: string) => void } = {}): Promise<EventsEndpoint> {
  return serveAwsJson(handleEventsRequest(bus, options.log), { version: '1.1', internalCode: 'InternalException', label: 'EventBridge', ...options });
}

/**
 * Hands each event to the targets of the rules it matches, as EventBridge does: asynchronously,
 * the event as the target receives it, retried on an error up to the rule's retry attempts (a
 * short pause between, locally), then put in the target's dead-letter queue with the attributes
 * EventBridge gives it (when the rule names one) and logged. On the local stack `invoke` is the
 * function's asynchronous invocation (infra/local/dead-letters.ts): it fails only when the
 * function cannot take the event, and a failure of the function itself follows the function's
 * own retries and on-failure destination, as in AWS.
 */
export function routeEventRules(
  bus: LocalEventBus,
  rules: readonly LocalEventRule[],
  deps: { invoke: (logicalId: string, event: unknown) => Promise<unknown>; log: (line: string) => void; retryDelayMs?: number; deadLetter?: (queue: string, body: unknown, attributes: Record<string, string>) => void },
): void {
  bus.onEvent((event) => {
    const { eventBusName, ...delivered } = event;
    for (const rule of rules) {
      if (rule.busName !== eventBusName || !matchesPattern(delivered, rule.pattern)) continue;
      void (async () => {
        for (let attempt = 0; attempt <= rule.retryAttempts; attempt++) {
          try {
            await deps.invoke(rule.functionLogicalId, delivered);
            return;
          } catch (error) {
            if (attempt === rule.retryAttempts) {
              const message = error instanceof Error ? error.message : String(error);
              if (rule.deadLetterQueue !== undefined) {
                deps.deadLetter?.(rule.deadLetterQueue, delivered, {
                  RULE_ARN: `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:rule/${eventBusName}/${rule.logicalId}`,
                  TARGET_ARN: functionArn(rule.functionLogicalId),
                  ERROR_CODE: error instanceof Error ? error.name : 'Error',
                  ERROR_MESSAGE: message,
                });
              }
              deps.log(`events: ${rule.logicalId} dead letter ${event.id}: ${message}`);
            }
            else await new Promise((resolve) => setTimeout(resolve, deps.retryDelayMs ?? 200));
          }
        }
      })();
    }
  });
}
