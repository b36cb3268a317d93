import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { CHROMIUM, chromiumAvailable, launchChromium } from '../helpers/chromium.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { item } from '../helpers/items.ts';
import { startServedApp } from '../helpers/served-app.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const available = chromiumAvailable;
const outputDir = fileURLToPath(new URL('../../test-output/', import.meta.url));
const root = makeTempDir();
let browser: Browser | undefined;

if (!available) console.warn(`browser test skipped: ${CHROMIUM} not found (apt-get install chromium; .ci/run does)`);

afterAll(async () => browser?.close());

describe.skipIf(!available)('home page in headless Chromium', () => {
  it('shows the stories and subscribe links, readable on a phone, and saves a screenshot', async () => {
    const served = await startServedApp(root);
    await served.save('jane', [
      item({ id: '1', title: 'The budget is a fiction', summary: '<p>Why the numbers lie.</p>' }),
      item({
        id: '2',
        title: 'A column with a very long unbroken word: Donaudampfschifffahrtsgesellschaftskapitänswitwe',
        published: new Date('2026-11-19T08:00:00Z'),
      }),
    ]);
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 375, height: 800 } });
    await page.goto(`${served.server.url}/`);
    expect(await page.title()).toBe('Test Columns');
    expect(await page.locator('article h2').allTextContents()).toEqual([
      'The budget is a fiction',
      'A column with a very long unbroken word: Donaudampfschifffahrtsgesellschaftskapitänswitwe',
    ]);
    const subscribe = await page
      .locator('nav[aria-label="Follow this site"] a')
      .evaluateAll((links: Array<{ textContent: string | null; getAttribute(name: string): string | null }>) =>
        links.map((link) => [link.textContent, link.getAttribute('href')]),
      );
    expect(subscribe).toEqual([
      ['RSS', 'https://columns.example.net/feed.xml'],
      ['Atom', 'https://columns.example.net/feed.atom'],
      ['JSON Feed', 'https://columns.example.net/feed.json'],
      ['OPML', 'https://columns.example.net/opml'],
    ]);
    // Evaluated in the page, where `document` exists; the test's own lib has no DOM types.
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    mkdirSync(outputDir, { recursive: true });
    await page.screenshot({ path: `${outputDir}home-375.png`, fullPage: true });
  });
});
