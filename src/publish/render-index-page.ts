/**
 * The small HTML home page: latest stories, subscribe links for every format and tag, and
 * <link rel="alternate"> tags for feed autodiscovery. Pure; no JavaScript; everything
 * printed is escaped.
 */
import type { FeedSource, Story } from '../model.ts';
import { escapeHtml, excerpt, htmlToText, safeHref } from '../html-text.ts';
import { stripTrackingParams } from '../feeds/canonical-url.ts';

export interface IndexPageOptions {
  title: string;
  /** Site root URL without a trailing slash. */
  baseUrl: string;
  tags: readonly string[];
  sources: ReadonlyMap<string, FeedSource>;
  /** `publish.stripTracking`: article links without tracking parameters (default true). */
  stripTracking?: boolean;
}

const FORMATS = [
  ['RSS', 'feed.xml', 'application/rss+xml'],
  ['Atom', 'feed.atom', 'application/atom+xml'],
  ['JSON Feed', 'feed.json', 'application/feed+json'],
] as const;

const STYLE = `
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1d1f;background:#fafafa}
main{max-width:42rem;margin:0 auto;padding:1rem}
h1{font-size:1.6rem;margin:.5rem 0}
nav{font-size:.9rem;color:#555}nav a{margin-right:.6rem}
article{background:#fff;border:1px solid #e4e4e7;border-radius:8px;padding:.8rem 1rem;margin:.8rem 0;overflow-wrap:anywhere}
article h2{font-size:1.1rem;margin:0 0 .2rem}
.meta{font-size:.85rem;color:#555;margin:0 0 .4rem}
.excerpt{margin:0}
a{color:#0b57d0}
footer{font-size:.85rem;color:#555;margin:2rem 0}`;

/** Renders the page for the newest `stories`. */
export function renderIndexPage(stories: readonly Story[], options: IndexPageOptions): string {
  const base = options.baseUrl;
  const alternates = FORMATS.map(
    ([name, file, type]) =>
      `<link rel="alternate" type="${type}" title="${escapeHtml(`${options.title} (${name})`)}" href="${escapeHtml(`${base}/${file}`)}">`,
  );
  const subscribe = FORMATS.map(([name, file]) => `<a href="${escapeHtml(`${base}/${file}`)}">${name}</a>`).join(' ');
  const tagLinks = options.tags.map((tag) => {
    const path = `${base}/tags/${encodeURIComponent(tag)}/feed.xml`;
    return `<a href="${escapeHtml(path)}">${escapeHtml(tag)}</a>`;
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title)}</title>
${alternates.join('\n')}
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(options.title)}</h1>
<nav aria-label="Subscribe">Subscribe: ${subscribe} · <a href="${escapeHtml(`${base}/opml`)}">OPML</a></nav>
${tagLinks.length > 0 ? `<nav aria-label="Tags">Tags: ${tagLinks.join(' ')}</nav>` : ''}
${stories.length === 0 ? '<p>No stories yet: the feeds have not been polled, or had nothing new.</p>' : stories.map((story) => renderStory(story, options)).join('\n')}
<footer>Merged by columnwire from ${options.sources.size} feed${options.sources.size === 1 ? '' : 's'}.</footer>
</main>
</body>
</html>
`;
}

function renderStory(story: Story, options: IndexPageOptions): string {
  const source = options.sources.get(story.feedId);
  const columnist = story.author ?? source?.title ?? null;
  const outlet = source?.outlet ?? null;
  const text = excerpt(htmlToText(story.summary ?? story.content), 240);
  const title = escapeHtml(story.title ?? '(untitled)');
  const link = safeHref(story.link);
  const href = link && options.stripTracking !== false ? stripTrackingParams(link) : link;
  const meta = [columnist, outlet].filter((part): part is string => part !== null).map(escapeHtml);
  const when = `<time datetime="${story.published.toISOString()}">${escapeHtml(formatTime(story.published))}</time>`;
  return `<article>
<h2>${href ? `<a href="${escapeHtml(href)}">${title}</a>` : title}</h2>
<p class="meta">${[...meta, when].join(' · ')}</p>
${text ? `<p class="excerpt">${escapeHtml(text)}</p>` : ''}
</article>`;
}

function formatTime(date: Date): string {
  return `${date.toLocaleString('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' })} UTC`;
}
