import { describe, expect, it } from 'vitest';
import { dropForbiddenXmlChars, element, escapeXml, writeXmlDocument } from '../../src/publish/xml-writer.ts';
import { parseStrictXml } from '../helpers/strict-xml.ts';

describe('escapeXml', () => {
  it.each([
    ['a & b', 'text', 'a &amp; b'],
    ['<x>', 'text', '&lt;x&gt;'],
    ['x]]>y', 'text', 'x]]&gt;y'],
    ['&amp;', 'text', '&amp;amp;'],
    ['"quoted" \'single\'', 'text', '"quoted" \'single\''],
    ['line\r\nbreak\ttab', 'text', 'line&#13;\nbreak\ttab'],
    ['?id=42&ref="rss"<', 'attribute', '?id=42&amp;ref=&quot;rss&quot;&lt;'],
    ['a\tb\nc\rd', 'attribute', 'a&#9;b&#10;c&#13;d'],
    ['nul\u0000 esc\u001b ff\u000c \uFFFE\uFFFF', 'text', 'nul esc ff '],
    ['\u202Eevil\u202C \u2066isolate\u2069', 'text', '\u202Eevil\u202C \u2066isolate\u2069'],
  ] as const)('escapes %j as %s', (value, where, expected) => {
    expect(escapeXml(value, where)).toBe(expected);
  });
});

describe('dropForbiddenXmlChars', () => {
  it.each([
    ['lone high \uD800!', 'lone high !'],
    ['lone low \uDC00!', 'lone low !'],
    ['reversed \uDC00\uD800 pair', 'reversed  pair'],
    ['emoji \uD83D\uDE00 kept', 'emoji \uD83D\uDE00 kept'],
    ['high then pair \uD800\uD83D\uDE00', 'high then pair \uD83D\uDE00'],
    ['tab\tlf\ncr\r kept, U+FFFD \uFFFD kept, C1 \u0085 kept', 'tab\tlf\ncr\r kept, U+FFFD \uFFFD kept, C1 \u0085 kept'],
  ])('turns %j into %j', (value, expected) => {
    expect(dropForbiddenXmlChars(value)).toBe(expected);
  });
});

describe('writeXmlDocument', () => {
  it('indents element-only content, keeps text as is, leaves out null attributes and empty children', () => {
    const document = writeXmlDocument(
      element('root', { a: 'x&y', b: null, c: undefined, n: 3 }, element('leaf', {}, ' spaced text '), null, false, [
        element('empty'),
        [element('nested', { x: '1' })],
      ]),
    );
    expect(document).toBe(
      '<?xml version="1.0" encoding="utf-8"?>\n<root a="x&amp;y" n="3">\n  <leaf> spaced text </leaf>\n  <empty/>\n  <nested x="1"/>\n</root>',
    );
    expect(parseStrictXml(document).children.map((child) => child.local)).toEqual(['leaf', 'empty', 'nested']);
  });

  it('refuses a name that is not an XML name (names come from code, never from stories)', () => {
    expect(() => element('bad name')).toThrow('xml-writer: "bad name" is not an XML name');
    expect(() => element('ok', { 'x"y': '1' })).toThrow('is not an XML name');
  });
});
