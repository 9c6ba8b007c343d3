/**
 * `colend`, the command line of finance and operations.
 *   npm run colend -- ledger verify [--endpoint <url>] [--ledger-table <name> --state-table <name>]
 *     Without --endpoint: the DynamoDB Local of the stack `npm start` runs in this checkout (its
 *     state file, .colend/local-stack.json), else AWS in AWS_REGION.
 *   Commands that call the API take --api, else COLEND_API_URL, else the running local stack's.
 *   npm run colend -- audit verify --date YYYY-MM-DD [--endpoint <url>] [--audit-table <name>]
 *     Recomputes every hash chain of the day's audit records (docs/audit.md) and names the first
 *     record that does not match; exit status 1 then.
 *   npm run colend -- profit <lenderId> --month YYYY-MM [--endpoint <url>] [--ledger-table <name> --state-table <name>]
 *     The lender's profit of the month, as GET /v1/lenders/{lenderId}/profit gives it, every page of it added up.
 *   npm run colend -- import-collections <file> [--api <url>] [--token <jwt>]
 *     Posts the lead's collection file (CSV or pipe-delimited, see docs/files.md) to the API;
 *     --api and --token default to COLEND_API_URL and COLEND_TOKEN.
 *   npm run colend -- calendar load <file.json> --calendar CN --year 2027 [--api <url>] [--token <jwt>]
 *     Loads a newly published year of a calendar (docs/calendar.md) as its next version.
 *   npm run colend -- calendar show CN [--year 2026] [--api <url>] [--token <jwt>]
 *     The years the calendar covers and where each comes from; with --year, that year's days.
 *   npm run colend -- simulate <scenario.json> [--out <folder>]
 *     Plays a co-lending story on an embedded local stack (docs/scenario.md) and writes every
 *     lender's files and summary.json to the folder (default simulation-out).
 *   npm run colend -- settle --date YYYY-MM-DD [--restart] [--api <url>] [--token <jwt>]
 *     Settles a business date (docs/settlement.md), waits for the run and prints its instructions and files.
 *   npm run colend -- profit-run --program <id> --period YYYY-MM|YYYY-Qn [--restart] [--api <url>] [--token <jwt>]
 *     Shares a program's profit of a period (docs/profit-sharing.md), waits for the run and prints each party's statement.
 *   npm run colend -- regulatory-report --date YYYY-MM-DD [--run [--restart]] [--format csv|xlsx [--out <file>]] [--api <url>] [--token <jwt>]
 *     Prints the regulatory report of a date (docs/regulatory-report.md); --run reports the date (again) first and
 *     waits; --format saves the export. Exit status 1 when a rule is broken or a bank has no figures in force.
 *   npm run colend -- reconcile <file> --type <type> --date YYYY-MM-DD [--lender <id>] [--bank-format <id>] [--api <url>] [--token <jwt>]
 *     Uploads a counterpart file, reconciles it (docs/reconciliation.md) and prints the report.
 *   npm run colend -- adjustment propose <adjustment.json> | adjustment approve|reject <adjustmentId> --reason <text> [--api <url>] [--token <jwt>]
 *   npm run colend -- break investigate|accept <breakId> [--reason <text>] [--owner <who>] [--api <url>] [--token <jwt>]
 *     A finance user's work on adjustments (maker-checker) and breaks (docs/reconciliation.md); the token says who.
 *   npm run colend -- replay <queue> [--dry-run] [--max N] [--queue-url <url>] [--stack <name>]
 *     Redrives the dead letters of a queue (PublishDeadLetters, WebhookDeadLetters, ScheduleDeadLetters,
 *     InvocationDeadLetters) to their targets, deleting each once redriven (docs/operations.md): the
 *     local stack's when `npm start` runs in this checkout, else the stack's queue in AWS_REGION.
 * Exit status: 0 when all is well, 1 when differences or refused lines were found, 2 on a usage error.
 */
