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
/** Characters of a folded title or author kept for matching: at most 2,048 bytes of UTF-8. */
const MAX_FOLDED_CHARS = 512;

/** Normalizes one feed's items for storage, as seen at `now`. */
export function normalizeItems(items: ParsedItem[], now: Date): NormalizedItem[] {
  return identifySharedIds(items.filter(hasSomethingToShow).map((item) => normalizeItem(capItem(item), now)));
}

/**
 * Items sharing one id (a feed that gives every column its homepage as guid) get ids of their
 * own: the id qualified by the first of these that no other item of that id shares: its link;
 * its link and title; its link, title and content (see `qualifiedIds`). Any id still taken
 * (identical items, or a guid shaped like a qualified one) gets a rank. Each item then keeps its
 * own story; when the others in the document change which qualifier tells it apart, the store
 * still finds it through the other qualified forms of its id (plan-save.ts, matchByKey).
 */
function identifySharedIds(items: NormalizedItem[]): NormalizedItem[] {
  const ids = countKeys(items.map((item) => item.itemId));
  if (ids.size === items.length) return items;
  const qualified = items.map((item) => qualifiedIds(item.itemId, item));
  const counts = [0, 1, 2].map((tier) => countKeys(qualified.map((forms) => forms[tier]!)));
  const named = items.map((item, index): NormalizedItem => {
    if (ids.get(item.itemId) === 1) return item;
    const forms = qualified[index]!;
    const tier = [0, 1, 2].find((candidate) => counts[candidate]!.get(forms[candidate]!) === 1) ?? 2;
    return { ...item, itemId: forms[tier]!, sharedId: item.itemId };
  });
  // Unique at last: the first item keeps an id, each later one taking it gets the next free rank.
  const taken = new Set(named.map((item) => item.itemId));
  const seen = new Set<string>();
  /** The next rank to try for each id: linear however many identical items share it. */
  const nextRank = new Map<string, number>();
  return named.map((item) => {
    if (!seen.has(item.itemId)) {
      seen.add(item.itemId);
      return item;
    }
    let rank = nextRank.get(item.itemId) ?? 2;
    while (taken.has(`${item.itemId}\n#${rank}`)) rank++;
    nextRank.set(item.itemId, rank + 1);
    const itemId = `${item.itemId}\n#${rank}`;
    taken.add(itemId);
    seen.add(itemId);
    return { ...item, itemId, sharedId: item.sharedId ?? item.itemId };
  });
}

/**
 * The qualified forms of an id shared by several items, the least specific first: by link; by
 * link and title; by link, title and content. Each is the id and what qualifies it, every part
 * prefixed with its length (so no two qualifications read alike), capped like any id (a hash
 * past MAX_KEY_BYTES). Cheap: no digest unless that long.
 */
export function qualifiedIds(id: string, item: Pick<NormalizedItem, 'canonicalUrl' | 'title' | 'contentHash'>): string[] {
  const parts = [item.canonicalUrl ?? '', item.title ?? '', item.contentHash].map((part) => `${part.length}:${part}`);
  return [`${id}\n~${parts[0]}`, `${id}\n~${parts[0]}${parts[1]}`, `${id}\n~${parts[0]}${parts[1]}${parts[2]}`].map((qualified) =>
    capId(qualified),
  );
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
  const titleKey = capFolded(foldText(item.title));
  const canonical = canonicalUrl(item.link);
  return {
    itemId: item.id,
    canonicalUrl: canonical,
    titleKey: titleKey !== null && titleKey.length >= MIN_TITLE_KEY_LENGTH ? titleKey : null,
    authorKey: capFolded(foldText(item.author)),
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

/**
 * A folded title or author cut to MAX_FOLDED_CHARS: both are indexed (PostgreSQL refuses an
 * index entry over about 2,700 bytes, 900 characters of CJK), and a longer prefix tells no more.
 */
function capFolded(folded: string | null): string | null {
  if (folded === null || folded.length <= MAX_FOLDED_CHARS) return folded;
  const code = folded.charCodeAt(MAX_FOLDED_CHARS - 1);
  return folded.slice(0, code >= 0xd800 && code <= 0xdbff ? MAX_FOLDED_CHARS - 1 : MAX_FOLDED_CHARS);
}

/** Hashes what a reader sees; the canonical link, so rotating tracking parameters are no edit. */
function hashContent(item: ParsedItem, canonical: string | null): string {
  const parts = [item.title, canonical ?? item.link, item.author, item.summary, item.content, item.categories.join('\u001f')];
  return createHash('sha1')
    .update(parts.map((part) => part ?? '').join('\u001e'))
    .digest('base64url');
}
