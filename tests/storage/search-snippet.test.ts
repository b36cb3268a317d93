/**
 * Search snippets made from a story's text (src/storage/search-snippet.ts): the window with the
 * most of the searched terms, matches marked as the indexes match them, for texts written to
 * trip it and for generated hostile ones.
 */
import { describe, expect, it } from 'vitest';
import { parseSearchQuery } from '../../src/site/search-query.ts';
import { leadOf, searchSnippet, SNIPPET_WORDS, type SnippetSource } from '../../src/storage/search-snippet.ts';
import { searchBody, searchLine } from '../../src/storage/search-text.ts';
import { SNIPPET_MARK } from '../../src/storage/store.ts';

const { start: S, end: E } = SNIPPET_MARK;
const story = (summary: string | null, title: string | null = 'A title', author: string | null = 'Jane Doe'): SnippetSource => ({
  title,
  author,
  summary,
  content: null,
});
const snippet = (query: string, source: SnippetSource) => searchSnippet(parseSearchQuery(query), source);
const unmarked = (text: string) => text.replaceAll(S, '').replaceAll(E, '');
const fold = (word: string) => word.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();

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

describe('searchSnippet', () => {
  it('marks a word, a phrase as one match, and a prefix, in the plain text of the excerpt', () => {
    const text = story('<p>Why the <b>numbers</b> lie &amp; mislead the housing market.</p>');
    expect(snippet('numbers', text)).toBe(`Why the ${S}numbers${E} lie & mislead the housing market.`);
    expect(snippet('"housing market"', text)).toBe(`Why the numbers lie & mislead the ${S}housing market${E}.`);
    expect(snippet('numb* mis*', text)).toBe(`Why the ${S}numbers${E} lie & ${S}mislead${E} the housing market.`);
    // Case and accents aside, as both indexes compare words.
    expect(snippet('élections', story('Les ELECTIONS municipales.'))).toBe(`Les ${S}ELECTIONS${E} municipales.`);
    expect(snippet('zoë', story('Zoe\u0308 and Zoe.'))).toBe(`${S}Zoe\u0308${E} and ${S}Zoe${E}.`);
  });

  it('marks Chinese and Japanese words as the characters side by side, and shows them unspaced', () => {
    expect(snippet('物価', story('<p>円安と物価の行方を考える。</p>'))).toBe(`円安と${S}物価${E}の行方を考える。`);
    expect(snippet('発売', story('iPhone発売とAI技術'))).toBe(`iPhone${S}発売${E}とAI技術`);
    // Not the characters apart.
    expect(snippet('価物', story('物価の行方'))).toBe('物価の行方');
  });

  it('shows the window of SNIPPET_WORDS words around the match, with "…" where the text goes on', () => {
    const words = Array.from({ length: 100 }, (_, index) => `w${index}`);
    words[60] = 'needle';
    const result = snippet('needle', story(words.join(' ')));
    expect(result.startsWith('…') && result.endsWith('…')).toBe(true);
    const shown = unmarked(result).slice(1, -1).split(' ');
    expect(shown).toHaveLength(SNIPPET_WORDS);
    expect(shown).toContain('needle');
    // The match near the middle.
    expect(Math.abs(shown.indexOf('needle') - SNIPPET_WORDS / 2)).toBeLessThanOrEqual(1);
    // At the start: no leading "…".
    words[60] = 'w60';
    words[1] = 'needle';
    expect(snippet('needle', story(words.join(' ')))).toMatch(new RegExp(`^w0 ${S}needle${E} w2 .* w23…$`));
  });

  it('picks the window holding the most of the terms, then the earliest', () => {
    const words = Array.from({ length: 200 }, (_, index) => `w${index}`);
    words[10] = 'budget';
    words[100] = 'budget';
    words[105] = 'fiction';
    const result = snippet('budget fiction', story(words.join(' ')));
    expect(result).toContain(`${S}budget${E} w101 w102 w103 w104 ${S}fiction${E}`);
    expect(result).not.toContain('w10 ');
  });

  it('falls back to the title, then the byline, and to the lead of the text when none holds a term', () => {
    expect(snippet('fiction', story('Nothing here.', 'The budget is a fiction'))).toBe(`The budget is a ${S}fiction${E}`);
    expect(snippet('jane', story('Nothing here.', 'A title', 'Jane Doe'))).toBe(`${S}Jane${E} Doe`);
    // Text and title both: the text.
    expect(snippet('budget', story('The budget again.', 'Budget day'))).toBe(`The ${S}budget${E} again.`);
    const long = Array.from({ length: 40 }, (_, index) => `w${index}`).join(' ');
    expect(snippet('absent', story(long))).toBe(leadOf(story(long)));
    expect(leadOf(story(long))).toBe(`${Array.from({ length: SNIPPET_WORDS }, (_, index) => `w${index}`).join(' ')}…`);
    expect(snippet('absent', story(null, 'Title only column'))).toBe('Title only column');
  });

  it('answers a text that is nothing but the searched words with the first window, every word marked', () => {
    const words = Array.from({ length: 700 }, (_, index) => (index % 2 === 0 ? 'budget' : 'Budget'));
    const result = snippet('budget bud* "budget budget" b* budgets x', story(words.join(' ')));
    expect(result.endsWith('…')).toBe(true);
    expect(unmarked(result).slice(0, -1).split(' ')).toHaveLength(SNIPPET_WORDS);
    expect(result.startsWith(`${S}budget Budget`)).toBe(true);
    expect(result.split(S)).toHaveLength(2);
  });

  it('marks only matches when the text holds the marks themselves', () => {
    const result = snippet('scripts', story(`Odd ${S}text${E} with scripts`));
    expect(result).toBe(`Odd text with ${S}scripts${E}`);
  });

  it('for generated hostile texts and queries: the text shown is the text, marks balanced around matching words', () => {
    const pieces = [
      ' ',
      '  \n\t',
      'budget',
      'Budget',
      'BÜDGET',
      'fiction',
      'fi',
      '"',
      '*',
      '<b>',
      '</b>',
      '&amp;',
      '&#0;',
      '李明',
      '経済',
      'ﾃｽﾄ',
      '𠮷',
      'e\u0301',
      '\u0002',
      '\u0003',
      '\u200b',
      '…',
      '.',
      '-',
      '\ue000',
    ];
    const next = random(7);
    const pick = (length: number) => Array.from({ length }, () => pieces[Math.floor(next() * pieces.length)]!).join('');
    for (let n = 0; n < 1_000; n++) {
      const source = story(pick(Math.floor(next() * 80)), pick(Math.floor(next() * 6)), pick(Math.floor(next() * 3)));
      const terms = parseSearchQuery(pick(1 + Math.floor(next() * 6)));
      const result = searchSnippet(terms, source);
      const context = JSON.stringify({ source, terms, result });
      // Marks alternate, start first, each around something.
      const marks = [...result].filter((char) => char === S || char === E).join('');
      expect(marks, context).toBe(`${S}${E}`.repeat(marks.length / 2));
      expect(result.includes(`${S}${E}`), context).toBe(false);
      expect(result, context).not.toMatch(/\s\s/);
      // Shown without the marks and "…", the snippet is a piece of one of the texts as indexed (spaces collapsed).
      const shown = unmarked(result).replace(/^…/, '').replace(/…$/, '').trim();
      const indexed = [searchBody(source.summary, null), searchLine(source.title), searchLine(source.author)].map((text) =>
        text.replaceAll('\u200b', '').replace(/\s+/g, ' '),
      );
      expect(
        indexed.some((text) => text.includes(shown)),
        context,
      ).toBe(true);
      // Each marked piece begins with the first word of a searched term, as folded.
      const firstWords = terms.map((term) => fold(term.words[0]!));
      for (const marked of result
        .split(S)
        .slice(1)
        .map((piece) => piece.split(E)[0]!)) {
        const word = fold(marked.replaceAll('\u200b', '').match(/[\p{L}\p{N}\p{M}\p{Co}]+/u)?.[0] ?? '');
        expect(
          firstWords.some((first) => word.startsWith(first)),
          context,
        ).toBe(true);
      }
    }
  });
});
