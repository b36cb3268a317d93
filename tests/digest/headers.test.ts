/**
 * Headers as a mail client reads them, whatever the site's `title` (it is in List-Id and may be
 * in the subject): List-Id keeps its <id> readable (RFC 2919; only the description may be an
 * RFC 2047 encoded word), and no header line is longer than RFC 5322's 998 characters.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import type { ParsedMail } from 'mailparser';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createApp } from '../../src/app.ts';
import { parseConfig } from '../../src/config/load.ts';
import { column, DIGEST_NOW, digestConfigYaml } from '../helpers/digest-app.ts';
import { normalizeItems } from '../../src/feeds/normalize-items.ts';
import { runDigest } from '../../src/digest/run-digest.ts';
import { createLogger } from '../../src/logger.ts';
import { rawHeader, smtpServerForTest, type ReceivedMessage } from '../helpers/smtp-server.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();

/** The one message a digest sends when the site's title is `title` and the subject template `subject`. */
async function sentWithTitle(
  title: string,
  subject = 'Columns for {date} ({count})',
  from = 'Columnwire <digest@columns.example.net>',
): Promise<ReceivedMessage> {
  const folder = mkdtempSync(join(root, 'headers-'));
  const yaml = digestConfigYaml(`  - id: daily\n    subject: ${JSON.stringify(subject)}\n    to: [ann@example.org]\n`)
    .replace('title: Test Columns', `title: ${JSON.stringify(title)}`)
    .replace('from: Columnwire <digest@columns.example.net>', `from: ${JSON.stringify(from)}`);
  const app = await createApp({
    config: parseConfig(yaml, join(folder, 'feeds.yaml')),
    dataDir: join(folder, 'data'),
    logger: createLogger({ level: 'silent' }),
    now: () => DIGEST_NOW,
  });
  onTestFinished(() => app.close());
  const state = { url: 'https://jane.example/feed', etag: null, lastModified: null, ttlMinutes: null, nextFetchAt: DIGEST_NOW };
  await app.store.saveFetched('jane', normalizeItems([column('j1', DIGEST_NOW, 1)], DIGEST_NOW), state, DIGEST_NOW, null);
  const smtp = await smtpServerForTest();
  process.env.SMTP_URL = smtp.url;
  const deps = { ...(await app.digestDeps()), retryDelaysMs: [] };
  delete process.env.SMTP_URL;
  try {
    await runDigest(app.config.digests[0]!, deps);
  } finally {
    deps.mailer.close();
  }
  expect(smtp.messages).toHaveLength(1);
  return smtp.messages[0]!;
}

/** mailparser's reading of List-Id: the description (its RFC 2047 words decoded, which mailparser leaves to us) and the id. */
function listId(mail: ParsedMail): { name?: string; id?: string } | undefined {
  const read = (mail.headers.get('list') as { id?: { name?: string; id?: string } } | undefined)?.id;
  if (read?.name === undefined) return read;
  // RFC 2047 §6.2: the space between two adjacent encoded words is not part of the text.
  const name = read.name
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?UTF-8\?B\?([^?]*)\?=/gi, (_word, base64: string) => Buffer.from(base64, 'base64').toString('utf8'));
  return { ...read, name };
}

const headerLines = (raw: Buffer) => {
  const text = raw.toString('latin1');
  return text.slice(0, text.indexOf('\r\n\r\n')).split('\r\n');
};

describe('digest headers', () => {
  it.each([
    ['a plain title', 'Test Columns'],
    ['a title beyond ASCII', 'Chroniques du Monde — Éditoriaux'],
    ['a title with specials', 'Opinion: "Left, Right" & <Centre>; @home \\ done'],
  ])('List-Id keeps the list id readable with %s', async (_case, title) => {
    const { parsed, raw } = await sentWithTitle(title);
    expect(listId(parsed)).toEqual({ name: title, id: 'daily.columnwire.columns.example.net' });
    // The digest's id follows as a comment, and the list id stands outside any encoded word.
    expect(rawHeader(parsed, 'list-id')).toMatch(/ \(daily\) <daily\.columnwire\.columns\.example\.net>$/);
    for (const line of headerLines(raw)) expect(line.length).toBeLessThanOrEqual(998);
  });
});

describe('digest header lines', () => {
  it.each([
    ['one 1,200-character word', 'x'.repeat(1200)],
    ['500 characters beyond ASCII', 'é'.repeat(500)],
    ['500 characters of words', 'Zoë writes daily columns '.repeat(20).trim()],
  ])('stay within 998 characters when the title (and so the subject) is %s', async (_case, title) => {
    const { parsed, raw } = await sentWithTitle(title, '{title} ({count})');
    for (const line of headerLines(raw)) expect(line.length).toBeLessThanOrEqual(998);
    expect(parsed.subject).toBe(`${title} (1)`);
    expect(listId(parsed)).toEqual({ name: title, id: 'daily.columnwire.columns.example.net' });
  });
});

describe('a title with line breaks', () => {
  it.each([
    ['short words', 'Evil\r\nBcc: x@evil.example'],
    ['a word too long to fold', `${'x'.repeat(100)}\r\nBcc: x@evil.example`],
  ])('with %s is one line of the subject, never a header of its own', async (_case, title) => {
    const { parsed } = await sentWithTitle(title, '{title} ({count})');
    expect(parsed.bcc).toBeUndefined();
    expect(parsed.headers.has('bcc')).toBe(false);
    expect(parsed.subject).toBe(`${title.replace('\r\n', ' ')} (1)`);
  });
});

describe('the mailto: unsubscribe link', () => {
  it.each([
    ['a name and address', 'Columnwire <digest@columns.example.net>'],
    ['a quoted name holding angle brackets', '"Columns <daily>" <digest@columns.example.net>'],
    ['an address with an old-style comment', 'digest@columns.example.net (Columnwire)'],
    ['a bare address', 'digest@columns.example.net'],
  ])('goes to the address of mail.from written as %s', async (_case, from) => {
    const { parsed } = await sentWithTitle('Test Columns', undefined, from);
    expect(parsed.from?.value.map((sender) => sender.address)).toEqual(['digest@columns.example.net']);
    expect(rawHeader(parsed, 'list-unsubscribe')).toMatch(/, <mailto:digest@columns\.example\.net\?subject=unsubscribe%20[\w.-]+>$/);
  });
});
