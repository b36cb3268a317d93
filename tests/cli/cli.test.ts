import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Parser from 'rss-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dir = makeTempDir();
const fixture = (name: string) => new URL(`../fixtures/feeds/${name}`, import.meta.url).pathname;
const ETAG = '"v1"';
let server: Server;
let base: string;

// Two outlets syndicating one column (different links to the same article), plus a broken feed.
const feedA = `<?xml version="1.0"?><rss version="2.0"><channel><title>Jane at the Times</title><link>https://times.example.com/</link>
<item><title>The budget is a fiction</title><link>https://times.example.com/opinion/budget?utm_source=rss</link><guid>times-1</guid><author>jane@times.example.com (Jane Doe)</author><pubDate>Fri, 20 Nov 2026 08:00:00 GMT</pubDate><description>Why the numbers lie.</description></item>
<item><title>Trains, again &amp; again</title><link>https://times.example.com/opinion/trains</link><guid>times-2</guid><pubDate>Thu, 19 Nov 2026 08:00:00 GMT</pubDate><description>On rail.</description></item>
</channel></rss>`;
const feedB = `<?xml version="1.0"?><rss version="2.0"><channel><title>Aggregator</title><link>https://agg.example.org/</link>
<item><title>The budget is a fiction</title><link>http://www.times.example.com/opinion/budget/#comments</link><guid>agg-99</guid><pubDate>Fri, 20 Nov 2026 09:00:00 GMT</pubDate><description>Syndicated.</description></item>
<item><guid isPermaLink="false">agg-heartbeat</guid><pubDate>Fri, 20 Nov 2026 10:00:00 GMT</pubDate><category>log</category></item>
</channel></rss>`;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/a.xml') {
      if (req.headers['if-none-match'] === ETAG) return void res.writeHead(304).end();
      return void res.writeHead(200, { 'content-type': 'application/rss+xml', etag: ETAG }).end(feedA);
    }
    if (req.url === '/b.xml') return void res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(feedB);
    if (req.url === '/page')
      return void res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<html><head><link rel="alternate" type="application/rss+xml" href="/a.xml"></head></html>');
    res.writeHead(500).end('oops');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  writeFileSync(
    join(dir, 'feeds.yaml'),
    `title: Test Columns
baseUrl: https://columns.example.net
poll:
  allowPrivateAddresses: true
feeds:
  - url: ${base}/a.xml
    id: jane
    outlet: The Times
    tags: [politics]
  - url: ${base}/b.xml
    id: agg
    outlet: Aggregator
    tags: [misc]
  - url: ${base}/broken.xml
    id: broken
`,
  );
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const cli = (...args: string[]) => runCli(['--config', join(dir, 'feeds.yaml'), '--data', join(dir, 'data'), ...args]);

