/**
 * Deduplicated stories. An item is matched to a stored story by, in order: its identity in
 * its own feed, its canonical link, then the same folded title (and author, or feed) within
 * a few days of publication. A match adds a source or applies an edit; no match adds a story.
 */
import type { NormalizedItem, SaveResult, Story, StorySource } from '../model.ts';
import type { Database } from './database.ts';
import { storyPublicId } from './story-public-id.ts';

const REISSUE_WINDOW_MS = 3 * 24 * 3600 * 1000;

interface StoryRow {
  id: number;
  feed_id: string;
  title: string | null;
  link: string | null;
  canonical_url: string | null;
  author: string | null;
  published_at: number;
  claimed_published_at: number | null;
  updated_at: number;
  summary: string | null;
  content: string | null;
  categories: string;
  first_seen_at: number;
  public_id: string;
}

interface SourceRow {
  story_id: number;
  feed_id: string;
  link: string | null;
  first_seen_at: number;
}

/** Which stories to list. */
export interface StoryQuery {
  limit: number;
  /** Only stories that appeared in one of these feeds. */
  feedIds?: readonly string[];
}

export type StoryStore = ReturnType<typeof createStoryStore>;

const itemKey = (feedId: string, itemId: string): string => `i:${feedId}\n${itemId}`;
const urlKey = (canonicalUrl: string): string => `u:${canonicalUrl}`;

