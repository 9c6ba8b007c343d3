import { afterEach, describe, expect, it, vi } from 'vitest';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe("the console tests' browser", () => {
  it('fails the browser tests, saying what to install, when Chromium is missing', async () => {
    vi.stubEnv('COLEND_CHROMIUM', '/nonexistent/chromium');
    const { missingBrowser } = await import('../../../../infra/local/browser.ts');
    expect(missingBrowser()).toBe('Chromium is missing at /nonexistent/chromium: install it with `apt-get install -y chromium fonts-wqy-zenhei` (as root; .ci/run does it in CI).');
    const { launchBrowser } = await import('../../../support/browser.ts');
    await expect(launchBrowser()).rejects.toThrow("The finance console's browser tests cannot run: Chromium is missing at /nonexistent/chromium");
  });
});
