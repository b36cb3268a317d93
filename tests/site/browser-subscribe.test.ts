/**
 * Issue 13: a reader subscribes in headless Chromium: the form → the confirmation mail at a
 * real smtp-server → its link → "Confirm" → preferences, two columnists ticked → the next
 * digest holds only their columns → "Unsubscribe from this digest". axe-core finds no serious
 * or critical violation on the subscribe, confirm and preferences pages.
 */
import { createServer, type AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { chromiumAvailable, launchChromium } from '../helpers/chromium.ts';
import { column, startDigestApp } from '../helpers/digest-app.ts';
import { smtpServerForTest } from '../helpers/smtp-server.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const docsDir = fileURLToPath(new URL('../../docs/', import.meta.url));
const root = makeTempDir();
let browser: Browser | undefined;

afterAll(async () => browser?.close());

async function axeSerious(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate<Array<{ id: string; impact: string | null; nodes: Array<{ target: string[] }> }>>(
    'axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations)',
  );
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
}

/** A port nothing listens on now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe.skipIf(!chromiumAvailable)('a reader subscribing in Chromium', () => {
  it(
    'signs up, confirms from the mail, picks two columnists, gets only their columns, and unsubscribes',
    { timeout: 120_000 },
    async () => {
      const smtp = await smtpServerForTest();
      const saved = process.env.SMTP_URL;
      process.env.SMTP_URL = smtp.url;
      onTestFinished(() => {
        if (saved === undefined) delete process.env.SMTP_URL;
        else process.env.SMTP_URL = saved;
      });
      // baseUrl names this server, so the links in pages and mail lead the browser back to it.
      const digestApp = await startDigestApp({
        root,
        port: await freePort(),
        digests: `  - id: daily\n    name: Daily columns\n    signup: true\n    maxAgeHours: 8760\n  - id: weekly\n    name: Weekly round-up\n    signup: true\n`,
      });
      const now = digestApp.clock.now;
      await digestApp.save('jane', [column('j1', now, 2, { title: 'Jane on the budget', author: 'Jane Doe' })]);
      await digestApp.save('bob', [column('b1', now, 3, { title: 'Bob on rates', author: 'Bob Roe' })]);
      await digestApp.save('ann', [column('a1', now, 4, { title: 'Ann on towns', author: 'Ann Poe' })]);
      const server = await digestApp.app.startServer();
      onTestFinished(() => server.close());

      browser = await launchChromium();
      const context = await browser.newContext({ viewport: { width: 375, height: 900 } });
      const page = await context.newPage();
      // Opened at localhost while baseUrl names 127.0.0.1, as a reader of the defaults does: the
      // forms post, and their answers redirect, to the page's own origin (the CSP's form-action 'self').
      const elsewhere = (url: string) => url.replace('//127.0.0.1:', '//localhost:');
      await page.goto(`${elsewhere(server.url)}/`);
      await page.getByRole('link', { name: 'Subscribe', exact: true }).click();
      await page.waitForURL(/\/subscribe$/);
      expect(await axeSerious(page)).toEqual([]);
      await page.getByLabel('Email address').fill('reader@example.org');
      await page.getByLabel('Digest').selectOption('daily');
      await page.screenshot({ path: `${docsDir}site-subscribe-375.png`, fullPage: true });
      await page.getByRole('button', { name: 'Subscribe' }).click();
      await expect.poll(() => page.locator('main h1').textContent()).toBe('Check your inbox');

      await vi.waitFor(() => expect(smtp.messagesTo('reader@example.org')).toHaveLength(1), { timeout: 20_000 });
      const link = /https?:\/\/\S+\/subscribe\/confirm\?token=[\w.-]+/.exec(
        smtp.messagesTo('reader@example.org')[0]!.parsed.text ?? '',
      )![0];
      await page.goto(elsewhere(link));
      expect(await axeSerious(page)).toEqual([]);
      await page.getByRole('button', { name: 'Confirm' }).click();
      await page.waitForURL(/^http:\/\/localhost:\d+\/preferences\?token=/);
      expect(await page.locator('main h1').textContent()).toBe('Your digest');
      expect(await axeSerious(page)).toEqual([]);
      await page.locator('summary').click();
      await page.getByLabel('Jane Doe').check();
      await page.getByLabel('Ann Poe').check();
      await page.screenshot({ path: `${docsDir}site-preferences-375.png`, fullPage: true });
      await page.getByRole('button', { name: 'Save' }).click();
      await expect.poll(() => page.locator('main [role=status]').textContent()).toBe('Saved.');
      expect(await page.getByLabel('Jane Doe').isChecked()).toBe(true);
      expect(await page.getByLabel('Bob Roe').isChecked()).toBe(false);

      await digestApp.run('daily', smtp.url);
      const digest = smtp.messagesTo('reader@example.org')[1]!;
      expect(digest.parsed.text).toContain('Jane on the budget');
      expect(digest.parsed.text).toContain('Ann on towns');
      expect(digest.parsed.text).not.toContain('Bob on rates');

      // The digest's footer link leads back to these preferences; unsubscribe from this digest there.
      const footer = /Preferences or unsubscribe: (\S+)/.exec(digest.parsed.text!)![1]!;
      await page.goto(footer.replace('/unsubscribe?', '/preferences?'));
      await page.getByRole('button', { name: 'Unsubscribe from this digest' }).click();
      await expect.poll(() => page.locator('h1').textContent()).toBe('Unsubscribed');
      expect(await digestApp.app.store.subscriptionState('reader@example.org', 'daily')).toMatchObject({ state: 'unsubscribed' });
      await context.close();
    },
  );
});
