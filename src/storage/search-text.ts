/**
 * The text the full-text index holds for a story: its excerpt (the summary, else the content)
 * as plain text, capped, without the characters that mark matches in snippets, with Chinese
 * and Japanese characters set apart (cjk-text.ts). Pure.
 */
import { spaceCjk } from '../cjk-text.ts';
import { htmlToText } from '../html-text.ts';

/**
 * Characters of text indexed per story. PostgreSQL's generated column cuts its own text at the
 * same length (the excerpt's markup read as spaces there), so a word near the cut may be on
 * one side on one backend and on the other on the other.
 */
export const SEARCH_BODY_CHARS = 4000;

// The snippet marks (SNIPPET_MARK) are control characters, which is the point.
// eslint-disable-next-line no-control-regex
const MARKS = /[\u0002\u0003]/g;

/** The indexed text of a story's summary or content. */
export function searchBody(summary: string | null, content: string | null): string {
  return spaceCjk(cutAt(htmlToText(summary ?? content), SEARCH_BODY_CHARS).replace(MARKS, ''));
}

/** The first `chars` UTF-16 units of `text`, one fewer rather than half a character (an emoji's surrogate pair). */
function cutAt(text: string, chars: number): string {
  if (text.length <= chars) return text;
  const last = text.charCodeAt(chars - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? chars - 1 : chars);
}

/** A title or author as indexed. */
export function searchLine(text: string | null): string {
  return spaceCjk((text ?? '').replace(MARKS, ''));
}
