/**
 * The readers' site's pages as documents (with ETags, Last-Modified and compressed variants,
 * like the feeds): each path and query is read here, the store asked, the page rendered.
 * First pages are kept until the store's content changes; later pages and searches are built
 * per request (one indexed query each). Stories are cleaned like the feeds before any excerpt
 * (a search result shows none: its snippet is made from the indexed text).
 */
import type { RawConfig } from '../config/schema.ts';
import type { FeedSource, Story } from '../model.ts';
import type { PublishedDocument } from '../publish/published-feeds.ts';
import type { Byline, Store, StoryCursor, StoryQuery } from '../storage/store.ts';
import { buildDirectory, type Directory } from './directory.ts';
import {
  renderColumnistIndex,
  renderColumnistPage,
  renderHomePage,
  renderBadRequestPage,
  renderNotFoundPage,
  renderOutletIndex,
  renderOutletPage,
  renderSearchPage,
  renderStoryPage,
  renderTagPage,
  type SiteContext,
  type StoryPage,
} from './render-site-page.ts';
import { formatSearchTerms, parseSearchQuery } from './search-query.ts';
import { siteStrings } from './site-strings.ts';
import { LEGACY_ID_PREFIX } from '../storage/story-public-id.ts';

export interface SitePagesOptions {
  store: Store;
  title: string;
  baseUrl: string;
  sources: readonly FeedSource[];
  site: RawConfig['site'];
  columnists: RawConfig['columnists'];
  stripTracking: boolean;
  /** A digest is offered on /subscribe. */
  signup: boolean;
  /** Cleans stories as every output does (sanitized summaries: no tracking pixel or "appeared first" footer). */
  clean(stories: readonly Story[]): Promise<Story[]>;
  /**
   * Wraps a page's HTML with its validators (Last-Modified: when built; see PublishedFeeds).
   * `perRequest`: built for each request (a search), so no Last-Modified: the ETag alone.
   */
  document(html: string, perRequest?: boolean): PublishedDocument;
  /** A kept page built again under `key`: the Last-Modified of its last build when the bytes are the same (see PublishedFeeds). */
  rebuilt(key: string, document: PublishedDocument): PublishedDocument;
  /** Keeps a first page until the store changes. */
  memo(key: string, build: () => Promise<PublishedDocument>): Promise<PublishedDocument>;
  /** The store's content version (cached by the caller). */
  version(): Promise<number>;
  now(): Date;
}

/** What a site request gets: a page, with its status. */
export interface SiteResponse {
  status: 200 | 404;
  document: PublishedDocument;
}

/** A request the site refuses as malformed: 400 with this text. */
export class SiteRequestError extends Error {
  override name = 'SiteRequestError';
}

/** Later pages (past the first) kept per store version, and as many story cards apart from them. */
const MAX_LATER_PAGES = 512;

/**
 * Tokens of named outlets and columnists one search brings at most, shared by its words (1,000
 * for one word, 500 each for two, 125 each for eight; an outlet's feeds before columnists'):
 * more than the feeds of an outlet one would follow, but a prefix naming hundreds of
 * columnists would make the ranking slow; the words themselves still match.
 */
const MAX_QUERY_TOKENS = 1_000;

/** The highest search page served: deeper pages of a ranked list are not worth their cost. */
export const MAX_SEARCH_PAGE = 50;

const PAGE_ROUTE = /^\/(columnists|outlets|tags|stories)\/([^/]+)$/;
const CURSOR = /^(\d{1,15})\.(\d{1,15})$/;

export type SitePages = ReturnType<typeof createSitePages>;

