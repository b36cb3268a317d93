import { describe, expect, it } from 'vitest';
import { parseFeed } from '../../src/feeds/parse-feed.ts';
import { loadFixture, viewItem } from '../helpers/feed-fixtures.ts';

const load = loadFixture;

const view = viewItem;

describe('parseFeed on RSS 0.91 and 0.92', () => {
  it('reads a Netscape RSS 0.91 feed with a DOCTYPE, HTML entities from its DTD, and no guids or dates', async () => {
    const parsed = await parseFeed(load('rss-091-netscape.xml'), 'http://www.standardbearer.example/columns/rss.xml');

    expect(parsed.format).toBe('rss');
    expect(parsed.feed).toEqual({
      title: 'The Standard-Bearer: Columns',
      link: 'http://www.standardbearer.example/columns/',
      description: 'Opinion columns, updated every Friday.',
      language: 'en-us',
      updated: null,
      ttlMinutes: null,
    });
    const base = 'http://www.standardbearer.example/columns/2024';
    expect(parsed.items.map(view)).toMatchObject([
      {
        id: `${base}/0906-cafe.html`,
        link: `${base}/0906-cafe.html`,
        title: 'The café that outlived three mayors',
        published: null,
        updated: null,
        summary: 'Forty years of gossip over bad coffee.',
        content: null,
        categories: [],
      },
      {
        id: `${base}/0830-main-street.html`,
        link: `${base}/0830-main-street.html`,
        title: "Main Street's empty windows",
        published: null,
        summary: 'The rent is too high & the footfall too low.',
      },
      {
        id: `${base}/0823-school-board.html`,
        link: `${base}/0823-school-board.html`,
        title: 'In defence of the school board',
        published: null,
      },
    ]);
  });

  it('reads a UserLand RSS 0.92 feed: a title-less item, items without links', async () => {
    const parsed = await parseFeed(load('rss-092-userland.xml'), 'http://pressbox.example.org/rss.xml');

    expect(parsed.format).toBe('rss');
    expect(parsed.feed).toMatchObject({
      title: 'Notes from the Press Box',
      link: 'http://pressbox.example.org/',
      description: "A sportswriter's weblog.",
      language: 'en',
    });
    expect(parsed.feed.updated?.toISOString()).toBe('2024-09-07T01:12:00.000Z');
    expect(parsed.items.map(view)).toMatchObject([
      {
        id: 'http://pressbox.example.org/2024/09/07#a412',
        link: 'http://pressbox.example.org/2024/09/07#a412',
        title: null,
        author: null,
        published: null,
        summary: 'Saturday\'s <a href="http://pressbox.example.org/2024/09/07#a412">match report</a> is up, with apologies to the referee.',
        categories: [],
      },
      {
        link: null,
        title: 'Why the offside rule is a column, not a law',
        author: null,
        published: '2024-09-06T22:00:00.000Z',
        updated: null,
        summary: 'Nobody understands it, which is the point.',
        categories: ['Football'],
      },
      {
        link: null,
        title: 'Mailbag',
        published: null,
        summary: 'You wrote in. I read it all. Mostly.',
        categories: ['Letters'],
      },
    ]);
  });

  it('gives items without guid or link a stable, distinct, non-empty hash id', async () => {
    const text = load('rss-092-userland.xml');
    const first = await parseFeed(text, null);
    const second = await parseFeed(text, null);

    const ids = first.items.map((item) => item.id);
    expect(second.items.map((item) => item.id)).toEqual(ids);
    for (const id of ids) expect(id).toMatch(/\S/);
    expect(new Set(ids).size).toBe(3);
  });

  it('gives a daily column with the same title every day a different id per date', async () => {
    const text = `<?xml version="1.0"?><rss version="2.0"><channel><title>Town Diary</title><link>https://diary.example/</link>
      <item><title>Town Diary</title><pubDate>Mon, 02 Sep 2024 08:00:00 GMT</pubDate></item>
      <item><title>Town Diary</title><pubDate>Tue, 03 Sep 2024 08:00:00 GMT</pubDate></item>
      </channel></rss>`;
    const parsed = await parseFeed(text, null);

    const [monday, tuesday] = parsed.items;
    expect(monday?.id).toMatch(/\S/);
    expect(tuesday?.id).toMatch(/\S/);
    expect(monday?.id).not.toBe(tuesday?.id);
  });
});

