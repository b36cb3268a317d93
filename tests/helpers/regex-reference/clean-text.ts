// The regex implementation as it was at c75b0ab (before issue 9), kept verbatim as the oracle for
// tests/feeds/parse-text-passes.test.ts: the linear scans must give the same output on ordinary text.
/** Text clean-up shared by the feed formats: titles and names become plain, trimmed text. */
import { decodeHTML } from 'entities';

const BLOCK_TAG = /<\/?(?:br|p|div|li|ul|ol|h[1-6]|blockquote|tr|td|th|table|section|article|hr)\b[^>]*>/gi;
const TAG = /<\/?[A-Za-z][^>]*>/g;
// C0 controls (but whitespace) and DEL: invisible, and forbidden in the XML we republish.
const CONTROL_CHARS = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F]/g;
const ENTITY = /&(?:#\d+|#x[0-9a-f]+|[a-z][a-z0-9]*);/i;

/** Plain text from a title-like field: markup stripped, entities (even double-escaped ones) decoded, whitespace collapsed. */
export function cleanText(raw: string | null | undefined): string | null {
  if (!raw) return null;
  let text = raw;
  // Block tags separate words; inline ones (<b>, <em>) sit inside them.
  if (text.includes('<')) text = text.replace(BLOCK_TAG, ' ').replace(TAG, '');
  if (ENTITY.test(text)) text = decodeHTML(text);
  text = text.replace(CONTROL_CHARS, '').replace(/\s+/g, ' ').trim();
  return text === '' ? null : text;
}

/** Trimmed HTML or text body, or null when empty. */
export function cleanBody(raw: string | null | undefined): string | null {
  const text = raw?.trim();
  return text ? text : null;
}

/** A person's name from an RSS author field: "jane@example.com (Jane Doe)" and "Jane Doe <jane@…>" give "Jane Doe". */
export function cleanAuthor(raw: string | null | undefined): string | null {
  const text = cleanText(raw);
  if (!text) return null;
  const inParens = /^\S+@\S+\s*\((.+)\)$/.exec(text)?.[1];
  if (inParens) return inParens.trim();
  const beforeAngle = /^(.+?)\s*<\S+@\S+>$/.exec(text)?.[1];
  if (beforeAngle) return beforeAngle.replace(/^"|"$/g, '').trim();
  // Added after c75b0ab with the same rule in src: a quoted name alone loses its quotes.
  return /^"[^"]+"$/.test(text) ? text.slice(1, -1).trim() : text;
}

/** Resolves a possibly relative link against a base; null when it cannot be a link. */
export function resolveLink(link: string | null | undefined, base: string | null): string | null {
  const text = link?.trim();
  if (!text) return null;
  try {
    return new URL(text, base ?? undefined).href;
  } catch {
    // Without a base (a local file), a relative link is kept as written rather than lost.
    return base === null && !/\s/.test(text) ? text : null;
  }
}
