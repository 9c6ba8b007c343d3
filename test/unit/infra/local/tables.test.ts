import type { AttributeDefinition, KeySchemaElement } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { comparableSpec, createTableInput, tableSpecFromDescription, tableSpecsFromTemplate } from '../../../../infra/local/tables.ts';
import type { TableSpec } from '../../../../infra/local/tables.ts';
import { TemplateResolver } from '../../../../infra/local/template.ts';

const keys: KeySchemaElement[] = [
  { AttributeName: 'pk', KeyType: 'HASH' },
  { AttributeName: 'sk', KeyType: 'RANGE' },
];
const attributes: AttributeDefinition[] = ['pk', 'sk', 'gsi1pk', 'gsi1sk'].map((name) => ({ AttributeName: name, AttributeType: 'S' as const }));

const template = {
  Resources: {
    LedgerTable38A58B60: {
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        KeySchema: keys,
        AttributeDefinitions: attributes,
        BillingMode: 'PAY_PER_REQUEST',
        DeletionProtectionEnabled: true,
        GlobalSecondaryIndexes: [
          { IndexName: 'gsi1', KeySchema: [{ AttributeName: 'gsi1pk', KeyType: 'HASH' }, { AttributeName: 'gsi1sk', KeyType: 'RANGE' }], Projection: { ProjectionType: 'ALL' } },
        ],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      },
    },
    Global5D2E7C1A: {
      Type: 'AWS::DynamoDB::GlobalTable',
      Properties: {
        KeySchema: [keys[0]],
        AttributeDefinitions: [attributes[0]],
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
        Replicas: [{ Region: 'us-east-1' }],
      },
    },
  },
};

describe('tables from the template', () => {
  const specs = tableSpecsFromTemplate(new TemplateResolver(template));
  const [ledger, global] = specs as [TableSpec, TableSpec];

  it('reads Table and GlobalTable resources, named by logical id', () => {
    expect(specs.map((spec) => spec.tableName)).toEqual(['LedgerTable38A58B60', 'Global5D2E7C1A']);
    expect(ledger).toMatchObject({ billingMode: 'PAY_PER_REQUEST', timeToLiveAttribute: 'expiresAt', globalSecondaryIndexes: [{ indexName: 'gsi1' }] });
    expect(global).toMatchObject({ streamViewType: 'NEW_IMAGE', globalSecondaryIndexes: [] });
  });

  it('creates them on demand with their keys, indexes and streams', () => {
    expect(createTableInput(ledger)).toEqual({
      TableName: 'LedgerTable38A58B60',
      KeySchema: keys,
      AttributeDefinitions: attributes,
      BillingMode: 'PAY_PER_REQUEST',
      GlobalSecondaryIndexes: [
        { IndexName: 'gsi1', KeySchema: [{ AttributeName: 'gsi1pk', KeyType: 'HASH' }, { AttributeName: 'gsi1sk', KeyType: 'RANGE' }], Projection: { ProjectionType: 'ALL' } },
      ],
    });
    expect(createTableInput(global)).toMatchObject({ StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' } });
  });

  it('compares a live table with its template definition', () => {
    const live = tableSpecFromDescription('LedgerTable38A58B60', {
      TableName: 'LedgerTable38A58B60',
      KeySchema: keys,
      AttributeDefinitions: [...attributes].reverse(),
      BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
      GlobalSecondaryIndexes: [
        { IndexName: 'gsi1', KeySchema: [{ AttributeName: 'gsi1pk', KeyType: 'HASH' }, { AttributeName: 'gsi1sk', KeyType: 'RANGE' }], Projection: { ProjectionType: 'ALL' }, IndexStatus: 'ACTIVE' },
      ],
    });
    expect(live).toEqual(comparableSpec(ledger));
    expect({ ...live, globalSecondaryIndexes: [] }).not.toEqual(comparableSpec(ledger));
  });
});
