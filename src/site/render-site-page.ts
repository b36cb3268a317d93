/**
 * The readers' site as HTML: one layout (skip link, header with the site's navigation and
 * search, main, footer with the feeds of what is shown) around each page's content. No
 * script; everything printed is escaped; dates and numbers through Intl in `site.locale`. Pure.
 */
import { stripTrackingParams } from '../feeds/canonical-url.ts';
import { escapeHtml, excerpt, htmlToText, safeHref } from '../html-text.ts';
import type { FeedSource, Story } from '../model.ts';
import { SNIPPET_MARK } from '../storage/store.ts';
import { storySlug } from '../storage/story-public-id.ts';
import type { Columnist, Directory, Outlet } from './directory.ts';
import type { SiteLocale, SiteStrings } from './site-strings.ts';

/** What every page needs to know about the site. */
export interface SiteContext {
  title: string;
  /** Site root URL without a trailing slash. */
  baseUrl: string;
  locale: SiteLocale;
  timezone: string;
  strings: SiteStrings;
  directory: Directory;
  sources: ReadonlyMap<string, FeedSource>;
  /** Tags of the configured feeds, sorted. */
  tags: readonly string[];
  stripTracking: boolean;
  /** A digest is offered for signup: every page links /subscribe. */
  signup?: boolean;
}

/** A list of stories and where the next page starts (a query string), if there is one. */
export interface StoryPage {
  stories: readonly Story[];
  /** `?before=…` of the page after this one, or null on the last. */
  next: string | null;
  /** True when this is not the first page (a link back to the newest). */
  paged: boolean;
}

/** What a story's title line and byline show: no excerpt, so a story not cleaned (sanitize-content.ts) will do. */
export type StoryHeading = Pick<Story, 'title' | 'link' | 'author' | 'feedId' | 'publicId' | 'published'>;

/** A search result as the page shows it: the story's heading and its snippet with match marks (no excerpt). */
export interface SearchResult {
  story: StoryHeading;
  snippet: string;
}

const FORMATS = [
  ['RSS', 'feed.xml', 'application/rss+xml'],
  ['Atom', 'feed.atom', 'application/atom+xml'],
  ['JSON Feed', 'feed.json', 'application/feed+json'],
] as const;

/** Characters of excerpt on list pages and cards. */
const LIST_EXCERPT_CHARS = 240;
const CARD_EXCERPT_CHARS = 1200;
const MAX_TITLE_CHARS = 69;