/** Builds the story store over an open database. */
export function createStoryStore(db: Database) {
  const findKey = db.prepare<[string], { story_id: number }>(`SELECT story_id FROM story_keys WHERE key = ?`);
  const addKey = db.prepare(`INSERT OR IGNORE INTO story_keys (key, story_id) VALUES (?, ?)`);
  const publicIdTaken = db.prepare<[string], { id: number }>(`SELECT id FROM stories WHERE public_id = ?`);
  const storyExists = db.prepare<[number], { id: number }>(`SELECT id FROM stories WHERE id = ?`);
  const findReissue = db.prepare<[string, number, number, string | null, string], { id: number }>(`
    SELECT id FROM stories
    WHERE title_key = ? AND published_at BETWEEN ? AND ? AND (author_key = ? OR feed_id = ?)
    ORDER BY published_at LIMIT 1`);
  const insertStory = db.prepare(`
    INSERT INTO stories (feed_id, title, link, canonical_url, author, title_key, author_key, published_at,
      claimed_published_at, updated_at, summary, content, categories, first_seen_at, public_id)
    VALUES (@feedId, @title, @link, @canonicalUrl, @author, @titleKey, @authorKey, @published,
      @claimedPublished, @updated, @summary, @content, @categories, @now, @publicId)`);
  const editStory = db.prepare(`
    UPDATE stories SET title = @title, link = @link, author = @author, title_key = coalesce(@titleKey, title_key),
      author_key = @authorKey, updated_at = max(@updated, @now), summary = @summary, content = @content,
      categories = @categories
    WHERE id = @id`);
  const findSource = db.prepare<[number, string], { content_hash: string }>(
    `SELECT content_hash FROM story_sources WHERE story_id = ? AND feed_id = ?`,
  );
  const addSource = db.prepare(`INSERT INTO story_sources (story_id, feed_id, link, first_seen_at, content_hash) VALUES (?, ?, ?, ?, ?)`);
  const setSourceHash = db.prepare(`UPDATE story_sources SET content_hash = ?, link = ? WHERE story_id = ? AND feed_id = ?`);

  function matchByKey(feedId: string, item: NormalizedItem): number | null {
    const byItem = findKey.get(itemKey(feedId, item.itemId));
    if (byItem) return byItem.story_id;
    const byUrl = item.canonicalUrl ? findKey.get(urlKey(item.canonicalUrl)) : undefined;
    return byUrl?.story_id ?? null;
  }

  /** A re-issue: same folded title, and same author or same feed, published within a few days. */
  function matchReissue(feedId: string, item: NormalizedItem, taken: ReadonlySet<number>): number | null {
    if (!item.titleKey) return null;
    const at = item.published.getTime();
    const match = findReissue.get(item.titleKey, at - REISSUE_WINDOW_MS, at + REISSUE_WINDOW_MS, item.authorKey, feedId);
    // A story some other item of this same document already is cannot be this one's earlier issue
    // (a daily "Letters to the editor" lists many items of one title).
    return match && !taken.has(match.id) ? match.id : null;
  }

  /**
   * The story's public id from its identity key. A story with that key would have matched, so
   * the id is free, except for a document listing one link (or one item id) twice: the later
   * item, stored as its own story as before, then gets the id of its item key, or of the key and
   * its rank. Still a function of the feeds alone, whatever database stores them.
   */
  function freePublicId(feedId: string, item: NormalizedItem): string {
    const byItem = itemKey(feedId, item.itemId);
    const keys = item.canonicalUrl ? [urlKey(item.canonicalUrl), byItem] : [byItem];
    for (let rank = 2; ; rank++) {
      const id = storyPublicId(keys.shift() ?? `${byItem}\n#${rank}`);
      if (!publicIdTaken.get(id)) return id;
    }
  }

  function bindKeys(feedId: string, item: NormalizedItem, storyId: number): void {
    addKey.run(itemKey(feedId, item.itemId), storyId);
    if (item.canonicalUrl) addKey.run(urlKey(item.canonicalUrl), storyId);
  }

  function fields(item: NormalizedItem, now: Date) {
    return {
      title: item.title,
      link: item.link,
      author: item.author,
      titleKey: item.titleKey,
      authorKey: item.authorKey,
      updated: item.updated.getTime(),
      summary: item.summary,
      content: item.content,
      categories: JSON.stringify(item.categories),
      now: now.getTime(),
    };
  }

  /**
   * Saves one feed's items; call inside the feed's transaction. `keepAfter`: older items only
   * leave tombstones. `changed` tells whether anything a merged feed shows changed.
   */
  function saveItems(
    feedId: string,
    items: readonly NormalizedItem[],
    now: Date,
    keepAfter: Date | null,
  ): SaveResult & { changed: boolean } {
    const result = { added: 0, updated: 0, duplicates: 0, changed: false };
    const byKey = items.map((item) => matchByKey(feedId, item));
    const taken = new Set(byKey.filter((id): id is number => id !== null));
    for (const [index, item] of items.entries()) {
      const storyId = byKey[index] ?? matchReissue(feedId, item, taken);
      if (storyId !== null) taken.add(storyId);
      if (storyId === null) {
        if (keepAfter && item.published < keepAfter) {
          bindKeys(feedId, item, 0);
          result.duplicates++;
          continue;
        }
        const id = Number(
          insertStory.run({
            ...fields(item, now),
            feedId,
            canonicalUrl: item.canonicalUrl,
            published: item.published.getTime(),
            claimedPublished: item.claimedPublished?.getTime() ?? null,
            publicId: freePublicId(feedId, item),
          }).lastInsertRowid,
        );
        addSource.run(id, feedId, item.link, now.getTime(), item.contentHash);
        bindKeys(feedId, item, id);
        taken.add(id);
        result.added++;
        continue;
      }
      bindKeys(feedId, item, storyId);
      if (!storyExists.get(storyId)) {
        result.duplicates++; // a tombstone: pruned by retention, never new again
        continue;
      }
      const source = findSource.get(storyId, feedId);
      if (!source) {
        addSource.run(storyId, feedId, item.link, now.getTime(), item.contentHash);
        result.duplicates++;
        result.changed = true;
      } else if (source.content_hash !== item.contentHash) {
        editStory.run({ ...fields(item, now), id: storyId });
        setSourceHash.run(item.contentHash, item.link, storyId, feedId);
        result.updated++;
      } else {
        result.duplicates++;
      }
    }
    result.changed ||= result.added + result.updated > 0;
    return result;
  }

  const bumpVersion = db.prepare(`UPDATE meta SET value = value + 1 WHERE key = 'content_version'`);
  const selectVersion = db.prepare<[], { value: number }>(`SELECT value FROM meta WHERE key = 'content_version'`);

  return {
    saveItems,
    /** Stories newest first, each with all its sources. */
    list(query: StoryQuery): Story[] {
      const feedFilter = query.feedIds
        ? `WHERE id IN (SELECT story_id FROM story_sources WHERE feed_id IN (SELECT value FROM json_each(?)))`
        : '';
      const params: unknown[] = query.feedIds ? [JSON.stringify(query.feedIds)] : [];
      const rows = db
        .prepare<unknown[], StoryRow>(`SELECT * FROM stories ${feedFilter} ORDER BY published_at DESC, id DESC LIMIT ?`)
        .all(...params, query.limit);
      return attachSources(db, rows);
    },
    /** Deletes stories published before `before`; their keys stay as tombstones. Returns how many. */
    prune(before: Date): number {
      const pruned = db.prepare(`DELETE FROM stories WHERE published_at < ?`).run(before.getTime()).changes;
      if (pruned > 0) bumpVersion.run();
      return pruned;
    },
    /** Marks the merged feeds out of date. */
    bumpVersion: (): void => void bumpVersion.run(),
    /** A number that changes whenever what the merged feeds show changes. */
    version: (): number => selectVersion.get()?.value ?? 0,
    /** The highest story id (ids only grow), 0 when there are none. */
    maxId(): number {
      return (db.prepare(`SELECT coalesce(max(id), 0) AS id FROM stories`).get() as { id: number }).id;
    },
    /** The highest id among stories first seen at or before `at`: where "the last 24 hours" begins. */
    maxIdSeenBefore(at: Date): number {
      return (db.prepare(`SELECT coalesce(max(id), 0) AS id FROM stories WHERE first_seen_at <= ?`).get(at.getTime()) as { id: number }).id;
    },
    /** Ids of stories with fromId < id <= toId (first stored after fromId), optionally only from some feeds. */
    idsInRange(fromId: number, toId: number, feedIds?: readonly string[]): number[] {
      const feedFilter = feedIds ? `AND id IN (SELECT story_id FROM story_sources WHERE feed_id IN (SELECT value FROM json_each(?)))` : '';
      return db
        .prepare<unknown[], { id: number }>(`SELECT id FROM stories WHERE id > ? AND id <= ? ${feedFilter} ORDER BY id`)
        .all(fromId, toId, ...(feedIds ? [JSON.stringify(feedIds)] : []))
        .map((row) => row.id);
    },
    /** The stories with these ids that still exist, newest first. */
    listByIds(ids: readonly number[]): Story[] {
      const rows = db
        .prepare<[string], StoryRow>(
          `SELECT * FROM stories WHERE id IN (SELECT value FROM json_each(?)) ORDER BY published_at DESC, id DESC`,
        )
        .all(JSON.stringify(ids));
      return attachSources(db, rows);
    },
    /** When each feed last brought a new story, by feed id. */
    lastNewStoryByFeed(): Map<string, Date> {
      const rows = db
        .prepare<[], { feed_id: string; at: number }>(`SELECT feed_id, max(first_seen_at) AS at FROM story_sources GROUP BY feed_id`)
        .all();
      return new Map(rows.map((row) => [row.feed_id, new Date(row.at)]));
    },
    /** Number of stored stories. */
    count(): number {
      return (db.prepare(`SELECT count(*) AS n FROM stories`).get() as { n: number }).n;
    },
    /** Number of stories each feed contributed to, by feed id. */
    countByFeed(): Map<string, number> {
      const rows = db
        .prepare<[], { feed_id: string; n: number }>(`SELECT feed_id, count(*) AS n FROM story_sources GROUP BY feed_id`)
        .all();
      return new Map(rows.map((row) => [row.feed_id, row.n]));
    },
  };
}

