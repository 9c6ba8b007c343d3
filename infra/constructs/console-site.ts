import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AssetHashType, DockerImage, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AllowedMethods,
  Distribution,
  Function as CloudFrontFunction,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
  CachePolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, type CfnBucket } from 'aws-cdk-lib/aws-s3';
import { logGroupSettings } from './data-key.ts';
import { BucketDeployment, CacheControl, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { buildConsole, CONSOLE_SOURCE } from '../console/build.ts';
import type { CognitoConfig } from '../console/config.ts';

/** Where the console lives on its distribution: `https://{domain}/console/`. */
export const CONSOLE_PREFIX = 'console/';

/** `/console` and `/console/` are the page: CloudFront asks the bucket for `console/index.html`. */
const INDEX_REWRITE = `function handler(event) {
  var request = event.request;
  if (request.uri === '/console') {
    return { statusCode: 302, statusDescription: 'Found', headers: { location: { value: '/console/' } } };
  }
  if (request.uri === '/console/') request.uri = '/console/index.html';
  return request;
}`;

export interface ConsoleSiteProps {
  readonly logRetention: RetentionDays;
  /** The origins the page may call besides its own: the API and the token endpoint (its content security policy). */
  readonly connectSources: readonly string[];
}

/**
 * The finance console in AWS (docs/console.md): its static files in a private bucket (all public
 * access blocked, TLS only, encrypted) that only the distribution reads, through origin access
 * control; a CloudFront distribution over HTTPS with security headers. `publish` deploys the
 * files, bundled with esbuild at synth, and the `config.json` that sends users to Cognito.
 */
export class ConsoleSite extends Construct {
  readonly bucket: Bucket;
  readonly distribution: Distribution;
  /** `https://{domain}`: the origin the API lets call it. */
  readonly origin: string;
  /** `https://{domain}/console/`: where users sign in from and come back to. */
  readonly url: string;
  private readonly logRetention: RetentionDays;

  constructor(scope: Construct, id: string, props: ConsoleSiteProps) {
    super(scope, id);
    this.logRetention = props.logRetention;
    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // S3-managed even on a stage with its own key: it holds the built page that every browser
      // downloads through the distribution, no data; a customer-managed key would need a key
      // policy that trusts every distribution of the account at the first deployment.
      encryption: BucketEncryption.S3_MANAGED,
      // Built from the repository at every deployment: nothing in it is kept only there.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'The bucket holds only the built console, written by each deployment and read by the distribution through origin access control; nothing in it is data.',
    });
    const headers = new ResponseHeadersPolicy(this, 'Headers', {
      comment: 'The finance console: its own files, its API and its sign-in only',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: [
            "default-src 'self'",
            `connect-src 'self' ${props.connectSources.join(' ')}`,
            "img-src 'self' data: blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "frame-ancestors 'none'",
            "form-action 'self'",
          ].join('; '),
          override: true,
        },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
    });
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'Colend finance console',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        functionAssociations: [
          {
            eventType: FunctionEventType.VIEWER_REQUEST,
            function: new CloudFrontFunction(this, 'IndexRewrite', { code: FunctionCode.fromInline(INDEX_REWRITE), runtime: FunctionRuntime.JS_2_0, comment: 'The console page at /console/' }),
          },
        ],
      },
      httpVersion: HttpVersion.HTTP2_AND_3,
    });
    Validations.of(this.distribution).acknowledge(
      { id: 'AwsSolutions-CFR1', reason: 'The console is for named finance staff wherever they work; who may use it is decided by sign-in, not by country.' },
      { id: 'AwsSolutions-CFR2', reason: 'The distribution serves only static files; every call with data goes to the API, which checks a token on each request and is throttled.' },
      { id: 'AwsSolutions-CFR3', reason: 'The distribution serves only the static page; the API, where the data is, keeps an access log of every request with its client.' },
      {
        id: 'AwsSolutions-CFR4',
        reason: 'Without a custom domain CloudFront serves its own certificate, whose protocol floor cannot be set; viewers are redirected to HTTPS, and a stage with its own domain sets TLS 1.2.',
      },
    );
    this.origin = `https://${this.distribution.distributionDomainName}`;
    this.url = `${this.origin}/${CONSOLE_PREFIX}`;
  }

  /**
   * Deploys the console's files, built with esbuild at synth (skipped with bundling off, as the
   * functions are), and its config.json, under `console/`, then invalidates them on the
   * distribution. The deployment's function gets a role of its own with its own log group.
   */
  publish(config: CognitoConfig): BucketDeployment {
    const logGroup = new LogGroup(this, 'DeployLogs', { ...logGroupSettings(this, this.logRetention), removalPolicy: RemovalPolicy.DESTROY });
    const role = new Role(this, 'DeployRole', { assumedBy: new ServicePrincipal('lambda.amazonaws.com'), description: 'Deploys the finance console to its bucket' });
    logGroup.grantWrite(role);
    const files = Source.asset(CONSOLE_SOURCE, {
      assetHashType: AssetHashType.OUTPUT,
      bundling: {
        // Never used: the files are built here, with the esbuild of the repository.
        image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22-alpine'),
        local: {
          tryBundle(outputDir: string): boolean {
            for (const file of buildConsole()) writeFileSync(join(outputDir, file.name), file.body);
            return true;
          },
        },
      },
    });
    const deployment = new BucketDeployment(this, 'Deploy', {
      sources: [files, Source.jsonData('config.json', config)],
      destinationBucket: this.bucket,
      destinationKeyPrefix: CONSOLE_PREFIX,
      prune: true,
      cacheControl: [CacheControl.noCache()],
      distribution: this.distribution,
      distributionPaths: [`/${CONSOLE_PREFIX}*`],
      role,
      logGroup,
      memoryLimit: 256,
    });
    // The CDK's deployment function is one per stack (and memory size), beside the stack's other resources.
    for (const handler of Stack.of(this).node.children.filter((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'))) {
      Validations.of(handler).acknowledge({
        id: 'AwsSolutions-L1',
        reason: "The CDK's bucket deployment function runs on the runtime its CDK release chose; it runs only during a deployment, on the console's files.",
      });
    }
    const bucketLogicalId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnBucket);
    const findings: [string, string][] = [
      ['Action::s3:GetObject*', "Reads the console's asset, one object of the CDK's asset bucket, and the console bucket's objects to replace them."],
      ['Action::s3:GetBucket*', "Reads the settings of the two buckets the deployment copies between; no other bucket."],
      ['Action::s3:List*', 'Lists the console files under console/ to replace them and remove the ones no longer built.'],
      ['Action::s3:DeleteObject*', 'Removes console files a new build no longer has (prune); only the console bucket.'],
      ['Action::s3:Abort*', 'A file written in parts and interrupted is aborted; only the console bucket.'],
      [`Resource::<${bucketLogicalId}.Arn>/*`, 'The console files are written under console/ of the console bucket only.'],
      ['Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*', "The console's asset is one object of the CDK's asset bucket, named by its hash at synth."],
      ['Resource::*', 'CloudFront invalidations (CreateInvalidation, GetInvalidation) name no narrower resource in the grant the CDK makes for a deployment.'],
    ];
    for (const [finding, reason] of findings) Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
    return deployment;
  }
}
