import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.ts';
import { byConstructId, ofType, resourcesOf } from './support/template.ts';
import type { Resources } from './support/template.ts';

const synth = (context: Record<string, unknown> = {}): Resources => resourcesOf(Template.fromStack(buildApp({ bundling: false, context }).stack));
const api = (resources: Resources) => ofType(resources, 'AWS::ApiGatewayV2::Api')[0]?.[1].Properties ?? {};
const limitsOf = (resources: Resources, functionId: string): unknown =>
  (byConstructId(resources, 'AWS::Lambda::Function', functionId)[1].Properties?.['Environment'] as { Variables: Record<string, unknown> }).Variables['API_CLIENT_LIMITS'];

// Each test synthesizes the stack of its own stage: a few seconds each, longer on a busy machine.
describe('the edge of the API (docs/limits.md)', { timeout: 240_000 }, () => {
  it('is closed to browsers by default: no CORS configuration at all; the stage ceiling throttles every client together', () => {
    const resources = synth();
    expect(api(resources)['CorsConfiguration']).toBeUndefined();
    const [, stage] = ofType(resources, 'AWS::ApiGatewayV2::Stage')[0] ?? [];
    expect(stage?.Properties?.['DefaultRouteSettings']).toEqual({ ThrottlingBurstLimit: 100, ThrottlingRateLimit: 50 });
    // Each client's own limits: the stage's default, none of its own.
    expect(limitsOf(resources, 'RepaymentsFunction')).toBe(JSON.stringify({ default: { requestsPerSecond: 25, requestsPerDay: 500_000 }, clients: [] }));
  });

  it('lets exactly the listed origins call, the console by its CloudFront domain', () => {
    const resources = synth({ 'colend:corsOrigins': ['console', 'https://ops.example.com'] });
    const [distributionId] = byConstructId(resources, 'AWS::CloudFront::Distribution', 'ConsoleDistribution');
    expect(api(resources)['CorsConfiguration']).toEqual({
      AllowOrigins: [{ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId, 'DomainName'] }]] }, 'https://ops.example.com'],
      AllowMethods: ['GET', 'POST', 'PUT'],
      AllowHeaders: ['authorization', 'content-type', 'idempotency-key'],
      MaxAge: 3600,
    });
    expect(JSON.stringify(api(resources)['CorsConfiguration'])).not.toContain('*');
  });

  it('refuses an origin that is not https://host, and a wildcard', () => {
    expect(() => synth({ 'colend:corsOrigins': ['*'] })).toThrow(/Invalid colend:corsOrigins/);
    expect(() => synth({ 'colend:corsOrigins': ['http://ops.example.com'] })).toThrow(/an origin is https:\/\/host\[:port\]/);
  });

  it("hands each API function the stage's default and each client's own limits, by the client id its tokens carry", () => {
    const resources = synth({
      'colend:apiLimits': { requestsPerSecond: 10, requestsPerDay: 20_000 },
      'colend:clients': [
        { name: 'lead-ops', scopes: ['lead'], limits: { requestsPerSecond: 40, requestsPerDay: 2_000_000 } },
        { name: 'bank-a', scopes: ['partner'], lenderId: 'BANK-A' },
      ],
    });
    const [leadOpsClient] = ofType(resources, 'AWS::Cognito::UserPoolClient').find(([, client]) => client.Properties?.['ClientName'] === 'lead-ops') ?? [];
    const limits = limitsOf(resources, 'PositionsFunction') as { 'Fn::Join': [string, unknown[]] };
    const text = limits['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : `<${(part as { Ref: string }).Ref}>`)).join('');
    expect(JSON.parse(text)).toEqual({
      default: { requestsPerSecond: 10, requestsPerDay: 20_000 },
      clients: [{ clientId: `<${leadOpsClient}>`, requestsPerSecond: 40, requestsPerDay: 2_000_000 }],
    });
    // The public document counts no caller; workflow steps serve no client.
    expect(limitsOf(resources, 'OpenApiFunction')).toBeUndefined();
    expect(limitsOf(resources, 'RepaymentBookFunction')).toBeUndefined();
  });

  it('refuses limits that are not whole and positive, or a day below a second', () => {
    expect(() => synth({ 'colend:apiLimits': { requestsPerSecond: 0, requestsPerDay: 10 } })).toThrow(/requestsPerSecond must be a whole number of at least 1, not 0/);
    expect(() => synth({ 'colend:clients': [{ name: 'lead-ops', scopes: ['lead'], limits: { requestsPerSecond: 50, requestsPerDay: 10 } }] })).toThrow(
      /requestsPerDay must be at least requestsPerSecond/,
    );
  });

  it('gives the local stage limits that the benchmarks and the tests stay under', () => {
    expect(limitsOf(synth({ 'colend:stage': 'local' }), 'RepaymentsFunction')).toBe(JSON.stringify({ default: { requestsPerSecond: 1_000, requestsPerDay: 10_000_000 }, clients: [] }));
  });
});
