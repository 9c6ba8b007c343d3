import { parseArgs } from 'node:util';
import { LOCAL_SCOPES, parseScope } from './issuer.ts';
import type { LocalScope, MintTokenOptions } from './issuer.ts';
import { LOCAL_USERS, localUser, USERNAME_PATTERN } from './users.ts';

/** The command line of `npm run token`. */

export const TOKEN_USAGE = `Usage: npm run token -- --scope <${LOCAL_SCOPES.join('|')}> [--lender <lenderId>] [--client-id <id>] [--ttl <seconds>]
       npm run token -- --user <name> [--scope ... --lender ...] [--ttl <seconds>]

  --scope      lead, partner or finance (colend/lead ... also accepted); repeat for several
  --lender     the lender the client belongs to (required with --scope partner;
               with --scope finance it limits the team to that lender's data)
  --user       a person's token, issued to the console's client: one of the local users
               (${LOCAL_USERS.map((u) => u.username).join(', ')}), whose scope and lender are
               their own, or any other name with --scope (and --lender)
  --client-id  the client_id claim (default local-<scope>-<lender or platform>; local-console for a user)
  --ttl        lifetime in seconds (default 3600)`;

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseTokenArgs(argv: string[]): MintTokenOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        scope: { type: 'string', multiple: true },
        lender: { type: 'string' },
        'client-id': { type: 'string' },
        user: { type: 'string' },
        ttl: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const rawScopes = (values.scope ?? []).flatMap((scope) => scope.split(/[\s,]+/)).filter((scope) => scope !== '');
  const known = values.user === undefined ? undefined : knownUser(values.user, rawScopes, values.lender);
  if (known !== undefined) return { ...known, ...optional(values) };
  if (rawScopes.length === 0) throw new UsageError('Missing --scope (lead, partner or finance)');
  const scopes: LocalScope[] = [];
  for (const raw of rawScopes) {
    const scope = parseScope(raw);
    if (!scope) throw new UsageError(`--scope ${raw} is not one of lead, partner, finance (or colend/lead, colend/partner, colend/finance)`);
    if (!scopes.includes(scope)) scopes.push(scope);
  }
  if (values.lender !== undefined && values.lender.trim() === '') throw new UsageError('--lender needs a lender id');
  if (values.user !== undefined && scopes.length > 1) throw new UsageError(`--user ${values.user} takes one --scope: a person belongs to one group`);
  if (scopes.includes('partner') && values.lender === undefined) {
    throw new UsageError('--scope partner needs --lender <lenderId>: a partner token belongs to one lender');
  }
  return {
    scopes,
    ...(values.lender !== undefined ? { lenderId: values.lender } : {}),
    ...(values.user !== undefined ? { username: values.user } : {}),
    ...optional(values),
  };
}

function optional(values: { 'client-id'?: string; ttl?: string }): Pick<MintTokenOptions, 'clientId' | 'ttlSeconds'> {
  let ttlSeconds: number | undefined;
  if (values.ttl !== undefined) {
    ttlSeconds = Number(values.ttl);
    if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds <= 0) throw new UsageError(`--ttl ${values.ttl} is not a positive whole number of seconds`);
  }
  return {
    ...(values['client-id'] !== undefined ? { clientId: values['client-id'] } : {}),
    ...(ttlSeconds !== undefined ? { ttlSeconds } : {}),
  };
}

/**
 * A local user's token: the scope and lender are the user's own, as a user pool's group and
 * attribute decide them; a --scope or --lender that says otherwise is refused. Undefined for a
 * name that is not a local user (it then needs its --scope).
 */
function knownUser(username: string, rawScopes: readonly string[], lender: string | undefined): Pick<MintTokenOptions, 'scopes' | 'lenderId' | 'username'> | undefined {
  if (!USERNAME_PATTERN.test(username)) throw new UsageError(`--user ${username} is not a user name (letters, digits and ._@-, at most 128)`);
  const user = localUser(username);
  if (user === undefined) return undefined;
  const scopes = rawScopes.map((raw) => parseScope(raw) ?? raw);
  const own = `${user.scope} user${user.lenderId === undefined ? '' : ` of ${user.lenderId}`}`;
  if (scopes.some((scope) => scope !== user.scope) || (lender !== undefined && lender !== user.lenderId)) {
    throw new UsageError(`--user ${username} is a ${own}: leave --scope and --lender out, or name another user`);
  }
  return { scopes: [user.scope], username, ...(user.lenderId !== undefined ? { lenderId: user.lenderId } : {}) };
}

