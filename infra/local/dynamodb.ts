import { execFile, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { findFreePort, LOOPBACK } from './free-port.ts';
import { localCacheDir } from './local-cache.ts';

/**
 * DynamoDB Local: the official emulator (shipped by the `amplify-dynamodb-simulator` package),
 * so transactions, conditions and errors behave as in AWS. It runs on a Java 17+ runtime.
 */

export const MIN_JAVA_VERSION = 17;

export class JavaRuntimeError extends Error {
  override name = 'JavaRuntimeError';
}

export function javaInstallHint(found: string): string {
  return [
    `DynamoDB Local needs a Java ${MIN_JAVA_VERSION} or newer runtime; ${found}.`,
    'Install one, for example:',
    `  Debian/Ubuntu:  sudo apt-get install -y openjdk-${MIN_JAVA_VERSION}-jre-headless`,
    `  Fedora/RHEL:    sudo dnf install -y java-${MIN_JAVA_VERSION}-openjdk-headless`,
    `  macOS:          brew install openjdk@${MIN_JAVA_VERSION}`,
    `  Windows:        winget install Microsoft.OpenJDK.${MIN_JAVA_VERSION}`,
    `or put any Java ${MIN_JAVA_VERSION}+ on PATH (or point JAVA_HOME at it), then start again.`,
  ].join('\n');
}

/** The major version in `java -version` output: `"17.0.15"` → 17, `"1.8.0_401"` → 8. */
export function parseJavaMajorVersion(output: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?[^"]*"/.exec(output);
  if (!match) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first;
}

function javaCandidates(): string[] {
  const fromHome = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : undefined;
  return fromHome && existsSync(fromHome) ? [fromHome, 'java'] : ['java'];
}

/** The java executable to run DynamoDB Local with; throws JavaRuntimeError with install advice. */
export function requireJava(): { command: string; version: number } {
  let found = 'no `java` was found on PATH';
  for (const command of javaCandidates()) {
    const result = spawnSync(command, ['-version'], { encoding: 'utf8', timeout: 15_000 });
    if (result.error) continue;
    const version = parseJavaMajorVersion(`${result.stderr}\n${result.stdout}`);
    if (version !== undefined && version >= MIN_JAVA_VERSION) return { command, version };
    found = version === undefined ? `\`${command} -version\` did not report a version` : `${command} is Java ${version}`;
  }
  throw new JavaRuntimeError(javaInstallHint(found));
}

function emulatorDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('amplify-dynamodb-simulator')), 'emulator');
}

export interface DynamoDbLocalOptions {
  /** Persist tables to `<persistDir>/dynamodb`; in memory when absent. */
  persistDir?: string;
  log?: (line: string) => void;
  javaCommand?: string;
  readyTimeoutMs?: number;
  /**
   * A database that runs long (`npm start`, the benchmarks) compiles its hot paths fully and keeps
   * the JVM's default collector, whose pauses are short: after warming up it takes about 1.6 times
   * the transactions per second. A short-lived test database stops at the quick compiler and the
   * serial collector, and starts sooner.
   */
  longRunning?: boolean;
  /**
   * The loopback port to listen on, chosen before the JVM starts so that clients can be given the
   * endpoint while it starts (the local stack loads its handlers meanwhile). A free port is chosen
   * when absent.
   */
  port?: number;
}

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  /** The process group that holds the JVM. */
  readonly pid: number;
  stop(): Promise<void>;
}

/** DynamoDB Local while its JVM starts: the endpoint it will answer on is known at once. */
export interface DynamoDbLaunch {
  readonly endpoint: string;
  readonly port: number;
  /** Resolves once DynamoDB Local answers; rejects when its JVM exits first or does not answer in time. */
  readonly ready: Promise<DynamoDbLocal>;
  /** Ends the JVM, whether it answers yet or not. Safe to call twice. */
  stop(): Promise<void>;
}

/** The port DynamoDB Local was to listen on was taken by another program before its JVM bound it. */
export class PortTakenError extends Error {
  override name = 'PortTakenError';
}

/*
 * The JVM runs under a small shell that holds our stdin: when this process closes it, or dies
 * in any way, the shell sees end of file and stops the JVM, so no emulator outlives us.
 * `wait` returns when the JVM exits by itself, so a crash is seen here too.
 */
