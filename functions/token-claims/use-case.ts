import type { PreTokenGenerationV2TriggerEvent, PreTokenGenerationV3TriggerEvent } from 'aws-lambda';
import { ROLE_SCOPES, type PrincipalRole } from '../../shared/domain/access.ts';
import { ID_PATTERN } from '../../shared/domain/ids.ts';
import type { ClientLenders } from './schema.ts';
import { LENDER_ID_CLAIM } from './schema.ts';

/** What the trigger receives: a client-credentials grant, or (event version 3 too) a user's sign-in or refresh. */
export type TokenEvent = PreTokenGenerationV3TriggerEvent | PreTokenGenerationV2TriggerEvent;

const CLIENT_CREDENTIALS = 'TokenGeneration_ClientCredentials';

/** The trigger sources of a user's tokens: the hosted login, an SDK sign-in, a new password, a device, a refresh. */
const USER_TOKENS: ReadonlySet<string> = new Set([
  'TokenGeneration_HostedAuth',
  'TokenGeneration_Authentication',
  'TokenGeneration_NewPasswordChallenge',
  'TokenGeneration_AuthenticateDevice',
  'TokenGeneration_RefreshTokens',
]);

/** A client's token gets its lender; a user's token its one role and lender, from its group. */
export function customizeToken<E extends TokenEvent>(event: E, clientLenders: ClientLenders): E {
  if (event.triggerSource === CLIENT_CREDENTIALS) return addLenderClaim(event as PreTokenGenerationV3TriggerEvent, clientLenders) as E;
  if (USER_TOKENS.has(event.triggerSource)) return scopeUserToken(event);
  return event;
}

/**
 * Adds `lender_id` to the access token of a client-credentials grant when the calling app client
 * belongs to a lender; every other client (lead operations, the platform's own finance team) gets
 * no such claim. The lender comes only from the deployed mapping, never from the request, so a
 * client cannot name another lender.
 */
export function addLenderClaim(
  event: PreTokenGenerationV3TriggerEvent,
  clientLenders: ClientLenders,
): PreTokenGenerationV3TriggerEvent {
  if (event.triggerSource !== CLIENT_CREDENTIALS) {
    return event;
  }
  const lenderId = Object.hasOwn(clientLenders, event.callerContext.clientId)
    ? clientLenders[event.callerContext.clientId]
    : undefined;
  if (lenderId === undefined) {
    return event;
  }
  return {
    ...event,
    response: {
      claimsAndScopeOverrideDetails: {
        accessTokenGeneration: { claimsToAddOrOverride: { [LENDER_ID_CLAIM]: lenderId } },
      },
    },
  };
}

/** The role and lender a user's group grants (docs/console.md). */
export interface UserAccess {
  readonly role: PrincipalRole;
  readonly lenderId: string | null;
}

const GROUP_ROLES: Readonly<Record<string, PrincipalRole>> = { lead: 'LEAD', finance: 'FINANCE', partner: 'PARTNER' };

/**
 * A user pool group that grants Colend access: `lead` (lead operations), `finance` (the
 * platform's finance team), `finance:{lenderId}` (a lender's finance team), `partner:{lenderId}`
 * (a partner lender's people). Any other group is not Colend's and is ignored; null for those.
 */
export function accessOfGroup(group: string): UserAccess | null {
  const colon = group.indexOf(':');
  const name = colon === -1 ? group : group.slice(0, colon);
  if (!Object.hasOwn(GROUP_ROLES, name)) return null;
  const role = GROUP_ROLES[name]!;
  if (colon === -1) return role === 'PARTNER' ? null : { role, lenderId: null };
  const lenderId = group.slice(colon + 1);
  return role !== 'LEAD' && ID_PATTERN.test(lenderId) ? { role, lenderId } : null;
}

/** Refused sign-ins: Cognito shows the message and issues no token. */
export class UserAccessError extends Error {
  override readonly name = 'UserAccessError';
}

/**
 * A user's access token carries exactly one Colend scope, its group's, and that group's lender as
 * `lender_id`: whatever scopes the sign-in asked for, the others are taken out. A user in no
 * Colend group, or in several, gets no token at all, rather than one the API would refuse.
 */
export function scopeUserToken<E extends TokenEvent>(event: E): E {
  const groups = event.request.groupConfiguration.groupsToOverride ?? [];
  const granted = groups.flatMap((group) => {
    const access = accessOfGroup(group);
    return access === null ? [] : [{ group, access }];
  });
  if (granted.length !== 1) {
    const found = granted.length === 0 ? 'none' : granted.map((g) => g.group).join(', ');
    throw new UserAccessError(`user ${event.userName} must belong to exactly one Colend group (lead, finance, finance:{lenderId} or partner:{lenderId}); found ${found}`);
  }
  const { role, lenderId } = granted[0]!.access;
  const scope = ROLE_SCOPES[role];
  return {
    ...event,
    response: {
      claimsAndScopeOverrideDetails: {
        accessTokenGeneration: {
          scopesToAdd: [scope],
          scopesToSuppress: Object.values(ROLE_SCOPES).filter((s) => s !== scope),
          ...(lenderId === null ? { claimsToSuppress: [LENDER_ID_CLAIM] } : { claimsToAddOrOverride: { [LENDER_ID_CLAIM]: lenderId } }),
        },
      },
    },
  };
}
