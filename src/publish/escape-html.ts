/** Escaping for the HTML and XML we write by hand, and the links we dare make clickable. */
export { escapeHtml } from '../html-text.ts';

/** The URL if it is http(s), else null: a feed's `javascript:` link must never become a clickable link. */
export function safeHref(url: string | null): string | null {
  return url && /^https?:\/\//i.test(url.trim()) ? url.trim() : null;
}