const WATCHDOG = [
  'exec 3<&0',
  '"$0" "$@" & jvm=$!',
  '( cat <&3 >/dev/null 2>&1; kill "$jvm" 2>/dev/null ) &',
  'wait "$jvm"',
].join('\n');

/** The main class that binds DynamoDB Local to the loopback interface (its own binds every interface). */
const LAUNCHER_SOURCE = fileURLToPath(new URL('./java/LoopbackDynamoDbLocal.java', import.meta.url));
const LAUNCHER_CLASS = 'LoopbackDynamoDbLocal';
/** Browsers may not call DynamoDB Local from any page (its default is every origin). */
export const DYNAMODB_CORS_ORIGINS = 'http://127.0.0.1';

/** How the JVM starts DynamoDB Local: the loopback main class on a class path, or the emulator's own jar. */
export type Launcher = { kind: 'loopback'; classPath: string } | { kind: 'jar'; reason: string };

/**
 * The loopback main class, compiled once per source and emulator into the checkout's cache by the
 * runtime's own compiler (`jdk.compiler`); a runtime without one gets the emulator's own main
 * class, which listens on every interface, and the reason.
 */
export async function loopbackLauncher(javaCommand: string): Promise<Launcher> {
  const dir = emulatorDir();
  const jar = join(dir, 'DynamoDBLocal.jar');
  const key = createHash('sha256').update(readFileSync(LAUNCHER_SOURCE)).update(jar).update(javaCommand).digest('hex').slice(0, 16);
  const classes = join(localCacheDir(), `dynamodb-launcher-${key}`);
  if (!existsSync(join(classes, `${LAUNCHER_CLASS}.class`))) {
    const building = `${classes}.${process.pid}.${randomUUID()}.tmp`;
    await mkdir(building, { recursive: true });
    try {
      await promisify(execFile)(javaCommand, ['-m', 'jdk.compiler/com.sun.tools.javac.Main', '-nowarn', '-d', building, '-cp', `${jar}${delimiter}${join(dir, 'DynamoDBLocal_lib', '*')}`, LAUNCHER_SOURCE], { timeout: 120_000 });
      await rename(building, classes).catch(async (error: unknown) => {
        // Another start compiled the same class first: keep its copy.
        if (!existsSync(join(classes, `${LAUNCHER_CLASS}.class`))) throw error;
      });
    } catch (error) {
      const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
      return { kind: 'jar', reason: `this Java cannot compile the loopback launcher (${message}); install a full JDK ${MIN_JAVA_VERSION}+ to keep DynamoDB Local off the network` };
    } finally {
      await rm(building, { recursive: true, force: true });
    }
  }
  return { kind: 'loopback', classPath: `${classes}${delimiter}${jar}` };
}

export function javaArgs(port: number, dbPath: string | undefined, longRunning: boolean, launcher: Launcher): string[] {
  const dir = emulatorDir();
  return [
    ...(longRunning ? [] : ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC']),
    '-Xshare:auto',
    `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
    ...(launcher.kind === 'loopback' ? [`-Dcolend.dynamodb.host=${LOOPBACK}`, '-cp', launcher.classPath, LAUNCHER_CLASS] : ['-jar', join(dir, 'DynamoDBLocal.jar')]),
    '-port',
    String(port),
    '-sharedDb',
    '-disableTelemetry',
    '-cors',
    DYNAMODB_CORS_ORIGINS,
    ...(dbPath ? ['-dbPath', dbPath] : ['-inMemory']),
  ];
}

function spawnEmulator(javaCommand: string, args: string[], cwd: string): ChildProcess {
  if (process.platform === 'win32') {
    return spawn(javaCommand, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  }
  return spawn('sh', ['-c', WATCHDOG, javaCommand, ...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
}

/** Whether DynamoDB answers on `endpoint`: a reply with its request id, not any program's that holds the port. */
async function answers(endpoint: string, timeoutMs = 2_000): Promise<boolean> {
  try {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.ListTables' },
      body: '{}',
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer();
    return response.headers.has('x-amzn-requestid');
  } catch {
    return false;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Emulator {
  readonly child: ChildProcess;
  readonly exit: Promise<number | null>;
  exited(): boolean;
  output(): string;
  stop(): Promise<void>;
}

function runEmulator(javaCommand: string, args: string[], cwd: string): Emulator {
  const child = spawnEmulator(javaCommand, args, cwd);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let exited = false;
  const exit = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      exited = true;
      child.stdin?.end();
      resolve(code);
    });
  });
  child.once('error', (error) => (output += String(error)));
  return {
    child,
    exit,
    exited: () => exited,
    output: () => output,
    stop: async () => {
      child.stdin?.end();
      if (!exited) {
        const timer = setTimeout(() => killGroup(child), 5_000);
        await exit;
        clearTimeout(timer);
      }
    },
  };
}

/** Waits until the emulator answers on `endpoint`: 'answers', or 'port-taken' when it could not bind the port. */
async function answersOrExits(emulator: Emulator, endpoint: string, timeoutMs: number): Promise<'answers' | 'port-taken'> {
  const deadline = Date.now() + timeoutMs;
  while (!emulator.exited()) {
    if (await answers(endpoint)) return 'answers';
    // A poll can time out only because this process was busy (a synthesis, the handlers' imports
    // run meanwhile): one unhurried look before giving up.
    if (Date.now() > deadline) {
      if (await answers(endpoint, 10_000)) return 'answers';
      await emulator.stop();
      throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms\n${emulator.output()}`);
    }
    await sleep(50);
  }
  if (/BindException|Address already in use/i.test(emulator.output())) return 'port-taken';
  throw new Error(`DynamoDB Local exited before it was ready:\n${emulator.output()}`);
}

