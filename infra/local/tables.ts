import {
  CreateTableCommand,
  DescribeTableCommand,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import type {
  AttributeDefinition,
  CreateTableCommandInput,
  DynamoDBClient,
  GlobalSecondaryIndex,
  KeySchemaElement,
  LocalSecondaryIndex,
  Projection,
  StreamViewType,
  TableDescription,
} from '@aws-sdk/client-dynamodb';
import { asRecord, asString, TABLE_TYPES } from './template.ts';
import type { TemplateResolver } from './template.ts';

/**
 * The DynamoDB tables of the template, created in DynamoDB Local exactly as defined: key
 * schema, attribute definitions, indexes, on-demand billing, streams and TTL.
 */

export interface TableSpec {
  logicalId: string;
  /** The local table name: the logical id (what `Ref` resolves to). */
  tableName: string;
  keySchema: KeySchemaElement[];
  attributeDefinitions: AttributeDefinition[];
  globalSecondaryIndexes: Array<{ indexName: string; keySchema: KeySchemaElement[]; projection: Projection }>;
  localSecondaryIndexes: Array<{ indexName: string; keySchema: KeySchemaElement[]; projection: Projection }>;
  billingMode: 'PAY_PER_REQUEST' | 'PROVISIONED';
  streamViewType?: StreamViewType;
  timeToLiveAttribute?: string;
}

function keySchema(value: unknown): KeySchemaElement[] {
  if (!Array.isArray(value)) return [];
  return value.map((item) => {
    const element = asRecord(item) ?? {};
    return { AttributeName: asString(element.AttributeName), KeyType: asString(element.KeyType) as 'HASH' | 'RANGE' };
  });
}

function projection(value: unknown): Projection {
  const record = asRecord(value) ?? {};
  const nonKey = record.NonKeyAttributes;
  return {
    ProjectionType: (asString(record.ProjectionType) ?? 'ALL') as Projection['ProjectionType'],
    ...(Array.isArray(nonKey) && nonKey.length > 0 ? { NonKeyAttributes: nonKey.map(String) } : {}),
  };
}

function indexes(value: unknown): TableSpec['globalSecondaryIndexes'] {
  if (!Array.isArray(value)) return [];
  return value.map((item) => {
    const index = asRecord(item) ?? {};
    return {
      indexName: String(index.IndexName),
      keySchema: keySchema(index.KeySchema),
      projection: projection(index.Projection),
    };
  });
}

/** Every table of the template, read from its resolved properties. */
export function tableSpecsFromTemplate(resolver: TemplateResolver): TableSpec[] {
  return resolver.resourcesOfType(...TABLE_TYPES).map(([logicalId]) => {
    const props = resolver.properties(logicalId);
    const stream = asRecord(props.StreamSpecification);
    const ttl = asRecord(props.TimeToLiveSpecification);
    const attributes = Array.isArray(props.AttributeDefinitions) ? props.AttributeDefinitions : [];
    return {
      logicalId,
      tableName: logicalId,
      keySchema: keySchema(props.KeySchema),
      attributeDefinitions: attributes.map((item) => {
        const attribute = asRecord(item) ?? {};
        return {
          AttributeName: asString(attribute.AttributeName),
          AttributeType: asString(attribute.AttributeType) as AttributeDefinition['AttributeType'],
        };
      }),
      globalSecondaryIndexes: indexes(props.GlobalSecondaryIndexes),
      localSecondaryIndexes: indexes(props.LocalSecondaryIndexes),
      billingMode: asString(props.BillingMode) === 'PROVISIONED' ? 'PROVISIONED' : 'PAY_PER_REQUEST',
      ...(asString(stream?.StreamViewType) ? { streamViewType: asString(stream?.StreamViewType) as StreamViewType } : {}),
      ...(ttl?.Enabled === true && asString(ttl.AttributeName) ? { timeToLiveAttribute: asString(ttl.AttributeName) } : {}),
    };
  });
}

const PROVISIONED = { ReadCapacityUnits: 5, WriteCapacityUnits: 5 };

export function createTableInput(spec: TableSpec): CreateTableCommandInput {
  const provisioned = spec.billingMode === 'PROVISIONED';
  const gsis: GlobalSecondaryIndex[] = spec.globalSecondaryIndexes.map((index) => ({
    IndexName: index.indexName,
    KeySchema: index.keySchema,
    Projection: index.projection,
    ...(provisioned ? { ProvisionedThroughput: PROVISIONED } : {}),
  }));
  const lsis: LocalSecondaryIndex[] = spec.localSecondaryIndexes.map((index) => ({
    IndexName: index.indexName,
    KeySchema: index.keySchema,
    Projection: index.projection,
  }));
  return {
    TableName: spec.tableName,
    KeySchema: spec.keySchema,
    AttributeDefinitions: spec.attributeDefinitions,
    BillingMode: spec.billingMode,
    ...(provisioned ? { ProvisionedThroughput: PROVISIONED } : {}),
    ...(gsis.length > 0 ? { GlobalSecondaryIndexes: gsis } : {}),
    ...(lsis.length > 0 ? { LocalSecondaryIndexes: lsis } : {}),
    ...(spec.streamViewType ? { StreamSpecification: { StreamEnabled: true, StreamViewType: spec.streamViewType } } : {}),
  };
}

export async function listTableNames(client: DynamoDBClient): Promise<string[]> {
  const names: string[] = [];
  let start: string | undefined;
  do {
    const page = await client.send(new ListTablesCommand({ ExclusiveStartTableName: start }));
    names.push(...(page.TableNames ?? []));
    start = page.LastEvaluatedTableName;
  } while (start);
  return names;
}

export interface CreateTablesResult {
  /** Tables created by this call, as specified by the template. */
  created: TableSpec[];
  /** Tables of the template that already existed (a persisted restart). */
  existing: TableSpec[];
}

/** Creates the template's tables that do not exist yet; lists what it created. */
export async function createTables(client: DynamoDBClient, specs: TableSpec[]): Promise<CreateTablesResult> {
  const present = new Set(await listTableNames(client));
  const result: CreateTablesResult = { created: [], existing: [] };
  for (const spec of specs) {
    if (present.has(spec.tableName)) {
      result.existing.push(spec);
      continue;
    }
    await client.send(new CreateTableCommand(createTableInput(spec)));
    await waitUntilActive(client, spec.tableName);
    if (spec.timeToLiveAttribute) {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: spec.tableName,
          TimeToLiveSpecification: { Enabled: true, AttributeName: spec.timeToLiveAttribute },
        }),
      );
    }
    result.created.push(spec);
  }
  return result;
}

