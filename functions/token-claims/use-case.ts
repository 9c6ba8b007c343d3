import type { PreTokenGenerationV3TriggerEvent } from 'aws-lambda';
import type { ClientLenders } from './schema.ts';
import { LENDER_ID_CLAIM } from './schema.ts';

const CLIENT_CREDENTIALS = 'TokenGeneration_ClientCredentials';

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
