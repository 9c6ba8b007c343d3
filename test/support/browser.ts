import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM, missingBrowser } from '../../infra/local/browser.ts';

/**
 * The headless browser of the console's tests and bench (infra/local/browser.ts): on a machine
 * without Chromium or a Chinese font they fail and say what to install, they are never skipped.
 */
export async function launchBrowser(): Promise<Browser> {
  const missing = missingBrowser();
  if (missing !== null) throw new Error(`The finance console's browser tests cannot run: ${missing}`);
  // Chromium refuses its sandbox as root (and in many containers); the tests load only the local stack's own page.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/** Waits until the console has rendered the view of a date (`<body data-state="ready" data-date>`). */
export async function viewOf(page: Page, date: string, timeoutMs = 30_000): Promise<void> {
  await page.waitForSelector(`body[data-state="ready"][data-date="${date}"]`, { timeout: timeoutMs });
}
