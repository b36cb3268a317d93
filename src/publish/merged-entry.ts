/**
 * Stories → the entries every merged-feed format writes, normalized once: text is plain
 * text with the characters XML 1.0 forbids dropped (JSON carries the same values as RSS
 * and Atom), and every link is an absolute http(s) URL or absent. Pure.
 */
import type { FeedSource, Story } from '../model.ts';
import { dropForbiddenXmlChars } from './xml-writer.ts';

/** One story as the merged feeds write it. */
export interface MergedEntry {
  /** `urn:columnwire:story:N`: valid whatever the story's link (RSS guid, Atom id, JSON id). */
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
  sources: MergedSource[];
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
 * The link as an absolute http(s) URL (WHATWG-serialized), or null: `javascript:`, `data:`,
 * `vbscript:` and every other scheme, relative references and unparseable text are dropped,
 * since a feed reader would make any of them a clickable link.
 */
export function publishableLink(link: string | null | undefined): string | null {
  if (!link) return null;
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    return null;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
}

/** The entry of one story; `sources` are the configured feeds by id. */
export function toMergedEntry(story: Story, sources: ReadonlyMap<string, FeedSource>): MergedEntry {
  const primary = sources.get(story.feedId);
  return {
    id: `urn:columnwire:story:${story.id}`,
    title: cleanText(story.title) ?? '(untitled)',
    link: publishableLink(story.link),
    published: story.published,
    updated: story.updated,
    summary: cleanText(story.summary),
    content: cleanText(story.content),
    columnist: cleanText(story.author) ?? cleanText(primary?.title),
    outlet: cleanText(primary?.outlet),
    categories: storyCategories(story, sources),
    sources: story.sources.map((source) => {
      const configured = sources.get(source.feedId);
      return {
        feed: cleanText(source.feedId) ?? '',
        outlet: cleanText(configured?.outlet) ?? cleanText(configured?.title) ?? cleanText(source.feedId) ?? '',
        url: publishableLink(source.link),
        firstSeen: source.firstSeenAt.toISOString(),
      };
    }),
  };
}

function storyCategories(story: Story, sources: ReadonlyMap<string, FeedSource>): string[] {
  const tags = story.sources.flatMap((source) => sources.get(source.feedId)?.tags ?? []);
  const names = [...story.categories, ...tags].map(cleanText).filter((name): name is string => name !== null);
  return [...new Set(names)];
}
