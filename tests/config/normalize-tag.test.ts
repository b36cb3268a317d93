import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { normalizeTag, normalizeTags } from '../../src/config/normalize-tag.ts';
import { planOpmlImport } from '../../src/config/plan-opml-import.ts';

describe('normalizeTag', () => {
  it.each([
    ['politics', 'politics'],
    ['Politics', 'politics'],
    ['  politics ', 'politics'],
    ['Politics  UK', 'politics-uk'],
    ['politics\tuk', 'politics-uk'],
    ['politics-uk', 'politics-uk'],
    ['ÉCONOMIE', 'économie'],
    ['Ｐｏｌｉｔｉｃｓ', 'politics'],
  ])('%j → %j', (tag, expected) => {
    expect(normalizeTag(tag)).toBe(expected);
    expect(normalizeTag(expected)).toBe(expected);
  });

  it('merges tags that are the same after normalisation, keeping first-seen order', () => {
    expect(normalizeTags(['UK', 'Politics UK', 'uk', ' politics-uk', ''])).toEqual(['uk', 'politics-uk']);
  });
});

describe('tags in feeds.yaml', () => {
  it('are normalised and merged on load, and digest tag filters match them', () => {
    const config = parseConfig(
      `feeds:
  - url: https://a.example.com/f
    tags: [Politics UK, politics-uk, " Europe ", EUROPE]
digests:
  - id: daily
    to: r@example.org
    tags: [POLITICS  UK]
`,
      'feeds.yaml',
    );
    expect(config.feeds[0]!.tags).toEqual(['politics-uk', 'europe']);
    expect(config.digests[0]!.tags).toEqual(['politics-uk']);
  });

  it('are normalised by opml import --tag, merged with the folder tags', () => {
    const plan = planOpmlImport(
      [{ url: 'https://a.example.com/f', title: null, htmlUrl: null, description: null, folders: ['Politics UK'], categories: [] }],
      [],
      ['Politics  UK', 'From Feedly'],
    );
    expect(plan.entries[0]!.tags).toEqual(['politics-uk', 'from-feedly']);
  });
});
