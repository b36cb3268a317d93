/**
 * Issue 9 §3: a private feed's password (`user:pass@`) and token (`?token=`, `?feed_token=`)
 * appear in no output: not in poll, feeds, stats or check, not in `opml export` or /opml, not
 * in a digest's source-health note (mailed HTML and text, /digests/{id}/preview), not in the
 * service's JSON log lines. Every check runs the real CLI or the real service against a real
 * feed server and a real SMTP server, and also asserts that the host and path stay readable.
 * The tests run in order over one data folder: the service's first poll cycle stores the
 * failures that the later ones read. (The fixture server is plain http, so the private URLs are
 * http://alice:s3cretPass@127.0.0.1:PORT/..., sent as Basic auth as an https one would be.)
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveBody, startFeedServer, type FeedServer } from '../helpers/feed-server.ts';
import { runCli, type CliResult } from '../helpers/run-cli.ts';
import { message, startService } from '../helpers/service.ts';
import { htmlOf, startSmtpServer, textOf, type TestSmtpServer } from '../helpers/smtp-server.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const PASSWORD = 's3cretPass';
const TOKEN = 't0kenValue42';
/** How the password travels on the wire: it must not show up in that form either. */
const BASIC = Buffer.from(`alice:${PASSWORD}`).toString('base64');
const TIMEOUT_MS = 120_000;

const root = makeTempDir('columnwire-secrets-');
let feeds: FeedServer;
let smtp: TestSmtpServer;
let configPath: string;
let dataDir: string;
let host: string;

function rss(title: string, now: Date): string {
  const items = [1, 2]
    .map(
      (n) =>
        `<item><title>${title} column ${n}</title><link>https://columns.example.org/${title}/${n}</link>` +
        `<guid>${title}-${n}</guid><pubDate>${new Date(now.getTime() - n * 3600_000).toUTCString()}</pubDate><description>Text ${n}</description></item>`,
    )
    .join('');
  return `<?xml version="1.0"?><rss version="2.0"><channel><title>${title}</title><link>https://columns.example.org/${title}</link>${items}</channel></rss>`;
}

/** Serves `body` only to a request carrying the credential; 401 otherwise, as a private feed does. */
function privateFeed(allowed: (req: IncomingMessage) => boolean, body: string) {
  return (req: IncomingMessage, res: ServerResponse) => (allowed(req) ? serveBody(body) : serveBody('no', { status: 401 }))(req, res);
}

const html = (head: string) =>
  serveBody(`<!doctype html><html><head><title>Members</title>${head}</head><body>Sign in</body></html>`, {
    headers: { 'content-type': 'text/html' },
  });

/** Fails when a secret, in any of the forms it travels in, is in `text`; `where` names the output. */
function expectNoSecrets(text: string, where: string): void {
  for (const secret of [PASSWORD, TOKEN, BASIC]) expect(text, `${where} shows ${secret}`).not.toContain(secret);
}

/** The failing feeds' errors still say which host and path failed. */
function expectUsefulErrors(text: string, where: string): void {
  for (const path of ['/alice-bad/feed.xml', '/token-bad/feed.xml', '/suffix-bad/feed.xml']) {
    expect(text, `${where} names ${path}`).toContain(`${host}${path}`);
  }
}