import { parseArgs } from 'node:util';
import { verifyLedger } from './ledger-verify.ts';
import { formatAuditVerification, verifyAudit } from './audit-verify.ts';
import { formatImportReport, importCollections } from './import-collections.ts';
import { formatProfitReport, lenderProfitReport } from './profit.ts';
import { formatLoad, formatShow, loadCalendarFile, showCalendar } from './calendar.ts';
import { formatSettle, settle } from './settle.ts';
import { formatReconcile, reconcile } from './reconcile.ts';
import { runSimulation } from './simulate.ts';
import { formatProfitRun, profitRun } from './profit-run.ts';
import { formatRegulatoryReport, regulatoryReport, reportIsClean } from './regulatory-report.ts';
import { apiUrlOf, currentTarget, NO_API, NO_TOKEN, tableTarget } from './stack-target.ts';
import { actOnBreak, decideAdjustment, formatAdjustment, formatBreak, proposeAdjustmentFile } from './adjustments.ts';
import { formatReplay, replay, replayIsClean } from './replay.ts';
import { replayOn, type ReplayStack } from './replay-targets.ts';

const USAGE = [
  'usage: colend ledger verify [--endpoint <url>] [--ledger-table <name> --state-table <name>]',
  '       colend audit verify --date YYYY-MM-DD [--endpoint <url>] [--audit-table <name>]',
  '       colend profit <lenderId> --month YYYY-MM [--endpoint <url>] [--ledger-table <name> --state-table <name>]',
  '       colend import-collections <file> [--api <url>] [--token <jwt>]   (defaults: COLEND_API_URL, COLEND_TOKEN)',
  '       colend calendar load <file.json> --calendar <id> --year YYYY [--api <url>] [--token <jwt>]',
  '       colend calendar show <id> [--year YYYY] [--api <url>] [--token <jwt>]',
  '       colend settle --date YYYY-MM-DD [--restart] [--api <url>] [--token <jwt>]',
  '       colend simulate <scenario.json> [--out <folder>]',
  '       colend profit-run --program <id> --period YYYY-MM|YYYY-Qn [--restart] [--api <url>] [--token <jwt>]',
  '       colend regulatory-report --date YYYY-MM-DD [--run [--restart]] [--format csv|xlsx [--out <file>]] [--api <url>] [--token <jwt>]',
  '       colend reconcile <file> --type ESCROW_STATEMENT|PARTNER_REPAYMENTS|PARTNER_LOANS --date YYYY-MM-DD [--lender <id>] [--bank-format <id>] [--api <url>] [--token <jwt>]',
  '       colend adjustment propose <adjustment.json> [--api <url>] [--token <jwt>]',
  '       colend adjustment approve|reject <adjustmentId> --reason <text> [--api <url>] [--token <jwt>]',
  '       colend break investigate|accept <breakId> [--reason <text>] [--owner <who>] [--api <url>] [--token <jwt>]',
  '       colend replay PublishDeadLetters|WebhookDeadLetters|ScheduleDeadLetters|InvocationDeadLetters [--dry-run] [--max N] [--queue-url <url>] [--stack <name>]',
].join('\n');

const OPTIONS = {
  endpoint: { type: 'string' },
  'ledger-table': { type: 'string' },
  'state-table': { type: 'string' },
  'audit-table': { type: 'string' },
  api: { type: 'string' },
  token: { type: 'string' },
  month: { type: 'string' },
  calendar: { type: 'string' },
  year: { type: 'string' },
  date: { type: 'string' },
  restart: { type: 'boolean' },
  out: { type: 'string' },
  program: { type: 'string' },
  period: { type: 'string' },
  run: { type: 'boolean' },
  format: { type: 'string' },
  type: { type: 'string' },
  lender: { type: 'string' },
  'bank-format': { type: 'string' },
  reason: { type: 'string' },
  owner: { type: 'string' },
  'dry-run': { type: 'boolean' },
  max: { type: 'string' },
  'queue-url': { type: 'string' },
  stack: { type: 'string' },
} as const;

