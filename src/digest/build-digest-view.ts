/**
 * Stories → what a digest shows: groups, story lines in the reader's time zone, excerpts,
 * the overflow list and the source-health note. Pure: time and data are arguments.
 */
import { storySlug } from '../storage/story-public-id.ts';
import type { DigestConfig } from '../config/schema.ts';
import { stripTrackingParams } from '../feeds/canonical-url.ts';
import { excerpt, htmlToText } from '../html-text.ts';
import type { FeedSource, FeedState, Story } from '../model.ts';
import { sanitizeContent } from '../publish/sanitize-content.ts';
import { redactSecrets } from '../redact.ts';

export const EXCERPT_CHARS = 300;
const FAILING_AFTER_MS = 24 * 3600 * 1000;
const SILENT_AFTER_MS = 21 * 24 * 3600 * 1000;

export interface StoryView {
  title: string;
  link: string;
  meta: string;
  excerpt: string;
  alsoIn: string | null;
  /** The story's card on the site (/stories/{id}): "Read on the web". */
  cardUrl: string;
}

export interface DigestView {
  subject: string;
  title: string;
  dateLabel: string;
  count: number;
  countLabel: string;
  groups: Array<{ name: string | null; stories: StoryView[] }>;
  /** Stories beyond the full ones: `stories` listed by title, `hidden` more only counted. */
  more: { count: number; stories: Array<{ title: string; link: string }>; hidden: number } | null;
  health: { feeds: Array<{ name: string; problem: string }> } | null;
  feedUrl: string;
  webUrl: string;
  /** /subscribe, when a digest is offered for signup (so a reader can pass it on); else null. */
  subscribeUrl: string | null;
  unsubscribeUrl: string;
}

export interface DigestViewInput {
  digest: DigestConfig;
  title: string;
  baseUrl: string;
  stories: readonly Story[];
  sources: ReadonlyMap<string, FeedSource>;
  feeds: readonly FeedState[];
  lastNewStory: ReadonlyMap<string, Date>;
  now: Date;
  /** How many stories get a full entry; the rest are listed by title (maxItems, or fewer to fit the size limit). */
  fullStories: number;
  /** How many of the rest are listed by title (all unless the size limit needs fewer). */
  listedStories?: number;
  unsubscribeUrl: string;
  /** A digest is offered on /subscribe. */
  signup?: boolean;
  /** `publish.stripTracking`: article links without tracking parameters (default true). */
  stripTracking?: boolean;
}

/** The subject line: `{date}`, `{count}`, `{id}` and `{title}` filled in. */
export function formatSubject(template: string, values: { date: string; count: number; id: string; title: string }): string {
  return template.replace(/\{(date|count|id|title)\}/g, (_match, key: keyof typeof values) => String(values[key]));
}

/** Builds the view of a digest of `stories` (newest first). */
export function buildDigestView(input: DigestViewInput): DigestView {
  const { digest, now } = input;
  const base = input.baseUrl.replace(/\/+$/, '');
  const full = input.stories.slice(0, input.fullStories);
  const rest = input.stories.slice(input.fullStories);
  const shortDate = new Intl.DateTimeFormat('en-GB', { timeZone: digest.timezone, day: 'numeric', month: 'short', year: 'numeric' }).format(
    now,
  );
  const count = input.stories.length;
  return {
    subject: formatSubject(digest.subject, { date: shortDate, count, id: digest.id, title: input.title }),
    title: input.title,
    dateLabel: new Intl.DateTimeFormat('en-GB', {
      timeZone: digest.timezone,
      weekday: 'long',
      day: 'numeric',
      month: 'long',
      year: 'numeric',
    }).format(now),
    count,
    countLabel: count === 1 ? '1 new column' : `${count} new columns`,
    groups: group(full, digest.groupBy, input.sources).map(([name, stories]) => ({
      name,
      stories: stories.map((story) => storyView(story, input)),
    })),
    more:
      rest.length === 0
        ? null
        : {
            count: rest.length,
            stories: rest
              .slice(0, input.listedStories ?? rest.length)
              .map((story) => ({ title: story.title ?? '(untitled)', link: linkOf(story, base, input.stripTracking) })),
            hidden: Math.max(0, rest.length - (input.listedStories ?? rest.length)),
          },
    health: healthNote(input),
    feedUrl: `${base}/feed.xml`,
    webUrl: `${base}/`,
    subscribeUrl: input.signup ? `${base}/subscribe` : null,
    unsubscribeUrl: input.unsubscribeUrl,
  };
}

