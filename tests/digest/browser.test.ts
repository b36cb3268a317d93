import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { CHROMIUM, chromiumAvailable, launchChromium } from '../helpers/chromium.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { previewDigest } from '../../src/digest/run-digest.ts';
import { column, DIGEST_NOW, startDigestApp } from '../helpers/digest-app.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const available = chromiumAvailable;
const outputDir = fileURLToPath(new URL('../../test-output/', import.meta.url));
const root = makeTempDir();
let browser: Browser | undefined;

if (!available) console.warn(`digest browser test skipped: ${CHROMIUM} not found (apt-get install chromium)`);

afterAll(async () => browser?.close());

/** A digest with the awkward parts: long words and links, hostile text, groups, "also in", the overflow list and a health note. */
async function renderedDigest(): Promise<string> {
  const digestApp = await startDigestApp({
    root,
    digests: '  - id: daily\n    timezone: Europe/London\n    maxItems: 5\n    to: [r@example.org]\n',
  });
  const long = 'Donaudampfschifffahrtsgesellschaftskapitänswitwenrentenversicherungsanstalt';
  await digestApp.save('jane', [
    column('j1', DIGEST_NOW, 1, {
      title: 'The budget is a fiction, and everyone in Westminster knows it',
      summary: `<p>${'Why the numbers lie, and who benefits from the lie. '.repeat(8)}</p>`,
    }),
    column('j2', DIGEST_NOW, 3, {
      title: `A column with a very long unbroken word: ${long}`,
      summary: `<p>See https://example.com/${'a'.repeat(120)} and ${long}.</p>`,
    }),
    column('shared', DIGEST_NOW, 4, { title: 'A syndicated column that two papers ran', link: 'https://syndicate.example.com/c/1' }),
  ]);
  await digestApp.save('bob', [
    column('b1', DIGEST_NOW, 2, { author: 'Bob Roe', title: `<script>alert("x")</script> & "quotes"`, summary: '<p>Rock &amp; roll.</p>' }),
    column('shared-bob', DIGEST_NOW, 4, {
      author: 'Jane Doe',
      title: 'A syndicated column that two papers ran',
      link: 'https://syndicate.example.com/c/1',
    }),
    ...[1, 2, 3].map((n) =>
      column(`more${n}`, DIGEST_NOW, 5 + n, { author: 'Bob Roe', title: `An older column number ${n} listed by title` }),
    ),
  ]);
  await digestApp.app.store.markFailed(
    'ann',
    { error: 'HTTP 500 Internal Server Error', nextFetchAt: DIGEST_NOW, waitReason: 'backoff' },
    new Date(DIGEST_NOW.getTime() - 3 * 86_400_000),
  );
  const deps = await digestApp.deps(null);
  deps.mailer.close();
  return (await previewDigest(digestApp.digest('daily'), deps, DIGEST_NOW)).html;
}

describe.skipIf(!available)('a digest in headless Chromium', () => {
  it.each([375, 800])('fits %i px without horizontal scrolling, and saves a screenshot', async (width) => {
    const html = await renderedDigest();
    browser ??= await launchChromium();
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    // Mail clients load no remote content by default; neither does this page.
    await page.route('**/*', (route) => route.abort());
    await page.setContent(html);
    expect(await page.title()).toBe('Columns for 1 Jul 2026 (7)');
    // Evaluated in the page, where `document` exists; the test's own lib has no DOM types.
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    expect(await page.evaluate('document.querySelectorAll("script").length')).toBe(0);
    const body = await page.locator('body').innerText();
    expect(body).toContain('<script>alert("x")</script> & "quotes"');
    expect(body).toContain('Also in The Guardian');
    expect(body).toContain('2 more on the web page');
    expect(body).toMatch(/Source health: .*HTTP 500/);
    expect(await page.locator('a', { hasText: 'Unsubscribe' }).getAttribute('href')).toBe('https://columns.example.net/unsubscribe');
    mkdirSync(outputDir, { recursive: true });
    await page.screenshot({ path: `${outputDir}digest-${width}.png`, fullPage: true });
    await page.close();
  });
});
