import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpFixture, neverAnswer, redirect, serveBody, startFeedServer, type FeedServer } from '../helpers/feed-server.ts';
import { runCli } from '../helpers/run-cli.ts';
import { closedSmtpUrl, startSmtpServer } from '../helpers/smtp-server.ts';
import { runMain } from '../helpers/run-main.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
let server: FeedServer;

beforeAll(async () => {
  server = await startFeedServer({
    '/jane.xml': serveBody(httpFixture('columnist.xml')),
    '/profile/priya': serveBody(httpFixture('page-with-feed-link.html'), { headers: { 'content-type': 'text/html' } }),
    '/real-feed.xml': serveBody(httpFixture('columnist.xml')),
    '/moved.xml': redirect(301, '/jane.xml'),
    '/broken.xml': serveBody(httpFixture('malformed-mismatched-tags.xml')),
    '/hangs.xml': neverAnswer(),
  });
});

afterAll(() => server.close());

/** A folder with feeds.yaml listing `feeds` (id → path on the test server, or a full URL). */
function workspace(feeds: Record<string, string>, extra = '') {
  const dir = mkdtempSync(join(root, 'check-'));
  const path = join(dir, 'feeds.yaml');
  const entries = Object.entries(feeds)
    .map(([id, url]) => `  - id: ${id}\n    url: "${url.startsWith('/') ? server.url(url) : url}"\n`)
    .join('');
  writeFileSync(path, `poll:\n  allowPrivateAddresses: true\n  timeoutSeconds: 1\n${extra}feeds:\n${entries}`);
  const dataDir = join(dir, 'data');
  return {
    path,
    dataDir,
    check: (args: string[] = [], env: Record<string, string | undefined> = {}) =>
      runMain(['--config', path, '--data', dataDir, 'check', ...args], { SMTP_URL: undefined, ...env }),
  };
}

const MIXED = {
  jane: '/jane.xml',
  priya: '/profile/priya',
  moved: '/moved.xml',
  gone: '/missing.xml',
  broken: '/broken.xml',
  slow: '/hangs.xml',
};

