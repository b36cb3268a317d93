/**
 * The columnist directory (src/site/directory.ts) with co-signed bylines: a column signed by a
 * configured columnist together with others is that columnist's, on their page, in their
 * counts and in a digest reader's choice of them, and files no columnist of its own.
 */
import { describe, expect, it } from 'vitest';
import { selectStories } from '../../src/digest/select-stories.ts';
import { foldText } from '../../src/fold-text.ts';
import type { FeedSource, Story } from '../../src/model.ts';
import { buildDirectory } from '../../src/site/directory.ts';
import { authorToken, feedToken } from '../../src/search-tokens.ts';
import type { BylineStat } from '../../src/storage/store.ts';

const feeds: FeedSource[] = [
  { id: 'times-opinion', url: 'https://times.example.com/opinion.xml', title: 'Times Opinion', outlet: 'The Times', tags: ['opinion'] },
  { id: 'post', url: 'https://post.example.com/feed', title: 'The Post', outlet: 'The Post', tags: [] },
];
const configured = [
  { name: 'Jane Doe', aliases: ['J. Doe'], feeds: [], pickFrom: ['times-opinion'] },
  { name: 'Ann Lee', aliases: [], feeds: [], pickFrom: [] },
];
const stat = (author: string, feedId: string, stories: number, day: number): BylineStat => ({
  authorKey: foldText(author),
  author,
  feedId,
  stories,
  latest: { publicId: `${feedId}-${day}`, title: `Column of day ${day}`, published: new Date(Date.UTC(2026, 10, day)) },
});

describe('the columnist directory with co-signed bylines', () => {
  const directory = buildDirectory(
    [
      stat('Jane Doe', 'times-opinion', 3, 10),
      stat('John Roe and Jane Doe', 'times-opinion', 1, 12),
      stat('By J. Doe & Ann Lee', 'post', 2, 11),
      stat('John Roe, Max Mustermann', 'post', 4, 9),
    ],
    feeds,
    configured,
  );

  it('files a co-signed column under each configured columnist it names, counted once per outlet', () => {
    const jane = directory.columnist('jane-doe')!;
    expect(jane.stories).toBe(6);
    expect(jane.latest?.title).toBe('Column of day 12');
    expect(jane.byline.authorKeys.sort()).toEqual(['by j doe ann lee', 'jane doe', 'john roe and jane doe']);
    expect(jane.outlets.map((outlet) => outlet.name)).toEqual(['The Times', 'The Post']);
    expect(directory.columnist('ann-lee')!.stories).toBe(2);
    expect(directory.columnists.map((columnist) => columnist.name)).not.toContain('John Roe and Jane Doe');
    expect(directory.outlet('the-post')!.stories).toBe(6);
  });

  it('leaves a byline naming no configured columnist a columnist of its own, as before', () => {
    expect(directory.columnists.map((columnist) => columnist.name)).toContain('John Roe, Max Mustermann');
    expect(directory.columnistOf('John Roe, Max Mustermann', 'post')?.name).toBe('John Roe, Max Mustermann');
  });

  it('gives a digest reader who chose one co-signer the column, and one who chose neither nothing', () => {
    const story = (author: string, feedId: string) => ({ author, feedId, sources: [{ feedId }] }) as unknown as Story;
    const stories = [
      story('John Roe and Jane Doe', 'times-opinion'),
      story('By J. Doe & Ann Lee', 'post'),
      story('Max Mustermann', 'post'),
    ];
    const sources = new Map(feeds.map((feed) => [feed.id, feed]));
    const chose = (columnists: string[]) =>
      selectStories(stories, { columnists, outlets: [], tags: [] }, directory, sources).map((picked) => picked.author);
    expect(chose(['ann-lee'])).toEqual(['By J. Doe & Ann Lee']);
    expect(chose(['jane-doe'])).toEqual(['John Roe and Jane Doe', 'By J. Doe & Ann Lee']);
    expect(directory.columnistsOf('By J. Doe & Ann Lee', 'post').map((columnist) => columnist.slug)).toEqual(['jane-doe', 'ann-lee']);
  });
});

describe('the search tokens of what a word names', () => {
  const directory = buildDirectory(
    [stat('Jane Doe', 'times-opinion', 3, 10), stat('J. Doe', 'post', 1, 11), stat('Post Malone', 'post', 1, 12)],
    feeds,
    configured,
  );
  const term = (text: string, prefix = false) => ({ words: text.split(' '), prefix });

  it("names a columnist's bylines (aliases too) and an outlet's feeds, the outlet's first", () => {
    expect(directory.searchTokens(term('jane doe'), 100).sort()).toEqual([authorToken('j doe'), authorToken('jane doe')].sort());
    expect(directory.searchTokens(term('times'), 100)).toEqual([feedToken('times-opinion')]);
    // "post" names The Post and Post Malone: the outlet's feed first, so a small share keeps it.
    expect(directory.searchTokens(term('post'), 1)).toEqual([feedToken('post')]);
    expect(directory.searchTokens(term('po', true), 100)).toEqual([feedToken('post'), authorToken('post malone')]);
    expect(directory.searchTokens(term('nobody'), 100)).toEqual([]);
  });
});

describe('columnist and outlet slugs', () => {
  const slugsOf = (stats: BylineStat[]) =>
    Object.fromEntries(buildDirectory(stats, feeds, []).columnists.map((columnist) => [columnist.name, columnist.slug]));

  it('keeps names in any script, accents dropped from Latin, Greek and Cyrillic', () => {
    expect(
      slugsOf([
        stat('Иван Петров', 'post', 1, 1),
        stat('李明', 'post', 1, 2),
        stat('Zoë Smith', 'post', 1, 3),
        stat('प्रिया शर्मा', 'post', 1, 4),
      ]),
    ).toEqual({
      'Иван Петров': 'иван-петров',
      李明: '李明',
      'Zoë Smith': 'zoe-smith',
      'प्रिया शर्मा': 'प्रिया-शर्मा',
    });
  });

  it('gives each name the same slug whichever columnist wrote last', () => {
    // Two names alike in their first 60 characters share a slug but for its number.
    const long = 'Maximiliane Konstantina Friederike von Hohenzollern-Sigmaringen';
    const before = slugsOf([
      stat(`${long} A`, 'post', 1, 1),
      stat(`${long} B`, 'post', 1, 2),
      stat('李明', 'post', 1, 3),
      stat('Иван Петров', 'post', 1, 4),
    ]);
    const after = slugsOf([
      stat(`${long} A`, 'post', 1, 9),
      stat(`${long} B`, 'post', 1, 2),
      stat('李明', 'post', 1, 8),
      stat('Иван Петров', 'post', 1, 4),
    ]);
    expect(after).toEqual(before);
    expect(new Set(Object.values(before)).size).toBe(4);
    // A newcomer alike in the first 60 characters takes nobody's slug.
    const alone = slugsOf([stat(`${long} A`, 'post', 1, 1)]);
    const joined = slugsOf([stat(`${long} A`, 'post', 1, 1), stat(`${long} Anhalt`, 'post', 1, 9)]);
    expect(joined[`${long} A`]).toBe(alone[`${long} A`]);
    expect(joined[`${long} Anhalt`]).not.toBe(joined[`${long} A`]);
    for (const slug of Object.values(joined)) expect(Array.from(slug).length).toBeLessThanOrEqual(60);
  });
});
