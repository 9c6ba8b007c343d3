import { CALENDAR_ZONES, PLATFORM_CALENDAR } from '../shared/domain/business-date.ts';
import { Duration } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { z } from 'zod';
import type { ShardMap } from '../workflows/settlement/states.ts';
import { checkLimits, type ClientLimits } from '../shared/domain/request-limits.ts';

/** The scopes of the `colend` resource server; a client's scopes decide what its tokens may do. */
export const CLIENT_SCOPES = ['lead', 'partner', 'finance'] as const;
export type ClientScope = (typeof CLIENT_SCOPES)[number];

/** One client-credentials app client of the user pool. */
export interface AppClientConfig {
  /** Stable name; it becomes the client's construct id, so it is never renamed once deployed. */
  readonly name: string;
  readonly scopes: readonly ClientScope[];
  /** The lender the client belongs to; its tokens carry it as the `lender_id` claim. */
  readonly lenderId?: string;
  /** Its own limits (docs/limits.md); the stage's default limits when absent. */
  readonly limits?: ClientLimits;
}

/**
 * The API's edge (docs/limits.md): API Gateway's stage throttle is the ceiling of all clients
 * together; each app client has its own requests per second and per day, counted by the
 * functions (`colend:apiLimits` sets the default, a client's `limits` its own). CORS is closed
 * unless `colend:corsOrigins` lists origins: then exactly those may call from a browser
 * (`console` stands for the stack's finance console).
 */
export interface ApiSettings {
  readonly throttle: ApiThrottleSettings;
  readonly clientLimits: ClientLimits;
  readonly corsOrigins: readonly string[];
}

export interface LedgerCheckSettings {
  /** EventBridge Scheduler cron expression, evaluated in `timeZone`. */
  readonly scheduleExpression: string;
  readonly timeZone: string;
  /** Loans are spread over this many check shards (see docs/access-patterns.md, S7). */
  readonly shardCount: number;
  /** How many shards are verified at the same time. */
  readonly maxConcurrency: number;
}

/**
 * How long an execution of each review workflow may run at most. A backstop only: the waits of
 * its Task states come from the program (at most 30 days each) and end in the workflow's own
 * catches long before, so a timed-out execution never leaves a reservation behind.
 */
export interface ReviewWorkflowSettings {
  /** Several rounds, each waiting up to a program's review timeout. */
  readonly jointReviewTimeout: Duration;
  /** One wait of up to a program's disbursement timeout, plus a few short steps. */
  readonly disbursementTimeout: Duration;
}

/**
 * What the state machines write to their log groups. `ERROR` (the default): failed executions and
 * states only, without their input and output, which carry borrower and application data. `ALL`:
 * every event, still without data; `ALL_WITH_DATA`: every event with its input and output, for a
 * stage where that data may be kept (a test stage, a debugging session).
 */
export const WORKFLOW_LOG_LEVELS = ['ERROR', 'ALL', 'ALL_WITH_DATA'] as const;
export type WorkflowLogLevel = (typeof WORKFLOW_LOG_LEVELS)[number];

export interface WorkflowLogSettings {
  readonly level: 'ERROR' | 'ALL';
  readonly includeExecutionData: boolean;
}

