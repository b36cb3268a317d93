import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFeed } from '../../src/feeds/parse-feed.ts';
import { loadFixture, viewItem } from '../helpers/feed-fixtures.ts';

const load = loadFixture;

const view = viewItem;

/** Whether &nbsp; survives as U+00A0 or is collapsed to a space is left to the implementation. */
const nbspAsSpace = (text: string | null | undefined): string | null => text?.replace(/\u00a0/g, ' ') ?? null;

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/;

describe('parseFeed leniency: entities, stray ampersands, control characters', () => {
  it('decodes HTML named entities and tolerates a stray & and control characters', async () => {
    const parsed = await parseFeed(load('rss-html-entities-control-chars.xml'), 'https://www.larevue.example/rss.php');

    expect(parsed.format).toBe('rss');
    expect(parsed.feed.title).toBe('La Revue — Chroniques');
    expect(nbspAsSpace(parsed.feed.description)).toBe('Les chroniques de la semaine : politique, culture, idées.');
    expect(parsed.items.map(view)).toMatchObject([
      {
        id: 'https://www.larevue.example/chroniques/cafe-society',
        title: 'Café society — and why it’s back',
        author: 'Claire Dubois',
        published: '2024-09-02T04:00:00.000Z',
        summary: 'Le café, c’est la vie\u00a0: notes from Paris.',
      },
      {
        id: 'https://www.larevue.example/view.php?id=88&section=chroniques&utm_source=rss',
        link: 'https://www.larevue.example/view.php?id=88&section=chroniques&utm_source=rss',
        title: 'Q&A: the columnist answers your letters',
        published: '2024-09-01T06:00:00.000Z',
        summary: 'Readers ask & I answer, within reason.',
        categories: ['Q&A'],
      },
      {
        link: 'https://www.larevue.example/chroniques/budget-gamble',
        title: 'The budget gamble explained',
        published: '2024-08-31T05:00:00.000Z',
      },
      {
        link: 'https://www.larevue.example/chroniques/fin-d-une-epoque',
        published: '2024-08-30T05:00:00.000Z',
        // Escaped markup is HTML and stays HTML, including its own entities.
        summary: '<p>Huit ans apr&egrave;s.</p>',
      },
    ]);
    expect(nbspAsSpace(parsed.items[3]?.title)).toBe('Brexit : la fin d’une époque');
  });

  it('drops control characters from titles and summaries', async () => {
    const parsed = await parseFeed(load('rss-html-entities-control-chars.xml'), null);
    const budget = parsed.items[2];

    expect(budget?.title).not.toMatch(CONTROL_CHARS);
    expect(budget?.summary).not.toMatch(CONTROL_CHARS);
    expect(budget?.summary?.replace(/\s+/g, ' ')).toBe('The deficit is a choice.');
  });

  it('reads a vertical tab or form feed between words as a space, and drops the other control characters', async () => {
    const text = `<rss version="2.0"><channel><title>T</title><item><title>Control\u0001chars\u0007in\u000btitle\u000cnow</title><link>https://a.example/1</link></item></channel></rss>`;
    const parsed = await parseFeed(text, null);
    expect(parsed.items[0]?.title).toBe('Controlcharsin title now');
  });

  it.each([
    { behaviour: 'a UTF-8 BOM before <?xml', prefix: '', file: 'rss-utf8-bom.xml', bom: true },
    { behaviour: 'leading blank lines before <?xml', prefix: '', file: 'rss-leading-whitespace.xml', bom: false },
    { behaviour: 'a BOM followed by whitespace', prefix: '\uFEFF\r\n  ', file: 'rss-leading-whitespace.xml', bom: true },
  ])('parses a feed with $behaviour', async ({ prefix, file, bom }) => {
    const text = prefix + load(file);
    expect(text.startsWith('\uFEFF')).toBe(bom);

    const parsed = await parseFeed(text, null);

    expect(parsed.format).toBe('rss');
    expect(parsed.items).toHaveLength(3);
    expect(parsed.feed.title).toMatch(/^(The Civic Desk|Kitchen Table Economics)$/);
    expect(parsed.items[0]?.title).toMatch(/^(Council tax, explained in one chart|Is the big weekly shop still cheaper\?)$/);
  });

  it('reads the right values after leading whitespace', async () => {
    const parsed = await parseFeed(load('rss-leading-whitespace.xml'), null);

    expect(parsed.items.map(view)).toMatchObject([
      { id: 'https://kitchentable.example.net/?p=2211', author: 'Grace Adeyemi', published: '2024-09-05T06:30:00.000Z' },
      { id: 'https://kitchentable.example.net/?p=2203', title: 'Energy bills: what the new cap means' },
      { id: 'https://kitchentable.example.net/?p=2197', link: 'https://kitchentable.example.net/2024/08/back-to-school/' },
    ]);
  });
});