/** How often, and how far apart, a JVM that found its port taken is started again on the same port. */
const BIND_ATTEMPTS = 3;
const BIND_RETRY_MS = 250;

/**
 * Starts DynamoDB Local's JVM on a loopback port and returns at once with its endpoint; `ready`
 * says when it answers. A port found taken when the JVM binds it is tried again a moment later
 * (another program's probe for a free port holds one for an instant), then PortTakenError.
 */
export async function launchDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLaunch> {
  const javaCommand = options.javaCommand ?? requireJava().command;
  const dbPath = options.persistDir ? join(options.persistDir, 'dynamodb') : undefined;
  if (dbPath) mkdirSync(dbPath, { recursive: true });
  const launcher = await loopbackLauncher(javaCommand);
  if (launcher.kind === 'jar') options.log?.(`warning: DynamoDB Local listens on every interface: ${launcher.reason}`);
  const port = options.port ?? (await findFreePort());
  const endpoint = `http://${LOOPBACK}:${port}`;
  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  const start = (): Emulator => runEmulator(javaCommand, javaArgs(port, dbPath, options.longRunning ?? false, launcher), dbPath ?? tmpdir());
  let emulator = start();
  let stopping = false;
  const stop = async (): Promise<void> => {
    stopping = true;
    await emulator.stop();
  };

  const ready = (async (): Promise<DynamoDbLocal> => {
    for (let attempt = 1; ; attempt += 1) {
      const outcome = await answersOrExits(emulator, endpoint, timeoutMs);
      if (outcome === 'answers') break;
      if (stopping) throw new Error(`DynamoDB Local was stopped before it answered on ${endpoint}`);
      if (attempt === BIND_ATTEMPTS) throw new PortTakenError(`DynamoDB Local could not listen on ${endpoint}: another program holds the port`);
      await sleep(BIND_RETRY_MS);
      if (stopping) throw new Error(`DynamoDB Local was stopped before it answered on ${endpoint}`);
      emulator = start();
    }
    const running = emulator;
    void running.exit.then(() => {
      if (!stopping) options.log?.(`DynamoDB Local stopped unexpectedly:\n${running.output().slice(-2_000)}`);
    });
    return { endpoint, port, pid: running.child.pid ?? -1, stop };
  })();
  // Awaited by the caller when it needs the database; a failure meanwhile is not an unhandled one.
  ready.catch(() => undefined);
  return { endpoint, port, ready, stop };
}

function killGroup(child: ChildProcess): void {
  try {
    if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, 'SIGKILL');
    else child.kill('SIGKILL');
  } catch {
    // Already gone.
  }
}

/**
 * Starts DynamoDB Local on the loopback interface, and only there, and waits until it answers: on
 * `port` when given, else on a free port (another one when a program takes it first).
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  for (let attempt = 1; ; attempt += 1) {
    const launch = await launchDynamoDbLocal(options);
    try {
      return await launch.ready;
    } catch (error) {
      if (!(error instanceof PortTakenError) || options.port !== undefined || attempt === 3) throw error;
    }
  }
}
