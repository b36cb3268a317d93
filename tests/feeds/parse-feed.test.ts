import { describe, expect, it } from 'vitest';
import { FeedParseError, parseFeed } from '../../src/feeds/parse-feed.ts';
import { loadFixture } from '../helpers/feed-fixtures.ts';
import type { ParsedFeed } from '../../src/model.ts';

const load = loadFixture;

type Outcome = { kind: 'parsed'; feed: ParsedFeed } | { kind: 'threw'; error: unknown };

/** Runs parseFeed and captures a rejection (or a synchronous throw) as a value. */
const attempt = async (text: string, baseUrl: string | null = null): Promise<Outcome> => {
  try {
    return { kind: 'parsed', feed: await parseFeed(text, baseUrl) };
  } catch (error) {
    return { kind: 'threw', error };
  }
};

describe('parseFeed format detection', () => {
  it.each([
    { file: 'guardian-columnist-rss.xml', format: 'rss', itemCount: 3 },
    { file: 'nyt-opinion-rss.xml', format: 'rss', itemCount: 3 },
    { file: 'wordpress-rss.xml', format: 'rss', itemCount: 3 },
    { file: 'substack-rss.xml', format: 'rss', itemCount: 3 },
    { file: 'medium-rss.xml', format: 'rss', itemCount: 3 },
    { file: 'rss-091-netscape.xml', format: 'rss', itemCount: 3 },
    { file: 'rss-092-userland.xml', format: 'rss', itemCount: 3 },
    { file: 'rdf-rss10.xml', format: 'rss', itemCount: 3 },
    { file: 'rdf-prefixed.xml', format: 'rss', itemCount: 3 },
    { file: 'regional-cms-odd-dates-rss.xml', format: 'rss', itemCount: 6 },
    { file: 'rss-html-entities-control-chars.xml', format: 'rss', itemCount: 4 },
    { file: 'rss-utf8-bom.xml', format: 'rss', itemCount: 3 },
    { file: 'rss-leading-whitespace.xml', format: 'rss', itemCount: 3 },
    { file: 'blogger-atom.xml', format: 'atom', itemCount: 3 },
    { file: 'atom-xml-base.xml', format: 'atom', itemCount: 3 },
    { file: 'atom-prefixed.xml', format: 'atom', itemCount: 3 },
    { file: 'atom-03-movabletype.xml', format: 'atom', itemCount: 3 },
    { file: 'atom-bad-dates.xml', format: 'atom', itemCount: 4 },
    { file: 'jsonfeed-10-linkblog.json', format: 'json', itemCount: 3 },
    { file: 'jsonfeed-11-columnist.json', format: 'json', itemCount: 3 },
  ])('detects $file as $format with $itemCount items', async ({ file, format, itemCount }) => {
    const parsed = await parseFeed(load(file), null);

    expect(parsed.format).toBe(format);
    expect(parsed.items).toHaveLength(itemCount);
  });

  it('parses the same text to the same ids every time', async () => {
    const text = load('regional-cms-odd-dates-rss.xml');
    const [first, second] = await Promise.all([parseFeed(text, null), parseFeed(text, null)]);

    expect(second.items.map((item) => item.id)).toEqual(first.items.map((item) => item.id));
    expect(new Set(first.items.map((item) => item.id)).size).toBe(6);
  });
});

describe('parseFeed strictness at the root', () => {
  it.each([
    { what: 'an HTML article page (with an RSS <link> in its head)', text: load('not-a-feed-article.html') },
    { what: 'an XHTML error page with an XML declaration', text: load('not-a-feed-xhtml.xml') },
    { what: 'an SVG image', text: load('not-a-feed-image.svg') },
    { what: 'an S3 AccessDenied XML error', text: load('not-a-feed-s3-error.xml') },
    { what: 'an XML sitemap', text: load('not-a-feed-sitemap.xml') },
    { what: 'a JSON API response that is not a JSON Feed', text: load('not-a-feed-api.json') },
    { what: 'a JSON array', text: '[{"title":"Not a feed"}]' },
    { what: 'plain text', text: load('not-a-feed.txt') },
    { what: 'an empty string', text: '' },
    { what: 'only whitespace', text: ' \r\n\t ' },
  ])('rejects $what with a FeedParseError', async ({ text }) => {
    const outcome = await attempt(text);

    expect(outcome.kind).toBe('threw');
    const error = outcome.kind === 'threw' ? outcome.error : null;
    expect(error).toBeInstanceOf(FeedParseError);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message.trim()).not.toBe('');
  });
});

describe('parseFeed safety', () => {
  it('never expands a billion-laughs entity bomb', async () => {
    const outcome = await attempt(load('billion-laughs.xml'), 'https://attacker.example/feed');

    if (outcome.kind === 'threw') {
      expect(outcome.error).toBeInstanceOf(FeedParseError);
    } else {
      const { feed, items } = outcome.feed;
      expect((feed.title ?? '').length).toBeLessThan(1000);
      expect((feed.description ?? '').length).toBeLessThan(1000);
      expect((items[0]?.title ?? '').length).toBeLessThan(1000);
      expect((items[0]?.summary ?? '').length).toBeLessThan(1000);
      expect(items[0]?.title ?? '').not.toContain('lollollol');
    }
  });

  it('never reads a file named by an external entity', async () => {
    const outcome = await attempt(load('xxe-external-entity.xml'), 'https://attacker.example/feed');

    const visible = outcome.kind === 'threw' ? String(outcome.error) : JSON.stringify(outcome.feed);
    expect(visible).not.toContain('root:');
    if (outcome.kind === 'threw') expect(outcome.error).toBeInstanceOf(FeedParseError);
    else expect(outcome.feed.items[0]?.link).toBe('https://attacker.example/read-me');
  });
});