function attachSources(db: Database, rows: StoryRow[]): Story[] {
  if (rows.length === 0) return [];
  const sources = db
    .prepare<[string], SourceRow>(
      `
      SELECT story_id, feed_id, link, first_seen_at FROM story_sources
      WHERE story_id IN (SELECT value FROM json_each(?)) ORDER BY first_seen_at, feed_id`,
    )
    .all(JSON.stringify(rows.map((row) => row.id)));
  const byStory = new Map<number, StorySource[]>();
  for (const source of sources) {
    const list = byStory.get(source.story_id) ?? [];
    list.push({ feedId: source.feed_id, link: source.link, firstSeenAt: new Date(source.first_seen_at) });
    byStory.set(source.story_id, list);
  }
  return rows.map((row) => ({
    id: row.id,
    publicId: row.public_id,
    title: row.title,
    link: row.link,
    canonicalUrl: row.canonical_url,
    author: row.author,
    published: new Date(row.published_at),
    claimedPublished: row.claimed_published_at === null ? null : new Date(row.claimed_published_at),
    updated: new Date(row.updated_at),
    summary: row.summary,
    content: row.content,
    categories: JSON.parse(row.categories) as string[],
    firstSeenAt: new Date(row.first_seen_at),
    feedId: row.feed_id,
    // The feed that first brought the story leads; the others follow in order of first sight.
    sources: (byStory.get(row.id) ?? []).sort((a, b) => Number(b.feedId === row.feed_id) - Number(a.feedId === row.feed_id)),
  }));
}
