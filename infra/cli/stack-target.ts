import { readLocalStackState, type LocalStackState } from '../local/state-file.ts';

/**
 * Where a `colend` command works when it is not told: the local stack `npm start` runs in this
 * checkout (its state file), else AWS, named by the flag or variable it needs.
 */

export interface TargetEnvironment {
  readonly env: NodeJS.ProcessEnv;
  /** The running local stack of this checkout, or null. */
  readonly localStack: LocalStackState | null;
}

export function currentTarget(): TargetEnvironment {
  return { env: process.env, localStack: readLocalStackState() };
}

/** Where a command that reads the tables finds them. */
export type TableTarget =
  | { readonly kind: 'endpoint'; readonly endpoint: string; readonly from: 'flag' | 'local stack' }
  | { readonly kind: 'aws'; readonly region: string };

export const NO_TABLES = [
  'no DynamoDB to read: no local stack runs in this checkout (npm start writes .colend/local-stack.json) and no AWS region is set.',
  'Pass --endpoint <DynamoDB endpoint> (for instance http://127.0.0.1:8000), or set AWS_REGION (with AWS credentials: AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) to read the tables in AWS.',
].join('\n');

/** `--endpoint` when given; else the running local stack's DynamoDB Local; else AWS in AWS_REGION (or AWS_DEFAULT_REGION); else a message naming both. */
export function tableTarget(endpoint: string | undefined, target: TargetEnvironment): TableTarget | string {
  if (endpoint !== undefined) return { kind: 'endpoint', endpoint, from: 'flag' };
  if (target.localStack !== null) return { kind: 'endpoint', endpoint: target.localStack.dynamodbEndpoint, from: 'local stack' };
  const region = target.env.AWS_REGION || target.env.AWS_DEFAULT_REGION;
  return region ? { kind: 'aws', region } : NO_TABLES;
}

/** The API a command calls: `--api`, else COLEND_API_URL, else the running local stack's; null when none. */
export function apiUrlOf(flag: string | undefined, target: TargetEnvironment): string | null {
  return flag ?? (target.env.COLEND_API_URL || null) ?? target.localStack?.baseUrl ?? null;
}

export const NO_API = 'the API URL is missing: pass --api <url> or set COLEND_API_URL (under npm start it is found by itself: no local stack runs in this checkout)';
export const NO_TOKEN = 'the token is missing: pass --token <jwt> or set COLEND_TOKEN (locally: COLEND_TOKEN=$(npm run -s token -- --scope lead))';
