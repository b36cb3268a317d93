import { describe, expect, it } from 'vitest';
import { fetchFeed, type FetchResult } from '../../src/feeds/fetch-feed.ts';
import { httpFixture, redirect, serveBody, serveForTest, type Handler } from '../helpers/feed-server.ts';

const feedXml = httpFixture('columnist.xml');

const fetchFrom = (url: string, etag: string | null = null): Promise<FetchResult> =>
  fetchFeed({ url, etag, timeoutMs: 10_000, maxBytes: 1024 * 1024, allowPrivateAddresses: true });

/** Narrows a result to one kind, failing the test with the whole result otherwise. */
function expectKind<K extends FetchResult['kind']>(result: FetchResult, kind: K): Extract<FetchResult, { kind: K }> {
  expect(result, JSON.stringify(result)).toMatchObject({ kind });
  return result as Extract<FetchResult, { kind: K }>;
}

describe('fetchFeed: following redirects', () => {
  it.each([
    {
      behaviour: 'remembers a 301 target as the permanent URL',
      routes: { '/old.xml': redirect(301, '/feed.xml') },
      permanent: '/feed.xml',
      requested: ['/old.xml', '/feed.xml'],
    },
    {
      behaviour: 'remembers a 308 target as the permanent URL',
      routes: { '/old.xml': redirect(308, '/feed.xml') },
      permanent: '/feed.xml',
      requested: ['/old.xml', '/feed.xml'],
    },
    {
      behaviour: 'keeps the original URL after a 302',
      routes: { '/old.xml': redirect(302, '/feed.xml') },
      permanent: '/old.xml',
      requested: ['/old.xml', '/feed.xml'],
    },
    {
      behaviour: 'keeps the original URL after a 307',
      routes: { '/old.xml': redirect(307, '/feed.xml') },
      permanent: '/old.xml',
      requested: ['/old.xml', '/feed.xml'],
    },
    {
      behaviour: 'keeps the 301 target when a 302 follows it (301 → 302 → 200)',
      routes: { '/old.xml': redirect(301, '/moved.xml'), '/moved.xml': redirect(302, '/feed.xml') },
      permanent: '/moved.xml',
      requested: ['/old.xml', '/moved.xml', '/feed.xml'],
    },
    {
      behaviour: 'ignores a 301 that comes after a 302 (302 → 301 → 200)',
      routes: { '/old.xml': redirect(302, '/moved.xml'), '/moved.xml': redirect(301, '/feed.xml') },
      permanent: '/old.xml',
      requested: ['/old.xml', '/moved.xml', '/feed.xml'],
    },
    {
      behaviour: 'follows a chain of permanent redirects to the end (301 → 308 → 200)',
      routes: { '/old.xml': redirect(301, '/moved.xml'), '/moved.xml': redirect(308, '/feed.xml') },
      permanent: '/feed.xml',
      requested: ['/old.xml', '/moved.xml', '/feed.xml'],
    },
    {
      behaviour: 'follows a relative Location to another directory',
      routes: { '/blog/rss': redirect(301, '../feeds/columns.xml'), '/feeds/columns.xml': serveBody(feedXml) },
      permanent: '/feeds/columns.xml',
      requested: ['/blog/rss', '/feeds/columns.xml'],
      start: '/blog/rss',
    },
  ])('$behaviour', async ({ routes, permanent, requested, start = '/old.xml' }) => {
    const server = await serveForTest({ '/feed.xml': serveBody(feedXml), ...(routes as Record<string, Handler>) });
    const result = expectKind(await fetchFrom(server.url(start)), 'ok');
    expect(Buffer.from(result.body).equals(feedXml)).toBe(true);
    expect(result.permanentUrl).toBe(server.url(permanent));
    expect(result.url).toBe(server.url(requested.at(-1)!));
    expect(server.requests.map((request) => request.path)).toEqual(requested);
  });

  it('follows an absolute Location', async () => {
    const server = await serveForTest({ '/feed.xml': serveBody(feedXml) });
    server.setRoute('/old.xml', redirect(301, server.url('/feed.xml')));
    expect(expectKind(await fetchFrom(server.url('/old.xml')), 'ok').permanentUrl).toBe(server.url('/feed.xml'));
  });

  it('follows five redirects', async () => {
    const server = await serveForTest({ '/hop5': serveBody(feedXml) });
    for (let hop = 0; hop < 5; hop++) server.setRoute(`/hop${hop}`, redirect(301, `/hop${hop + 1}`));
    expect(expectKind(await fetchFrom(server.url('/hop0')), 'ok').url).toBe(server.url('/hop5'));
  });

  it('gives up on a chain of six redirects, saying there were too many', async () => {
    const server = await serveForTest({ '/hop6': serveBody(feedXml) });
    for (let hop = 0; hop < 6; hop++) server.setRoute(`/hop${hop}`, redirect(302, `/hop${hop + 1}`));
    const result = expectKind(await fetchFrom(server.url('/hop0')), 'failed');
    expect(result.reason).toMatch(/too many redirects/);
    expect(server.requestsTo('/hop6')).toHaveLength(0);
  });

  it('stops a loop between two URLs (a → b → a) with a reason naming redirects', async () => {
    const server = await serveForTest({ '/a.xml': redirect(302, '/b.xml'), '/b.xml': redirect(302, '/a.xml') });
    const result = expectKind(await fetchFrom(server.url('/a.xml')), 'failed');
    expect(result.reason).toMatch(/redirect loop|too many redirects/);
    expect(server.requests.length).toBeLessThanOrEqual(6);
  });

  it('stops a URL that redirects to itself, calling it a loop', async () => {
    const server = await serveForTest({ '/self.xml': redirect(301, '/self.xml') });
    const result = expectKind(await fetchFrom(server.url('/self.xml')), 'failed');
    expect(result.reason).toMatch(/redirect loop/);
  });

  it('fails on a redirect without a Location header', async () => {
    const server = await serveForTest({ '/feed.xml': serveBody('', { status: 301 }) });
    const result = expectKind(await fetchFrom(server.url('/feed.xml')), 'failed');
    expect(result.reason).toMatch(/without a Location/);
    expect(result.status).toBe(301);
  });

  it('keeps the permanent URL learned before a failure', async () => {
    const server = await serveForTest({
      '/old.xml': redirect(301, '/gone.xml'),
      '/gone.xml': serveBody('gone', { status: 410 }),
    });
    const result = expectKind(await fetchFrom(server.url('/old.xml')), 'failed');
    expect(result.status).toBe(410);
    expect(result.permanentUrl).toBe(server.url('/gone.xml'));
  });

  it('carries the 304 of a permanently moved feed with its new URL', async () => {
    const server = await serveForTest({
      '/old.xml': redirect(301, '/feed.xml'),
      '/feed.xml': (req, res) => {
        res.writeHead(req.headers['if-none-match'] === '"v1"' ? 304 : 200);
        res.end();
      },
    });
    const result = expectKind(await fetchFrom(server.url('/old.xml'), '"v1"'), 'not-modified');
    expect(result.permanentUrl).toBe(server.url('/feed.xml'));
  });
});
