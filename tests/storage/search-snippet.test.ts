/**
 * Search snippets made from a story's text (src/storage/search-snippet.ts): the window with the
 * most of the searched terms, matches marked as SQLite's index matches them (FTS5's own
 * highlight() of the same text is the oracle), for texts written to trip it and for generated
 * hostile ones.
 */
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { unspaceCjk } from '../../src/cjk-text.ts';
import { parseSearchQuery, toFts5Match } from '../../src/site/search-query.ts';
import { leadOf, searchSnippet, SNIPPET_WORDS, type SnippetSource } from '../../src/storage/search-snippet.ts';
import { SEARCH_BODY_CHARS, searchBody, searchLine } from '../../src/storage/search-text.ts';
import { SNIPPET_MARK } from '../../src/storage/store.ts';
import { mulberry32 } from '../helpers/prng.ts';

const { start: S, end: E } = SNIPPET_MARK;
const story = (summary: string | null, title: string | null = 'A title', author: string | null = 'Jane Doe'): SnippetSource => ({
  title,
  author,
  summary,
  content: null,
});
const snippet = (query: string, source: SnippetSource) => searchSnippet(parseSearchQuery(query), source);
const unmarked = (text: string) => text.replaceAll(S, '').replaceAll(E, '');

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

  it('never shows half a character where the indexed text is cut (SEARCH_BODY_CHARS)', () => {
    const cut = searchBody(`zz ${'a'.repeat(SEARCH_BODY_CHARS - 4)}😀 tail`, null);
    expect(cut).toBe(`zz ${'a'.repeat(SEARCH_BODY_CHARS - 4)}`);
    expect(searchBody(`${'a'.repeat(SEARCH_BODY_CHARS - 2)}😀 tail`, null)).toHaveLength(SEARCH_BODY_CHARS);
    expect(snippet('zz', story(`zz ${'a'.repeat(SEARCH_BODY_CHARS - 4)}😀`))).not.toMatch(/[\ud800-\udbff]$/);
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
    const next = mulberry32(7);
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
    }
  });

  describe('marks what FTS5 matched in the same text', () => {
    const db = new BetterSqlite3(':memory:');
    afterAll(() => db.close());
    db.exec(`CREATE VIRTUAL TABLE s USING fts5(body, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')`);
    /** FTS5's highlight of a short text for any of the terms, as a snippet shows it; null when it matches none. */
    const fts5 = (query: string, summary: string): string | null => {
      const terms = parseSearchQuery(query);
      db.exec('DELETE FROM s');
      db.prepare('INSERT INTO s (rowid, body) VALUES (1, ?)').run(searchBody(summary, null));
      const any = terms.map((term) => `(${toFts5Match([term])})`).join(' OR ');
      const row = db
        .prepare<[string], { body: string }>(`SELECT highlight(s, 0, char(2), char(3)) AS body FROM s WHERE s MATCH ?`)
        .get(any);
      return row ? unspaceCjk(row.body).replace(/\s+/g, ' ').trim() : null;
    };
    const ours = (query: string, summary: string) => snippet(query, story(summary, null, null));
    let matched = 0;
    /** Ours marks what FTS5 marks, or nothing when FTS5 matches nothing. */
    const agrees = (query: string, text: string) => {
      const expected = fts5(query, text);
      if (expected === null) return expect(ours(query, text), JSON.stringify({ query, text })).not.toContain(S);
      matched++;
      expect(ours(query, text), JSON.stringify({ query, text })).toBe(expected);
    };

    it.each([
      ['voiced kana', 'ハス', 'バスでハスを見た'],
      ['half- and full-width kana', 'テスト', 'ﾃｽﾄ テスト'],
      ['a half-width voiced mark in the query', 'ﾃﾞｽ', 'ﾃﾞｽｸ'],
      ['Devanagari vowel signs', 'कल', 'कल काल कुल केला'],
      ['Thai vowel signs', 'กิน', 'กิน กัน'],
      ['a ligature', 'finance', 'ﬁnance and finance'],
      ['full-width letters', 'abc', 'ＡＢＣ and abc'],
      ['a Hangul prefix', '대하*', '대한민국 대하소설'],
      ['Greek tonos', 'λογος', 'λόγος λογος'],
      ['a variation selector inside a phrase', '"paris london"', 'From Paris ❤️ London'],
      ['Latin accents, composed or not', 'zoë elections', 'Zoe\u0308 and ZOË: les Élections'],
      ['Turkish and German', 'istanbul straße', 'İstanbul ISTANBUL Straße STRASSE'],
    ])('%s: %s in %s', (_, query, text) => {
      expect(fts5(query, text)).not.toBeNull();
      agrees(query, text);
    });

    it('for 1,500 generated short texts and queries in many scripts', () => {
      const pieces = [
        'a',
        'ab',
        'Ab',
        'ÄB',
        'e\u0301',
        'é',
        'ﬁ',
        'ＡＢ',
        'ハ',
        'バ',
        'ﾊ',
        'ﾞ',
        'ス',
        '経',
        'の',
        'कल',
        'का',
        'กิ',
        'น',
        'λό',
        'λο',
        '대',
        '한',
        '1',
        '①',
        '❤️',
        '\ufe0f',
        ' ',
        ' ',
        '-',
        '.',
        '\ue000',
      ];
      const next = mulberry32(11);
      const pick = (length: number) => Array.from({ length }, () => pieces[Math.floor(next() * pieces.length)]!).join('');
      matched = 0;
      for (let n = 0; n < 1_500; n++) {
        // Under SNIPPET_WORDS words: the whole text shows, as highlight() shows it.
        const text = pick(1 + Math.floor(next() * 14));
        // Half the queries a piece of the text itself, so that many match.
        const from = Math.floor(next() * text.length);
        const own = text.slice(from, from + 1 + Math.floor(next() * 6));
        const query = `${next() < 0.5 ? own : pick(1 + Math.floor(next() * 3))}${next() < 0.3 ? '*' : ''} ${next() < 0.3 ? `"${pick(3)}"` : ''}`;
        if (parseSearchQuery(query).length > 0) agrees(query, text);
      }
      // The comparison means something: FTS5 matched many of them.
      expect(matched).toBeGreaterThan(400);
    });
  });

  it('shows and marks a matched phrase longer than the window (a pasted Japanese sentence)', () => {
    const sentence = '今日は東京で開かれた会議において政府の経済政策について多くの専門家が議論しました';
    const result = snippet(sentence, story(`前置き。${'あ'.repeat(40)}。${sentence}。`));
    expect(result).toContain(`${S}${sentence}${E}`);
  });

  it('reads a long text’s first characters alone only when reading it all would show the same', () => {
    const body = `${'ab '.repeat(315)}needle ${'ab '.repeat(22)}needle ${'ab '.repeat(400)}`;
    expect(snippet('needle', story(body)).split(S)).toHaveLength(3);
    // The text's two matches tie with the title's: the text.
    expect(snippet('needle', story(body, 'needle needle')).startsWith('…')).toBe(true);
  });

  it('gives a long match its window when a shorter one starts at the same word', () => {
    const phrase = ['climate', ...Array.from({ length: 25 }, (_, i) => `w${i}`)].join(' ');
    const result = snippet(`climate "${phrase}"`, story(`${'x '.repeat(30)}${phrase} ${'y '.repeat(30)}`));
    expect(result).toContain(`${S}${phrase}${E}`);
  });

  it('finds the window holding every term however many matches of one come before it', () => {
    const text = `${Array(700).fill('aa').join(' ')} ${Array.from({ length: 30 }, (_, i) => `w${i}`).join(' ')} aa bb end`;
    expect(snippet('aa bb', story(text))).toContain(`${S}aa${E} ${S}bb${E} end`);
    // Two phrase matches twelve words apart: the window holds both, neither cut.
    const words = Array.from({ length: 50 }, (_, i) => `w${i}`);
    words.splice(10, 3, 'p', 'q', 'r');
    words.splice(22, 3, 'p', 'q', 'r');
    expect(snippet('"p q r"', story(words.join(' '))).split(S)).toHaveLength(3);
  });
});
