import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { editConfigText, type ConfigEdit } from '../../src/config/edit-config.ts';
import { ConfigError, parseConfig } from '../../src/config/load.ts';

// The repository's feeds.yaml: aligned trailing comments, a blank line between entries, flow tags.
const REPO_CONFIG = readFileSync(new URL('../../feeds.yaml', import.meta.url), 'utf8');

// Another hand-written style: id first, quoted URLs, block tags, comments above and inside entries.
const COMPACT = `# My columnists
title: "Columns"   # shown in the merged feed

feeds:
  # Jane writes on Fridays
  - id: jane
    url: "https://times.example.com/jane/rss"
    tags:
      - politics
      - uk
    # outlet: The Times (moved to the Ledger in 2025)
  # Bob: economics
  - id: bob
    url: "https://guardian.example.com/bob/rss"
  - id: ann
    url: "https://planet.example.com/ann/rss"
    tags:
      - politics

digests:
  - id: morning
    to: [reader@example.com]
    tags: [politics]
`;

const edit = (text: string, change: ConfigEdit) => editConfigText(text, change, 'feeds.yaml');

describe('editConfigText: adding feeds', () => {
  it('appends an entry in the style of the repository file, changing no other byte', () => {
    const result = edit(REPO_CONFIG, {
      kind: 'add',
      entries: [{ url: 'https://ledger.example/priya/rss', id: 'priya', title: 'Priya: on money', tags: ['economics', 'uk'] }],
    });

    expect(result.text).toBe(`${REPO_CONFIG}
  - url: https://ledger.example/priya/rss
    id: priya
    title: "Priya: on money"
    tags: [economics, uk]
`);
    expect(parseConfig(result.text, 'feeds.yaml').feeds.at(-1)).toEqual({
      id: 'priya',
      url: 'https://ledger.example/priya/rss',
      title: 'Priya: on money',
      outlet: null,
      tags: ['economics', 'uk'],
    });
  });

  it('follows the key order, URL quoting and block tags of a file written differently', () => {
    const result = edit(COMPACT, {
      kind: 'add',
      entries: [{ url: 'https://ledger.example/priya/rss', id: 'priya', outlet: 'The Ledger', tags: ['economics'] }],
    });

    expect(result.text).toBe(
      COMPACT.replace(
        '\ndigests:',
        `  - id: priya
    url: "https://ledger.example/priya/rss"
    outlet: The Ledger
    tags:
      - economics

digests:`,
      ),
    );
  });

  it.each([
    {
      behaviour: 'an empty flow list, keeping the comment on its line',
      before: 'title: T\nfeeds: []  # none yet\ndigests: []\n',
      after: 'title: T\nfeeds:  # none yet\n  - url: https://a.example/feed\n    id: a\ndigests: []\n',
    },
    {
      behaviour: 'a bare feeds: key',
      before: 'title: T\nfeeds:\n',
      after: 'title: T\nfeeds:\n  - url: https://a.example/feed\n    id: a\n',
    },
    {
      behaviour: 'a file without feeds:, as a new section after a blank line',
      before: '# settings only\ntitle: T',
      after: '# settings only\ntitle: T\n\nfeeds:\n  - url: https://a.example/feed\n    id: a\n',
    },
    { behaviour: 'an empty file', before: '', after: 'feeds:\n  - url: https://a.example/feed\n    id: a\n' },
    {
      behaviour: 'a CRLF file, with CRLF lines and its padded flow tags',
      before: 'feeds:\r\n  - url: https://b.example/feed\r\n    tags: [ x ]\r\n',
      after:
        'feeds:\r\n  - url: https://b.example/feed\r\n    tags: [ x ]\r\n  - url: https://a.example/feed\r\n    id: a\r\n    tags: [ y ]\r\n',
    },
  ])('creates the list in $behaviour', ({ before, after }) => {
    const tags = before.includes('[ x ]') ? ['y'] : [];
    expect(edit(before, { kind: 'add', entries: [{ url: 'https://a.example/feed', id: 'a', tags }] }).text).toBe(after);
  });

  it('appends several entries at once, blank lines between them as between the others', () => {
    const result = edit(REPO_CONFIG, {
      kind: 'add',
      entries: [
        { url: 'https://a.example/feed', id: 'a' },
        { url: 'https://b.example/feed', id: 'b' },
      ],
    });
    expect(result.text).toBe(`${REPO_CONFIG}\n  - url: https://a.example/feed\n    id: a\n\n  - url: https://b.example/feed\n    id: b\n`);
  });

  it('refuses a feeds list written in flow style, naming the line', () => {
    expect(() =>
      edit('title: T\nfeeds: [{url: "https://a.example/feed"}]\n', { kind: 'add', entries: [{ url: 'https://b.example/feed' }] }),
    ).toThrow(/feeds\.yaml:2: feeds is written in flow style/);
  });
});

