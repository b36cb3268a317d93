/**
 * Relative URLs of Atom content resolved against its declared xml:base (RFC 4287 §2, XML Base),
 * as Atom readers take them; only a href and img src (what republished content keeps).
 */
import { describe, expect, it } from 'vitest';
import { parseFeed } from '../../src/feeds/parse-feed.ts';
import { resolveContentUrls } from '../../src/feeds/resolve-content-urls.ts';

const BASE = 'https://beta.example/blog/';

describe('resolveContentUrls', () => {
  it.each([
    ['a parent path', '<a href="../other">x</a>', '<a href="https://beta.example/other">x</a>'],
    ['a relative image', '<p><img alt="" src="pics/a.jpg"/></p>', '<p><img alt="" src="https://beta.example/blog/pics/a.jpg"/></p>'],
    ['a root path', "<a href='/about'>x</a>", '<a href="https://beta.example/about">x</a>'],
    ['a bare value', '<a href=next.html>x</a>', '<a href="https://beta.example/blog/next.html">x</a>'],
    ['an entity in the value', '<a href="p?a=1&amp;b=2">x</a>', '<a href="https://beta.example/blog/p?a=1&amp;b=2">x</a>'],
    ['a protocol-relative URL', '<img src="//cdn.example/i.png">', '<img src="https://cdn.example/i.png">'],
    ['spaces and case', '<A\n  HREF = "x" >x</A>', '<A\n  HREF = "https://beta.example/blog/x" >x</A>'],
    ['an absolute URL', '<a href="https://else.example/p">x</a>', '<a href="https://else.example/p">x</a>'],
    ['a mailto: link', '<a href="mailto:desk@beta.example">x</a>', '<a href="mailto:desk@beta.example">x</a>'],
    ['a fragment of the page', '<a href="#note-1">1</a>', '<a href="#note-1">1</a>'],
    ['an empty href', '<a href="">x</a>', '<a href="">x</a>'],
    ['another tag', '<abbr title="x"><area href="y"></abbr><link href="z">', '<abbr title="x"><area href="y"></abbr><link href="z">'],
    ['another attribute', '<a data-href="x" title="src=y">z</a>', '<a data-href="x" title="src=y">z</a>'],
    ['text that looks like a tag', 'a &lt;a href="x"&gt; and 3 < 4', 'a &lt;a href="x"&gt; and 3 < 4'],
    ['a tag never closed', 'text <a href="x"', 'text <a href="x"'],
  ])('%s', (_, html, expected) => {
    expect(resolveContentUrls(html, BASE)).toBe(expected);
  });

  it('quotes what it writes: a value holding a quote stays one attribute', () => {
    expect(resolveContentUrls(`<a href='say"hi'>x</a>`, BASE)).toBe('<a href="https://beta.example/blog/say%22hi">x</a>');
  });

  it('reads hostile markup in one pass: many unclosed tags, long runs of spaces', () => {
    const hostile = '<a href'.repeat(50_000) + ' '.repeat(200_000) + '<img' + ' src'.repeat(50_000);
    expect(resolveContentUrls(hostile, BASE)).toBe(hostile);
    const many = '<a href="x">y</a>'.repeat(20_000);
    expect(resolveContentUrls(many, BASE)).toBe('<a href="https://beta.example/blog/x">y</a>'.repeat(20_000));
  });
});

describe('Atom content under xml:base', () => {
  const atom = (feedBase: string, entryBase: string, contentBase: string) => `<?xml version="1.0"?>
<feed xmlns="http://www.w3.org/2005/Atom"${feedBase}><title>B</title><id>urn:b</id><updated>2025-06-01T10:00:00Z</updated>
<entry${entryBase}><title>One</title><id>urn:b:1</id><updated>2025-06-01T10:00:00Z</updated><link href="posts/one"/>
<summary type="html">&lt;a href="../other"&gt;other&lt;/a&gt;</summary>
<content type="html"${contentBase}>&lt;img src="a.jpg"/&gt; &lt;a href="#n"&gt;n&lt;/a&gt;</content></entry></feed>`;

  it('resolves summary and content against the nearest declared xml:base (feed, entry, element), as Atom readers do', async () => {
    const parsed = await parseFeed(
      atom(' xml:base="https://beta.example/blog/"', ' xml:base="2025/"', ' xml:base="/media/"'),
      'https://feeds.example/b.atom',
    );
    expect(parsed.items[0]).toMatchObject({
      link: 'https://beta.example/blog/2025/posts/one',
      summary: '<a href="https://beta.example/blog/other">other</a>',
      content: '<img src="https://beta.example/media/a.jpg"/> <a href="#n">n</a>',
    });
  });

  it('leaves relative URLs as they are when no xml:base is declared (the entry link resolves them when published)', async () => {
    const parsed = await parseFeed(atom('', '', ''), 'https://feeds.example/b.atom');
    expect(parsed.items[0]).toMatchObject({
      link: 'https://feeds.example/posts/one',
      summary: '<a href="../other">other</a>',
      content: '<img src="a.jpg"/> <a href="#n">n</a>',
    });
  });
});
