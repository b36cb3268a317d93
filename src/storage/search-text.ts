/**
 * The text the full-text index holds for a story: its excerpt (the summary, else the content)
 * as plain text, capped, without the characters that mark matches in snippets, with Chinese
 * and Japanese characters set apart (cjk-text.ts). Pure.
 */
import { spaceCjk } from '../cjk-text.ts';
import { htmlToText } from '../html-text.ts';

/** Characters of text indexed per story (PostgreSQL's generated column cuts at the same length). */
export const SEARCH_BODY_CHARS = 4000;

// The snippet marks (SNIPPET_MARK) are control characters, which is the point.
// eslint-disable-next-line no-control-regex
const MARKS = /[\u0002\u0003]/g;

/** The indexed text of a story's summary or content. */
export function searchBody(summary: string | null, content: string | null): string {
  return spaceCjk(
    htmlToText(summary ?? content)
      .slice(0, SEARCH_BODY_CHARS)
      .replace(MARKS, ''),
  );
}

/** A title or author as indexed. */
export function searchLine(text: string | null): string {
  return spaceCjk((text ?? '').replace(MARKS, ''));
}
