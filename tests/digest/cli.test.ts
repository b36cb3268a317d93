import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { column, DIGEST_FEEDS, startDigestApp } from '../helpers/digest-app.ts';
import { runCli } from '../helpers/run-cli.ts';
import { htmlOf, rawHeader, smtpServerForTest, textOf, toAddresses } from '../helpers/smtp-server.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const SUBJECT = /Columns for \d{1,2} [A-Z][a-z]{2} \d{4} \(2\)/;
const NO_SMTP = { SMTP_URL: '' };

/** An app on the real clock (the CLI's) with two fresh stories for digest "daily". */
async function appWithStories() {
  const digestApp = await startDigestApp({ root, digests: '  - id: daily\n    to: [a@example.org, b@example.org]\n', now: null });
  const now = new Date();
  await digestApp.save('jane', [
    column('c1', now, 2, { title: 'The budget is a fiction', author: 'Jane Doe' }),
    column('c2', now, 1, { title: 'Nobody reads the footnotes', author: 'Jane Doe' }),
  ]);
  const cli = (args: string[], env: Record<string, string> = NO_SMTP) =>
    runCli(['--config', digestApp.configPath, '--data', digestApp.dataDir, 'digest', ...args], { env });
  const outbox = join(digestApp.dataDir, 'outbox');
  const outboxFiles = () => (existsSync(outbox) ? readdirSync(outbox).map((name) => join(outbox, name)) : []);
  return { digestApp, cli, outboxFiles };
}

describe('columnwire digest', () => {
  it('--dry-run prints recipients, subject and stories, and sends and records nothing', async () => {
    const { digestApp, cli, outboxFiles } = await appWithStories();
    const result = await cli(['--dry-run']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^daily: "${SUBJECT.source}" to a@example\\.org, b@example\\.org$`));
    expect(lines.slice(1)).toEqual([
      '  - Nobody reads the footnotes (Jane Doe) https://news.example.com/opinion/c2',
      '  - The budget is a fiction (Jane Doe) https://news.example.com/opinion/c1',
    ]);
    expect(outboxFiles()).toEqual([]);
    expect(await digestApp.app.store.listDigestRuns(null, 10)).toEqual([]);
  });

  it('--preview FILE writes the HTML of the next digest and sends nothing', async () => {
    const { digestApp, cli, outboxFiles } = await appWithStories();
    const file = join(digestApp.dataDir, '..', 'preview.html');
    const result = await cli(['--preview', file]);
    expect(result).toMatchObject({ code: 0, stdout: `daily: preview written to ${file}\n` });
    const html = readFileSync(file, 'utf8');
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain('The budget is a fiction');
    expect(html).toContain('href="https://columns.example.net/unsubscribe"');
    expect(outboxFiles()).toEqual([]);
    expect(await digestApp.app.store.listDigestRuns(null, 10)).toEqual([]);
  });

  it('--to ADDR sends one test copy over SMTP and moves no cursor', async () => {
    const { digestApp, cli } = await appWithStories();
    const smtp = await smtpServerForTest();
    const test = await cli(['--to', 'editor@example.org'], { SMTP_URL: smtp.url });
    expect(test).toMatchObject({ code: 0, stderr: '' });
    expect(test.stdout).toBe(`daily: test copy sent to editor@example.org via smtp://127.0.0.1:${smtp.port}\n`);
    expect(smtp.messages).toHaveLength(1);
    const copy = smtp.messages[0]!.parsed;
    expect(toAddresses(copy)).toEqual(['editor@example.org']);
    expect(copy.subject).toMatch(SUBJECT);
    expect(textOf(copy)).toContain('The budget is a fiction');
    expect(await digestApp.app.store.listDigestRuns(null, 10)).toEqual([]);

    const real = await cli([], { SMTP_URL: smtp.url });
    expect(real.code).toBe(0);
    expect(real.stdout).toMatch(/^daily: run 1: 2 stories, 2 sent, 0 failed, done — /);
    const sent = smtp.messages.slice(1);
    expect(sent.map((message) => message.rcptTo[0]).sort()).toEqual(['a@example.org', 'b@example.org']);
    for (const message of sent) expect(textOf(message.parsed)).toContain('The budget is a fiction');
  });

  it('writes .eml files to <data>/outbox without SMTP_URL, readable by mailparser; --status lists the run', async () => {
    const { cli, outboxFiles } = await appWithStories();
    const result = await cli([]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const files = outboxFiles();
    expect(files.map((file) => file.endsWith('.eml'))).toEqual([true, true]);
    const mails = await Promise.all(files.map((file) => simpleParser(readFileSync(file))));
    expect(mails.flatMap(toAddresses).sort()).toEqual(['a@example.org', 'b@example.org']);
    for (const mail of mails) {
      expect(mail.subject).toMatch(SUBJECT);
      expect(htmlOf(mail)).toContain('The budget is a fiction');
      expect(textOf(mail)).toContain('Nobody reads the footnotes');
      expect(rawHeader(mail, 'list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
      expect(mail.messageId).toMatch(/^<daily\.\d+\.[0-9a-f]{16}@columns\.example\.net>$/);
    }

    const status = await cli(['--status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(
      new RegExp(
        `^daily: 1 recent run\\(s\\)\\n  run 1 \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z done: 2 stories, 2 sent, 0 failed, 0 pending — ${SUBJECT.source}\\n$`,
      ),
    );

    const again = await cli([]);
    expect(again).toMatchObject({ code: 0, stdout: 'daily: nothing new since the last digest; not sent (skipEmpty)\n' });
    expect(outboxFiles()).toHaveLength(2);
  });

  it.each([
    ['no digests configured', null, [], /^columnwire: digest: .*feeds\.yaml defines no digests; add a "digests:" list/],
    [
      'an unknown --id',
      'digests:\n  - id: daily\n    to: [r@example.org]\n',
      ['--id', 'weekly'],
      /^columnwire: digest: no digest with id "weekly"; digests: daily/,
    ],
  ])('exits 2 with a clear message for %s', async (_case, digests, args, message) => {
    const folder = join(root, `usage-${Math.random().toString(36).slice(2)}`);
    mkdirSync(folder);
    writeFileSync(join(folder, 'feeds.yaml'), `${DIGEST_FEEDS}${digests ?? ''}`);
    const result = await runCli(['--config', join(folder, 'feeds.yaml'), '--data', join(folder, 'data'), 'digest', ...args], {
      env: NO_SMTP,
    });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
  });
});
