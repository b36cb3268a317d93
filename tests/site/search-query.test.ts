/**
 * The search box's own words (src/site/search-query.ts): what a page writes back into the box
 * and its "next" link reads as the same search, for queries written to trip it and for
 * generated hostile ones.
 */
import { describe, expect, it } from 'vitest';
import {
  formatSearchTerms,
  headlineVariants,
  MAX_HEADLINE_VARIANTS,
  MAX_QUERY_CHARS,
  parseSearchQuery,
  toFts5Match,
  toTsQuery,
} from '../../src/site/search-query.ts';

/** A deterministic stream of numbers in [0, 1) (mulberry32). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  '"',
  '*',
  ' ',
  'water',
  'fo',
  'f',
  'Zoë',
  'ZOE\u0308',
  '李明',
  'a経',
  'ﾃｽﾄ',
  '𠮷',
  '-',
  'AND',
  'NEAR(',
  ')',
  ':',
  '^',
  '\u0000',
  'é',
  '**',
  '"*',
  '*"',
  '\t',
  'x'.repeat(40),
];

describe('search terms written back', () => {
  it('reads a phrase whose last word is a prefix, written either way, and writes it back so', () => {
    const terms = [{ words: ['water', 'fo'], prefix: true }];
    expect(parseSearchQuery('"water fo*"')).toEqual(terms);
    expect(parseSearchQuery('"water fo"*')).toEqual(terms);
    expect(formatSearchTerms(terms)).toBe('"water fo*"');
    expect(parseSearchQuery('"water f*"')).toEqual([{ words: ['water', 'f'], prefix: false }]);
  });

  it('reads back what it writes when the written form would pass the length a query is read to', () => {
    for (const query of ['"' + 'a経'.repeat(128) + '"', 'a経'.repeat(128), `${'x'.repeat(250)} 経済 政策`, '"' + 'ab '.repeat(90) + '"']) {
      const terms = parseSearchQuery(query);
      expect(formatSearchTerms(terms).length).toBeLessThanOrEqual(MAX_QUERY_CHARS);
      expect(parseSearchQuery(formatSearchTerms(terms)), query.slice(0, 30)).toEqual(terms);
    }
  });

  it('reads back what it writes, for 2,000 generated queries', () => {
    const next = random(13);
    for (let n = 0; n < 2_000; n++) {
      const query = Array.from(
        { length: 1 + Math.floor(next() * (n % 10 === 0 ? 150 : 12)) },
        () => PIECES[Math.floor(next() * PIECES.length)]!,
      ).join('');
      const terms = parseSearchQuery(query);
      expect(parseSearchQuery(formatSearchTerms(terms)), JSON.stringify(query)).toEqual(terms);
    }
  });
});

describe('search terms for each engine', () => {
  const tokens = ['zqf0123456789ab'];
  it("or's a term with its tokens, and keeps a word that could reach the tokens to titles, bylines and text", () => {
    const [budget, zq] = parseSearchQuery('budget zq*');
    expect(toFts5Match([{ ...budget!, tokens }, zq!])).toBe('("budget" OR zqf0123456789ab) AND {title author body} : "zq"*');
    expect(toTsQuery([{ ...budget!, tokens }, zq!])).toBe("('budget' | 'zqf0123456789ab') & 'zq':*ABD");
    expect(toTsQuery(parseSearchQuery('"water fo*"'), { phrases: false })).toBe("('water' & 'fo':*)");
  });

  it('makes one headline variant per term with tokens: that term in titles and bylines only, the others as they are', () => {
    const [herald, budget, jan] = parseSearchQuery('herald budget jan*');
    const terms = [{ ...herald!, tokens }, budget!, { ...jan!, tokens: ['zqa0123456789ab'] }];
    const variants = headlineVariants(terms);
    expect(variants.map((variant) => toFts5Match(variant))).toEqual([
      '{title author} : "herald" AND "budget" AND ("jan"* OR zqa0123456789ab)',
      '("herald" OR zqf0123456789ab) AND "budget" AND {title author} : "jan"*',
    ]);
    expect(variants.map((variant) => toTsQuery(variant))).toEqual([
      "'herald':AB & 'budget' & ('jan':* | 'zqa0123456789ab')",
      "('herald' | 'zqf0123456789ab') & 'budget' & 'jan':*AB",
    ]);
    expect(headlineVariants([budget!])).toEqual([]);
    // The same naming term twice makes one variant; three make two at most (each is a search of its own).
    const named = { ...herald!, tokens };
    expect(headlineVariants([named, budget!, named])).toHaveLength(1);
    expect(headlineVariants([named, { ...jan!, tokens }, { ...budget!, tokens }])).toHaveLength(MAX_HEADLINE_VARIANTS);
    // A word that folds to the tokens' start is kept to titles, bylines and text like `zq`.
    expect(toFts5Match(parseSearchQuery('ẑq*'))).toBe('{title author body} : "ẑq"*');
  });
});
