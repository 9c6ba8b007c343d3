/**
 * `colend`, the command line of finance and operations.
 *   npm run colend -- ledger verify [--endpoint <url>] [--ledger-table <name> --state-table <name>]
 * Under `npm start`, pass the DynamoDB Local endpoint the banner prints.
 */
import { parseArgs } from 'node:util';
import { verifyLedger } from './ledger-verify.ts';

const USAGE = 'usage: colend ledger verify [--endpoint <url>] [--ledger-table <name> --state-table <name>]';

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { endpoint: { type: 'string' }, 'ledger-table': { type: 'string' }, 'state-table': { type: 'string' } },
  });
  if (positionals.join(' ') !== 'ledger verify') {
    console.error(USAGE);
    return 2;
  }
  const ledger = values['ledger-table'];
  const state = values['state-table'];
  if ((ledger === undefined) !== (state === undefined)) {
    console.error(`--ledger-table and --state-table go together\n${USAGE}`);
    return 2;
  }
  if (values.endpoint !== undefined) {
    process.env.AWS_REGION ??= 'us-east-1';
    process.env.AWS_ACCESS_KEY_ID ??= 'local';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  }
  const report = await verifyLedger({
    ...(values.endpoint !== undefined ? { endpoint: values.endpoint } : {}),
    ...(ledger !== undefined && state !== undefined ? { tables: { ledger, state } } : {}),
  });
  console.log(`loans checked: ${report.loansChecked}, entries checked: ${report.entriesChecked}`);
  for (const d of report.differences) console.log(`DIFFERENCE ${d.kind} loan ${d.loanId}${d.lenderId ? ` lender ${d.lenderId}` : ''}${d.entryId ? ` entry ${d.entryId}` : ''}: ${d.detail}`);
  console.log(report.differenceCount === 0 ? 'BALANCED: every position equals its entries, every entry balances' : `${report.differenceCount} differences`);
  return report.differenceCount === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  },
);
