/**
 * The source feeds as an OPML 2.0 subscription list (http://opml.org/spec2.opml). Each feed
 * is listed once, under its first tag, so importing never subscribes twice; all its tags
 * are kept in the `category` attribute.
 *
 * The list is public (GET /opml): a private feed's URL is listed without its user name,
 * password and secret parameters (src/redact.ts publicUrl), so a subscriber sees the source
 * and brings their own access. Only an operator's backup (`opml export --include-secrets`)
 * keeps them.
 */
import type { FeedSource, FeedState } from '../model.ts';
import { publicUrl } from '../redact.ts';
import { cleanText, publishableLink } from './merged-entry.ts';
import { escapeXml } from './xml-writer.ts';

export interface OpmlFeed {
  source: FeedSource;
  /** The feed's current URL (after permanent redirects and autodiscovery). */
  url: string;
  /** The feed's own title and site, when known from polling. */
  title: string | null;
  siteLink: string | null;
}

export interface OpmlOptions {
  /** Keep credentials in the URLs (a private backup, never a served document); default false. */
  includeSecrets?: boolean;
  /**
   * The site's columnist feeds, listed after the sources in a group of their own (named by
   * `label`): a reader subscribes to a person there, or to the sources above, not to both.
   */
  columnists?: { label: string; feeds: ReadonlyArray<{ name: string; xmlUrl: string; htmlUrl: string }> };
}

/** The OPML entries of the configured feeds, at the URLs their stored state says to fetch. */
export function opmlFeeds(sources: readonly FeedSource[], states: readonly FeedState[]): OpmlFeed[] {
  const byId = new Map(states.map((state) => [state.id, state]));
  return sources.map((source) => {
    const state = byId.get(source.id);
    return { source, url: state?.url ?? source.url, title: state?.title ?? null, siteLink: state?.siteLink ?? null };
  });
}

/** Renders the OPML document for `feeds`. */
export function buildOpml(title: string, feeds: readonly OpmlFeed[], now: Date, options: OpmlOptions = {}): string {
  const shown = options.includeSecrets ? feeds : feeds.map(withoutSecrets);
  const groups = new Map<string, OpmlFeed[]>();
  for (const feed of shown) {
    const tag = feed.source.tags[0] ?? '';
    groups.set(tag, [...(groups.get(tag) ?? []), feed]);
  }
  const tagged = [...groups.entries()].filter(([tag]) => tag !== '').sort(([a], [b]) => a.localeCompare(b));
  const body = [
    ...tagged.map(
      ([tag, members]) =>
        `    <outline text="${attribute(tag)}" title="${attribute(tag)}">\n${members.map((feed) => `  ${outline(feed)}`).join('\n')}\n    </outline>`,
    ),
    ...(groups.get('') ?? []).map(outline),
    ...(options.columnists && options.columnists.feeds.length > 0
      ? [
          `    <outline text="${attribute(options.columnists.label)}" title="${attribute(options.columnists.label)}">\n${options.columnists.feeds
            .map(
              (feed) =>
                `      <outline type="rss" text="${attribute(cleanText(feed.name) ?? feed.xmlUrl)}" title="${attribute(cleanText(feed.name) ?? feed.xmlUrl)}" xmlUrl="${attribute(feed.xmlUrl)}" htmlUrl="${attribute(feed.htmlUrl)}"/>`,
            )
            .join('\n')}\n    </outline>`,
        ]
      : []),
  ];
  return `<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head>
    <title>${escapeXml(title, 'text')}</title>
    <dateCreated>${now.toUTCString()}</dateCreated>
    <docs>http://opml.org/spec2.opml</docs>
  </head>
  <body>
${body.join('\n')}
  </body>
</opml>
`;
}

/**
 * Public URLs: no user, password or secret parameter (dropped rather than masked: a masked
 * token is no use to a reader), written as RFC 3986 URIs (merged-entry.ts publishableLink), as
 * OPML 2.0 wants for xmlUrl and htmlUrl; a site link that is not http(s) is left out.
 */
function withoutSecrets(feed: OpmlFeed): OpmlFeed {
  const url = publicUrl(feed.url);
  return { ...feed, url: publishableLink(url) ?? url, siteLink: feed.siteLink === null ? null : publishableLink(publicUrl(feed.siteLink)) };
}

function outline(feed: OpmlFeed): string {
  // OPML 2.0 requires `text`: a title that is nothing but characters XML forbids counts as none.
  const name = cleanText(feed.source.title) ?? cleanText(feed.title) ?? feed.source.id;
  const attributes: Array<[string, string | null]> = [
    ['type', 'rss'],
    ['text', name],
    ['title', name],
    ['xmlUrl', feed.url],
    ['htmlUrl', feed.siteLink],
    ['description', feed.source.outlet],
    ['category', feed.source.tags.length > 0 ? feed.source.tags.map((tag) => `/${categoryName(tag)}`).join(',') : null],
  ];
  const rendered = attributes
    .filter(([, value]) => value)
    .map(([key, value]) => ` ${key}="${attribute(value!)}"`)
    .join('');
  return `    <outline${rendered}/>`;
}

/**
 * An attribute value as our XML writer escapes it (xml-writer.ts): characters XML 1.0 forbids
 * dropped (a byline may hold U+FFFE, a title a control character), tab and newline kept as
 * references, which attribute-value normalization would turn into spaces.
 */
function attribute(value: string): string {
  return escapeXml(value, 'attribute');
}

/**
 * A tag as one name of OPML's `category` ("comma-separated slash-delimited category strings",
 * as RSS 2.0's category): a "," or "/" inside it would split it, so those (and "%") are
 * percent-encoded, as in the tag's URL; `opml import` decodes them (config/plan-opml-import.ts).
 */
function categoryName(tag: string): string {
  return tag.replace(/[%,/]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}
