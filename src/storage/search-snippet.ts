/**
 * A search hit's snippet, made from the story's indexed text in JavaScript, the same on both
 * backends: the window of SNIPPET_WORDS words holding the most of the searched terms, each
 * match marked (SNIPPET_MARK), "…" where the text goes on. FTS5's snippet() looked every hit
 * up in the index again (about 70 µs a story over 100,000 stories, a quarter of a distinct
 * search), PostgreSQL's ts_headline parsed each text again (4–5 ms a page). Words are cut and
 * compared nearly as SQLite's index (FTS5 unicode61, remove_diacritics 2) cuts and compares
 * them, checked against its highlight() in the tests; known to differ: a mark after a letter
 * not Latin (a Russian stress mark), characters Unicode normalisation changes (a compatibility
 * ideograph, conjoining Hangul jamo), case pairs newer than FTS5's tables, the few Latin
 * letters FTS5 keeps its accents on. PostgreSQL's `simple` parser keeps accents and reads some
 * words otherwise (an e-mail address is one word there), so there a snippet may mark a word
 * the search matched elsewhere in the story, or leave one unmarked. Pure.
 */
import { unspaceCjk } from '../cjk-text.ts';
import type { SearchTerm } from '../site/search-query.ts';
import { searchBody, searchLine } from './search-text.ts';
import { SNIPPET_MARK } from './store.ts';

/** Words a snippet shows at most. */
export const SNIPPET_WORDS = 24;

/** What a snippet is made from: a story's text as stored. */
export interface SnippetSource {
  title: string | null;
  author: string | null;
  summary: string | null;
  content: string | null;
  /** Its text as indexed (search-text.ts), when the index holds it already: not made again. */
  indexedBody?: string;
}

const bodyOf = (story: SnippetSource): string => story.indexedBody ?? searchBody(story.summary, story.content);

// Nearly as FTS5's unicode61 cuts words: a word starts with a letter, a digit or a private-use
// character and goes on with those and the combining diacritics U+0300–U+0331 (FTS5 parts
// words at a few of those); any other character (other marks too: a vowel sign, a variation
// selector) parts words.
const WORD = /[\p{L}\p{N}\p{Co}][\p{L}\p{N}\p{Co}\u0300-\u0331]*/gu;
// Control characters are ASCII too: the point is that no character needs Unicode folding.
// eslint-disable-next-line no-control-regex
const ASCII = /^[\x00-\x7f]*$/;
const LATIN_DIACRITICS = /(\p{Script=Latin})[\u0300-\u036f]+/gu;

interface Word {
  start: number;
  end: number;
  folded: string;
}

/** Words folded already (Chinese and Japanese text repeats its characters); forgotten past MAX_FOLDS. */
const folds = new Map<string, string>();
const MAX_FOLDS = 10_000;
/** Words this long at most are kept: a longer one is a slice of its whole text in V8, which it would keep alive. */
const MAX_FOLD_KEY = 12;

/**
 * A word nearly as FTS5's remove_diacritics 2 compares it: lower case, the diacritics of Latin
 * letters taken off (canonical decomposition only: ligatures, full and half widths, voiced kana
 * stay).
 */
function fold(word: string): string {
  if (ASCII.test(word)) return word.toLowerCase();
  const kept = word.length <= MAX_FOLD_KEY;
  const known = kept ? folds.get(word) : undefined;
  if (known !== undefined) return known;
  const folded = word.normalize('NFD').replace(LATIN_DIACRITICS, '$1').toLowerCase().normalize('NFC');
  if (kept) {
    if (folds.size >= MAX_FOLDS) folds.clear();
    folds.set(word, folded);
  }
  return folded;
}

function wordsOf(text: string): Word[] {
  const words: Word[] = [];
  if (ASCII.test(text)) {
    // Lower-casing ASCII keeps every offset, and its words are letters and digits alone: cut
    // by character code (a match object a word cost a page of snippets a third of its time).
    const lower = text.toLowerCase();
    let start = -1;
    for (let at = 0; at <= lower.length; at++) {
      const code = at < lower.length ? lower.charCodeAt(at) : 0;
      const inWord = (code >= 97 && code <= 122) || (code >= 48 && code <= 57);
      if (inWord && start < 0) start = at;
      else if (!inWord && start >= 0) {
        words.push({ start, end: at, folded: lower.slice(start, at) });
        start = -1;
      }
    }
    return words;
  }
  for (const match of text.matchAll(WORD)) words.push({ start: match.index, end: match.index + match[0].length, folded: fold(match[0]) });
  return words;
}

