import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type { Size } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { CfnBucket, IBucket } from 'aws-cdk-lib/aws-s3';
import { LogLevel, NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { GSI1 } from './colend-table.ts';
import { logGroupSettings } from './data-key.ts';
import { handlerEntry, REPOSITORY_ROOT, repositoryFile } from './repository.ts';
import { SERVICE_NAME } from '../../shared/ports/telemetry.ts';

/**
 * Metadata on every function resource: the handler module relative to the repository root.
 * The local stack binds API routes and Task states to that module.
 */
export const ENTRY_METADATA_KEY = 'colend:entry';

export { SERVICE_NAME };

/** Lets bundled CommonJS dependencies call `require` inside the ESM bundle. */
const REQUIRE_SHIM =
  "import { createRequire as colendCreateRequire } from 'node:module';const require = colendCreateRequire(import.meta.url);";

export interface ColendFunctionProps {
  /** The folder under `functions/` that holds `handler.ts`. */
  readonly name: string;
  readonly description?: string;
  readonly environment?: Readonly<Record<string, string>>;
  readonly logRetention: RetentionDays;
  readonly timeout?: Duration;
  readonly memorySize?: number;
  /** Its /tmp; Lambda's 512 MiB when absent. */
  readonly ephemeralStorageSize?: Size;
  /** Only where a physical name cannot be avoided (a trigger its own caller must name). */
  readonly functionName?: string;
  /** X-Ray active tracing (the stage's `observability.tracing`); on when absent. */
  readonly tracing?: boolean;
}

export type TableAccess = 'read' | 'readWrite';

/** What a function does with the audit trail: adds records (reads its chains' heads), or reads a day's records. */
export type AuditAccess = 'append' | 'read';

/** What a function does with the files bucket, as S3 actions: ListBucket on the bucket, the others on its objects. */
export type FileAction = 'GetObject' | 'ListBucket' | 'PutObject' | 'AbortMultipartUpload';

/**
 * Our defaults for a Lambda function: Node.js 22 on arm64, one ESM bundle built locally by
 * esbuild (never in a container), active tracing unless the stage turns it off, JSON logs in a log group with retention,
 * its own role that only writes to that log group until grants are added.
 */
export class ColendFunction extends NodejsFunction {
  /** The handler module relative to the repository root. */
  readonly entryPath: string;

  constructor(scope: Construct, id: string, props: ColendFunctionProps) {
    const entryPath = handlerEntry(props.name);
    // Our own role instead of the managed basic-execution policy, which writes to every log group.
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs functions/${props.name}`,
    });
    const logGroup = new LogGroup(scope, `${id}Logs`, logGroupSettings(scope, props.logRetention));
    const tracing = props.tracing ?? true;
    super(scope, id, {
      entry: repositoryFile(entryPath),
      handler: 'handler',
      description: props.description,
      functionName: props.functionName,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      ephemeralStorageSize: props.ephemeralStorageSize,
      role,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      tracing: tracing ? Tracing.ACTIVE : Tracing.DISABLED,
      projectRoot: REPOSITORY_ROOT,
      depsLockFilePath: repositoryFile('package-lock.json'),
      environment: {
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        // The tracer records nothing when the function is not traced.
        POWERTOOLS_TRACE_ENABLED: String(tracing),
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        forceDockerBundling: false,
        logLevel: LogLevel.WARNING,
        format: OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        banner: REQUIRE_SHIM,
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: false,
        // The same SDK version as the tests and the local stack, not the one the runtime ships.
        bundleAwsSDK: true,
      },
    });
    this.entryPath = entryPath;
    logGroup.grantWrite(role);
    (this.node.defaultChild as CfnFunction).addMetadata(ENTRY_METADATA_KEY, entryPath);
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 on purpose: the tests and the local stack run on the pinned Node.js 22 (package.json engines), so the code is proven on the same major version it runs on; the runtime moves with that pin.',
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Active tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions.',
    });
  }

  /**
   * Grants access to the settlement files, as the file store uses them: reading objects, listing
   * a lender's date, putting new objects (in one request or in parts), aborting an interrupted
   * upload; never deleting (a put of an existing key adds a version).
   */
  grantFiles(bucket: IBucket, actions: readonly FileAction[]): void {
    const role = this.role ?? this;
    if (actions.includes('ListBucket')) this.addToRolePolicy(new PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
    const onObjects = actions.filter((action) => action !== 'ListBucket').map((action) => `s3:${action}`);
    if (onObjects.length > 0) this.addToRolePolicy(new PolicyStatement({ actions: onObjects, resources: [bucket.arnForObjects('*')] }));
    const bucketLogicalId = Stack.of(bucket).getLogicalId(bucket.node.defaultChild as CfnBucket);
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/*]`,
      reason: 'Files are keyed by lender and date (statements/{lender}/{date}/...), known only at run time; the grant covers only the files bucket.',
    });
  }

  /**
   * Grants item access to a table, each action only on the partition keys of the families the
   * function's stores declare (`dynamodb:LeadingKeys`, every value of the request in a family):
   * reading (GetItem, BatchGetItem, Query) on the families read, writing (PutItem, UpdateItem,
   * alone or as items of a TransactWriteItems, each item authorized as its own action) on the
   * families written (none where the function only reads), and Query of the gsi1 index on the index
   * families queried, where the key a request names is the index's partition key; BatchWriteItem
   * only on the families a store replaces whole (a run's details, S37: a new attempt's details
   * put, the earlier attempt's left over deleted, each item in its family). Never Scan or
   * DeleteItem: no request path scans, and nothing else is deleted, the ledger least of all. A Scan names no partition key, and `ForAllValues` holds for a request without one, so
   * a granted Scan would escape the condition.
   */
  grantTable(table: ITable, families: TableFamilies): void {
    const statement = (actions: readonly string[], resource: string, patterns: readonly string[]): PolicyStatement =>
      new PolicyStatement({
        actions: actions.map((action) => `dynamodb:${action}`),
        resources: [resource],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...patterns] } },
      });
    if (families.reads.length > 0) this.addToRolePolicy(statement(TABLE_READ_ACTIONS, table.tableArn, families.reads));
    if (families.writes.length > 0) this.addToRolePolicy(statement(TABLE_WRITE_ACTIONS, table.tableArn, families.writes));
    if (families.queries.length > 0) this.addToRolePolicy(statement(['Query'], `${table.tableArn}/index/${GSI1.indexName}`, families.queries));
    if (families.replaces.length > 0) this.addToRolePolicy(statement(['BatchWriteItem'], table.tableArn, families.replaces));
  }

  /**
   * The request counters of the API's edge (S44, docs/limits.md): UpdateItem only, on the
   * counters' partition keys only. One write per request, never a read.
   */
  grantRequestCounting(table: ITable, pattern: string): void {
    this.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:UpdateItem'],
        resources: [table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [pattern] } },
      }),
    );
  }

  /**
   * The audit trail (docs/audit.md): `append` may Query (a chain's head) and PutItem (a record,
   * its once-marker and pointers, each conditioned on `attribute_not_exists(pk)` by the adapter);
   * `read` may Query and BatchGetItem. Whatever it is granted, and whatever any other policy of
   * the role allows, an explicit Deny refuses every change or removal of an audit item to the
   * role: UpdateItem, DeleteItem, BatchWriteItem (which deletes), on the table and its indexes.
   * A Deny wins over any Allow (docs/adr/0008).
   */
  grantAudit(table: ITable, access: AuditAccess | undefined): void {
    if (access !== undefined) {
      const actions = access === 'append' ? AUDIT_APPEND_ACTIONS : AUDIT_READ_ACTIONS;
      this.addToRolePolicy(new PolicyStatement({ actions: actions.map((action) => `dynamodb:${action}`), resources: [table.tableArn] }));
    }
    this.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.DENY,
        actions: AUDIT_DENIED_ACTIONS.map((action) => `dynamodb:${action}`),
        resources: [table.tableArn, `${table.tableArn}/index/*`],
      }),
    );
  }
}

