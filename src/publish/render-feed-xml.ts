/**
 * Merged entries → RSS 2.0 and Atom 1.0 documents, with our XML writer (xml-writer.ts), so
 * every value is escaped the same way whatever element or attribute it lands in. Each
 * entry keeps its columnist, outlet, categories and sources (columnwire:source elements),
 * and names its primary source feed in the standard `<source>`, which readers display.
 * Pure. To add an element to every entry, add it to the entry's children below.
 */
import type { MergedEntry, MergedOrigin, MergedSource } from './merged-entry.ts';
import { element, writeXmlDocument, type XmlElement } from './xml-writer.ts';

export const COLUMNWIRE_NS = 'https://columnwire.github.io/ns/1.0';
const ATOM_NS = 'http://www.w3.org/2005/Atom';
const DC_NS = 'http://purl.org/dc/elements/1.1/';
const CONTENT_NS = 'http://purl.org/rss/1.0/modules/content/';

/** What a merged feed says about itself; every URL already http(s) or null. */
export interface MergedFeedHead {
  /** The feed's own id (Atom): the site's home page URL for the site-wide feed, else the feed's Atom address. */
  id: string;
  title: string;
  description: string;
  /** The site's home page. */
  home: string | null;
  /** The site's page of this feed's stories (RSS channel link, Atom alternate, JSON home_page_url): a tag's or a columnist's page, else the home page. */
  page: string | null;
  /** This document's own URL (the self link). */
  self: string | null;
  updated: Date;
  /** RSS <ttl>: minutes between polls, so readers need not come back sooner. */
  ttlMinutes: number | null;
  /** Atom needs an author for entries that name none (RFC 4287 §4.1.1): the site. */
  authorName: string;
  /** The URL of a story's card on the site (/stories/{slug}), by its entry id; null when the site has no http(s) address. */
  storyPage(id: string): string | null;
}

/** The entries as an RSS 2.0 document. */
export function renderRss(head: MergedFeedHead, entries: readonly MergedEntry[]): string {
  const channel = element(
    'channel',
    {},
    element('title', {}, head.title),
    head.page ? element('link', {}, head.page) : null,
    element('description', {}, head.description),
    element('lastBuildDate', {}, head.updated.toUTCString()),
    element('docs', {}, 'https://validator.w3.org/feed/docs/rss2.html'),
    element('generator', {}, 'columnwire'),
    head.ttlMinutes ? element('ttl', {}, head.ttlMinutes.toString()) : null,
    head.self ? element('atom:link', { href: head.self, rel: 'self', type: 'application/rss+xml' }) : null,
    entries.map(rssItem),
  );
  return writeXmlDocument(
    element(
      'rss',
      {
        version: '2.0',
        'xmlns:columnwire': COLUMNWIRE_NS,
        'xmlns:dc': DC_NS,
        'xmlns:content': CONTENT_NS,
        'xmlns:atom': ATOM_NS,
      },
      channel,
    ),
  );
}

function rssItem(entry: MergedEntry): XmlElement {
  return element(
    'item',
    {},
    element('title', {}, entry.title),
    entry.link ? element('link', {}, entry.link) : null,
    element('guid', { isPermaLink: 'false' }, entry.id),
    element('pubDate', {}, entry.published.toUTCString()),
    entry.summary ? element('description', {}, entry.summary) : null,
    entry.content ? element('content:encoded', {}, entry.content) : null,
    entry.categories.map((name) => element('category', {}, name)),
    // RSS 2.0's <author> must be an email address, so the columnist is dc:creator.
    entry.columnist ? element('dc:creator', {}, entry.columnist) : null,
    rssSource(entry.origin),
    columnwireElements(entry),
  );
}

/** RSS 2.0 `<source url="…">Outlet</source>`: the channel the item came from; `url` is required, so none without one. */
function rssSource(origin: MergedOrigin): XmlElement | null {
  return origin.url ? element('source', { url: origin.url }, origin.title) : null;
}

/** The entries as an Atom 1.0 document (RFC 4287). */
export function renderAtom(head: MergedFeedHead, entries: readonly MergedEntry[]): string {
  return writeXmlDocument(
    element(
      'feed',
      { xmlns: ATOM_NS, 'xmlns:columnwire': COLUMNWIRE_NS },
      element('id', {}, head.id),
      element('title', { type: 'text' }, head.title),
      element('updated', {}, head.updated.toISOString()),
      element('generator', {}, 'columnwire'),
      element('author', {}, element('name', {}, head.authorName), head.home ? element('uri', {}, head.home) : null),
      head.page ? element('link', { rel: 'alternate', href: head.page }) : null,
      head.self ? element('link', { rel: 'self', href: head.self }) : null,
      element('subtitle', { type: 'text' }, head.description),
      entries.map((entry) => atomEntry(entry, head)),
    ),
  );
}

function atomEntry(entry: MergedEntry, head: MergedFeedHead): XmlElement {
  // An entry without content needs an alternate link (RFC 4287 §4.1.1), and readers open it:
  // with no link of its own we may republish, that is the story's card on the site, an
  // alternate version of the entry (the home page is not; newsboat and feedparser took it as the article).
  const alternate = entry.link ?? head.storyPage(entry.id) ?? (entry.content ? null : head.home);
  return element(
    'entry',
    {},
    // Titles are plain text: a title that was escaped markup in its source stays text.
    element('title', { type: 'text' }, entry.title),
    element('id', {}, entry.id),
    alternate ? element('link', { rel: 'alternate', href: alternate }) : null,
    element('updated', {}, entry.updated.toISOString()),
    entry.summary ? element('summary', { type: 'html' }, entry.summary) : null,
    entry.content ? element('content', { type: 'html' }, entry.content) : null,
    entry.columnist ? element('author', {}, element('name', {}, entry.columnist)) : null,
    entry.categories.map((name) => element('category', { term: name, label: name })),
    element('published', {}, entry.published.toISOString()),
    atomSource(entry.origin),
    columnwireElements(entry),
  );
}

/**
 * Atom `<source>` (RFC 4287 §4.2.11): the feed's id, title and self link (the feed
 * document itself, §4.2.7.2). We do not know the source feed's own `<updated>`, so it is left out.
 */
function atomSource(origin: MergedOrigin): XmlElement {
  return element(
    'source',
    {},
    element('id', {}, origin.id),
    element('title', { type: 'text' }, origin.title),
    origin.url ? element('link', { rel: 'self', href: origin.url }) : null,
  );
}

/** The extension elements both XML formats carry: the outlet, then every source. */
function columnwireElements(entry: MergedEntry): XmlElement[] {
  return [...(entry.outlet ? [element('columnwire:outlet', {}, entry.outlet)] : []), ...entry.sources.map(sourceElement)];
}

function sourceElement(source: MergedSource): XmlElement {
  return element('columnwire:source', { feed: source.feed, outlet: source.outlet, href: source.url, firstSeen: source.firstSeen });
}
