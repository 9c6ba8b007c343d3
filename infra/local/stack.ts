import { LOCAL_UPLOAD_PATH, localUploads } from './uploads.ts';
import { startDynamoDbMeter, type DynamoDbCounts } from './dynamodb-meter.ts';
import { startDynamoDbFaults, type DynamoDbFaultCounts, type DynamoDbFaults } from './dynamodb-faults.ts';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { setLocalTime } from '../../shared/adapters/clock.ts';
import { tmpdir } from 'node:os';
import type { IncomingMessage } from 'node:http';
import { CLIENT_LIMITS_ENV } from '../../shared/http/request-limits.ts';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { jsonResponse } from './api-event.ts';
import type { ApiResponse } from './api-event.ts';
import { launchDynamoDbLocal, requireJava } from './dynamodb.ts';
import type { DynamoDbLaunch } from './dynamodb.ts';
import { eventBusNamesFromTemplate, eventRulesFromTemplate, LocalEventBus, routeEventRules, startEventsEndpoint } from './eventbridge.ts';
import type { EventsEndpoint } from './eventbridge.ts';
import { FunctionHost, functionsFromTemplate } from './functions.ts';
import { StreamPoller, streamSourcesFromTemplate } from './streams.ts';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { ModuleLoader } from './functions.ts';
import { corsFromTemplate, readJsonBody, routesFromTemplate, startHttpApi } from './http-api.ts';
import { consoleSite } from './console-site.ts';
import type { HttpApiServer } from './http-api.ts';
import { colendHome, mintToken, REPOSITORY_ROOT } from './issuer.ts';
import { randomUUID } from 'node:crypto';
import { WEBHOOK_SECRETS_ENV } from '../../shared/adapters/webhook-secrets/index.ts';
import { PERSONAL_DATA_ENV, ensureLocalKeyFile } from '../../shared/adapters/personal-data/index.ts';
import { LocalScheduler, schedulesFromTemplate } from './scheduler.ts';
import { asyncInvokeConfigsFromTemplate, asyncInvoker, DEAD_LETTERS_FILE, deadLetterQueuesFromTemplate, FunctionNotFound, localDeadLetterEndpoints, LocalDeadLetters } from './dead-letters.ts';
import { resolveSyncHostPrefix, startSfnEndpoint } from './sfn-endpoint.ts';
import type { SfnEndpoint } from './sfn-endpoint.ts';
import { stateMachinesFromTemplate } from './state-machines.ts';
import { StepFunctionsRuntime } from './stepfunctions.ts';
import { createTables, tableSpecsFromTemplate } from './tables.ts';
import type { CreateTablesResult } from './tables.ts';
import { LOCAL_REGION, TemplateResolver } from './template.ts';
import { cachedTemplate, markValidated, type CachedTemplate } from './template-cache.ts';
import { removeLeftPartialFiles } from '../../shared/adapters/files/file-store.ts';
import { createDocumentClient, tablesFromEnv } from '../../shared/adapters/dynamodb/client.ts';
import { lapseReservationsOfEarlierRun } from './reservations.ts';
import { newLocalToken, readLocalStackState, StackAlreadyRunningError, removeLocalStackState, stateFilePath, writeLocalStackState } from './state-file.ts';
import type { CfnTemplate } from './template.ts';

/**
 * The embedded local stack of `npm start` and of the integration tests: DynamoDB Local with
 * the template's tables, the template's functions, state machines, routes and schedules, a
 * local Step Functions endpoint, a local EventBridge endpoint and the local token issuer.
 */

export interface SeedContext {
  baseUrl: string;
  mintToken: typeof mintToken;
}

