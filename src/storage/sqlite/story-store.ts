/**
 * Deduplicated stories in SQLite. Saving one feed's items reads what the plan needs in a few
 * queries (keys, their stories and this feed's sources, re-issue candidates, taken public ids),
 * plans in plan-save.ts, then writes only what changed with multi-row statements.
 */
import type { NormalizedItem, SaveResult, Story } from '../../model.ts';
import { toStories, type SourceRow, type StoryRow } from '../rows.ts';
import type { StoryQuery } from '../store.ts';
import type { Database, Statement } from './database.ts';
import {
  firstPublicId,
  itemKey,
  keysOf,
  needsUrlKey,
  planSave,
  REISSUE_WINDOW_MS,
  reissueTitleKeys,
  type ReissueCandidate,
  type SavePlan,
  type StoryRef,
  urlKey,
} from '../plan-save.ts';

export type StoryStore = ReturnType<typeof createStoryStore>;

const STORY_COLUMNS = [
  'feed_id',
  'title',
  'link',
  'canonical_url',
  'author',
  'title_key',
  'author_key',
  'published_at',
  'claimed_published_at',
  'updated_at',
  'summary',
  'content',
  'categories',
  'first_seen_at',
  'public_id',
] as const;
/** Rows per multi-row INSERT: far below SQLite's 32,766 bound parameters at 15 columns. */
const ROWS_PER_INSERT = 100;

