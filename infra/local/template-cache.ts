import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { localCacheDir } from './local-cache.ts';
import type { CfnTemplate } from './template.ts';

/**
 * The synthesized template, kept between starts under a hash of every source it can depend on:
 * synthesis is most of a start's time, and a checkout that has not changed synthesizes the same
 * template. Any change to those sources (or to the installed packages) gives another key, and a
 * new synthesis.
 */

/** What the template is synthesized from: the CDK app and everything it imports, its packages and settings. */
export const TEMPLATE_SOURCE_DIRS = ['infra', 'functions', 'workflows', 'shared'] as const;
export const TEMPLATE_SOURCE_FILES = ['package.json', 'package-lock.json', 'cdk.json', 'tsconfig.json'] as const;
/** Pages beside the code: prose never reaches the template. */
const PROSE = /\.md$/;

function filesUnder(rootDir: string, dir: string): string[] {
  const absolute = join(rootDir, dir);
  if (!existsSync(absolute)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(absolute, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) found.push(...filesUnder(rootDir, path));
    else if (entry.isFile() && !PROSE.test(entry.name)) found.push(path);
  }
  return found;
}

/** The hash of every template source: names and bytes, in a fixed order, plus the Node version that synthesizes. */
export function templateSourcesHash(rootDir: string): string {
  const hash = createHash('sha256').update(`node ${process.version}\n`);
  const files = [...TEMPLATE_SOURCE_DIRS.flatMap((dir) => filesUnder(rootDir, dir)), ...TEMPLATE_SOURCE_FILES.filter((file) => existsSync(join(rootDir, file)))].sort();
  for (const file of files) {
    const bytes = readFileSync(join(rootDir, file));
    hash.update(`${file}\n${bytes.length}\n`).update(bytes);
  }
  return hash.digest('hex');
}

const PREFIX = 'template-';

export interface CachedTemplate {
  readonly template: CfnTemplate;
  /** Read from the cache (true) or synthesized now. */
  readonly cached: boolean;
  /** A start already checked this template's state machines against the ASL schema (`markValidated`). */
  readonly validated: boolean;
  readonly path: string;
}

const VALIDATED = '.validated';

/** Notes that the template at `path` passed the local stack's checks (its definitions are valid ASL). */
export async function markValidated(path: string): Promise<void> {
  await writeFile(`${path}${VALIDATED}`, '');
}

/** The template of these sources: from the cache when it was synthesized before, else synthesized and kept (older ones removed). */
export async function cachedTemplate(rootDir: string, synthesize: () => Promise<CfnTemplate>, cacheDir: string = localCacheDir(rootDir)): Promise<CachedTemplate> {
  const key = templateSourcesHash(rootDir).slice(0, 32);
  const path = join(cacheDir, `${PREFIX}${key}.json`);
  try {
    const template = JSON.parse(await readFile(path, 'utf8')) as CfnTemplate;
    return { template, cached: true, validated: existsSync(`${path}${VALIDATED}`), path };
  } catch {
    // Not synthesized yet for these sources (or a damaged copy): synthesize again.
  }
  const template = await synthesize();
  await mkdir(cacheDir, { recursive: true });
  const temporary = `${path}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(temporary, JSON.stringify(template));
  await rm(`${path}${VALIDATED}`, { force: true });
  await rename(temporary, path);
  for (const name of await readdir(cacheDir)) {
    const other = join(cacheDir, name);
    if (name.startsWith(PREFIX) && !name.startsWith(`${PREFIX}${key}`) && statSync(other).mtimeMs < Date.now() - 60_000) await rm(other, { force: true });
  }
  return { template, cached: false, validated: false, path };
}
