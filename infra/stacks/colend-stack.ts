import { ArnFormat, Aws, CfnOutput, Duration, Lazy, RemovalPolicy, Size, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, ObjectLockRetention } from 'aws-cdk-lib/aws-s3';
import { bucketEncryptionSettings, createDataKey, DATA_KEY_READ_ACTIONS, DATA_KEY_WRITE_ACTIONS, logGroupSettings } from '../constructs/data-key.ts';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import type { StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { CorsHttpMethod, HttpApi, HttpMethod, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import type { HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { StreamViewType } from 'aws-cdk-lib/aws-dynamodb';
import type { Archive } from 'aws-cdk-lib/aws-events';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { FilterCriteria, FilterRule, StartingPosition, type CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { Policy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import { ContextAttribute, Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke, StepFunctionsStartExecution } from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { disbursementDefinition } from '../../workflows/disbursement/definition.ts';
import { repaymentBatchDefinition } from '../../workflows/repayment-batch/definition.ts';
import { riskUpdateDefinition } from '../../workflows/risk-update/definition.ts';
import { settlementDefinition } from '../../workflows/settlement/definition.ts';
import { reconciliationDefinition } from '../../workflows/reconciliation/definition.ts';
import { profitSharingDefinition } from '../../workflows/profit-sharing/definition.ts';
import { regulatoryReportDefinition } from '../../workflows/regulatory-report/definition.ts';
import { StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { jointReviewDefinition } from '../../workflows/joint-review/definition.ts';
import { ledgerCheckDefinition } from '../../workflows/ledger-check/definition.ts';
import { CONSOLE_ORIGIN, LOCAL_STAGE, type StageConfig } from '../config.ts';
import { ColendFunction } from '../constructs/colend-function.ts';
import type { AuditAccess, FileAction, TableAccess } from '../constructs/colend-function.ts';
import { ROUTES, isWrite } from '../../shared/http/routes.ts';
import { CLIENT_LIMITS_ENV, type LimitSettings } from '../../shared/http/request-limits.ts';
import { stateFamilies as stateKeyFamilies } from '../../shared/adapters/dynamodb/state-keys.ts';
import { ColendTable } from '../constructs/colend-table.ts';
import { STATE_TIME_TO_LIVE_ATTRIBUTE } from '../../shared/adapters/dynamodb/state-keys.ts';
import { keysOfStore, type StoreUse } from '../../shared/adapters/dynamodb/index.ts';
import { patternsOf, unionOf, type FamilyTable, type StoreKeys } from '../../shared/adapters/dynamodb/key-families.ts';
import { FUNCTION_STORES } from './function-stores.ts';
import { ColendWorkflow } from '../constructs/colend-workflow.ts';
import { ConsoleSite } from '../constructs/console-site.ts';
import { Monitoring } from '../constructs/monitoring.ts';
import { UploadCors } from '../constructs/upload-cors.ts';
import { Identity, scopeName } from './identity.ts';
import { EVENT_SOURCE, REVIEW_REQUESTED } from '../../shared/adapters/notifier.ts';
import { API_ROUTES } from './routes.ts';
import type { ApiFunctionName } from './routes.ts';

/** Environment variables every function receives (docs/architecture.md). */
export const ENV = {
  ledgerTable: 'LEDGER_TABLE',
  stateTable: 'STATE_TABLE',
  auditTable: 'AUDIT_TABLE',
  ledgerCheckStateMachineArn: 'LEDGER_CHECK_STATE_MACHINE_ARN',
  jointReviewStateMachineArn: 'JOINT_REVIEW_STATE_MACHINE_ARN',
  repaymentBatchStateMachineArn: 'REPAYMENT_BATCH_STATE_MACHINE_ARN',
  riskUpdateStateMachineArn: 'RISK_UPDATE_STATE_MACHINE_ARN',
  settlementStateMachineArn: 'SETTLEMENT_STATE_MACHINE_ARN',
  profitSharingStateMachineArn: 'PROFIT_SHARING_STATE_MACHINE_ARN',
  regulatoryReportStateMachineArn: 'REGULATORY_REPORT_STATE_MACHINE_ARN',
  reconciliationStateMachineArn: 'RECONCILIATION_STATE_MACHINE_ARN',
  eventBusName: 'EVENT_BUS_NAME',
  filesBucket: 'FILES_BUCKET',
  workBucket: 'WORK_BUCKET',
  webhooksRequireHttps: 'WEBHOOKS_REQUIRE_HTTPS',
  webhookSecretsPrefix: 'WEBHOOK_SECRETS_PREFIX',
  personalDataKeyId: 'PERSONAL_DATA_KEY_ID',
  personalDataHashKeyId: 'PERSONAL_DATA_HASH_KEY_ID',
  apiClientLimits: CLIENT_LIMITS_ENV,
} as const;

/** The name prefix of a stage's webhook secrets in Secrets Manager: one secret per lender beneath it. */
export const webhookSecretsPrefix = (stageName: string): string => `colend/${stageName}/webhook/`;

/** How many times the webhooks rule tries again to hand an event to webhook-delivery (throttled, or the service failed). */
export const WEBHOOK_RETRY_ATTEMPTS = 8;

/**
 * How many times Lambda runs an asynchronous invocation again after the function failed (the
 * webhooks rule's and the schedules' invocations): at most 2 in Lambda, about 1 and 2 minutes
 * apart; then the invocation goes to the function's on-failure destination.
 */
export const ASYNC_RETRY_ATTEMPTS = 2;

/** How many times a schedule tries again to start its workflow or invoke its function, within 6 hours. */
export const SCHEDULE_RETRY_ATTEMPTS = 3;

/** How long a dead-letter queue keeps a message: SQS's longest. */
export const DEAD_LETTER_RETENTION_DAYS = 14;

/** The functions some path invokes asynchronously: their failed invocations go to this queue (construct id). */
export const ASYNC_INVOKED: Readonly<Partial<Record<WorkflowFunctionName, 'WebhookDeadLetters' | 'InvocationDeadLetters'>>> = {
  // The webhooks rule: a partner's webhook that fails is kept with the rule's own dead letters.
  'webhook-delivery': 'WebhookDeadLetters',
  // The DailyBreakEscalation and SettlementDeadlineCheck schedules.
  'break-escalation': 'InvocationDeadLetters',
  'settlement-steps': 'InvocationDeadLetters',
};

/** The functions behind Task states of the workflows. */
export type WorkflowFunctionName =
  | 'ledger-check-shard'
  | 'ledger-check-report'
  | 'review-steps'
  | 'review-ask'
  | 'disbursement-steps'
  | 'disbursement-book'
  | 'repayment-batch'
  | 'repayment-book'
  | 'repayment-publish'
  | 'risk-steps'
  | 'settlement-steps'
  | 'profit-steps'
  | 'regulatory-report-steps'
  | 'reconciliation-steps'
  | 'break-escalation'
  | 'webhook-delivery';

export type FunctionName = ApiFunctionName | WorkflowFunctionName;

/** The workflows an API function may start; it gets the ARN in its environment. */
type StartedWorkflow = 'ledgerCheck' | 'jointReview' | 'repaymentBatch' | 'riskUpdate' | 'settlement' | 'profitSharing' | 'regulatoryReport' | 'reconciliation';

/** The workflows with callback Task states (a task token waits for an answer). */
type AnsweredWorkflow = 'jointReview' | 'disbursement';

interface FunctionSpec {
  /** Construct id; never renamed once deployed. */
  readonly id: string;
  readonly description: string;
  readonly stateTable?: TableAccess;
  readonly ledgerTable?: TableAccess;
  /**
   * What it does with the audit trail; a function serving a write route appends whatever this
   * says (its answers are audited at the edge), and a workflow step (or the scheduled break
   * escalation) that records its actions appends (docs/audit.md, In workflow steps). Every role is denied changing or removing a record.
   */
  readonly audit?: AuditAccess;
  /** The workflow it starts (StartExecution on it, its ARN in the environment). */
  readonly starts?: StartedWorkflow;
  /** The workflows whose waiting Task states it answers, and how: `states:SendTask{Success,Failure}`, nothing else. */
  readonly answersTasks?: { readonly of: readonly AnsweredWorkflow[]; readonly with: readonly ('Success' | 'Failure')[] };
  /** Publishes Colend's events to the event bus (EVENT_BUS_NAME). */
  readonly publishesEvents?: boolean;
  /** Posts to partners' webhooks: only over https outside the local stage (WEBHOOKS_REQUIRE_HTTPS). */
  readonly deliversWebhooks?: boolean;
  /**
   * The stage's webhook secrets (WEBHOOK_SECRETS_PREFIX): `read` signs with them (GetSecretValue),
   * `write` also creates and rotates them (CreateSecret, PutSecretValue).
   */
  readonly webhookSecrets?: 'read' | 'write';
  /**
   * Seals and opens personal data (docs/personal-data.md): GenerateDataKey and Decrypt on the
   * personal-data key, GenerateMac on the hash key, their ARNs in the environment.
   */
  readonly personalData?: boolean;
  /** The settlement files (statements, partner files): the S3 actions its file store sends. */
  readonly files?: readonly FileAction[];
  /** The work files (`settlement-work/`, `reconciliation-work/`, in the work bucket): the S3 actions its file store sends. */
  readonly workFiles?: readonly FileAction[];
  readonly timeout?: Duration;
  /** Its /tmp, where it needs more than Lambda's 512 MiB (a file spooled to disk). */
  readonly ephemeralStorage?: Size;
}

/** Each function, its construct id and the least access it needs. */
export const FUNCTIONS: Readonly<Record<FunctionName, FunctionSpec>> = {
  lenders: { id: 'LendersFunction', description: 'Lenders API', stateTable: 'readWrite', webhookSecrets: 'write', personalData: true },
  programs: { id: 'ProgramsFunction', description: 'Co-lending programs API', stateTable: 'readWrite' },
  loans: { id: 'LoansFunction', description: 'Loans API', stateTable: 'readWrite', ledgerTable: 'readWrite', personalData: true },
  positions: { id: 'PositionsFunction', description: "A lender's positions", stateTable: 'read', ledgerTable: 'read' },
  applications: {
    id: 'ApplicationsFunction',
    description: 'Applications API: submission, joint review, partner decisions, disbursement',
    // What a borrower owes is read from the state table (S17, S36): none of its stores reads the ledger.
    stateTable: 'readWrite',
    starts: 'jointReview',
    // A partner's decision resumes AskPartner; the disbursement confirmation resumes AwaitDisbursement.
    answersTasks: { of: ['jointReview', 'disbursement'], with: ['Success', 'Failure'] },
    personalData: true,
  },
  'ledger-checks': {
    id: 'LedgerChecksFunction',
    description: 'Starts ledger checks and reads their reports',
    stateTable: 'readWrite',
    starts: 'ledgerCheck',
  },
  openapi: { id: 'OpenApiFunction', description: 'The OpenAPI document of the API' },
  audit: { id: 'AuditFunction', description: "Audit trail API: a day's records, a partner's own only", audit: 'read' },
  calendars: { id: 'CalendarsFunction', description: 'Business calendars API: the years each calendar covers, loading a newly published year', stateTable: 'readWrite' },
  'bank-formats': { id: 'BankFormatsFunction', description: "Bank statement mappings API: each bank's mapping by version, loading a new one", stateTable: 'readWrite' },
  'risk-updates': {
    id: 'RiskUpdatesFunction',
    description: 'Starts risk updates and reads their reports',
    stateTable: 'readWrite',
    starts: 'riskUpdate',
  },
  'ledger-check-shard': {
    id: 'LedgerCheckShardFunction',
    description: "Verifies the ledger of one check shard and stores the shard's differences",
    stateTable: 'readWrite',
    ledgerTable: 'read',
    timeout: Duration.minutes(5),
  },
  'ledger-check-report': {
    id: 'LedgerCheckReportFunction',
    description: 'Records the ledger-check report of a business date',
    stateTable: 'readWrite',
    audit: 'append',
    timeout: Duration.minutes(1),
  },
  'review-steps': {
    id: 'ReviewStepsFunction',
    description: 'Joint-review steps: choose candidates, record a timed-out ask, allocate',
    stateTable: 'readWrite',
    audit: 'append',
    timeout: Duration.minutes(1),
  },
  'review-ask': {
    id: 'ReviewAskFunction',
    description: "Asks a partner for its decision: stores the task token, publishes the event, calls the partner's webhook",
    stateTable: 'readWrite',
    publishesEvents: true,
    // A decision that arrived before the ask kept its token resumes AskPartner from here.
    answersTasks: { of: ['jointReview'], with: ['Success'] },
    timeout: Duration.minutes(1),
  },
  'disbursement-steps': {
    id: 'DisbursementStepsFunction',
    description: 'Disbursement saga steps: reserve quota, await the disbursement, release',
    stateTable: 'readWrite',
    timeout: Duration.minutes(1),
  },
  repayments: {
    id: 'RepaymentsFunction',
    description: 'Repayments API: intake (one in the function, a batch through the workflow), reversal, transfers, write-off, lookup',
    stateTable: 'readWrite',
    ledgerTable: 'readWrite',
    starts: 'repaymentBatch',
    // A batch of 100 runs through the workflow; API Gateway waits at most 29 s.
    timeout: Duration.seconds(29),
  },
  'repayment-batch': {
    id: 'RepaymentBatchFunction',
    description: "Groups a collection batch's rows by loan, and reports every row's answer",
    timeout: Duration.seconds(10),
  },
  'repayment-book': {
    id: 'RepaymentBookFunction',
    description: "Books one loan's repayments of a batch, in order, in the loan's book",
    stateTable: 'readWrite',
    ledgerTable: 'readWrite',
    timeout: Duration.seconds(30),
  },
  'repayment-publish': {
    id: 'RepaymentPublishFunction',
    description: "Publishes what was committed to the loans' books (the ledger table's stream) on the event bus",
    publishesEvents: true,
    stateTable: 'read',
    timeout: Duration.seconds(30),
  },
  'risk-steps': {
    id: 'RiskStepsFunction',
    description: 'Daily risk update steps: assess a shard of loans (DPD, class, compensation, write-off), record the report',
    stateTable: 'readWrite',
    ledgerTable: 'readWrite',
    audit: 'append',
    timeout: Duration.minutes(5),
  },
  settlements: {
    id: 'SettlementsFunction',
    description: 'Settlement API: start a run, read it, record executed transfers, serve statements',
    stateTable: 'readWrite',
    starts: 'settlement',
    files: ['GetObject', 'ListBucket'],
  },
  'settlement-steps': {
    id: 'SettlementStepsFunction',
    description: 'Daily settlement steps: open the run, gather a shard, instruct, write the files, close',
    stateTable: 'readWrite',
    ledgerTable: 'read',
    // Statements written in parts, and listed.
    files: ['GetObject', 'ListBucket', 'PutObject', 'AbortMultipartUpload'],
    // The shards' work files written in parts; the manifest and the kept loan master rows.
    workFiles: ['GetObject', 'ListBucket', 'PutObject', 'AbortMultipartUpload'],
    audit: 'append',
    timeout: Duration.minutes(15),
  },
  'profit-runs': {
    id: 'ProfitRunsFunction',
    description: "Profit-sharing API: start a program's run of a period, read it, serve a party's statements",
    stateTable: 'readWrite',
    starts: 'profitSharing',
  },
  'profit-steps': {
    id: 'ProfitStepsFunction',
    description: "Profit-sharing steps: plan the runs, open one, book a shard's period fees, store the statements, close",
    stateTable: 'readWrite',
    ledgerTable: 'readWrite',
    audit: 'append',
    timeout: Duration.minutes(15),
  },
  reconciliations: {
    id: 'ReconciliationsFunction',
    description: 'Reconciliation API: upload a counterpart file, reconcile it, read reports and breaks, export them, set tolerances',
    stateTable: 'readWrite',
    starts: 'reconciliation',
    // It signs the upload URLs: a presigned PUT carries its permission to write the bucket.
    files: ['GetObject', 'ListBucket', 'PutObject'],
  },
  'reconciliation-steps': {
    id: 'ReconciliationStepsFunction',
    description: 'Reconciliation steps: plan the files of a run, reconcile one (read, spool, match, breaks, report), record a failure',
    stateTable: 'readWrite',
    ledgerTable: 'read',
    files: ['GetObject'],
    // The ids of the breaks found, written whole each time (reconciliation-work/).
    workFiles: ['GetObject', 'PutObject'],
    audit: 'append',
    timeout: Duration.minutes(15),
    // A file that is not in our order is spooled to /tmp in 16 partitions before it is matched: a
    // few hundred bytes a row, hundreds of MiB for a million rows, more than Lambda's 512 MiB.
    ephemeralStorage: Size.gibibytes(2),
  },
  breaks: {
    id: 'BreaksFunction',
    description: 'Reconciliation breaks API: read a break, investigate, accept or assign it',
    stateTable: 'readWrite',
  },
  adjustments: {
    id: 'AdjustmentsFunction',
    description: 'Adjustments API (maker-checker): propose, approve (booked once in the ledger), reject, read',
    stateTable: 'readWrite',
    ledgerTable: 'readWrite',
  },
  'break-escalation': {
    id: 'BreakEscalationFunction',
    description: "Daily escalation: publishes each break open longer than its counterparty's limit, once",
    stateTable: 'readWrite',
    publishesEvents: true,
    audit: 'append',
    timeout: Duration.minutes(5),
  },
  'webhook-delivery': {
    id: 'WebhookDeliveryFunction',
    description: "Target of the bus's webhooks rule: posts each review request to its lender's webhook, signed",
    stateTable: 'read',
    deliversWebhooks: true,
    webhookSecrets: 'read',
    timeout: Duration.seconds(15),
  },
  'disbursement-book': {
    id: 'DisbursementBookFunction',
    description: 'Books a disbursed loan from its funding plan',
    stateTable: 'readWrite',
    ledgerTable: 'readWrite',
    audit: 'append',
    timeout: Duration.minutes(1),
  },
  'regulatory-reports': {
    id: 'RegulatoryReportsFunction',
    description: 'Regulatory report API: start the report of a date, read it, export it as CSV or XLSX',
    stateTable: 'readWrite',
    starts: 'regulatoryReport',
  },
  'regulatory-report-steps': {
    id: 'RegulatoryReportStepsFunction',
    description: "Regulatory report steps: open the run, measure a loan shard's joint loans at the end of the date, record the report",
    stateTable: 'readWrite',
    ledgerTable: 'read',
    audit: 'append',
    timeout: Duration.minutes(15),
  },
};

/** Whether a function serves a route that needs a token: it counts each client's requests against its limits (docs/limits.md). */
export function servesClients(name: FunctionName): boolean {
  return ROUTES.some((route) => route.function === name && route.roles.length > 0);
}

/** Whether a function serves a write route of the route table: its answers are audited at the edge. */
export function servesWrites(name: FunctionName): boolean {
  return ROUTES.some((route) => route.function === name && isWrite(route));
}

/** The stores each function builds; a function absent from `FUNCTION_STORES` builds none. */
const STORES_OF: Readonly<Partial<Record<FunctionName, readonly StoreUse[]>>> = FUNCTION_STORES;

/** The key families a function's stores touch: its role's `dynamodb:LeadingKeys`, table by table. */
export function keysOfFunction(name: FunctionName): StoreKeys {
  return unionOf((STORES_OF[name] ?? []).map(keysOfStore));
}

/**
 * The partition-key patterns a function may touch on a table, each way. The spec's access is the
 * reviewed bound on actions (a table not granted is not touched; a table granted `read` is not
 * written, whatever its stores could write); the stores the function builds bound the keys. A
 * table granted that none of its stores touches, or writing granted where none writes, is an error
 * of the stack, not a policy.
 */
export function familiesOf(name: FunctionName, table: FamilyTable): { reads: string[]; queries: string[]; writes: string[]; replaces: string[] } | undefined {
  const access = table === 'state' ? FUNCTIONS[name].stateTable : FUNCTIONS[name].ledgerTable;
  if (access === undefined) return undefined;
  const keys = keysOfFunction(name);
  const writing = access === 'readWrite';
  const families = {
    reads: patternsOf(keys.reads, table),
    queries: patternsOf(keys.queries, table),
    writes: writing ? patternsOf(keys.writes, table) : [],
    replaces: writing ? patternsOf(keys.replaces ?? [], table) : [],
  };
  if (families.reads.length + families.queries.length + families.writes.length === 0) throw new Error(`${name} is granted the ${table} table, which none of its stores touches`);
  if (access === 'readWrite' && families.writes.length === 0) throw new Error(`${name} is granted writing the ${table} table, which none of its stores writes`);
  return families;
}

export interface ColendStackProps extends StackProps {
  readonly config: StageConfig;
}

/** The whole system in one stack, so the local stack reads one template (docs/adr/0001). */
export class ColendStack extends Stack {
  readonly config: StageConfig;
  /** The stage's customer-managed key (`colend:customerManagedKeys`); undefined when AWS-managed keys encrypt. */
  readonly dataKey: Key | undefined;
  readonly ledgerTable: ColendTable;
  readonly stateTable: ColendTable;
  /** The audit trail: records added, never changed or removed (docs/audit.md). */
  readonly auditTable: ColendTable;
  /** Encrypts the data keys of personal data (envelope encryption), rotated yearly by KMS (docs/personal-data.md). */
  readonly personalDataKey: Key;
  /** The HMAC key of personal data's keyed hashes (matching without decrypting), apart from the encryption key. */
  readonly personalDataHashKey: Key;
  readonly functions: ReadonlyMap<FunctionName, ColendFunction>;
  readonly ledgerCheck: ColendWorkflow;
  readonly disbursement: ColendWorkflow;
  readonly repaymentBatch: ColendWorkflow;
  /** What the stream's publishing could not put on the bus after its retries. */
  readonly publishDeadLetters: Queue;
  readonly riskUpdate: ColendWorkflow;
  readonly settlement: ColendWorkflow;
  readonly profitSharing: ColendWorkflow;
  readonly regulatoryReport: ColendWorkflow;
  readonly reconciliation: ColendWorkflow;
  /** Settlement files and counterpart uploads: versioned, each version locked against deletion for 5 years once written. */
  readonly filesBucket: Bucket;
  /** The runs' work files: no object lock, not versioned, overwritten by the next run of their date (docs/files.md, The buckets). */
  readonly workBucket: Bucket;
  readonly jointReview: ColendWorkflow;
  readonly eventBus: EventBus;
  /** Every event on the bus, kept for replay. */
  readonly eventArchive: Archive;
  /** Review requests → the webhook delivery function, retried, then kept in its dead-letter queue. */
  readonly webhooksRule: Rule;
  readonly webhookDeadLetters: Queue;
  /** What a schedule could not start or invoke after its retries (every schedule's dead letters). */
  readonly scheduleDeadLetters: Queue;
  /** The asynchronous invocations by a schedule that failed after Lambda's retries. */
  readonly invocationDeadLetters: Queue;
  /** The daily check that the date that closed is settled by the deadline (SettlementLate). */
  readonly settlementDeadlineCheck: Schedule;
  /** The dashboard, the alarm topic and the alarms. */
  readonly monitoring: Monitoring;
  readonly identity: Identity;
  /** The finance console: its page behind CloudFront, calling the API with its users' tokens. */
  readonly console: ConsoleSite;
  readonly api: HttpApi;
  readonly apiStage: HttpStage;
  readonly dailyLedgerCheck: Schedule;
  readonly dailyRiskUpdate: Schedule;
  readonly dailySettlement: Schedule;
  readonly dailyProfitSharing: Schedule;
  readonly dailyRegulatoryReport: Schedule;
  readonly dailyBreakEscalation: Schedule;

  constructor(scope: Construct, id: string, props: ColendStackProps) {
    super(scope, id, {
      description: 'Colend: co-lending settlement (API, workflows, ledger)',
      ...props,
    });
    this.config = props.config;
    // First, so that every table, bucket and log group below finds it (infra/constructs/data-key.ts).
    this.dataKey = props.config.encryption.customerManagedKeys ? createDataKey(this) : undefined;

    // Its stream carries every committed change of a loan's book to the event bus.
    this.ledgerTable = new ColendTable(this, 'LedgerTable', { stream: StreamViewType.NEW_AND_OLD_IMAGES });
    // Idempotency records expire after their replay window (docs/architecture.md, Requests).
    this.stateTable = new ColendTable(this, 'StateTable', { timeToLiveAttribute: STATE_TIME_TO_LIVE_ATTRIBUTE });
    // Hash-chained per day; no role may update or delete its items (docs/adr/0008).
    this.auditTable = new ColendTable(this, 'AuditTable');
    // Customer-managed, retained: a key deleted would leave every sealed value unreadable (docs/adr/0010).
    this.personalDataKey = new Key(this, 'PersonalDataKey', {
      description: "Colend personal data: encrypts the data keys of borrowers' and lenders' personal data",
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.personalDataHashKey = new Key(this, 'PersonalDataHashKey', {
      description: 'Colend personal data: HMAC key of the keyed hashes that match identity numbers',
      keySpec: KeySpec.HMAC_256,
      keyUsage: KeyUsage.GENERATE_VERIFY_MAC,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.filesBucket = new Bucket(this, 'FilesBucket', {
      versioned: true,
      objectLockEnabled: true,
      // A settled date's files are kept: a re-run adds a version, no version can be deleted for 5 years.
      objectLockDefaultRetention: ObjectLockRetention.governance(Duration.days(5 * 365)),
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      ...bucketEncryptionSettings(this),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.filesBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'Every object is written by the settlement function and read through the API, whose access log records each request with its client; object versions and object lock keep every file as written.',
    });
    // What a run makes and makes again (work files): under the files bucket's default retention
    // every rewrite would be a version locked for 5 years that nothing could remove.
    this.workBucket = new Bucket(this, 'WorkBucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      ...bucketEncryptionSettings(this),
      // A kept loan master snapshot is what a re-run of its date reads: kept with the stack's data.
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) }],
    });
    Validations.of(this.workBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: "Only the settlement and reconciliation steps read and write the work files; each run's files are remade by the next run of its date, and the files people and partners read are in the files bucket.",
    });
    // Holds its physical name from the construct path: AWS::Events::EventBus requires a Name.
    this.eventBus = new EventBus(this, 'EventBus', { description: "Colend's business events (source colend)" });

    const functions = new Map<FunctionName, ColendFunction>();
    const addFunction = (name: FunctionName, extraEnvironment: Record<string, string> = {}): ColendFunction => {
      const fn = this.createFunction(name, FUNCTIONS[name], extraEnvironment);
      functions.set(name, fn);
      return fn;
    };

    const verifyShard = addFunction('ledger-check-shard');
    const recordReport = addFunction('ledger-check-report');
    this.ledgerCheck = new ColendWorkflow(this, 'LedgerCheckStateMachine', {
      description: 'Daily ledger check: verify every check shard, then record the report of the business date',
      definition: ledgerCheckDefinition(new Construct(this, 'LedgerCheck'), {
        verifyShard,
        recordReport,
        shardCount: props.config.ledgerCheck.shardCount,
        maxConcurrency: props.config.ledgerCheck.maxConcurrency,
      }),
      invokedFunctions: [verifyShard, recordReport],
      logRetention: props.config.logRetention,
      tracing: props.config.observability.tracing,
      logs: props.config.workflowLogs,
    });

    const disbursementSteps = addFunction('disbursement-steps');
    const disbursementBook = addFunction('disbursement-book');
    this.disbursement = new ColendWorkflow(this, 'DisbursementStateMachine', {
      description: 'Disbursement saga: reserve quota, await the disbursement, book the loan; release on any named failure',
      definition: disbursementDefinition(new Construct(this, 'Disbursement'), { disbursementSteps, disbursementBook }),
      invokedFunctions: [disbursementSteps, disbursementBook],
      logRetention: props.config.logRetention,
      tracing: props.config.observability.tracing,
      logs: props.config.workflowLogs,
      timeout: props.config.reviewWorkflows.disbursementTimeout,
    });

    const reviewSteps = addFunction('review-steps');
    const reviewAsk = addFunction('review-ask');
    this.jointReview = new ColendWorkflow(this, 'JointReviewStateMachine', {
      description: 'Joint review: ask the partners round by round, allocate, start the disbursement',
      definition: jointReviewDefinition(new Construct(this, 'JointReview'), { reviewSteps, reviewAsk, disbursement: this.disbursement }),
      invokedFunctions: [reviewSteps, reviewAsk],
      logRetention: props.config.logRetention,
      tracing: props.config.observability.tracing,
      logs: props.config.workflowLogs,
      timeout: props.config.reviewWorkflows.jointReviewTimeout,
    });

    const batch = addFunction('repayment-batch');
    const bookLoanGroup = addFunction('repayment-book');
    this.repaymentBatch = new ColendWorkflow(this, 'RepaymentBatchStateMachine', {
      description: 'Collection batch (Express): group the rows by loan, book each loan in order (loans side by side), report every row',
      definition: repaymentBatchDefinition(new Construct(this, 'RepaymentBatch'), { batch, bookLoanGroup, maxConcurrency: props.config.repaymentBatch.maxConcurrency }),
      invokedFunctions: [batch, bookLoanGroup],
      logRetention: props.config.logRetention,
      tracing: props.config.observability.tracing,
      logs: props.config.workflowLogs,
      type: StateMachineType.EXPRESS,
    });
    this.publishDeadLetters = this.publishCommitted(addFunction('repayment-publish'));

    const riskSteps = addFunction('risk-steps');
    this.riskUpdate = new ColendWorkflow(this, 'RiskUpdateStateMachine', {
      description: 'Daily risk update: DPD and five-category class per loan, guarantee compensation and write-off at their triggers',
      definition: riskUpdateDefinition(new Construct(this, 'RiskUpdate'), {
        riskSteps,
        shardCount: props.config.riskUpdate.shardCount,
        maxConcurrency: props.config.riskUpdate.maxConcurrency,
      }),
      invokedFunctions: [riskSteps],
      logRetention: props.config.logRetention,
      tracing: props.config.observability.tracing,
      logs: props.config.workflowLogs,
    });

    const reconciliationSteps = addFunction('reconciliation-steps');
    this.reconciliation = new ColendWorkflow(this, 'ReconciliationStateMachine', {
      description: 'Reconciliation: the files to reconcile (one started through the API, or every one waiting for a date just settled), each read, matched and reported',
      definition: reconciliationDefinition(new Construct(this, 'Reconciliation'), { reconciliationSteps, maxConcurrency: props.config.reconciliation.maxConcurrency }),
      invokedFunctions: [reconciliationSteps],
      logRetention: props.config.logRetention,
      tracing: props.config.observability.tracing,
      logs: props.config.workflowLogs,
    });

    const settlementSteps = addFunction('settlement-steps');
    this.settlement = new ColendWorkflow(this, 'SettlementStateMachine', {
      description: 'Daily settlement: open the run of the date, gather every shard, instruct, write the files, close',
      definition: settlementDefinition(new Construct(this, 'Settlement'), {
        settlementSteps,
        reconciliation: this.reconciliation,
        maxConcurrency: props.config.settlement.maxConcurrency,
        workBucket: this.workBucket,
        shardMap: props.config.settlement.shardMap,
      }),
      invokedFunctions: [settlementSteps],
      logRetention: props.config.logRetention,
      tracing: props.config.observability.tracing,
      logs: props.config.workflowLogs,
      // Each step runs again with the effect of running once (docs/settlement.md): a run the local stack was stopped in finishes after a --persist restart.
      resumesFromFirstState: true,
    });
    if (props.config.settlement.shardMap === 'DISTRIBUTED') {
      // The Distributed Map reads its manifest from the files bucket itself.
      this.dataKey?.grant(this.settlement, ...DATA_KEY_READ_ACTIONS);
      Validations.of(this.settlement.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(this.workBucket.node.defaultChild as CfnBucket)}.Arn>/settlement-work/*]`,
        reason: "The gather's Distributed Map reads the manifest of a run's shards, keyed by its business date; the grant covers the settlement's work files only.",
      });
    }

    const profitSteps = addFunction('profit-steps');
    this.profitSharing = new ColendWorkflow(this, 'ProfitSharingStateMachine', {
      description: "Profit sharing: for a program's period that ended, book every loan's period fees once and store each party's statement",
      definition: profitSharingDefinition(new Construct(this, 'ProfitSharing'), { profitSteps, maxConcurrency: props.config.profitSharing.maxConcurrency }),
      invokedFunctions: [profitSteps],
      logRetention: props.config.logRetention,
      tracing: props.config.observability.tracing,
      logs: props.config.workflowLogs,
    });

    const reportSteps = addFunction('regulatory-report-steps');
    this.regulatoryReport = new ColendWorkflow(this, 'RegulatoryReportStateMachine', {
      description: "Daily regulatory report: each bank's joint loans at the end of the date against 25% of net tier-1 capital and 50% of total loans",
      definition: regulatoryReportDefinition(new Construct(this, 'RegulatoryReport'), { reportSteps, maxConcurrency: props.config.regulatoryReport.maxConcurrency }),
      invokedFunctions: [reportSteps],
      logRetention: props.config.logRetention,
      tracing: props.config.observability.tracing,
      logs: props.config.workflowLogs,
    });

    const startable: Record<StartedWorkflow, { workflow: ColendWorkflow; variable: string }> = {
      ledgerCheck: { workflow: this.ledgerCheck, variable: ENV.ledgerCheckStateMachineArn },
      jointReview: { workflow: this.jointReview, variable: ENV.jointReviewStateMachineArn },
      repaymentBatch: { workflow: this.repaymentBatch, variable: ENV.repaymentBatchStateMachineArn },
      riskUpdate: { workflow: this.riskUpdate, variable: ENV.riskUpdateStateMachineArn },
      settlement: { workflow: this.settlement, variable: ENV.settlementStateMachineArn },
      profitSharing: { workflow: this.profitSharing, variable: ENV.profitSharingStateMachineArn },
      regulatoryReport: { workflow: this.regulatoryReport, variable: ENV.regulatoryReportStateMachineArn },
      reconciliation: { workflow: this.reconciliation, variable: ENV.reconciliationStateMachineArn },
    };
    for (const name of Object.keys(FUNCTIONS) as FunctionName[]) {
      if (functions.has(name)) continue;
      const spec = FUNCTIONS[name];
      const started = spec.starts === undefined ? undefined : startable[spec.starts];
      const fn = addFunction(name, started === undefined ? {} : { [started.variable]: started.workflow.stateMachineArn });
      if (started?.workflow.isExpress === true) started.workflow.grantStartSyncExecution(fn);
      else started?.workflow.grantStartExecution(fn);
    }
    this.functions = functions;
    for (const [name, fn] of functions) this.grantTaskAnswers(name, fn);
    this.eventArchive = this.eventBus.archive('EventArchive', {
      description: "Every event of Colend's, kept a year so that any can be replayed",
      eventPattern: { source: [EVENT_SOURCE] },
      retention: Duration.days(365),
    });
    [this.webhooksRule, this.webhookDeadLetters] = this.routeWebhooks(this.functionOf('webhook-delivery'));
    this.invocationDeadLetters = this.deadLetterQueue('InvocationDeadLetters', "the on-failure destination of the functions that schedules invoke asynchronously");
    this.scheduleDeadLetters = this.deadLetterQueue('ScheduleDeadLetters', 'the dead-letter queue of every schedule');
    const asyncDeadLetters = { WebhookDeadLetters: this.webhookDeadLetters, InvocationDeadLetters: this.invocationDeadLetters };
    for (const [name, queueId] of Object.entries(ASYNC_INVOKED) as [WorkflowFunctionName, keyof typeof asyncDeadLetters][]) {
      this.functionOf(name).configureAsyncInvoke({
        retryAttempts: ASYNC_RETRY_ATTEMPTS,
        maxEventAge: Duration.hours(6),
        onFailure: new SqsDestination(asyncDeadLetters[queueId]),
      });
    }

    this.console = new ConsoleSite(this, 'Console', {
      logRetention: props.config.logRetention,
      // The API, the hosted login, and the files bucket that an upload PUTs to (a presigned URL, regional, virtual-hosted).
      connectSources: [`https://*.execute-api.${Aws.REGION}.${this.urlSuffix}`, `https://*.auth.${Aws.REGION}.amazoncognito.com`, `https://${this.filesBucket.bucketRegionalDomainName}`],
    });
    // A counterpart file is uploaded from the console straight to the bucket; only the console's origin may, and only PUT.
    new UploadCors(this, 'FilesBucketUploadCors', { bucket: this.filesBucket, origin: this.console.origin, logRetention: props.config.logRetention });
    this.identity = new Identity(this, 'Identity', {
      stageName: props.config.stageName,
      clients: props.config.clients,
      logRetention: props.config.logRetention,
      tracing: props.config.observability.tracing,
      consoleUrl: this.console.url,
    });
    // The token trigger touches no table; its role is denied changing the audit trail as every role is.
    this.identity.tokenClaims.grantAudit(this.auditTable, undefined);
    [this.api, this.apiStage] = this.createApi();
    this.console.publish({ signIn: 'cognito', apiUrl: this.api.apiEndpoint, ...this.identity.consoleSignIn });
    this.dailyLedgerCheck = this.createDailySchedule('DailyLedgerCheck', 'Starts the ledger check of the business date that has just closed', this.ledgerCheck, this.config.ledgerCheck);
    this.dailyRiskUpdate = this.createDailySchedule('DailyRiskUpdate', 'Starts the risk update of the business date that has just closed', this.riskUpdate, this.config.riskUpdate);
    this.dailySettlement = this.createDailySchedule('DailySettlement', "Starts the settlement of the business date whose cut-off has just passed", this.settlement, this.config.settlement);
    this.dailyProfitSharing = this.createDailySchedule('DailyProfitSharing', "Starts the profit sharing of every program's periods that have just ended", this.profitSharing, this.config.profitSharing);
    this.dailyRegulatoryReport = this.createDailySchedule('DailyRegulatoryReport', 'Starts the regulatory report of the business date that has just closed', this.regulatoryReport, this.config.regulatoryReport);
    // The scheduler's execution id names the run in each escalated break's audit record (a retried invocation keeps it).
    this.dailyBreakEscalation = this.createDailyInvocation('DailyBreakEscalation', 'Escalates the reconciliation breaks open longer than their counterparty allows', this.functionOf('break-escalation'), this.config.breakEscalation, {
      executionId: ContextAttribute.executionId,
    });
    this.settlementDeadlineCheck = this.createDailyInvocation(
      'SettlementDeadlineCheck',
      'Checks that the settlement of the business date that closed is done by the deadline',
      this.functionOf('settlement-steps'),
      this.config.observability.settlementDeadline,
      { step: 'CheckDeadline' },
    );
    this.monitoring = new Monitoring(this, 'Monitoring', {
      functions: new Map<string, ColendFunction>([...this.functions, ['token-claims', this.identity.tokenClaims]]),
      workflows: new Map([this.ledgerCheck, this.jointReview, this.disbursement, this.repaymentBatch, this.riskUpdate, this.settlement, this.profitSharing, this.regulatoryReport, this.reconciliation].map((workflow) => [workflow.node.id, workflow] as const)),
      deadLetterQueues: new Map([this.publishDeadLetters, this.webhookDeadLetters, this.scheduleDeadLetters, this.invocationDeadLetters].map((queue) => [queue.node.id, queue] as const)),
      api: this.api,
      breakAlarmDays: this.config.observability.breakAlarmDays,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.apiStage.url });
    new CfnOutput(this, 'TokenEndpoint', { value: this.identity.tokenEndpoint });
    new CfnOutput(this, 'ConsoleUrl', { value: this.console.url });
    new CfnOutput(this, 'UserPoolId', { value: this.identity.userPool.userPoolId });
    new CfnOutput(this, 'LedgerCheckStateMachineArn', { value: this.ledgerCheck.stateMachineArn });
    new CfnOutput(this, 'JointReviewStateMachineArn', { value: this.jointReview.stateMachineArn });
    new CfnOutput(this, 'DisbursementStateMachineArn', { value: this.disbursement.stateMachineArn });
    new CfnOutput(this, 'RepaymentBatchStateMachineArn', { value: this.repaymentBatch.stateMachineArn });
    new CfnOutput(this, 'RiskUpdateStateMachineArn', { value: this.riskUpdate.stateMachineArn });
    new CfnOutput(this, 'SettlementStateMachineArn', { value: this.settlement.stateMachineArn });
    new CfnOutput(this, 'ProfitSharingStateMachineArn', { value: this.profitSharing.stateMachineArn });
    new CfnOutput(this, 'RegulatoryReportStateMachineArn', { value: this.regulatoryReport.stateMachineArn });
    new CfnOutput(this, 'ReconciliationStateMachineArn', { value: this.reconciliation.stateMachineArn });
    new CfnOutput(this, 'FilesBucketName', { value: this.filesBucket.bucketName });
    new CfnOutput(this, 'EventBusName', { value: this.eventBus.eventBusName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn });
  }

  /** The function of a folder; throws when the stack has none. */
  functionOf(name: FunctionName): ColendFunction {
    const fn = this.functions.get(name);
    if (fn === undefined) throw new Error(`No function ${name}`);
    return fn;
  }

  private createFunction(name: FunctionName, spec: FunctionSpec, extraEnvironment: Record<string, string>): ColendFunction {
    const fn = new ColendFunction(this, spec.id, {
      name,
      description: spec.description,
      logRetention: this.config.logRetention,
      tracing: this.config.observability.tracing,
      timeout: spec.timeout,
      ephemeralStorageSize: spec.ephemeralStorage,
      environment: {
        [ENV.ledgerTable]: this.ledgerTable.tableName,
        [ENV.stateTable]: this.stateTable.tableName,
        [ENV.auditTable]: this.auditTable.tableName,
        ...(spec.publishesEvents === true ? { [ENV.eventBusName]: this.eventBus.eventBusName } : {}),
        ...(spec.files !== undefined ? { [ENV.filesBucket]: this.filesBucket.bucketName } : {}),
        ...(spec.workFiles !== undefined ? { [ENV.workBucket]: this.workBucket.bucketName } : {}),
        ...(spec.deliversWebhooks === true ? { [ENV.webhooksRequireHttps]: String(this.config.stageName !== LOCAL_STAGE) } : {}),
        ...(spec.webhookSecrets !== undefined ? { [ENV.webhookSecretsPrefix]: webhookSecretsPrefix(this.config.stageName) } : {}),
        ...(spec.personalData === true ? { [ENV.personalDataKeyId]: this.personalDataKey.keyArn, [ENV.personalDataHashKeyId]: this.personalDataHashKey.keyArn } : {}),
        ...(servesClients(name) ? { [ENV.apiClientLimits]: this.clientLimits() } : {}),
        ...extraEnvironment,
      },
    });
    if (servesClients(name)) fn.grantRequestCounting(this.stateTable, stateKeyFamilies.clientRequests.pattern);
    if (spec.webhookSecrets !== undefined) this.grantWebhookSecrets(fn, spec.webhookSecrets);
    if (spec.personalData === true) this.grantPersonalData(fn);
    const stateFamilies = familiesOf(name, 'state');
    const ledgerFamilies = familiesOf(name, 'ledger');
    if (spec.stateTable !== undefined && stateFamilies !== undefined) fn.grantTable(this.stateTable, stateFamilies);
    if (spec.ledgerTable !== undefined && ledgerFamilies !== undefined) fn.grantTable(this.ledgerTable, ledgerFamilies);
    fn.grantAudit(this.auditTable, servesWrites(name) ? 'append' : spec.audit);
    if (spec.publishesEvents === true) this.eventBus.grantPutEventsTo(fn);
    if (spec.files !== undefined) fn.grantFiles(this.filesBucket, spec.files);
    if (spec.workFiles !== undefined) fn.grantFiles(this.workBucket, spec.workFiles);
    this.grantDataKey(name, spec, fn);
    return fn;
  }

  /** The two personal-data keys, each for what the cipher sends with it and nothing else (no Encrypt, no key administration). */
  private grantPersonalData(fn: ColendFunction): void {
    fn.addToRolePolicy(new PolicyStatement({ actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [this.personalDataKey.keyArn] }));
    fn.addToRolePolicy(new PolicyStatement({ actions: ['kms:GenerateMac'], resources: [this.personalDataHashKey.keyArn] }));
  }

  /**
   * The stage's key, to what reads or writes data it encrypts: a function that writes a table or
   * puts files encrypts and decrypts with it, one that only reads decrypts (the table's stream
   * included); a function that touches neither is not granted it.
   */
  private grantDataKey(name: FunctionName, spec: FunctionSpec, fn: ColendFunction): void {
    if (this.dataKey === undefined) return;
    // A function serving clients counts their requests in the state table (S44): it writes.
    const writes = spec.stateTable === 'readWrite' || spec.ledgerTable === 'readWrite' || servesWrites(name) || servesClients(name) || spec.audit === 'append' || spec.files?.includes('PutObject') === true;
    const reads = spec.stateTable !== undefined || spec.ledgerTable !== undefined || spec.audit !== undefined || spec.files !== undefined;
    if (writes) this.dataKey.grant(fn, ...DATA_KEY_WRITE_ACTIONS);
    else if (reads) this.dataKey.grant(fn, ...DATA_KEY_READ_ACTIONS);
  }

  /**
   * The limits of each app client as the functions read them (CLIENT_LIMITS_ENV): the stage's
   * default, and each client with limits of its own by the id its tokens carry, known once the
   * identity exists (hence lazy: the functions are made first).
   */
  private clientLimits(): string {
    return Lazy.string({
      produce: () => {
        const settings: LimitSettings = {
          default: this.config.api.clientLimits,
          clients: this.config.clients.flatMap((client) => {
            const appClient = this.identity.clients.get(client.name);
            return client.limits === undefined || appClient === undefined ? [] : [{ clientId: appClient.userPoolClientId, ...client.limits }];
          }),
        };
        return this.toJsonString(settings);
      },
    });
  }

  /**
   * The stage's webhook secrets and no other secret: the resource is the stage's name prefix (a
   * secret's ARN ends in its name and six random characters, hence the wildcard after the prefix).
   */
  private grantWebhookSecrets(fn: ColendFunction, access: 'read' | 'write'): void {
    const prefix = webhookSecretsPrefix(this.config.stageName);
    const secrets = this.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${prefix}*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: access === 'read' ? ['secretsmanager:GetSecretValue'] : ['secretsmanager:CreateSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
        resources: [secrets],
      }),
    );
    if (fn.role !== undefined) {
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${prefix}*]`,
        reason: "One secret per lender, created as lenders register: the grant covers the stage's webhook secrets only, by their name prefix.",
      });
    }
  }

  /**
   * The task-token answers a function sends, on the workflows it answers. In a policy of its own,
   * not the role's default policy: review-ask is invoked by the joint review it resumes, and the
   * function waits for its default policy, so a grant there would make the function, its policy
   * and the state machine wait for each other.
   */
  private grantTaskAnswers(name: FunctionName, fn: ColendFunction): void {
    const answers = FUNCTIONS[name].answersTasks;
    if (answers === undefined || fn.role === undefined) return;
    const workflows: Record<AnsweredWorkflow, ColendWorkflow> = { jointReview: this.jointReview, disbursement: this.disbursement };
    new Policy(this, `${FUNCTIONS[name].id}TaskAnswers`, {
      roles: [fn.role],
      statements: [
        new PolicyStatement({
          actions: answers.with.map((outcome) => `states:SendTask${outcome}`),
          resources: answers.of.map((workflow) => workflows[workflow].stateMachineArn),
        }),
      ],
    });
  }

  private createApi(): [HttpApi, HttpStage] {
    const api = new HttpApi(this, 'HttpApi', {
      description: 'Colend API (/v1)',
      createDefaultStage: false,
      // Closed unless the stage lists origins (colend:corsOrigins); the finance console calls from
      // its own origin (`console`), with a bearer token (no cookies).
      ...(this.config.api.corsOrigins.length === 0
        ? {}
        : {
            corsPreflight: {
              allowOrigins: this.config.api.corsOrigins.map((origin) => (origin === CONSOLE_ORIGIN ? this.console.origin : origin)),
              allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.PUT],
              allowHeaders: ['authorization', 'content-type', 'idempotency-key'],
              maxAge: Duration.hours(1),
            },
          }),
    });
    const accessLogs = new LogGroup(this, 'HttpApiAccessLogs', logGroupSettings(this, this.config.logRetention));
    const stage = api.addStage('DefaultStage', {
      autoDeploy: true,
      throttle: this.config.api.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationLatencyMs: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
            clientId: '$context.authorizer.claims.client_id',
            sourceIp: '$context.identity.sourceIp',
            userAgent: '$context.identity.userAgent',
          }),
        ),
      },
    });

    const authorizer = new HttpJwtAuthorizer('ClientCredentialsAuthorizer', this.identity.issuerUrl, {
      jwtAudience: [...this.identity.clients.values(), this.identity.consoleClient].map((client) => client.userPoolClientId),
    });
    const integrations = new Map<ApiFunctionName, HttpLambdaIntegration>();
    for (const route of API_ROUTES) {
      let integration = integrations.get(route.function);
      if (integration === undefined) {
        integration = new HttpLambdaIntegration(`${FUNCTIONS[route.function].id}Integration`, this.functionOf(route.function));
        integrations.set(route.function, integration);
      }
      const [httpRoute] = api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration,
        ...(route.scopes === undefined
          ? {}
          : { authorizer, authorizationScopes: route.scopes.map((name) => scopeName(name)) }),
      });
      if (route.scopes === undefined && httpRoute !== undefined) {
        Validations.of(httpRoute).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `${route.method} ${route.path} is the public description of the API; it holds no data and needs no token.`,
        });
      }
    }
    return [api, stage];
  }

  /**
   * The ledger table's stream → the publishing function → the event bus: every payment and event
   * committed to a loan's book is published from the commit itself, never from a step that may run
   * after a rollback (docs/adr/0004). Only the items of books reach the function; a batch that fails
   * part way is handed again from the first change not published, and what still fails after the
   * retries is kept in a dead-letter queue.
   */
  private publishCommitted(fn: ColendFunction): Queue {
    const deadLetters = this.deadLetterQueue('PublishDeadLetters', "the on-failure destination of the publishing function's stream source");
    fn.addEventSource(
      new DynamoEventSource(this.ledgerTable, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(1),
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: 20,
        maxRecordAge: Duration.days(1),
        onFailure: new SqsDlq(deadLetters),
        filters: [FilterCriteria.filter({ dynamodb: { NewImage: { entityType: { S: FilterRule.or('BookedRepayment', 'BookedLoanEvent') } } } })],
      }),
    );
    return deadLetters;
  }

  /**
   * A dead-letter queue (docs/operations.md, Dead letters): encrypted, TLS only, its messages kept
   * 14 days; an alarm fires when it holds one (Monitoring), and `colend replay` redrives them.
   */
  private deadLetterQueue(id: string, role: string): Queue {
    const queue = new Queue(this, id, { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(DEAD_LETTER_RETENTION_DAYS) });
    Validations.of(queue).acknowledge({ id: 'AwsSolutions-SQS3', reason: `It is itself a dead-letter queue: ${role}` });
    return queue;
  }

  /**
   * The bus's consumer of partners' webhooks: review requests go to `webhook-delivery`. A delivery
   * that fails (the webhook answered an error or nothing) is tried again by the rule for up to a
   * day, backing off, and what still fails is kept in the rule's own dead-letter queue for 14 days.
   */
  private routeWebhooks(fn: ColendFunction): [Rule, Queue] {
    const deadLetters = this.deadLetterQueue('WebhookDeadLetters', "where the webhooks rule, and webhook-delivery's failed invocations, keep a delivery that failed after its retries");
    const rule = new Rule(this, 'WebhooksRule', {
      description: "Review requests to the partners' webhooks",
      eventBus: this.eventBus,
      eventPattern: { source: [EVENT_SOURCE], detailType: [REVIEW_REQUESTED] },
      targets: [new LambdaFunction(fn, { deadLetterQueue: deadLetters, retryAttempts: WEBHOOK_RETRY_ATTEMPTS, maxEventAge: Duration.hours(24) })],
    });
    return [rule, deadLetters];
  }

  /**
   * A daily EventBridge Scheduler schedule that invokes one function with the scheduler's time:
   * for a run that is one step, with no workflow around it. Its role may invoke only that function.
   */
  private createDailyInvocation(id: string, description: string, fn: ColendFunction, settings: { scheduleExpression: string; timeZone: string }, input: Readonly<Record<string, string>> = {}): Schedule {
    const role = new Role(this, `${id}Role`, {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': this.account } } }),
    });
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(fn.node.defaultChild as CfnFunction)}.Arn>:*]`,
      reason: `The schedule may invoke any version or alias of ${fn.node.id}; the grant covers only that function.`,
    });
    return new Schedule(this, id, {
      description,
      schedule: ScheduleExpression.expression(settings.scheduleExpression, TimeZone.of(settings.timeZone)),
      target: new LambdaInvoke(fn, {
        role,
        input: ScheduleTargetInput.fromObject({ ...input, scheduledTime: ContextAttribute.scheduledTime }),
        retryAttempts: SCHEDULE_RETRY_ATTEMPTS,
        maxEventAge: Duration.hours(6),
        deadLetterQueue: this.scheduleDeadLetters,
      }),
    });
  }

  /** A daily EventBridge Scheduler schedule that starts a workflow with the scheduler's time. */
  private createDailySchedule(id: string, description: string, workflow: ColendWorkflow, settings: { scheduleExpression: string; timeZone: string }): Schedule {
    return new Schedule(this, id, {
      description,
      schedule: ScheduleExpression.expression(settings.scheduleExpression, TimeZone.of(settings.timeZone)),
      target: new StepFunctionsStartExecution(workflow, {
        input: ScheduleTargetInput.fromObject({ scheduledTime: ContextAttribute.scheduledTime }),
        retryAttempts: SCHEDULE_RETRY_ATTEMPTS,
        maxEventAge: Duration.hours(6),
        deadLetterQueue: this.scheduleDeadLetters,
      }),
    });
  }
}