describe('parseFeed on RSS 1.0 (RDF)', () => {
  it('reads an RSS 1.0 feed with the default namespace: dc:date, dc:creator, dc:subject, content:encoded', async () => {
    const parsed = await parseFeed(load('rdf-rss10.xml'), 'https://www.lettersfromberlin.example/index.rdf');

    expect(parsed.format).toBe('rss');
    expect(parsed.feed).toMatchObject({
      title: 'Letters from Berlin',
      link: 'https://www.lettersfromberlin.example/',
      description: "A foreign correspondent's weekly column.",
      ttlMinutes: null,
    });
    // dc:language is not named in the contract: read it or leave it null, never anything else.
    expect([null, 'de-DE']).toContain(parsed.feed.language);
    const base = 'https://www.lettersfromberlin.example/2024';
    expect(parsed.items.map(view)).toMatchObject([
      {
        id: `${base}/09/04/coalition-arithmetic`,
        link: `${base}/09/04/coalition-arithmetic`,
        title: 'Coalition arithmetic, explained with beer mats',
        author: 'Katrin Vogel',
        published: '2024-09-04T06:00:00.000Z',
        updated: null,
        summary: 'Three parties, two beer mats, one very long night.',
        content: '<p>Three parties, two beer mats, one very long night.</p>',
        categories: ['Politics', 'Germany'],
      },
      {
        id: `${base}/08/28/the-last-kiosk`,
        link: `${base}/08/28/the-last-kiosk`,
        title: 'The last Späti on Oranienstraße',
        author: 'Katrin Vogel',
        published: '2024-08-28T05:30:00.000Z',
        content: null,
        categories: ['Culture'],
      },
      {
        id: `${base}/08/21/heatwave-and-the-u-bahn`,
        title: 'Heatwave on the U8',
        author: 'Guest: Jonas Richter',
        published: '2024-08-21T07:15:00.000Z',
        summary: 'Thirty-four degrees and no air conditioning.',
        categories: [],
      },
    ]);
  });

  it('reads RSS 1.0 with the RSS namespace on a prefix (<rss:item>)', async () => {
    const parsed = await parseFeed(load('rdf-prefixed.xml'), 'https://journal.example.edu/columns.rdf');

    expect(parsed.format).toBe('rss');
    expect(parsed.feed).toMatchObject({
      title: 'Faculty Columns — University Journal',
      link: 'https://journal.example.edu/columns',
      description: 'Opinion pieces by faculty members.',
    });
    const base = 'https://journal.example.edu/columns/2024';
    expect(parsed.items.map(view)).toMatchObject([
      {
        id: `${base}/tenure-is-not-a-perk`,
        link: `${base}/tenure-is-not-a-perk`,
        title: 'Tenure is not a perk',
        author: 'Prof. Alice Moreau',
        published: '2024-09-03T14:00:00.000Z',
        updated: null,
        summary: 'It is the reason you can read this column.',
        categories: ['Higher education'],
      },
      {
        id: `${base}/grading-ai-essays`,
        link: `${base}/grading-ai-essays`,
        title: 'Grading essays in the age of autocomplete',
        author: 'Dr. Hiroshi Tanaka',
        published: '2024-08-27T17:00:00.000Z',
        categories: ['Teaching', 'Technology'],
      },
      {
        id: `${base}/library-hours`,
        title: 'Keep the library open past midnight',
        published: '2024-08-20T16:45:00.000Z',
        summary: 'Some of us think better at 1 a.m.',
        categories: [],
      },
    ]);
  });
});
