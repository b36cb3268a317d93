/**
 * Format rules real feeds lean on, polled through the real path (a local server, the parse
 * workers, SQLite): what each field of a story holds is what the format's spec says it means.
 */
import { describe, expect, it } from 'vitest';
import { serveBody, serveForTest } from '../helpers/feed-server.ts';
import { rssFeed, startPollApp } from '../helpers/poll-app.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dataRoot = makeTempDir();

describe('polling a JSON Feed: plain-text fields', () => {
  it('stores content_text and summary, plain text by the spec, as HTML that shows them as written', async () => {
    const feed = {
      version: 'https://jsonfeed.org/version/1.1',
      title: 'Code columns',
      items: [
        {
          id: '1',
          url: 'https://code.example/columns/1',
          title: 'Comparisons',
          summary: 'Why the <title> element & friends matter',
          content_text: 'Write if (a < b && c > d).\nNot <b>bold</b>.\n\nA second paragraph.',
        },
        {
          id: '2',
          url: 'https://code.example/columns/2',
          title: 'Markup',
          content_html: '<p>Real <b>markup</b></p>',
          content_text: 'ignored',
        },
      ],
    };
    const server = await serveForTest({
      '/feed.json': serveBody(JSON.stringify(feed), { headers: { 'content-type': 'application/feed+json' } }),
    });
    const poller = await startPollApp({ dataRoot, feeds: { code: server.url('/feed.json') } });

    await poller.pollOne('code');

    const stories = (await poller.stories('code')).sort((a, b) => (a.link ?? '').localeCompare(b.link ?? ''));
    expect(stories.map(({ summary, content }) => ({ summary, content }))).toEqual([
      {
        summary: 'Why the &lt;title&gt; element &amp; friends matter',
        content: '<p>Write if (a &lt; b &amp;&amp; c &gt; d).<br>Not &lt;b&gt;bold&lt;/b&gt;.</p><p>A second paragraph.</p>',
      },
      { summary: null, content: '<p>Real <b>markup</b></p>' },
    ]);
  });
});

describe('polling a page URL: the feed it links', () => {
  it("resolves a relative feed link against the page's <base href>, as browsers do", async () => {
    const page = `<!doctype html><html><head><base href="/columns/">
      <link rel="alternate" type="application/rss+xml" title="Columns" href="feed.xml"></head><body>Columns</body></html>`;
    const server = await serveForTest({
      '/about/': serveBody(page, { headers: { 'content-type': 'text/html; charset=utf-8' } }),
      '/columns/feed.xml': serveBody(rssFeed('based')),
    });
    const poller = await startPollApp({ dataRoot, feeds: { based: server.url('/about/') } });

    expect(await poller.pollOne('based')).toMatchObject({ kind: 'stored', added: 2 });
    expect((await poller.feed('based')).url).toBe(server.url('/columns/feed.xml'));
    expect(server.requestsTo('/about/feed.xml')).toEqual([]);
  });
});
