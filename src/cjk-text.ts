/**
 * Chinese and Japanese write words without spaces between them, so a full-text index that
 * cuts text at spaces (FTS5's unicode61, PostgreSQL's `simple` parser) holds "日本の経済政策"
 * as one word and never finds 経済 in it. Both indexes get such text with every ideograph and
 * kana apart ("日 本 の 経 済 政 策"), and a search for 経済 looks for the phrase "経 済": the
 * characters side by side. Pure.
 */

/** Characters written without spaces: Han ideographs (with 々 and 〆), hiragana, katakana (with ー). */
const CJK_CLASS = '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\u3005\\u3006\\u30fc';
const CJK_CHAR = new RegExp(`[${CJK_CLASS}]`, 'u');
const CJK_EACH = new RegExp(`[${CJK_CLASS}]`, 'gu');
/** Those characters, with CJK punctuation (。、「」) and fullwidth forms: no space is written between two of them. */
const UNSPACED_CLASS = `${CJK_CLASS}\\u3000-\\u303f\\uff00-\\uffef`;
/** A space between two such characters, with snippet marks (U+0002, U+0003) on either side. */
const SPACE_BETWEEN = new RegExp(`([${UNSPACED_CLASS}][\\u0002\\u0003]*) (?=[\\u0002\\u0003]*[${UNSPACED_CLASS}])`, 'gu');

/**
 * The same character class for PostgreSQL's regular expressions (no \p{Script}): the blocks of
 * the ideographs, kana and marks above.
 */
export const CJK_POSTGRES_CLASS = '\\u3005\\u3006\\u3040-\\u30ff\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff';

/** Whether `text` holds a character written without spaces. */
export function hasCjk(text: string): boolean {
  return CJK_CHAR.test(text);
}

/** `text` with every ideograph and kana set apart by spaces, as the index holds it. */
export function spaceCjk(text: string): string {
  return hasCjk(text) ? text.replace(CJK_EACH, ' $& ').replace(/ {2,}/g, ' ').trim() : text;
}

/** A snippet of spaced text as a reader writes it: no space between two such characters. */
export function unspaceCjk(text: string): string {
  return hasCjk(text) ? text.replace(SPACE_BETWEEN, '$1') : text;
}

/**
 * A query word cut as the index holds it: runs of other letters stay whole, each ideograph
 * or kana is a word of its own ("ai経済" → ai, 経, 済).
 */
export function cjkPieces(word: string): string[] {
  return hasCjk(word) ? spaceCjk(word).split(' ') : [word];
}

/** Whether `word` is one ideograph or kana. */
export function isCjkChar(word: string): boolean {
  return CJK_CHAR.test(word) && Array.from(word).length === 1;
}
