import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type { CfnTable, ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { CfnBucket, IBucket } from 'aws-cdk-lib/aws-s3';
import { LogLevel, NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
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
  /** Only where a physical name cannot be avoided (a trigger its own caller must name). */
  readonly functionName?: string;
  /** X-Ray active tracing (the stage's `observability.tracing`); on when absent. */
  readonly tracing?: boolean;
}

export type TableAccess = 'read' | 'readWrite';

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
    const logGroup = new LogGroup(scope, `${id}Logs`, { retention: props.logRetention });
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
   * Grants item access to a table and its indexes (queries on gsi1 need the index ARN): the item
   * actions Colend's adapters send and no others. Reading is GetItem, BatchGetItem and Query;
   * writing adds PutItem and UpdateItem (what a TransactWriteItems of Puts and Updates needs).
   * Never Scan, DeleteItem or BatchWriteItem: no request path scans, and nothing is deleted, the
   * ledger least of all.
   */
  grantTable(table: ITable, access: TableAccess): void {
    const actions = access === 'read' ? TABLE_READ_ACTIONS : [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS];
    table.grant(this, ...actions.map((action) => `dynamodb:${action}`));
    const tableLogicalId = Stack.of(table).getLogicalId(table.node.defaultChild as CfnTable);
    Validations.of(this.role ?? this).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${tableLogicalId}.Arn>/index/*]`,
      reason: `Queries on the gsi1 index of ${table.node.id} need its index ARN; the grant covers only that table's indexes.`,
    });
  }
}

/** The item actions of reading a table, as the adapters read: by key, by keys, by partition. */
export const TABLE_READ_ACTIONS = ['GetItem', 'BatchGetItem', 'Query'] as const;
/** The item actions of writing, as the adapters write: put, update, and transactions of both. */
export const TABLE_WRITE_ACTIONS = ['PutItem', 'UpdateItem'] as const;
