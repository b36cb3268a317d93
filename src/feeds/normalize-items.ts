/**
 * ParsedItem → NormalizedItem: fields capped in size (cap-text.ts), dates settled against
 * the moment the item was first seen, and the keys deduplication matches on. Pure: `now` is
 * an argument.
 */
import { foldText } from '../fold-text.ts';
import { createHash } from 'node:crypto';
import type { NormalizedItem, ParsedItem } from '../model.ts';
import { capCategories, capHtml, capId, capLine, capLink } from './cap-text.ts';
import { canonicalUrl } from './canonical-url.ts';

/** Feeds' clocks drift; a date this far ahead is still taken at its word. */
const FUTURE_TOLERANCE_MS = 10 * 60 * 1000;
/** Shorter folded titles ("Opinion", "Letters") are too common to identify a story. */
const MIN_TITLE_KEY_LENGTH = 12;

/** Normalizes one feed's items for storage, as seen at `now`. */
export function normalizeItems(items: ParsedItem[], now: Date): NormalizedItem[] {
  return items.filter(hasSomethingToShow).map((item) => normalizeItem(capItem(item), now));
}

/** Whether a story made of the item would show a reader anything: a title, a link or a body. */
export function hasSomethingToShow(item: ParsedItem): boolean {
  return Boolean(item.title || item.link || item.summary || item.content);
}

/** The item with every stored text within its cap: what one story costs is bounded. */
function capItem(item: ParsedItem): ParsedItem {
  return {
    ...item,
    id: capId(item.id),
    title: capLine(item.title),
    link: capLink(item.link),
    author: capLine(item.author),
    summary: capHtml(item.summary),
    content: capHtml(item.content),
    categories: capCategories(item.categories),
  };
}

function normalizeItem(item: ParsedItem, now: Date): NormalizedItem {
  // An undated or future-dated item is dated when first seen; the claim is kept aside.
  const trusted = item.published !== null && item.published.getTime() <= now.getTime() + FUTURE_TOLERANCE_MS;
  const published = trusted ? item.published! : now;
  const updatedTrusted = item.updated !== null && item.updated.getTime() <= now.getTime() + FUTURE_TOLERANCE_MS;
  const titleKey = foldText(item.title);
  const canonical = canonicalUrl(item.link);
  return {
    itemId: item.id,
    canonicalUrl: canonical,
    titleKey: titleKey !== null && titleKey.length >= MIN_TITLE_KEY_LENGTH ? titleKey : null,
    authorKey: foldText(item.author),
    contentHash: hashContent(item, canonical),
    title: item.title,
    link: item.link,
    author: item.author,
    ...(item.authorFromFeed ? { authorFromFeed: true as const } : {}),
    published,
    claimedPublished: trusted ? null : item.published,
    updated: updatedTrusted && item.updated!.getTime() > published.getTime() ? item.updated! : published,
    summary: item.summary,
    content: item.content,
    categories: item.categories,
  };
}

/** Hashes what a reader sees; the canonical link, so rotating tracking parameters are no edit. */
function hashContent(item: ParsedItem, canonical: string | null): string {
  const parts = [item.title, canonical ?? item.link, item.author, item.summary, item.content, item.categories.join('\u001f')];
  return createHash('sha1')
    .update(parts.map((part) => part ?? '').join('\u001e'))
    .digest('base64url');
}
