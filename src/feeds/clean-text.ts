/** Text clean-up shared by the feed formats: titles and names become plain, trimmed text. */
import { decodeHTML } from 'entities';
import { BLOCK_TAGS, replaceTags, type TagPass } from '../markup-scan.ts';

// Block tags separate words; inline ones (<b>, <em>) sit inside them. Tag passes are linear
// scans, not regexes: a title of `<p` repeated must not cost the square of its length.
const OTHER_TAGS: TagPass = { replacement: '' };
// C0 controls (but whitespace) and DEL: invisible, and forbidden in the XML we republish.
// eslint-disable-next-line no-control-regex -- these control characters are the point
const CONTROL_CHARS = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F]/g;
const ENTITY = /&(?:#\d+|#x[0-9a-f]+|[a-z][a-z0-9]*);/i;
// Markup, a reference, a control character, or whitespace that would collapse: anything cleanText changes but the ends.
// eslint-disable-next-line no-control-regex -- control characters are among what it looks for
const NEEDS_SPACING = /[\x00-\x1F\x7F\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\uFEFF]|\s\s/;
// eslint-disable-next-line no-control-regex -- control characters are among what it looks for
const NEEDS_CLEANING = /[<&\x00-\x1F\x7F\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\uFEFF]|\s\s/;

/** Plain text from a title-like field: markup stripped, entities (even double-escaped ones) decoded, whitespace collapsed. */
export function cleanText(raw: string | null | undefined): string | null {
  if (!raw) return null;
  // Most titles and names are already plain: one scan proves it and skips the passes below.
  if (!NEEDS_CLEANING.test(raw)) {
    const trimmed = raw.trim();
    return trimmed === '' ? null : trimmed;
  }
  let text = raw;
  if (text.includes('<')) text = replaceTags(replaceTags(text, BLOCK_TAGS), OTHER_TAGS);
  if (ENTITY.test(text)) text = decodeHTML(text);
  text = text.replace(CONTROL_CHARS, '').replace(/\s+/g, ' ').trim();
  return text === '' ? null : text;
}

/**
 * Plain text from a field that is text by declaration (Atom type="text", RFC 4287 §3.1.1.1; Atom 0.3
 * type="text/plain"): `<blink>` in it is what the author wrote, so no tag or entity is touched.
 */
export function plainText(raw: string | null | undefined): string | null {
  if (!raw) return null;
  if (!NEEDS_SPACING.test(raw)) {
    const trimmed = raw.trim();
    return trimmed === '' ? null : trimmed;
  }
  const text = raw.replace(CONTROL_CHARS, '').replace(/\s+/g, ' ').trim();
  return text === '' ? null : text;
}

/** Trimmed HTML or text body, or null when empty. */
export function cleanBody(raw: string | null | undefined): string | null {
  const text = raw?.trim();
  return text ? text : null;
}

/**
 * HTML for a field that is plain text by its spec (JSON Feed's `content_text` and `summary`):
 * `<`, `>` and `&` escaped, so "if (a < b)" or "the <title> element" shows as written rather
 * than as markup a sanitizer eats; blank lines part paragraphs and line breaks stay breaks.
 */
export function plainTextToHtml(raw: string | null | undefined): string | null {
  const text = cleanBody(raw);
  if (text === null) return null;
  const escaped = text.replace(/[&<>]/g, (ch) => (ch === '&' ? '&amp;' : ch === '<' ? '&lt;' : '&gt;'));
  if (!/[\r\n]/.test(escaped)) return escaped;
  const paragraphs = escaped.split(/\r?\n(?:[ \t]*\r?\n)+/).map((paragraph) => paragraph.replace(/\r?\n/g, '<br>'));
  return paragraphs.map((paragraph) => `<p>${paragraph}</p>`).join('');
}

/** A person's name from an RSS author field: "jane@example.com (Jane Doe)" and "Jane Doe <jane@…>" give "Jane Doe". */
export function cleanAuthor(raw: string | null | undefined): string | null {
  const text = cleanText(raw);
  if (!text) return null;
  const inParens = nameInParens(text);
  if (inParens) return inParens.trim();
  const beforeAngle = nameBeforeAddress(text);
  if (beforeAngle) return beforeAngle.replace(/^"|"$/g, '').trim();
  // `"Doe, Jane" <jane@…>` escaped in XML: its address was stripped as a tag, its quotes stay.
  return /^"[^"]+"$/.test(text) ? text.slice(1, -1).trim() : text;
}

/**
 * The `Name` of `address (Name)`: what `/^\S+@\S+\s*\((.+)\)$/` captures, found by scanning
 * (that regex backtracks cubically on a long run of `@` and `(`). `text` is cleanText output:
 * trimmed, single spaces, no line breaks.
 */
function nameInParens(text: string): string | null {
  if (!text.endsWith(')')) return null;
  const firstSpace = text.indexOf(' ');
  const address = firstSpace === -1 ? text.length : firstSpace;
  // The greedy regex takes the last `(` it can: right after the address and a space, else inside it.
  let open = text[address + 1] === '(' && address + 1 < text.length - 2 ? address + 1 : -1;
  let addressEnd = address;
  if (open === -1) {
    open = text.lastIndexOf('(', Math.min(address - 1, text.length - 3));
    addressEnd = open;
  }
  if (open < 0) return null;
  const at = text.indexOf('@', 1);
  return at !== -1 && at <= addressEnd - 2 ? text.slice(open + 1, -1) : null;
}

/** The `Name` of `Name <address>`: what `/^(.+?)\s*<\S+@\S+>$/` captures, found by scanning. */
function nameBeforeAddress(text: string): string | null {
  if (!text.endsWith('>')) return null;
  const at = text.lastIndexOf('@', text.length - 3);
  // The `<address>` is the last word; its `<` is the first one that leaves a character before the `@`.
  const open = text.indexOf('<', Math.max(1, text.lastIndexOf(' ') + 1));
  if (open === -1 || at === -1 || open > at - 2) return null;
  return text.slice(0, text[open - 1] === ' ' ? open - 1 : open);
}

/** Resolves a possibly relative link against a base; null when it cannot be a link. */
/**
 * The article's own address a FeedBurner feed keeps beside its `feedproxy.google.com` redirect
 * (`<feedburner:origLink>`), when it is an absolute http(s) URL: the same column in its outlet's
 * own feed has that link, and the redirects no longer lead anywhere.
 */
export function originalLink(text: string | null): string | null {
  const link = text?.trim();
  return link && /^https?:\/\/[^\s]+$/i.test(link) && URL.canParse(link) ? new URL(link).href : null;
}

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