describe('columnwire CLI', () => {
  it.each(['run', 'poll', 'feeds', 'export', 'parse'])('prints help for %s and exits 0', async (command) => {
    const result = await runCli([command, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Usage: columnwire ${command}`);
  });

  it('exits 2 with a clear message on an unknown command or option', async () => {
    expect(await runCli(['frobnicate'])).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown command "frobnicate"') });
    expect(await runCli(['poll', '--bogus'])).toMatchObject({ code: 2, stderr: expect.stringContaining("Unknown option '--bogus'") });
  });

  it('exits 2 and names the file and line of an invalid config', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'feeds:\n  - url: ftp://x.example.com/feed\n');
    const result = await runCli(['--config', bad, 'poll']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${bad}:2: feeds[0].url must be an http(s) URL`);
  });

  it('takes the config and data paths from COLUMNWIRE_CONFIG and COLUMNWIRE_DATA', async () => {
    const result = await runCli(['feeds', '--json'], {
      env: { COLUMNWIRE_CONFIG: join(dir, 'feeds.yaml'), COLUMNWIRE_DATA: join(dir, 'env-data') },
    });
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as Array<{ id: string }>).map((feed) => feed.id)).toEqual(['jane', 'agg', 'broken']);
  });

  it('parse --json prints the normalized feed of a local file', async () => {
    const result = await runCli(['parse', fixture('wordpress-rss.xml'), '--json']);
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.stdout) as { feed: object; items: Array<{ published: string }> };
    expect(Object.keys(parsed)).toEqual(['feed', 'items']);
    expect(Object.keys(parsed.feed)).toEqual(['title', 'link', 'description', 'language', 'updated']);
    expect(Object.keys(parsed.items[0]!)).toEqual([
      'id',
      'title',
      'link',
      'author',
      'published',
      'updated',
      'summary',
      'content',
      'categories',
    ]);
    expect(parsed.items[0]!.published).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('parse follows a page URL to its feed', async () => {
    // The test config allows private addresses; the fixture server is on 127.0.0.1.
    const result = await cli('parse', `${base}/page`, '--json');
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as { feed: { title: string } }).feed.title).toBe('Jane at the Times');
  });

  it('parse exits 1 with the reason for something that is not a feed', async () => {
    const result = await runCli(['parse', fixture('not-a-feed.txt')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('not a feed');
  });

  it('poll prints a line per feed, keeps going past a broken feed and exits 0', async () => {
    const first = await cli('poll');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('jane: 2 new, 0 updated, 0 unchanged (2 items)');
    // Already stored from jane's feed: unchanged; the item with no title, link or text is skipped, not stored.
    expect(first.stdout).toContain('agg: 0 new, 0 updated, 1 unchanged, 1 skipped with nothing to show (2 items)');
    expect(first.stdout).toMatch(/broken: failed: HTTP 500/);
    expect(first.stdout).toMatch(
      /^3 feeds: 2 new, 0 updated, 1 unchanged, 0 not modified, 0 skipped, 1 failed; 1 item with nothing to show skipped \(/m,
    );
    expect(first.stdout).not.toContain('duplicates');
    const second = await cli('poll', '--feed', 'jane');
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('jane: not modified');
    expect(second.stdout).toMatch(/^1 feed: 0 new, /m);
  });

  it('poll --feed exits 1 when the one feed asked for failed', async () => {
    // Its own data folder: the tests below count the broken feed's errors in the shared one.
    const result = await runCli(['--config', join(dir, 'feeds.yaml'), '--data', join(dir, 'data-failing'), 'poll', '--feed', 'broken']);
    expect(result.stdout).toMatch(/broken: failed: HTTP 500/);
    expect(result.stdout).toMatch(/^1 feed: .* 1 failed/m);
    expect(result.code).toBe(1);
  });

  it('poll --feed with an unknown id exits 2', async () => {
    expect(await cli('poll', '--feed', 'nobody')).toMatchObject({ code: 2, stderr: expect.stringContaining('no feed with id "nobody"') });
  });

  it('feeds --json shows state, errors and story counts', async () => {
    const feeds = JSON.parse((await cli('feeds', '--json')).stdout) as Array<Record<string, unknown>>;
    expect(feeds.find((feed) => feed.id === 'jane')).toMatchObject({ items: 2, consecutiveErrors: 0, lastError: null });
    expect(feeds.find((feed) => feed.id === 'broken')).toMatchObject({
      items: 0,
      consecutiveErrors: 1,
      lastError: expect.stringContaining('HTTP 500'),
    });
    const table = (await cli('feeds')).stdout;
    expect(table.split('\n')[0]).toMatch(/^ID\s+LAST FETCH\s+ITEMS\s+ERRORS\s+NEXT FETCH\s+LAST ERROR$/);
  });

  it.each(['rss', 'atom'] as const)('export --format %s writes a feed readers can parse, one entry per story', async (format) => {
    const result = await cli('export', '--format', format);
    expect(result.code).toBe(0);
    const feed = await new Parser().parseString(result.stdout);
    expect(feed.title).toBe('Test Columns');
    expect(feed.items.map((entry) => entry.title)).toEqual(['The budget is a fiction', 'Trains, again & again']);
    expect(result.stdout).toContain('outlet="Aggregator"');
  });

  it('export --format json lists every source of a story in _columnwire', async () => {
    type Item = { title: string; author: { name: string }; _columnwire: { outlet: string; sources: Array<{ feed: string }> } };
    const feed = JSON.parse((await cli('export', '--format', 'json')).stdout) as { items: Item[] };
    const budget = feed.items.find((entry) => entry.title === 'The budget is a fiction');
    expect(budget?.author.name).toBe('Jane Doe');
    expect(budget?._columnwire.outlet).toBe('The Times');
    expect(budget?._columnwire.sources.map((source) => source.feed)).toEqual(['jane', 'agg']);
  });

  it('export --tag filters by the feeds tag and --limit caps the entries', async () => {
    const misc = JSON.parse((await cli('export', '--format', 'json', '--tag', 'misc')).stdout) as { items: Array<{ title: string }> };
    expect(misc.items.map((entry) => entry.title)).toEqual(['The budget is a fiction']);
    const limited = JSON.parse((await cli('export', '--format', 'json', '--limit', '1')).stdout) as { items: unknown[] };
    expect(limited.items).toHaveLength(1);
    expect(await cli('export', '--tag', 'nope')).toMatchObject({ code: 2, stderr: expect.stringContaining('tags in use: misc, politics') });
    expect(await cli('export', '--format', 'xml')).toMatchObject({ code: 2 });
  });

  it('keeps the fixture files it reads untouched', () => {
    expect(readFileSync(fixture('wordpress-rss.xml'), 'utf8').length).toBeGreaterThan(0);
  });
});
