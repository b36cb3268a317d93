/**
 * Stories → one merged feed document (RSS 2.0, Atom 1.0 or JSON Feed), with the `feed`
 * package. Pure: everything it shows comes in as arguments. Each entry keeps its columnist,
 * its outlet and every source it appeared in (RSS/Atom: columnwire:source elements; JSON
 * Feed: the `_columnwire` extension, as the JSON Feed spec reserves `_`-prefixed keys).
 */
import { Feed, type Item } from 'feed';
import { escapeHtml } from '../html-text.ts';
import type { FeedSource, Story } from '../model.ts';

export type FeedFormat = 'rss' | 'atom' | 'json';

export const COLUMNWIRE_NS = 'https://columnwire.github.io/ns/1.0';

export interface MergedFeedOptions {
  format: FeedFormat;
  title: string;
  baseUrl: string;
  /** This document's own URLs in each format (the self links); default the site-wide feeds. */
  selfUrls?: Record<FeedFormat, string>;
  /** RSS <ttl>: minutes between polls, so readers need not come back sooner. */
  ttlMinutes?: number;
  /** The configured feeds, by id: outlet, title and tags of each story's sources. */
  sources: ReadonlyMap<string, FeedSource>;
  /** Names the subset in the title, e.g. a tag. */
  subtitle?: string;
  /** The feed's updated time when there are no stories. */
  now: Date;
}

/** Renders the stories (newest first, as given) as one feed document. */
export function buildMergedFeed(stories: readonly Story[], options: MergedFeedOptions): string {
  const base = options.baseUrl.replace(/\/+$/, '');
  const title = options.subtitle ? `${options.title}: ${options.subtitle}` : options.title;
  const feed = new Feed({
    id: `${base}/`,
    title,
    link: `${base}/`,
    description: `Columns merged by columnwire${options.subtitle ? ` (${options.subtitle})` : ''}`,
    updated: stories.reduce<Date | null>((latest, story) => (!latest || story.updated > latest ? story.updated : latest), null) ?? options.now,
    generator: 'columnwire',
    // Atom (RFC 4287 §4.1.1) needs an author for entries that name none.
    author: { name: options.title, link: `${base}/` },
    feedLinks: options.selfUrls ?? { rss: `${base}/feed.xml`, atom: `${base}/feed.atom`, json: `${base}/feed.json` },
    ...(options.ttlMinutes ? { ttl: options.ttlMinutes } : {}),
  });
  for (const story of stories) feed.addItem(toItem(story, options));
  if (options.format === 'json') return toJsonFeed11(feed.json1());
  if (options.format === 'rss') return declareNamespace(feed.rss2(), 'rss');
  return addAtomSources(declareNamespace(feed.atom1(), 'atom'), stories, options);
}

function toItem(story: Story, options: MergedFeedOptions): Item {
  const primary = options.sources.get(story.feedId);
  const columnist = story.author ?? primary?.title ?? null;
  const outlet = primary?.outlet ?? null;
  const sources = listSources(story, options);
  const xmlSources = sources.map((source) => ({ _attributes: xmlSourceAttributes(source) }));
  const extensions = options.format === 'json'
    ? [{ name: '_columnwire', objects: { outlet, columnist, sources } }]
    : [
        ...(columnist ? [{ name: 'dc:creator', objects: { _text: columnist } }] : []),
        ...(outlet ? [{ name: 'columnwire:outlet', objects: { _text: outlet } }] : []),
        { name: 'columnwire:source', objects: xmlSources as unknown as Record<string, unknown> },
      ];
  return {
    id: `urn:columnwire:story:${story.id}`,
    title: story.title ?? '(untitled)',
    link: story.link ?? `${options.baseUrl.replace(/\/+$/, '')}/`,
    date: story.updated,
    published: story.published,
    ...(story.summary ? { description: story.summary } : {}),
    ...(story.content ? { content: story.content } : {}),
    // RSS 2.0's <author> must be an email address, so there the columnist is dc:creator.
    ...(columnist && options.format !== 'rss' ? { author: [{ name: columnist }] } : {}),
    category: storyCategories(story, options).map((name) => ({ name, term: name })),
    extensions,
  };
}

/** The story's own categories, then the feeds.yaml tags of every feed it appeared in. */
function storyCategories(story: Story, options: MergedFeedOptions): string[] {
  const tags = story.sources.flatMap((source) => options.sources.get(source.feedId)?.tags ?? []);
  return [...new Set([...story.categories, ...tags])];
}

interface SourceEntry {
  feed: string;
  outlet: string;
  url: string | null;
  firstSeen: string;
}

/** Every feed the story appeared in, named by its outlet (or title, or id). */
function listSources(story: Story, options: MergedFeedOptions): SourceEntry[] {
  return story.sources.map((source) => {
    const configured = options.sources.get(source.feedId);
    return {
      feed: source.feedId,
      outlet: configured?.outlet ?? configured?.title ?? source.feedId,
      url: source.link,
      firstSeen: source.firstSeenAt.toISOString(),
    };
  });
}

function xmlSourceAttributes(source: SourceEntry): Record<string, string> {
  return { feed: source.feed, outlet: source.outlet, ...(source.url ? { href: source.url } : {}), firstSeen: source.firstSeen };
}

/** `feed` writes JSON Feed 1.0; 1.1 names people in `authors` arrays (1.0's `author` is kept for old readers). */
function toJsonFeed11(json: string): string {
  const document = JSON.parse(json) as Record<string, unknown> & { items: Array<Record<string, unknown>> };
  document.version = 'https://jsonfeed.org/version/1.1';
  for (const item of document.items) if (item.author) item.authors = [item.author];
  return JSON.stringify(document);
}

/** Declares the columnwire namespace on the root element, which `feed` cannot do itself. */
function declareNamespace(xml: string, format: 'rss' | 'atom'): string {
  const root = format === 'rss' ? '<rss ' : '<feed ';
  const start = xml.indexOf(root);
  const dublinCore = format === 'rss' && !xml.slice(start, xml.indexOf('>', start)).includes('xmlns:dc=') ? 'xmlns:dc="http://purl.org/dc/elements/1.1/" ' : '';
  return xml.replace(root, `${root}xmlns:columnwire="${COLUMNWIRE_NS}" ${dublinCore}`);
}

/**
 * `feed` writes no extensions into Atom entries, so the outlet and sources are added after
 * each </entry>'s content. Entries come out in story order; if the count does not match
 * (a story's own text contains "</entry>"), the document is left as `feed` made it.
 */
function addAtomSources(xml: string, stories: readonly Story[], options: MergedFeedOptions): string {
  let index = 0;
  const extended = xml.replace(/<\/entry>/g, (closing) => {
    const story = stories[index++];
    if (!story) return closing;
    const outlet = options.sources.get(story.feedId)?.outlet;
    const extra = [
      ...(outlet ? [`<columnwire:outlet>${escapeHtml(outlet)}</columnwire:outlet>`] : []),
      ...listSources(story, options).map((source) => {
        const attributes = Object.entries(xmlSourceAttributes(source)).map(([name, value]) => ` ${name}="${escapeHtml(value)}"`);
        return `<columnwire:source${attributes.join('')}/>`;
      }),
    ];
    return `${extra.join('')}${closing}`;
  });
  return index === stories.length ? extended : xml;
}
