/**
 * A search hit's snippet, made from the story's indexed text in JavaScript, the same on both
 * backends: the window of SNIPPET_WORDS words holding the most of the searched terms, each
 * match marked (SNIPPET_MARK), "…" where the text goes on. FTS5's snippet() looked every hit
 * up in the index again (about 70 µs a story over 100,000 stories, a quarter of a distinct
 * search), PostgreSQL's ts_headline parsed each text again (4–5 ms a page); here a page of
 * text read anyway costs well under a millisecond. Words are cut and compared as both
 * indexes do: runs of letters, digits and marks, case and accents aside, each Chinese or
 * Japanese character a word of its own (set apart in the indexed text, cjk-text.ts). Pure.
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

const WORD = /[\p{L}\p{N}\p{M}\p{Co}]+/gu;
const ASCII = /^[\x20-\x7e]*$/;
// Control characters are ASCII too: the point is that no character needs Unicode folding.
// eslint-disable-next-line no-control-regex
const PLAIN = /^[\x00-\x7f]*$/;
const ASCII_WORD = /[a-z0-9]+/g;

interface Word {
  start: number;
  end: number;
  folded: string;
}

/** A word as compared: lower case, without accents (NFKD, marks dropped), as FTS5's remove_diacritics reads it. */
function fold(word: string): string {
  return ASCII.test(word) ? word.toLowerCase() : word.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}

function wordsOf(text: string): Word[] {
  const words: Word[] = [];
  if (PLAIN.test(text)) {
    // Lower-casing ASCII keeps every offset, and its words are letters and digits alone.
    for (const match of text.toLowerCase().matchAll(ASCII_WORD))
      words.push({ start: match.index, end: match.index + match[0].length, folded: match[0] });
    return words;
  }
  for (const match of text.matchAll(WORD)) words.push({ start: match.index, end: match.index + match[0].length, folded: fold(match[0]) });
  return words;
}

/** A term's words as compared; an empty word (a mark alone) leaves the term out. */
interface Wanted {
  words: string[];
  prefix: boolean;
}

/** Where `wanted` term `term` matches in `words`: [first word, word count, term] each. */
function hitsIn(words: readonly Word[], wanted: readonly Wanted[]): Array<[number, number, number]> {
  const hits: Array<[number, number, number]> = [];
  for (let at = 0; at < words.length; at++) {
    wanted.forEach((term, index) => {
      const last = term.words.length - 1;
      if (at + last >= words.length) return;
      for (let k = 0; k <= last; k++) {
        const word = words[at + k]!.folded;
        const ok = k === last && term.prefix ? word.startsWith(term.words[k]!) : word === term.words[k];
        if (!ok) return;
      }
      hits.push([at, last + 1, index]);
    });
  }
  return hits;
}

/** Windows tried at most: a text of nothing but one searched word has a match at every word. */
const MAX_WINDOWS = 64;

/**
 * The best window of `count` words and its score: each term found in it 1,000, each match 1
 * more; of windows scoring alike, the first tried. `hits` in text order. Each window tried is
 * centred on a match, over MAX_WINDOWS matches spread over the text at most.
 */
function bestWindow(count: number, hits: ReadonlyArray<[number, number, number]>): { start: number; score: number } {
  let best = { start: 0, score: 0 };
  const step = Math.ceil(hits.length / MAX_WINDOWS);
  for (let index = 0; index < hits.length; index += step) {
    const [at, length] = hits[index]!;
    const start = Math.max(0, Math.min(at - Math.floor((SNIPPET_WORDS - length) / 2), count - SNIPPET_WORDS));
    // The first match at or after the start (binary search: hits are in text order).
    let first = 0;
    for (let high = hits.length; first < high;) {
      const middle = (first + high) >>> 1;
      if (hits[middle]![0] < start) first = middle + 1;
      else high = middle;
    }
    const terms = new Set<number>();
    let matches = 0;
    for (let inside = first; inside < hits.length && hits[inside]![0] < start + SNIPPET_WORDS; inside++) {
      const [from, size, term] = hits[inside]!;
      if (from + size > start + SNIPPET_WORDS) continue;
      terms.add(term);
      matches++;
    }
    const score = terms.size * 1000 + matches;
    if (score > best.score) best = { start, score };
  }
  return best;
}

/** The window's text with its matches marked, "…" where the text goes on beyond it, as written (spaces collapsed). */
function render(text: string, words: readonly Word[], start: number, hits: ReadonlyArray<[number, number, number]>): string {
  const end = Math.min(words.length, start + SNIPPET_WORDS) - 1;
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
  const words = wordsOf(body);
  return words.length > 0 ? render(body, words, 0, []) : unspaceCjk(searchLine(story.title)).replace(/\s+/g, ' ').trim();
}

/**
 * The snippet of a story found by `terms`: from its text, else its title, else its byline,
 * whichever holds the most of the terms (the text when they tie); the lead of its text when
 * none holds any (a story found by the tokens of its outlet or columnist alone).
 */
export function searchSnippet(terms: readonly SearchTerm[], story: SnippetSource): string {
  const wanted = terms
    .map((term) => ({ words: term.words.map(fold), prefix: term.prefix }))
    .filter((term) => term.words.length > 0 && term.words.every((word) => word !== ''));
  let best: { text: string; words: Word[]; start: number; score: number; hits: Array<[number, number, number]> } | null = null;
  for (const text of [bodyOf(story), searchLine(story.title), searchLine(story.author)]) {
    const words = wordsOf(text);
    const hits = hitsIn(words, wanted);
    if (hits.length === 0) continue;
    const window = bestWindow(words.length, hits);
    if (!best || window.score > best.score) best = { text, words, hits, ...window };
  }
  return best ? render(best.text, best.words, best.start, best.hits) : leadOf(story);
}
