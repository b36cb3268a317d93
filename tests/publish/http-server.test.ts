import { request } from 'node:http';
import Parser from 'rss-parser';
import { describe, expect, it } from 'vitest';
import { item } from '../helpers/items.ts';
import { startServedApp } from '../helpers/served-app.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const parser = new Parser({ customFields: { item: ['dc:creator'] } });
type JsonFeed = { version: string; items: Array<{ _columnwire: { sources: Array<{ feed: string }> } }> };

async function seeded() {
  const served = await startServedApp(root);
  await served.save('jane', [
    item({
      id: 'j1',
      title: 'The budget is a fiction',
      link: 'https://times.example.com/opinion/budget',
      published: new Date('2026-11-20T08:00:00Z'),
      categories: ['Budget'],
    }),
    item({
      id: 'j2',
      title: 'Trains, again & again',
      link: 'https://times.example.com/opinion/trains',
      published: new Date('2026-11-19T08:00:00Z'),
      author: 'Jane Doe',
    }),
  ]);
  await served.save('agg', [
    item({ id: 'a9', title: 'The budget is a fiction', link: 'http://www.times.example.com/opinion/budget/?utm_source=agg' }),
  ]);
  return served;
}

describe('merged feed routes', () => {
  it.each([
    ['/feed.xml', 'application/rss+xml'],
    ['/feed.atom', 'application/atom+xml'],
    ['/tags/politics/feed.xml', 'application/rss+xml'],
    ['/feeds/agg/feed.atom', 'application/atom+xml'],
  ])('%s is a feed readers parse, newest first, one entry per story', async (path, type) => {
    const served = await seeded();
    const response = await served.get(path);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain(type);
    const feed = await parser.parseString(await response.text());
    const expected = path.startsWith('/feeds/agg') ? ['The budget is a fiction'] : ['The budget is a fiction', 'Trains, again & again'];
    expect(feed.items.map((entry) => entry.title)).toEqual(expected);
    expect(feed.items[0]).toMatchObject({ link: 'https://times.example.com/opinion/budget', isoDate: '2026-11-20T08:00:00.000Z' });
  });

  it('round-trips every field of a story through our RSS', async () => {
    const served = await seeded();
    const text = await (await served.get('/feed.xml')).text();
    const feed = await parser.parseString(text);
    expect(feed).toMatchObject({ title: 'Test Columns', link: 'https://columns.example.net/', ttl: '30' });
    expect(feed.lastBuildDate).toBeTruthy();
    const budget = feed.items[0]!;
    expect(budget).toMatchObject({
      guid: expect.stringMatching(/^urn:columnwire:story:[0-9a-f]{32}$/),
      creator: 'Jane Doe',
      categories: ['Budget', 'politics', 'uk', 'misc'],
    });
    expect(budget.content).toContain('Summary of j1');
    expect(text).toContain('<atom:link href="https://columns.example.net/feed.xml" rel="self" type="application/rss+xml"/>');
    expect(text).toMatch(/<rss [^>]*xmlns:columnwire="[^"]+"[^>]*xmlns:atom="http:\/\/www.w3.org\/2005\/Atom"/);
    expect(text).toContain('<columnwire:outlet>The Times</columnwire:outlet>');
    // Each source's link as that feed gave it, less its tracking parameters (publish.stripTracking).
    expect(text).toContain('<columnwire:source feed="agg" outlet="Aggregator" href="http://www.times.example.com/opinion/budget/"');
  });

  it('gives each per-tag and per-feed document its own self link', async () => {
    const served = await seeded();
    expect(await (await served.get('/tags/politics/feed.atom')).text()).toContain(
      '<link rel="self" href="https://columns.example.net/tags/politics/feed.atom"/>',
    );
    const json = (await (await served.get('/feeds/jane/feed.json')).json()) as { feed_url: string };
    expect(json.feed_url).toBe('https://columns.example.net/feeds/jane/feed.json');
  });

  it('serves JSON Feed 1.1 with authors and every source', async () => {
    const served = await seeded();
    const response = await served.get('/feed.json');
    expect(response.headers.get('content-type')).toContain('application/feed+json');
    const feed = (await response.json()) as JsonFeed;
    expect(feed.version).toBe('https://jsonfeed.org/version/1.1');
    const budget = feed.items[0]!;
    expect(budget).toMatchObject({
      title: 'The budget is a fiction',
      url: 'https://times.example.com/opinion/budget',
      authors: [{ name: 'Jane Doe' }],
      date_published: '2026-11-20T08:00:00.000Z',
      tags: ['Budget', 'politics', 'uk', 'misc'],
    });
    expect(budget._columnwire).toMatchObject({ outlet: 'The Times', columnist: 'Jane Doe' });
    expect(budget._columnwire.sources.map((source) => source.feed)).toEqual(['jane', 'agg']);
  });

  it('honours ?limit and rejects a bad one', async () => {
    const served = await seeded();
    expect(((await (await served.get('/feed.json?limit=1')).json()) as JsonFeed).items).toHaveLength(1);
    for (const bad of ['0', '501', 'ten', '-1']) expect((await served.get(`/feed.xml?limit=${bad}`)).status).toBe(400);
  });

  it.each(['/tags/nope/feed.xml', '/feeds/nobody/feed.json', '/feed.rss', '/wp-admin'])(
    'answers 404 with a short message for %s',
    async (path) => {
      const served = await seeded();
      const response = await served.get(path);
      expect(response.status).toBe(404);
      expect((await response.text()).length).toBeLessThan(300);
    },
  );

  // fetch() would normalize these paths before sending them, so they go out through node:http as written.
  it.each([
    '//feed.xml',
    '//',
    '///feed.xml',
    '/feed.xml/',
    '/./feed.xml',
    '/%2e/feed.xml',
    '/%2E%2E/feed.xml',
    '/x/../feed.xml',
    '/feed.xml;x',
    '/feed%2exml',
    '/feed.xml%3Flimit=5',
    '/FEED.XML',
    '/index.html/',
    '/opml/',
    '/healthz/',
    '/.git/config',
    '/tags/politics/feed.xml/',
    '/tags/politics//feed.xml',
    '/tags//feed.xml',
    '/feeds/jane/../agg/feed.json',
    '/tags/../feed.xml',
  ])('answers 404 for %s: a path serves a document only when it is a route exactly as written', async (path) => {
    const served = await seeded();
    const response = await rawGet(served.server.url, path);
    expect(response.status).toBe(404);
    expect(response.body).not.toMatch(/<rss|<feed|<html|"version"/);
  });

  it.each([
    ['/', 'text/html'],
    ['/index.html', 'text/html'],
    ['/opml', 'text/x-opml'],
    ['/feeds.opml', 'text/x-opml'],
    ['/feed.xml', 'application/rss+xml'],
    ['/feed.xml?limit=5&x=1', 'application/rss+xml'],
    ['/tags/politic%73/feed.atom', 'application/atom+xml'],
    ['/feeds/jane/feed.json', 'application/feed+json'],
    ['/healthz', 'application/json'],
    ['http://columns.example.net/feed.xml', 'application/rss+xml'],
    ['http://columns.example.net', 'text/html'],
  ])('serves %s (origin-form, or absolute-form as RFC 9112 §3.2.2 asks)', async (path, type) => {
    const served = await seeded();
    const response = await rawGet(served.server.url, path);
    expect(response.status).toBe(200);
    expect(response.type).toContain(type);
  });

  it('answers 400 for a request target that is not a path', async () => {
    const served = await seeded();
    expect((await rawGet(served.server.url, 'feed.xml')).status).toBe(400);
  });

  it('refuses methods other than GET and HEAD', async () => {
    const served = await seeded();
    const response = await fetch(`${served.server.url}/feed.xml`, { method: 'POST' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe('caching', () => {
  it('answers If-None-Match and If-Modified-Since with 304, and HEAD with headers only', async () => {
    const served = await seeded();
    const first = await served.get('/feed.xml');
    const etag = first.headers.get('etag')!;
    const lastModified = first.headers.get('last-modified')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers.get('cache-control')).toBe('public, max-age=1800');
    expect(first.headers.get('vary')).toBe('Accept-Encoding');
    expect((await served.get('/feed.xml', { 'if-none-match': etag })).status).toBe(304);
    expect((await served.get('/feed.xml', { 'if-none-match': `W/${etag}` })).status).toBe(304);
    expect((await served.get('/feed.xml', { 'if-modified-since': lastModified })).status).toBe(304);
    expect((await served.get('/feed.xml', { 'if-none-match': '"stale"' })).status).toBe(200);
    const head = await fetch(`${served.server.url}/feed.xml`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('etag')).toBe(etag);
    expect(await head.text()).toBe('');
  });

  it('sends a 200 to a client holding other bytes dated no earlier than these without Last-Modified (libcurl would drop it)', async () => {
    const served = await seeded();
    const first = await served.get('/feed.xml');
    const lastModified = first.headers.get('last-modified')!;
    const later = new Date(Date.parse(lastModified) + 60_000).toUTCString();
    // Another ETag with a date not before ours: other bytes, built later elsewhere or by a clock ahead.
    for (const since of [lastModified, later]) {
      const response = await served.get('/feed.xml', { 'if-none-match': '"other"', 'if-modified-since': since });
      expect(response.status).toBe(200);
      expect(response.headers.get('last-modified')).toBeNull();
      expect(response.headers.get('etag')).toBe(first.headers.get('etag'));
    }
    // An older date: these bytes are newer, and say when.
    const earlier = new Date(Date.parse(lastModified) - 60_000).toUTCString();
    const newer = await served.get('/feed.xml', { 'if-none-match': '"other"', 'if-modified-since': earlier });
    expect(newer.headers.get('last-modified')).toBe(lastModified);
  });

  it.each(['gzip', 'br'])('compresses with %s when the client accepts it, with its own strong ETag', async (encoding) => {
    const served = await seeded();
    const plain = await (await served.get('/feed.xml', { 'accept-encoding': 'identity' })).text();
    const response = await served.get('/feed.xml', { 'accept-encoding': encoding });
    expect(response.headers.get('content-encoding')).toBe(encoding);
    expect(response.headers.get('etag')).toMatch(new RegExp(`-${encoding}"$`));
    expect(await response.text()).toBe(plain);
  });

  it('builds a document once per change of the store, not per request', async () => {
    const served = await seeded();
    const first = await (await served.app.publishedFeeds()).feed({ kind: 'all' }, 'rss', 50);
    expect(await (await served.app.publishedFeeds()).feed({ kind: 'all' }, 'rss', 50)).toBe(first);
    const etag = (await served.get('/feed.xml')).headers.get('etag');
    await served.save('jane', [item({ id: 'j3', title: 'A brand new column on housing', published: new Date('2026-11-21T07:00:00Z') })]);
    expect(await (await served.app.publishedFeeds()).feed({ kind: 'all' }, 'rss', 50)).not.toBe(first);
    const after = await served.get('/feed.xml', { 'if-none-match': etag! });
    expect(after.status).toBe(200);
    expect(await after.text()).toContain('A brand new column on housing');
  });
});

/** GETs `path` exactly as written (no URL normalization on the way out). */
function rawGet(base: string, path: string): Promise<{ status: number; type: string; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: 'GET', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject).end();
  });
}