async function waitUntilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Table ${tableName} did not become active`);
}

function sortAttributes(list: AttributeDefinition[]): AttributeDefinition[] {
  return [...list].sort((a, b) => String(a.AttributeName).localeCompare(String(b.AttributeName)));
}

/** The shape of a live table in the same terms as TableSpec, to compare the two. */
export function tableSpecFromDescription(logicalId: string, table: TableDescription): TableSpec {
  const sortIndexes = <T extends { indexName: string }>(list: T[]): T[] =>
    [...list].sort((a, b) => a.indexName.localeCompare(b.indexName));
  const index = (item: { IndexName?: string; KeySchema?: KeySchemaElement[]; Projection?: Projection }) => ({
    indexName: item.IndexName ?? '',
    keySchema: (item.KeySchema ?? []).map((key) => ({ AttributeName: key.AttributeName, KeyType: key.KeyType })),
    projection: {
      ProjectionType: item.Projection?.ProjectionType,
      ...(item.Projection?.NonKeyAttributes?.length ? { NonKeyAttributes: item.Projection.NonKeyAttributes } : {}),
    },
  });
  const onDemand = table.BillingModeSummary?.BillingMode === 'PAY_PER_REQUEST';
  return {
    logicalId,
    tableName: table.TableName ?? logicalId,
    keySchema: (table.KeySchema ?? []).map((key) => ({ AttributeName: key.AttributeName, KeyType: key.KeyType })),
    attributeDefinitions: sortAttributes(
      (table.AttributeDefinitions ?? []).map((attribute) => ({
        AttributeName: attribute.AttributeName,
        AttributeType: attribute.AttributeType,
      })),
    ),
    globalSecondaryIndexes: sortIndexes((table.GlobalSecondaryIndexes ?? []).map(index)),
    localSecondaryIndexes: sortIndexes((table.LocalSecondaryIndexes ?? []).map(index)),
    billingMode: onDemand ? 'PAY_PER_REQUEST' : 'PROVISIONED',
    ...(table.StreamSpecification?.StreamEnabled && table.StreamSpecification.StreamViewType
      ? { streamViewType: table.StreamSpecification.StreamViewType }
      : {}),
  };
}

/** A template spec normalized for comparison with tableSpecFromDescription (sorted, no TTL). */
export function comparableSpec(spec: TableSpec): TableSpec {
  const { timeToLiveAttribute: _ttl, ...rest } = spec;
  const byName = <T extends { indexName: string }>(list: T[]): T[] =>
    [...list].sort((a, b) => a.indexName.localeCompare(b.indexName));
  return {
    ...rest,
    attributeDefinitions: sortAttributes(rest.attributeDefinitions),
    globalSecondaryIndexes: byName(rest.globalSecondaryIndexes),
    localSecondaryIndexes: byName(rest.localSecondaryIndexes),
  };
}
