import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * The browser the finance console's tests drive: Debian's `chromium` package, with a Chinese font
 * so its labels render. The console itself works in any browser; `npm start` only says what the
 * tests would need, and `.ci/run` installs it.
 */

export const CHROMIUM = process.env.COLEND_CHROMIUM ?? '/usr/bin/chromium';
export const BROWSER_INSTALL = 'apt-get install -y chromium fonts-wqy-zenhei';

/** What is missing to test the console in a browser here, or null when nothing is. */
export function missingBrowser(): string | null {
  if (!existsSync(CHROMIUM)) return `Chromium is missing at ${CHROMIUM}: install it with \`${BROWSER_INSTALL}\` (as root; .ci/run does it in CI).`;
  const fonts = spawnSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' });
  if (fonts.status !== 0 || fonts.stdout.trim() === '') return `No Chinese font is installed to render the console's labels: install one with \`${BROWSER_INSTALL}\`.`;
  return null;
}
