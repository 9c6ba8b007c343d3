import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.ts';
import { DATA_KEY_ID } from '../../infra/constructs/data-key.ts';
import { ofType, resourcesOf } from './support/template.ts';
import type { CfnResource, Resources } from './support/template.ts';

/** The stack with AWS-managed encryption (the default) and with the stage's own key. */
let managed: Resources;
let ownKey: Resources;

beforeAll(() => {
  managed = resourcesOf(Template.fromStack(buildApp({ bundling: false }).stack));
  ownKey = resourcesOf(Template.fromStack(buildApp({ bundling: false, context: { 'colend:customerManagedKeys': true } }).stack));
});

const keyIdsOf = (resources: Resources): string[] => ofType(resources, 'AWS::KMS::Key').map(([id]) => id);
const dataKeyIdOf = (resources: Resources): string => {
  const ids = keyIdsOf(resources).filter((id) => new RegExp(`^${DATA_KEY_ID}[0-9A-F]{8}$`).test(id));
  expect(ids).toHaveLength(1);
  return ids[0] as string;
};
const props = (resource: CfnResource): Record<string, unknown> => resource.Properties ?? {};
const policyStatements = (resource: CfnResource): { Action: string | string[]; Resource: unknown; Effect: string }[] =>
  (props(resource)['PolicyDocument'] as { Statement: { Action: string | string[]; Resource: unknown; Effect: string }[] }).Statement;
const actionsOf = (statement: { Action: string | string[] }): string[] => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]);

