/** Atom 1.0 (RFC 4287) and Atom 0.3 feeds and entries, from the xml2js tree rss-parser walked. */
import type { ParsedFeedMeta } from '../model.ts';
import { cleanAuthor, cleanBody, cleanText, originalLink, plainText, resolveLink } from './clean-text.ts';
import { parseDate } from './parse-date.ts';
import { mediaDescription } from './read-media.ts';
import { resolveContentUrls } from './resolve-content-urls.ts';
import { attrOf, childOf, childText, childrenOf, textOf, xmlBase } from './xml-node.ts';
import type { RawItem } from './raw-item.ts';

/** Feed-level fields of an Atom feed. */
export function readAtomFeed(feed: unknown, baseUrl: string | null): ParsedFeedMeta {
  const base = xmlBase(feed, baseUrl);
  return {
    title: readTitle(feed),
    link: pickLink(feed, base),
    description: cleanBody(childText(feed, 'subtitle', 'tagline')),
    language: attrOf(feed, 'xml:lang'),
    updated: parseDate(childText(feed, 'updated', 'modified')),
    ttlMinutes: null,
  };
}

/** The feed-level author, used for entries that name none (RFC 4287 §4.2.1). */
export function readAtomFeedAuthor(feed: unknown): string | null {
  return authorsOf(feed)[0] ?? null;
}

/**
 * One Atom entry, before ids and fallbacks are settled. `feedBase` resolves its links (the
 * feed's xml:base, else the document's URL); `declaredBase` is the feed's own xml:base alone,
 * null when it declares none.
 */
export function readAtomEntry(entry: unknown, feedBase: string | null, declaredBase: string | null = null): RawItem {
  const base = xmlBase(entry, feedBase);
  const declared = declaredXmlBase(entry, feedBase, declaredBase);
  const updated = parseDate(childText(entry, 'updated', 'modified'));
  return {
    guid: childText(entry, 'id'),
    title: readTitle(entry),
    link: originalLink(childText(entry, 'feedburner:origLink')) ?? pickLink(entry, base),
    authors: authorsOf(entry),
    // Atom requires only <updated>; a reader shows it as the entry's date when nothing else is given.
    published: parseDate(childText(entry, 'published', 'issued', 'created')) ?? updated,
    updated,
    // YouTube's entries have no summary, only a media:group's description.
    summary: readBody(entry, 'summary', base, declared) ?? mediaDescription(entry),
    content: readBody(entry, 'content', base, declared),
    categories: [
      ...childrenOf(entry, 'category').map((node) => attrOf(node, 'term') ?? attrOf(node, 'label') ?? textOf(node)),
      ...childrenOf(entry, 'dc:subject').map(textOf), // Atom 0.3 (Movable Type)
    ],
  };
}

/**
 * A title as its type says (RFC 4287 §3.1): "html" and "xhtml" (Atom 0.3: "text/html",
 * "application/xhtml+xml") are markup to strip; "text", "text/plain" and an
 * absent type (the RFC's default) are plain text whose `&lt;blink&gt;` means the characters, as
 * feedparser and other reference parsers read it.
 */
function readTitle(node: unknown): string | null {
  const type = attrOf(childOf(node, 'title'), 'type')?.trim().toLowerCase() ?? 'text';
  const text = childText(node, 'title');
  return MARKUP_TYPES.has(type) ? cleanText(text) : plainText(text);
}

const PAGE_TYPE = /^\s*(text\/html|application\/xhtml\+xml)\s*(;|$)/i;
const MARKUP_TYPES = new Set(['html', 'xhtml', 'text/html', 'application/xhtml+xml']);

/**
 * A summary or content, its relative URLs resolved against the xml:base declared for it (on
 * the element, the entry or the feed). With none declared they stay relative, and the
 * publishing side resolves them against the entry's link, as readers of RSS do.
 */
function readBody(entry: unknown, name: 'summary' | 'content', base: string | null, declared: string | null): string | null {
  const body = cleanBody(childText(entry, name));
  const own = declaredXmlBase(childOf(entry, name), base, declared);
  return body !== null && own !== null ? resolveContentUrls(body, own) : body;
}

/** The xml:base `node` declares, resolved against `outerBase`; else the one declared around it (`outerDeclared`). */
function declaredXmlBase(node: unknown, outerBase: string | null, outerDeclared: string | null): string | null {
  return attrOf(node, 'xml:base') ? xmlBase(node, outerBase) : outerDeclared;
}

/**
 * The alternate link: rel="alternate" or no rel, with href, a web page first (an entry may have
 * alternates of several types, RFC 4287 §4.2.7.2: a PDF before the HTML page); a link without
 * href gives its text.
 */
function pickLink(node: unknown, base: string | null): string | null {
  const links = childrenOf(node, 'link');
  const alternate = links.filter((link) => {
    const rel = attrOf(link, 'rel');
    return rel === null || rel === 'alternate';
  });
  const pages = alternate.filter((link) => PAGE_TYPE.test(attrOf(link, 'type') ?? 'text/html'));
  for (const link of [...pages, ...alternate, ...links]) {
    const href = attrOf(link, 'href') ?? textOf(link)?.trim();
    if (href) return resolveLink(href, xmlBase(link, base));
  }
  return null;
}

function authorsOf(node: unknown): string[] {
  return childrenOf(node, 'author')
    .map((author) => cleanAuthor(childText(author, 'name') ?? (typeof author === 'string' ? author : null)))
    .filter((name): name is string => name !== null);
}