/** What adding audit records needs: the head of a chain, then conditional puts in one transaction. */
export const AUDIT_APPEND_ACTIONS = ['PutItem', 'Query'] as const;
/** What reading a day's audit records needs: a chain or a lender's pointers, then the records by key. */
export const AUDIT_READ_ACTIONS = ['BatchGetItem', 'Query'] as const;
/** What no role may ever do to an audit item. */
export const AUDIT_DENIED_ACTIONS = ['BatchWriteItem', 'DeleteItem', 'UpdateItem'] as const;

/** The partition-key patterns of one table a function touches, each way (`patternsOf`, shared/adapters/dynamodb/key-families.ts). */
export interface TableFamilies {
  readonly reads: readonly string[];
  readonly queries: readonly string[];
  readonly writes: readonly string[];
  /** Written whole in batches, puts and deletes: a run's details, which a new attempt replaces. */
  readonly replaces: readonly string[];
}

/** The item actions of reading a table, as the adapters read: by key, by keys, by partition. */
export const TABLE_READ_ACTIONS = ['GetItem', 'BatchGetItem', 'Query'] as const;
/** The item actions of writing, as the adapters write: put, update, and transactions of both. */
export const TABLE_WRITE_ACTIONS = ['PutItem', 'UpdateItem'] as const;
