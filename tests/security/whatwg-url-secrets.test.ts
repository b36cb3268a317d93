/**
 * Issue 9 §3, second round: feed URLs that WHATWG URL (and so fetch, which sends their
 * credentials) accepts though they are not written `scheme://`: `http:alice:pw@host/f`,
 * `http:\\alice:pw@host/f`, a leading blank, a token as the user name, `?token[]=`. Their
 * secrets must appear in no output either: not in /opml or `opml export`, `feeds --json`,
 * `feeds add` (its confirmation and its duplicate refusal), or the service's `feed failed` log
 * line. Real CLI, real service, real feed server; the tests run in order over one data folder.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveBody, startFeedServer, type FeedServer } from '../helpers/feed-server.ts';
import { runCli, type CliResult } from '../helpers/run-cli.ts';
import { message, startService } from '../helpers/service.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const PASSWORD = 'SECRETPW8';
const TOKEN = 'SECRETTOKEN9';
const BASIC = Buffer.from(`alice:${PASSWORD}`).toString('base64');
const TOKEN_BASIC = Buffer.from(`ghp_${TOKEN}:`).toString('base64');
const TIMEOUT_MS = 120_000;

const root = makeTempDir('columnwire-whatwg-secrets-');
let feeds: FeedServer;
let configPath: string;
let dataDir: string;
let host: string;

function rss(title: string): string {
  const item = (n: number) =>
    `<item><title>${title} ${n}</title><link>https://columns.example.org/${title}/${n}</link><guid>${title}-${n}</guid>` +
    `<pubDate>${new Date(Date.now() - n * 3600_000).toUTCString()}</pubDate></item>`;
  return `<?xml version="1.0"?><rss version="2.0"><channel><title>${title}</title><link>https://columns.example.org/${title}</link>${item(1)}${item(2)}</channel></rss>`;
}

/** Serves the feed only to a request carrying the credential; 401 otherwise. */
function privateFeed(allowed: (req: IncomingMessage) => boolean, body: string) {
  return (req: IncomingMessage, res: ServerResponse) => (allowed(req) ? serveBody(body) : serveBody('no', { status: 401 }))(req, res);
}
const basic = (credential: string) => (req: IncomingMessage) => req.headers.authorization === `Basic ${credential}`;

function expectNoSecrets(text: string, where: string): void {
  for (const secret of [PASSWORD, TOKEN, BASIC, TOKEN_BASIC]) expect(text, `${where} shows ${secret}`).not.toContain(secret);
}

const cli = (args: string[]): Promise<CliResult> => runCli(['--config', configPath, '--data', dataDir, ...args], { env: { SMTP_URL: '' } });

beforeAll(async () => {
  feeds = await startFeedServer({
    '/f1': privateFeed(basic(BASIC), rss('one')),
    '/blank': privateFeed(basic(BASIC), rss('blank')),
    '/tok': privateFeed(basic(TOKEN_BASIC), rss('tok')),
    '/arr': privateFeed((req) => (req.url ?? '').includes(TOKEN), rss('arr')),
    '/new': privateFeed(basic(BASIC), rss('new')),
    '/bad': serveBody('oops', { status: 500 }),
  });
  host = new URL(feeds.origin).host;
  const dir = mkdtempSync(join(root, 'ws-'));
  configPath = join(dir, 'feeds.yaml');
  dataDir = join(dir, 'data');
  // Single-quoted YAML: the backslashes and the leading blank reach the config as written.
  writeFileSync(
    configPath,
    `title: Odd URLs
baseUrl: https://columns.example.net
server:
  port: 0
poll:
  allowPrivateAddresses: true
  timeoutSeconds: 30
feeds:
  - url: 'http:alice:${PASSWORD}@${host}/f1'
    id: f1
  - url: ' http://alice:${PASSWORD}@${host}/blank'
    id: blank
  - url: 'http://ghp_${TOKEN}@${host}/tok'
    id: tok
  - url: 'http://${host}/arr?token[]=${TOKEN}&x=1'
    id: arr
  - url: 'http:\\\\alice:${PASSWORD}@${host}/bad'
    id: bad
`,
  );
}, TIMEOUT_MS);

afterAll(async () => {
  await feeds?.close();
});

describe('secrets in feed URLs that only WHATWG URL reads as URLs', () => {
  it(
    'stay out of the service log (feed failed) and /opml, and the feeds are really fetched with them',
    async () => {
      const service = startService(configPath, dataDir, { SMTP_URL: '' });
      const base = await service.url();
      await service.waitForLog(message('poll cycle finished'), 'the first poll cycle');
      const opml = await (await fetch(`${base}/opml`)).text();
      service.child.kill('SIGTERM');
      expect(await service.exited).toBe(0);

      // fetch sent the credentials of every odd form: these URLs are live secrets.
      for (const path of ['/f1', '/blank']) expect(feeds.requestsTo(path).at(-1)?.headers.authorization).toBe(`Basic ${BASIC}`);
      expect(feeds.requestsTo('/tok').at(-1)?.headers.authorization).toBe(`Basic ${TOKEN_BASIC}`);
      const failed = service.logs.filter(message('feed failed'));
      expect(failed).toHaveLength(1);
      expect(JSON.stringify(failed[0])).toContain(`${host}/bad`);
      expectNoSecrets(service.stderr(), 'the service log');

      expectNoSecrets(opml, '/opml');
      for (const path of ['/f1', '/blank', '/tok', '/arr?x=1', '/bad']) expect(opml).toContain(`xmlUrl="http://${host}${path}"`);
      expect(opml).not.toMatch(/alice|ghp_/);
    },
    TIMEOUT_MS,
  );

  it(
    'stay out of opml export and feeds --json, which still name host and path',
    async () => {
      const exported = await cli(['opml', 'export']);
      expect(exported.code, exported.stderr).toBe(0);
      expectNoSecrets(exported.stdout + exported.stderr, 'opml export');
      expect(exported.stdout).toContain(`xmlUrl="http://${host}/f1"`);
      expect(exported.stdout).toContain(`xmlUrl="http://${host}/arr?x=1"`);

      const listed = await cli(['feeds', '--json']);
      expect(listed.code, listed.stderr).toBe(0);
      expectNoSecrets(listed.stdout + listed.stderr, 'feeds --json');
      const urls = Object.fromEntries((JSON.parse(listed.stdout) as Array<{ id: string; url: string }>).map((feed) => [feed.id, feed.url]));
      expect(urls).toMatchObject({
        f1: `http://alice:***@${host}/f1`,
        tok: `http://***@${host}/tok`,
        arr: `http://${host}/arr?token[]=***&x=1`,
      });
      const table = await cli(['feeds']);
      expectNoSecrets(table.stdout + table.stderr, 'feeds');
    },
    TIMEOUT_MS,
  );

  it(
    'stay out of feeds add, when it adds the feed and when it refuses it as a duplicate',
    async () => {
      const url = `http:alice:${PASSWORD}@${host}/new`;
      const added = await cli(['feeds', 'add', url]);
      expect(added.code, added.stderr).toBe(0);
      expect(added.stdout).toContain(`added feed`);
      expect(added.stdout).toContain(`${host}/new`);
      expectNoSecrets(added.stdout + added.stderr, 'feeds add');
      // The file keeps the credential: the operator's config is where it belongs.
      expect(readFileSync(configPath, 'utf8')).toContain(PASSWORD);

      const again = await cli(['feeds', 'add', url]);
      expect(again.code).toBe(2);
      expect(again.stderr).toContain('already in');
      expectNoSecrets(again.stdout + again.stderr, 'the duplicate refusal');
    },
    TIMEOUT_MS,
  );
});