export interface LocalStackOptions {
  /** Port of the HTTP API; 0 (the default) picks any free port. */
  port?: number;
  /**
   * Keep DynamoDB data in `<persistDir>/dynamodb` across restarts, and the running Standard
   * executions in `<persistDir>/executions.json`, resumed by the next start (README, "Executions
   * across restarts"); in memory when absent.
   */
  persistDir?: string;
  /** A stack that runs long (`npm start`, the benchmarks): DynamoDB Local tuned for throughput over a quick start. */
  longRunning?: boolean;
  /** Runs once everything is up, before the stack reports ready. */
  seed?: (ctx: SeedContext) => Promise<void>;
  /**
   * DynamoDB Local already launched by the caller, with this stack's `persistDir` and
   * `longRunning` (`npm start` launches it before it loads the rest of the stack); the stack stops
   * it with itself. Launched here when absent.
   */
  dynamoDb?: DynamoDbLaunch;
  /**
   * The `performance.now()` instant the phases in the log and `startupMs` count from (`npm start`:
   * 0, the process's start); the call when absent.
   */
  startedAt?: number;
  log?: (line: string) => void;
  /** Run this template instead of synthesizing the app (tests of the local stack itself). */
  template?: CfnTemplate;
  /**
   * The stack's own clock starts at this instant and runs on from there (the demo's dates, which
   * the README's walk-through uses); the machine's clock when absent. `setTime(null)` returns to it.
   */
  clockStart?: string;
  /** Fire schedules at their times (default true); tests fire them with `scheduler.fire`. */
  runSchedules?: boolean;
  /** The repository root that `colend:entry` paths are relative to. */
  rootDir?: string;
  /** How handler modules are imported (defaults to the platform's dynamic import). */
  loadModule?: ModuleLoader;
  /** Route handlers' DynamoDB calls through a counting proxy (benchmarks). */
  meterDynamoDb?: boolean;
  /**
   * Count each client's requests against the stage's limits (docs/limits.md; default true). The
   * contract fuzzer turns it off: the count is a write every request makes, refused or not, by
   * design, while the fuzzer checks that a refused request writes nothing else.
   */
  countClientRequests?: boolean;
  /**
   * Route handlers' DynamoDB calls through a proxy that throttles some, cancels some transactions
   * as conflicting and lets a competing write land before some conditioned writes, seeded
   * (`infra/local/dynamodb-faults.ts`, docs/testing.md); none when absent.
   */
  dynamoDbFaults?: DynamoDbFaults;
  /** Where the files S3 holds in AWS are kept: `<persistDir>/files` when persisting, a new temporary folder otherwise. */
  filesDir?: string;
  /**
   * Write the state file (`.colend/local-stack.json`: endpoints and the local token) once ready,
   * and remove it on stop, so the command line finds the stack (`npm start`); refuses to start when
   * a live stack of this checkout already wrote one.
   */
  stateFile?: boolean;
}

export interface LocalStack {
  readonly baseUrl: string;
  readonly dynamodbEndpoint: string;
  /** The process group that holds DynamoDB Local's JVM (what the benchmarks read its CPU time from). */
  readonly dynamodbProcessGroup: number;
  readonly sfnEndpoint: string;
  /** The local EventBridge endpoint (PutEvents), which handlers reach through AWS_ENDPOINT_URL_EVENTBRIDGE. */
  readonly eventsEndpoint: string;
  /** Every event put on the local buses, in order. */
  readonly events: LocalEventBus;
  readonly template: CfnTemplate;
  /** The folder that stands in for the files bucket (settlement files, statements). */
  readonly filesDir: string;
  readonly scheduler: LocalScheduler;
  readonly stepFunctions: StepFunctionsRuntime;
  readonly functions: FunctionHost;
  /** The template's tables: created now, or found from a persisted run. */
  readonly tables: CreateTablesResult;
  /** Milliseconds from the call (or `startedAt`) to ready. */
  readonly startupMs: number;
  /** The secret `/local/*` endpoints ask for (header `x-colend-local-token`); new for every start. */
  readonly localToken: string;
  readonly mintToken: typeof mintToken;
  /**
   * Moves every handler's clock to an instant, running on from there (a story on other dates than
   * today); null returns to the stack's own clock (`clockStart` running on, else the machine's).
   * Schedules keep the machine's time.
   */
  setTime(instant: string | null): void;
  /** Invocations per function logical id since start. */
  invocationCounts(): Record<string, number>;
  /** Handlers' DynamoDB work since start, when `meterDynamoDb` was asked for; null otherwise. */
  dynamoDbCounts(): DynamoDbCounts | null;
  /** The faults injected into handlers' DynamoDB calls since start, when `dynamoDbFaults` was given; null otherwise. */
  dynamoDbFaultCounts(): DynamoDbFaultCounts | null;
  /** The table streams' readers: `settled()` waits until every committed change was handed on. */
  streams: StreamPoller;
  /** What the stream, the bus and the schedules could not deliver after their retries (`colend replay` redrives it). */
  readonly deadLetters: LocalDeadLetters;
  /** Stops everything: servers closed, executions aborted, the JVM ended. Safe to call twice. */
  stop(): Promise<void>;
}

export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** The file of `<persistDir>` that lists the Standard executions running, for the next start to resume. */
export const IN_FLIGHT_JOURNAL = 'executions.json';