const cli = (args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
  runCli(['--config', configPath, '--data', dataDir, ...args], { env: { SMTP_URL: '', ...env } });

beforeAll(async () => {
  const now = new Date();
  feeds = await startFeedServer({
    '/alice-ok/feed.xml': privateFeed((req) => req.headers.authorization === `Basic ${BASIC}`, rss('alice', now)),
    '/token-ok/feed.xml': privateFeed((req) => (req.url ?? '').includes(`token=${TOKEN}`), rss('token', now)),
    // A members' page linking a feed that then fails: the error quotes the page and the feed URL.
    '/alice-bad/feed.xml': html('<link rel="alternate" type="application/rss+xml" href="/alice-bad/real.xml">'),
    '/alice-bad/real.xml': serveBody('oops', { status: 500 }),
    // Garbage instead of a feed: "URL is an HTML page that links no feed".
    '/token-bad/feed.xml': html(''),
    '/suffix-bad/feed.xml': html(''),
  });
  smtp = await startSmtpServer();
  host = new URL(feeds.origin).host;
  const at = (path: string, auth = '') => `http://${auth}${host}${path}`;
  const dir = mkdtempSync(join(root, 'ws-'));
  configPath = join(dir, 'feeds.yaml');
  dataDir = join(dir, 'data');
  writeFileSync(
    configPath,
    `title: Private Columns
baseUrl: https://columns.example.net
server:
  port: 0
poll:
  allowPrivateAddresses: true
  timeoutSeconds: 30
mail:
  from: Columnwire <digest@columns.example.net>
feeds:
  - url: ${at('/alice-ok/feed.xml', `alice:${PASSWORD}@`)}
    id: alice-ok
    outlet: Members Weekly
  - url: ${at(`/token-ok/feed.xml?token=${TOKEN}&format=rss`)}
    id: token-ok
  - url: ${at('/alice-bad/feed.xml', `alice:${PASSWORD}@`)}
    id: alice-bad
  - url: ${at(`/token-bad/feed.xml?token=${TOKEN}`)}
    id: token-bad
  - url: ${at(`/suffix-bad/feed.xml?feed_token=${TOKEN}`)}
    id: suffix-bad
digests:
  - id: daily
    schedule: "0 7 1 1 *"
    timezone: UTC
    to: [reader@example.com]
    skipEmpty: false
`,
  );
}, TIMEOUT_MS);

afterAll(async () => {
  await feeds?.close();
  await smtp?.close();
});

describe('secrets in feed URLs', () => {
  it(
    'stay out of the service log, /opml, the digest preview and every other page',
    async () => {
      const service = startService(configPath, dataDir, { SMTP_URL: '' });
      const base = await service.url();
      await service.waitForLog(message('poll cycle finished'), 'the first poll cycle');
      // The failures were logged (and the successes really fetched the private feeds).
      expect(service.logs.filter(message('feed failed'))).toHaveLength(3);
      expect(feeds.requestsTo('/alice-ok/feed.xml').at(-1)?.headers.authorization).toBe(`Basic ${BASIC}`);

      const pages = new Map<string, string>();
      for (const path of ['/opml', '/digests/daily/preview', '/', '/feed.xml', '/feed.json', '/metrics', '/healthz', '/readyz']) {
        pages.set(path, await (await fetch(`${base}${path}`)).text());
      }
      service.child.kill('SIGTERM');
      expect(await service.exited).toBe(0);

      expectNoSecrets(service.stderr(), 'the service log');
      const failures = service.logs
        .filter(message('feed failed'))
        .map((line) => JSON.stringify(line))
        .join('\n');
      expectUsefulErrors(failures, 'the feed failed log lines');
      for (const [path, body] of pages) expectNoSecrets(body, path);

      const opml = pages.get('/opml')!;
      // Subscribers still learn every source: the URL without its credentials, other parameters kept.
      expect(opml).toContain(`xmlUrl="http://${host}/alice-ok/feed.xml"`);
      expect(opml).toContain(`xmlUrl="http://${host}/token-ok/feed.xml?format=rss"`);
      expect(opml).toContain(`xmlUrl="http://${host}/suffix-bad/feed.xml"`);
      // Not even the user name: the list is public.
      expect(opml).not.toMatch(/alice[:@]|@127/);

      const preview = pages.get('/digests/daily/preview')!;
      expect(preview).toContain('never fetched successfully');
      expectUsefulErrors(preview, 'the digest preview');
    },
    TIMEOUT_MS,
  );

  it(
    'stay out of poll, feeds, stats and check, in tables and JSON',
    async () => {
      const poll = await cli(['poll', '--force']);
      expect(poll.code).toBe(0);
      // The service fetched and stored them first: the private feeds work, with credentials in
      // the URL, and answer the same document again (no validators), so nothing to read again.
      expect(poll.stdout).toMatch(/^alice-ok: not modified$/m);
      expect(poll.stdout).toMatch(/^token-ok: not modified$/m);

      const outputs: Array<[string, CliResult]> = [['poll', poll]];
      for (const args of [['feeds', '--json'], ['feeds'], ['stats', '--json'], ['stats'], ['check', '--json']]) {
        outputs.push([args.join(' '), await cli(args)]);
      }
      for (const [name, result] of outputs) {
        // check exits 1: some feeds fail; everything else reports and exits 0.
        expect(result.code, `${name}: ${result.stderr}`).toBe(name.startsWith('check') ? 1 : 0);
        expectNoSecrets(result.stdout + result.stderr, name);
      }
      for (const [name, result] of outputs) expectUsefulErrors(result.stdout, name);

      const listed = JSON.parse(outputs[1]![1].stdout) as Array<{ id: string; url: string; lastError: string | null }>;
      expect(listed.find((feed) => feed.id === 'alice-ok')?.url).toBe(`http://alice:***@${host}/alice-ok/feed.xml`);
      expect(listed.find((feed) => feed.id === 'token-bad')?.lastError).toBe(
        `http://${host}/token-bad/feed.xml?token=*** is an HTML page that links no feed (no <link rel="alternate" type="application/rss+xml">); use the feed's own URL`,
      );
      const stats = JSON.parse(outputs[3]![1].stdout) as { feedsFailing: Array<{ id: string; lastError: string }> };
      expect(stats.feedsFailing.map((feed) => feed.id).sort()).toEqual(['alice-bad', 'suffix-bad', 'token-bad']);
    },
    TIMEOUT_MS,
  );

  it(
    'stay out of opml export unless --include-secrets asks for a full backup',
    async () => {
      const shown = await cli(['opml', 'export']);
      expect(shown.code).toBe(0);
      expectNoSecrets(shown.stdout, 'opml export');
      expect(shown.stdout).toContain(`xmlUrl="http://${host}/token-bad/feed.xml"`);

      const backup = join(root, 'backup.opml');
      const full = await cli(['opml', 'export', '--include-secrets', '--output', backup]);
      expect(full).toMatchObject({ code: 0, stdout: '' });
      const text = readFileSync(backup, 'utf8');
      expect(text).toContain(`xmlUrl="http://alice:${PASSWORD}@${host}/alice-ok/feed.xml"`);
      expect(text).toContain(`xmlUrl="http://${host}/token-ok/feed.xml?token=${TOKEN}&amp;format=rss"`);
    },
    TIMEOUT_MS,
  );

  it(
    'stay out of a mailed digest: the source-health note in the HTML and the text part',
    async () => {
      const sent = await cli(['digest', '--id', 'daily'], { SMTP_URL: smtp.url });
      expect(sent.code, sent.stderr).toBe(0);
      expectNoSecrets(sent.stdout + sent.stderr, 'digest output');
      expect(smtp.messages).toHaveLength(1);
      const mail = smtp.messages[0]!;
      const text = textOf(mail.parsed);
      const body = htmlOf(mail.parsed);
      expect(text).toContain('never fetched successfully');
      expect(text).toContain('alice column 1');
      expectNoSecrets(mail.raw.toString('utf8'), 'the raw message');
      expectNoSecrets(body, 'the HTML part');
      expectNoSecrets(text, 'the text part');
      expectUsefulErrors(text, 'the text part');
      expectUsefulErrors(body, 'the HTML part');
    },
    TIMEOUT_MS,
  );
});
