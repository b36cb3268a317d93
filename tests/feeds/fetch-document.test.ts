import { describe, expect, it } from 'vitest';
import { fetchDocument, type DocumentRequest } from '../../src/feeds/fetch-document.ts';
import { tryFeed } from '../../src/feeds/try-feed.ts';
import { httpFixture, neverAnswer, redirect, serveBody, serveForTest } from '../helpers/feed-server.ts';

const html = { headers: { 'content-type': 'text/html; charset=utf-8' } };
const limits = { timeoutMs: 5_000, maxBytes: 1024 * 1024, allowPrivateAddresses: true } satisfies Omit<DocumentRequest, 'url'>;

describe('fetchDocument', () => {
  it('returns a feed as it is, decoded', async () => {
    const server = await serveForTest({ '/rss': serveBody(httpFixture('columnist.xml')) });
    const document = await fetchDocument({ url: server.url('/rss'), ...limits });
    expect(document).toMatchObject({ kind: 'ok', url: server.url('/rss'), permanentUrl: server.url('/rss'), pageUrl: null });
    expect(document.kind === 'ok' && document.text).toContain('<title>The Ledger — Opinion</title>');
  });

  it('follows a page to the feed its <link rel="alternate"> names', async () => {
    const server = await serveForTest({
      '/profile/priya': serveBody(httpFixture('page-with-feed-link.html'), html),
      '/real-feed.xml': serveBody(httpFixture('columnist.xml')),
    });
    const document = await fetchDocument({ url: server.url('/profile/priya'), ...limits });
    expect(document).toMatchObject({
      kind: 'ok',
      url: server.url('/real-feed.xml'),
      permanentUrl: server.url('/real-feed.xml'),
      pageUrl: server.url('/profile/priya'),
    });
  });

  it('subscribes to where permanent redirects lead, not temporary ones', async () => {
    const server = await serveForTest({
      '/old': redirect(301, '/new'),
      '/new': redirect(302, '/today'),
      '/today': serveBody(httpFixture('columnist.xml')),
    });
    expect(await fetchDocument({ url: server.url('/old'), ...limits })).toMatchObject({
      kind: 'ok',
      url: server.url('/today'),
      permanentUrl: server.url('/new'),
    });
  });

  it.each([
    {
      behaviour: 'a page that links no feed',
      routes: { '/p': serveBody(httpFixture('page-without-feed-link.html'), html) },
      reason: /\/p is an HTML page that links no feed .*use the feed's own URL/,
    },
    {
      behaviour: 'a page whose feed is missing',
      routes: { '/p': serveBody(httpFixture('page-with-feed-link.html'), html) },
      reason: /feed http:\/\/127\.0\.0\.1:\d+\/real-feed\.xml found on page .*\/p failed: HTTP 404/,
    },
    { behaviour: 'an HTTP error', routes: {}, reason: /^HTTP 404/ },
  ])('fails on $behaviour, saying why', async ({ routes, reason }) => {
    const server = await serveForTest(routes);
    const document = await fetchDocument({ url: server.url('/p'), ...limits });
    expect(document).toMatchObject({ kind: 'failed', reason: expect.stringMatching(reason) });
  });

  it('gives the page and its feed one time budget', async () => {
    const server = await serveForTest({ '/p': serveBody(httpFixture('page-with-feed-link.html'), html), '/real-feed.xml': neverAnswer() });
    const started = Date.now();
    const document = await fetchDocument({ url: server.url('/p'), ...limits, timeoutMs: 400 });
    expect(document).toMatchObject({ kind: 'failed', reason: expect.stringMatching(/timed out/) });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('applies the address policy: loopback is refused unless allowed', async () => {
    const server = await serveForTest({ '/rss': serveBody(httpFixture('columnist.xml')) });
    const document = await fetchDocument({ url: server.url('/rss'), ...limits, allowPrivateAddresses: false });
    expect(document).toMatchObject({ kind: 'failed', reason: expect.stringMatching(/loopback/) });
    expect(server.requests).toHaveLength(0);
  });
});

describe('tryFeed', () => {
  const settings = { ...limits, parseWorkers: 1, parseTimeoutMs: 10_000 };

  it('parses the feed and reports its URL and page', async () => {
    const server = await serveForTest({
      '/p': serveBody(httpFixture('page-with-feed-link.html'), html),
      '/real-feed.xml': serveBody(httpFixture('columnist.xml')),
    });
    const result = await tryFeed(server.url('/p'), settings);
    expect(result).toMatchObject({
      kind: 'ok',
      feedUrl: server.url('/real-feed.xml'),
      pageUrl: server.url('/p'),
      parsed: { feed: { title: 'The Ledger — Opinion' } },
    });
    expect(result.kind === 'ok' && result.parsed.items).toHaveLength(3);
  });

  it('fails with the parser reason on a malformed feed', async () => {
    const server = await serveForTest({ '/rss': serveBody(httpFixture('malformed-mismatched-tags.xml')) });
    expect(await tryFeed(server.url('/rss'), settings)).toMatchObject({ kind: 'failed', reason: expect.stringMatching(/malformed XML/) });
  });
});
