/**
 * A server that sends no validators (no ETag, no Last-Modified) answers every poll with 200 and
 * the whole document. When the bytes are the ones stored last, read the same way, the poller
 * skips parsing and saving them, as it would for a 304; a changed byte, a changed item cap or a
 * changed pick reads the document again.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { serveForTest } from '../helpers/feed-server.ts';
import { parseConfig } from '../../src/config/load.ts';
import { configYaml, rssFeed, startPollApp } from '../helpers/poll-app.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dataRoot = makeTempDir();

/** Serves `document.body` with 200 and no validators, whatever the request carries; counts requests. */
function plainServer(initial: string) {
  const state = { body: initial, requests: 0 };
  const handler = (_req: IncomingMessage, res: ServerResponse) => {
    state.requests++;
    res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(state.body);
  };
  return { state, handler };
}

describe('a feed whose server sends no validators', () => {
  it('is not parsed again while it sends the same bytes, and is when they change', async () => {
    const feed = plainServer(rssFeed('plain', 3));
    const server = await serveForTest({ '/feed': feed.handler });
    const poller = await startPollApp({ dataRoot, feeds: { plain: server.url('/feed') } });
    // Counts the documents handed to the (real) parse pool.
    let parsed = 0;
    const parser = poller.app.poll.parser;
    poller.app.poll.parser = { parse: (job) => (parsed++, parser.parse(job)) };

    expect(await poller.pollOne('plain', { force: true })).toMatchObject({ kind: 'stored', added: 3 });
    expect(await poller.pollOne('plain', { force: true })).toEqual({ kind: 'not-modified' });
    expect(await poller.pollOne('plain', { force: true })).toEqual({ kind: 'not-modified' });
    expect(feed.state.requests).toBe(3);
    expect(parsed).toBe(1);

    feed.state.body = rssFeed('plain', 4);
    expect(await poller.pollOne('plain', { force: true })).toMatchObject({ kind: 'stored', added: 1, duplicates: 3 });
    expect(await poller.pollOne('plain', { force: true })).toEqual({ kind: 'not-modified' });
    expect(parsed).toBe(2);
    expect(await poller.stories('plain')).toHaveLength(4);
  });

  it('reads the same bytes again when they come with another Content-Type (another charset decodes them otherwise)', async () => {
    const body = Buffer.from(rssFeed('latin').replace('column number 1', 'column número 1').replace(' encoding="UTF-8"', ''), 'latin1');
    // Latin-1 bytes (ú is 0xFA) served first as windows-1251, in which 0xFA is ъ.
    let contentType = 'application/rss+xml; charset=windows-1251';
    const server = await serveForTest({
      '/feed': (_req: IncomingMessage, res: ServerResponse) => void res.writeHead(200, { 'content-type': contentType }).end(body),
    });
    const poller = await startPollApp({ dataRoot, feeds: { latin: server.url('/feed') } });
    expect(await poller.pollOne('latin', { force: true })).toMatchObject({ kind: 'stored', added: 2 });
    expect(await poller.pollOne('latin', { force: true })).toEqual({ kind: 'not-modified' });
    expect((await poller.stories('latin')).map((story) => story.title)).toContain('latin column nъmero 1');
    contentType = 'application/rss+xml; charset=iso-8859-1';
    expect(await poller.pollOne('latin', { force: true })).toMatchObject({ kind: 'stored', updated: 1 });
    expect((await poller.stories('latin')).map((story) => story.title)).toContain('latin column número 1');
  });

  it('reads the same bytes again when a temporary redirect moves them (relative links resolve against the new place)', async () => {
    const body = `<?xml version="1.0"?><rss version="2.0"><channel><title>Moving</title>
      <item><title>The moving column</title><link>posts/one.html</link><guid isPermaLink="false">one</guid>
      <pubDate>Sun, 01 Jun 2025 08:00:00 GMT</pubDate></item></channel></rss>`;
    let target = '/v1/feed.xml';
    const serve = (_req: IncomingMessage, res: ServerResponse) =>
      void res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(body);
    const server = await serveForTest({
      '/feed': (_req: IncomingMessage, res: ServerResponse) => void res.writeHead(302, { location: target }).end(),
      '/v1/feed.xml': serve,
      '/v2/feed.xml': serve,
    });
    const poller = await startPollApp({ dataRoot, feeds: { moving: server.url('/feed') } });
    expect(await poller.pollOne('moving', { force: true })).toMatchObject({ kind: 'stored', added: 1 });
    expect(await poller.pollOne('moving', { force: true })).toEqual({ kind: 'not-modified' });
    target = '/v2/feed.xml';
    expect(await poller.pollOne('moving', { force: true })).toMatchObject({ kind: 'stored', updated: 1 });
    expect((await poller.stories('moving'))[0]!.link).toBe(server.url('/v2/posts/one.html'));
  });

  it('keeps only the validators the 200 itself sends when it skips the same bytes', async () => {
    const body = rssFeed('validators');
    let etag: string | null = '"abc"';
    const server = await serveForTest({
      '/feed': (_req: IncomingMessage, res: ServerResponse) =>
        void res.writeHead(200, { 'content-type': 'application/rss+xml', ...(etag === null ? {} : { etag }) }).end(body),
    });
    const poller = await startPollApp({ dataRoot, feeds: { validators: server.url('/feed') } });
    expect(await poller.pollOne('validators', { force: true })).toMatchObject({ kind: 'stored', added: 2 });
    expect((await poller.feed('validators')).etag).toBe('"abc"');
    etag = null;
    expect(await poller.pollOne('validators', { force: true })).toEqual({ kind: 'not-modified' });
    expect((await poller.feed('validators')).etag).toBeNull();
  });

  it('reads the same bytes again when the item cap changes what they hold', async () => {
    const feed = plainServer(rssFeed('capped', 5));
    const server = await serveForTest({ '/feed': feed.handler });
    const feeds = { capped: server.url('/feed') };
    const poller = await startPollApp({ dataRoot, feeds, poll: { maxItemsPerFeed: 2 } });
    expect(await poller.pollOne('capped', { force: true })).toMatchObject({ kind: 'stored', added: 2, droppedItems: 3 });
    expect(await poller.pollOne('capped', { force: true })).toEqual({ kind: 'not-modified' });
    // A reload with a higher cap: the same bytes now hold two more stories to keep.
    await poller.app.reconfigure(parseConfig(configYaml(feeds, { maxItemsPerFeed: 4 }), 'feeds.yaml'));
    expect(await poller.pollOne('capped', { force: true })).toMatchObject({ kind: 'stored', added: 2, droppedItems: 1 });
    expect(await poller.pollOne('capped', { force: true })).toEqual({ kind: 'not-modified' });
  });
});
