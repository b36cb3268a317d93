/**
 * Issue 9 §1: a numeric character reference to a character XML 1.0 forbids (§2.2 Char,
 * §4.1 WFC: Legal Character) must cost only that character, not the whole feed: a strict
 * parser rejects the document, so the reference is dropped before it gets there.
 */
import { describe, expect, it } from 'vitest';
import { parseFeed } from '../../src/feeds/parse-feed.ts';

const wordpressRss = (ref: string): string => `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
	<title>The Ledger&#8217;s Column${ref}s</title>
	<link>https://ledger.example</link>
	<description>Weekly${ref} opinion</description>
	<item>
		<title>Budget${ref} talks &#8211; day two</title>
		<link>https://ledger.example/2024/09/budget-talks/</link>
		<dc:creator><![CDATA[Ann Reyes]]></dc:creator>
		<pubDate>Tue, 03 Sep 2024 08:00:00 +0000</pubDate>
		<category domain="tag${ref}">Economy${ref}</category>
		<guid isPermaLink="false">https://ledger.example/?p=${ref}123</guid>
		<description><![CDATA[<p>Kept literally inside CDATA.</p>]]></description>
		<content:encoded>&lt;p&gt;Escaped${ref} markup&lt;/p&gt;</content:encoded>
	</item>
	<item>
		<title>Second column</title>
		<link>https://ledger.example/2024/09/second/</link>
	</item>
</channel>
</rss>`;

const atom = (ref: string): string => `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
  <title type="text">Notes${ref} from the desk</title>
  <id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
  <updated>2024-09-03T08:00:00Z</updated>
  <entry>
    <title type="html">Rates${ref} &amp;amp; rents</title>
    <link rel="alternate" href="https://desk.example/rates${ref}"/>
    <id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id>
    <updated>2024-09-03T08:00:00Z</updated>
    <author><name>Ma${ref}ria Lind</name></author>
    <summary>Short${ref} read</summary>
  </entry>
</feed>`;

const FORBIDDEN = [
  ['&#1;', 'a C0 control'],
  ['&#x1;', 'a C0 control in hex'],
  ['&#0;', 'NUL'],
  ['&#x0B;', 'a vertical tab'],
  ['&#xFFFE;', 'U+FFFE'],
  ['&#xffff;', 'U+FFFF'],
  ['&#65535;', 'U+FFFF in decimal'],
  ['&#xD800;', 'a lone high surrogate'],
  ['&#xDFFF;', 'a lone low surrogate'],
  ['&#55296;', 'a surrogate in decimal'],
  ['&#x110000;', 'a code point past U+10FFFF'],
  ['&#1114112;', 'a code point past U+10FFFF in decimal'],
] as const;

describe('numeric references to characters XML forbids', () => {
  it.each(FORBIDDEN)('drops %s (%s) from an RSS feed and keeps the feed', async (ref) => {
    const parsed = await parseFeed(wordpressRss(ref), 'https://ledger.example/feed/');
    expect(parsed.feed.title).toBe('The Ledger’s Columns');
    expect(parsed.feed.description).toBe('Weekly opinion');
    expect(parsed.items.map((item) => item.title)).toEqual(['Budget talks – day two', 'Second column']);
    expect(parsed.items[0]).toMatchObject({
      id: 'https://ledger.example/?p=123',
      categories: ['Economy'],
      summary: '<p>Kept literally inside CDATA.</p>',
      content: '<p>Escaped markup</p>',
    });
  });

  it.each(FORBIDDEN)('drops %s (%s) from an Atom feed and keeps the feed', async (ref) => {
    const parsed = await parseFeed(atom(ref), 'https://desk.example/atom.xml');
    expect(parsed.feed.title).toBe('Notes from the desk');
    expect(parsed.items).toMatchObject([
      { title: 'Rates & rents', link: 'https://desk.example/rates', author: 'Maria Lind', summary: 'Short read' },
    ]);
  });

  it.each([
    ['&#9;', '\t'],
    ['&#xA;', '\n'],
    ['&#x20AC;', '€'],
    ['&#x1F600;', '😀'],
    ['&#xFFFD;', '\uFFFD'],
    ['&#x10FFFF;', '\u{10FFFF}'],
  ])('keeps %s, which XML allows', async (ref, char) => {
    const parsed = await parseFeed(wordpressRss(ref), null);
    expect(parsed.items[0]!.content).toBe(`<p>Escaped${char} markup</p>`);
  });

  it('leaves references inside CDATA alone: there they are text, not references', async () => {
    const parsed = await parseFeed(wordpressRss('').replace('Kept literally', 'Kept &#1; literally'), null);
    expect(parsed.items[0]!.summary).toBe('<p>Kept &#1; literally inside CDATA.</p>');
  });
});
