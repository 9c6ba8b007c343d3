import { Aws, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { BucketEncryption } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

/** The construct id of the stage's customer-managed key, a direct child of the stack; never renamed once deployed. */
export const DATA_KEY_ID = 'DataKey';

/**
 * The stage's customer-managed key (`colend:customerManagedKeys`, docs/deploy.md): it encrypts
 * the tables, the buckets and the log groups of functions, workflows and the API's access log.
 * Rotated every year by KMS and retained with the data it protects: a deleted stack must leave
 * the retained tables and files readable. CloudWatch Logs may use it for the stack's own log
 * groups only (the encryption context names the log group).
 */
export function createDataKey(stack: Stack): Key {
  const key = new Key(stack, DATA_KEY_ID, {
    description: "Colend's data: tables, settlement files, console files and logs of the stage",
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  key.addToResourcePolicy(
    new PolicyStatement({
      principals: [new ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:*` } },
    }),
  );
  return key;
}

/** What reading data under the key needs: DynamoDB and S3 decrypt with the caller's permission. */
export const DATA_KEY_READ_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey'] as const;
/** What writing needs besides: a new data key for an object, encryption of a table's item key material. */
export const DATA_KEY_WRITE_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'] as const;

/** The stage's customer-managed key, when the stage asked for one; undefined means AWS-managed encryption. */
export function dataKeyOf(scope: Construct): IKey | undefined {
  return Stack.of(scope).node.tryFindChild(DATA_KEY_ID) as Key | undefined;
}

/** A log group's settings: its retention, and the stage's key when there is one. */
export function logGroupSettings(scope: Construct, retention: RetentionDays): { retention: RetentionDays; encryptionKey?: IKey } {
  const encryptionKey = dataKeyOf(scope);
  return encryptionKey === undefined ? { retention } : { retention, encryptionKey };
}

/** A bucket's encryption: the stage's key (with an S3 bucket key, one KMS call per object set rather than per object) when there is one, else S3-managed. */
export function bucketEncryptionSettings(scope: Construct): { encryption: BucketEncryption; encryptionKey?: IKey; bucketKeyEnabled?: boolean } {
  const encryptionKey = dataKeyOf(scope);
  return encryptionKey === undefined ? { encryption: BucketEncryption.S3_MANAGED } : { encryption: BucketEncryption.KMS, encryptionKey, bucketKeyEnabled: true };
}

/** A table's encryption: the stage's key when there is one, else AWS-managed. */
export function tableEncryptionSettings(scope: Construct): { encryption: TableEncryption; encryptionKey?: IKey } {
  const encryptionKey = dataKeyOf(scope);
  return encryptionKey === undefined ? { encryption: TableEncryption.AWS_MANAGED } : { encryption: TableEncryption.CUSTOMER_MANAGED, encryptionKey };
}
