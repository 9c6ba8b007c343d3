import type { PreTokenGenerationV2TriggerEvent, PreTokenGenerationV3TriggerEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { accessOfGroup, addLenderClaim, customizeToken, UserAccessError } from '../../../../functions/token-claims/use-case.ts';
import { principalFromClaims } from '../../../../shared/http/principal.ts';

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

function signIn(groups: string[], triggerSource: PreTokenGenerationV2TriggerEvent['triggerSource'] = 'TokenGeneration_HostedAuth'): PreTokenGenerationV2TriggerEvent {
  return {
    version: '3',
    region: 'ap-east-1',
    userPoolId: 'ap-east-1_example',
    triggerSource,
    userName: 'fin.wang',
    callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: 'console-client' },
    request: { userAttributes: { sub: '7f3c2a9e' }, groupConfiguration: { groupsToOverride: groups }, scopes: ['openid', 'colend/lead', 'colend/partner', 'colend/finance'] },
    response: { claimsAndScopeOverrideDetails: {} },
  } as PreTokenGenerationV2TriggerEvent;
}

describe("a console user's token", () => {
  it("carries exactly its group's scope, and the group's lender as lender_id", () => {
    const platform = customizeToken(signIn(['finance']), CLIENT_LENDERS);
    expect(platform.response.claimsAndScopeOverrideDetails).toEqual({
      accessTokenGeneration: { scopesToAdd: ['colend/finance'], scopesToSuppress: ['colend/lead', 'colend/partner'], claimsToSuppress: ['lender_id'] },
    });
    const bank = customizeToken(signIn(['finance:JN_RCB', 'Everyone']), CLIENT_LENDERS);
    expect(bank.response.claimsAndScopeOverrideDetails).toEqual({
      accessTokenGeneration: { scopesToAdd: ['colend/finance'], scopesToSuppress: ['colend/lead', 'colend/partner'], claimsToAddOrOverride: { lender_id: 'JN_RCB' } },
    });
    expect(customizeToken(signIn(['partner:LS_IB'], 'TokenGeneration_RefreshTokens'), CLIENT_LENDERS).response.claimsAndScopeOverrideDetails.accessTokenGeneration).toMatchObject({
      scopesToAdd: ['colend/partner'],
      claimsToAddOrOverride: { lender_id: 'LS_IB' },
    });
  });

  it('gives a token the API reads as that user, in that role, for that lender', () => {
    const details = customizeToken(signIn(['finance:JN_RCB']), CLIENT_LENDERS).response.claimsAndScopeOverrideDetails.accessTokenGeneration!;
    // The access token as Cognito issues it after the trigger: the requested scopes, less those suppressed, plus those added.
    const scopes = ['openid', 'colend/lead', 'colend/partner', 'colend/finance'].filter((s) => !details.scopesToSuppress!.includes(s));
    const claims = { scope: [...new Set([...scopes, ...details.scopesToAdd!])].join(' '), client_id: 'console-client', username: 'fin.wang', sub: '7f3c2a9e', ...details.claimsToAddOrOverride };
    expect(principalFromClaims(claims)).toEqual({ roles: ['FINANCE'], clientId: 'console-client', userId: 'fin.wang', lenderId: 'JN_RCB' });
  });

  it('refuses a sign-in of a user in no Colend group or in several, naming what it found', () => {
    expect(() => customizeToken(signIn([]), CLIENT_LENDERS)).toThrow(new UserAccessError('user fin.wang must belong to exactly one Colend group (lead, finance, finance:{lenderId} or partner:{lenderId}); found none'));
    expect(() => customizeToken(signIn(['Admins', 'partner']), CLIENT_LENDERS)).toThrow(/found none$/);
    expect(() => customizeToken(signIn(['finance', 'lead']), CLIENT_LENDERS)).toThrow(/found finance, lead$/);
  });

  it('reads only the Colend groups: a partner group names its lender, a lead group none', () => {
    expect(accessOfGroup('lead')).toEqual({ role: 'LEAD', lenderId: null });
    expect(accessOfGroup('finance')).toEqual({ role: 'FINANCE', lenderId: null });
    expect(accessOfGroup('finance:HX_CB')).toEqual({ role: 'FINANCE', lenderId: 'HX_CB' });
    expect(accessOfGroup('partner:BANK:A')).toEqual({ role: 'PARTNER', lenderId: 'BANK:A' });
    for (const other of ['partner', 'lead:X', 'finance:', 'finance: X', 'auditors', 'Finance', 'constructor']) expect(accessOfGroup(other), other).toBeNull();
  });
});