type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

/** A finance user's work on an adjustment or a break: `<noun> <verb> <id or file>`. */
type WorkCommand = 'adjustment propose' | 'adjustment approve' | 'adjustment reject' | 'break investigate' | 'break accept';
const WORK_COMMANDS: readonly WorkCommand[] = ['adjustment propose', 'adjustment approve', 'adjustment reject', 'break investigate', 'break accept'];

/** The options each command takes; any other is a usage error. */
type Command = 'ledger verify' | 'audit verify' | 'import-collections' | 'profit' | 'calendar load' | 'calendar show' | 'settle' | 'simulate' | 'profit-run' | 'regulatory-report' | 'reconcile' | 'replay' | WorkCommand;

/** The command a command line names, from its words (those before the file or id it takes); null when none. */
function commandOf(positionals: readonly string[]): Command | null {
  const words = positionals.join(' ');
  const [first, second] = positionals;
  const work = WORK_COMMANDS.find((c) => positionals.length === 3 && `${first} ${second}` === c);
  if (work !== undefined) return work;
  if (words === 'ledger verify' || words === 'audit verify' || words === 'settle' || words === 'profit-run' || words === 'regulatory-report') return words;
  if ((first === 'import-collections' || first === 'profit' || first === 'simulate' || first === 'reconcile' || first === 'replay') && positionals.length === 2) return first;
  if (first === 'calendar' && (second === 'load' || second === 'show') && positionals.length === 3) return `calendar ${second}`;
  return null;
}

const COMMAND_OPTIONS: Readonly<Record<Command, readonly (keyof typeof OPTIONS)[]>> = {
  'adjustment propose': ['api', 'token'],
  'adjustment approve': ['api', 'token', 'reason'],
  'adjustment reject': ['api', 'token', 'reason'],
  'break investigate': ['api', 'token', 'reason', 'owner'],
  'break accept': ['api', 'token', 'reason'],
  simulate: ['out'],
  settle: ['api', 'token', 'date', 'restart'],
  'profit-run': ['api', 'token', 'program', 'period', 'restart'],
  'regulatory-report': ['api', 'token', 'date', 'run', 'restart', 'format', 'out'],
  reconcile: ['api', 'token', 'type', 'date', 'lender', 'bank-format'],
  'ledger verify': ['endpoint', 'ledger-table', 'state-table'],
  'audit verify': ['endpoint', 'audit-table', 'date'],
  profit: ['endpoint', 'ledger-table', 'state-table', 'month'],
  'import-collections': ['api', 'token'],
  'calendar load': ['api', 'token', 'calendar', 'year'],
  'calendar show': ['api', 'token', 'year'],
  replay: ['dry-run', 'max', 'queue-url', 'stack'],
};

function usage(problem?: string): number {
  console.error(problem ? `${problem}\n${USAGE}` : USAGE);
  return 2;
}

async function main(argv: string[]): Promise<number> {
  let parsed: { positionals: string[]; values: Values };
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (error) {
    return usage(error instanceof Error ? error.message : String(error));
  }
  const { positionals, values } = parsed;
  const command = commandOf(positionals);
  if (command === null) return usage();
  const foreign = (Object.keys(values) as (keyof typeof OPTIONS)[]).filter((name) => !COMMAND_OPTIONS[command].includes(name));
  if (foreign.length > 0) return usage(`${command} does not take ${foreign.map((name) => `--${name}`).join(', ')}`);
  if (command === 'ledger verify') return ledgerVerify(values);
  if (command === 'audit verify') return auditVerify(values);
  if (command === 'profit') return profit(positionals[1] as string, values);
  if (command === 'calendar load') return calendarLoad(positionals[2] as string, values);
  if (command === 'calendar show') return calendarShow(positionals[2] as string, values);
  if (command === 'settle') return settleDate(values);
  if (command === 'simulate') return runSimulation(positionals[1] as string, values.out ?? 'simulation-out');
  if (command === 'profit-run') return shareProfit(values);
  if (command === 'regulatory-report') return reportDate(values);
  if (command === 'reconcile') return reconcileFile(positionals[1] as string, values);
  if (command === 'replay') return replayQueue(positionals[1] as string, values);
  const work = WORK_COMMANDS.find((c) => c === command);
  if (work !== undefined) return workOn(work, positionals[2] as string, values);
  return importCollectionFile(positionals[1] as string, values);
}

