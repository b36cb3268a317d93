import { describe, expect, it } from 'vitest';
import { parseFeed } from '../../src/feeds/parse-feed.ts';
import { loadFixture, viewItem } from '../helpers/feed-fixtures.ts';

const load = loadFixture;

const view = viewItem;

describe('parseFeed on Atom 1.0', () => {
  it('reads a Blogger feed: rel="alternate" among replies/edit/self links, type="html" title, offsets, "Unknown" author', async () => {
    const parsed = await parseFeed(load('blogger-atom.xml'), 'https://notesfromthemargin.blogspot.example/feeds/posts/default');

    expect(parsed.format).toBe('atom');
    expect(parsed.feed).toMatchObject({
      title: 'Notes from the Margin',
      link: 'https://notesfromthemargin.blogspot.example/',
      description: "An economist's column, twice a week.",
      ttlMinutes: null,
    });
    expect(parsed.feed.updated?.toISOString()).toBe('2024-09-04T08:12:45.118Z');
    const post = 'tag:blogger.com,1999:blog-4411223344556677889.post-';
    const site = 'https://notesfromthemargin.blogspot.example';
    expect(parsed.items.map(view)).toMatchObject([
      {
        id: `${post}1234567890123456789`,
        link: `${site}/2024/09/tariffs-are-tax.html`,
        title: 'Tariffs are a tax, whoever signs the cheque',
        author: 'Tomás Ferreira',
        published: '2024-09-04T08:00:00.001Z',
        updated: '2024-09-04T08:12:45.118Z',
        summary: null,
        content: '<p>The importer pays. Then you do.</p>',
        categories: ['trade', 'tariffs'],
      },
      {
        id: `${post}2233445566778899001`,
        link: `${site}/2024/08/wealth-of-nations-250.html`,
        title: 'The Wealth of Nations, 250 years on',
        author: 'Unknown',
        published: '2024-08-28T17:30:00.000Z',
        updated: '2024-08-28T17:30:00.000Z',
        content: '<p>Smith would not recognise his admirers.</p>',
        categories: ['books'],
      },
      {
        id: `${post}3344556677889900112`,
        link: `${site}/2024/08/container-rates-sofa.html`,
        title: 'Container rates and the price of a sofa',
        author: 'Tomás Ferreira',
        published: '2024-08-21T06:15:00.000Z',
        updated: '2024-08-22T09:02:11.506Z',
        content: '<p>Freight is 3% of the price, until it isn&#39;t.</p>',
        categories: ['trade', 'shipping'],
      },
    ]);
  });

  it('resolves links against nested xml:base, reads a link given as text, and falls back to the feed author', async () => {
    const parsed = await parseFeed(load('atom-xml-base.xml'), 'https://feeds.example.org/columns.atom');

    expect(parsed.format).toBe('atom');
    expect(parsed.feed).toMatchObject({
      title: 'The Long Read — columns',
      link: 'https://columns.example.org/opinion/',
      description: 'Weekly essays on culture and politics',
      language: 'en-GB',
    });
    expect(parsed.feed.updated?.toISOString()).toBe('2024-09-05T07:00:00.000Z');
    expect(parsed.items.map(view)).toMatchObject([
      {
        id: 'tag:columns.example.org,2024:budget-nobody-will-read',
        // rel="related" comes first; rel="alternate" must win. Entry xml:base "2024/" is relative to the root's.
        link: 'https://columns.example.org/opinion/2024/budget-nobody-will-read.html',
        title: 'The budget nobody will read',
        author: 'Helen Achebe',
        published: '2024-09-05T06:30:00.000Z',
        updated: '2024-09-05T07:00:00.000Z',
        summary: '<p>Four hundred pages, and one number that matters.</p>',
        content: null,
        categories: ['economy', 'budget'],
      },
      {
        id: 'tag:columns.example.org,2024:against-frictionless-living',
        // A link with no rel is the alternate link; the enclosure is not.
        link: 'https://columns.example.org/essays/against-frictionless-living',
        title: 'Against frictionless living',
        author: 'Samuel Osei',
        // Only <updated> is given: Atom's published falls back to it.
        published: '2024-08-29T06:00:00.000Z',
        updated: '2024-08-29T06:00:00.000Z',
        summary: null,
        content: '<p>Every app promises to remove a step. Some steps were the point.</p>',
        categories: ['technology'],
      },
      {
        id: 'tag:columns.example.org,2024:letters-on-trains-again',
        link: 'https://columns.example.org/opinion/letters/on-trains-again',
        title: 'Letters: on trains, again',
        author: 'Helen Achebe',
        published: '2024-08-22T07:00:00.000Z',
        updated: null,
        summary: "Your replies to last week's column about the 07:12.",
        categories: ['letters', 'transport'],
      },
    ]);
  });

  it('reads Atom with the namespace on a prefix (<atom:feed>) and resolves relative links against the feed URL', async () => {
    const parsed = await parseFeed(load('atom-prefixed.xml'), 'https://www.capitolreport.example/feeds/columns.xml');

    expect(parsed.format).toBe('atom');
    expect(parsed.feed).toMatchObject({
      title: 'Dispatches from the Statehouse',
      link: 'https://www.capitolreport.example/columns/',
      description: 'State politics columns from the Capitol Report',
    });
    expect(parsed.feed.updated?.toISOString()).toBe('2024-09-03T02:15:00.000Z');
    const base = 'https://www.capitolreport.example/columns/2024';
    expect(parsed.items.map(view)).toMatchObject([
      {
        id: `${base}/09/02/pension-vote`,
        link: `${base}/09/02/pension-vote`,
        title: 'Pension vote exposes a rift in the majority',
        author: 'Lorraine DuBois',
        published: '2024-09-03T01:45:00.000Z',
        updated: '2024-09-03T02:15:00.000Z',
        summary: 'Twelve members crossed the aisle. Nobody expected eleven of them.',
        categories: ['Pensions'],
      },
      {
        id: `${base}/08/30/veto-pen`,
        link: `${base}/08/30/veto-pen`,
        title: "The governor's veto pen is running dry",
        author: 'Lorraine DuBois',
        published: '2024-08-30T14:00:00.000Z',
        summary: 'Three vetoes in a session used to be a lot.',
        categories: [],
      },
      {
        id: `${base}/08/23/week-in-review`,
        link: `${base}/08/23/week-in-review`,
        title: 'Week in review: the budget, the bridge, the bake sale',
        author: 'Capitol Report Staff',
        published: '2024-08-23T22:00:00.000Z',
        updated: '2024-08-23T22:00:00.000Z',
      },
    ]);
  });

  it('turns garbage and zero dates into null without throwing', async () => {
    const parsed = await parseFeed(load('atom-bad-dates.xml'), 'https://archive-desk.example.com/feed.atom');

    expect(parsed.feed.title).toBe('The Archive Desk');
    expect(parsed.feed.updated).toBeNull();
    expect(parsed.items.map((item) => [item.title, view(item).published, view(item).updated])).toEqual([
      ['From the archive: the 1974 budget', '2024-09-02T09:00:00.000Z', null],
      ['From the archive: the first female editor', null, null],
      ['From the archive: a letter from 1952', null, null],
      ['From the archive: the strike of 1984', '2024-08-19T09:00:00.000Z', '2024-08-19T11:30:00.000Z'],
    ]);
  });
});

