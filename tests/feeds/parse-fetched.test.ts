/** A page URL's two fetches share the network budget; time spent waiting for a parse worker does not count against it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchFeed } from '../../src/feeds/fetch-feed.ts';
import { parseDocument, type ParseJob } from '../../src/feeds/parse-document.ts';
import { parseFetched } from '../../src/feeds/parse-fetched.ts';
import type { FeedParser } from '../../src/feeds/parse-pool.ts';
import { rssFeed } from '../helpers/poll-app.ts';
import { serveBody, startFeedServer, type FeedServer } from '../helpers/feed-server.ts';

/** The real in-process parse, answering only after `delayMs`: a worker still starting, or busy with other feeds. */
function slowParser(delayMs: number): FeedParser {
  return {
    parse: async (job: ParseJob) => {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      return parseDocument(job);
    },
  };
}

describe('parseFetched', () => {
  let server: FeedServer;
  beforeAll(async () => {
    server = await startFeedServer({
      '/feed.xml': serveBody(rssFeed('linked', 2), { headers: { 'content-type': 'application/rss+xml' } }),
    });
    const page = `<!doctype html><html><head><link rel="alternate" type="application/rss+xml" href="${server.url('/feed.xml')}"></head><body>columns</body></html>`;
    server.setRoute('/page', serveBody(page, { headers: { 'content-type': 'text/html' } }));
  });
  afterAll(() => server.close());

  it('follows a page to its feed even when the parse of the page waited longer than the fetch timeout', async () => {
    const request = {
      url: server.url('/page'),
      timeoutMs: 2_000,
      maxBytes: 1 << 20,
      allowPrivateAddresses: true as const,
      etag: null,
      lastModified: null,
    };
    const startedMs = Date.now();
    const page = await fetchFeed(request);
    if (page.kind !== 'ok') throw new Error(`page fetch failed: ${JSON.stringify(page)}`);
    const result = await parseFetched(page, { request, startedMs, parser: slowParser(2_500), normalizeAt: null });
    expect(result.kind === 'ok' ? result.pageUrl : result).toBe(server.url('/page'));
    expect(result.kind === 'ok' && result.document.kind === 'parsed' ? result.document.parsed.items.length : -1).toBe(2);
  });
});