/** An adjustment proposed, approved or rejected, or a break investigated or accepted; 0 when the API took it. */
async function workOn(command: WorkCommand, target: string, values: Values): Promise<number> {
  const api = apiOptions(values);
  if (typeof api === 'string') return usage(api);
  if ((command === 'adjustment approve' || command === 'adjustment reject') && values.reason === undefined) return usage(`${command} needs --reason <text>`);
  const reason = values.reason ?? '';
  const answer =
    command === 'adjustment propose'
      ? await proposeAdjustmentFile({ ...api, file: target })
      : command === 'adjustment approve' || command === 'adjustment reject'
        ? await decideAdjustment({ ...api, adjustmentId: target, decision: command === 'adjustment approve' ? 'approval' : 'rejection', reason })
        : await actOnBreak({ ...api, breakId: target, action: command === 'break accept' ? 'ACCEPT' : 'INVESTIGATE', reason, ...(values.owner === undefined ? {} : { owner: values.owner }) });
  for (const line of command.startsWith('break') ? formatBreak(answer) : formatAdjustment(answer)) console.log(line);
  return answer.status === 200 || answer.status === 201 ? 0 : 1;
}

/** The API and token of a command that calls the API, or the usage problem. */
function apiOptions(values: Values): { apiUrl: string; token: string } | string {
  const apiUrl = apiUrlOf(values.api, currentTarget());
  const token = values.token ?? process.env.COLEND_TOKEN;
  if (!apiUrl) return NO_API;
  if (!token) return NO_TOKEN;
  return { apiUrl, token };
}

async function calendarLoad(file: string, values: Values): Promise<number> {
  if (values.calendar === undefined) return usage('--calendar <id> is required');
  if (values.year === undefined || !/^\d{4}$/.test(values.year)) return usage('--year YYYY is required');
  const api = apiOptions(values);
  if (typeof api === 'string') return usage(api);
  const answer = await loadCalendarFile({ ...api, file, calendar: values.calendar, year: Number(values.year) });
  for (const line of formatLoad(answer)) console.log(line);
  return answer.status === 201 ? 0 : 1;
}

async function calendarShow(calendar: string, values: Values): Promise<number> {
  if (values.year !== undefined && !/^\d{4}$/.test(values.year)) return usage('--year must be YYYY');
  const api = apiOptions(values);
  if (typeof api === 'string') return usage(api);
  const answer = await showCalendar({ ...api, calendar, ...(values.year === undefined ? {} : { year: Number(values.year) }) });
  for (const line of formatShow(answer)) console.log(line);
  return answer.status === 200 ? 0 : 1;
}

async function settleDate(values: Values): Promise<number> {
  if (values.date === undefined || !/^\d{4}-\d{2}-\d{2}$/.test(values.date)) return usage('--date YYYY-MM-DD is required');
  const api = apiOptions(values);
  if (typeof api === 'string') return usage(api);
  const answer = await settle({ ...api, businessDate: values.date, restart: values.restart === true });
  for (const line of formatSettle(values.date, answer)) console.log(line);
  return answer.view?.run.status === 'SETTLED' ? 0 : 1;
}