describe('parseFeed titles with markup', () => {
  const rss = (title: string) =>
    `<rss version="2.0"><channel><title>T</title><item><guid>g1</guid><title>${title}</title></item></channel></rss>`;
  const atom = (title: string) =>
    `<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><entry><id>e1</id>${title}<updated>2024-09-03T10:00:00Z</updated></entry></feed>`;

  it.each([
    { where: 'an RSS CDATA title', text: rss('<![CDATA[<b>Breaking</b>: the <i>vote</i>, live]]>'), title: 'Breaking: the vote, live' },
    { where: 'an RSS escaped title', text: rss('&lt;em&gt;Dune&lt;/em&gt;’s sequel problem'), title: 'Dune’s sequel problem' },
    {
      where: 'an Atom type="html" title',
      text: atom('<title type="html">&lt;i&gt;Middlemarch&lt;/i&gt;, again</title>'),
      title: 'Middlemarch, again',
    },
    {
      where: 'an Atom type="xhtml" title',
      text: atom('<title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">A <b>bold</b> move, <i>really</i>.</div></title>'),
      title: 'A bold move, really.',
    },
  ])('strips tags from $where, keeping the words in order', async ({ text, title }) => {
    const parsed = await parseFeed(text, null);

    expect(parsed.items[0]?.title).toBe(title);
  });

  it('keeps inline markup in document order in Atom xhtml content', async () => {
    const parsed = await parseFeed(
      atom('<title>X</title><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>One <em>two</em> three</p></div></content>'),
      null,
    );

    expect(parsed.items[0]?.content).toContain('<p>One <em>two</em> three</p>');
  });
});

describe('parseFeed leniency: truncated documents', () => {
  it('returns the complete items of an RSS feed cut off mid-<item>', async () => {
    const parsed = await parseFeed(load('rss-truncated.xml'), 'https://midweek.example.com/feed');

    expect(parsed.feed.title).toBe('The Midweek Column');
    expect(parsed.items.length).toBeGreaterThanOrEqual(2);
    expect(parsed.items.length).toBeLessThanOrEqual(3);
    expect(parsed.items.slice(0, 2).map(view)).toMatchObject([
      {
        id: 'https://midweek.example.com/2024/09/04/allotments',
        title: 'The quiet return of the allotment',
        author: 'Leo Marsh',
        published: '2024-09-04T07:00:00.000Z',
      },
      {
        id: 'https://midweek.example.com/2024/08/28/comments',
        link: 'https://midweek.example.com/2024/08/28/comments',
        title: 'Why I stopped reading the comments',
        published: '2024-08-28T07:00:00.000Z',
      },
    ]);
  });

  it("reads a document ending in comments after its root (a page cache's timing) as complete, not truncated", async () => {
    const doc = (tail: string) =>
      `<rss version="2.0"><channel><item><title>A</title></item><title>After the items</title><link>https://c.example/</link></channel></rss>${tail}`;
    for (const tail of ['', '\n<!-- Dynamic page generated in 0.231 seconds. -->\n', '<!-- one --> <!-- two -->']) {
      const parsed = await parseFeed(doc(tail), 'https://c.example/feed');
      expect(parsed.feed, JSON.stringify(tail)).toMatchObject({ title: 'After the items', link: 'https://c.example/' });
      expect(parsed.items.map((item) => item.title)).toEqual(['A']);
    }
    // Text after the root is still read as a document cut short: its items are kept.
    for (const tail of [' stray text', '<!-- unclosed', '<!-- one --> text']) {
      expect(
        (await parseFeed(doc(tail), 'https://c.example/feed')).items.map((item) => item.title),
        JSON.stringify(tail),
      ).toEqual(['A']);
    }
    // So is one cut off in a CDATA section or comment whose text happens to end like a document.
    for (const tail of ['<item><title><![CDATA[cut </rss><!-- x -->', '<item><title>t</title><!-- cut </channel></rss> ']) {
      const cut = doc('').replace('</channel></rss>', tail);
      expect(
        (await parseFeed(cut, 'https://c.example/feed')).items.map((item) => item.title),
        JSON.stringify(tail),
      ).toEqual(['A']);
    }
  });

  it('returns the complete entries of an Atom feed cut off mid-<entry>', async () => {
    const parsed = await parseFeed(load('atom-truncated.xml'), 'https://secondthoughts.example.org/feed.atom');

    expect(parsed.format).toBe('atom');
    expect(parsed.feed.title).toBe('Second Thoughts');
    expect(parsed.items.length).toBeGreaterThanOrEqual(2);
    expect(parsed.items.length).toBeLessThanOrEqual(3);
    expect(parsed.items.slice(0, 2).map(view)).toMatchObject([
      {
        id: 'https://secondthoughts.example.org/wrong-about-remote-work',
        title: 'I was wrong about remote work',
        author: 'Mira Holm',
        published: '2024-09-05T10:00:00.000Z',
      },
      {
        id: 'https://secondthoughts.example.org/right-about-bicycles',
        link: 'https://secondthoughts.example.org/right-about-bicycles',
        title: 'Still right about bicycles',
        updated: '2024-08-29T10:00:00.000Z',
      },
    ]);
  });
});

