import { describe, expect, it } from 'vitest';
import { closedPortUrl, httpFixture, redirect, serveBody, serveForTest } from '../helpers/feed-server.ts';
import { START, startPollApp } from '../helpers/poll-app.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dataRoot = makeTempDir();
const columnist = httpFixture('columnist.xml');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('polling a feed: storing and conditional requests', () => {
  it('stores every item of the first poll and records the feed', async () => {
    const server = await serveForTest({ '/opinion/rss': serveBody(columnist, { headers: { etag: '"ledger-1"' } }) });
    const poller = await startPollApp({ dataRoot, feeds: { ledger: server.url('/opinion/rss') } });

    const outcome = await poller.pollOne('ledger');

    expect(outcome).toEqual({
      kind: 'stored',
      itemCount: 3,
      droppedItems: 0,
      emptyItems: 0,
      unpickedItems: 0,
      added: 3,
      updated: 0,
      duplicates: 0,
    });
    const stories = await poller.stories();
    expect(stories.map((story) => story.title)).toEqual([
      'The budget nobody wanted to read',
      'Why the trains still run late',
      'In praise of the public library',
    ]);
    expect(stories.every((story) => story.feedId === 'ledger')).toBe(true);
    expect(await poller.feed('ledger')).toMatchObject({
      title: 'The Ledger — Opinion',
      etag: '"ledger-1"',
      lastSuccessAt: START,
      lastFetchAt: START,
      consecutiveErrors: 0,
      lastError: null,
      waitReason: 'schedule',
    });
  });

  it('sends the stored ETag and Last-Modified and changes nothing on 304', async () => {
    const lastModified = 'Sun, 01 Jun 2025 06:00:00 GMT';
    const server = await serveForTest({
      '/opinion/rss': (req, res) => {
        if (req.headers['if-none-match'] === '"ledger-1"') {
          res.writeHead(304, { etag: '"ledger-1"' });
          return res.end();
        }
        res.writeHead(200, { 'content-type': 'application/rss+xml', etag: '"ledger-1"', 'last-modified': lastModified });
        res.end(columnist);
      },
    });
    const poller = await startPollApp({ dataRoot, feeds: { ledger: server.url('/opinion/rss') } });
    await poller.pollOne('ledger');
    const storiesBefore = await poller.stories();
    poller.advance(30 * MINUTE);

    const outcome = await poller.pollOne('ledger');

    expect(outcome).toEqual({ kind: 'not-modified' });
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]?.headers['if-none-match']).toBe('"ledger-1"');
    expect(server.requests[1]?.headers['if-modified-since']).toBe(lastModified);
    expect(await poller.stories()).toEqual(storiesBefore);
    expect(await poller.feed('ledger')).toMatchObject({ etag: '"ledger-1"', lastModified, consecutiveErrors: 0 });
  });

  it('moves the feed to where a 301 leads and fetches it there next time', async () => {
    const server = await serveForTest({ '/rss': redirect(301, '/opinion/rss'), '/opinion/rss': serveBody(columnist) });
    const poller = await startPollApp({ dataRoot, feeds: { ledger: server.url('/rss') } });

    expect(await poller.pollOne('ledger')).toMatchObject({ kind: 'stored', added: 3 });
    expect(await poller.feed('ledger')).toMatchObject({ url: server.url('/opinion/rss'), configuredUrl: server.url('/rss') });

    await poller.pollOne('ledger');
    expect(server.requests.map((request) => request.path)).toEqual(['/rss', '/opinion/rss', '/opinion/rss']);
  });

  it('keeps the configured URL after a 302', async () => {
    const server = await serveForTest({ '/rss': redirect(302, '/opinion/rss'), '/opinion/rss': serveBody(columnist) });
    const poller = await startPollApp({ dataRoot, feeds: { ledger: server.url('/rss') } });
    await poller.pollOne('ledger');
    expect((await poller.feed('ledger')).url).toBe(server.url('/rss'));
  });

  it('waits the RSS <ttl> (60 min) before a scheduled poll fetches again', async () => {
    const server = await serveForTest({ '/rss': serveBody(httpFixture('columnist-ttl-60.xml')) });
    const poller = await startPollApp({ dataRoot, feeds: { ledger: server.url('/rss') } });
    await poller.pollOne('ledger');
    expect(await poller.feed('ledger')).toMatchObject({ nextFetchAt: new Date(START.getTime() + 60 * MINUTE), waitReason: 'schedule' });

    expect(await poller.pollOne('ledger', { mode: 'scheduled' })).toMatchObject({ kind: 'skipped', reason: 'schedule' });
    // Fetched again (the same document, sent without validators: nothing to read again).
    expect(await poller.pollOne('ledger', { mode: 'manual' })).toMatchObject({ kind: 'not-modified' });
    expect(server.requests).toHaveLength(2);
  });
});

