import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * Whether Debian's Chromium is here. Missing on a laptop: the test skips and
 * says why. Missing in CI: it fails, so a broken CI image cannot pass by skipping.
 */
export function requireChromium(t: TestContext): boolean {
  if (existsSync(CHROMIUM)) return true;
  const reason = `${CHROMIUM} not found: install Debian's chromium (apt-get install chromium) to run the dashboard browser tests`;
  if (process.env.CI === 'true') throw new Error(reason);
  t.skip(reason);
  return false;
}

/** Debian's Chromium driven by playwright-core (never a browser downloaded by playwright). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}