describe('columnwire check', () => {
  it('prints a line per feed, ok or the reason it failed, and exits 1 when any failed', async () => {
    const ws = workspace(MIXED);
    const result = await ws.check();
    expect(result.code).toBe(1);
    const lines = result.stdout.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      `config ok: ${ws.path} (6 feeds, 0 digests)`,
      `mail: outbox ${join(ws.dataDir, 'outbox')} (no SMTP_URL: digests are saved there as .eml files, not sent)`,
      'ID      STATUS  ITEMS  DETAIL',
    ]);
    expect(lines.slice(3, 9)).toEqual([
      'jane    ok      3      The Ledger — Opinion',
      `priya   ok      3      The Ledger — Opinion; the url is a page; its feed is ${server.url('/real-feed.xml')}`,
      `moved   ok      3      The Ledger — Opinion; moved permanently to ${server.url('/jane.xml')}`,
      'gone    error   -      HTTP 404 Not Found',
      expect.stringMatching(/^broken {2}error {3}- {6}malformed XML: /),
      'slow    error   -      timed out after 1 s',
    ]);
    expect(lines.slice(9)).toEqual(['6 feeds: 3 ok, 3 failed', '']);
  });

  it('stores nothing', async () => {
    const ws = workspace({ jane: '/jane.xml' });
    expect(await ws.check()).toMatchObject({ code: 0, stdout: expect.stringContaining('1 feed: 1 ok, 0 failed') });
    expect(existsSync(ws.dataDir)).toBe(false);
  });

  it('prints JSON with --json', async () => {
    const ws = workspace({ jane: '/jane.xml', gone: '/missing.xml' });
    const result = await ws.check(['--json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({
      config: { path: ws.path, feeds: 2, digests: 0, warnings: [] },
      mail: { transport: 'outbox', folder: join(ws.dataDir, 'outbox') },
      feeds: [
        {
          id: 'jane',
          url: server.url('/jane.xml'),
          status: 'ok',
          items: 3,
          title: 'The Ledger — Opinion',
          feedUrl: server.url('/jane.xml'),
          detail: 'The Ledger — Opinion',
        },
        {
          id: 'gone',
          url: server.url('/missing.xml'),
          status: 'error',
          items: null,
          title: null,
          feedUrl: null,
          detail: 'HTTP 404 Not Found',
        },
      ],
      failed: 1,
    });
  });

  it('never prints a password or token, of a feed URL or of SMTP_URL', async () => {
    const ws = workspace({ private: `${server.origin.replace('//', '//reader:feed-secret@')}/jane.xml?token=tok-secret` });
    const result = await ws.check([], { SMTP_URL: 'smtp://mailer:smtp-secret@127.0.0.1:2525' });
    const json = await ws.check(['--json'], { SMTP_URL: 'smtp://mailer:smtp-secret@127.0.0.1:2525' });
    expect(result.stdout).toContain('mail: SMTP smtp://mailer:***@127.0.0.1:2525 error: ');
    expect(result.stdout).toMatch(/private +ok/); // credentials travel as Basic auth
    expect(json.stdout).toContain('reader:***@127.0.0.1');
    for (const output of [result.stdout, result.stderr, json.stdout, json.stderr]) expect(output).not.toMatch(/secret/);
  });

  it('connects to SMTP_URL and says EHLO, sending nothing, and reports ok', async () => {
    const smtp = await startSmtpServer();
    const ws = workspace({ jane: '/jane.xml' });
    const result = await ws.check([], { SMTP_URL: smtp.url });
    expect(result.stdout).toContain(`mail: SMTP ${smtp.url} ok (connected, EHLO accepted)\n`);
    expect(result.code).toBe(0);
    const json = JSON.parse((await ws.check(['--json'], { SMTP_URL: smtp.url })).stdout) as unknown;
    expect(json).toMatchObject({ mail: { transport: 'smtp', url: smtp.url, ok: true } });
    expect(smtp.messages).toEqual([]);
  });

  it('reports an SMTP server that refuses the connection or is not there, and exits 1', async () => {
    const ws = workspace({ jane: '/jane.xml' });
    const closed = (await closedSmtpUrl()).replace('//', '//mailer:smtp-secret@');
    const down = await ws.check([], { SMTP_URL: closed });
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(/^mail: SMTP smtp:\/\/mailer:\*\*\*@127\.0\.0\.1:\d+ error: .*ECONNREFUSED/m);
    const refusing = await startSmtpServer({ refuseConnections: 1 });
    const refused = await ws.check([], { SMTP_URL: refusing.url });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/^mail: SMTP smtp:\/\/127\.0\.0\.1:\d+ error: .*421/m);
    for (const output of [down.stdout, down.stderr]) expect(output).not.toContain('smtp-secret');
  });

  it('warns when digests would go out with the default baseUrl and mail.from, exit code unchanged', async () => {
    const digest = 'digests:\n  - id: daily\n    to: reader@example.com\n    feeds: [jane]\n';
    const defaults = await workspace({ jane: '/jane.xml' }, digest).check();
    expect(defaults.code).toBe(0);
    expect(defaults.stdout).toContain(
      'warning: baseUrl is http://localhost:8080, so the unsubscribe and web links in digests point at this machine; set baseUrl:',
    );
    expect(defaults.stdout).toContain(
      'warning: mail.from is "Columnwire <columnwire@localhost>", which mail servers reject or mark as spam; set mail: from:',
    );
    const set = await workspace(
      { jane: '/jane.xml' },
      `baseUrl: https://news.example.com\nmail:\n  from: Digest <digest@example.com>\n${digest}`,
    ).check();
    expect(set.stdout).not.toContain('warning:');
    const noDigests = await workspace({ jane: '/jane.xml' }).check();
    expect(noDigests.stdout).not.toContain('warning:');
  });

  it('fails on an SMTP_URL that cannot work, without echoing it', async () => {
    const ws = workspace({ jane: '/jane.xml' });
    const result = await ws.check([], { SMTP_URL: 'http://mailer:smtp-secret@mail.example' });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('mail: error: SMTP_URL must look like smtp://user:pass@host:587');
    expect(result.stdout).not.toContain('smtp-secret');
    // A raw "%" in the password: said so (it was "URI malformed"), the password still unshown.
    const percent = await ws.check([], { SMTP_URL: 'smtp://mailer:smtp%secret@mail.example' });
    expect(percent.code).toBe(1);
    expect(percent.stdout).toContain('mail: error: SMTP_URL: its user name or password holds a "%" that starts no %XX escape');
    expect(percent.stdout).not.toContain('secret');
  });

  it('warns about a hand-edited duplicate feed (http vs https, www., utm_), naming both lines, as feeds add refuses it', async () => {
    // A name, not 127.0.0.1: "www." before an IP address is no URL at all.
    const jane = server.url('/jane.xml').replace('127.0.0.1', 'localhost');
    const https = jane.replace('http://', 'https://www.');
    const ws = workspace({ jane, other: '/real-feed.xml', again: `${https}/?utm_source=rss&utm_medium=feed` });
    const result = await ws.check();
    expect(result.stderr).toBe('');
    // Lines 5-6: jane; 9-10: again.
    expect(result.stdout).toContain(
      `warning: ${ws.path}:10: feeds[2].url ${https}/?utm_source=rss&utm_medium=feed is the same feed as feeds[0] on line 6 (${jane})`,
    );
    expect((JSON.parse((await ws.check(['--json'])).stdout) as { config: { warnings: string[] } }).config.warnings).toEqual([
      expect.stringMatching(
        new RegExp(`^${ws.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:10: feeds\\[2\\]\\.url .* feeds\\[0\\] on line 6 `),
      ),
    ]);
    // No warning without a duplicate.
    expect((await workspace({ jane: '/jane.xml', other: '/real-feed.xml' }).check()).stdout).not.toContain('warning:');
  });

  it('exits 2 on an invalid config, naming the line', async () => {
    const ws = workspace({ jane: '/jane.xml' }, 'retentionDays: soon\n');
    const result = await runCli(['--config', ws.path, 'check']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${ws.path}:4: retentionDays must be a number`);
  });

  it.each([['check'], ['opml', 'import'], ['opml', 'export']])('answers "%s --help" with its usage', async (...command) => {
    const result = await runMain([...command, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Usage: columnwire ${command[0]}`);
  });

  it('applies poll.allowPrivateAddresses: a loopback feed fails when it is not allowed', async () => {
    const ws = workspace({ jane: '/jane.xml' });
    writeFileSync(ws.path, `feeds:\n  - url: ${server.url('/jane.xml')}\n    id: jane\n`);
    const result = await ws.check();
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/jane +error +- +refused 127\.0\.0\.1: .*loopback/);
  });
});