describe('editConfigText: removing a feed', () => {
  it("removes a middle entry with the comment directly above it, keeping the others' comments", () => {
    const result = edit(COMPACT, { kind: 'remove', index: 1 });
    expect(result.text).toBe(
      COMPACT.replace(
        `  # Bob: economics
  - id: bob
    url: "https://guardian.example.com/bob/rss"
`,
        '',
      ),
    );
    expect(result.removedComments).toEqual(['# Bob: economics']);
    // Jane's inner comment, right above Bob's, stays with Jane.
    expect(result.text).toContain('    # outlet: The Times (moved to the Ledger in 2025)\n  - id: ann');
  });

  it('removes the first entry and its comment; the next entry keeps its own', () => {
    const result = edit(COMPACT, { kind: 'remove', index: 0 });
    expect(result.text).toBe(COMPACT.replace(/ {2}# Jane writes[\s\S]*?\(moved to the Ledger in 2025\)\n/, ''));
    expect(result.removedComments).toEqual(['# Jane writes on Fridays']);
  });

  it.each([
    { behaviour: 'the first', index: 0, gone: / {2}- url: https:\/\/www\.theguardian\.com\/profile\/georgemonbiot\/rss\n[^]*?\n\n/ },
    { behaviour: 'a middle', index: 3, gone: / {2}- url: https:\/\/www\.ft\.com[^]*?\n\n/ },
    { behaviour: 'the last', index: 11, gone: /\n\n {2}- url: https:\/\/www\.project-syndicate[^]*$/ },
  ])('removes $behaviour entry of the repository file with one of the blank lines around it', ({ index, gone }) => {
    const result = edit(REPO_CONFIG, { kind: 'remove', index });
    expect(result.text).toBe(REPO_CONFIG.replace(gone, index === 11 ? '\n' : ''));
    expect(result.text).not.toMatch(/\n\n\n/);
  });

  it('leaves `feeds: []` when the only entry goes', () => {
    const result = edit('title: T\nfeeds:   # mine\n  - url: https://a.example/feed\n\ndigests: []\n', { kind: 'remove', index: 0 });
    expect(result.text).toBe('title: T\nfeeds: []   # mine\n\ndigests: []\n');
  });
});

describe('editConfigText: setting tags', () => {
  it.each([
    {
      behaviour: 'rewrites a flow list in place',
      text: REPO_CONFIG,
      index: 1,
      tags: ['politics', 'uk', 'satire'],
      from: '    tags: [politics, uk]\n\n  - url: https://www.theguardian.com/profile/simonjenkins',
      to: '    tags: [politics, uk, satire]\n\n  - url: https://www.theguardian.com/profile/simonjenkins',
    },
    {
      behaviour: 'rewrites a block list in place',
      text: COMPACT,
      index: 0,
      tags: ['uk'],
      from: '    tags:\n      - politics\n      - uk\n',
      to: '    tags:\n      - uk\n',
    },
    {
      behaviour: "adds a tags key after the last key, before the entry's trailing comments",
      text: COMPACT,
      index: 1,
      tags: ['economics'],
      from: 'bob/rss"\n',
      to: 'bob/rss"\n    tags:\n      - economics\n',
    },
    {
      behaviour: 'writes [] when the last tag goes',
      text: COMPACT,
      index: 2,
      tags: [],
      from: '    tags:\n      - politics\n\ndigests',
      to: '    tags: []\n\ndigests',
    },
  ])('$behaviour', ({ text, index, tags, from, to }) => {
    expect(text).toContain(from);
    const result = edit(text, { kind: 'set-tags', index, tags });
    expect(result.text).toBe(text.replace(from, to));
  });

  it('adds a flow tags key to an entry of a flow-tags file', () => {
    const text = 'feeds:\n  - url: https://a.example/feed\n    tags: [x]\n  - url: https://b.example/feed\n';
    expect(edit(text, { kind: 'set-tags', index: 1, tags: ['y', 'z'] }).text).toBe(`${text}    tags: [y, z]\n`);
  });

  it('refuses an entry written as a flow mapping, naming its line', () => {
    const text = 'feeds:\n  - url: https://a.example/feed\n  - {url: "https://b.example/feed"}\n';
    expect(() => edit(text, { kind: 'set-tags', index: 1, tags: ['y'] })).toThrow(ConfigError);
    expect(() => edit(text, { kind: 'set-tags', index: 1, tags: ['y'] })).toThrow(
      /feeds\.yaml:3: this feeds entry is not written as "- url: \.\.\."/,
    );
  });
});

describe('editConfigText: anchors and aliases', () => {
  // README: "an anchor shared by any number of feeds is fine", so the CLI meets them.
  const SHARED_TAGS = `feeds:
  - url: https://a.example/feed
    tags: &politics [politics, uk]
  - url: https://b.example/feed
    tags: *politics
`;

  it('sets the tags of an entry whose tags are an alias, leaving the anchored list alone', () => {
    const result = edit(SHARED_TAGS, { kind: 'set-tags', index: 1, tags: ['economics'] });
    expect(result.text).toBe(SHARED_TAGS.replace('tags: *politics', 'tags: [economics]'));
  });

  it.each([
    ['set-tags', { kind: 'set-tags', index: 0, tags: ['economics'] }],
    ['remove', { kind: 'remove', index: 0 }],
  ] as const)('refuses to %s an entry whose anchor another entry uses, naming both lines', (_name, change) => {
    expect(() => edit(SHARED_TAGS, change)).toThrow(ConfigError);
    expect(() => edit(SHARED_TAGS, change)).toThrow(
      /feeds\.yaml:3: the anchor &politics here is used on line 5 \(\*politics\); edit the file by hand/,
    );
  });

  it('removes an entry that uses an alias, or holds an anchor no other entry uses', () => {
    expect(edit(SHARED_TAGS, { kind: 'remove', index: 1 }).text).toBe(
      'feeds:\n  - url: https://a.example/feed\n    tags: &politics [politics, uk]\n',
    );
    const titled = 'feeds:\n  - url: https://a.example/feed\n    title: &jane Jane\n  - url: https://b.example/feed\n';
    expect(edit(titled, { kind: 'remove', index: 0 }).text).toBe('feeds:\n  - url: https://b.example/feed\n');
  });
});