async function shareProfit(values: Values): Promise<number> {
  if (values.program === undefined) return usage('--program <id> is required');
  if (values.period === undefined || !/^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$/.test(values.period)) return usage('--period YYYY-MM or YYYY-Qn is required');
  const api = apiOptions(values);
  if (typeof api === 'string') return usage(api);
  const answer = await profitRun({ ...api, programId: values.program, period: values.period, restart: values.restart === true });
  for (const line of formatProfitRun(values.program, values.period, answer)) console.log(line);
  return answer.view?.run.status === 'DONE' ? 0 : 1;
}

async function reportDate(values: Values): Promise<number> {
  if (values.date === undefined || !/^\d{4}-\d{2}-\d{2}$/.test(values.date)) return usage('--date YYYY-MM-DD is required');
  if (values.format !== undefined && values.format !== 'csv' && values.format !== 'xlsx') return usage('--format is csv or xlsx');
  if (values.out !== undefined && values.format === undefined) return usage('--out goes with --format');
  if (values.restart === true && values.run !== true) return usage('--restart goes with --run');
  const api = apiOptions(values);
  if (typeof api === 'string') return usage(api);
  const answer = await regulatoryReport({
    ...api,
    businessDate: values.date,
    run: values.run === true,
    restart: values.restart === true,
    ...(values.format === undefined ? {} : { format: values.format }),
    ...(values.out === undefined ? {} : { out: values.out }),
  });
  for (const line of formatRegulatoryReport(values.date, answer)) console.log(line);
  return reportIsClean(answer) ? 0 : 1;
}

const RECONCILIATION_TYPES = ['ESCROW_STATEMENT', 'PARTNER_REPAYMENTS', 'PARTNER_LOANS'] as const;

async function reconcileFile(file: string, values: Values): Promise<number> {
  const type = RECONCILIATION_TYPES.find((t) => t === values.type);
  if (type === undefined) return usage(`--type is required: one of ${RECONCILIATION_TYPES.join(', ')}`);
  if (values.date === undefined || !/^\d{4}-\d{2}-\d{2}$/.test(values.date)) return usage('--date YYYY-MM-DD is required');
  const api = apiOptions(values);
  if (typeof api === 'string') return usage(api);
  const answer = await reconcile({
    ...api,
    file,
    type,
    businessDate: values.date,
    ...(values.lender === undefined ? {} : { lenderId: values.lender }),
    ...(values['bank-format'] === undefined ? {} : { bankFormat: values['bank-format'] }),
  });
  for (const line of formatReconcile(answer)) console.log(line);
  return answer.view?.status === 'REPORTED' ? 0 : 1;
}

/** Where the tables are: an endpoint (local credentials then), the running local stack's, or AWS; and their names, if given. */
function tableOptions(values: Values): { endpoint?: string; tables?: { ledger: string; state: string } } | string {
  const ledger = values['ledger-table'];
  const state = values['state-table'];
  if ((ledger === undefined) !== (state === undefined)) return '--ledger-table and --state-table go together';
  const target = tableTarget(values.endpoint, currentTarget());
  if (typeof target === 'string') return target;
  if (target.kind === 'endpoint') {
    if (target.from === 'local stack') console.error(`the local stack's DynamoDB Local: ${target.endpoint}`);
    process.env.AWS_REGION ??= 'us-east-1';
    process.env.AWS_ACCESS_KEY_ID ??= 'local';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  }
  return {
    ...(target.kind === 'endpoint' ? { endpoint: target.endpoint } : {}),
    ...(ledger !== undefined && state !== undefined ? { tables: { ledger, state } } : {}),
  };
}

async function profit(lenderId: string, values: Values): Promise<number> {
  if (values.month === undefined || !/^\d{4}-(0[1-9]|1[0-2])$/.test(values.month)) return usage('--month YYYY-MM is required');
  const where = tableOptions(values);
  if (typeof where === 'string') return usage(where);
  const report = await lenderProfitReport({ lenderId, month: values.month, ...where });
  for (const line of formatProfitReport(report)) console.log(line);
  return 0;
}

