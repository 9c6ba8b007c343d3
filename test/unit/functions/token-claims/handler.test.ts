import type { PreTokenGenerationV3TriggerEvent } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseClientLenders } from '../../../../functions/token-claims/schema.ts';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

const event: PreTokenGenerationV3TriggerEvent = {
  version: '3',
  region: 'ap-east-1',
  userPoolId: 'ap-east-1_example',
  triggerSource: 'TokenGeneration_ClientCredentials',
  userName: 'client-bank-a',
  callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: 'client-bank-a' },
  request: { userAttributes: {}, groupConfiguration: {} },
  response: { claimsAndScopeOverrideDetails: {} },
};

describe('token-claims handler', () => {
  it('reads the client-to-lender mapping from CLIENT_LENDERS', async () => {
    vi.stubEnv('CLIENT_LENDERS', JSON.stringify({ 'client-bank-a': 'LENDER-A' }));
    const { handler } = await import('../../../../functions/token-claims/handler.ts');
    const result = await handler(event);
    expect(result.response.claimsAndScopeOverrideDetails.accessTokenGeneration?.claimsToAddOrOverride).toEqual({ lender_id: 'LENDER-A' });
  });

  it('fails to start without a valid mapping rather than issue tokens without the claim', async () => {
    vi.stubEnv('CLIENT_LENDERS', '["client-bank-a"]');
    await expect(import('../../../../functions/token-claims/handler.ts')).rejects.toThrow(/CLIENT_LENDERS/);
  });
});

describe('parseClientLenders', () => {
  it('accepts an object of non-empty strings and nothing else', () => {
    expect(parseClientLenders('{}')).toEqual({});
    expect(parseClientLenders('{"a":"LENDER-A"}')).toEqual({ a: 'LENDER-A' });
    expect(() => parseClientLenders(undefined)).toThrow(/not set/);
    expect(() => parseClientLenders('{"a":1}')).toThrow(/CLIENT_LENDERS/);
    expect(() => parseClientLenders('{"a":""}')).toThrow(/CLIENT_LENDERS/);
    expect(() => parseClientLenders('null')).toThrow(/CLIENT_LENDERS/);
    expect(() => parseClientLenders('not json')).toThrow();
  });
});