/** Creates the site over a store. */
export function createSitePages(options: SitePagesOptions) {
  const sources = new Map(options.sources.map((source) => [source.id, source]));
  const tags = [...new Set(options.sources.flatMap((source) => source.tags))].sort();
  const strings = siteStrings(options.site.locale);
  const pageSize = options.site.pageSize;
  let directoryCache: { version: number; directory: Promise<Directory> } | null = null;

  async function context(): Promise<SiteContext> {
    const version = await options.version();
    if (directoryCache?.version !== version) {
      const directory = options.store.bylineStats().then((stats) => buildDirectory(stats, options.sources, options.columnists));
      directory.catch(() => (directoryCache = null));
      directoryCache = { version, directory };
    }
    return {
      title: options.title,
      baseUrl: options.baseUrl,
      locale: options.site.locale,
      timezone: options.site.timezone,
      strings,
      directory: await directoryCache.directory,
      sources,
      tags,
      stripTracking: options.stripTracking,
      signup: options.signup,
    };
  }

  /** One page of stories after `before`, cleaned, and the cursor of the next. */
  async function storyPage(query: Omit<StoryQuery, 'limit' | 'before'>, before: StoryCursor | null): Promise<StoryPage> {
    const stories = await options.store.listStories({ ...query, limit: pageSize + 1, ...(before ? { before } : {}) });
    const shown = stories.slice(0, pageSize);
    const last = shown.at(-1);
    return {
      stories: await options.clean(shown),
      next: stories.length > pageSize && last ? `?before=${last.published.getTime()}.${last.id}` : null,
      paged: before !== null,
    };
  }

  const html = (text: string): PublishedDocument => options.document(text);
  const ok = (document: PublishedDocument): SiteResponse => ({ status: 200, document });
  const notFound = async (): Promise<SiteResponse> => ({
    status: 404,
    document: options.document(renderNotFoundPage(await context())),
  });

  /**
   * Documents kept apart from first pages and feeds, until the store changes, in a pool of
   * MAX_LATER_PAGES: a crawler walking every cursor or every story cannot push those out.
   */
  function keptApart(pool: string): (key: string, build: () => Promise<PublishedDocument>) => Promise<PublishedDocument> {
    let kept = { version: -1, pages: new Map<string, Promise<PublishedDocument>>() };
    return async (key, build) => {
      const version = await options.version();
      if (kept.version !== version) kept = { version, pages: new Map() };
      const { pages } = kept;
      let page = pages.get(key);
      if (!page) {
        if (pages.size >= MAX_LATER_PAGES) pages.delete(pages.keys().next().value!);
        const made = build().then((document) => options.rebuilt(`${pool}:${key}`, document));
        made.catch(() => pages.delete(key));
        pages.set(key, (page = made));
      }
      return page;
    };
  }
  const laterPage = keptApart('later');
  const storyCard = keptApart('story');
  // A site may have hundreds of columnists: a crawler reading each one's page must not push the
  // home page and the feeds out of the documents kept with them.
  const namedPage = keptApart('named');

  /**
   * A paged list: every page kept until the store changes (the home page's first with the feeds;
   * a columnist's, an outlet's or a tag's first page (`named`) and every later page apart).
   */
  async function listed(
    key: string,
    before: StoryCursor | null,
    build: (before: StoryCursor | null) => Promise<PublishedDocument>,
    named = true,
  ): Promise<SiteResponse> {
    if (!before) return ok(await (named ? namedPage(key, () => build(null)) : options.memo(key, () => build(null))));
    return ok(await laterPage(`${key}:${before.published.getTime()}.${before.id}`, () => build(before)));
  }

  return {
    /** What every page knows about the site now (the columnists and outlets of the store's current content). */
    context,

    /** True for the paths the site answers (its pages; the feeds under them are the server's). */
    handles(path: string): boolean {
      return (
        path === '/' ||
        path === '/index.html' ||
        path === '/columnists' ||
        path === '/outlets' ||
        path === '/search' ||
        PAGE_ROUTE.test(path)
      );
    },

    /** The page for a path and query; SiteRequestError for a malformed one. */
    async page(path: string, params: URLSearchParams): Promise<SiteResponse> {
      // Read by the pages that page only: elsewhere a stray `before` is no error.
      const before = (): StoryCursor | null => readCursor(params.get('before'));
      if (path === '/' || path === '/index.html') {
        return listed(
          'home',
          before(),
          async (cursor) => {
            const page = await storyPage({}, cursor);
            return html(renderHomePage(await context(), page));
          },
          false,
        );
      }
      if (path === '/columnists') {
        const outlet = params.get('outlet') || null;
        const tag = params.get('tag') || null;
        const ctx = await context();
        if ((outlet && !ctx.directory.outlet(outlet)) || (tag && !tags.includes(tag))) return notFound();
        return ok(
          await options.memo(`columnists:${outlet ?? ''}:${tag ?? ''}`, async () => {
            // Kept pages are built from the context read again: a poll committing since `ctx` was
            // read moves the store's version, and a page kept under it must show that version.
            const current = await context();
            const chosen = current.directory.columnists.filter(
              (columnist) =>
                (!outlet || columnist.outlets.some((entry) => entry.slug === outlet)) && (!tag || columnist.tags.includes(tag)),
            );
            return html(renderColumnistIndex(current, chosen, { outlet, tag }));
          }),
        );
      }
      if (path === '/outlets') return ok(await options.memo('outlets', async () => html(renderOutletIndex(await context()))));
      if (path === '/search') return ok(await search(params));
      const [, kind, raw] = PAGE_ROUTE.exec(path) ?? [];
      const name = safeDecode(raw ?? '');
      if (!kind || name === null) return notFound();
      const ctx = await context();
      if (kind === 'columnists') {
        const columnist = ctx.directory.columnist(name);
        if (!columnist) return notFound();
        return listed(`columnist:${name}`, before(), async (cursor) => {
          const current = await context();
          const shown = current.directory.columnist(name) ?? columnist;
          const page = await storyPage({ byline: shown.byline }, cursor);
          return html(renderColumnistPage(current, shown, page));
        });
      }
      if (kind === 'outlets') {
        const outlet = ctx.directory.outlet(name);
        if (!outlet) return notFound();
        return listed(`outlet:${name}`, before(), async (cursor) => {
          const current = await context();
          const shown = current.directory.outlet(name) ?? outlet;
          const page = await storyPage({ feedIds: shown.feedIds }, cursor);
          return html(renderOutletPage(current, shown, page));
        });
      }
      if (kind === 'tags') {
        if (!tags.includes(name)) return notFound();
        const feedIds = options.sources.filter((source) => source.tags.includes(name)).map((source) => source.id);
        return listed(`tag:${name}`, before(), async (cursor) => {
          const page = await storyPage({ feedIds }, cursor);
          return html(renderTagPage(await context(), name, page));
        });
      }
      // A story's card, by the last segment of its public id.
      if (!/^[0-9a-f]{1,64}$/.test(name)) return notFound();
      const found = await options.store.storyByPublicId(`${LEGACY_ID_PREFIX}${name}`);
      if (!found) return notFound();
      return ok(
        await storyCard(name, async () => {
          const current = await context();
          const [story] = await options.clean([found]);
          const columnist = current.directory.columnistOf(found.author, found.feedId);
          const more = columnist ? await options.clean(await options.store.listStories({ byline: columnist.byline, limit: 6 })) : [];
          return html(renderStoryPage(current, story!, more.slice(0, 6)));
        }),
      );
    },

    /** The 400 page for a malformed request (a SiteRequestError's message), in the site's layout and language. */
    async badRequest(message: string): Promise<PublishedDocument> {
      return options.document(renderBadRequestPage(await context(), message));
    },

    /** Each columnist's RSS feed and page, as /opml lists them, under the site's word for columnists. */
    async columnistFeeds(): Promise<{ label: string; feeds: Array<{ name: string; xmlUrl: string; htmlUrl: string }> }> {
      const { directory } = await context();
      const feeds = directory.columnists.map((columnist) => {
        const page = `${options.baseUrl}/columnists/${encodeURIComponent(columnist.slug)}`;
        return { name: columnist.name, xmlUrl: `${page}/feed.xml`, htmlUrl: page };
      });
      return { label: strings.columnists, feeds };
    },

    /** The feeds of a columnist or an outlet: the story query and the feed's own path, or null when unknown. */
    async scope(
      kind: 'columnists' | 'outlets',
      slug: string,
    ): Promise<{ path: string; subtitle: string; byline?: Byline; feedIds?: string[] } | null> {
      const { directory } = await context();
      const path = `/${kind}/${encodeURIComponent(slug)}`;
      if (kind === 'columnists') {
        const columnist = directory.columnist(slug);
        return columnist ? { path, subtitle: columnist.name, byline: columnist.byline } : null;
      }
      const outlet = directory.outlet(slug);
      return outlet ? { path, subtitle: outlet.name, feedIds: outlet.feedIds } : null;
    },
  };

  async function search(params: URLSearchParams): Promise<PublishedDocument> {
    const query = params.get('q') ?? '';
    const terms = parseSearchQuery(query);
    const pageParam = params.get('page');
    const page = pageParam === null ? 1 : /^\d{1,3}$/.test(pageParam) ? Number(pageParam) : NaN;
    if (!(page >= 1 && page <= MAX_SEARCH_PAGE)) throw new SiteRequestError(`page must be a whole number from 1 to ${MAX_SEARCH_PAGE}.`);
    const ctx = await context();
    // A word naming an outlet or a columnist (by name or alias) finds their columns too.
    // Each word its share of the tokens a search may bring, whatever its place in the query.
    const share = Math.floor(MAX_QUERY_TOKENS / Math.max(1, terms.length));
    const searched = terms.map((term) => ({ ...term, tokens: ctx.directory.searchTokens(term, share) }));
    const hits =
      terms.length === 0
        ? []
        : await options.store.searchStories({ terms: searched, limit: pageSize + 1, offset: (page - 1) * pageSize, now: options.now() });
    // A result shows its story's heading and snippet, never its excerpt: nothing to clean (cleaning
    // the 20 stories of a page cost 0.9 ms of the server's CPU when they were not cleaned before).
    const results = hits.slice(0, pageSize);
    return options.document(
      renderSearchPage(ctx, {
        shown: formatSearchTerms(terms),
        results,
        page,
        more: hits.length > pageSize && page < MAX_SEARCH_PAGE,
        ...(page === 1 ? { named: ctx.directory.named(terms) } : {}),
      }),
      true,
    );
  }
}

/** `?before=PUBLISHED_MS.ID`, or null when absent; SiteRequestError when malformed. */
function readCursor(value: string | null): StoryCursor | null {
  if (value === null) return null;
  const match = CURSOR.exec(value);
  if (!match) throw new SiteRequestError('before must be a page cursor such as 1764000000000.42, as the "Older columns" link gives.');
  return { published: new Date(Number(match[1])), id: Number(match[2]) };
}

function safeDecode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}
