/**
 * Issue 13: a reader walks the site in headless Chromium (Debian's, through playwright-core):
 * home → a columnist → their feed → search → a story's card, at 375 px and 1280 px. On every
 * page type axe-core, run inside the page, finds no serious or critical violation, nothing
 * scrolls sideways, and keyboard focus is visible. Screenshots go to docs/ for README.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from '../helpers/chromium.ts';
import { item } from '../helpers/items.ts';
import { SERVED_AT, startServedApp } from '../helpers/served-app.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const docsDir = fileURLToPath(new URL('../../docs/', import.meta.url));
const root = makeTempDir();
let browser: Browser | undefined;

afterAll(async () => browser?.close());

const CONFIG = `title: Columnists Digest
baseUrl: http://127.0.0.1
server:
  port: 0
columnists:
  - name: Jane Doe
    aliases: [J. Doe]
    bio: Writes on budgets and the people they leave out.
    feeds: [jane]
feeds:
  - url: https://times.example.com/jane/rss
    id: jane
    title: Jane Doe
    outlet: The Times
    tags: [politics, uk]
  - url: https://herald.example.com/opinion/rss
    id: herald
    outlet: The Herald
    tags: [politics]
`;

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

/** axe-core's serious and critical violations on the page as loaded. */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate<AxeViolation[]>('axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations)');
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
    );
}

/** Checks the page as a reader at this width would meet it. */
async function checkPage(page: Page, label: string): Promise<void> {
  expect(await seriousViolations(page), `${label}: axe`).toEqual([]);
  const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
  expect(overflow, `${label}: nothing scrolls sideways`).toBeLessThanOrEqual(0);
}

/** A port nothing listens on now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe.skipIf(!chromiumAvailable)('a reader walking the site in Chromium', () => {
  it('goes home → columnist → feed → search → story card, accessible and readable at 375 and 1280 px', { timeout: 120_000 }, async () => {
    // baseUrl must be where the browser finds the site: a free port, chosen first.
    const port = await freePort();
    const site = await startServedApp(
      root,
      CONFIG.replace('baseUrl: http://127.0.0.1', `baseUrl: http://127.0.0.1:${port}`).replace('port: 0', `port: ${port}`),
    );
    const hoursAgo = (hours: number) => new Date(SERVED_AT.getTime() - hours * 3600_000);
    await site.save('jane', [
      item({
        id: 'j1',
        title: 'The budget is a fiction',
        summary: '<p>Why the numbers lie, and who pays for it when they do. A long read on the accounts.</p>',
        published: hoursAgo(1),
      }),
      item({ id: 'j2', title: 'Water bills are a tax by another name', author: null, published: hoursAgo(26) }),
    ]);
    await site.save('herald', [
      item({ id: 'h1', title: 'Taxes, again: the sequel nobody asked for', author: 'J. Doe', published: hoursAgo(2) }),
      item({
        id: 'h2',
        title: 'A city without libraries',
        author: 'Ann Smith',
        summary: '<p>Closing branches saves little and costs a lot.</p>',
        published: hoursAgo(3),
      }),
    ]);
    browser = await launchChromium();
    mkdirSync(docsDir, { recursive: true });
    for (const width of [375, 1280]) {
      // The page's CSP stays on (axe runs through the DevTools protocol, which it does not govern),
      // so a form it would block fails here as it fails for a reader.
      const context = await browser.newContext({ viewport: { width, height: 900 } });
      const page = await context.newPage();
      const base = `http://127.0.0.1:${port}`;
      await page.goto(`${base}/`);
      expect(await page.locator('main h1').textContent()).toBe('Latest columns');
      await checkPage(page, `home at ${width}`);
      await page.screenshot({ path: `${docsDir}site-home-${width}.png`, fullPage: true });

      // Keyboard: the first Tab lands on the skip link, and it is visible when focused.
      await page.keyboard.press('Tab');
      expect(await page.evaluate('document.activeElement.textContent')).toBe('Skip to the content');
      expect(await page.evaluate('getComputedStyle(document.activeElement).outlineStyle')).not.toBe('none');

      // A columnist, from the byline of the newest column.
      await page.locator('article .meta a', { hasText: 'Jane Doe' }).first().click();
      await page.waitForURL(/\/columnists\/jane-doe$/);
      expect(await page.locator('main h1').textContent()).toBe('Jane Doe');
      expect(await page.locator('main article h2').allTextContents()).toEqual([
        'The budget is a fiction',
        'Taxes, again: the sequel nobody asked for',
        'Water bills are a tax by another name',
      ]);
      await checkPage(page, `columnist at ${width}`);
      if (width === 375) await page.screenshot({ path: `${docsDir}site-columnist-${width}.png`, fullPage: true });

      // Their feed, as the page advertises it, holds their columns only.
      const feedHref = await page.locator('link[rel=alternate][type="application/rss+xml"]').getAttribute('href');
      const feed = await (await fetch(feedHref!)).text();
      expect(feed.match(/<item>/g)).toHaveLength(3);
      expect(feed).not.toContain('A city without libraries');

      // The columnist index and the outlets.
      await page.getByRole('link', { name: 'Columnists', exact: true }).click();
      await page.waitForURL(/\/columnists$/);
      await checkPage(page, `columnists at ${width}`);
      await page.getByRole('link', { name: 'Outlets', exact: true }).click();
      await page.waitForURL(/\/outlets$/);
      await checkPage(page, `outlets at ${width}`);

      // Search through the form in the header.
      await page.getByLabel('Search the columns').fill('librar*');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.waitForURL(/\/search\?q=librar/);
      expect(await page.locator('main article h2').allTextContents()).toEqual(['A city without libraries']);
      expect(await page.locator('main mark').first().textContent()).toMatch(/^librar/i);
      await checkPage(page, `search at ${width}`);
      if (width === 375) await page.screenshot({ path: `${docsDir}site-search-${width}.png`, fullPage: true });

      // The story's card, through the date link of the result.
      await page.locator('main article .meta a time').first().click();
      await page.waitForURL(/\/stories\/[0-9a-f]{32}$/);
      expect(await page.locator('main h1').textContent()).toBe('A city without libraries');
      expect(await page.getByRole('link', { name: 'Read it at The Herald' }).getAttribute('href')).toBe(
        'https://news.example.com/opinion/h2',
      );
      await checkPage(page, `story at ${width}`);

      // A tag page and the 404 page keep the layout.
      await page.goto(`${base}/tags/politics`);
      await checkPage(page, `tag at ${width}`);
      await page.goto(`${base}/columnists/nobody`);
      await checkPage(page, `not found at ${width}`);
      await context.close();
    }

    // Opened at another address than baseUrl (localhost for 127.0.0.1, as a reader of the
    // defaults does), the forms still work: they post to the page's own origin, which is all the
    // CSP's form-action 'self' allows.
    const context = await browser.newContext();
    const page = await context.newPage();
    const elsewhere = `http://localhost:${port}`;
    await page.goto(`${elsewhere}/`);
    await page.getByLabel('Search the columns').fill('budget');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(`${elsewhere}/search?q=budget`);
    expect(await page.locator('main article h2').allTextContents()).toEqual(['The budget is a fiction']);
    await page.goto(`${elsewhere}/columnists`);
    await page.locator('main form select').first().selectOption({ index: 1 });
    await page.locator('main form button').click();
    await page.waitForURL(new RegExp(`^${elsewhere}/columnists\\?`));
    await context.close();
  });
});
