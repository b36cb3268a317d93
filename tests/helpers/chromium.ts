/** Debian's Chromium for the browser tests, launched headless the one way this machine allows. */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * Whether the browser tests run: Chromium is installed (`.ci/run` installs it; a developer may
 * not have), or this is CI (CI=true), where a missing Chromium fails them (launchChromium says
 * why) instead of skipping them.
 */
export const chromiumAvailable = existsSync(CHROMIUM) || process.env.CI === 'true';

/**
 * Starts headless Chromium. Without the background-networking flags it keeps trying to reach
 * Google's hosts, which this machine's closed network refuses.
 */
export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} not found: apt-get install chromium (.ci/run does); with CI=true the browser tests fail without it`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
