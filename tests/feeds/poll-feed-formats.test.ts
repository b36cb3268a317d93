/**
 * Format rules real feeds lean on, polled through the real path (a local server, the parse
 * workers, SQLite): what each field of a story holds is what the format's spec says it means.
 */
import { describe, expect, it } from 'vitest';
import { feedReadersMissing, readWithFeedparser } from '../helpers/feed-readers.ts';
import { serveBody, serveForTest } from '../helpers/feed-server.ts';
import { rssFeed, startPollApp } from '../helpers/poll-app.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dataRoot = makeTempDir();
const missing = feedReadersMissing();
const onCi = process.env.CI === 'true';
if (missing && !onCi) console.warn(`feedparser comparisons skipped: ${missing} (apt-get install python3-feedparser; .ci/run does)`);

const OLD_CMS_RSS = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Old CMS</title><link>https://oldcms.example/</link>
  <item>
    <title>It&#146;s a &#147;deal&#148; &#150; 5&#128; &#x92;off&#x92;</title>
    <link>https://oldcms.example/2025/05/deal</link>
    <author>"Doe, Jane" &lt;jane@oldcms.example&gt;</author>
    <pubDate>Tue, 20 May 2025 10:00:00 GMT</pubDate>
  </item>
  <item>
    <title>A column whose permalink is its guid, relative</title>
    <guid isPermaLink="true">/2025/05/relative-permalink</guid>
    <pubDate>Tue, 20 May 2025 09:00:00 GMT</pubDate>
  </item>
</channel></rss>
`;

const ATOM_WITH_PDF = `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Papers</title><id>urn:papers</id><updated>2025-05-20T10:00:00Z</updated>
  <entry>
    <id>urn:papers:1</id><title>The column, in print and on the web</title><updated>2025-05-20T10:00:00Z</updated>
    <link rel="alternate" type="application/pdf" href="https://papers.example/2025/05/column.pdf"/>
    <link rel="alternate" type="text/html" href="https://papers.example/2025/05/column"/>
  </entry>
</feed>
`;

describe('polling RSS and Atom: text and links as old and odd generators write them', () => {
  it.each([
    {
      behaviour: "an old CMS's references to windows-1252 characters, a quoted author and a relative permalink guid",
      path: '/old.rss',
      body: OLD_CMS_RSS,
      stories: [
        { title: 'It’s a “deal” – 5€ ’off’', link: 'https://oldcms.example/2025/05/deal', author: 'Doe, Jane' },
        { title: 'A column whose permalink is its guid, relative', link: '/2025/05/relative-permalink', author: null },
      ],
      // feedparser keeps the author's address; titles and links agree.
      compared: ['title', 'link'] as const,
    },
    {
      behaviour: 'an Atom entry whose PDF alternate comes before its web page',
      path: '/papers.atom',
      body: ATOM_WITH_PDF,
      stories: [{ title: 'The column, in print and on the web', link: 'https://papers.example/2025/05/column', author: null }],
      compared: ['title', 'link'] as const,
    },
  ])('reads $behaviour', async ({ path, body, stories, compared }) => {
    const server = await serveForTest({ [path]: serveBody(body) });
    const poller = await startPollApp({ dataRoot, feeds: { odd: server.url(path) } });
    const expected = stories.map((story) => ({ ...story, link: story.link.startsWith('/') ? server.url(story.link) : story.link }));

    await poller.pollOne('odd');

    const stored = (await poller.stories('odd')).map(({ title, link, author }) => ({ title, link, author }));
    expect(stored.sort((a, b) => (a.title ?? '').localeCompare(b.title ?? ''))).toEqual(
      expected.sort((a, b) => a.title.localeCompare(b.title)),
    );
    if (missing && !onCi) return;
    const [read] = await readWithFeedparser([{ url: server.url(path) }]);
    const pick = (entry: Record<string, unknown>) => Object.fromEntries(compared.map((field) => [field, entry[field]]));
    expect(read!.entries.map((entry) => pick({ ...entry })).sort((a, b) => String(a.title).localeCompare(String(b.title)))).toEqual(
      expected.map((story) => pick({ ...story })),
    );
  });
});

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

describe('polling RSS: extension namespaces under other prefixes', () => {
  it('reads content:encoded and dc:creator bound to the prefixes a generator chose (ElementTree writes ns0:)', async () => {
    const body = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:c="http://purl.org/rss/1.0/modules/content/" xmlns:ns0="http://purl.org/dc/elements/1.1/">
  <channel><title>Generated</title><link>https://generated.example/</link>
    <item>
      <title>A generated column</title>
      <link>https://generated.example/2025/05/column</link>
      <ns0:creator>Dee Prefix</ns0:creator>
      <c:encoded><![CDATA[<p>The whole column.</p>]]></c:encoded>
      <pubDate>Tue, 20 May 2025 10:00:00 GMT</pubDate>
    </item>
  </channel>
</rss>
`;
    const server = await serveForTest({ '/generated.rss': serveBody(body) });
    const poller = await startPollApp({ dataRoot, feeds: { generated: server.url('/generated.rss') } });

    await poller.pollOne('generated');

    const expected = { author: 'Dee Prefix', content: '<p>The whole column.</p>' };
    expect((await poller.stories('generated')).map(({ author, content }) => ({ author, content }))).toEqual([expected]);
    if (missing && !onCi) return;
    const [read] = await readWithFeedparser([{ url: server.url('/generated.rss') }]);
    expect(read!.entries.map(({ author, content }) => ({ author, content: content[0] }))).toEqual([expected]);
  });
});

