import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { JavaRuntimeError, launchDynamoDbLocal, requireJava } from './dynamodb.ts';
import type { DynamoDbLaunch } from './dynamodb.ts';
import { parseDynamoDbFaults, type DynamoDbFaults } from './dynamodb-faults.ts';
import { readLocalStackState, StackAlreadyRunningError, stateFilePath } from './state-file.ts';
import type { LocalStack, SeedContext } from './stack.ts';

/**
 * `npm start`: the whole system on this machine, no AWS account needed, with the demo data and
 * the demo story (`scenarios/demo.json`, docs/scenario.md) written in the background once the
 * stack is up.
 *   PORT=3000 (default) sets the API port; `--persist <dir>` keeps DynamoDB data in <dir>, and
 *   resumes the reviews and disbursements that were waiting for an answer;
 *   `--no-story` starts without playing the story; `--no-demo` without the demo data or the story
 *   (an empty stack, for data of one's own); `--clock <ISO instant>` starts the stack's clock
 *   at that instant (every start with it starts there again, so a stack restarted on persisted
 *   data sees the same business date); `--dynamodb-faults seed=7,throttle=0.05,conflict=0.05,race=0.05`
 *   injects DynamoDB's faults into the handlers' calls (docs/testing.md, "Fault injection").
 *
 * DynamoDB Local's JVM is the slowest part to start, so it is launched first, from the few
 * modules imported above; the stack, its handlers and the story load while it starts
 * (infra/local/README.md, "Time to ready").
 */

const log = (line: string): void => console.log(`[local] ${line}`);

interface DemoModule {
  seedDemo?: (ctx: SeedContext) => Promise<void>;
  DEMO_CLOCK_START?: string;
}

/** The demo data of `./demo.ts` and the instant its clock starts, when that module exists. */
async function demo(): Promise<{ seed: (ctx: SeedContext) => Promise<void>; clockStart: string | undefined } | undefined> {
  const url = new URL('./demo.ts', import.meta.url);
  if (!existsSync(fileURLToPath(url))) return undefined;
  const module = (await import(url.href)) as DemoModule;
  if (typeof module.seedDemo !== 'function') throw new Error('infra/local/demo.ts does not export seedDemo(ctx)');
  return { seed: module.seedDemo, clockStart: module.DEMO_CLOCK_START };
}

function usage(message: string): never {
  console.error(`${message}\nUsage: npm start [-- --persist <dir>] [-- --no-story | --no-demo] [-- --machine-clock | --clock <ISO instant>] [-- --dynamodb-faults seed=<n>,throttle=<p>,conflict=<p>,race=<p>]   (PORT sets the API port, default 3000)`);
  process.exit(2);
}

function parsePort(value: string | undefined): number {
  if (value === undefined || value === '') return 3000;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) usage(`PORT=${value} is not a port number`);
  return port;
}

/** What `npm start` loads while DynamoDB Local starts. */
async function loadStack() {
  const [stack, simulator, browser, users, consoleSite, issuer] = await Promise.all([
    import('./stack.ts'),
    import('./simulator.ts'),
    import('./browser.ts'),
    import('./users.ts'),
    import('./console-site.ts'),
    import('./issuer.ts'),
  ]);
  return {
    startLocalStack: stack.startLocalStack,
    simulate: simulator.simulate,
    missingBrowser: browser.missingBrowser,
    localUsers: users.LOCAL_USERS,
    consoleUrl: consoleSite.consoleUrl,
    issuerKeyPath: issuer.issuerKeyPath,
  };
}

type Loaded = Awaited<ReturnType<typeof loadStack>>;

function banner(loaded: Loaded, stack: LocalStack, persistDir: string | undefined, clockStart: string | undefined, given: boolean): string {
  const clock =
    clockStart === undefined
      ? "the machine's"
      : `${given ? 'from --clock' : "the demo's"}: from ${clockStart} on (business date ${clockStart.slice(0, 10)}); --machine-clock for the machine's`;
  return [
    '',
    `Colend is running at ${stack.baseUrl}  (ready ${stack.startupMs} ms after the command started)`,
    `  API:             ${stack.baseUrl}/v1/...   health: ${stack.baseUrl}/health`,
    `  DynamoDB Local:  ${stack.dynamodbEndpoint}${persistDir ? `  (data kept in ${persistDir})` : '  (in memory)'}`,
    `  Step Functions:  ${stack.sfnEndpoint}`,
    `  EventBridge:     ${stack.eventsEndpoint}   events put so far: ${stack.baseUrl}/local/events`,
    `  Files:           ${stack.filesDir}   (settlement files: statements/{lenderId}/{YYYYMMDD}/)`,
    `  Console:         ${loaded.consoleUrl(stack.baseUrl, stack.localToken)}`,
    `                   (this link signs the browser in to the local sign-in; then pick ${loaded.localUsers.map((u) => u.username).join(', ')})`,
    `  Clock:           ${clock}`,
    `  State file:      ${stateFilePath()}   (where \`npm run colend\` finds this stack; /local/* endpoints take its localToken)`,
    '',
    'Access tokens (signed by the local issuer, key in ' + loaded.issuerKeyPath() + '):',
    '  npm run -s token -- --scope lead',
    '  npm run -s token -- --scope partner --lender <lenderId>',
    '  npm run -s token -- --scope finance [--lender <lenderId>]',
    '  npm run -s token -- --user fin.wang          (a local user: the console\'s users)',
    'For example:',
    `  curl -H "Authorization: Bearer $(npm run -s token -- --scope lead)" ${stack.baseUrl}/v1/lenders`,
    '',
    'Ctrl-C stops everything.',
  ].join('\n');
}