describe("polling a feed: the publisher's interval survives a 304", () => {
  it('keeps waiting the <ttl> after the feed answers 304', async () => {
    const ttlFeed = httpFixture('columnist-ttl-60.xml');
    const server = await serveForTest({
      '/rss': (req, res) => {
        if (req.headers['if-none-match'] === '"t1"') return void res.writeHead(304, { etag: '"t1"' }).end();
        res.writeHead(200, { 'content-type': 'application/rss+xml', etag: '"t1"' }).end(ttlFeed);
      },
    });
    const poller = await startPollApp({ dataRoot, feeds: { ledger: server.url('/rss') } });
    await poller.pollOne('ledger');
    poller.advance(61 * MINUTE);
    expect(await poller.pollOne('ledger', { mode: 'scheduled' })).toEqual({ kind: 'not-modified' });
    expect(await poller.feed('ledger')).toMatchObject({ ttlMinutes: 60, nextFetchAt: new Date(START.getTime() + 121 * MINUTE) });
  });
});

describe('polling a feed: failures and backoff', () => {
  it.each([
    { status: 429, retryAfter: '3600' },
    { status: 503, retryAfter: 'Mon, 02 Jun 2025 13:00:00 GMT' },
  ])('honours Retry-After on $status ($retryAfter): skips on manual poll, fetches on force', async ({ status, retryAfter }) => {
    const server = await serveForTest({ '/rss': serveBody('Too busy', { status, headers: { 'retry-after': retryAfter } }) });
    const poller = await startPollApp({ dataRoot, feeds: { ledger: server.url('/rss') } });
    const inAnHour = new Date(START.getTime() + HOUR);

    const failed = await poller.pollOne('ledger');
    expect(failed).toMatchObject({ kind: 'failed', nextFetchAt: inAnHour });
    expect(await poller.feed('ledger')).toMatchObject({
      nextFetchAt: inAnHour,
      waitReason: 'retry-after',
      consecutiveErrors: 1,
      lastError: expect.stringContaining(String(status)),
    });

    poller.advance(10 * MINUTE);
    expect(await poller.pollOne('ledger')).toEqual({ kind: 'skipped', reason: 'retry-after', until: inAnHour });
    expect(server.requests).toHaveLength(1);

    expect(await poller.pollOne('ledger', { force: true })).toMatchObject({ kind: 'failed' });
    expect(server.requests).toHaveLength(2);
  });

  it('backs off longer after each consecutive failure and resets on success', async () => {
    const server = await serveForTest({ '/rss': serveBody('boom', { status: 500 }) });
    const poller = await startPollApp({ dataRoot, feeds: { ledger: server.url('/rss') } });
    const gaps: number[] = [];
    for (let attempt = 1; attempt <= 4; attempt++) {
      expect(await poller.pollOne('ledger')).toMatchObject({ kind: 'failed', error: expect.stringContaining('500') });
      const feed = await poller.feed('ledger');
      expect(feed).toMatchObject({ consecutiveErrors: attempt, waitReason: 'backoff', lastError: expect.stringContaining('HTTP 500') });
      gaps.push(feed.nextFetchAt!.getTime() - poller.clock.now.getTime());
      poller.clock.now = feed.nextFetchAt!;
    }
    expect(gaps).toEqual([1, 2, 4, 8].map((minutes) => minutes * MINUTE));

    server.setRoute('/rss', serveBody(columnist));
    expect(await poller.pollOne('ledger')).toMatchObject({ kind: 'stored', added: 3 });
    expect(await poller.feed('ledger')).toMatchObject({
      consecutiveErrors: 0,
      lastError: null,
      waitReason: 'schedule',
      lastSuccessAt: poller.clock.now,
    });
  });

  it('skips a feed in backoff on a manual poll until its time comes', async () => {
    const server = await serveForTest({ '/rss': serveBody('boom', { status: 500 }) });
    const poller = await startPollApp({ dataRoot, feeds: { ledger: server.url('/rss') } });
    await poller.pollOne('ledger');
    expect(await poller.pollOne('ledger')).toMatchObject({ kind: 'skipped', reason: 'backoff' });
    poller.advance(MINUTE);
    expect(await poller.pollOne('ledger')).toMatchObject({ kind: 'failed' });
    expect(server.requests).toHaveLength(2);
  });

  it('records a refused connection as a failure with a readable reason', async () => {
    const url = await closedPortUrl('/rss');
    const poller = await startPollApp({ dataRoot, feeds: { ledger: url } });
    expect(await poller.pollOne('ledger')).toMatchObject({ kind: 'failed', error: expect.stringMatching(/connection refused/) });
  });
});
