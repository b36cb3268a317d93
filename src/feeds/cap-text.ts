/**
 * Size caps for what a feed may store per item. A story of megabytes costs every later pass
 * over it (sanitizing on the main thread, excerpts, SQLite indexes) that much time: past a
 * cap, text is cut at a place that keeps it well-formed, and identifiers are replaced by a
 * hash of themselves so that they stay unique. Pure.
 */
import { createHash } from 'node:crypto';

/** Characters (UTF-16 code units) a summary or content may keep: a long-form article is a fifth of it. */
export const MAX_HTML_CHARS = 64 * 1024;
/** Characters of a title or an author. */
export const MAX_LINE_CHARS = 2 * 1024;
/** Characters of an item id, link or category; longer links are dropped, longer ids hashed. */
export const MAX_KEY_CHARS = 2 * 1024;
/** Bytes of UTF-8 an item id may have (an ASCII id of MAX_KEY_CHARS fits). */
export const MAX_KEY_BYTES = 2 * 1024;
/** Categories an item may keep. */
export const MAX_CATEGORIES = 100;

const ELLIPSIS = '…';
/** The longest character reference a cut may have to step back over (`&CounterClockwiseContourIntegral;`). */
const MAX_REFERENCE_CHARS = 40;

/** Where to cut `text` at or before `at` without splitting a surrogate pair. */
function safeEnd(text: string, at: number): number {
  const code = text.charCodeAt(at - 1);
  return code >= 0xd800 && code <= 0xdbff ? at - 1 : at;
}

/** Plain text of at most `max` characters; a longer one is cut and ends with an ellipsis. */
export function capLine(text: string | null, max: number = MAX_LINE_CHARS): string | null {
  if (text === null || text.length <= max) return text;
  return text.slice(0, safeEnd(text, max - ELLIPSIS.length)).trimEnd() + ELLIPSIS;
}

/**
 * HTML of at most about `max` characters. A longer one is cut outside any tag, comment or
 * character reference and ends with an ellipsis; elements left open are closed when the
 * HTML is sanitized for publishing (sanitize-content.ts), as browsers close them.
 */
export function capHtml(html: string | null, max: number = MAX_HTML_CHARS): string | null {
  if (html === null || html.length <= max) return html;
  let end = safeEnd(html, max - ELLIPSIS.length);
  // Inside a tag or comment: the last `<` before the cut has no `>` after it.
  const lt = html.lastIndexOf('<', end - 1);
  const gt = lt === -1 ? -1 : html.indexOf('>', lt);
  if (lt !== -1 && (gt === -1 || gt >= end)) end = lt;
  else if (html.startsWith('<!--', lt) && !html.slice(lt, end).includes('-->')) end = lt;
  // Inside a character reference: an `&` shortly before the cut with no `;` after it.
  const amp = html.lastIndexOf('&', end - 1);
  if (amp !== -1 && end - amp < MAX_REFERENCE_CHARS && !html.slice(amp, end).includes(';')) end = amp;
  return html.slice(0, end) + ELLIPSIS;
}

/** A link of at most `max` characters, else none: a cut URL would lead somewhere else. */
export function capLink(link: string | null, max: number = MAX_KEY_CHARS): string | null {
  return link !== null && link.length > max ? null : link;
}

/**
 * An identifier of at most `max` characters and MAX_KEY_BYTES bytes of UTF-8 (it is indexed, and
 * PostgreSQL refuses an index entry over about 2,700 bytes); a longer one becomes a hash of
 * itself, still unique.
 */
export function capId(id: string, max: number = MAX_KEY_CHARS): string {
  const fits = id.length <= max && (id.length * 3 <= MAX_KEY_BYTES || Buffer.byteLength(id) <= MAX_KEY_BYTES);
  return fits ? id : `sha256:${createHash('sha256').update(id).digest('hex')}`;
}

/** At most MAX_CATEGORIES categories, each at most MAX_KEY_CHARS long. */
export function capCategories(categories: readonly string[]): string[] {
  return categories.slice(0, MAX_CATEGORIES).map((name) => capLine(name, MAX_KEY_CHARS)!);
}
