import { parseArgs } from 'node:util';
import { LOCAL_SCOPES, parseScope } from './issuer.ts';
import type { LocalScope, MintTokenOptions } from './issuer.ts';

/** The command line of `npm run token`. */

export const TOKEN_USAGE = `Usage: npm run token -- --scope <${LOCAL_SCOPES.join('|')}> [--lender <lenderId>] [--client-id <id>] [--ttl <seconds>]

  --scope      lead, partner or finance (colend/lead ... also accepted); repeat for several
  --lender     the lender the client belongs to (required with --scope partner;
               with --scope finance it limits the team to that lender's data)
  --client-id  the client_id claim (default local-<scope>-<lender or platform>)
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
        ttl: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const rawScopes = (values.scope ?? []).flatMap((scope) => scope.split(/[\s,]+/)).filter((scope) => scope !== '');
  if (rawScopes.length === 0) throw new UsageError('Missing --scope (lead, partner or finance)');
  const scopes: LocalScope[] = [];
  for (const raw of rawScopes) {
    const scope = parseScope(raw);
    if (!scope) throw new UsageError(`--scope ${raw} is not one of lead, partner, finance (or colend/lead, colend/partner, colend/finance)`);
    if (!scopes.includes(scope)) scopes.push(scope);
  }
  if (values.lender !== undefined && values.lender.trim() === '') throw new UsageError('--lender needs a lender id');
  if (scopes.includes('partner') && values.lender === undefined) {
    throw new UsageError('--scope partner needs --lender <lenderId>: a partner token belongs to one lender');
  }
  let ttlSeconds: number | undefined;
  if (values.ttl !== undefined) {
    ttlSeconds = Number(values.ttl);
    if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds <= 0) throw new UsageError(`--ttl ${values.ttl} is not a positive whole number of seconds`);
  }
  return {
    scopes,
    ...(values.lender !== undefined ? { lenderId: values.lender } : {}),
    ...(values['client-id'] !== undefined ? { clientId: values['client-id'] } : {}),
    ...(ttlSeconds !== undefined ? { ttlSeconds } : {}),
  };
}

