/**
 * Relative URLs of Atom content resolved against its declared xml:base (RFC 4287 §2, XML Base),
 * as Atom readers take them; only a href and img src (what republished content keeps).
 */
import { describe, expect, it } from 'vitest';
import { parseFeed } from '../../src/feeds/parse-feed.ts';
import { resolveContentUrls } from '../../src/feeds/resolve-content-urls.ts';
import { sanitizeContent } from '../../src/publish/sanitize-content.ts';
import { mulberry32, pick } from '../helpers/prng.ts';

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

  it.each([
    // HTML's attribute rule: `&sect`, `&times`, `&reg` before a letter or `=` are no references there.
    [
      'a query whose & starts no reference',
      '<a href="list?id=1&section=x&timestamp=2&region=eu">x</a>',
      '<a href="https://beta.example/blog/list?id=1&amp;section=x&amp;timestamp=2&amp;region=eu">x</a>',
    ],
    // What is inside another attribute's value is no attribute: left as it is, quotes and all.
    [
      'src= inside an alt text',
      '<img alt="see src=here" src="pic.png">',
      '<img alt="see src=here" src="https://beta.example/blog/pic.png">',
    ],
    [
      'href= inside a title',
      `<a title=" href='../x' onmouseover=alert(1) y=">z</a>`,
      `<a title=" href='../x' onmouseover=alert(1) y=">z</a>`,
    ],
    ["a tag inside another tag's value", `<span title="<a href='x'>">t</span>`, `<span title="<a href='x'>">t</span>`],
    // A quoted value holding `>` does not end its tag.
    ['a > in a quoted value', '<a title="a > b" href="../x">z</a>', '<a title="a > b" href="https://beta.example/x">z</a>'],
    ['a comment', '<!-- <a title=" --> <a href="x">y</a>', '<!-- <a title=" --> <a href="https://beta.example/blog/x">y</a>'],
    ['a script', `<script>s='<a b="'</script><a href="x">y</a>`, `<script>s='<a b="'</script><a href="https://beta.example/blog/x">y</a>`],
  ])('%s', (_, html, expected) => {
    expect(resolveContentUrls(html, BASE)).toBe(expected);
  });

  it.each([
    // A base of another scheme makes no link of another scheme out of a relative one.
    ['a javascript: base', '<a href="x">y</a>', 'javascript://x/%0Aalert(1)//'],
    ['a file: base', '<img src="passwd">', 'file:///etc/'],
  ])('resolves nothing against %s', (_, html, base) => {
    expect(resolveContentUrls(html, base)).toBe(html);
  });

  it('turns no value that is not a link into a javascript: link (the URL parser drops tabs and newlines)', () => {
    const html = '<a href="java\nscript:alert(1)">x</a><a href="java&#9;script:alert(1)">y</a>';
    expect(resolveContentUrls(html, BASE)).toBe(html);
  });

  it('changes nothing the sanitizer keeps but the URLs it would resolve against the same base (tag soup)', () => {
    // The sanitizer's parser reads the markup: a resolved document must read as the same tags,
    // attributes and text. Fragments that trip a scanner: quotes, `>` and `=` in values, comments, scripts.
    const parts = ['<a', '<img', ' href=', ' src=', '"', "'", '>', '</a>', ' title=', 'x', '../y', ' ', '\n', '/', '<!--', '-->'];
    const more = ['&amp;', '&sect', '?a=1', '#f', '<script>', '</script>', '<p>', '=', '<', 'javascript:', '<A HREF=', '\t'];
    const random = mulberry32(7);
    for (let round = 0; round < 3_000; round++) {
      let html = '';
      for (let count = 3 + Math.floor(random() * 14); count > 0; count--) html += pick(random, [...parts, ...more]);
      expect(sanitizeContent(resolveContentUrls(html, BASE), BASE), html).toBe(sanitizeContent(html, BASE));
    }
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
