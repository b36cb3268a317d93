/**
 * How one fetched feed's items change the stored stories, decided before any write: pure, so
 * both backends (SQLite, PostgreSQL) store a feed the same way. An item is matched to a stored
 * story by, in order: its identity in its own feed (item key), its canonical link (URL key),
 * then the same folded title (and author, or feed) within a few days of publication. A match
 * adds a source or applies an edit; no match adds a story; an item whose source is stored with
 * the same content hash writes nothing at all (most polls: one new item among fifty known).
 */
import { createHash } from 'node:crypto';
import { MAX_KEY_CHARS } from '../feeds/cap-text.ts';
import { canonicalUrl } from '../feeds/canonical-url.ts';
import { qualifiedIds } from '../feeds/normalize-items.ts';
import { foldText } from '../fold-text.ts';
import type { NormalizedItem, SaveResult } from '../model.ts';
import { storyPublicId } from './story-public-id.ts';

/** Two re-issues of one column are at most this far apart. */
export const REISSUE_WINDOW_MS = 3 * 24 * 3600 * 1000;

/** The identity key of an item within its feed. */
export const itemKey = (feedId: string, itemId: string): string => `i:${feedId}\n${itemId}`;
/**
 * The identity key of a canonical link, the same from every feed. A link longer than
 * MAX_KEY_CHARS (percent-encoding makes a link of 2,000 emoji 24,000 characters) is keyed by
 * its hash: keys are indexed, and PostgreSQL refuses an index entry over about 2,700 bytes.
 */
export const urlKey = (canonicalUrl: string): string =>
  canonicalUrl.length <= MAX_KEY_CHARS ? `u:${canonicalUrl}` : `u:sha256:${createHash('sha256').update(canonicalUrl).digest('hex')}`;

/** The keys an item is known by: its item key, then its URL key when it has a link. */
export function keysOf(feedId: string, item: NormalizedItem): string[] {
  const byItem = itemKey(feedId, item.itemId);
  return item.canonicalUrl ? [byItem, urlKey(item.canonicalUrl)] : [byItem];
}

/** A stored story that may be an earlier issue of an item. */
export interface ReissueCandidate {
  id: number;
  titleKey: string;
  publishedMs: number;
  authorKey: string | null;
  feedId: string;
}

/** What the store read for one feed's items, in a few queries, before planning. */
export interface SaveLookups {
  /**
   * The items' keys already stored → the story each names (0: a tombstone of a story never kept).
   * Every item key is asked; the URL key may be left out for an item whose item key is stored
   * with this feed's source at the same content hash (see `needsUrlKey`).
   */
  keys: ReadonlyMap<string, number>;
  /** Of the stories those keys name, the ones still stored (the rest were pruned: tombstones). */
  stored: ReadonlySet<number>;
  /** This feed's source of each of those stories, by story id: its content hash. */
  sourceHashes: ReadonlyMap<number, string>;
  /** Stored stories sharing a title key with an unmatched item (see `reissueTitleKeys`). */
  reissueCandidates: readonly ReissueCandidate[];
  /** Of the stories the keys name, those this feed carries: what its id last named (see `namesAnotherColumn`). */
  carried: ReadonlyMap<number, CarriedStory>;
}

/** A stored story as this feed's source of it last had it. */
export interface CarriedStory {
  /** The story's title (the last edit's, from any feed). */
  title: string | null;
  /** The story's publication time (never edited). */
  publishedMs: number;
  /** The link of this feed's source of the story, as the feed gave it. */
  sourceLink: string | null;
}

/** A story the plan refers to: stored already (its id), or the plan's n-th new story. */
export type StoryRef = { kind: 'stored'; id: number } | { kind: 'new'; index: number };

