/** HTML text helpers shared by the web page and the digest: escaping, and HTML → plain text for excerpts. Pure. */
import { decodeHTML, decodeHTMLAttribute } from 'entities';
import { BLOCK_TAGS, createFinder, type Finder, replaceTags, type TagPass } from './markup-scan.ts';

// Every pass is a linear scan (markup-scan.ts), not a regex: an excerpt of `<!--` repeated
// must not cost the square of its length on every page build.
const DROPPED_ELEMENT_OPEN = /<(script|style|noscript|template|iframe)\b/gi;
const TAGS_AND_COMMENTS: TagPass = { comments: true, replacement: '' };

/** Control characters no text shows (`&#7;` in an excerpt decodes to one): never written into a page. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROLS = /[\u0000-\u0008\u000E-\u001F\u007F-\u009F]/g;

/** Plain text of an HTML fragment: no markup, entities decoded, control characters dropped, whitespace collapsed. */
export function htmlToText(html: string | null): string {
  if (!html) return '';
  return decodeHTML(replaceTags(replaceTags(dropElements(html), BLOCK_TAGS), TAGS_AND_COMMENTS))
    .replace(CONTROLS, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Scripts, styles and the like with their text, as `/<(script|…)\b[\s\S]*?<\/\1\s*>/gi` would, in linear time. */
function dropElements(html: string): string {
  const open = createFinder(html, DROPPED_ELEMENT_OPEN);
  const closers = new Map<string, Finder>();
  const out: string[] = [];
  let copied = 0;
  let from = 0;
  for (let found = open(from); found !== null; found = open(from)) {
    const name = html.slice(found.index + 1, found.end).toLowerCase();
    let close = closers.get(name);
    if (!close) closers.set(name, (close = createFinder(html, new RegExp(`</${name}\\s*>`, 'gi'))));
    // Without a closing tag, this element (and any later one of its name) stays as it is.
    const end = close(found.end);
    if (end === null) {
      from = found.index + 1;
      continue;
    }
    out.push(html.slice(copied, found.index), ' ');
    copied = from = end.end;
  }
  if (copied === 0) return html;
  out.push(html.slice(copied));
  return out.join('');
}

/** At most `maxChars` of `text`, cut at a word boundary with an ellipsis when cut. */
export function excerpt(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const cut = text.slice(0, maxChars + 1);
  const boundary = cut.lastIndexOf(' ');
  // Cut at a word, or, in text with no space to cut at (Chinese, Japanese), at a character:
  // never between the two halves of one beyond the BMP (an emoji, 𠮷), which would print as �.
  const hard = /[\uD800-\uDBFF]$/.test(text.slice(0, maxChars)) ? text.slice(0, maxChars - 1) : text.slice(0, maxChars);
  const words = (boundary > maxChars * 0.6 ? cut.slice(0, boundary) : hard).replace(/[\s,.;:!?–—-]+$/, '');
  return `${words}…`;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes `&`, `<`, `>`, `"` and `'`: safe in element text and quoted attributes alike. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch]!);
}

/** The URL if it is http(s), else null: a feed's `javascript:` link must never become a clickable link. */
export function safeHref(url: string | null): string | null {
  return url && /^https?:\/\//i.test(url.trim()) ? url.trim() : null;
}

/** `text` with its HTML character references decoded (`&amp;` → `&`). */
export function decodeEntities(text: string): string {
  return decodeHTML(text);
}

/**
 * An attribute value with its character references decoded as HTML decodes them there: a
 * reference without `;` before a letter, digit or `=` stays as written, so the query
 * `?id=1&section=news` keeps its `&section` (text would read `&sect` as §).
 */
export function decodeAttributeEntities(text: string): string {
  return decodeHTMLAttribute(text);
}