/** A term's words as compared (a query word cut as the index cuts it, so possibly several). */
interface Wanted {
  words: string[];
  prefix: boolean;
}

/** A match: [its first word, how many words, which term]. */
type Hit = [number, number, number];

/** Every match of `wanted` in `words`, in text order. */
function hitsIn(words: readonly Word[], wanted: readonly Wanted[]): Hit[] {
  // Terms by their first word, looked up at each word; a one-word prefix is tried at each.
  const byFirst = new Map<string, number[]>();
  const prefixes: number[] = [];
  wanted.forEach((term, index) => {
    if (term.prefix && term.words.length === 1) return void prefixes.push(index);
    const first = term.words[0]!;
    byFirst.set(first, [...(byFirst.get(first) ?? []), index]);
  });
  const matchesAt = (at: number, term: Wanted): boolean => {
    const last = term.words.length - 1;
    if (at + last >= words.length) return false;
    for (let k = 0; k <= last; k++) {
      const word = words[at + k]!.folded;
      if (!(k === last && term.prefix ? word.startsWith(term.words[k]!) : word === term.words[k])) return false;
    }
    return true;
  };
  const hits: Hit[] = [];
  for (let at = 0; at < words.length; at++) {
    const candidates = byFirst.get(words[at]!.folded);
    if (candidates === undefined && prefixes.length === 0) continue;
    // In term order (prefixes are listed so): an array and a sort only for a word that starts both kinds.
    const tried =
      candidates === undefined ? prefixes : prefixes.length === 0 ? candidates : [...candidates, ...prefixes].sort((a, b) => a - b);
    for (const index of tried) if (matchesAt(at, wanted[index]!)) hits.push([at, wanted[index]!.words.length, index]);
  }
  return hits;
}

/** A term found in a window outweighs any number of matches (a window holds fewer than this). */
const PER_TERM = 1_000_000;
/**
 * Matches read over all the windows tried, at most: a hostile story of one character repeated,
 * searched with a long phrase of it and the same character as other terms, has a match of each
 * at every word and windows of the phrase's length. Past it the best window so far is shown
 * (about 2 ms of windows; ordinary texts never come near).
 */
const MAX_VISITS = 200_000;

/** The window chosen: its first word and length, its score, and where its anchored range ends (its match's first word + `size`). */
interface Window {
  start: number;
  size: number;
  score: number;
  reach: number;
}

/**
 * The best window of `count` words: each term found in it PER_TERM, each match 1 more; the
 * first holding every term, else the first scoring most. One window per word matches start
 * at, as long as the longest of them (SNIPPET_WORDS at least: a pasted sentence of Chinese is a
 * word per character), holding every match wholly inside it, then centred on them. Each window
 * reads the matches inside it only: at most its words times the terms, and MAX_VISITS in all.
 */
function bestWindow(count: number, hits: readonly Hit[], termCount: number): Window {
  let best: Window = { start: 0, size: SNIPPET_WORDS, score: -1, reach: 0 };
  // The window that last saw each term, instead of a set per window.
  const seen = new Int32Array(termCount).fill(-1);
  let visits = 0;
  for (let first = 0; first < hits.length && best.score < termCount * PER_TERM && visits < MAX_VISITS; first++) {
    const at = hits[first]![0];
    if (first > 0 && hits[first - 1]![0] === at) continue;
    let size = SNIPPET_WORDS;
    for (let same = first; same < hits.length && hits[same]![0] === at; same++) size = Math.max(size, hits[same]![1]);
    let terms = 0;
    let matches = 0;
    let reach = at;
    for (let next = first; next < hits.length && hits[next]![0] < at + size; next++) {
      const [from, span, term] = hits[next]!;
      visits++;
      if (from + span > at + size) continue;
      if (seen[term] !== first) {
        seen[term] = first;
        terms++;
      }
      matches++;
      reach = Math.max(reach, from + span);
    }
    const score = terms * PER_TERM + matches;
    if (score > best.score) {
      const start = Math.max(0, Math.min(at - Math.floor((size - (reach - at)) / 2), count - size));
      best = { start, size, score, reach: at + size };
    }
  }
  return best;
}