export interface SavePlan {
  /** New stories, in item order; `StoryRef` `new` indexes this list. */
  inserts: Array<{ item: NormalizedItem; publicId: string }>;
  /** Sources to add: the feed now carries this story. */
  sources: Array<{ story: StoryRef; item: NormalizedItem }>;
  /** Stored stories the feed edited (new content hash): fields and the source's hash change. */
  edits: Array<{ storyId: number; item: NormalizedItem }>;
  /** Keys not stored yet, each bound to its story (tombstones to id 0); the first binding of a key wins. */
  keys: Array<{ key: string; story: StoryRef }>;
  /**
   * Item keys stored already that move to another story: the item they name now has a story of
   * its own (see `resolveClaims`). Rare: a feed listing two columns under keys of one story.
   */
  rebinds: Array<{ key: string; story: StoryRef }>;
  result: SaveResult;
  /** Whether anything the merged feeds show changes. */
  changed: boolean;
  /**
   * With `othersUnread`: an item matched a story this feed carries, which one of the document's
   * unread items may claim too (feeds/item-digest.ts). The plan is not to be applied: the store
   * refuses it (UnreadItemsConflict) and the poller reads the whole document.
   */
  needsWholeDocument: boolean;
}

/**
 * The other ids `item` may have been stored under, the most specific first: the qualified forms
 * of the id it shares with other items of its document (by link, title and content; by link and
 * title; by link), and that id itself. An item shares an id in one document and not in the next
 * (items come and go), so its story may be bound to any of these.
 */
export function otherItemIds(item: NormalizedItem): string[] {
  const given = item.sharedId ?? item.itemId;
  return [...qualifiedIds(given, item).reverse(), given].filter((id) => id !== item.itemId);
}

/**
 * The keys the store reads for `item` once its item key is read (`byItemKey`: what that gave):
 * none when the item key names a story this feed carries at the same content hash; else its URL
 * key and the item keys of its other ids (see `otherItemIds`).
 */
export function keysToReadNext(
  feedId: string,
  item: NormalizedItem,
  byItemKey: { storyId: number; stored: boolean; sourceHash: string | null } | undefined,
): string[] {
  if (byItemKey?.stored && byItemKey.sourceHash === item.contentHash) return [];
  const others = otherItemIds(item).map((id) => itemKey(feedId, id));
  // A tombstone (a column pruned, or one that shared the id and is still stored under another
  // form of it) is read with the URL key too: a link never stored is a new column under the id.
  return item.canonicalUrl ? [urlKey(item.canonicalUrl), ...others] : others;
}

/** The title keys whose stored stories `plan` may need: those of items no key matched. */
export function reissueTitleKeys(feedId: string, items: readonly NormalizedItem[], keys: ReadonlyMap<string, number>): string[] {
  const titleKeys = new Set<string>();
  for (const item of items) {
    if (!item.titleKey || keysOf(feedId, item).some((key) => keys.has(key))) continue;
    if (otherItemIds(item).every((id) => !keys.has(itemKey(feedId, id)))) titleKeys.add(item.titleKey);
  }
  return [...titleKeys];
}

/**
 * Plans saving one feed's items. `keepAfter`: unmatched items published before it only leave
 * tombstone keys. `isPublicIdTaken` answers for ids stored before this plan (rarely asked past
 * the first candidate; see `choosePublicId`). `othersUnread`: the document's known items were
 * left unread (they write nothing); an item matching a story this feed carries, which one of
 * them may claim (by key, or by taking it from a re-issue match), sets `needsWholeDocument`.
 */
