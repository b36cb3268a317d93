/**
 * A search hit's snippet, made from the story's indexed text in JavaScript, the same on both
 * backends: the window of SNIPPET_WORDS words holding the most of the searched terms, each
 * match marked (SNIPPET_MARK), "…" where the text goes on. FTS5's snippet() looked every hit
 * up in the index again (about 70 µs a story over 100,000 stories, a quarter of a distinct
 * search), PostgreSQL's ts_headline parsed each text again (4–5 ms a page). Words are cut and
 * compared as SQLite's index (FTS5 unicode61, remove_diacritics 2) cuts and compares them, so
 * on SQLite a snippet marks what the search matched; PostgreSQL's `simple` parser keeps accents
 * and reads some words otherwise (an e-mail address is one word there), so there a snippet may
 * mark a word the search matched elsewhere in the story, or leave one unmarked. Pure.
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

// As FTS5's unicode61 cuts words: a word starts with a letter, a digit or a private-use
// character and goes on with those and the combining diacritics U+0300–U+0331; any other
// character (other marks too: a vowel sign, a variation selector) parts words.
const WORD = /[\p{L}\p{N}\p{Co}][\p{L}\p{N}\p{Co}\u0300-\u0331]*/gu;
// Control characters are ASCII too: the point is that no character needs Unicode folding.
// eslint-disable-next-line no-control-regex
const ASCII = /^[\x00-\x7f]*$/;
const ASCII_WORD = /[a-z0-9]+/g;
const LATIN_DIACRITICS = /(\p{Script=Latin})[\u0300-\u036f]+/gu;

interface Word {
  start: number;
  end: number;
  folded: string;
}

/** Words folded already (Chinese and Japanese text repeats its characters); forgotten past MAX_FOLDS. */
const folds = new Map<string, string>();
const MAX_FOLDS = 10_000;

/**
 * A word as FTS5's remove_diacritics 2 compares it: lower case, the diacritics of Latin letters
 * taken off (canonical decomposition only: ligatures, full and half widths, voiced kana stay).
 */
function fold(word: string): string {
  if (ASCII.test(word)) return word.toLowerCase();
  let folded = folds.get(word);
  if (folded === undefined) {
    folded = word.normalize('NFD').replace(LATIN_DIACRITICS, '$1').toLowerCase().normalize('NFC');
    if (folds.size >= MAX_FOLDS) folds.clear();
    folds.set(word, folded);
  }
  return folded;
}

function wordsOf(text: string): Word[] {
  const words: Word[] = [];
  if (ASCII.test(text)) {
    // Lower-casing ASCII keeps every offset, and its words are letters and digits alone.
    for (const match of text.toLowerCase().matchAll(ASCII_WORD))
      words.push({ start: match.index, end: match.index + match[0].length, folded: match[0] });
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
    const tried = prefixes.length === 0 ? candidates! : [...(candidates ?? []), ...prefixes].sort((a, b) => a - b);
    for (const index of tried) if (matchesAt(at, wanted[index]!)) hits.push([at, wanted[index]!.words.length, index]);
  }
  return hits;
}

/**
 * The best window of `count` words: each term found in it 1,000, each match 1 more; of windows
 * scoring alike, the first. One window per word a match starts at, holding every match wholly
 * inside it, then centred on them; a match longer than SNIPPET_WORDS (a pasted sentence of
 * Chinese, a character a word) gets a window of its own length. A window holding every term
 * ends the search.
 */
function bestWindow(count: number, hits: readonly Hit[], termCount: number): { start: number; size: number; score: number } {
  let best = { start: 0, size: SNIPPET_WORDS, score: -1 };
  for (let first = 0; first < hits.length && best.score < termCount * 1000; first++) {
    const [at, length] = hits[first]!;
    if (first > 0 && hits[first - 1]![0] === at) continue;
    const size = Math.max(SNIPPET_WORDS, length);
    // The matches inside: at most a window's words times the terms, whatever the text.
    const terms = new Set<number>();
    let matches = 0;
    let reach = at;
    for (let next = first; next < hits.length && hits[next]![0] < at + size; next++) {
      const [from, span, term] = hits[next]!;
      if (from + span > at + size) continue;
      terms.add(term);
      matches++;
      reach = Math.max(reach, from + span);
    }
    const score = terms.size * 1000 + matches;
    if (score > best.score) best = { start: Math.max(0, Math.min(at - Math.floor((size - (reach - at)) / 2), count - size)), size, score };
  }
  return best;
}

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
  // The characters that set Chinese and Japanese apart first: one can stand between two spaces.
  return unspaceCjk(out).replace(/\s+/g, ' ').trim();
}

/** The first SNIPPET_WORDS words of a story's indexed text, else its title: a snippet without a match. */
export function leadOf(story: SnippetSource): string {
  const body = bodyOf(story);
  return leadFrom(body, wordsOf(body), story.title);
}

function leadFrom(body: string, words: readonly Word[], title: string | null): string {
  return words.length > 0 ? render(body, words, 0, SNIPPET_WORDS, []) : unspaceCjk(searchLine(title)).replace(/\s+/g, ' ').trim();
}

/** A text's best window for the terms, with what rendering it needs; null when the text holds none. */
interface Found {
  text: string;
  words: Word[];
  hits: Hit[];
  start: number;
  size: number;
  score: number;
}

function findIn(text: string, words: Word[], wanted: readonly Wanted[]): Found | null {
  const hits = hitsIn(words, wanted);
  return hits.length === 0 ? null : { text, words, hits, ...bestWindow(words.length, hits, wanted.length) };
}

/** Characters of a long text read first: when they hold a window with every term, the rest is never cut into words. */
const FIRST_CHARS = 1_000;

/**
 * The text's best window, reading its first FIRST_CHARS characters first: a window holding
 * every term that ends before the last word read is the one reading it all would find (the
 * first such window wins), and most stories a search finds hold its words early. Chinese or
 * Japanese text is a word per character, so cutting all 4,000 characters costs 0.5 ms.
 */
function findInText(text: string, wanted: readonly Wanted[]): { found: Found | null; words: Word[] | null } {
  if (text.length > 2 * FIRST_CHARS) {
    const first = findIn(text, wordsOf(text.slice(0, FIRST_CHARS)), wanted);
    if (first && first.score >= wanted.length * 1000 && first.start + first.size < first.words.length) return { found: first, words: null };
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
