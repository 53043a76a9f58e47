import { type BrowserContext, chromium } from 'playwright-core';

/** Debian's Chromium: the test run installs it (.ci/run); no browser download is possible here. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Headless Chromium for the report's browser test and the README screenshot. The background-networking
 * flags matter: this machine's network is closed, and Chromium would otherwise keep trying to reach out.
 */
export function launchChromium(userDataDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 900 },
  });
}