export function planSave(
  feedId: string,
  items: readonly NormalizedItem[],
  lookups: SaveLookups,
  keepAfter: Date | null,
  isPublicIdTaken: (publicId: string) => boolean,
  othersUnread = false,
): SavePlan {
  const plan: SavePlan = {
    inserts: [],
    sources: [],
    edits: [],
    keys: [],
    rebinds: [],
    result: { added: 0, updated: 0, duplicates: 0 },
    changed: false,
    needsWholeDocument: false,
  };
  const bound = new Set<string>();
  const bind = (item: NormalizedItem, story: StoryRef, rebind: boolean): void => {
    for (const key of keysOf(feedId, item)) {
      if (rebind && key === itemKey(feedId, item.itemId)) {
        plan.rebinds.push({ key, story });
        continue;
      }
      if (lookups.keys.has(key) || bound.has(key)) continue; // INSERT OR IGNORE: the first binding stays
      bound.add(key);
      plan.keys.push({ key, story });
    }
  };
  // Key matches use what was stored before this document: a document listing one link twice
  // stores two stories, as it always has.
  const sharedLinks = linksListedTwice(items);
  const byKey = resolveClaims(
    items,
    items.map((item) => matchByKey(feedId, item, lookups, sharedLinks)),
    lookups.stored,
    (item) => lookups.keys.has(itemKey(feedId, item.itemId)),
  );
  const taken = new Set(byKey.flatMap((match) => (match.storyId === null ? [] : [match.storyId])));
  // Stories this document adds are re-issue candidates too (under negative ids), always taken:
  // an item never merges into a story its own document just added.
  const candidates = [...lookups.reissueCandidates];
  const newIds = new Set<string>();
  /** This feed's source hash of stored stories as the plan leaves it (sources added, edits). */
  const planned = new Map<number, string>();
  for (const [index, item] of items.entries()) {
    const { storyId: byKeyId, rebind } = byKey[index]!;
    const storyId = byKeyId ?? (rebind ? null : matchReissue(feedId, item, candidates, taken));
    if (othersUnread && storyId !== null && lookups.sourceHashes.has(storyId)) plan.needsWholeDocument = true;
    if (storyId === null) {
      if (keepAfter && item.published < keepAfter) {
        bind(item, { kind: 'stored', id: 0 }, rebind);
        plan.result.duplicates++;
        continue;
      }
      const publicId = choosePublicId(feedId, item, (id) => newIds.has(id) || isPublicIdTaken(id));
      newIds.add(publicId);
      const story: StoryRef = { kind: 'new', index: plan.inserts.length };
      if (item.titleKey) {
        const id = -1 - plan.inserts.length;
        candidates.push({ id, titleKey: item.titleKey, publishedMs: item.published.getTime(), authorKey: item.authorKey, feedId });
        taken.add(id);
      }
      plan.inserts.push({ item, publicId });
      plan.sources.push({ story, item });
      bind(item, story, rebind);
      plan.result.added++;
      continue;
    }
    taken.add(storyId);
    // A source this plan already adds or edits counts as stored: a second item of the document
    // matching the same story (by another key) then edits it or is a duplicate, never a second source.
    const hash = planned.get(storyId) ?? lookups.sourceHashes.get(storyId);
    // Known by its item key, and a tombstone or carried with the same content (which covers the
    // canonical link, so its URL key was bound with it): nothing to write, not even the keys
    // (needsUrlKey leaves those unread). Every other match binds the keys it lacks.
    const settled = (hash === item.contentHash || !lookups.stored.has(storyId)) && lookups.keys.has(itemKey(feedId, item.itemId));
    if (!settled) bind(item, { kind: 'stored', id: storyId }, rebind);
    if (!lookups.stored.has(storyId)) {
      plan.result.duplicates++; // a tombstone: pruned by retention, never new again
    } else if (hash === undefined) {
      plan.sources.push({ story: { kind: 'stored', id: storyId }, item });
      planned.set(storyId, item.contentHash);
      plan.result.duplicates++;
      plan.changed = true;
    } else if (hash !== item.contentHash) {
      plan.edits.push({ storyId, item });
      planned.set(storyId, item.contentHash);
      plan.result.updated++;
    } else {
      plan.result.duplicates++;
    }
  }
  plan.changed ||= plan.result.added + plan.result.updated > 0;
  return plan;
}