function group(
  stories: readonly Story[],
  by: DigestConfig['groupBy'],
  sources: ReadonlyMap<string, FeedSource>,
): Array<[string | null, Story[]]> {
  if (by === 'none') return stories.length === 0 ? [] : [[null, [...stories]]];
  const groups = new Map<string, Story[]>();
  for (const story of stories) {
    const source = sources.get(story.feedId);
    const key =
      by === 'outlet'
        ? (source?.outlet ?? 'Other outlets')
        : by === 'columnist'
          ? (story.author ?? source?.title ?? 'Unknown columnist')
          : (source?.tags[0] ?? 'Untagged');
    groups.set(key, [...(groups.get(key) ?? []), story]);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
}

function storyView(story: Story, input: DigestViewInput): StoryView {
  const source = input.sources.get(story.feedId);
  const outlet = source?.outlet ?? null;
  const columnist = story.author ?? source?.title ?? null;
  const time = formatStoryTime(story.published, input.digest.timezone);
  const others = [
    ...new Set(
      story.sources
        .filter((other) => other.feedId !== story.feedId)
        .map((other) => input.sources.get(other.feedId)?.outlet ?? input.sources.get(other.feedId)?.title ?? other.feedId)
        .filter((name) => name !== outlet),
    ),
  ];
  const base = input.baseUrl.replace(/\/+$/, '');
  const cardUrl = `${base}/stories/${encodeURIComponent(storySlug(story.publicId))}`;
  return {
    title: story.title ?? '(untitled)',
    link: linkOf(story, cardUrl, input.stripTracking),
    cardUrl,
    meta: [columnist, outlet, time].filter((part): part is string => part !== null).join(' · '),
    // The one cleaning step every output shares: no pixel, share bar, footer or "Continue reading" tail.
    excerpt: excerpt(htmlToText(cleaned(story.summary ?? story.content, story.link)), EXCERPT_CHARS),
    alsoIn: others.length > 0 ? others.join(', ') : null,
  };
}

// Each English locale knows the short names of its own zones (en-GB: BST, en-US: EDT…).
const ZONE_NAME_LOCALES = ['en-GB', 'en-US', 'en-CA', 'en-AU', 'en-NZ', 'en-IN', 'en-ZA', 'en-IE'];

/** "1 Jul, 07:30 BST": day, time and the zone's short name where one exists, else "GMT+2". */
export function formatStoryTime(date: Date, timeZone: string): string {
  const format = (locale: string) =>
    new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: 'short' }).formatToParts(date).find((part) => part.type === 'timeZoneName')
      ?.value ?? '';
  const zone = ZONE_NAME_LOCALES.map(format).find((name) => !/^(GMT|UTC)[+-−]/.test(name)) ?? format('en-GB');
  const dayTime = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(date);
  return `${dayTime} ${zone}`;
}

/** The article link when it is http(s) (tracking parameters dropped unless turned off), else the web page. */
/** The article's link, or the story's card when it has none (or one that is not http(s)). */
function linkOf(story: Story, cardUrl: string, stripTracking = true): string {
  if (!story.link || !/^https?:\/\//i.test(story.link)) return cardUrl;
  return stripTracking ? stripTrackingParams(story.link) : story.link;
}

function cleaned(html: string | null, link: string | null): string | null {
  return html === null ? null : sanitizeContent(html, link);
}

function healthNote(input: DigestViewInput): DigestView['health'] {
  const now = input.now.getTime();
  const feeds = input.feeds.flatMap((feed) => {
    const name = input.sources.get(feed.id)?.title ?? feed.title ?? feed.id;
    const lastSuccess = feed.lastSuccessAt?.getTime() ?? null;
    if (feed.consecutiveErrors > 0 && (lastSuccess === null || now - lastSuccess > FAILING_AFTER_MS)) {
      const since =
        lastSuccess === null ? 'never fetched successfully' : `failing for ${Math.floor((now - lastSuccess) / 86_400_000) || 1} day(s)`;
      // Every recipient reads this note: the error names the feed's URL, never its password or token.
      const error =
        feed.lastError === null
          ? 'unknown error'
          : redactSecrets(feed.lastError, [feed.url, feed.configuredUrl, input.sources.get(feed.id)?.url]);
      return [{ name, problem: `${since}: ${error}` }];
    }
    const lastNew = input.lastNewStory.get(feed.id)?.getTime();
    if (lastSuccess !== null && lastNew !== undefined && now - lastNew > SILENT_AFTER_MS) {
      return [{ name, problem: `no new column for ${Math.floor((now - lastNew) / (7 * 86_400_000))} weeks` }];
    }
    return [];
  });
  return feeds.length > 0 ? { feeds } : null;
}
