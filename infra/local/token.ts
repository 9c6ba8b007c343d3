import { mintToken } from './issuer.ts';
import { parseTokenArgs, TOKEN_USAGE, UsageError } from './token-args.ts';

/**
 * `npm run token -- --scope partner --lender BANK_A` prints an access token of the local
 * issuer, and nothing else, so it fits in `$(npm run -s token -- ...)`.
 */

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${TOKEN_USAGE}\n`);
    return 0;
  }
  try {
    process.stdout.write(`${await mintToken(parseTokenArgs(argv))}\n`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n\n${TOKEN_USAGE}\n`);
      return 2;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