/** How surely a key match names the item's story: the strongest claim on a story wins it. */
const enum Match {
  /** By its link only. */
  Link = 1,
  /** By one of its ids. */
  Id = 2,
  /** A story this feed carries with exactly the item's content, by any of its keys. */
  Exact = 3,
}

/** The stored story an item's keys name, and how surely. */
interface KeyMatch {
  storyId: number | null;
  match: Match;
  /** Its id names a story of another column (see `namesAnotherColumn`): the item key moves to the item's story. */
  reusedId?: true;
}

/**
 * The stored story an item's keys name: its item key, the item keys of its other ids (see
 * `otherItemIds`), its URL key. A story this feed carries with exactly the item's content wins;
 * else the most specific id that names a story (a feed gave one guid to several columns, and
 * the id is qualified); else the link, unless other items of the document list it too and this
 * feed carries its story (then the link names none of them in particular).
 */
function matchByKey(feedId: string, item: NormalizedItem, lookups: SaveLookups, sharedLinks: ReadonlySet<string>): KeyMatch {
  // Most polls: the item key names the story this feed carries as it is; nothing more to weigh.
  const byOwnKey = lookups.keys.get(itemKey(feedId, item.itemId));
  if (byOwnKey !== undefined && lookups.sourceHashes.get(byOwnKey) === item.contentHash) return { storyId: byOwnKey, match: Match.Exact };
  const ids = [item.itemId, ...otherItemIds(item)];
  // The most specific first: the item's own id, unless it is the id as given while a qualified form names a story.
  if (item.sharedId === undefined) ids.push(ids.shift()!);
  const named = ids.flatMap((id) => {
    const story = lookups.keys.get(itemKey(feedId, id));
    return story === undefined ? [] : [{ id, story }];
  });
  const byIds = named.map(({ story }) => story);
  let byLink = item.canonicalUrl ? lookups.keys.get(urlKey(item.canonicalUrl)) : undefined;
  if (byLink !== undefined && sharedLinks.has(item.canonicalUrl!) && lookups.sourceHashes.has(byLink)) byLink = undefined;
  const exact = [...byIds, ...(byLink === undefined ? [] : [byLink])].find((story) => lookups.sourceHashes.get(story) === item.contentHash);
  if (exact !== undefined) return { storyId: exact, match: Match.Exact };
  // In a document that gives its id to others, the id as given may name any of their stories
  // (or a column gone): only its qualified forms count, unless the content is the same.
  const own = named.find(({ id }) => id !== item.sharedId);
  if (own && !namesAnotherColumn(item, own.story, lookups)) return { storyId: own.story, match: Match.Id };
  return { storyId: byLink ?? null, match: Match.Link, ...(own ? { reusedId: true as const } : {}) };
}

/**
 * Whether the story the item's id names is another column: the feed gave the id to a new column
 * (a CMS numbering its items "1", "2"… by position, one guid for every item). A story this feed
 * carries, when link, title and date all changed: an edit keeps at least one (a typo fixed keeps
 * the link and date; a site moved keeps titles and dates; a slug rewritten with its title keeps
 * the date). A pruned story (a tombstone), when the item's link was never stored: the tombstone
 * keeps out the column it was, listed again, not every later column under its id.
 */
function namesAnotherColumn(item: NormalizedItem, storyId: number, lookups: SaveLookups): boolean {
  if (item.canonicalUrl === null) return false;
  if (!lookups.stored.has(storyId)) return !lookups.keys.has(urlKey(item.canonicalUrl));
  const carried = lookups.carried.get(storyId);
  const carriedUrl = canonicalUrl(carried?.sourceLink ?? null);
  return (
    carried !== undefined &&
    carriedUrl !== null &&
    carriedUrl !== item.canonicalUrl &&
    foldText(carried.title) !== foldText(item.title) &&
    carried.publishedMs !== item.published.getTime()
  );
}

/** The canonical links more than one item of the document lists. */
function linksListedTwice(items: readonly NormalizedItem[]): Set<string> {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const item of items) if (item.canonicalUrl) (seen.has(item.canonicalUrl) ? twice : seen).add(item.canonicalUrl);
  return twice;
}