/** Indexed text as a reader sees it: the characters that set Chinese and Japanese apart taken out first (one can stand between two spaces), spaces collapsed. */
const asWritten = (text: string): string => unspaceCjk(text).replace(/\s+/g, ' ').trim();

/** The window's text with its matches marked, "…" where the text goes on beyond it, as written (spaces collapsed). */
function render(text: string, words: readonly Word[], start: number, size: number, hits: readonly Hit[]): string {
  const end = Math.min(words.length, start + size) - 1;
  const from = start === 0 ? 0 : words[start]!.start;
  const to = end === words.length - 1 ? text.length : words[end]!.end;
  // Marked spans in order, overlapping ones joined.
  const spans: Array<[number, number]> = [];
  for (const [at, length] of hits) {
    if (at < start || at + length - 1 > end) continue;
    const span: [number, number] = [words[at]!.start, words[at + length - 1]!.end];
    const previous = spans.at(-1);
    if (previous && span[0] <= previous[1]) previous[1] = Math.max(previous[1], span[1]);
    else spans.push(span);
  }
  let out = start > 0 ? '…' : '';
  let cursor = from;
  for (const [first, last] of spans) {
    out += `${text.slice(cursor, first)}${SNIPPET_MARK.start}${text.slice(first, last)}${SNIPPET_MARK.end}`;
    cursor = last;
  }
  out += text.slice(cursor, to) + (end < words.length - 1 ? '…' : '');
  return asWritten(out);
}

/** The first SNIPPET_WORDS words of a story's indexed text, else its title: a snippet without a match. */
export function leadOf(story: SnippetSource): string {
  const body = bodyOf(story);
  return leadFrom(body, wordsOf(body), story.title);
}

function leadFrom(body: string, words: readonly Word[], title: string | null): string {
  return words.length > 0 ? render(body, words, 0, SNIPPET_WORDS, []) : asWritten(searchLine(title));
}

/** A text's best window for the terms, with what rendering it needs; null when the text holds none. */
interface Found extends Window {
  text: string;
  words: Word[];
  hits: Hit[];
}

function findIn(text: string, words: Word[], wanted: readonly Wanted[]): Found | null {
  const hits = hitsIn(words, wanted);
  return hits.length === 0 ? null : { text, words, hits, ...bestWindow(words.length, hits, wanted.length) };
}

/** Characters of a long text read first: when they hold a window with every term, the rest is never cut into words. */
const FIRST_CHARS = 1_000;

/**
 * The text's best window, reading its first FIRST_CHARS characters first. The first window
 * holding every term is the one chosen, and the windows before it were read whole: so when it
 * holds every term and its anchored range ends before the last word read (which a cut may
 * have shortened), reading the whole text would choose it too. Most stories a search finds
 * hold its words early; Chinese or Japanese text is a word per character, and cutting all
 * 4,000 characters costs 0.5 ms.
 */
function findInText(text: string, wanted: readonly Wanted[]): { found: Found | null; words: Word[] | null } {
  if (text.length > 2 * FIRST_CHARS) {
    const first = findIn(text, wordsOf(text.slice(0, FIRST_CHARS)), wanted);
    if (first && first.score >= wanted.length * PER_TERM && first.reach < first.words.length) return { found: first, words: null };
  }
  const words = wordsOf(text);
  return { found: findIn(text, words, wanted), words };
}

/**
 * The snippet of a story found by `terms`: from its text, else its title, else its byline,
 * whichever holds the most of the terms (the text when they tie); the lead of its text when
 * none holds any (a story found by the tokens of its outlet or columnist alone).
 */
export function searchSnippet(terms: readonly SearchTerm[], story: SnippetSource): string {
  const wanted = terms
    .map((term) => ({ words: term.words.flatMap((word) => (word.match(WORD) ?? []).map(fold)), prefix: term.prefix }))
    .filter((term) => term.words.length > 0);
  const body = bodyOf(story);
  const inBody = findInText(body, wanted);
  let best = inBody.found;
  for (const line of [searchLine(story.title), searchLine(story.author)]) {
    const found = findIn(line, wordsOf(line), wanted);
    if (found && (!best || found.score > best.score)) best = found;
  }
  if (best) return render(best.text, best.words, best.start, best.size, best.hits);
  return leadFrom(body, inBody.words ?? wordsOf(body), story.title);
}