describe('encryption at rest: AWS-managed unless the stage asks for its own key', () => {
  it('off (the default): no key of the stage; tables on the AWS-managed key, the files bucket S3-managed, log groups on CloudWatch Logs’ own', () => {
    // The alarm topic's key and the personal-data keys are the only ones (docs/operations.md, docs/personal-data.md).
    expect(keyIdsOf(managed).map((id) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['MonitoringAlarmTopicKey', 'PersonalDataHashKey', 'PersonalDataKey']);
    const tables = ofType(managed, 'AWS::DynamoDB::Table');
    expect(tables).toHaveLength(3);
    for (const [, table] of tables) expect(props(table)['SSESpecification']).toEqual({ SSEEnabled: true });
    for (const [, bucket] of ofType(managed, 'AWS::S3::Bucket')) {
      expect(props(bucket)['BucketEncryption']).toEqual({ ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] });
    }
    const logGroups = ofType(managed, 'AWS::Logs::LogGroup');
    expect(logGroups.length).toBeGreaterThan(30);
    for (const [id, group] of logGroups) expect(props(group)['KmsKeyId'], id).toBeUndefined();
  });

  it('on: one key, rotated and retained, encrypts every table, the files bucket and every log group', () => {
    const keyId = dataKeyOf();
    const key = ownKey[keyId] as CfnResource;
    expect(props(key)['EnableKeyRotation']).toBe(true);
    expect([key.DeletionPolicy, key.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
    const keyArn = { 'Fn::GetAtt': [keyId, 'Arn'] };
    const tables = ofType(ownKey, 'AWS::DynamoDB::Table');
    expect(tables).toHaveLength(3);
    for (const [id, table] of tables) expect(props(table)['SSESpecification'], id).toEqual({ KMSMasterKeyId: keyArn, SSEEnabled: true, SSEType: 'KMS' });
    for (const bucketId of ['FilesBucket', 'WorkBucket']) {
      const [, bucket] = ofType(ownKey, 'AWS::S3::Bucket').find(([id]) => id.startsWith(bucketId)) as [string, CfnResource];
      expect(props(bucket)['BucketEncryption'], bucketId).toEqual({
        ServerSideEncryptionConfiguration: [{ BucketKeyEnabled: true, ServerSideEncryptionByDefault: { KMSMasterKeyID: keyArn, SSEAlgorithm: 'aws:kms' } }],
      });
    }
    const logGroups = ofType(ownKey, 'AWS::Logs::LogGroup');
    expect(logGroups.length).toBe(ofType(managed, 'AWS::Logs::LogGroup').length);
    for (const [id, group] of logGroups) expect(props(group)['KmsKeyId'], id).toEqual(keyArn);
  });

  it('on: CloudWatch Logs may use the key for the account’s log groups of the region only', () => {
    const policy = props(ownKey[dataKeyOf()] as CfnResource)['KeyPolicy'] as { Statement: { Principal?: { Service?: unknown }; Condition?: unknown; Action: string[] }[] };
    const logs = policy.Statement.filter((statement) => JSON.stringify(statement.Principal?.Service ?? '').includes('logs.'));
    expect(logs).toHaveLength(1);
    expect(JSON.stringify(logs[0]?.Condition)).toContain('kms:EncryptionContext:aws:logs:arn');
    expect(JSON.stringify(logs[0]?.Condition)).toContain(':log-group:*');
  });

  it('on: every function that touches a table or the files gets the key (writers encrypt, readers only decrypt); no other does', () => {
    const keyArn = JSON.stringify({ 'Fn::GetAtt': [dataKeyOf(), 'Arn'] });
    const grants = new Map<string, string[]>();
    for (const [, policy] of ofType(ownKey, 'AWS::IAM::Policy')) {
      const roles = (props(policy)['Roles'] as { Ref: string }[]).map((role) => role.Ref);
      const statements = policyStatements(policy);
      const kms = statements.filter((s) => s.Effect === 'Allow' && JSON.stringify(s.Resource) === keyArn).flatMap(actionsOf);
      const data = statements.some((s) => s.Effect === 'Allow' && actionsOf(s).some((action) => /^(dynamodb|s3):/.test(action)));
      for (const role of roles) {
        if (kms.length > 0) grants.set(role, kms.sort());
        else if (data && /Function[0-9A-F]*Role/.test(role)) grants.set(role, []);
      }
    }
    const of = (prefix: string): string[] | undefined => [...grants].find(([role]) => role.startsWith(prefix))?.[1];
    expect(of('RepaymentsFunctionRole')).toEqual(['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']);
    // Reads only, but counts its callers' requests in the state table (docs/limits.md).
    expect(of('PositionsFunctionRole')).toEqual(['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']);
    expect(of('RepaymentPublishFunctionRole')).toEqual(['kms:Decrypt', 'kms:DescribeKey']);
    // Every role that reads or writes data can use the key: none is left with data it cannot read.
    for (const [role, actions] of grants) expect(actions, role).toContain('kms:Decrypt');
    // The token trigger touches no data and gets no key.
    expect(of('IdentityTokenClaimsFunctionRole') ?? of('TokenClaimsFunctionRole')).toBeUndefined();
  });
});

describe('every bucket blocks all public access and refuses requests without TLS', () => {
  for (const [label, resources] of [
    ['AWS-managed keys', () => managed],
    ['the stage’s own key', () => ownKey],
  ] as const) {
    it(label, () => {
      const buckets = ofType(resources(), 'AWS::S3::Bucket');
      expect(buckets.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['ConsoleBucket', 'FilesBucket', 'WorkBucket']);
      const policies = ofType(resources(), 'AWS::S3::BucketPolicy');
      for (const [id, bucket] of buckets) {
        expect(props(bucket)['PublicAccessBlockConfiguration'], id).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
        const policy = policies.find(([, p]) => JSON.stringify(props(p)['Bucket']) === JSON.stringify({ Ref: id }));
        expect(policy, `${id} has a bucket policy`).toBeDefined();
        const denyPlain = policyStatements(policy?.[1] as CfnResource).filter(
          (s) => s.Effect === 'Deny' && JSON.stringify(s).includes('"aws:SecureTransport":"false"') && actionsOf(s).includes('s3:*'),
        );
        expect(denyPlain, `${id} denies every request without TLS`).toHaveLength(1);
      }
    });
  }
});

function dataKeyOf(): string {
  return dataKeyIdOf(ownKey);
}
