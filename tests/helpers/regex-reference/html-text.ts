// The regex implementation as it was at c75b0ab (before issue 9), kept verbatim as the oracle for
// tests/feeds/parse-text-passes.test.ts: the linear scans must give the same output on ordinary text.
/** HTML text helpers shared by the web page and the digest: escaping, and HTML → plain text for excerpts. Pure. */
import { decodeHTML } from 'entities';

const DROPPED_ELEMENTS = /<(script|style|noscript|template|iframe)\b[\s\S]*?<\/\1\s*>/gi;
const BLOCK_TAG = /<\/?(?:p|div|br|li|ul|ol|h[1-6]|blockquote|tr|td|th|table|section|article|figure|figcaption|hr)\b[^>]*>/gi;
const TAG = /<!--[\s\S]*?-->|<\/?[A-Za-z][^>]*>/g;

/** Plain text of an HTML fragment: no markup, entities decoded, whitespace collapsed. */
export function htmlToText(html: string | null): string {
  if (!html) return '';
  return decodeHTML(html.replace(DROPPED_ELEMENTS, ' ').replace(BLOCK_TAG, ' ').replace(TAG, '')).replace(/\s+/g, ' ').trim();
}

/** At most `maxChars` of `text`, cut at a word boundary with an ellipsis when cut. */
export function excerpt(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const cut = text.slice(0, maxChars + 1);
  const boundary = cut.lastIndexOf(' ');
  const words = (boundary > maxChars * 0.6 ? cut.slice(0, boundary) : text.slice(0, maxChars)).replace(/[\s,.;:!?–—-]+$/, '');
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
