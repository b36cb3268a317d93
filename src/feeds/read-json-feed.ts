/** JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1), read directly. */
import type { ParsedFeedMeta } from '../model.ts';
import { cleanAuthor, cleanBody, cleanText, plainTextToHtml, resolveLink } from './clean-text.ts';
import { parseDate } from './parse-date.ts';
import type { RawItem } from './raw-item.ts';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null;
}

/** True when `value` is a JSON Feed document (a version URL or at least an items array). */
export function isJsonFeed(value: unknown): value is Json {
  if (!isObject(value)) return false;
  const version = str(value.version);
  return version?.startsWith('https://jsonfeed.org/version/') === true || Array.isArray(value.items);
}

/** Feed-level fields of a JSON Feed. */
export function readJsonFeedMeta(feed: Json, baseUrl: string | null): ParsedFeedMeta {
  return {
    title: cleanText(str(feed.title)),
    link: resolveLink(str(feed.home_page_url), baseUrl),
    description: cleanBody(str(feed.description)),
    language: str(feed.language),
    updated: null,
    ttlMinutes: null,
  };
}

/** Names in JSON Feed 1.1 `authors` or 1.0 `author`. */
export function jsonFeedAuthors(node: Json): string[] {
  const people = Array.isArray(node.authors) ? node.authors : node.author === undefined ? [] : [node.author];
  return people
    .map((person) => cleanAuthor(isObject(person) ? str(person.name) : str(person)))
    .filter((name): name is string => name !== null);
}

/** The items array, skipping entries that are not objects. */
export function jsonFeedItems(feed: Json): Json[] {
  return Array.isArray(feed.items) ? feed.items.filter(isObject) : [];
}

/** One JSON Feed item, before ids and fallbacks are settled. */
export function readJsonFeedItem(item: Json, baseUrl: string | null): RawItem {
  return {
    guid: str(item.id)?.trim() || null,
    title: cleanText(str(item.title)),
    link: resolveLink(str(item.url) ?? str(item.external_url), baseUrl),
    authors: jsonFeedAuthors(item),
    published: parseDate(str(item.date_published)),
    updated: parseDate(str(item.date_modified)),
    // The spec's `summary` and `content_text` are plain text; what is stored is HTML.
    summary: plainTextToHtml(str(item.summary)),
    content: cleanBody(str(item.content_html)) ?? plainTextToHtml(str(item.content_text)),
    categories: Array.isArray(item.tags) ? item.tags.map(str) : [],
  };
}
