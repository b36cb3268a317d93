import { describe, expect, it } from 'vitest';
import { parseFeed } from '../../src/feeds/parse-feed.ts';
import { loadFixture, viewItem } from '../helpers/feed-fixtures.ts';

const load = loadFixture;

const view = viewItem;

/** Resolving a bare origin ("https://host") may add the root slash; both are the same site. */
const withoutRootSlash = (url: string | null): string | null => url?.replace(/^(https?:\/\/[^/]+)\/$/, '$1') ?? null;

describe('parseFeed on RSS 2.0 columnist feeds', () => {
  it('reads a Guardian-style profile feed: dc:creator, category domains, escaped HTML description', async () => {
    const parsed = await parseFeed(load('guardian-columnist-rss.xml'), 'https://www.thesentinel.example/profile/marta-kowalczyk/rss');

    expect(parsed.format).toBe('rss');
    expect(parsed.feed).toMatchObject({
      title: 'Marta Kowalczyk | The Sentinel',
      link: 'https://www.thesentinel.example/profile/marta-kowalczyk',
      description: 'Latest columns by Marta Kowalczyk on thesentinel.example',
      language: 'en-gb',
      ttlMinutes: null,
    });
    const base = 'https://www.thesentinel.example/commentisfree/2024';
    expect(parsed.items.map(view)).toMatchObject([
      {
        id: `${base}/sep/06/new-cabinet-first-100-days`,
        link: `${base}/sep/06/new-cabinet-first-100-days`,
        title: 'The new cabinet’s first 100 days: all that’s missing is a plan | Marta Kowalczyk',
        author: 'Marta Kowalczyk',
        published: '2024-09-06T14:12:31.000Z',
        updated: null,
        summary:
          '<p>Ministers promised a decade of renewal. So far we have had a reshuffle, two reviews and a logo.</p> ' +
          `<a href="${base}/sep/06/new-cabinet-first-100-days">Continue reading...</a>`,
        content: null,
        categories: ['Politics', 'Cabinet', 'Opinion'],
      },
      {
        id: `${base}/aug/30/nurses-efficiency-savings`,
        link: `${base}/aug/30/nurses-efficiency-savings`,
        title: 'Ask a nurse what ‘efficiency savings’ mean and she’ll tell you | Marta Kowalczyk and Ben Osei',
        author: 'Marta Kowalczyk and Ben Osei',
        published: '2024-08-30T06:00:03.000Z',
        updated: null,
        content: null,
        categories: ['NHS', 'Nursing', 'Opinion'],
      },
      {
        id: `${base}/aug/23/trains-summer-timetable`,
        link: `${base}/aug/23/trains-summer-timetable`,
        title: 'Summer is over, and so is the pretence that the trains work | Marta Kowalczyk',
        author: 'Marta Kowalczyk',
        published: '2024-08-23T05:00:00.000Z',
        updated: null,
        summary: `<p>The timetable is a work of fiction, and not a very good one.</p> <a href="${base}/aug/23/trains-summer-timetable">Continue reading...</a>`,
        categories: ['Rail transport', 'Opinion'],
      },
    ]);
  });

  it('reads an NYT-style section feed: channel <link> not atom:link self, item <link> not atom:link standout', async () => {
    const parsed = await parseFeed(load('nyt-opinion-rss.xml'), 'https://rss.newyorkdaily.example/services/xml/rss/nyd/Opinion.xml');

    expect(parsed.format).toBe('rss');
    expect(parsed.feed).toMatchObject({
      title: 'NYD > Opinion',
      link: 'https://www.newyorkdaily.example/section/opinion',
      language: 'en-us',
      ttlMinutes: null,
    });
    expect(parsed.feed.description ?? '').toBe('');
    expect(parsed.feed.updated?.toISOString()).toBe('2024-09-03T10:05:12.000Z');
    const base = 'https://www.newyorkdaily.example/2024/09';
    expect(parsed.items.map(view)).toMatchObject([
      {
        id: `${base}/03/opinion/economy-inflation-vibes.html`,
        link: `${base}/03/opinion/economy-inflation-vibes.html`,
        title: 'The Economy Is Fine. Why Doesn’t It Feel That Way?',
        author: 'Daniel Okafor',
        published: '2024-09-03T09:00:06.000Z',
        updated: null,
        summary: 'Wages have outpaced prices for more than a year. Voters still aren’t buying it.',
        content: null,
        categories: ['Inflation (Economics)', 'United States Economy', 'Powell, Jerome H'],
      },
      {
        id: `${base}/02/opinion/city-council-subway-debate.html`,
        link: `${base}/02/opinion/city-council-subway-debate.html`,
        title: 'Can a Fractured City Council Still Fix the Subway?',
        author: 'Ruth Alvarez and Marcus Bell',
        published: '2024-09-02T21:30:00.000Z',
        summary: 'Two columnists disagree about congestion pricing, again.',
        categories: ['Subways', 'Congestion Pricing'],
      },
      {
        id: `${base}/01/opinion/unfinished-novels.html`,
        title: 'Opinion | The Art of the Unfinished Novel',
        author: 'Imogen Tate',
        published: '2024-09-01T11:00:02.000Z',
        summary: null,
        content: null,
        categories: [],
      },
    ]);
  });

  it('reads a WordPress feed: CDATA kept verbatim, &#038; in a title, isPermaLink="false" guid, duplicate categories', async () => {
    const parsed = await parseFeed(load('wordpress-rss.xml'), 'https://theledger.example.com/feed/');

    expect(parsed.format).toBe('rss');
    expect(parsed.feed).toMatchObject({
      title: 'The Ledger – Columns on money and power',
      description: 'Weekly columns by Ana Ruiz',
      language: 'en-US',
      ttlMinutes: null,
    });
    expect(withoutRootSlash(parsed.feed.link)).toBe('https://theledger.example.com');
    expect(parsed.feed.updated?.toISOString()).toBe('2024-09-02T18:44:09.000Z');
    const site = 'https://theledger.example.com';
    expect(parsed.items.map(view)).toMatchObject([
      {
        id: `${site}/?p=1187`,
        link: `${site}/2024/09/02/why-the-feds-pivot-came-too-late/`,
        title: 'Why the Fed’s pivot came too late',
        author: 'Ana Ruiz',
        published: '2024-09-02T18:44:09.000Z',
        updated: null,
        summary:
          '<p>Rate cuts are coming. The damage is already done. [&#8230;]</p>\n' +
          `<p>The post <a href="${site}/2024/09/02/why-the-feds-pivot-came-too-late/">Why the Fed&#8217;s pivot came too late</a>` +
          ` appeared first on <a href="${site}">The Ledger</a>.</p>`,
        content:
          '<p>Rate cuts are coming. The damage is already done.</p>\n\n\n\n' +
          '<p>For eighteen months the committee insisted that patience was a policy. It was not.</p>',
        categories: ['Economy', 'Federal Reserve'],
      },
      {
        id: `${site}/?p=1179`,
        link: `${site}/2024/08/26/qa-pensions/`,
        title: 'Q&A: your questions on pensions, answered',
        author: 'Ana Ruiz',
        published: '2024-08-26T08:15:00.000Z',
        summary: '<p>You asked about annuities, auto-enrolment and whether to pay off the mortgage first. [&#8230;]</p>',
        content: '<p>You asked about annuities &amp; auto-enrolment.</p>',
        categories: ['Pensions', 'Reader questions'],
      },
      {
        id: `${site}/?p=1164`,
        link: `${site}/2024/08/19/housing-ladder/`,
        title: 'Guest column: The housing ladder has no bottom rung',
        author: 'Kwame Mensah',
        published: '2024-08-19T07:00:00.000Z',
        summary: '<p>First-time buyers are now, on average, 34. [&#8230;]</p>',
        content: null,
        categories: ['Housing', 'Guest columns'],
      },
    ]);
  });

  it('reads a one-line Substack feed: CDATA titles, HTML tags stripped from a title, content:encoded', async () => {
    const parsed = await parseFeed(load('substack-rss.xml'), 'https://slowpolicy.substack.example/feed');

    expect(parsed.format).toBe('rss');
    expect(parsed.feed).toMatchObject({
      title: 'The Slow Policy Letter',
      description: 'Housing, transport and the boring stuff that runs the country. By Nadia Brennan.',
      language: 'en',
    });
    expect(withoutRootSlash(parsed.feed.link)).toBe('https://slowpolicy.substack.example');
    expect(parsed.feed.updated?.toISOString()).toBe('2024-09-04T11:02:33.000Z');
    const site = 'https://slowpolicy.substack.example';
    expect(parsed.items.map(view)).toMatchObject([
      {
        id: `${site}/p/housing-abundance-is-winning`,
        link: `${site}/p/housing-abundance-is-winning`,
        title: 'Housing abundance is winning the argument',
        author: 'Nadia Brennan',
        published: '2024-09-04T10:01:12.000Z',
        updated: null,
        summary: 'Now it has to win the zoning board',
        content:
          '<p>Three years ago, &#8220;build more homes&#8221; was a fringe position.</p>' +
          `<div class="subscription-widget-wrap"><a href="${site}/subscribe?"><span>Subscribe now</span></a></div>`,
        categories: [],
      },
      {
        id: `${site}/p/reading-middlemarch-on-the-night`,
        title: 'Reading Middlemarch on the night bus',
        published: '2024-08-28T10:00:45.000Z',
        summary: 'A column about transport, mostly',
        content: '<p>The N29 is the best reading room in London.</p>',
      },
      {
        id: `${site}/p/thread-what-next`,
        title: 'Thread: what should I write about next?',
        published: '2024-08-23T16:30:00.000Z',
        content: '<p>Paid subscribers can comment below.</p>',
      },
    ]);
    // An empty CDATA description is "no summary": either null or empty is acceptable.
    expect(parsed.items[2]?.summary ?? '').toBe('');
  });

  it('reads a Medium feed: no description, content:encoded with raw & inside CDATA, query-string links', async () => {
    const parsed = await parseFeed(load('medium-rss.xml'), 'https://medium.example/@priyanatarajan/feed');

    expect(parsed.format).toBe('rss');
    expect(parsed.feed).toMatchObject({
      title: 'Stories by Priya Natarajan on Medium',
      link: 'https://medium.example/@priyanatarajan?source=rss-9f2c1a7e3b4d------2',
      description: 'Stories by Priya Natarajan on Medium',
    });
    expect(parsed.feed.updated?.toISOString()).toBe('2024-09-05T16:20:44.000Z');
    const source = '?source=rss-9f2c1a7e3b4d------2';
    expect(parsed.items.map(view)).toMatchObject([
      {
        id: 'https://medium.example/p/3c9d2e1f0a7b',
        link: `https://medium.example/@priyanatarajan/what-the-census-wont-tell-you-3c9d2e1f0a7b${source}`,
        title: 'What the census won’t tell you about your city',
        author: 'Priya Natarajan',
        published: '2024-09-05T16:18:02.000Z',
        summary: null,
        content:
          '<h3>What the census won’t tell you about your city</h3><p>Averages hide neighbourhoods.</p>' +
          '<img src="https://medium.example/_/stat?event=post.clientViewed&referrerSource=full_rss&postId=3c9d2e1f0a7b" width="1" height="1" alt="">',
        categories: ['data', 'cities', 'census'],
      },
      {
        id: 'https://medium.example/p/81aa04c2d9e3',
        link: `https://medium.example/@priyanatarajan/maps-lie-and-thats-fine-81aa04c2d9e3${source}`,
        title: 'Maps lie, and that’s fine',
        published: '2024-08-27T09:41:19.000Z',
        categories: ['maps', 'data-visualization'],
      },
      {
        id: 'https://medium.example/p/5f60b7e8a1c2',
        title: 'The spreadsheet that ran a city',
        published: '2024-08-19T12:05:00.000Z',
        content: '<p>It had 41 tabs and one formula nobody understood.</p>',
        categories: ['local-government'],
      },
    ]);
    // atom:updated inside RSS is not in the contract: it may be read as `updated` or ignored.
    expect([null, '2024-08-20T08:00:00.000Z']).toContain(parsed.items[2]?.updated?.toISOString() ?? null);
  });
});