const YOUTUBE_ATOM = `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns:media="http://search.yahoo.com/mrss/" xmlns="http://www.w3.org/2005/Atom">
 <id>yt:channel:UC123</id><title>Jane Doe Talks</title><link rel="alternate" href="https://www.youtube.com/channel/UC123"/>
 <author><name>Jane Doe</name></author>
 <entry>
  <id>yt:video:abc123</id><yt:videoId>abc123</yt:videoId><title>Why budgets fail</title>
  <link rel="alternate" href="https://www.youtube.com/watch?v=abc123"/>
  <published>2025-05-20T10:00:00+00:00</published><updated>2025-05-21T08:00:00+00:00</updated>
  <media:group>
   <media:title>Why budgets fail</media:title>
   <media:thumbnail url="https://i1.ytimg.com/vi/abc123/hqdefault.jpg" width="480" height="360"/>
   <media:description>A budget is a plan &amp; a promise, if spending &lt; revenue.</media:description>
  </media:group>
 </entry>
</feed>`;

const PODCAST_RSS = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
<channel><title>The Column, read aloud</title><link>https://pod.example/</link><itunes:author>Jane Doe</itunes:author>
 <item>
  <title>Episode 12: the cabinet</title><guid isPermaLink="false">pod-12</guid><link>https://pod.example/12</link>
  <pubDate>Tue, 20 May 2025 10:00:00 GMT</pubDate>
  <enclosure url="https://pod.example/12.mp3" length="1000" type="audio/mpeg"/>
  <itunes:summary><![CDATA[<p>This week: <b>the cabinet</b> and its plans.</p>]]></itunes:summary>
 </item>
</channel></rss>`;

/** What a reader sees of an HTML body: its text, entities read, spaces collapsed. */
const shownText = (html: string | null | undefined): string | null =>
  html == null
    ? null
    : html
        .replace(/<[^>]*>/g, ' ')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&amp;/g, '&')
        .replace(/\s+/g, ' ')
        .trim();

describe('polling video and podcast feeds: their descriptions are the excerpt', () => {
  it.each([
    {
      kind: "a YouTube channel's media:group description",
      path: '/videos.xml',
      body: YOUTUBE_ATOM,
      text: 'A budget is a plan & a promise, if spending < revenue.',
    },
    { kind: "a podcast episode's itunes:summary", path: '/podcast.rss', body: PODCAST_RSS, text: 'This week: the cabinet and its plans.' },
  ])('stores $kind as the summary, with the text feedparser reads', async ({ path, body, text }) => {
    const server = await serveForTest({ [path]: serveBody(body) });
    const poller = await startPollApp({ dataRoot, feeds: { media: server.url(path) } });

    await poller.pollOne('media');

    const [story] = await poller.stories('media');
    expect(shownText(story!.summary)).toBe(text);
    if (missing && !onCi) return;
    const [read] = await readWithFeedparser([{ url: server.url(path) }]);
    expect(shownText(read!.entries[0]!.summary)).toBe(text);
  });
});