export interface ApiThrottleSettings {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

/**
 * Tracing, dashboard and alarms (docs/operations.md, Observability). `tracing` (`colend:tracing`,
 * on unless `false`) turns X-Ray on for every function and state machine. The settlement deadline
 * is a daily check: when it fires, the run of the business date that closed must be SETTLED.
 */
export interface ObservabilitySettings {
  readonly tracing: boolean;
  /** When the deadline check runs, in `timeZone`: the settlement of the date that closed must be done by then. */
  readonly settlementDeadline: Pick<LedgerCheckSettings, 'scheduleExpression' | 'timeZone'>;
  /** An open break older than this many days raises the breaks alarm (`colend:breakAlarmDays`). */
  readonly breakAlarmDays: number;
}

/**
 * How the stage encrypts its data at rest (docs/deploy.md, Stage options). `customerManagedKeys`
 * (`colend:customerManagedKeys`, off unless `true`): one customer-managed KMS key of the stage,
 * rotated yearly and retained, encrypts the tables, the buckets and the log groups; off, AWS-owned
 * and AWS-managed keys do (DynamoDB's AWS-managed key, S3-managed keys, CloudWatch Logs' own).
 */
export interface EncryptionSettings {
  readonly customerManagedKeys: boolean;
}

export interface StageConfig {
  readonly stageName: string;
  readonly ledgerCheck: LedgerCheckSettings;
  /** The daily risk update: the same shards, its own schedule. */
  readonly riskUpdate: LedgerCheckSettings;
  /**
   * The daily settlement, after the programs' cut-off; it gathers the date index's 16 shards, with
   * a Distributed Map over the run's manifest in AWS and an inline Map on the local stage, whose
   * engine runs no Distributed Map (docs/adr/0006).
   */
  readonly settlement: Omit<LedgerCheckSettings, 'shardCount'> & { readonly shardMap: ShardMap };
  /** The daily profit-sharing schedule: the periods that ended (the loan shards are the 16 of the loans' index). */
  readonly profitSharing: Omit<LedgerCheckSettings, 'shardCount'>;
  /** The daily regulatory report of the date that closed (the loan shards are the 16 of the loans' index). */
  readonly regulatoryReport: Omit<LedgerCheckSettings, 'shardCount'>;
  /** Reconciliation: how many files are reconciled side by side in one run of the workflow. */
  readonly reconciliation: { readonly maxConcurrency: number };
  /** The daily escalation of reconciliation breaks: one function, invoked by its schedule. */
  readonly breakEscalation: Pick<LedgerCheckSettings, 'scheduleExpression' | 'timeZone'>;
  readonly reviewWorkflows: ReviewWorkflowSettings;
  /** A collection batch: how many loans' groups are booked side by side. */
  readonly repaymentBatch: { readonly maxConcurrency: number };
  readonly clients: readonly AppClientConfig[];
  readonly api: ApiSettings;
  /** How long function, workflow and access logs are kept. */
  readonly logRetention: RetentionDays;
  /** What the state machines log (`colend:workflowLogs`); ERROR without data unless a stage asks for more. */
  readonly workflowLogs: WorkflowLogSettings;
  readonly observability: ObservabilitySettings;
  readonly encryption: EncryptionSettings;
}

export const CLIENTS_CONTEXT_KEY = 'colend:clients';
export const STAGE_CONTEXT_KEY = 'colend:stage';
export const WORKFLOW_LOGS_CONTEXT_KEY = 'colend:workflowLogs';
export const TRACING_CONTEXT_KEY = 'colend:tracing';
export const BREAK_ALARM_DAYS_CONTEXT_KEY = 'colend:breakAlarmDays';
export const CUSTOMER_MANAGED_KEYS_CONTEXT_KEY = 'colend:customerManagedKeys';
export const API_LIMITS_CONTEXT_KEY = 'colend:apiLimits';
export const CORS_ORIGINS_CONTEXT_KEY = 'colend:corsOrigins';
/** In `colend:corsOrigins`: the origin of the stack's own finance console (its CloudFront domain). */
export const CONSOLE_ORIGIN = 'console';

/**
 * Each client's limits unless the stage or the client says otherwise: below the stage's ceiling
 * (50 requests a second), so that no one client takes all of it.
 */
export const DEFAULT_CLIENT_LIMITS: ClientLimits = { requestsPerSecond: 25, requestsPerDay: 500_000 };
/**
 * The local stage's: the benchmarks and the integration tests drive one client at hundreds of
 * requests a second through the same handlers, which count them the same way.
 */
export const LOCAL_CLIENT_LIMITS: ClientLimits = { requestsPerSecond: 1_000, requestsPerDay: 10_000_000 };
/** Breaks open longer than this alarm unless a stage says otherwise. */
export const DEFAULT_BREAK_ALARM_DAYS = 30;
/** The stage the local stack synthesizes (infra/synth.ts): the same stack, with what its engines run. */
export const LOCAL_STAGE = 'local';

export const DEFAULT_CLIENTS: readonly AppClientConfig[] = [
  { name: 'lead-ops', scopes: ['lead'] },
  { name: 'platform-finance', scopes: ['finance'] },
];

const clientName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{1,62}$/, 'a client name is lowercase letters, digits and dashes, starting with a letter');

const limitsSchema = z
  .strictObject({ requestsPerSecond: z.number(), requestsPerDay: z.number() })
  .superRefine((limits, context) => {
    const problem = checkLimits(limits);
    if (problem !== null) context.addIssue({ code: 'custom', message: problem });
  });

