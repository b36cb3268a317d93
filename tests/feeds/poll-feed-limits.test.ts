import { describe, expect, it } from 'vitest';
import { endless, serveBody, serveForTest, slow, type Handler } from '../helpers/feed-server.ts';
import { rssFeed, startPollApp } from '../helpers/poll-app.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dataRoot = makeTempDir();

describe('polling a feed: size and time limits', () => {
  it('fails an endless body at poll.maxBytes, naming the setting', async () => {
    const server = await serveForTest({ '/rss': endless() });
    const poller = await startPollApp({ dataRoot, feeds: { endless: server.url('/rss') }, poll: { maxBytes: 65536 } });

    const outcome = await poller.pollOne('endless');

    expect(outcome).toMatchObject({ kind: 'failed', error: expect.stringMatching(/poll\.maxBytes \(65536 bytes\)/) });
    expect(await poller.stories()).toEqual([]);
  });

  it('fails a server slower than poll.timeoutSeconds with "timed out"', async () => {
    const server = await serveForTest({ '/rss': slow(100) });
    const poller = await startPollApp({ dataRoot, feeds: { slow: server.url('/rss') }, poll: { timeoutSeconds: 0.5 } });

    const outcome = await poller.pollOne('slow');

    expect(outcome).toMatchObject({ kind: 'failed', error: expect.stringMatching(/timed out after 0\.5 s/) });
    expect(await poller.feed('slow')).toMatchObject({ consecutiveErrors: 1, waitReason: 'backoff' });
  });
});

describe('polling many feeds', () => {
  /** Serves `body` 20 ms after each request arrives, counting how many are open at once. */
  function countingServer(): { handler: (body: string) => Handler; maxInFlight: () => number } {
    let inFlight = 0;
    let max = 0;
    return {
      maxInFlight: () => max,
      handler: (body) => (_req, res) => {
        inFlight++;
        max = Math.max(max, inFlight);
        res.on('close', () => inFlight--);
        setTimeout(() => serveBody(body)(_req, res), 20);
      },
    };
  }

  it('never has more than poll.perHostConcurrency requests open to one host', async () => {
    const counter = countingServer();
    const names = ['ada', 'ben', 'cleo', 'dev', 'eli', 'fay'];
    const server = await serveForTest(Object.fromEntries(names.map((name) => [`/${name}.xml`, counter.handler(rssFeed(name))])));
    const poller = await startPollApp({
      dataRoot,
      feeds: Object.fromEntries(names.map((name) => [name, server.url(`/${name}.xml`)])),
      poll: { perHostConcurrency: 2, concurrency: 8 },
    });

    const summary = await poller.poll();

    expect(server.requests).toHaveLength(6);
    expect(counter.maxInFlight()).toBeLessThanOrEqual(2);
    expect(summary.results.map((result) => result.outcome.kind)).toEqual(Array(6).fill('stored'));
    expect(await poller.stories()).toHaveLength(12);
  });

  it('stores the good feeds when another feed fails', async () => {
    const server = await serveForTest({
      '/ada.xml': serveBody(rssFeed('ada')),
      '/broken.xml': serveBody('Internal Server Error', { status: 500 }),
      '/ben.xml': serveBody(rssFeed('ben')),
      '/cleo.xml': serveBody(rssFeed('cleo', 3)),
    });
    const poller = await startPollApp({
      dataRoot,
      feeds: { ada: server.url('/ada.xml'), broken: server.url('/broken.xml'), ben: server.url('/ben.xml'), cleo: server.url('/cleo.xml') },
    });

    const summary = await poller.poll();

    const outcomes = Object.fromEntries(summary.results.map(({ feed, outcome }) => [feed.id, outcome.kind]));
    expect(outcomes).toEqual({ ada: 'stored', broken: 'failed', ben: 'stored', cleo: 'stored' });
    expect(await poller.stories('cleo')).toHaveLength(3);
    expect(await poller.stories()).toHaveLength(7);
    expect(await poller.feed('broken')).toMatchObject({ consecutiveErrors: 1, lastError: expect.stringContaining('HTTP 500') });
  });

  it('skips only the feed asked to wait and polls the rest', async () => {
    const server = await serveForTest({
      '/ada.xml': serveBody(rssFeed('ada')),
      '/busy.xml': serveBody('slow down', { status: 429, headers: { 'retry-after': '600' } }),
    });
    const poller = await startPollApp({ dataRoot, feeds: { ada: server.url('/ada.xml'), busy: server.url('/busy.xml') } });
    await poller.poll();

    const summary = await poller.poll();

    const outcomes = Object.fromEntries(summary.results.map(({ feed, outcome }) => [feed.id, outcome.kind]));
    // ada is fetched again (its unchanged document, sent without validators, is not read again).
    expect(outcomes).toEqual({ ada: 'not-modified', busy: 'skipped' });
    expect(server.requestsTo('/busy.xml')).toHaveLength(1);
    expect(server.requestsTo('/ada.xml')).toHaveLength(2);
  });
});
