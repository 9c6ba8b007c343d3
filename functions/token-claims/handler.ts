import type { PreTokenGenerationV3TriggerEvent } from 'aws-lambda';
import { CLIENT_LENDERS_ENV, parseClientLenders } from './schema.ts';
import { addLenderClaim } from './use-case.ts';

// Read once per cold start: a malformed mapping fails every token request instead of issuing tokens without the claim.
const clientLenders = parseClientLenders(process.env[CLIENT_LENDERS_ENV]);

/** Cognito pre-token-generation trigger (event version 3, client-credentials grants). */
export const handler = async (event: PreTokenGenerationV3TriggerEvent): Promise<PreTokenGenerationV3TriggerEvent> =>
  addLenderClaim(event, clientLenders);
