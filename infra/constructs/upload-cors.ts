import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { UPLOAD_CHECKSUM_HEADER } from '../../shared/adapters/files/upload-urls.ts';
import { logGroupSettings } from './data-key.ts';

export interface UploadCorsProps {
  readonly bucket: IBucket;
  /** The only origin allowed to PUT: the console's `https://{distribution domain}`. */
  readonly origin: string;
  readonly logRetention: RetentionDays;
}

/**
 * The CORS rule of the files bucket: the console's origin may PUT a file with its content type and
 * its SHA-256 (the checksum header the presigned URL signs, docs/reconciliation.md), nothing else.
 */
export const UPLOAD_CORS_MAX_AGE_SECONDS = 3600;

/**
 * Lets the finance console PUT an upload to a presigned URL of the files bucket (docs/console.md).
 * The rule names the console's distribution, and the console's content-security policy names the
 * bucket; the bucket's own CorsConfiguration would make the bucket, the distribution and its
 * headers wait for each other, so the rule is put once both exist (`s3:PutBucketCORS`, on create
 * and update; the bucket is retained, so deleting the stack leaves it as it is).
 */
export class UploadCors extends Construct {
  constructor(scope: Construct, id: string, props: UploadCorsProps) {
    super(scope, id);
    const role = new Role(this, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com'), description: "Puts the files bucket's CORS rule for the console's uploads" });
    const logGroup = new LogGroup(this, 'Logs', { ...logGroupSettings(this, props.logRetention), removalPolicy: RemovalPolicy.DESTROY });
    logGroup.grantWrite(role);
    const put = {
      service: 'S3',
      action: 'putBucketCors',
      parameters: {
        Bucket: props.bucket.bucketName,
        CORSConfiguration: {
          CORSRules: [{ AllowedOrigins: [props.origin], AllowedMethods: ['PUT'], AllowedHeaders: ['content-type', UPLOAD_CHECKSUM_HEADER], MaxAgeSeconds: UPLOAD_CORS_MAX_AGE_SECONDS }],
        },
      },
      physicalResourceId: PhysicalResourceId.of('files-bucket-upload-cors'),
    };
    new AwsCustomResource(this, 'Rule', {
      onCreate: put,
      onUpdate: put,
      policy: AwsCustomResourcePolicy.fromStatements([new PolicyStatement({ actions: ['s3:PutBucketCORS'], resources: [props.bucket.bucketArn] })]),
      role,
      logGroup,
      installLatestAwsSdk: false,
    });
    for (const child of Stack.of(this).node.children.filter((c) => c.node.id.startsWith('AWS679f53fac002430cb0da5b7982bd2287'))) {
      Validations.of(child).acknowledge({
        id: 'AwsSolutions-L1',
        reason: "The CDK's custom-resource function runs on the runtime its CDK release chose; it runs only during a deployment, to put the files bucket's CORS rule.",
      });
    }
  }
}
