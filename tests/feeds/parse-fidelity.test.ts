/**
 * Cases where `parse --json` must read what the reference parsers (Python feedparser, browsers)
 * read: one table per group of issue 10 §6, each case a real-world-shaped fixture.
 */
import { describe, expect, it } from 'vitest';
import { decodeBody } from '../../src/feeds/decode-body.ts';
import { normalizeItems } from '../../src/feeds/normalize-items.ts';
import { FeedParseError, parseFeed } from '../../src/feeds/parse-feed.ts';
import type { ParsedFeed } from '../../src/model.ts';
import { loadFixture, loadFixtureBytes } from '../helpers/feed-fixtures.ts';

type Case = { name: string; fixture: string; url: string; contentType?: string; expected: Record<string, unknown> };

/** The fixture's bytes, decoded as the fetcher would with the given Content-Type, then parsed. */
const parseFixture = (fixture: string, url: string, contentType = 'application/xml'): Promise<ParsedFeed> =>
  parseFeed(decodeBody(loadFixtureBytes(fixture), contentType), url);

const groups: Array<{ group: string; cases: Case[] }> = [
  {
    group: 'Atom text constructs of type text are text, not markup',
    cases: [
      {
        name: 'type="text" entry title keeps its escaped angle brackets',
        fixture: 'atom-text-construct-titles.xml',
        url: 'https://webhistory.example/feed.atom',
        expected: {
          feed: { title: 'Markup & the Web: <notes>' },
          items: [
            { title: 'History of the <blink> tag', summary: '<p>Why it <em>blinked</em>.</p>' },
            { title: 'Styling emphasis since 1995' },
          ],
        },
      },
      {
        name: 'Atom 0.3 type="text/plain" title is text; type="text/html" is markup',
        fixture: 'atom-03-text-plain-title.xml',
        url: 'http://oldblog.example/atom.xml',
        expected: { feed: { title: 'Tags & Attributes' }, items: [{ title: 'Why <marquee> never died' }] },
      },
      {
        name: 'an untyped Atom 1.0 title is text (the RFC default); type="xhtml" is markup',
        fixture: 'atom-untyped-titles.xml',
        url: 'https://codenotes.example/feed.atom',
        expected: {
          feed: { title: 'Code & Commentary: <pre> notes' },
          items: [{ title: 'Why <b> is not <strong>', summary: '<p>One is <b>bold</b>.</p>' }, { title: 'Inline XHTML titles' }],
        },
      },
    ],
  },
  {
    group: 'RSS with a prefixed root and prefixed core elements',
    cases: [
      {
        name: 'r:rss in the UserLand RSS 2 namespace',
        fixture: 'rss-prefixed-userland-rss2.xml',
        url: 'http://scripting.example/rss.xml',
        expected: {
          format: 'rss',
          feed: { title: 'Scripting Notes', link: 'http://scripting.example/' },
          items: [
            {
              id: 'http://scripting.example/2003/01/namespaced',
              title: 'Namespaced RSS works',
              summary: 'Every element carries the prefix.',
            },
          ],
        },
      },
    ],
  },
  {
    group: 'a <!DOCTYPE inside a comment or CDATA is not the document type',
    cases: [
      {
        name: 'DOCTYPE quoted in a prolog comment and in an item CDATA section',
        fixture: 'rss-doctype-in-comment-cdata.xml',
        url: 'https://doctype.example/rss',
        expected: {
          feed: { title: 'Doctype Tales' },
          items: [
            {
              title: 'Your first HTML page',
              summary: '<p>Begin with <code><!DOCTYPE html></code> and then the <code>&lt;html&gt;</code> element.</p>',
            },
            { title: 'Is <!DOCTYPE html [still] needed?' },
          ],
        },
      },
    ],
  },
  {
    group: 'undeclared charset, bytes not UTF-8: windows-1252',
    cases: [
      {
        name: 'Latin-1/windows-1252 served as application/xml without a charset',
        fixture: 'rss-undeclared-windows-1252.xml',
        url: 'http://cafe.example/rss',
        expected: {
          feed: { title: 'Café Crème', description: '“Quoted” notes – daily' },
          items: [{ title: 'Résumé of the week', summary: 'Naïve € prices' }],
        },
      },
      {
        name: 'the existing undeclared Latin-1 fixture',
        fixture: 'enc-no-declaration-latin1.xml',
        url: 'https://elmirador.example/rss',
        contentType: 'application/rss+xml',
        expected: { items: [{ title: 'Señor Presidente, ¿y ahora?' }, { title: 'La mañana después' }, { title: 'Niños, maíz y agua' }] },
      },
    ],
  },
  {
    group: 'internal DTD entities are expanded',
    cases: [
      {
        name: 'nested internal entities in titles, links, guids; external and parameter entities dropped',
        fixture: 'rss-internal-entities.xml',
        url: 'https://oldblog.example/rss',
        expected: {
          feed: {
            title: "Sam Archer's weblog",
            link: 'https://oldblog.example/',
            description: 'Written by Sam Archer at https://oldblog.example',
          },
          items: [
            {
              id: 'https://oldblog.example/id/42',
              title: 'Entities & me, by Sam Archer',
              link: 'https://oldblog.example/2005/entities',
              summary: 'Signed, Sam Archer at https://oldblog.example — © 2005',
            },
          ],
        },
      },
    ],
  },
  {
    group: 'items with no title and no link stay in the parsed model',
    cases: [
      {
        name: 'a log entry with only a guid, a date and a category',
        fixture: 'rss-items-without-title-or-link.xml',
        url: 'https://station.example/rss',
        expected: {
          items: [{ id: 'log-2024-06-01-0700', title: null, link: null, categories: ['heartbeat'] }, { title: 'Maintenance window' }],
        },
      },
    ],
  },
];

describe('parse fidelity (issue 10 §6)', () => {
  for (const { group, cases } of groups) {
    describe(group, () => {
      it.each(cases)('$name', async ({ fixture, url, contentType, expected }) => {
        const parsed = await parseFixture(fixture, url, contentType);
        expect(parsed).toMatchObject(expected);
        expect(JSON.stringify(parsed)).not.toContain('\\ufffd');
        expect(JSON.stringify(parsed)).not.toContain('\uFFFD');
      });
    });
  }
});

describe('internal entity expansion budget', () => {
  it.each([
    { name: 'billion laughs (ten levels deep)', fixture: 'billion-laughs.xml', message: /entities nest deeper/ },
    {
      name: 'a wide bomb within the depth budget (size budget)',
      fixture: 'rss-entity-bomb-wide.xml',
      message: /entities expand to more than/,
    },
    { name: 'a chain deeper than the depth budget', fixture: 'rss-entity-bomb-small-limit.xml', message: /entities nest deeper/ },
  ])('$name fails the feed with a FeedParseError', async ({ fixture, message }) => {
    const started = performance.now();
    const error = await parseFeed(loadFixture(fixture), 'https://attacker.example/feed').then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(FeedParseError);
    expect((error as Error).message).toMatch(message);
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe('storage skips what has nothing to show', () => {
  it('normalizeItems drops the item with no title, link or body, and keeps the rest', async () => {
    const parsed = await parseFixture('rss-items-without-title-or-link.xml', 'https://station.example/rss');
    const stored = normalizeItems(parsed.items, new Date('2024-06-02T00:00:00Z'));
    expect(stored.map((item) => item.title)).toEqual(['Maintenance window']);
  });
});
