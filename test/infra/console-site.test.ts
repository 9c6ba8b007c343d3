import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.ts';
import type { ColendStack } from '../../infra/stacks/colend-stack.ts';
import { byConstructId, getAttArnOf, ofType, refOf, resourcesOf, type CfnResource, type Resources } from './support/template.ts';

/** The finance console in the CDK app (docs/console.md): its bucket, distribution, deployment, sign-in client and API access. */
let stack: ColendStack;
let template: Template;
let resources: Resources;

beforeAll(() => {
  // The stage lets the console call the API (colend:corsOrigins); closed otherwise (test/infra/edges.test.ts).
  ({ stack } = buildApp({ bundling: false, context: { 'colend:corsOrigins': ['console'] } }));
  template = Template.fromStack(stack);
  resources = resourcesOf(template);
});

const one = (type: string): [string, CfnResource] => {
  const found = ofType(resources, type);
  expect(found, type).toHaveLength(1);
  return found[0]!;
};
const filesBucketId = () => byConstructId(resources, 'AWS::S3::Bucket', 'FilesBucket')[0];
const distributionDomain = () => ({ 'Fn::GetAtt': [one('AWS::CloudFront::Distribution')[0], 'DomainName'] });
const consoleUrl = () => ({ 'Fn::Join': ['', ['https://', distributionDomain(), '/console/']] });

