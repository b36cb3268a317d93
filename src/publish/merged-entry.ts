/**
 * Stories → the entries every merged-feed format writes, normalized once: text is plain
 * text with the characters XML 1.0 forbids dropped (JSON carries the same values as RSS
 * and Atom), and every link is an absolute http(s) URL or absent. Pure.
 */
import { stripTrackingParams } from '../feeds/canonical-url.ts';
import type { FeedSource, Story } from '../model.ts';
import { publicUrl } from '../redact.ts';
import { dropForbiddenXmlChars } from './xml-writer.ts';

/** One story as the merged feeds write it. */
export interface MergedEntry {
  /** The story's stored public id, a URN (`urn:columnwire:story:…`) valid whatever its link: RSS guid, Atom id, JSON id. */
  id: string;
  /** Plain text, never markup (Atom `type="text"`). */
  title: string;
  /** Absolute http(s) URL, or null when the story has none we may republish. */
  link: string | null;
  published: Date;
  updated: Date;
  /** Sanitized HTML, as the caller gave it. */
  summary: string | null;
  content: string | null;
  columnist: string | null;
  outlet: string | null;
  /** The story's own categories, then the feeds.yaml tags of every feed it appeared in; no duplicates, none empty. */
  categories: string[];
  /** The feed the story first appeared in: RSS 2.0 and Atom `<source>`, which readers show. */
  origin: MergedOrigin;
  sources: MergedSource[];
}

/**
 * The story's primary source feed as RSS 2.0 `<source url>` (one per item, the channel it
 * came from) and Atom `<source>` (RFC 4287 §4.2.11) name it. A story in several feeds
 * names the first it appeared in, as RSS allows one `<source>`; the others stay in `sources`.
 */
export interface MergedOrigin {
  /** The outlet of the feed, else its title, else its id. */
  title: string;
  /** The configured feed URL as a public document may show it (no user, password or secret parameters), http(s) only; else null. */
  url: string | null;
  /** Atom source id: the public URL, else a URN naming the feed id (the feed is no longer configured). */
  id: string;
}

/** One feed a story appeared in (RSS/Atom `columnwire:source`, JSON `_columnwire.sources`). */
export interface MergedSource {
  feed: string;
  /** The outlet of the feed, else its title, else its id. */
  outlet: string;
  /** Absolute http(s) URL, or null. */
  url: string | null;
  /** ISO 8601. */
  firstSeen: string;
}

/** Text as every format carries it: forbidden characters dropped, null when nothing is left. */
export function cleanText(text: string | null | undefined): string | null {
  if (text === null || text === undefined) return null;
  return dropForbiddenXmlChars(text) || null;
}

/**
 * The link as an absolute http(s) URL (WHATWG-serialized, then as RFC 3986 writes it), or
 * null: `javascript:`, `data:`, `vbscript:` and every other scheme, relative references and
 * unparseable text are dropped, since a feed reader would make any of them a clickable link.
 */
export function publishableLink(link: string | null | undefined): string | null {
  if (!link) return null;
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    return null;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? rfc3986Href(url) : null;
}

// What RFC 3986 §3.3-3.5 allows in a path, query and fragment: pchar, "/", "?" and "%" HH.
const NOT_URI_CHAR = /%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@/?%]/g;

/**
 * The URL's href with what the WHATWG serializer leaves raw but RFC 3986 allows nowhere after
 * the host (`[`, `]`, `|`, `^`, `{`, `}`, a backquote, a second `#`, a `%` starting no escape)
 * percent-encoded. Readers resolve both forms alike; strict validators (the W3C Feed Validation
 * Service, RFC 3987 IRI checks) refuse the raw one. The host is already ASCII (IDNA) or an IP literal.
 */
function rfc3986Href(url: URL): string {
  const href = url.href;
  // An http(s) href is scheme "//" [userinfo "@"] host, then a path starting with "/": neither of the first two holds a raw "/".
  const pathStart = href.indexOf('/', url.protocol.length + 2);
  const hashStart = href.indexOf('#', pathStart);
  const escape = (part: string): string => part.replace(NOT_URI_CHAR, (char) => (char === '%' ? '%25' : encodeURIComponent(char)));
  if (hashStart === -1) return href.slice(0, pathStart) + escape(href.slice(pathStart));
  return `${href.slice(0, pathStart)}${escape(href.slice(pathStart, hashStart))}#${escape(href.slice(hashStart + 1))}`;
}

/** The link readers follow: publishable, and without tracking parameters unless `publish.stripTracking` is off. */
export function articleLink(link: string | null | undefined, stripTracking = true): string | null {
  const href = publishableLink(link);
  return href && stripTracking ? stripTrackingParams(href) : href;
}

/** The entry of one story; `sources` are the configured feeds by id. */
export function toMergedEntry(story: Story, sources: ReadonlyMap<string, FeedSource>, stripTracking = true): MergedEntry {
  const primary = sources.get(story.feedId);
  return {
    id: story.publicId,
    title: cleanText(story.title) ?? '(untitled)',
    link: articleLink(story.link, stripTracking),
    published: story.published,
    updated: story.updated,
    summary: cleanText(story.summary),
    content: cleanText(story.content),
    columnist: cleanText(story.author) ?? cleanText(primary?.title),
    outlet: cleanText(primary?.outlet),
    categories: storyCategories(story, sources),
    origin: originOf(story.feedId, primary),
    sources: story.sources.map((source) => {
      const configured = sources.get(source.feedId);
      return {
        feed: cleanText(source.feedId) ?? '',
        outlet: outletName(source.feedId, configured),
        url: articleLink(source.link, stripTracking),
        firstSeen: source.firstSeenAt.toISOString(),
      };
    }),
  };
}

/** What the merged feeds call a source feed: its outlet, else its title, else its id. */
function outletName(feedId: string, configured: FeedSource | undefined): string {
  return cleanText(configured?.outlet) ?? cleanText(configured?.title) ?? cleanText(feedId) ?? '';
}

/**
 * The public URL of a configured feed: secrets dropped (redact.ts publicUrl) from the
 * WHATWG-serialized URL, so what is dropped is what fetch would send, then http(s) only.
 */
export function publicFeedUrl(url: string | null | undefined): string | null {
  const href = publishableLink(url);
  return href ? publishableLink(publicUrl(href)) : null;
}

function originOf(feedId: string, configured: FeedSource | undefined): MergedOrigin {
  const url = publicFeedUrl(configured?.url);
  // A URN's NSS is percent-encoded (RFC 8141 §2); cleanText has dropped lone surrogates, which encodeURIComponent refuses.
  return { title: outletName(feedId, configured), url, id: url ?? `urn:columnwire:feed:${encodeURIComponent(cleanText(feedId) ?? '')}` };
}

function storyCategories(story: Story, sources: ReadonlyMap<string, FeedSource>): string[] {
  const tags = story.sources.flatMap((source) => sources.get(source.feedId)?.tags ?? []);
  const names = [...story.categories, ...tags].map(cleanText).filter((name): name is string => name !== null);
  return [...new Set(names)];
}
