import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * The headless browser of the console's tests and bench: Debian's `chromium` package driven by
 * playwright-core, with a CJK font so the Chinese labels render. CI installs both (`.ci/run`);
 * on a machine without them the tests fail and say what to install, they are never skipped.
 */

export const CHROMIUM = process.env.COLEND_CHROMIUM ?? '/usr/bin/chromium';
export const INSTALL_HINT = 'apt-get install -y chromium fonts-wqy-zenhei';

/** Why the console cannot be tested in a browser here, or null when it can. */
export function missingBrowser(): string | null {
  if (!existsSync(CHROMIUM)) return `The console's browser tests need Chromium at ${CHROMIUM}, which is missing: install it with \`${INSTALL_HINT}\` (as root; .ci/run does it in CI).`;
  const fonts = spawnSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' });
  if (fonts.status !== 0 || fonts.stdout.trim() === '') return `The console's browser tests need a Chinese font to render its labels, and none is installed: install one with \`${INSTALL_HINT}\`.`;
  return null;
}

export async function launchBrowser(): Promise<Browser> {
  const missing = missingBrowser();
  if (missing !== null) throw new Error(missing);
  // Chromium refuses its sandbox as root (and in many containers); the tests load only the local stack's own page.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/** Waits until the console has rendered the view of a date (`<body data-state="ready" data-date>`). */
export async function viewOf(page: Page, date: string, timeoutMs = 30_000): Promise<void> {
  await page.waitForSelector(`body[data-state="ready"][data-date="${date}"]`, { timeout: timeoutMs });
}
