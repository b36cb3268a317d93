// The regex implementation as it was at c75b0ab (before issue 9), kept verbatim as the oracle for
// tests/feeds/parse-text-passes.test.ts: the linear scans must give the same output on ordinary text.
import { rootElementName } from './repair-xml.ts';

/** Feed autodiscovery: the `<link rel="alternate">` feed links of an HTML page (the RSS Autodiscovery spec). */

const FEED_TYPES = new Map([
  ['application/rss+xml', 0],
  ['application/atom+xml', 0],
  ['application/feed+json', 1],
  ['application/rdf+xml', 2],
  ['application/json', 3],
  ['application/xml', 4],
  ['text/xml', 4],
]);
const LINK_TAG = /<link\b[^>]*>/gi;
const ATTRIBUTE = /([A-Za-z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/g;

/** True when the text is an HTML page rather than a feed; the content itself outranks a Content-Type. */
export function looksLikeHtml(text: string, contentType: string | null): boolean {
  const head = text.slice(0, 4096).trimStart();
  if (head.startsWith('{')) return false;
  const root = rootElementName(head)?.toLowerCase();
  if (root === 'rss' || root === 'feed' || root === 'rdf:rdf' || root?.endsWith(':feed')) return false;
  return root === 'html' || /^<!doctype html/i.test(head) || /text\/html/i.test(contentType ?? '');
}

/** Feed URLs a page advertises, best first: RSS/Atom before JSON, comment feeds last. */
export function discoverFeedLinks(html: string, pageUrl: string): string[] {
  const found: Array<{ url: string; rank: number; order: number }> = [];
  for (const [tag] of html.matchAll(LINK_TAG)) {
    const attrs = new Map<string, string>();
    for (const [, name, ...values] of tag.matchAll(ATTRIBUTE)) {
      attrs.set(name!.toLowerCase(), values.find((value) => value !== undefined) ?? '');
    }
    const rels = (attrs.get('rel') ?? '').toLowerCase().split(/\s+/);
    const rank = FEED_TYPES.get((attrs.get('type') ?? '').toLowerCase().split(';')[0]!.trim());
    const href = attrs.get('href')?.trim();
    if (!rels.includes('alternate') || rank === undefined || !href) continue;
    let url: string;
    try {
      url = new URL(decodeEntities(href), pageUrl).href;
    } catch {
      continue;
    }
    const isComments = /comment/i.test(`${attrs.get('title') ?? ''} ${url}`);
    found.push({ url, rank: rank + (isComments ? 10 : 0), order: found.length });
  }
  const sorted = found.sort((a, b) => a.rank - b.rank || a.order - b.order).map((entry) => entry.url);
  return [...new Set(sorted)];
}

function decodeEntities(href: string): string {
  return href.replace(/&amp;/g, '&').replace(/&#38;/g, '&');
}