async function ledgerVerify(values: Values): Promise<number> {
  const where = tableOptions(values);
  if (typeof where === 'string') return usage(where);
  const report = await verifyLedger(where);
  console.log(`loans checked: ${report.loansChecked}, entries checked: ${report.entriesChecked}`);
  for (const d of report.differences) console.log(`DIFFERENCE ${d.kind} loan ${d.loanId}${d.lenderId ? ` lender ${d.lenderId}` : ''}${d.entryId ? ` entry ${d.entryId}` : ''}: ${d.detail}`);
  console.log(report.differenceCount === 0 ? 'BALANCED: every position equals its entries, every entry balances' : `${report.differenceCount} differences`);
  return report.differenceCount === 0 ? 0 : 1;
}

async function auditVerify(values: Values): Promise<number> {
  if (values.date === undefined || !/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/.test(values.date)) return usage('--date YYYY-MM-DD is required');
  const where = tableOptions(values);
  if (typeof where === 'string') return usage(where);
  const result = await verifyAudit({ date: values.date, ...(where.endpoint === undefined ? {} : { endpoint: where.endpoint }), ...(values['audit-table'] === undefined ? {} : { table: values['audit-table'] }) });
  for (const line of formatAuditVerification(result)) console.log(line);
  return result.firstBreak === null ? 0 : 1;
}

/** The stack's dead-letter queues, by construct id (docs/operations.md, Dead letters). */
const DEAD_LETTER_QUEUES = ['PublishDeadLetters', 'WebhookDeadLetters', 'ScheduleDeadLetters', 'InvocationDeadLetters'] as const;
/** A replay reads at most this many messages unless told otherwise. */
const DEFAULT_REPLAY_MAX = 100;

async function replayQueue(queue: string, values: Values): Promise<number> {
  if (!(DEAD_LETTER_QUEUES as readonly string[]).includes(queue)) return usage(`<queue> must be one of ${DEAD_LETTER_QUEUES.join(', ')}; got ${queue}`);
  const max = values.max === undefined ? DEFAULT_REPLAY_MAX : Number(values.max);
  if (!/^[1-9]\d{0,5}$/.test(values.max ?? '1') || !Number.isSafeInteger(max)) return usage(`--max must be a whole number from 1 to 999999; got ${values.max ?? ''}`);
  const target = currentTarget();
  const region = target.env.AWS_REGION || target.env.AWS_DEFAULT_REGION;
  let stack: ReplayStack;
  if (target.localStack !== null && values['queue-url'] === undefined) {
    const { baseUrl, localToken, sfnEndpoint, dynamodbEndpoint } = target.localStack;
    stack = { kind: 'local', baseUrl, localToken, sfnEndpoint, dynamodbEndpoint };
    console.error(`the local stack of this checkout: ${baseUrl}`);
  } else if (region) {
    // The app's stack id names its queues; loaded only here, as it brings the CDK with it.
    const stackName = values.stack ?? (await import('../app.ts')).STACK_ID;
    stack = { kind: 'aws', region, stackName, ...(values['queue-url'] !== undefined ? { queueUrl: values['queue-url'] } : {}) };
  } else {
    return usage('no queue to read: no local stack runs in this checkout (npm start) and no AWS region is set (AWS_REGION)');
  }
  const dryRun = values['dry-run'] === true;
  let clean = true;
  await replayOn(stack, queue, async (deadLetters, targets) => {
    const report = await replay(deadLetters, targets, { dryRun, max });
    console.log(formatReplay(report, dryRun));
    clean = replayIsClean(report);
  });
  return clean ? 0 : 1;
}

async function importCollectionFile(file: string, values: Values): Promise<number> {
  const api = apiOptions(values);
  if (typeof api === 'string') return usage(api);
  const report = await importCollections({ file, ...api });
  for (const line of formatImportReport(report)) console.log(line);
  return report.counts.refused === 0 && report.counts.invalid === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  },
);
