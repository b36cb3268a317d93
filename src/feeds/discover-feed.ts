import { createFinder, type Finder } from '../markup-scan.ts';
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
const LINK_OPEN = /<link\b/gi;
const BASE_OPEN = /<base\b/gi;

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
  const base = baseUrl(html, pageUrl);
  for (const tag of tagsOf(html, LINK_OPEN)) {
    const attrs = attributesOf(tag);
    const rels = (attrs.get('rel') ?? '').toLowerCase().split(/\s+/);
    const rank = FEED_TYPES.get((attrs.get('type') ?? '').toLowerCase().split(';')[0]!.trim());
    const href = attrs.get('href')?.trim();
    if (!rels.includes('alternate') || rank === undefined || !href) continue;
    let url: string;
    try {
      url = new URL(decodeEntities(href), base).href;
    } catch {
      continue;
    }
    const isComments = /comment/i.test(`${attrs.get('title') ?? ''} ${url}`);
    found.push({ url, rank: rank + (isComments ? 10 : 0), order: found.length });
  }
  const sorted = found.sort((a, b) => a.rank - b.rank || a.order - b.order).map((entry) => entry.url);
  return [...new Set(sorted)];
}

/**
 * What the page's relative URLs resolve against: the first `<base href>` (HTML §4.2.3, which
 * some sites set to a folder of theirs), resolved against the page's URL; else the page's URL.
 */
function baseUrl(html: string, pageUrl: string): string {
  for (const tag of tagsOf(html, BASE_OPEN)) {
    const href = attributesOf(tag).get('href')?.trim();
    if (href === undefined) continue;
    try {
      return new URL(decodeEntities(href), pageUrl).href;
    } catch {
      return pageUrl;
    }
  }
  return pageUrl;
}

/**
 * The tags `open` starts (`<link …>`, `<base …>`), as `/<link\b[^>]*>/gi` would find them, in
 * linear time: a page of `<link` repeated without `>` must not cost the square of its length.
 */
function tagsOf(html: string, opening: RegExp): string[] {
  const open = createFinder(html, opening);
  const nextGt = createFinder(html, '>');
  const tags: string[] = [];
  for (let found = open(0); found !== null;) {
    const gt = nextGt(found.end);
    if (gt === null) break;
    tags.push(html.slice(found.index, gt.end));
    found = open(gt.end);
  }
  return tags;
}

/**
 * The `name=value` pairs of a tag, as `/([A-Za-z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/g`
 * finds them (later duplicates win), but scanned once: that regex retries every letter of a
 * long run of letters or an unclosed quote.
 */
function attributesOf(tag: string): Map<string, string> {
  const attrs = new Map<string, string>();
  const quotes = { '"': createFinder(tag, '"'), "'": createFinder(tag, "'") };
  let at = 0;
  while (at < tag.length) {
    if (!isNameChar(tag.charCodeAt(at))) {
      at++;
      continue;
    }
    const nameStart = at;
    while (at < tag.length && isNameChar(tag.charCodeAt(at))) at++;
    const value = valueAt(tag, skipSpace(tag, at), quotes);
    // A name without a value: every later start inside the same name fails the same way.
    if (value === null) continue;
    attrs.set(tag.slice(nameStart, at).toLowerCase(), value.text);
    at = value.end;
  }
  return attrs;
}

type QuoteFinders = Record<'"' | "'", Finder>;

/** The value after `=` at `at`, or null when there is no `=` and value there. */
function valueAt(tag: string, at: number, quotes: QuoteFinders): { text: string; end: number } | null {
  if (tag[at] !== '=') return null;
  const start = skipSpace(tag, at + 1);
  const quote = tag[start];
  if (quote === '"' || quote === "'") {
    const close = quotes[quote](start + 1);
    return close === null ? null : { text: tag.slice(start + 1, close.index), end: close.end };
  }
  let end = start;
  while (end < tag.length && !/[\s"'>]/.test(tag[end]!)) end++;
  return end === start ? null : { text: tag.slice(start, end), end };
}

function skipSpace(text: string, at: number): number {
  while (at < text.length && /\s/.test(text[at]!)) at++;
  return at;
}

function isNameChar(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || code === 0x2d;
}

function decodeEntities(href: string): string {
  return href.replace(/&amp;/g, '&').replace(/&#38;/g, '&');
}
