/**
 * What a reader types into /search, read into terms both full-text engines understand: words
 * (all must match), "quoted phrases", and `word*` prefixes. Everything else a query may hold
 * (quotes left open, operators, punctuation, markup) is read as separators, so no query can
 * reach either engine's syntax: `"` or `*` alone is no term at all, and an empty result. Pure.
 */

import { cjkPieces, isCjkChar } from '../cjk-text.ts';
import { foldText } from '../fold-text.ts';
import { TOKEN_START } from '../search-tokens.ts';

/**
 * One word or phrase; `prefix`: its last word matches any word it begins. `tokens`: what else
 * satisfies it, the tokens of the outlets and columnists it names (search-tokens.ts), added by
 * the site (directory.ts): `herald` finds the Herald's columns as well as the word.
 */
export interface SearchTerm {
  words: string[];
  prefix: boolean;
  tokens?: readonly string[];
  /** Its words only in titles and bylines (see headlineVariants). */
  headline?: boolean;
}

/** Characters of a query read at most: a pasted page is not a search. */
export const MAX_QUERY_CHARS = 256;
/** Terms used at most (all must match, so more would only narrow an empty result). */
export const MAX_TERMS = 8;
/** A shorter prefix would match most of the index. */
const MIN_PREFIX_CHARS = 2;

const WORD = /[\p{L}\p{N}\p{M}]+(\*)?/gu;

/** The terms of `query`, lower-cased, at most MAX_TERMS; [] when it holds no word. */
export function parseSearchQuery(query: string): SearchTerm[] {
  const terms: SearchTerm[] = [];
  // Outside and inside double quotes alternate; a quote left open closes at the end.
  const parts = query.slice(0, MAX_QUERY_CHARS).normalize('NFC').split('"');
  parts.forEach((part, index) => {
    // Chinese and Japanese words are their characters side by side (cjk-text.ts): 経済 is the phrase 経 済.
    const words = [...part.toLowerCase().matchAll(WORD)].map((match) => ({
      pieces: cjkPieces(match[0].replace(/\*$/, '')),
      star: match[1] === '*',
    }));
    const prefixable = (piece: string) => piece.length >= MIN_PREFIX_CHARS && !isCjkChar(piece);
    if (index % 2 === 1 && words.length > 0 && words.flatMap((entry) => entry.pieces).length > 1) {
      const pieces = words.flatMap((entry) => entry.pieces);
      // `"water fo*"`, or `"water fo"*` as FTS5 writes it: the phrase's last word is a prefix.
      const star = words.at(-1)!.star || (parts[index + 1]?.startsWith('*') ?? false);
      terms.push({ words: pieces, prefix: star && prefixable(pieces.at(-1)!) });
      return;
    }
    for (const { pieces, star } of words) terms.push({ words: pieces, prefix: star && prefixable(pieces.at(-1)!) });
  });
  return fitWritten(terms.slice(0, MAX_TERMS));
}

/**
 * The terms, their last words dropped until written back (formatSearchTerms) they fit in
 * MAX_QUERY_CHARS: what the search box and the next page's link send must read back as the
 * same search (ideographs set apart can make the written form longer than the query read).
 */
function fitWritten(terms: SearchTerm[]): SearchTerm[] {
  while (terms.length > 0 && formatSearchTerms(terms).length > MAX_QUERY_CHARS) {
    const last = terms.at(-1)!;
    if (last.words.length > 1) terms[terms.length - 1] = { words: last.words.slice(0, -1), prefix: false };
    else terms.pop();
  }
  return terms;
}

/**
 * A term that could reach the tokens (search-tokens.ts: `zq…`) is looked for in title, byline
 * and text only, so `zq*` finds nothing; only its tokens reach them. Others are not: a column
 * filter makes FTS5 read every match's positions (a third slower).
 */
