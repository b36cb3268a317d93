/**
 * Characters no name, address or table cell should carry as they are: C0, DEL and C1 controls,
 * and the bidi embeddings, overrides and isolates (Unicode TR9, U+202A–202E, U+2066–2069).
 * Raw, they forge header lines, clear or recolour an operator's terminal, break a table's rows,
 * or make text read backwards. Pure.
 */

/** The characters as the body of a `u`-flag regex character class (`[${UNPRINTABLE_CLASS}]`). */
export const UNPRINTABLE_CLASS = String.raw`\p{Cc}\u202A-\u202E\u2066-\u2069`;
