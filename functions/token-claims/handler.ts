import { CLIENT_LENDERS_ENV, parseClientLenders } from './schema.ts';
import { customizeToken, type TokenEvent } from './use-case.ts';

// Read once per cold start: a malformed mapping fails every token request instead of issuing tokens without the claim.
const clientLenders = parseClientLenders(process.env[CLIENT_LENDERS_ENV]);

/** Cognito pre-token-generation trigger (event version 3): client-credentials grants and users' sign-ins. */
export const handler = async (event: TokenEvent): Promise<TokenEvent> => customizeToken(event, clientLenders);