/**
 * One stored story per column of the document. When several items with different content match
 * one stored story (a feed listing a column and its re-issue, or two columns under one link),
 * merging them would edit the story back and forth on every fetch. The story goes to the
 * surest claim (see `Match`; the first item among equals), and each other item gets a story of
 * its own: `storyId` null, and `rebind` when its item key is stored (naming that story) and
 * must move to the new one, so that the next fetch finds it there. Items with the same content
 * as the winner stay duplicates.
 */
function resolveClaims(
  items: readonly NormalizedItem[],
  matches: readonly KeyMatch[],
  stored: ReadonlySet<number>,
  isItemKeyStored: (item: NormalizedItem) => boolean,
): Array<{ storyId: number | null; rebind: boolean }> {
  const resolved = matches.map((match, index) => ({
    storyId: match.storyId,
    rebind: match.reusedId === true && isItemKeyStored(items[index]!),
  }));
  const owner = new Map<number, string>();
  for (const strength of [Match.Exact, Match.Id, Match.Link]) {
    for (const [index, match] of matches.entries()) {
      if (match.match !== strength || match.storyId === null || !stored.has(match.storyId)) continue;
      const claim = owner.get(match.storyId);
      if (claim === undefined) owner.set(match.storyId, items[index]!.contentHash);
      else if (claim !== items[index]!.contentHash) resolved[index] = { storyId: null, rebind: isItemKeyStored(items[index]!) };
    }
  }
  return resolved;
}

/**
 * A re-issue: same folded title, and same author or same feed, published within a few days;
 * the earliest such story. A story some other item of this same document already is cannot be
 * this one's earlier issue (a daily "Letters to the editor" lists many items of one title).
 */
function matchReissue(
  feedId: string,
  item: NormalizedItem,
  candidates: readonly ReissueCandidate[],
  taken: ReadonlySet<number>,
): number | null {
  if (!item.titleKey) return null;
  const at = item.published.getTime();
  let best: ReissueCandidate | null = null;
  for (const candidate of candidates) {
    if (candidate.titleKey !== item.titleKey || Math.abs(candidate.publishedMs - at) > REISSUE_WINDOW_MS) continue;
    if (candidate.authorKey !== item.authorKey && candidate.feedId !== feedId) continue;
    if (!best || candidate.publishedMs < best.publishedMs || (candidate.publishedMs === best.publishedMs && candidate.id < best.id)) {
      best = candidate;
    }
  }
  return best && !taken.has(best.id) ? best.id : null;
}

/**
 * The story's public id from its identity key. A story with that key would have matched, so
 * the id is free, except for a document listing one link (or one item id) twice: the later
 * item, stored as its own story, then gets the id of its item key, or of the key and its rank.
 * Still a function of the feeds alone, whatever database stores them.
 */
export function choosePublicId(feedId: string, item: NormalizedItem, isTaken: (publicId: string) => boolean): string {
  const byItem = itemKey(feedId, item.itemId);
  const keys = item.canonicalUrl ? [urlKey(item.canonicalUrl), byItem] : [byItem];
  for (let rank = 2; ; rank++) {
    const id = storyPublicId(keys.shift() ?? `${byItem}\n#${rank}`);
    if (!isTaken(id)) return id;
  }
}

/** The first public id a new item would take: what the store asks about in one query. */
export function firstPublicId(feedId: string, item: NormalizedItem): string {
  return publicIdCandidates(feedId, item, 1)[0]!;
}

/** The first `count` public ids `choosePublicId` would try for `item`, in order (a store may ask about all at once). */
export function publicIdCandidates(feedId: string, item: NormalizedItem, count: number): string[] {
  const candidates: string[] = [];
  choosePublicId(feedId, item, (id) => candidates.push(id) < count);
  return candidates;
}