const FAVICON =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='6' fill='%230b57d0'/%3E%3Cpath d='M8 9h16M8 16h16M8 23h10' stroke='white' stroke-width='3' stroke-linecap='round'/%3E%3C/svg%3E";

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1d1f;background:#fafafa}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem 1rem}
.skip:focus{left:0;z-index:1}
header,main,footer{max-width:46rem;margin:0 auto;padding:0 1rem}
header{padding-top:.8rem}
.site{font-weight:700;font-size:1.15rem;margin:0}
.site a{color:#1d1d1f;text-decoration:none}
nav ul{list-style:none;margin:.3rem 0;padding:0;display:flex;flex-wrap:wrap;gap:.2rem 1rem}
form.search{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center;margin:.5rem 0}
form.search input{flex:1 1 12rem;min-width:0;font:inherit;padding:.35rem .5rem;border:1px solid #767676;border-radius:4px}
button{font:inherit;padding:.35rem .8rem;border:1px solid #0b57d0;background:#0b57d0;color:#fff;border-radius:4px;cursor:pointer}
select{font:inherit;padding:.3rem;border:1px solid #767676;border-radius:4px;max-width:100%}
h1{font-size:1.6rem;margin:.8rem 0 .4rem}
article,.card{background:#fff;border:1px solid #e4e4e7;border-radius:8px;padding:.8rem 1rem;margin:.8rem 0;overflow-wrap:anywhere}
article h2{font-size:1.1rem;margin:0 0 .2rem}
.meta{font-size:.9rem;color:#4a4a4a;margin:0 0 .4rem}
.excerpt{margin:0}
.entry{display:flex;gap:.8rem;align-items:flex-start}
.entry img{width:64px;height:64px;border-radius:50%;object-fit:cover;flex:none}
mark{background:#ffe28a;color:inherit}
a{color:#0b57d0}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,.skip:focus{outline:3px solid #1d1d1f;outline-offset:2px}
.pager{display:flex;justify-content:space-between;gap:1rem;margin:1rem 0}
footer{font-size:.9rem;color:#4a4a4a;margin:2rem auto}
footer nav ul{gap:.2rem .8rem}
form.card input[type=email],form.card input[type=text]{font:inherit;padding:.35rem .5rem;border:1px solid #767676;border-radius:4px;width:100%;max-width:24rem}
fieldset{border:1px solid #e4e4e7;border-radius:6px;margin:.6rem 0;padding:.4rem .8rem}
.choice{display:inline-block;margin:.15rem .8rem .15rem 0}
summary{cursor:pointer;margin:.4rem 0}
.hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
@media (max-width:30rem){h1{font-size:1.35rem}}`;

/**
 * `path` of the site under `baseUrl`, without its scheme and host: where forms post and where a
 * form's answer redirects, so both stay at the address the page was opened at. The CSP's
 * `form-action 'self'` blocks a form posting (or redirected) to another origin, and a site
 * opened as http://127.0.0.1:8080 while `baseUrl` says http://localhost:8080 (the default) is
 * another origin.
 */
export function sitePath(baseUrl: string, path: string): string {
  return `${basePathOf(baseUrl)}${path}`;
}

/** The path of `baseUrl` without its trailing slash ("/news"; "" for a site at the root): where the site's paths begin. */
export function basePathOf(baseUrl: string): string {
  return new URL(baseUrl).pathname.replace(/\/+$/, '');
}

/** The whole page around `body`. `feedPath`: the path whose feed.xml/.atom/.json hold what is shown. */
export function renderLayout(
  ctx: SiteContext,
  page: { title: string; body: string; feedPath: string; feedTitle: string; query?: string },
): string {
  const base = ctx.baseUrl;
  const s = ctx.strings;
  const alternates = FORMATS.map(
    ([name, file, type]) =>
      `<link rel="alternate" type="${type}" title="${escapeHtml(`${page.feedTitle} (${name})`)}" href="${escapeHtml(`${base}${page.feedPath}/${file}`)}">`,
  );
  const feedLinks = FORMATS.map(([name, file]) => `<li><a href="${escapeHtml(`${base}${page.feedPath}/${file}`)}">${name}</a></li>`);
  // Tabs and search results show about 70 characters: a long headline is cut there, at a word (69 and "…").
  const title = excerpt(page.title === ctx.title ? ctx.title : `${page.title} – ${ctx.title}`, MAX_TITLE_CHARS);
  return `<!DOCTYPE html>
<html lang="${ctx.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="${FAVICON}">
${alternates.join('\n')}
<style>${STYLE}</style>
</head>
<body>
<a class="skip" href="#content">${escapeHtml(s.skipToContent)}</a>
<header>
<p class="site"><a href="${escapeHtml(`${base}/`)}">${escapeHtml(ctx.title)}</a></p>
<nav aria-label="${escapeHtml(s.siteNav)}"><ul>
<li><a href="${escapeHtml(`${base}/`)}">${escapeHtml(s.latest)}</a></li>
<li><a href="${escapeHtml(`${base}/columnists`)}">${escapeHtml(s.columnists)}</a></li>
<li><a href="${escapeHtml(`${base}/outlets`)}">${escapeHtml(s.outlets)}</a></li>
${ctx.signup ? `<li><a href="${escapeHtml(`${base}/subscribe`)}">${escapeHtml(s.subscribe)}</a></li>` : ''}
</ul></nav>
<form class="search" role="search" action="${escapeHtml(sitePath(ctx.baseUrl, '/search'))}" method="get">
<label for="q">${escapeHtml(s.searchLabel)}</label>
<input id="q" name="q" type="search" maxlength="256" value="${escapeHtml(page.query ?? '')}">
<button type="submit">${escapeHtml(s.searchButton)}</button>
</form>
</header>
<main id="content">
${page.body}
</main>
<footer>
<nav aria-label="${escapeHtml(s.followNav)}"><ul>${feedLinks.join('')}<li><a href="${escapeHtml(`${base}/opml`)}">OPML</a></li></ul></nav>
${ctx.tags.length > 0 ? `<nav aria-label="${escapeHtml(s.tags)}"><ul>${ctx.tags.map((tag) => `<li><a href="${escapeHtml(tagUrl(ctx, tag))}">${escapeHtml(tag)}</a></li>`).join('')}</ul></nav>` : ''}
<p>${escapeHtml(s.mergedBy(formatNumber(ctx, ctx.sources.size)))}</p>
</footer>
</body>
</html>
`;
}

/** `/`: the latest columns, paged. */
export function renderHomePage(ctx: SiteContext, page: StoryPage): string {
  const body = `<h1>${escapeHtml(ctx.strings.latest)}</h1>
${page.stories.length === 0 && !page.paged ? `<p>${escapeHtml(ctx.strings.noStories)}</p>` : renderStoryList(ctx, page.stories)}
${renderPager(ctx, '/', page)}`;
  return renderLayout(ctx, { title: ctx.title, body, feedPath: '', feedTitle: ctx.title });
}

/** `/columnists`: everyone, newest column first, filterable by outlet and tag. */
export function renderColumnistIndex(
  ctx: SiteContext,
  columnists: readonly Columnist[],
  filter: { outlet: string | null; tag: string | null },
): string {
  const s = ctx.strings;
  const options = (all: string, selected: string | null, values: ReadonlyArray<readonly [string, string]>) =>
    [
      `<option value="">${escapeHtml(all)}</option>`,
      ...values.map(
        ([value, label]) => `<option value="${escapeHtml(value)}"${value === selected ? ' selected' : ''}>${escapeHtml(label)}</option>`,
      ),
    ].join('');
  const form = `<form class="search" action="${escapeHtml(sitePath(ctx.baseUrl, '/columnists'))}" method="get">
<label for="outlet">${escapeHtml(s.outletFilter)}</label>
<select id="outlet" name="outlet">${options(
    s.allOutlets,
    filter.outlet,
    ctx.directory.outlets.map((outlet) => [outlet.slug, outlet.name] as const),
  )}</select>
<label for="tag">${escapeHtml(s.tagFilter)}</label>
<select id="tag" name="tag">${options(
    s.allTags,
    filter.tag,
    ctx.tags.map((tag) => [tag, tag] as const),
  )}</select>
<button type="submit">${escapeHtml(s.filter)}</button>
</form>`;
  const entries = columnists.map((columnist) => {
    const outlets = columnist.outlets.map((outlet) => `<a href="${escapeHtml(outletUrl(ctx, outlet))}">${isolated(outlet.name)}</a>`);
    const latest = columnist.latest
      ? `<p class="excerpt">${escapeHtml(s.latestColumn)}: <a href="${escapeHtml(storyUrl(ctx, columnist.latest.publicId))}">${isolated(columnist.latest.title ?? s.untitled)}</a> · ${renderTime(ctx, columnist.latest.published)}</p>`
      : '';
    return `<article class="entry">${renderPhoto(columnist)}<div>
<h2><a href="${escapeHtml(columnistUrl(ctx, columnist))}">${escapeHtml(columnist.name)}</a></h2>
<p class="meta">${[...(outlets.length > 0 ? [outlets.join(', ')] : []), escapeHtml(columnCount(ctx, columnist.stories))].join(' · ')}</p>
${latest}</div></article>`;
  });
  const body = `<h1>${escapeHtml(s.columnists)}</h1>
${form}
${entries.length === 0 ? `<p>${escapeHtml(s.noColumnists)}</p>` : entries.join('\n')}`;
  return renderLayout(ctx, { title: s.columnists, body, feedPath: '', feedTitle: ctx.title });
}

/** `/columnists/{slug}`: who they are, where they write, all their columns paged. */
export function renderColumnistPage(ctx: SiteContext, columnist: Columnist, page: StoryPage): string {
  const s = ctx.strings;
  const path = `/columnists/${encodeURIComponent(columnist.slug)}`;
  const outlets = columnist.outlets.map((outlet) => `<a href="${escapeHtml(outletUrl(ctx, outlet))}">${isolated(outlet.name)}</a>`);
  const feeds = FORMATS.map(([name, file]) => `<a href="${escapeHtml(`${ctx.baseUrl}${path}/${file}`)}">${name}</a>`).join(' ');
  const body = `<div class="entry">${renderPhoto(columnist)}<div>
<h1>${escapeHtml(columnist.name)}</h1>
${columnist.bio ? `<p>${escapeHtml(columnist.bio)}</p>` : ''}
<p class="meta">${[...(outlets.length > 0 ? [`${escapeHtml(s.writesFor)} ${outlets.join(', ')}`] : []), escapeHtml(columnCount(ctx, columnist.stories))].join(' · ')}</p>
<p class="meta">${escapeHtml(s.feedsOf(columnist.name))}: ${feeds}</p>
</div></div>
${renderStoryList(ctx, page.stories, { hideColumnist: true })}
${renderPager(ctx, path, page)}`;
  return renderLayout(ctx, { title: columnist.name, body, feedPath: path, feedTitle: `${ctx.title}: ${columnist.name}` });
}

/** `/outlets`: every outlet, newest column first. */
export function renderOutletIndex(ctx: SiteContext): string {
  const s = ctx.strings;
  const entries = ctx.directory.outlets.map((outlet) => {
    const latest = outlet.latest
      ? `<p class="excerpt">${escapeHtml(s.latestColumn)}: <a href="${escapeHtml(storyUrl(ctx, outlet.latest.publicId))}">${isolated(outlet.latest.title ?? s.untitled)}</a> · ${renderTime(ctx, outlet.latest.published)}</p>`
      : '';
    const columnists = ctx.directory.columnists.filter((columnist) => columnist.outlets.includes(outlet));
    const names = columnists
      .slice(0, 8)
      .map((columnist) => `<a href="${escapeHtml(columnistUrl(ctx, columnist))}">${isolated(columnist.name)}</a>`);
    return `<article>
<h2><a href="${escapeHtml(outletUrl(ctx, outlet))}">${escapeHtml(outlet.name)}</a></h2>
<p class="meta">${[...(names.length > 0 ? [names.join(', ') + (columnists.length > names.length ? ', …' : '')] : []), escapeHtml(columnCount(ctx, outlet.stories))].join(' · ')}</p>
${latest}</article>`;
  });
  const body = `<h1>${escapeHtml(s.outlets)}</h1>
${entries.length === 0 ? `<p>${escapeHtml(s.noOutlets)}</p>` : entries.join('\n')}`;
  return renderLayout(ctx, { title: s.outlets, body, feedPath: '', feedTitle: ctx.title });
}

/** `/outlets/{slug}`: its columnists and its columns, paged. */
export function renderOutletPage(ctx: SiteContext, outlet: Outlet, page: StoryPage): string {
  const path = `/outlets/${encodeURIComponent(outlet.slug)}`;
  const columnists = ctx.directory.columnists.filter((columnist) => columnist.outlets.includes(outlet));
  const body = `<h1>${escapeHtml(outlet.name)}</h1>
<p class="meta">${[...(columnists.length > 0 ? [columnists.map((columnist) => `<a href="${escapeHtml(columnistUrl(ctx, columnist))}">${isolated(columnist.name)}</a>`).join(', ')] : []), escapeHtml(columnCount(ctx, outlet.stories))].join(' · ')}</p>
${renderStoryList(ctx, page.stories, { hideOutlet: true })}
${renderPager(ctx, path, page)}`;
  return renderLayout(ctx, { title: outlet.name, body, feedPath: path, feedTitle: `${ctx.title}: ${outlet.name}` });
}

/** `/tags/{tag}`: the columns of the feeds with this tag, paged. */
export function renderTagPage(ctx: SiteContext, tag: string, page: StoryPage): string {
  const path = `/tags/${encodeURIComponent(tag)}`;
  const body = `<h1>${escapeHtml(ctx.strings.taggedWith(tag))}</h1>
${renderStoryList(ctx, page.stories)}
${renderPager(ctx, path, page)}`;
  return renderLayout(ctx, { title: ctx.strings.taggedWith(tag), body, feedPath: path, feedTitle: `${ctx.title}: ${tag}` });
}

/** `/stories/{id}`: one column's card, where it was published, and the columnist's other recent columns. */
export function renderStoryPage(ctx: SiteContext, story: Story, more: readonly Story[]): string {
  const s = ctx.strings;
  const columnist = ctx.directory.columnistOf(story.author, story.feedId);
  const outlet = ctx.directory.outletOf(story.feedId);
  const href = articleHref(ctx, story.link);
  const text = excerpt(htmlToText(story.summary ?? story.content), CARD_EXCERPT_CHARS);
  const outletName = outlet?.name ?? ctx.sources.get(story.feedId)?.title ?? null;
  const also = story.sources
    .filter((source) => source.feedId !== story.feedId)
    .map((source) => {
      const feed = ctx.sources.get(source.feedId);
      const name = ctx.directory.outletOf(source.feedId)?.name ?? feed?.title ?? source.feedId;
      const link = articleHref(ctx, source.link);
      return `<li>${link ? `<a href="${escapeHtml(link)}">${escapeHtml(name)}</a>` : escapeHtml(name)}</li>`;
    });
  const others = more.filter((other) => other.id !== story.id);
  const body = `<article class="card">
<h1>${escapeHtml(story.title ?? s.untitled)}</h1>
<p class="meta">${renderByline(ctx, story, {})}</p>
${text ? `<p>${escapeHtml(text)}</p>` : ''}
${href ? `<p><a href="${escapeHtml(href)}">${escapeHtml(outletName ? s.readAt(outletName) : s.readOriginal)}</a></p>` : ''}
${also.length > 0 ? `<h2>${escapeHtml(s.alsoIn)}</h2><ul>${also.join('')}</ul>` : ''}
</article>
${columnist && others.length > 0 ? `<h2>${escapeHtml(s.moreBy(columnist.name))}</h2>\n${renderStoryList(ctx, others, { hideColumnist: true, level: 3 })}` : ''}`;
  const feedPath = columnist ? `/columnists/${encodeURIComponent(columnist.slug)}` : '';
  return renderLayout(ctx, {
    title: story.title ?? s.untitled,
    body,
    feedPath,
    feedTitle: columnist ? `${ctx.title}: ${columnist.name}` : ctx.title,
  });
}

/** `/search?q=`: ranked results with highlighted snippets, paged by number. */
export function renderSearchPage(
  ctx: SiteContext,
  search: {
    shown: string;
    results: readonly SearchResult[];
    page: number;
    more: boolean;
    /** Columnists and outlets the search names (on its first page). */
    named?: { columnists: readonly Columnist[]; outlets: readonly Outlet[] };
  },
): string {
  const s = ctx.strings;
  const named = (label: string, links: string[]) =>
    links.length === 0 ? '' : `<p class="meta">${escapeHtml(label)}: ${links.join(', ')}</p>`;
  const directory = [
    named(
      s.columnists,
      (search.named?.columnists ?? []).map(
        (columnist) => `<a href="${escapeHtml(columnistUrl(ctx, columnist))}">${isolated(columnist.name)}</a>`,
      ),
    ),
    named(
      s.outlets,
      (search.named?.outlets ?? []).map((outlet) => `<a href="${escapeHtml(outletUrl(ctx, outlet))}">${isolated(outlet.name)}</a>`),
    ),
  ].join('');
  const link = (page: number) => `${ctx.baseUrl}/search?q=${encodeURIComponent(search.shown)}${page > 1 ? `&page=${page}` : ''}`;
  const heading = search.shown === '' ? s.search : s.resultsFor(search.shown);
  const items = search.results.map(
    ({ story, snippet }) => `<article>
<h2>${renderTitleLink(ctx, story)}</h2>
<p class="meta">${renderByline(ctx, story, {})}</p>
${snippet ? `<p class="excerpt">${renderSnippet(snippet)}</p>` : ''}
</article>`,
  );
  const pager = [
    search.page > 1 ? `<a rel="prev" href="${escapeHtml(link(search.page - 1))}">${escapeHtml(s.previous)}</a>` : '<span></span>',
    search.more ? `<a rel="next" href="${escapeHtml(link(search.page + 1))}">${escapeHtml(s.next)}</a>` : '',
  ];
  const body = `<h1>${escapeHtml(heading)}</h1>
${directory}
${search.shown === '' ? `<p>${escapeHtml(s.emptyQuery)}</p>` : items.length === 0 ? `<p>${escapeHtml(s.noResults)}</p>` : items.join('\n')}
${search.page > 1 || search.more ? `<nav class="pager" aria-label="${escapeHtml(s.pagesNav)}">${pager.join('')}</nav>` : ''}`;
  return renderLayout(ctx, { title: heading, body, feedPath: '', feedTitle: ctx.title, query: search.shown });
}

/** A 400 in the site's layout: what was wrong, in the words of the check that refused it. */
export function renderBadRequestPage(ctx: SiteContext, message: string): string {
  const body = `<h1>${escapeHtml(ctx.strings.badRequest)}</h1>\n<p>${escapeHtml(ctx.strings.badRequestText)}</p>\n<p><code>${escapeHtml(message)}</code></p>`;
  return renderLayout(ctx, { title: ctx.strings.badRequest, body, feedPath: '', feedTitle: ctx.title });
}

/** A 404 in the site's layout. */
export function renderNotFoundPage(ctx: SiteContext): string {
  const body = `<h1>${escapeHtml(ctx.strings.notFound)}</h1>\n<p>${escapeHtml(ctx.strings.notFoundText)}</p>`;
  return renderLayout(ctx, { title: ctx.strings.notFound, body, feedPath: '', feedTitle: ctx.title });
}

const MARKS = new RegExp(`([${SNIPPET_MARK.start}${SNIPPET_MARK.end}])`);

/** A snippet's text escaped, its marked matches in <mark>: marks never nest or stay open. */
export function renderSnippet(snippet: string): string {
  let open = false;
  let html = '';
  for (const part of snippet.split(MARKS)) {
    if (part === SNIPPET_MARK.start) {
      if (!open) html += '<mark>';
      open = true;
    } else if (part === SNIPPET_MARK.end) {
      if (open) html += '</mark>';
      open = false;
    } else html += escapeHtml(part);
  }
  return open ? `${html}</mark>` : html;
}

function renderStoryList(ctx: SiteContext, stories: readonly Story[], options: BylineOptions & { level?: number } = {}): string {
  const level = options.level ?? 2;
  return stories
    .map((story) => {
      const text = excerpt(htmlToText(story.summary ?? story.content), LIST_EXCERPT_CHARS);
      return `<article>
<h${level}>${renderTitleLink(ctx, story)}</h${level}>
<p class="meta">${renderByline(ctx, story, options)}</p>
${text ? `<p class="excerpt">${escapeHtml(text)}</p>` : ''}
</article>`;
    })
    .join('\n');
}

interface BylineOptions {
  hideColumnist?: boolean;
  hideOutlet?: boolean;
}

function renderTitleLink(ctx: SiteContext, story: StoryHeading): string {
  const title = escapeHtml(story.title ?? ctx.strings.untitled);
  const href = articleHref(ctx, story.link);
  return href ? `<a href="${escapeHtml(href)}">${title}</a>` : `<a href="${escapeHtml(storyUrl(ctx, story.publicId))}">${title}</a>`;
}

/**
 * A name or title from a feed or the config, escaped and isolated (`<bdi>`): an Arabic name
 * beside " · " and a date would otherwise pull the date's day into its right-to-left run, and
 * a direction override it holds (U+202E) would reverse what follows it on the line.
 */
function isolated(text: string): string {
  return `<bdi>${escapeHtml(text)}</bdi>`;
}

/** "Columnist · Outlet · date", each linking to its page; the date to the story's card. */
function renderByline(ctx: SiteContext, story: StoryHeading, options: BylineOptions): string {
  const columnist = ctx.directory.columnistOf(story.author, story.feedId);
  const outlet = ctx.directory.outletOf(story.feedId);
  const parts: string[] = [];
  if (!options.hideColumnist) {
    if (columnist) parts.push(`<a href="${escapeHtml(columnistUrl(ctx, columnist))}">${isolated(story.author ?? columnist.name)}</a>`);
    else if (story.author) parts.push(isolated(story.author));
  }
  if (!options.hideOutlet && outlet) parts.push(`<a href="${escapeHtml(outletUrl(ctx, outlet))}">${isolated(outlet.name)}</a>`);
  parts.push(`<a href="${escapeHtml(storyUrl(ctx, story.publicId))}">${renderTime(ctx, story.published)}</a>`);
  return parts.join(' · ');
}

function renderPager(ctx: SiteContext, path: string, page: StoryPage): string {
  if (!page.next && !page.paged) return '';
  const url = `${ctx.baseUrl}${path}`;
  const newest = page.paged ? `<a href="${escapeHtml(url)}">${escapeHtml(ctx.strings.newest)}</a>` : '<span></span>';
  const older = page.next ? `<a rel="next" href="${escapeHtml(`${url}${page.next}`)}">${escapeHtml(ctx.strings.older)}</a>` : '';
  // A cursor past the last column (an old link, a hand-made one): say so, not an empty page.
  const none = page.paged && page.stories.length === 0 ? `<p>${escapeHtml(ctx.strings.noOlder)}</p>\n` : '';
  return `${none}<nav class="pager" aria-label="${escapeHtml(ctx.strings.pagesNav)}">${newest}${older}</nav>`;
}

function renderPhoto(columnist: Columnist): string {
  const photo = safeHref(columnist.photo);
  return photo ? `<img src="${escapeHtml(photo)}" alt="" width="64" height="64">` : '';
}

function renderTime(ctx: SiteContext, date: Date): string {
  return `<time datetime="${date.toISOString()}">${escapeHtml(formatDate(ctx, date))}</time>`;
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();
/**
 * Dates formatted already, by locale, zone and minute (what the format shows): a page shows the
 * same stories' dates again and again, and ICU took about 10 µs for each (a fifth of the
 * server's own work on a page of 20 search results).
 */
const formattedDates = new Map<string, string>();
const MAX_FORMATTED_DATES = 20_000;

/** A date as the site shows it: day, month, year and time in `site.timezone`, written the `site.locale` way. */
export function formatDate(ctx: Pick<SiteContext, 'locale' | 'timezone'>, date: Date): string {
  const minute = `${ctx.locale}|${ctx.timezone}|${Math.floor(date.getTime() / 60_000)}`;
  const known = formattedDates.get(minute);
  if (known !== undefined) return known;
  const key = `${ctx.locale}|${ctx.timezone}`;
  let format = dateFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(ctx.locale === 'en' ? 'en-GB' : ctx.locale, {
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      timeZone: ctx.timezone,
      timeZoneName: 'short',
    });
    dateFormats.set(key, format);
  }
  const formatted = format.format(date);
  if (formattedDates.size >= MAX_FORMATTED_DATES) formattedDates.clear();
  formattedDates.set(minute, formatted);
  return formatted;
}

const numberFormats = new Map<string, Intl.NumberFormat>();

function formatNumber(ctx: SiteContext, value: number): string {
  let format = numberFormats.get(ctx.locale);
  if (!format) numberFormats.set(ctx.locale, (format = new Intl.NumberFormat(ctx.locale)));
  return format.format(value);
}

function columnCount(ctx: SiteContext, count: number): string {
  return count === 1 ? ctx.strings.oneColumn : ctx.strings.columnCount(formatNumber(ctx, count));
}

function articleHref(ctx: SiteContext, link: string | null): string | null {
  const href = safeHref(link);
  return href && ctx.stripTracking ? stripTrackingParams(href) : href;
}

export const storyUrl = (ctx: SiteContext, publicId: string) => `${ctx.baseUrl}/stories/${encodeURIComponent(storySlug(publicId))}`;
export const columnistUrl = (ctx: SiteContext, columnist: Columnist) => `${ctx.baseUrl}/columnists/${encodeURIComponent(columnist.slug)}`;
export const outletUrl = (ctx: SiteContext, outlet: Outlet) => `${ctx.baseUrl}/outlets/${encodeURIComponent(outlet.slug)}`;
export const tagUrl = (ctx: SiteContext, tag: string) => `${ctx.baseUrl}/tags/${encodeURIComponent(tag)}`;