interface SynthModule {
  synthesizeTemplate?: (options: { bundling: boolean }) => Promise<Record<string, unknown>>;
}

/** The CloudFormation template of the `Colend` stack, synthesized without bundling. */
export async function synthesizeAppTemplate(rootDir: string = REPOSITORY_ROOT): Promise<CfnTemplate> {
  const path = join(rootDir, 'infra', 'synth.ts');
  if (!existsSync(path)) throw new Error(`${path} is missing: the local stack runs the template it synthesizes`);
  const module = (await import(pathToFileURL(path).href)) as SynthModule;
  if (typeof module.synthesizeTemplate !== 'function') throw new Error(`${path} does not export synthesizeTemplate`);
  return (await module.synthesizeTemplate({ bundling: false })) as CfnTemplate;
}

/** The app's template: the one synthesized before from the same sources, or synthesized now and kept. */
async function appTemplate(rootDir: string, log: (line: string) => void): Promise<CachedTemplate> {
  const started = Date.now();
  const found = await cachedTemplate(rootDir, () => synthesizeAppTemplate(rootDir));
  log(`template ${found.cached ? 'of unchanged sources reused' : 'synthesized'} in ${Date.now() - started} ms (${found.path})`);
  return found;
}

/** The stack's own time: from `clockStart`, running on with the machine's clock; null (the machine's) without it. */
export function stackClock(clockStart: string | undefined, nowMs: () => number = Date.now): () => string | null {
  if (clockStart === undefined) return () => null;
  const atMs = Date.parse(clockStart);
  if (Number.isNaN(atMs)) throw new RangeError(`clockStart is not an ISO instant: ${clockStart}`);
  const sinceMs = nowMs();
  return () => new Date(atMs + (nowMs() - sinceMs)).toISOString();
}

/**
 * The file that stands in for Secrets Manager (docs/webhooks.md): in the state folder, readable by
 * its owner only. A stack that keeps its tables keeps its secrets in `webhook-secrets.json`; one
 * whose tables are in memory has a file of its own run, removed when it stops.
 */
export function localWebhookSecretsFile(persisted: boolean): string {
  return persisted ? join(colendHome(), 'webhook-secrets.json') : join(colendHome(), 'webhook-secrets', `run-${process.pid}-${randomUUID()}.json`);
}

/**
 * The key file that stands in for KMS (docs/personal-data.md): in the state folder, never in a
 * table, readable by its owner only, created on first start. A stack that keeps its tables keeps
 * its keys in `personal-data-keys.json` (the sealed values need them); one whose tables are in
 * memory has keys of its own run, removed when it stops.
 */
export function localPersonalDataKeyFile(persisted: boolean): string {
  return persisted ? join(colendHome(), 'personal-data-keys.json') : join(colendHome(), 'personal-data-keys', `run-${process.pid}-${randomUUID()}.json`);
}