const FTS5_WORD_COLUMNS = '{title author body} : ';
const FTS5_HEADLINE_COLUMNS = '{title author} : ';
// Folded first: FTS5 folds accents (remove_diacritics), so `ẑq*` is `zq*` there.
const reachesTokens = (term: SearchTerm): boolean => term.words.some((word) => (foldText(word) ?? '').startsWith(TOKEN_START));

/** An SQLite FTS5 MATCH expression: every term quoted (words hold no quote), prefixes starred, or'ed with its tokens. */
export function toFts5Match(terms: readonly SearchTerm[]): string {
  return terms
    .map((term) => {
      const words = fts5Words(term);
      return term.tokens?.length ? `(${[words, ...term.tokens].join(' OR ')})` : words;
    })
    .join(' AND ');
}

/**
 * For a search whose terms name outlets or columnists (terms with tokens): one search per such
 * term (the first MAX_HEADLINE_VARIANTS distinct ones), that term as its words in titles and
 * bylines alone, the others as they are. What finds an older column with a name in its title
 * that the named outlet's or columnist's newest columns crowd out of the candidates (the
 * stores' search ranking).
 */
export function headlineVariants(terms: readonly SearchTerm[]): SearchTerm[][] {
  const seen = new Set<string>();
  const variants: SearchTerm[][] = [];
  terms.forEach((term, index) => {
    const key = `${term.words.join(' ')}${term.prefix ? '*' : ''}`;
    if (!term.tokens?.length || seen.has(key) || variants.length === MAX_HEADLINE_VARIANTS) return;
    seen.add(key);
    variants.push(terms.map((other, at) => (at === index ? { words: other.words, prefix: other.prefix, headline: true } : other)));
  });
  return variants;
}

/** Headline variants of one search at most (each is a search of its own): the first naming terms'. */
export const MAX_HEADLINE_VARIANTS = 2;

function fts5Words(term: SearchTerm): string {
  const columns = term.headline ? FTS5_HEADLINE_COLUMNS : reachesTokens(term) ? FTS5_WORD_COLUMNS : '';
  return `${columns}"${term.words.join(' ')}"${term.prefix ? '*' : ''}`;
}

/**
 * A PostgreSQL tsquery (for to_tsquery('simple', …)): words quoted, phrases joined by <->,
 * prefixes :*, or'ed with their tokens. `phrases: false` reads each phrase as its words, all
 * required anywhere: what a phrase's matches are found among.
 */
export function toTsQuery(terms: readonly SearchTerm[], options: { phrases?: boolean } = {}): string {
  const join = options.phrases === false ? ' & ' : ' <-> ';
  return terms
    .map((term) => {
      // Weights A and B (title, author) for a headline term; A, B and D (and text) for a term
      // that could reach the tokens (weight C).
      const weights = term.headline ? 'AB' : reachesTokens(term) ? 'ABD' : '';
      const words = term.words.map(
        (word, index) => `'${word}'${term.prefix && index === term.words.length - 1 ? ':*' : weights ? ':' : ''}${weights}`,
      );
      const phrase = words.length === 1 ? words[0]! : `(${words.join(join)})`;
      return term.tokens?.length ? `(${[phrase, ...term.tokens.map((token) => `'${token}'`)].join(' | ')})` : phrase;
    })
    .join(' & ');
}

/** The terms as the reader would write them again (for the search box and the page title). */
export function formatSearchTerms(terms: readonly SearchTerm[]): string {
  return terms
    .map((term) => {
      // Ideographs and kana side by side are written together, as a reader writes them.
      const words = term.words.reduce((text, word, index) => {
        const joined = index > 0 && isCjkChar(word) && isCjkChar(term.words[index - 1]!);
        return index === 0 ? word : `${text}${joined ? '' : ' '}${word}`;
      }, '');
      const written = words + (term.prefix ? '*' : '');
      return words.includes(' ') ? `"${written}"` : written;
    })
    .join(' ');
}
