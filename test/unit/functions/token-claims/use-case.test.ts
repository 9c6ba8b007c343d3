import type { PreTokenGenerationV3TriggerEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { addLenderClaim } from '../../../../functions/token-claims/use-case.ts';

function tokenRequest(clientId: string, overrides: Partial<PreTokenGenerationV3TriggerEvent> = {}): PreTokenGenerationV3TriggerEvent {
  return {
    version: '3',
    region: 'ap-east-1',
    userPoolId: 'ap-east-1_example',
    triggerSource: 'TokenGeneration_ClientCredentials',
    userName: clientId,
    callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId },
    request: { userAttributes: {}, groupConfiguration: {}, scopes: ['colend/partner'] },
    response: { claimsAndScopeOverrideDetails: {} },
    ...overrides,
  };
}

const CLIENT_LENDERS = { 'client-bank-a': 'LENDER-A', 'client-bank-b': 'LENDER-B' };

describe('addLenderClaim', () => {
  it("adds the calling client's lender to the access token", () => {
    const result = addLenderClaim(tokenRequest('client-bank-a'), CLIENT_LENDERS);
    expect(result.response.claimsAndScopeOverrideDetails).toEqual({
      accessTokenGeneration: { claimsToAddOrOverride: { lender_id: 'LENDER-A' } },
    });
  });

  it('adds nothing for a client that belongs to no lender (lead operations, platform finance)', () => {
    const event = tokenRequest('client-lead-ops');
    expect(addLenderClaim(event, CLIENT_LENDERS)).toBe(event);
  });

  it('ignores lender ids a client puts in its request metadata', () => {
    const event = tokenRequest('client-lead-ops', {
      request: { userAttributes: {}, groupConfiguration: {}, clientMetadata: { lender_id: 'LENDER-A' } },
    });
    expect(addLenderClaim(event, CLIENT_LENDERS).response).toEqual(event.response);
    const partner = tokenRequest('client-bank-b', {
      request: { userAttributes: {}, groupConfiguration: {}, clientMetadata: { lender_id: 'LENDER-A' } },
    });
    expect(addLenderClaim(partner, CLIENT_LENDERS).response.claimsAndScopeOverrideDetails.accessTokenGeneration).toEqual({
      claimsToAddOrOverride: { lender_id: 'LENDER-B' },
    });
  });

  it('does not match inherited property names', () => {
    const event = tokenRequest('constructor');
    expect(addLenderClaim(event, CLIENT_LENDERS)).toBe(event);
  });

  it('leaves other trigger sources alone', () => {
    const event = { ...tokenRequest('client-bank-a'), triggerSource: 'TokenGeneration_HostedAuth' } as unknown as PreTokenGenerationV3TriggerEvent;
    expect(addLenderClaim(event, CLIENT_LENDERS)).toBe(event);
  });
});
