import { describe, expect, it } from 'vitest';
import { parseFeed } from '../../src/feeds/parse-feed.ts';
import { loadFixture, viewItem } from '../helpers/feed-fixtures.ts';

const load = loadFixture;

const view = viewItem;

describe('parseFeed on JSON Feed', () => {
  it('reads a JSON Feed 1.0 link blog: author object, numeric id, external_url, content_text only', async () => {
    const parsed = await parseFeed(load('jsonfeed-10-linkblog.json'), 'https://marginnotes.example.com/feeds/json');

    expect(parsed.format).toBe('json');
    expect(parsed.feed).toEqual({
      title: 'Margin Notes',
      link: 'https://marginnotes.example.com/',
      description: 'A link blog and weekly column about technology and power.',
      language: null,
      updated: null,
      ttlMinutes: null,
    });
    expect(parsed.items.map(view)).toMatchObject([
      {
        id: 'https://marginnotes.example.com/2024/09/05/antitrust-remedy',
        link: 'https://marginnotes.example.com/2024/09/05/antitrust-remedy',
        title: 'The antitrust remedy nobody wants to say out loud',
        author: 'Ravi Menon',
        published: '2024-09-05T12:00:00.000Z',
        updated: '2024-09-05T14:30:00.000Z',
        summary: 'Breaking up is hard to do.',
        content: '<p>Breaking up is hard to do, and harder to enforce.</p>',
        categories: ['antitrust', 'column'],
      },
      {
        // JSON Feed 1.0: an id given as a number must be coerced to a string.
        id: '4211',
        // url is the permalink; external_url is only the fallback.
        link: 'https://marginnotes.example.com/2024/09/04/linked-chip-subsidies',
        title: '★ An audit of the chip subsidies',
        author: 'Guest: Ines Carvalho',
        published: '2024-09-04T21:15:00.000Z',
        updated: null,
        summary: null,
        content: 'Worth reading in full. The numbers in the appendix are the story.',
        categories: [],
      },
      {
        id: 'linked-2024-09-03-battery',
        link: 'https://science.example.org/battery-recycling',
        title: 'Battery recycling, at scale, finally',
        author: 'Ravi Menon',
        published: '2024-09-03T12:00:00.000Z',
        updated: null,
        content: 'Good news, with caveats.',
        categories: ['energy'],
      },
    ]);
  });

  it('reads a JSON Feed 1.1 column: authors arrays, language, trimmed title and summary, date_modified only', async () => {
    const parsed = await parseFeed(load('jsonfeed-11-columnist.json'), 'https://commonground.example.org/feed.json');

    expect(parsed.format).toBe('json');
    expect(parsed.feed).toEqual({
      title: 'Common Ground with Elena Park',
      link: 'https://commonground.example.org/',
      description: 'A weekly column on faith, politics and neighbours.',
      language: 'en-US',
      updated: null,
      ttlMinutes: null,
    });
    const site = 'https://commonground.example.org/2024';
    expect(parsed.items.map(view)).toMatchObject([
      {
        id: 'cg-2024-09-06',
        link: `${site}/09/06/the-potluck-test`,
        title: 'The potluck test',
        author: 'Elena Park, Tom Reyes', // every author of a co-written column, as with several RSS dc:creator
        published: '2024-09-06T12:00:00.000Z',
        updated: null,
        summary: 'A column about casseroles and consensus.',
        content: '<p>If you cannot share a casserole, you cannot share a country.</p>',
        categories: ['community', 'politics'],
      },
      {
        id: 'cg-2024-08-30',
        link: `${site}/08/30/the-quiet-pew`,
        title: 'The quiet pew',
        author: 'Elena Park',
        published: '2024-08-30T12:00:00.000Z',
        updated: '2024-08-31T16:00:00.000Z',
        summary: null,
        content: 'Attendance is down. Something else is up.',
        categories: ['faith'],
      },
      {
        id: 'cg-2024-08-23',
        link: `${site}/08/23/mailbag`,
        title: 'Mailbag: you wrote back',
        // Only Atom borrows <updated> for published; JSON Feed leaves it null.
        published: null,
        updated: '2024-08-23T12:00:00.000Z',
        content: 'Forty letters, three of them kind.',
        categories: [],
      },
    ]);
  });

  it('resolves a relative item url against the feed URL', async () => {
    const text = JSON.stringify({
      version: 'https://jsonfeed.org/version/1.1',
      title: 'Relative',
      items: [{ id: 'r1', url: '/2024/09/relative-column', title: 'A relative column', content_text: 'Hi.' }],
    });
    const parsed = await parseFeed(text, 'https://relative.example.net/feeds/main.json');

    expect(parsed.items[0]?.link).toBe('https://relative.example.net/2024/09/relative-column');
  });

  it('reads a JSON Feed whose body starts with a BOM and whitespace', async () => {
    const parsed = await parseFeed(`\uFEFF \n${load('jsonfeed-11-columnist.json')}`, null);

    expect(parsed.format).toBe('json');
    expect(parsed.items.map((item) => item.title)).toEqual(['The potluck test', 'The quiet pew', 'Mailbag: you wrote back']);
  });
});