const appClientSchema = z
  .strictObject({
    name: clientName,
    scopes: z.array(z.enum(CLIENT_SCOPES)).min(1),
    lenderId: z.string().min(1).optional(),
    limits: limitsSchema.optional(),
  })
  .refine((client) => !client.scopes.includes('partner') || client.lenderId !== undefined, {
    message: 'a client with the partner scope must name its lenderId',
    path: ['lenderId'],
  });

const clientsSchema = z
  .array(appClientSchema)
  .min(1)
  .refine((clients) => new Set(clients.map((client) => client.name)).size === clients.length, {
    message: 'client names must be unique',
  });

/** Reads `colend:clients` from context: a JSON string (from `-c`) or an array (from cdk.json). */
export function parseClients(raw: unknown): AppClientConfig[] {
  const value: unknown = typeof raw === 'string' ? JSON.parse(raw) : raw;
  const parsed = clientsSchema.safeParse(value);
  if (!parsed.success) {
    throw new Error(`Invalid ${CLIENTS_CONTEXT_KEY}: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/** A context value given as JSON text (from `-c`) or as a value (from cdk.json or a test). */
const jsonContext = (raw: unknown): unknown => (typeof raw === 'string' ? (JSON.parse(raw) as unknown) : raw);

/** Reads `colend:apiLimits`: `{"requestsPerSecond": n, "requestsPerDay": m}`; absent means the stage's default. */
export function parseApiLimits(raw: unknown, stageName: string): ClientLimits {
  if (raw === undefined) return stageName === LOCAL_STAGE ? LOCAL_CLIENT_LIMITS : DEFAULT_CLIENT_LIMITS;
  const parsed = limitsSchema.safeParse(jsonContext(raw));
  if (!parsed.success) throw new Error(`Invalid ${API_LIMITS_CONTEXT_KEY}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

const corsOriginsSchema = z.array(
  z.union([z.literal(CONSOLE_ORIGIN), z.string().regex(/^https:\/\/[a-z0-9.-]+(:\d{1,5})?$/, 'an origin is https://host[:port], without a path or a wildcard')]),
);

/** Reads `colend:corsOrigins`: a list of origins (`console` for the stack's console); absent or empty means no browser origin may call. */
export function parseCorsOrigins(raw: unknown): string[] {
  if (raw === undefined) return [];
  const parsed = corsOriginsSchema.safeParse(jsonContext(raw));
  if (!parsed.success) throw new Error(`Invalid ${CORS_ORIGINS_CONTEXT_KEY}: ${z.prettifyError(parsed.error)}`);
  return [...new Set(parsed.data)];
}

/** Reads `colend:workflowLogs`: absent means ERROR without data. */
export function parseWorkflowLogs(raw: unknown): WorkflowLogSettings {
  if (raw === undefined) return { level: 'ERROR', includeExecutionData: false };
  const parsed = z.enum(WORKFLOW_LOG_LEVELS).safeParse(raw);
  if (!parsed.success) {
    throw new Error(`Invalid ${WORKFLOW_LOGS_CONTEXT_KEY}: ${JSON.stringify(raw)} is not one of ${WORKFLOW_LOG_LEVELS.join(', ')}`);
  }
  return parsed.data === 'ALL_WITH_DATA' ? { level: 'ALL', includeExecutionData: true } : { level: parsed.data, includeExecutionData: false };
}

/** Reads `colend:tracing`: absent or true means on; `false` (or the string from `-c`) off. */
export function parseTracing(raw: unknown): boolean {
  return parseSwitch(TRACING_CONTEXT_KEY, raw, true);
}

/** Reads `colend:customerManagedKeys`: absent or false means AWS-managed encryption; `true` (or the string from `-c`) the stage's own key. */
export function parseCustomerManagedKeys(raw: unknown): boolean {
  return parseSwitch(CUSTOMER_MANAGED_KEYS_CONTEXT_KEY, raw, false);
}

function parseSwitch(key: string, raw: unknown, absent: boolean): boolean {
  if (raw === undefined) return absent;
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  throw new Error(`Invalid ${key}: ${JSON.stringify(raw)} is not true or false`);
}

/** Reads `colend:breakAlarmDays`: a whole number of days from 1 to 365; absent means 30. */
export function parseBreakAlarmDays(raw: unknown): number {
  if (raw === undefined) return DEFAULT_BREAK_ALARM_DAYS;
  const days = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
  if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > 365) {
    throw new Error(`Invalid ${BREAK_ALARM_DAYS_CONTEXT_KEY}: ${JSON.stringify(raw)} is not a whole number of days from 1 to 365`);
  }
  return days;
}

/** Looks a context value up; `app.node.tryGetContext` fits. */
export type ContextReader = (key: string) => unknown;

/** The daily runs are scheduled in the platform's calendar, the one that defines their business dates. */
const PLATFORM_ZONE = CALENDAR_ZONES[PLATFORM_CALENDAR] ?? 'Asia/Shanghai';

export function loadStageConfig(readContext: ContextReader): StageConfig {
  const rawClients = readContext(CLIENTS_CONTEXT_KEY);
  const rawStage = readContext(STAGE_CONTEXT_KEY);
  const stageName = typeof rawStage === 'string' && rawStage !== '' ? rawStage : 'dev';
  if (!/^[a-z][a-z0-9-]{0,15}$/.test(stageName)) {
    throw new Error(`Invalid ${STAGE_CONTEXT_KEY}: ${stageName}`);
  }
  return {
    stageName,
    ledgerCheck: {
      // 01:00 every day in Beijing time, after the business date has closed.
      scheduleExpression: 'cron(0 1 * * ? *)',
      timeZone: PLATFORM_ZONE,
      shardCount: 16,
      maxConcurrency: 4,
    },
    riskUpdate: {
      // 00:30 every day in Beijing time: classes and compensations of the day that closed.
      scheduleExpression: 'cron(30 0 * * ? *)',
      timeZone: PLATFORM_ZONE,
      shardCount: 16,
      maxConcurrency: 4,
    },
    settlement: {
      // 23:00 every day in Beijing time, after the default 22:00 cut-off: settles the day that closed.
      scheduleExpression: 'cron(0 23 * * ? *)',
      timeZone: PLATFORM_ZONE,
      maxConcurrency: 4,
      shardMap: stageName === LOCAL_STAGE ? 'INLINE' : 'DISTRIBUTED',
    },
    profitSharing: {
      // 22:30 every day in Beijing time, after the default 22:00 cut-off: a month or quarter whose
      // last day has just closed is shared, and its fees are settled with the next settlement day.
      scheduleExpression: 'cron(30 22 * * ? *)',
      timeZone: PLATFORM_ZONE,
      maxConcurrency: 4,
    },
    regulatoryReport: {
      // 00:45 every day in Beijing time: every cut-off of the day that closed has passed.
      scheduleExpression: 'cron(45 0 * * ? *)',
      timeZone: PLATFORM_ZONE,
      maxConcurrency: 4,
    },
    reconciliation: { maxConcurrency: 2 },
    breakEscalation: {
      // 08:30 every day in Beijing time: what has stayed open too long is raised at the start of the working day.
      scheduleExpression: 'cron(30 8 * * ? *)',
      timeZone: PLATFORM_ZONE,
    },
    reviewWorkflows: {
      jointReviewTimeout: Duration.days(365),
      disbursementTimeout: Duration.days(60),
    },
    repaymentBatch: { maxConcurrency: 8 },
    clients: rawClients === undefined ? [...DEFAULT_CLIENTS] : parseClients(rawClients),
    api: {
      throttle: { rateLimit: 50, burstLimit: 100 },
      clientLimits: parseApiLimits(readContext(API_LIMITS_CONTEXT_KEY), stageName),
      corsOrigins: parseCorsOrigins(readContext(CORS_ORIGINS_CONTEXT_KEY)),
    },
    logRetention: RetentionDays.THREE_MONTHS,
    workflowLogs: parseWorkflowLogs(readContext(WORKFLOW_LOGS_CONTEXT_KEY)),
    observability: {
      tracing: parseTracing(readContext(TRACING_CONTEXT_KEY)),
      // 07:00 every day in Beijing time: the settlement of the date that closed (started at 23:00) is done.
      settlementDeadline: { scheduleExpression: 'cron(0 7 * * ? *)', timeZone: PLATFORM_ZONE },
      breakAlarmDays: parseBreakAlarmDays(readContext(BREAK_ALARM_DAYS_CONTEXT_KEY)),
    },
    encryption: { customerManagedKeys: parseCustomerManagedKeys(readContext(CUSTOMER_MANAGED_KEYS_CONTEXT_KEY)) },
  };
}
