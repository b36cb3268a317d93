/**
 * Which OPML subscriptions become feeds.yaml entries: http(s) URLs only, each feed once (a
 * reader like Feedly lists a feed under every folder it is in; their tags are merged), none
 * that the config already has. Folders and categories become lower-case tags. Pure.
 */
import { canonicalUrl } from '../feeds/canonical-url.ts';
import type { FeedSource } from '../model.ts';
import { uniqueFeedId } from './derive-feed-id.ts';
import { normalizeTag } from './normalize-tag.ts';
import { findFeedByUrl } from './feed-lookup.ts';
import type { OpmlSubscription } from './parse-opml.ts';
import type { FeedEntry } from './render-feed-entry.ts';

export interface ImportPlan {
  entries: FeedEntry[];
  skipped: Array<{ url: string; reason: string }>;
}

// Exporters put the feed's own description here; columnwire's export puts the outlet, a short name.
const MAX_OUTLET_CHARS = 80;

/** Plans the import of `subscriptions` into a config that has `existing` feeds; `extraTags` go on every new entry. */
export function planOpmlImport(
  subscriptions: readonly OpmlSubscription[],
  existing: readonly FeedSource[],
  extraTags: readonly string[],
): ImportPlan {
  const entries: FeedEntry[] = [];
  const skipped: ImportPlan['skipped'] = [];
  // By canonical URL: the entry planned for it, or null when the config has it already.
  const planned = new Map<string, FeedEntry | null>();
  const taken = new Set(existing.map((feed) => feed.id));
  for (const original of subscriptions) {
    const subscription = { ...original, url: unwrapFeedScheme(original.url) };
    const canonical = canonicalUrl(subscription.url);
    if (canonical === null) {
      skipped.push({ url: subscription.url, reason: 'not an http(s) URL' });
      continue;
    }
    const tags = [
      ...subscription.folders.map(tagOf),
      ...subscription.categories.flatMap((category) => category.split('/').map((name) => tagOf(decodeCategoryName(name)))),
      ...extraTags.map(normalizeTag),
    ];
    if (planned.has(canonical)) {
      const again = planned.get(canonical);
      if (again) again.tags = unique([...(again.tags ?? []), ...tags]);
      continue;
    }
    const known = findFeedByUrl(existing, [subscription.url]);
    if (known) {
      // Reported once, however many folders list it.
      planned.set(canonical, null);
      skipped.push({ url: subscription.url, reason: `already in the config as "${known.id}"` });
      continue;
    }
    const id = uniqueFeedId(subscription.url, taken);
    taken.add(id);
    const outlet =
      subscription.description !== null && subscription.description.length <= MAX_OUTLET_CHARS ? subscription.description : null;
    const entry: FeedEntry = {
      url: subscription.url,
      id,
      ...(subscription.title !== null ? { title: subscription.title } : {}),
      ...(outlet !== null ? { outlet } : {}),
      tags: unique(tags),
    };
    planned.set(canonical, entry);
    entries.push(entry);
  }
  return { entries, skipped };
}

/** "Politics & Society" → "politics-society"; letters of any script stay. */
export function tagOf(name: string): string {
  return name
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '');
}

function unique(tags: readonly string[]): string[] {
  return [...new Set(tags.filter((tag) => tag !== ''))];
}

/** The old `feed:` pseudo-scheme (`feed://host/x`, `feed:https://host/x`) names an http(s) feed. */
function unwrapFeedScheme(url: string): string {
  if (/^feed:https?:\/\//i.test(url)) return url.slice(5);
  return url.replace(/^feed:\/\//i, 'http://');
}

/** A category name as `/opml` writes it (publish/build-opml.ts): "%25", "%2C" and "%2F" back to "%", "," and "/"; other text as is. */
function decodeCategoryName(name: string): string {
  return name.replace(/%(25|2C|2F)/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