describe('parseFeed on Atom 0.3', () => {
  it('reads a Movable Type Atom 0.3 feed: tagline, issued/created/modified, content mode="escaped"', async () => {
    const parsed = await parseFeed(load('atom-03-movabletype.xml'), 'http://diary.example.net/atom.xml');

    expect(parsed.format).toBe('atom');
    expect(parsed.feed).toMatchObject({
      title: "Dan's Diary",
      link: 'http://diary.example.net/',
      description: "A columnist's notebook, since 2003",
      language: 'en',
      ttlMinutes: null,
    });
    expect(parsed.feed.updated?.toISOString()).toBe('2024-09-01T12:00:00.000Z');
    const archives = 'http://diary.example.net/archives/2024';
    expect(parsed.items.map(view)).toMatchObject([
      {
        id: 'tag:diary.example.net,2024://1.2041',
        link: `${archives}/09/on-deadline.html`,
        title: 'On deadline',
        author: 'Dan Whitcombe',
        // <issued> wins over <created>.
        published: '2024-09-01T12:00:00.000Z',
        updated: '2024-09-01T12:00:00.000Z',
        summary: 'The column is due at six. It is five to six.',
        content: '<p>The column is due at six. It is <em>five to six</em>.</p>',
        categories: ['Journalism'],
      },
      {
        id: 'tag:diary.example.net,2024://1.2037',
        link: `${archives}/08/letters-page.html`,
        title: 'What the letters page knows',
        author: 'Dan Whitcombe',
        published: '2024-08-25T09:30:00.000Z',
        updated: '2024-08-26T10:00:00.000Z',
        content: '<p>Readers are always right about the typos.</p>',
        categories: ['Readers'],
      },
      {
        id: 'tag:diary.example.net,2024://1.2030',
        link: `${archives}/08/twenty-years.html`,
        title: 'Twenty years of this',
        author: 'Dan Whitcombe',
        published: '2024-08-18T18:00:00.000Z',
        updated: null,
        summary: 'An anniversary column, reluctantly.',
        content: null,
        categories: [],
      },
    ]);
  });
});