describe('parseFeed leniency: odd dates and links from a regional CMS', () => {
  // A zone far from UTC exposes dates parsed as local time ("2024-09-03 08:00:00" means UTC).
  const savedTz = process.env.TZ;
  beforeAll(() => {
    process.env.TZ = 'Asia/Kolkata';
  });
  afterAll(() => {
    if (savedTz === undefined) delete process.env.TZ;
    else process.env.TZ = savedTz;
  });

  it('runs in a non-UTC zone', () => {
    expect(new Date(2024, 8, 3).getTimezoneOffset()).toBe(-330);
  });

  it('reads EST, ISO with offset, space-separated UTC, single-digit day, future and missing dates', async () => {
    const parsed = await parseFeed(load('regional-cms-odd-dates-rss.xml'), 'https://www.valleygazette.example/feeds/opinion.rss');

    expect(parsed.feed).toMatchObject({
      title: 'Valley Gazette — Opinion',
      link: 'https://www.valleygazette.example/opinion/',
      language: 'en-us',
      ttlMinutes: 30,
    });
    expect(parsed.feed.updated?.toISOString()).toBe('2024-09-03T13:05:00.000Z');
    const site = 'https://www.valleygazette.example';
    expect(parsed.items.map(view)).toMatchObject([
      {
        // No <link>: the guid is a permalink by default, so it is the link too.
        id: `${site}/opinion/2024/09/03/school-buses`,
        link: `${site}/opinion/2024/09/03/school-buses`,
        author: 'Rita Hollis',
        published: '2024-09-03T13:00:00.000Z',
        updated: null,
        summary: 'Third week running, and the district still blames the weather.',
      },
      {
        id: 'vg-opinion-4471',
        link: `${site}/opinion/2024/09/03/mill-site`,
        author: 'Guled Ahmed',
        published: '2024-09-03T06:00:00.000Z',
        summary: null,
      },
      {
        // isPermaLink="false": the guid is an id, never a link.
        id: `${site}/?p=4470`,
        link: null,
        author: null,
        published: '2024-09-03T08:00:00.000Z',
        categories: ['Letters'],
      },
      {
        id: `${site}/opinion/2024/09/02/farm-shows`,
        author: 'Rita Hollis',
        published: '2024-09-02T07:30:00.000Z',
        categories: ['Agriculture', 'Community'],
      },
      { title: "Editor's note: our new comments policy", published: '2100-01-01T09:00:00.000Z', updated: null },
      { title: 'About our columnists', published: null, updated: null },
    ]);
    expect(parsed.items[0]?.published).toBeInstanceOf(Date);
  });
});

describe('parseFeed FeedBurner feeds', () => {
  // FeedBurner rewrote each link to a feedproxy.google.com redirect and kept the article's own
  // address in feedburner:origLink: the link the same column has in its outlet's own feed.
  it.each([
    [
      'rss',
      `<rss version="2.0" xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"><channel><title>T</title>
      <item><title>Bridge</title><link>http://feedproxy.google.com/~r/Example/~3/aBcD/</link>
      <guid isPermaLink="false">tag:example.com,2025:1</guid>
      <feedburner:origLink>https://example.com/opinion/bridge</feedburner:origLink></item>
      <item><title>Tram</title><link>https://example.com/opinion/tram</link><feedburner:origLink>javascript:alert(1)</feedburner:origLink></item>
      </channel></rss>`,
    ],
    [
      'atom',
      `<feed xmlns="http://www.w3.org/2005/Atom" xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"><title>T</title>
      <entry><title>Bridge</title><id>tag:example.com,2025:1</id><updated>2025-06-01T00:00:00Z</updated>
      <link rel="alternate" href="http://feedproxy.google.com/~r/Example/~3/aBcD/"/>
      <feedburner:origLink>https://example.com/opinion/bridge</feedburner:origLink></entry>
      <entry><title>Tram</title><id>tag:example.com,2025:2</id><updated>2025-06-01T00:00:00Z</updated>
      <link rel="alternate" href="https://example.com/opinion/tram"/><feedburner:origLink>/relative</feedburner:origLink></entry>
      </feed>`,
    ],
  ])('takes the article’s own link from feedburner:origLink (%s), and ignores one that is no http(s) URL', async (_format, xml) => {
    const parsed = await parseFeed(xml, 'https://feeds.feedburner.com/Example');
    expect(parsed.items.map((item) => item.link)).toEqual(['https://example.com/opinion/bridge', 'https://example.com/opinion/tram']);
  });
});