/**
 * Plays the demo story on the running stack: its files appear in the files folder day by day, and
 * `summary.json` beside them at the end. The stack's clock runs on the story's dates meanwhile and
 * returns to the machine's at the end. A story already played (persisted data) is not played again.
 */
async function playStory(simulate: Loaded['simulate'], stack: LocalStack, stopping: () => boolean): Promise<void> {
  const summaryPath = join(stack.filesDir, 'summary.json');
  if (existsSync(summaryPath)) {
    log(`the demo story was played before: ${summaryPath}`);
    return;
  }
  const story = JSON.parse(await readFile(new URL('./scenarios/demo.json', import.meta.url), 'utf8')) as unknown;
  log(`playing the demo story (docs/scenario.md): its files appear in ${join(stack.filesDir, 'statements')} as each day is settled`);
  try {
    const summary = await simulate(story, { out: stack.filesDir, stack, copyFiles: false, log: (line) => log(`story ${line}`) });
    const declined = summary.applications.filter((a) => a.status !== 'BOOKED').length;
    log(
      `demo story played: ${summary.loansBooked} loans (${summary.applications.length - declined} of ${summary.applications.length} applications booked), ${summary.repaymentsBooked} repayments, ` +
        `${summary.losses.length} compensations and write-offs, ${summary.settledDates.length} business dates settled; ${summaryPath}`,
    );
  } catch (error) {
    if (!stopping()) log(`the demo story stopped: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * The demo data (`demo.ts`), written through the API right after the stack is ready, then the
 * story: one after the other, since the story moves the stack's clock.
 */
async function writeDemo(
  loaded: Loaded,
  stack: LocalStack,
  seed: ((ctx: SeedContext) => Promise<void>) | undefined,
  story: boolean,
  stopping: () => boolean,
): Promise<void> {
  if (seed !== undefined) {
    const started = performance.now();
    try {
      await seed({ baseUrl: stack.baseUrl, mintToken: stack.mintToken });
      log(`demo data written in ${Math.round(performance.now() - started)} ms (${Math.round(performance.now())} ms after the command started)`);
    } catch (error) {
      if (!stopping()) log(`the demo data could not be written: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (story && !stopping()) await playStory(loaded.simulate, stack, stopping);
}

function fail(error: unknown): never {
  if (error instanceof JavaRuntimeError || error instanceof StackAlreadyRunningError) console.error(error.message);
  else console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({ options: { persist: { type: 'string' }, 'no-story': { type: 'boolean' }, 'no-demo': { type: 'boolean' }, 'machine-clock': { type: 'boolean' }, clock: { type: 'string' }, 'dynamodb-faults': { type: 'string' } }, strict: true, allowPositionals: false }));
  } catch (error) {
    usage(error instanceof Error ? error.message : String(error));
  }
  if (values.clock !== undefined && values['machine-clock'] === true) usage('--clock and --machine-clock exclude each other');
  if (values.clock !== undefined && Number.isNaN(Date.parse(values.clock))) usage(`--clock ${values.clock} is not an ISO instant (e.g. 2026-12-01T15:30:00Z)`);
  let dynamoDbFaults: DynamoDbFaults | undefined;
  try {
    dynamoDbFaults = values['dynamodb-faults'] !== undefined ? parseDynamoDbFaults(values['dynamodb-faults']) : undefined;
  } catch (error) {
    usage(error instanceof Error ? error.message : String(error));
  }
  const persistDir = values.persist !== undefined ? resolve(values.persist) : undefined;
  const port = parsePort(process.env.PORT);

  // 1. Java, and no other stack of this checkout running, before anything starts; then the JVM.
  let launch: DynamoDbLaunch;
  try {
    const java = requireJava();
    const running = readLocalStackState();
    if (running !== null) throw new StackAlreadyRunningError(running, stateFilePath());
    launch = await launchDynamoDbLocal({ persistDir, log, javaCommand: java.command, longRunning: true });
  } catch (error) {
    fail(error);
  }
  log(`DynamoDB Local starting on ${launch.endpoint} (${Math.round(performance.now())} ms)`);

  // 2. The rest of the stack, loaded and started while the JVM starts.
  let loaded: Loaded;
  let data: Awaited<ReturnType<typeof demo>>;
  let clockStart: string | undefined;
  let stack: LocalStack;
  try {
    [loaded, data] = await Promise.all([loadStack(), demo()]);
    log(`modules loaded (${Math.round(performance.now())} ms)`);
    // Without the demo, the demo's clock means nothing: the machine's, unless --clock names one.
    clockStart = values.clock ?? (values['machine-clock'] === true || values['no-demo'] === true ? undefined : data?.clockStart);
    stack = await loaded.startLocalStack({ port, persistDir, log, clockStart, longRunning: true, stateFile: true, dynamoDb: launch, startedAt: 0, dynamoDbFaults });
  } catch (error) {
    await launch.stop();
    fail(error);
  }
  console.log(banner(loaded, stack, persistDir, clockStart, values.clock !== undefined));
  let stopping = false;
  if (values['no-demo'] !== true) void writeDemo(loaded, stack, data?.seed, values['no-story'] !== true, () => stopping);
  const browser = loaded.missingBrowser();
  if (browser !== null) log(`the console works in any browser; its tests in npm test need Chromium and a Chinese font. ${browser}`);

  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    stack.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

await main();
