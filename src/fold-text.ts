/** Names and titles folded for comparison: case, accents and punctuation aside. Pure. */

// ASCII, plus the typographic punctuation most titles carry (curly quotes, dashes, ellipsis, no-break space):
// none of it is a letter or digit, so lower-casing and turning the rest into spaces folds it.
const PLAIN_TITLE = /^[\x20-\x7e\u00a0\u2010-\u2015\u2018-\u201f\u2026]*$/;

/** Lower case, no accents, no punctuation, single spaces: "Brexit’s Cost — Again!" → "brexit s cost again". */
export function foldText(text: string | null): string | null {
  if (!text) return null;
  // Most titles and names have no accents to strip: the Unicode passes are skipped.
  if (PLAIN_TITLE.test(text)) {
    const ascii = text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, ' ')
      .trim();
    return ascii === '' ? null : ascii;
  }
  const folded = text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
  return folded === '' ? null : folded;
}
