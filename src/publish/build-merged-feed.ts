/**
 * Stories → one merged feed document (RSS 2.0, Atom 1.0 or JSON Feed). Pure: everything it
 * shows comes in as arguments. Each entry keeps its columnist, its outlet and every source
 * it appeared in (RSS/Atom: columnwire:source elements; JSON Feed: the `_columnwire`
 * extension, as the JSON Feed spec reserves `_`-prefixed keys). RSS and Atom also name the
 * primary source feed in the standard `<source>`, which readers show. JSON Feed has no such
 * field, and its `authors` stay the columnist: readers take `authors` for the byline
 * (Miniflux joins feed and item author names into one; NetNewsWire reads them as people),
 * so an outlet there would read as a co-author.
 *
 * Every format writes the same normalized entries (merged-entry.ts): plain-text titles,
 * http(s) links only, no character XML 1.0 forbids. RSS and Atom are written by our own
 * small XML writer (render-feed-xml.ts), because the `feed` package's XML cannot be made
 * safe from outside: its xml-js back end escapes only `"` in attributes (a link with two
 * query parameters broke the document), only the first `]]>` in CDATA (a title could
 * inject an <item>), and writes titles as Atom type="html". JSON Feed stays with `feed`:
 * JSON.stringify escapes everything there is to escape.
 */
import { Feed, type Item } from 'feed';
import { htmlToText } from '../html-text.ts';
import type { FeedSource, Story } from '../model.ts';
import { storySlug } from '../storage/story-public-id.ts';
import { cleanText, publishableLink, toMergedEntry, type MergedEntry } from './merged-entry.ts';
import { renderAtom, renderRss, type MergedFeedHead } from './render-feed-xml.ts';

export { COLUMNWIRE_NS } from './render-feed-xml.ts';

export type FeedFormat = 'rss' | 'atom' | 'json';

export interface MergedFeedOptions {
  format: FeedFormat;
  title: string;
  baseUrl: string;
  /** This document's own URLs in each format (the self links); default the site-wide feeds. */
  selfUrls?: Record<FeedFormat, string>;
  /** The site's page of the same stories (a tag's, a columnist's): the feed's alternate link; default the home page. */
  pageUrl?: string;
  /** RSS <ttl>: minutes between polls, so readers need not come back sooner. */
  ttlMinutes?: number;
  /** The configured feeds, by id: outlet, title and tags of each story's sources. */
  sources: ReadonlyMap<string, FeedSource>;
  /** Names the subset in the title, e.g. a tag. */
  subtitle?: string;
  /** The feed's updated time when there are no stories. */
  now: Date;
  /** `publish.stripTracking`: links without `utm_*` and the like (default true). */
  stripTracking?: boolean;
}

/** Renders the stories (newest first, as given) as one feed document. */
export function buildMergedFeed(stories: readonly Story[], options: MergedFeedOptions): string {
  const base = options.baseUrl.replace(/\/+$/, '');
  const selfUrls = options.selfUrls ?? { rss: `${base}/feed.xml`, atom: `${base}/feed.atom`, json: `${base}/feed.json` };
  const entries = stories.map((story) => toMergedEntry(story, options.sources, options.stripTracking ?? true));
  // Atom's feed id must be its own (RFC 4287 §4.2.6): the site-wide feed keeps the home page
  // it always had; a tag's, a source feed's or a columnist's is its Atom address.
  const siteWide = selfUrls.atom === `${base}/feed.atom`;
  const head: MergedFeedHead = {
    id: siteWide ? `${base}/` : (publishableLink(selfUrls.atom) ?? selfUrls.atom),
    title: cleanText(options.subtitle ? `${options.title}: ${options.subtitle}` : options.title) ?? 'columnwire',
    description: cleanText(`Columns merged by columnwire${options.subtitle ? ` (${options.subtitle})` : ''}`) ?? '',
    home: publishableLink(`${base}/`),
    page: publishableLink(options.pageUrl ?? `${base}/`),
    self: publishableLink(selfUrls[options.format]),
    updated:
      stories.reduce<Date | null>((latest, story) => (!latest || story.updated > latest ? story.updated : latest), null) ?? options.now,
    ttlMinutes: options.ttlMinutes ?? null,
    authorName: cleanText(options.title) ?? 'columnwire',
    // The site serves every stored story's card, whatever the scope of this document.
    storyPage: (id) => publishableLink(`${base}/stories/${encodeURIComponent(storySlug(id))}`),
  };
  if (options.format === 'rss') return renderRss(head, entries);
  if (options.format === 'atom') return renderAtom(head, entries);
  return renderJsonFeed(head, entries);
}

/** JSON Feed 1.1 with `feed`, which writes 1.0: 1.1 names people in `authors` arrays, feed and items (1.0's `author` is kept for old readers). */
function renderJsonFeed(head: MergedFeedHead, entries: readonly MergedEntry[]): string {
  const feed = new Feed({
    id: head.id,
    title: head.title,
    description: head.description,
    updated: head.updated,
    generator: 'columnwire',
    ...(head.page ? { link: head.page } : {}),
    author: head.home ? { name: head.authorName, link: head.home } : { name: head.authorName },
    ...(head.self ? { feedLinks: { json: head.self } } : {}),
  });
  for (const entry of entries) feed.addItem(jsonItem(entry));
  const document = JSON.parse(feed.json1()) as Record<string, unknown> & { items: Array<Record<string, unknown>> };
  document.version = 'https://jsonfeed.org/version/1.1';
  if (document.author) document.authors = [document.author];
  for (const item of document.items) {
    if (item.author) item.authors = [item.author];
    // JSON Feed 1.1: "content_html and content_text are each optional strings — but one or
    // both must be present". A headline-only story has no body: an empty content_text says so.
    if (typeof item.content_html !== 'string') item.content_text = '';
  }
  return JSON.stringify(document);
}

function jsonItem(entry: MergedEntry): Item {
  const description = entry.content ? htmlToText(entry.summary) : entry.summary;
  return {
    id: entry.id,
    title: entry.title,
    // `feed` leaves out a falsy link: JSON Feed's `url` is optional.
    link: entry.link ?? '',
    date: entry.updated,
    published: entry.published,
    // `feed` writes content_html from the content, else the description, and summary only beside
    // content. JSON Feed's summary is plain text ("a sentence or two" a timeline shows), so there
    // the summary's HTML becomes its text; without content it stays the HTML of content_html.
    ...(description ? { description } : {}),
    ...(entry.content ? { content: entry.content } : {}),
    ...(entry.columnist ? { author: [{ name: entry.columnist }] } : {}),
    category: entry.categories.map((name) => ({ name, term: name })),
    extensions: [{ name: '_columnwire', objects: { outlet: entry.outlet, columnist: entry.columnist, sources: entry.sources } }],
  };
}
