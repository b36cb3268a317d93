/**
 * Chinese and Japanese write words without spaces between them, so a full-text index that
 * cuts text at spaces (FTS5's unicode61, PostgreSQL's `simple` parser) holds "日本の経済政策"
 * as one word and never finds 経済 in it. Both indexes get such text with every ideograph and
 * kana set apart by a zero-width space (U+200B, a separator to both, invisible, and taken out
 * again from snippets), and a search for 経済 looks for the phrase 経 済: the characters side
 * by side. Pure.
 */

/** What sets the characters apart in indexed text. */
export const CJK_SEPARATOR = '\u200b';

/**
 * Characters written without spaces, as code point ranges: one list for every backend, so
 * SQLite, PostgreSQL and the query reader cut the same text the same way. CJK radicals,
 * 々 〆 〇 and the Hangzhou numerals, hiragana and katakana (with ー), katakana extensions,
 * the ideograph blocks (with extensions A to H and the compatibility ideographs), half-width
 * katakana, and the kana supplements.
 */
const CJK_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x2e80, 0x2fdf],
  [0x3005, 0x3007],
  [0x3021, 0x3029],
  [0x3038, 0x303b],
  [0x3040, 0x30ff],
  [0x31f0, 0x31ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xf900, 0xfaff],
  [0xff66, 0xff9f],
  [0x1b000, 0x1b16f],
  [0x20000, 0x323af],
];
const hex = (code: number, width: number) => code.toString(16).padStart(width, '0');
/** The ranges as a JavaScript (u flag) character class body. */
const CJK_CLASS = CJK_RANGES.map(([from, to]) => `\\u{${hex(from, 4)}}-\\u{${hex(to, 4)}}`).join('');
const CJK_CHAR = new RegExp(`[${CJK_CLASS}]`, 'u');
const CJK_EACH = new RegExp(`[${CJK_CLASS}]`, 'gu');
/** The ranges as a PostgreSQL regular expression character class body. */
export const CJK_POSTGRES_CLASS = CJK_RANGES.map(([from, to]) =>
  from > 0xffff ? `\\U${hex(from, 8)}-\\U${hex(to, 8)}` : `\\u${hex(from, 4)}-\\u${hex(to, 4)}`,
).join('');

/** The ranges as an SQLite GLOB character class body (GLOB compares code points). */
export const CJK_GLOB_CLASS = CJK_RANGES.map(([from, to]) => `${String.fromCodePoint(from)}-${String.fromCodePoint(to)}`).join('');

/** Whether `text` holds a character written without spaces. */
export function hasCjk(text: string): boolean {
  return CJK_CHAR.test(text);
}

/** `text` with every ideograph and kana set apart, as the index holds it. */
export function spaceCjk(text: string): string {
  return hasCjk(text) ? text.replace(CJK_EACH, `${CJK_SEPARATOR}$&${CJK_SEPARATOR}`).replace(SEPARATORS, CJK_SEPARATOR) : text;
}

/** Indexed text (a snippet) as it was written: the separators taken out. */
export function unspaceCjk(text: string): string {
  return text.includes(CJK_SEPARATOR) ? text.replaceAll(CJK_SEPARATOR, '') : text;
}

const SEPARATORS = new RegExp(`${CJK_SEPARATOR}{2,}`, 'g');

/**
 * A query word cut as the index holds it: runs of other letters stay whole, each ideograph
 * or kana is a word of its own ("ai経済" → ai, 経, 済).
 */
export function cjkPieces(word: string): string[] {
  return hasCjk(word)
    ? spaceCjk(word)
        .split(CJK_SEPARATOR)
        .filter((piece) => piece !== '')
    : [word];
}

/** Whether `word` is one ideograph or kana. */
export function isCjkChar(word: string): boolean {
  return CJK_CHAR.test(word) && Array.from(word).length === 1;
}
