import { describe, expect, it } from 'vitest';
import { prefixRenames, renamePrefixes } from '../../src/feeds/canonical-prefixes.ts';

const DC = 'http://purl.org/dc/elements/1.1/';
const CONTENT = 'http://purl.org/rss/1.0/modules/content/';

describe('prefixRenames', () => {
  it.each([
    { behaviour: 'renames an extension namespace bound to another prefix', declarations: [['ns0', DC]], renames: [['ns0', 'dc']] },
    { behaviour: 'leaves the usual prefix alone', declarations: [['dc', DC]], renames: [] },
    {
      behaviour: 'renames both of two prefixes bound to the same namespace',
      declarations: [
        ['dc', DC],
        ['d', DC],
      ],
      renames: [['d', 'dc']],
    },
    {
      behaviour: 'does not rename onto a prefix the document binds to another namespace',
      declarations: [
        ['dc', CONTENT],
        ['d', DC],
      ],
      renames: [['dc', 'content']],
    },
    { behaviour: 'ignores namespaces it does not know', declarations: [['x', 'http://example.com/ns']], renames: [] },
    {
      behaviour: 'keeps the first binding of a prefix declared twice',
      declarations: [
        ['c', CONTENT],
        ['c', DC],
      ],
      renames: [['c', 'content']],
    },
  ] as Array<{ behaviour: string; declarations: Array<[string, string]>; renames: Array<[string, string]> }>)(
    '$behaviour',
    ({ declarations, renames }) => {
      expect(prefixRenames(declarations)).toEqual(renames);
    },
  );
});

describe('renamePrefixes', () => {
  it('renames opening and closing tags of the prefix only, not attributes or other prefixes', () => {
    const xml = '<item><ns0:creator ns0:role="x">A</ns0:creator><ns01:x/><ns0:date/></item>';
    expect(renamePrefixes(xml, [['ns0', 'dc']])).toBe('<item><dc:creator ns0:role="x">A</dc:creator><ns01:x/><dc:date/></item>');
  });
});