describe('the console bucket', () => {
  it('is private: every public access blocked, encrypted, TLS only, read by the distribution alone through origin access control', () => {
    const [bucketId, bucket] = byConstructId(resources, 'AWS::S3::Bucket', 'ConsoleBucket');
    expect(bucket.Properties?.['PublicAccessBlockConfiguration']).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(bucket.Properties?.['BucketEncryption']).toEqual({ ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] });
    expect(bucket.Properties?.['WebsiteConfiguration']).toBeUndefined();
    const [, policy] = byConstructId(resources, 'AWS::S3::BucketPolicy', 'ConsoleBucketPolicy');
    const statements = (policy.Properties?.['PolicyDocument'] as { Statement: Record<string, unknown>[] }).Statement;
    expect(statements).toHaveLength(2);
    expect(statements[0]).toMatchObject({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
    expect(statements[1]).toMatchObject({ Effect: 'Allow', Action: 's3:GetObject', Principal: { Service: 'cloudfront.amazonaws.com' } });
    expect(JSON.stringify(statements[1]?.['Condition'])).toContain(`":distribution/",{"Ref":"${one('AWS::CloudFront::Distribution')[0]}"}`);
    expect(getAttArnOf((statements[1]?.['Resource'] as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1][0])).toBe(bucketId);
  });
});

describe('the console distribution', () => {
  it('serves the bucket over HTTPS only, through origin access control, with the page at /console/', () => {
    const config = one('AWS::CloudFront::Distribution')[1].Properties?.['DistributionConfig'] as Record<string, Record<string, unknown> & unknown[]>;
    const behavior = config['DefaultCacheBehavior'] as Record<string, unknown>;
    expect(behavior['ViewerProtocolPolicy']).toBe('redirect-to-https');
    expect(behavior['AllowedMethods']).toEqual(['GET', 'HEAD']);
    expect(config['HttpVersion']).toBe('http2and3');
    const [origin] = config['Origins'] as unknown as Record<string, unknown>[];
    expect(origin?.['DomainName']).toEqual({ 'Fn::GetAtt': [byConstructId(resources, 'AWS::S3::Bucket', 'ConsoleBucket')[0], 'RegionalDomainName'] });
    expect(origin?.['OriginAccessControlId']).toEqual({ 'Fn::GetAtt': [one('AWS::CloudFront::OriginAccessControl')[0], 'Id'] });
    expect(one('AWS::CloudFront::OriginAccessControl')[1].Properties?.['OriginAccessControlConfig']).toMatchObject({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' });
    expect(behavior['FunctionAssociations']).toEqual([{ EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [one('AWS::CloudFront::Function')[0], 'FunctionARN'] } }]);
    expect(String(one('AWS::CloudFront::Function')[1].Properties?.['FunctionCode'])).toContain("request.uri = '/console/index.html'");
  });

  it('sends security headers: the page may call only itself, the API, the hosted login and the files bucket it uploads to', () => {
    expect(one('AWS::CloudFront::Distribution')[1].Properties?.['DistributionConfig']).toMatchObject({ DefaultCacheBehavior: { ResponseHeadersPolicyId: { Ref: one('AWS::CloudFront::ResponseHeadersPolicy')[0] } } });
    const headers = (one('AWS::CloudFront::ResponseHeadersPolicy')[1].Properties?.['ResponseHeadersPolicyConfig'] as { SecurityHeadersConfig: Record<string, Record<string, unknown>> }).SecurityHeadersConfig;
    const join = (headers['ContentSecurityPolicy']?.['ContentSecurityPolicy'] as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
    const regional = (part: unknown) => {
      const getAtt = (part as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
      return getAtt === undefined ? undefined : `${getAtt[0] === filesBucketId() ? 'FilesBucket' : getAtt[0]}.${getAtt[1]}`;
    };
    const csp = join.map((part) => (typeof part === 'string' ? part : `{${refOf(part) ?? regional(part)}}`)).join('');
    expect(csp).toBe(
      "default-src 'self'; connect-src 'self' https://*.execute-api.{AWS::Region}.{AWS::URLSuffix} https://*.auth.{AWS::Region}.amazoncognito.com https://{FilesBucket.RegionalDomainName}; img-src 'self' data: blob:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'",
    );
    expect(headers['StrictTransportSecurity']).toMatchObject({ AccessControlMaxAgeSec: 31_536_000, IncludeSubdomains: true });
    expect(headers['FrameOptions']).toMatchObject({ FrameOption: 'DENY' });
  });
});

describe("the console's deployment", () => {
  it('puts the built files and a config.json of the API, the hosted login and the console client under console/, then invalidates them', () => {
    const [, deployment] = one('Custom::CDKBucketDeployment');
    const props = deployment.Properties ?? {};
    expect(refOf(props['DestinationBucketName'])).toBe(byConstructId(resources, 'AWS::S3::Bucket', 'ConsoleBucket')[0]);
    expect(props['DestinationBucketKeyPrefix']).toBe('console/');
    expect(props['Prune']).toBe(true);
    expect(refOf(props['DistributionId'])).toBe(one('AWS::CloudFront::Distribution')[0]);
    expect(props['DistributionPaths']).toEqual(['/console/*']);
    expect(props['SourceObjectKeys']).toHaveLength(2);
    const markers = Object.values((props['SourceMarkers'] as Record<string, unknown>[])[1] ?? {});
    const [apiId] = one('AWS::ApiGatewayV2::Api');
    const [clientId] = byConstructId(resources, 'AWS::Cognito::UserPoolClient', 'IdentityUserPoolConsoleClient');
    expect(markers).toContainEqual({ 'Fn::GetAtt': [apiId, 'ApiEndpoint'] });
    expect(markers).toContainEqual({ Ref: clientId });
    expect(markers).toContainEqual({ Ref: byConstructId(resources, 'AWS::Cognito::UserPoolDomain', 'IdentityUserPoolDomain')[0] });
  });

  it("runs with a role of its own, no managed policy, logging to its own log group", () => {
    const [functionId, fn] = ofType(resources, 'AWS::Lambda::Function').find(([id]) => id.startsWith('CustomCDKBucketDeployment'))!;
    const roleId = getAttArnOf(fn.Properties?.['Role']);
    expect(roleId).toBe(byConstructId(resources, 'AWS::IAM::Role', 'ConsoleDeployRole')[0]);
    expect(resources[roleId!]?.Properties?.['ManagedPolicyArns']).toBeUndefined();
    expect(refOf((fn.Properties?.['LoggingConfig'] as { LogGroup: unknown }).LogGroup)).toBe(byConstructId(resources, 'AWS::Logs::LogGroup', 'ConsoleDeployLogs')[0]);
    expect(functionId).toMatch(/256MiB/);
  });
});

describe("the console's sign-in", () => {
  it('is a public app client of the hosted login: authorization code (PKCE), back to the console, every Colend scope for the trigger to narrow', () => {
    const [, client] = byConstructId(resources, 'AWS::Cognito::UserPoolClient', 'IdentityUserPoolConsoleClient');
    const props = client.Properties ?? {};
    expect(props['GenerateSecret']).toBe(false);
    expect(props['AllowedOAuthFlows']).toEqual(['code']);
    expect(props['CallbackURLs']).toEqual([consoleUrl()]);
    expect(props['LogoutURLs']).toEqual([consoleUrl()]);
    const scopes = (props['AllowedOAuthScopes'] as unknown[]).map((s) => (typeof s === 'string' ? s : (s as { 'Fn::Join': [string, [unknown, string]] })['Fn::Join'][1][1]));
    expect(scopes).toEqual(['openid', '/lead', '/partner', '/finance']);
    expect(props['ExplicitAuthFlows']).toEqual(['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']);
    expect([props['AccessTokenValidity'], props['RefreshTokenValidity']]).toEqual([60, 720]);
  });

  it('requires a one-time code of its users, and has the platform groups lead and finance', () => {
    const [poolId, pool] = byConstructId(resources, 'AWS::Cognito::UserPool', 'IdentityUserPool');
    expect(pool.Properties?.['MfaConfiguration']).toBe('ON');
    expect(pool.Properties?.['EnabledMfas']).toEqual(['SOFTWARE_TOKEN_MFA']);
    const groups = ofType(resources, 'AWS::Cognito::UserPoolGroup').map(([, g]) => [g.Properties?.['GroupName'], refOf(g.Properties?.['UserPoolId'])]);
    expect(groups).toEqual([
      ['lead', poolId],
      ['finance', poolId],
    ]);
  });

  it("lets the API accept the console's tokens, and calls from the console's origin only", () => {
    const [, authorizer] = one('AWS::ApiGatewayV2::Authorizer');
    const audience = (authorizer.Properties?.['JwtConfiguration'] as { Audience: unknown[] }).Audience.map(refOf);
    expect(audience).toContain(byConstructId(resources, 'AWS::Cognito::UserPoolClient', 'IdentityUserPoolConsoleClient')[0]);
    expect(one('AWS::ApiGatewayV2::Api')[1].Properties?.['CorsConfiguration']).toEqual({
      AllowOrigins: [{ 'Fn::Join': ['', ['https://', distributionDomain()]] }],
      AllowMethods: ['GET', 'POST', 'PUT'],
      AllowHeaders: ['authorization', 'content-type', 'idempotency-key'],
      MaxAge: 3600,
    });
    template.hasOutput('ConsoleUrl', { Value: consoleUrl() });
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', Match.objectLike({ UserPoolId: { Ref: byConstructId(resources, 'AWS::Cognito::UserPool', 'IdentityUserPool')[0] } }));
  });
});

describe('uploads from the console (in AWS, a presigned PUT to the files bucket)', () => {
  it("lets only the console's origin PUT to the files bucket, with a content type and the checksum the URL signs, once the bucket and the distribution exist", () => {
    const [bucketId, bucket] = byConstructId(resources, 'AWS::S3::Bucket', 'FilesBucket');
    // On the bucket itself it would make the bucket, the distribution and its headers wait for each other.
    expect(bucket.Properties?.['CorsConfiguration']).toBeUndefined();
    const [, rule] = one('Custom::AWS');
    const create = rule.Properties?.['Create'] as { 'Fn::Join': [string, unknown[]] };
    const text = create['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join('');
    expect(text).toBe(
      `{"service":"S3","action":"putBucketCors","parameters":{"Bucket":"${JSON.stringify({ Ref: bucketId })}","CORSConfiguration":{"CORSRules":[{"AllowedOrigins":["https://${JSON.stringify(distributionDomain())}"],"AllowedMethods":["PUT"],"AllowedHeaders":["content-type","x-amz-checksum-sha256"],"MaxAgeSeconds":3600}]}},"physicalResourceId":{"id":"files-bucket-upload-cors"}}`,
    );
    expect(rule.Properties?.['Update']).toEqual(rule.Properties?.['Create']);
    const role = getAttArnOf(ofType(resources, 'AWS::Lambda::Function').find(([id]) => id.startsWith('AWS679f53fac002430cb0da5b7982bd2287'))?.[1].Properties?.['Role']);
    const statements = ofType(resources, 'AWS::IAM::Policy')
      .filter(([, policy]) => JSON.stringify(policy.Properties?.['Roles']).includes(`"${role}"`))
      .flatMap(([, policy]) => (policy.Properties?.['PolicyDocument'] as { Statement: { Action: unknown; Resource: unknown }[] }).Statement);
    expect(statements.map((s) => s.Action)).toContain('s3:PutBucketCORS');
    expect(statements.find((s) => s.Action === 's3:PutBucketCORS')?.Resource).toEqual({ 'Fn::GetAtt': [bucketId, 'Arn'] });
  });
});