/** Sets variables and returns how to put the previous values back. */
function applyEnvironment(variables: Record<string, string>): () => void {
  const previous = new Map<string, string | undefined>();
  for (const [name, value] of Object.entries(variables)) {
    previous.set(name, process.env[name]);
    process.env[name] = value;
  }
  previous.set('AWS_SESSION_TOKEN', process.env.AWS_SESSION_TOKEN);
  delete process.env.AWS_SESSION_TOKEN;
  return () => {
    for (const [name, value] of previous) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

type Cleanup = () => Promise<void> | void;

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const startedAt = options.startedAt ?? performance.now();
  const startedAtIso = new Date(performance.timeOrigin + startedAt).toISOString();
  const log = options.log ?? (() => undefined);
  const phase = (name: string): void => log(`${name} (${Math.round(performance.now() - startedAt)} ms)`);
  const rootDir = options.rootDir ?? REPOSITORY_ROOT;
  const cleanups: Cleanup[] = [];
  const localToken = newLocalToken();
  let ready = false;
  let stopped = false;

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    ready = false;
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log(`stop: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };

  try {
    // 1. DynamoDB Local first: its JVM takes longest to start, and everything up to the tables
    //    runs meanwhile, the handlers included (they are given its endpoint before it answers).
    if (options.stateFile) {
      const running = readLocalStackState();
      if (running !== null) {
        await options.dynamoDb?.stop();
        throw new StackAlreadyRunningError(running, stateFilePath());
      }
    }
    const launch =
      options.dynamoDb ??
      (await launchDynamoDbLocal({ persistDir: options.persistDir, log, javaCommand: requireJava().command, longRunning: options.longRunning ?? false }));
    cleanups.push(() => launch.stop());
    const dynamoEndpoint = launch.endpoint;

    // 2. The template: the one of unchanged sources, or synthesized now.
    const kept = options.template ? undefined : await appTemplate(rootDir, log);
    const template = options.template ?? (kept as CachedTemplate).template;
    const resolver = new TemplateResolver(template);
    phase('template ready');

    // 3. Functions and state machines: every Task state bound, or the stack refuses to start.
    const functions = new FunctionHost(functionsFromTemplate(resolver), { rootDir, log, loadModule: options.loadModule });
    const machines = stateMachinesFromTemplate(resolver);
    const stepFunctions = new StepFunctionsRuntime({
      machines,
      functions,
      log,
      // With --persist, the executions running at a stop are resumed by the next start (IN_FLIGHT_JOURNAL).
      ...(options.persistDir ? { journal: join(options.persistDir, IN_FLIGHT_JOURNAL) } : {}),
      dynamodb: () => new DynamoDBClient({ endpoint: dynamoEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
      validateDefinitions: kept?.validated !== true,
    });
    if (kept !== undefined && !kept.validated) await markValidated(kept.path);
    cleanups.push(() => stepFunctions.stop());
    cleanups.push(() => setLocalTime(null));
    const ownTime = stackClock(options.clockStart);
    // Only a stack with a clock of its own sets it: another stack of the process keeps the time it was given.
    if (options.clockStart !== undefined) setLocalTime(ownTime());
    phase('functions and state machines bound');

    // 4. The Step Functions endpoint, then the environment handlers see, set before any
    //    handler module is imported.
    const sfnEndpoint: SfnEndpoint = await startSfnEndpoint(stepFunctions, { log });
    cleanups.push(() => sfnEndpoint.close());
    resolveSyncHostPrefix();
    const events = new LocalEventBus(eventBusNamesFromTemplate(resolver));
    const eventsEndpoint: EventsEndpoint = await startEventsEndpoint(events, { log });
    cleanups.push(() => eventsEndpoint.close());
    const meter = options.meterDynamoDb ? await startDynamoDbMeter(dynamoEndpoint) : null;
    const faults = options.dynamoDbFaults ? await startDynamoDbFaults(meter?.endpoint ?? dynamoEndpoint, options.dynamoDbFaults) : null;
    if (faults) {
      cleanups.push(() => faults.close());
      log(`DynamoDB faults injected into the handlers' calls: ${JSON.stringify(options.dynamoDbFaults)}`);
    }
    const filesDir = options.filesDir ?? (options.persistDir ? join(options.persistDir, 'files') : await mkdtemp(join(tmpdir(), 'colend-files-')));
    await mkdir(filesDir, { recursive: true });
    if (options.filesDir === undefined && options.persistDir === undefined) cleanups.push(() => rm(filesDir, { recursive: true, force: true }));
    else {
      // A process killed in the middle of a write leaves its partial file; nothing reads one, and the folder should hold what a bucket would.
      void removeLeftPartialFiles(filesDir, new Date()).then(
        (removed) => (removed > 0 ? log(`removed ${removed} partial files that writes stopped in the middle left in ${filesDir}`) : undefined),
        (error: unknown) => log(`warning: partial files left in ${filesDir} were not removed: ${error instanceof Error ? error.message : String(error)}`),
      );
    }
    if (meter) cleanups.push(() => meter.close());
    const webhookSecretsFile = localWebhookSecretsFile(options.persistDir !== undefined);
    if (options.persistDir === undefined) cleanups.push(() => rm(webhookSecretsFile, { force: true }));
    const personalDataKeyFile = localPersonalDataKeyFile(options.persistDir !== undefined);
    ensureLocalKeyFile(personalDataKeyFile);
    if (options.persistDir === undefined) cleanups.push(() => rm(personalDataKeyFile, { force: true }));
    const environment = functions.environment({
      AWS_REGION: LOCAL_REGION,
      AWS_DEFAULT_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: faults?.endpoint ?? meter?.endpoint ?? dynamoEndpoint,
      AWS_ENDPOINT_URL_SFN: sfnEndpoint.endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: eventsEndpoint.endpoint,
      FILES_DIR: filesDir,
      [WEBHOOK_SECRETS_ENV.file]: webhookSecretsFile,
      [PERSONAL_DATA_ENV.file]: personalDataKeyFile,
    });
    if (options.countClientRequests === false) delete environment[CLIENT_LIMITS_ENV];
    const restoreEnvironment = applyEnvironment(environment);
    cleanups.push(restoreEnvironment);
    await functions.preload();
    phase('handlers loaded');

    // 5. Tables, exactly as the template defines them, once DynamoDB Local answers.
    const dynamo = await launch.ready;
    phase(`DynamoDB Local answers on ${dynamo.endpoint}${options.persistDir ? ` (data in ${join(options.persistDir, 'dynamodb')})` : ' (in memory)'}`);
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    cleanups.push(() => client.destroy());
    const tables = await createTables(client, tableSpecsFromTemplate(resolver));
    phase('tables ready');
    log(`Tables: ${[...tables.created.map((t) => `${t.tableName} (created)`), ...tables.existing.map((t) => `${t.tableName} (kept)`)].join(', ') || 'none'}`);
    // The app's template names its tables to the functions; a template without them (a fixture) has no keys to lapse.
    if (tables.existing.length > 0 && environment.STATE_TABLE !== undefined) {
      const lapsed = await lapseReservationsOfEarlierRun(createDocumentClient(client), tablesFromEnv(environment), new Date(ownTime() ?? Date.now()));
      if (lapsed > 0) log(`${lapsed} Idempotency-Key reservations of requests the last run never answered lapsed: the same requests sent again run now`);
    }

    // What the stream, the bus and the schedules could not deliver after their retries (with --persist, kept across restarts).
    const deadLetters = new LocalDeadLetters(deadLetterQueuesFromTemplate(resolver), options.persistDir ? join(options.persistDir, DEAD_LETTERS_FILE) : undefined);
    const invokeAsync = asyncInvoker({ invoke: (logicalId, payload) => functions.invoke(logicalId, payload), configs: asyncInvokeConfigsFromTemplate(resolver), deadLetters, log });
    const pendingAsync = new Set<Promise<void>>();
    /** Lambda's asynchronous invocation: accepted at once (refused only for a function that is not there), run in the background. */
    const acceptAsync = (nameOrArn: string, payload: unknown): Promise<void> => {
      const fn = functions.resolve(nameOrArn);
      if (!fn) return Promise.reject(new FunctionNotFound(`No function ${nameOrArn}`));
      const run = invokeAsync(fn.logicalId, payload);
      pendingAsync.add(run);
      void run.finally(() => pendingAsync.delete(run));
      return Promise.resolve();
    };
    cleanups.push(async () => {
      await Promise.all([...pendingAsync]);
    });
    const scheduler = new LocalScheduler(
      schedulesFromTemplate(resolver),
      {
        startExecution: (request) => stepFunctions.startExecution(request),
        invokeFunction: acceptAsync,
      },
      { log, deadLetter: (queue, body, attributes) => deadLetters.send(queue, body, attributes) },
    );
    cleanups.push(() => scheduler.stop());
    for (const unsupported of scheduler.unsupportedTargets()) {
      log(`warning: schedule ${unsupported.scheduleId} targets ${unsupported.arn}, which does not run locally`);
    }

    // 6. The HTTP API, answering 503 on /health until ready.
    let baseUrl = '';
    const invokeNow = async (nameOrArn: string, payload: unknown): Promise<unknown> => {
      const fn = functions.resolve(nameOrArn);
      if (!fn) throw new FunctionNotFound(`Function not found: ${nameOrArn}`);
      return functions.invoke(fn.logicalId, payload);
    };
    const localHandlers = [
      testHooks(scheduler, functions, stepFunctions, events, () => faults?.counts() ?? null),
      localDeadLetterEndpoints(deadLetters, invokeNow),
      localUploads(filesDir, localToken),
      consoleSite(log, localToken),
    ];
    const routes = routesFromTemplate(resolver, functions);
    const http: HttpApiServer = await startHttpApi(
      { routes, functions, log, localHandlers, isReady: () => ready, baseUrl: () => baseUrl, localToken, cors: corsFromTemplate(resolver) },
      options.port ?? 0,
    );
    cleanups.push(() => http.close());
    baseUrl = `http://127.0.0.1:${http.port}`;
    // Upload URLs name the server's own address, known only now that it listens.
    cleanups.push(applyEnvironment({ LOCAL_UPLOAD_URL: `${baseUrl}${LOCAL_UPLOAD_PATH}`, LOCAL_UPLOAD_SECRET: localToken }));

    // 7. Seed data through the API, as a client would.
    if (options.seed) await options.seed({ baseUrl, mintToken });

    // 8. The table streams, handed to the functions that read them in AWS.
    const streams = new DynamoDBStreamsClient({ endpoint: dynamo.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    cleanups.push(() => streams.destroy());
    const streamPoller = new StreamPoller(streamSourcesFromTemplate(resolver), {
      dynamodb: client,
      streams,
      tableName: (logicalId) => [...tables.created, ...tables.existing].find((t) => t.logicalId === logicalId)?.tableName ?? logicalId,
      invoke: (logicalId, event) => functions.invoke(logicalId, event),
      log,
      deadLetter: (queue, body) => deadLetters.send(queue, body),
    });
    streamPoller.start();
    cleanups.push(() => streamPoller.stop());
    // 9. The bus's rules, handing events to the functions that are their targets in AWS.
    routeEventRules(events, eventRulesFromTemplate(resolver), { invoke: acceptAsync, log, deadLetter: (queue, body, attributes) => deadLetters.send(queue, body, attributes) });

    const inFlight = stepFunctions.resumeInFlight();
    for (const execution of inFlight.resumed) log(`resumed ${execution.stateMachine} ${execution.name} (started ${execution.startDate}), from its first state`);
    for (const execution of inFlight.notResumed) log(`warning: not resumed: ${execution.stateMachine} ${execution.name} (started ${execution.startDate}): ${execution.reason}`);
    if (options.runSchedules ?? true) scheduler.start();
    if (options.stateFile) {
      writeLocalStackState({
        pid: process.pid,
        baseUrl,
        dynamodbEndpoint: dynamo.endpoint,
        sfnEndpoint: sfnEndpoint.endpoint,
        eventsEndpoint: eventsEndpoint.endpoint,
        filesDir,
        localToken,
        startedAt: startedAtIso,
      });
      cleanups.push(() => removeLocalStackState());
    }
    ready = true;
    const startupMs = Math.round(performance.now() - startedAt);
    return {
      baseUrl,
      dynamodbEndpoint: dynamo.endpoint,
      dynamodbProcessGroup: dynamo.pid,
      sfnEndpoint: sfnEndpoint.endpoint,
      eventsEndpoint: eventsEndpoint.endpoint,
      events,
      template,
      filesDir,
      scheduler,
      stepFunctions,
      functions,
      tables,
      startupMs,
      localToken,
      mintToken,
      setTime: (instant) => setLocalTime(instant ?? ownTime()),
      invocationCounts: () => functions.invocationCounts(),
      dynamoDbCounts: () => meter?.counts() ?? null,
      dynamoDbFaultCounts: () => faults?.counts() ?? null,
      streams: streamPoller,
      deadLetters,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Local-only endpoints for tests and benchmarks that run in other processes:
 * `POST /local/schedules/{id}/fire` with `{"time": "<ISO time>"}` fires a schedule;
 * `GET /local/invocations` reports function invocations and state transitions;
 * `GET /local/events[?detailType=...]` lists the latest events put on the local buses (at least
 * the last 10,000), oldest first, and how many were put in all;
 * `GET /local/dynamodb-faults` counts the faults injected (`dynamoDbFaults`), null without them.
 */
function testHooks(scheduler: LocalScheduler, functions: FunctionHost, stepFunctions: StepFunctionsRuntime, events: LocalEventBus, faultCounts: () => DynamoDbFaultCounts | null) {
  return async (request: IncomingMessage, url: URL): Promise<ApiResponse | undefined> => {
    if (!url.pathname.startsWith('/local/')) return undefined;
    const fire = /^\/local\/schedules\/([^/]+)\/fire$/.exec(url.pathname);
    if (fire && request.method === 'POST') {
      const body = await readJsonBody(request);
      const time = typeof body.time === 'string' ? body.time : new Date().toISOString();
      try {
        return jsonResponse(200, await scheduler.fire(decodeURIComponent(fire[1] as string), time));
      } catch (error) {
        return jsonResponse(400, { message: error instanceof Error ? error.message : String(error) });
      }
    }
    if (url.pathname === '/local/invocations' && request.method === 'GET') {
      return jsonResponse(200, { functions: functions.invocationCounts(), stateTransitions: stepFunctions.transitionCounts() });
    }
    if (url.pathname === '/local/events' && request.method === 'GET') {
      const detailType = url.searchParams.get('detailType') ?? undefined;
      return jsonResponse(200, { events: events.list({ detailType }), put: events.count() });
    }
    if (url.pathname === '/local/dynamodb-faults' && request.method === 'GET') return jsonResponse(200, { faults: faultCounts() });
    return undefined;
  };
}
