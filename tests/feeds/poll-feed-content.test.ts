import { describe, expect, it } from 'vitest';
import { httpFixture, serveBody, serveForTest } from '../helpers/feed-server.ts';
import { startPollApp } from '../helpers/poll-app.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dataRoot = makeTempDir();
const columnist = httpFixture('columnist.xml');

describe('polling a feed: broken documents', () => {
  it.each([
    {
      behaviour: 'mismatched closing tags in the middle',
      file: 'malformed-mismatched-tags.xml',
      type: 'application/rss+xml',
      error: /malformed XML/,
    },
    { behaviour: 'a plain-text error page served as 200', file: 'not-xml.txt', type: 'text/plain', error: /not a feed/ },
    { behaviour: 'binary garbage', file: 'garbage.bin', type: 'application/octet-stream', error: /not a feed/ },
  ])('fails on $behaviour with the parser reason and keeps the stored stories', async ({ file, type, error }) => {
    const server = await serveForTest({ '/rss': serveBody(columnist) });
    const poller = await startPollApp({ dataRoot, feeds: { ledger: server.url('/rss') } });
    await poller.pollOne('ledger');
    const storiesBefore = await poller.stories();
    expect(storiesBefore).toHaveLength(3);

    server.setRoute('/rss', serveBody(httpFixture(file), { headers: { 'content-type': type } }));
    const outcome = await poller.pollOne('ledger');

    expect(outcome).toMatchObject({ kind: 'failed', error });
    const feed = await poller.feed('ledger');
    expect(feed).toMatchObject({ consecutiveErrors: 1, waitReason: 'backoff', title: 'The Ledger — Opinion' });
    expect(feed.lastError).toBe(outcome.kind === 'failed' ? outcome.error : null);
    expect(await poller.stories()).toEqual(storiesBefore);
  });

  it('stores an entity-expansion bomb without expanding it', async () => {
    const server = await serveForTest({ '/rss': serveBody(httpFixture('entity-bomb.xml')) });
    const poller = await startPollApp({ dataRoot, feeds: { bomb: server.url('/rss') } });

    const outcome = await poller.pollOne('bomb');

    expect(['stored', 'failed']).toContain(outcome.kind);
    const stories = await poller.stories();
    for (const story of stories) {
      expect(story.title?.length ?? 0).toBeLessThan(200);
      expect(story.summary?.length ?? 0).toBeLessThan(200);
    }
    expect((await poller.feed('bomb')).title?.length ?? 0).toBeLessThan(200);
  });
});

describe('polling a feed: character encodings', () => {
  it.each([
    {
      behaviour: 'decodes ISO-8859-1 named only by the Content-Type charset',
      file: 'latin1-charset-in-header.xml',
      type: 'text/xml; charset=iso-8859-1',
      titles: ["L'été où tout a changé", 'Café, crème et déficit'],
      feedTitle: 'Le Café du Commerce',
    },
    {
      behaviour: 'decodes windows-1252 declared in the XML declaration (curly quotes 0x93/0x94)',
      file: 'windows-1252-declared.xml',
      type: 'application/rss+xml',
      titles: ['“Not in my harbour”, says the council'],
      feedTitle: 'Harbour Gazette – Columns',
    },
    {
      behaviour: 'decodes UTF-16LE with a byte-order mark',
      file: 'utf16le-bom.xml',
      type: 'application/rss+xml',
      titles: ['Über Brücken und Bürokratie'],
      feedTitle: 'Nordlicht Kolumnen',
    },
  ])('$behaviour', async ({ file, type, titles, feedTitle }) => {
    const server = await serveForTest({ '/rss': serveBody(httpFixture(file), { headers: { 'content-type': type } }) });
    const poller = await startPollApp({ dataRoot, feeds: { enc: server.url('/rss') } });

    expect(await poller.pollOne('enc')).toMatchObject({ kind: 'stored', added: titles.length });

    expect((await poller.stories()).map((story) => story.title)).toEqual(titles);
    expect((await poller.feed('enc')).title).toBe(feedTitle);
  });

  it('decodes the windows-1252 apostrophe (0x92) in a summary', async () => {
    const server = await serveForTest({ '/rss': serveBody(httpFixture('windows-1252-declared.xml')) });
    const poller = await startPollApp({ dataRoot, feeds: { enc: server.url('/rss') } });
    await poller.pollOne('enc');
    expect((await poller.stories())[0]?.summary).toBe('The council’s new plan, read closely.');
  });
});

describe('polling a feed: an HTML page instead of a feed', () => {
  it('follows the page’s <link rel="alternate"> to the feed and stores it as the feed URL', async () => {
    const server = await serveForTest({
      '/profile/priya-raman': serveBody(httpFixture('page-with-feed-link.html'), {
        headers: { 'content-type': 'text/html; charset=utf-8' },
      }),
      '/real-feed.xml': serveBody(columnist),
    });
    const poller = await startPollApp({ dataRoot, feeds: { priya: server.url('/profile/priya-raman') } });

    expect(await poller.pollOne('priya')).toMatchObject({ kind: 'stored', added: 3 });

    expect(await poller.stories()).toHaveLength(3);
    expect(await poller.feed('priya')).toMatchObject({
      url: server.url('/real-feed.xml'),
      configuredUrl: server.url('/profile/priya-raman'),
      title: 'The Ledger — Opinion',
    });
    await poller.pollOne('priya');
    expect(server.requests.map((request) => request.path)).toEqual(['/profile/priya-raman', '/real-feed.xml', '/real-feed.xml']);
  });

  it.each([
    { behaviour: 'with an XML declaration', body: columnist.toString('utf8') },
    { behaviour: 'without an XML declaration', body: columnist.toString('utf8').replace(/^<\?xml[^>]*>\s*/, '') },
  ])('reads a feed mis-served as text/html $behaviour, rather than looking for links in it', async ({ body }) => {
    const server = await serveForTest({ '/rss': serveBody(body, { headers: { 'content-type': 'text/html; charset=utf-8' } }) });
    const poller = await startPollApp({ dataRoot, feeds: { ledger: server.url('/rss') } });
    const outcome = await poller.pollOne('ledger');
    expect(outcome, JSON.stringify(outcome)).toMatchObject({ kind: 'stored', added: 3 });
  });

  it('fails on a page that links no feed, saying so', async () => {
    const server = await serveForTest({
      '/opinion': serveBody(httpFixture('page-without-feed-link.html'), { headers: { 'content-type': 'text/html' } }),
    });
    const poller = await startPollApp({ dataRoot, feeds: { ledger: server.url('/opinion') } });

    const outcome = await poller.pollOne('ledger');

    expect(outcome).toMatchObject({ kind: 'failed', error: expect.stringMatching(/links no feed/) });
    expect(await poller.stories()).toEqual([]);
    expect((await poller.feed('ledger')).url).toBe(server.url('/opinion'));
  });

  it('fails with the discovered feed’s own error when the linked feed is missing', async () => {
    const server = await serveForTest({
      '/profile/priya-raman': serveBody(httpFixture('page-with-feed-link.html'), { headers: { 'content-type': 'text/html' } }),
    });
    const poller = await startPollApp({ dataRoot, feeds: { priya: server.url('/profile/priya-raman') } });
    const outcome = await poller.pollOne('priya');
    expect(outcome).toMatchObject({ kind: 'failed', error: expect.stringMatching(/real-feed\.xml.*HTTP 404/) });
  });
});
