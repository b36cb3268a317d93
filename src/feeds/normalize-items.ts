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
  return identifySharedIds(items.filter(hasSomethingToShow).map((item) => normalizeItem(capItem(item), now)));
}

/**
 * Items sharing one id (a feed that gives every column its homepage as guid) get ids of their
 * own: the id and the first of these that no other item of that id shares: its link; its link
 * and title; its link, title and content hash; and a rank only for items identical in all of
 * these. Each item then keeps its own story whatever their order or a new one on top, instead of
 * one story overwritten by each in turn (the rank alone would shift with every new item), and
 * an edit keeps its story as long as what told it apart is unchanged. Capped like any id.
 */
function identifySharedIds(items: NormalizedItem[]): NormalizedItem[] {
  const ids = countKeys(items.map((item) => item.itemId));
  if (ids.size === items.length) return items;
  const tiers = [
    (item: NormalizedItem) => `${item.itemId}\n${item.canonicalUrl ?? ''}`,
    (item: NormalizedItem) => `${item.itemId}\n${item.canonicalUrl ?? ''}\n${item.title ?? ''}`,
    (item: NormalizedItem) => `${item.itemId}\n${item.canonicalUrl ?? ''}\n${item.title ?? ''}\n${item.contentHash}`,
  ];
  const counts = tiers.map((tier) => countKeys(items.map(tier)));
  const ranks = new Map<string, number>();
  return items.map((item) => {
    if (ids.get(item.itemId) === 1) return item;
    const unique = tiers.findIndex((tier, index) => counts[index]!.get(tier(item)) === 1);
    if (unique >= 0) return { ...item, itemId: capId(tiers[unique]!(item)) };
    const identical = tiers[tiers.length - 1]!(item);
    const rank = (ranks.get(identical) ?? 0) + 1;
    ranks.set(identical, rank);
    return { ...item, itemId: capId(`${identical}\n#${rank}`) };
  });
}

function countKeys(keys: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
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