/** Builds the story store over an open database. */
export function createStoryStore(db: Database) {
  const json = (values: readonly unknown[]): string => JSON.stringify(values);
  // A key, the story it names, whether that story is still stored, and this feed's source of it.
  const findKeys = db.prepare<[string, string], { key: string; story_id: number; stored: number; content_hash: string | null }>(`
    SELECT k.key, k.story_id, s.id IS NOT NULL AS stored, ss.content_hash FROM story_keys k
    LEFT JOIN stories s ON s.id = k.story_id
    LEFT JOIN story_sources ss ON ss.story_id = k.story_id AND ss.feed_id = ?
    WHERE k.key IN (SELECT value FROM json_each(?))`);
  // Re-issue candidates are stored stories, with this feed's source of each: a match adds a source or edits as a key match does.
  const findReissues = db.prepare<
    [string, string, number, number],
    { id: number; title_key: string; published_at: number; author_key: string | null; feed_id: string; content_hash: string | null }
  >(`
    SELECT s.id, s.title_key, s.published_at, s.author_key, s.feed_id, ss.content_hash FROM stories s
    LEFT JOIN story_sources ss ON ss.story_id = s.id AND ss.feed_id = ?
    WHERE s.title_key IN (SELECT value FROM json_each(?)) AND s.published_at BETWEEN ? AND ?`);
  const findPublicIds = db.prepare<[string], { public_id: string }>(
    `SELECT public_id FROM stories WHERE public_id IN (SELECT value FROM json_each(?))`,
  );
  const publicIdTaken = db.prepare<[string], { id: number }>(`SELECT id FROM stories WHERE public_id = ?`);
  const editStory = db.prepare(`
    UPDATE stories SET title = @title, link = @link, author = @author, title_key = coalesce(@titleKey, title_key),
      author_key = @authorKey, updated_at = max(@updated, @now), summary = @summary, content = @content,
      categories = @categories
    WHERE id = @id`);
  const setSourceHash = db.prepare(`UPDATE story_sources SET content_hash = ?, link = ? WHERE story_id = ? AND feed_id = ?`);
  // Multi-row statements, prepared once per row count (at most ROWS_PER_INSERT of each).
  const multiRow = (sql: (rows: number) => string) => {
    const cache = new Map<number, Statement>();
    return (rows: number): Statement => {
      let statement = cache.get(rows);
      if (!statement) cache.set(rows, (statement = db.prepare(sql(rows))));
      return statement;
    };
  };
  const values = (rows: number, columns: number) =>
    Array(rows)
      .fill(`(${Array(columns).fill('?').join(', ')})`)
      .join(', ');
  const insertStories = multiRow(
    (rows) => `INSERT INTO stories (${STORY_COLUMNS.join(', ')}) VALUES ${values(rows, STORY_COLUMNS.length)} RETURNING id, public_id`,
  );
  const insertSources = multiRow(
    (rows) => `INSERT INTO story_sources (story_id, feed_id, link, first_seen_at, content_hash) VALUES ${values(rows, 5)}`,
  );
  const insertKeys = multiRow((rows) => `INSERT OR IGNORE INTO story_keys (key, story_id) VALUES ${values(rows, 2)}`);

  /** Runs `statement(rows)` over `rows` in chunks, each row flattened to its parameters. */
  function writeRows<T>(rows: readonly T[], statement: (rows: number) => Statement, params: (row: T) => unknown[]): unknown[] {
    const returned: unknown[] = [];
    for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
      const chunk = rows.slice(start, start + ROWS_PER_INSERT);
      const prepared = statement(chunk.length);
      const flat = chunk.flatMap(params);
      if (prepared.reader) returned.push(...prepared.all(...flat));
      else prepared.run(...flat);
    }
    return returned;
  }

  /**
   * What planSave needs, in at most five queries: the item keys (with their stories and this
   * feed's sources), the URL keys of items those did not settle, re-issue candidates, and the
   * public ids new stories would take. An unchanged item costs one key lookup and two joins.
   */
  function readLookups(feedId: string, items: readonly NormalizedItem[]) {
    const keys = new Map<string, number>();
    const stored = new Set<number>();
    const sourceHashes = new Map<number, string>();
    const read = (wanted: readonly string[]) => {
      const rows = wanted.length > 0 ? findKeys.all(feedId, json(wanted)) : [];
      for (const row of rows) {
        keys.set(row.key, row.story_id);
        if (row.stored) stored.add(row.story_id);
        if (row.content_hash !== null) sourceHashes.set(row.story_id, row.content_hash);
      }
      return new Map(rows.map((row) => [row.key, row]));
    };
    const byItemKey = read(items.map((item) => itemKey(feedId, item.itemId)));
    read(
      items
        .filter((item) => {
          const row = byItemKey.get(itemKey(feedId, item.itemId));
          return needsUrlKey(item, row && { storyId: row.story_id, stored: row.stored === 1, sourceHash: row.content_hash });
        })
        .map((item) => urlKey(item.canonicalUrl!)),
    );
    const titleKeys = reissueTitleKeys(feedId, items, keys);
    let reissueCandidates: ReissueCandidate[] = [];
    if (titleKeys.length > 0) {
      const times = items.map((item) => item.published.getTime());
      const rows = findReissues.all(
        feedId,
        json(titleKeys),
        Math.min(...times) - REISSUE_WINDOW_MS,
        Math.max(...times) + REISSUE_WINDOW_MS,
      );
      for (const row of rows) {
        stored.add(row.id);
        if (row.content_hash !== null) sourceHashes.set(row.id, row.content_hash);
      }
      reissueCandidates = rows.map((row) => ({
        id: row.id,
        titleKey: row.title_key,
        publishedMs: row.published_at,
        authorKey: row.author_key,
        feedId: row.feed_id,
      }));
    }
    // The first public id of each item no key matched: the only ids a plan normally asks about.
    const unmatched = items.filter((item) => keysOf(feedId, item).every((key) => !keys.has(key)));
    const asked = new Set(unmatched.map((item) => firstPublicId(feedId, item)));
    const taken = new Set(asked.size > 0 ? findPublicIds.all(json([...asked])).map((row) => row.public_id) : []);
    const isPublicIdTaken = (id: string) => taken.has(id) || (!asked.has(id) && publicIdTaken.get(id) !== undefined);
    return { lookups: { keys, stored, sourceHashes, reissueCandidates }, isPublicIdTaken };
  }

  /** Carries out a plan: new stories first (their ids resolve the plan's references), then sources, keys and edits. */
  function applyPlan(feedId: string, plan: SavePlan, now: Date): void {
    const nowMs = now.getTime();
    const inserted = writeRows(plan.inserts, insertStories, ({ item, publicId }) => [
      feedId,
      item.title,
      item.link,
      item.canonicalUrl,
      item.author,
      item.titleKey,
      item.authorKey,
      item.published.getTime(),
      item.claimedPublished?.getTime() ?? null,
      item.updated.getTime(),
      item.summary,
      item.content,
      JSON.stringify(item.categories),
      nowMs,
      publicId,
    ]) as Array<{ id: number; public_id: string }>;
    // RETURNING rows come in no promised order: matched back by their unique public id.
    const idByPublicId = new Map(inserted.map((row) => [row.public_id, row.id]));
    const resolve = (ref: StoryRef): number => (ref.kind === 'stored' ? ref.id : idByPublicId.get(plan.inserts[ref.index]!.publicId)!);
    writeRows(plan.sources, insertSources, ({ story, item }) => [resolve(story), feedId, item.link, nowMs, item.contentHash]);
    writeRows(plan.keys, insertKeys, ({ key, story }) => [key, resolve(story)]);
    for (const { storyId, item } of plan.edits) {
      editStory.run({ ...editFields(item, nowMs), id: storyId });
      setSourceHash.run(item.contentHash, item.link, storyId, feedId);
    }
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
    if (items.length === 0) return { added: 0, updated: 0, duplicates: 0, changed: false };
    const { lookups, isPublicIdTaken } = readLookups(feedId, items);
    const plan = planSave(feedId, items, lookups, keepAfter, isPublicIdTaken);
    applyPlan(feedId, plan, now);
    return { ...plan.result, changed: plan.changed };
  }

  const bumpVersion = db.prepare(`UPDATE meta SET value = value + 1 WHERE key = 'content_version'`);
  const selectVersion = db.prepare<[], { value: number }>(`SELECT value FROM meta WHERE key = 'content_version'`);

  const sourcesOf = db.prepare<[string], SourceRow>(
    `SELECT story_id, feed_id, link, first_seen_at FROM story_sources WHERE story_id IN (SELECT value FROM json_each(?))`,
  );
  const withSources = (rows: StoryRow[]): Story[] =>
    rows.length === 0 ? [] : toStories(rows, sourcesOf.all(json(rows.map((row) => row.id))));

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
      return withSources(rows);
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
      return withSources(rows);
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

/** The fields an edit writes, as editStory binds them. */
function editFields(item: NormalizedItem, nowMs: number) {
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
    now: nowMs,
  };
}
