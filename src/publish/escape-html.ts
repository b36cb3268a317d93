/** Escaping for text and attribute values in HTML and XML we write by hand. */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes `&`, `<`, `>`, `"` and `'`: safe in element text and quoted attributes alike. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch]!);
}

/** The URL if it is http(s), else null: a feed's `javascript:` link must never become a clickable link. */
export function safeHref(url: string | null): string | null {
  return url && /^https?:\/\//i.test(url.trim()) ? url.trim() : null;
}
