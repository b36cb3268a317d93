/**
 * Deduplicated stories in SQLite. Saving one feed's items reads what the plan needs in a few
 * queries (keys, their stories and this feed's sources, re-issue candidates, taken public ids),
 * plans in plan-save.ts, then writes only what changed with multi-row statements.
 */
import type { NormalizedItem, SaveResult, Story } from '../../model.ts';
import { toBylineStat, toSearchStory, toStories, type BylineStatRow, type SearchRow, type SourceRow, type StoryRow } from '../rows.ts';
import { headlineVariants, toFts5Match } from '../../site/search-query.ts';
import { createSearchPages } from '../search-pages.ts';
import { createSearchRankings, withOlderRankings, type RankedId } from '../search-rankings.ts';
import { searchBody, searchLine } from '../search-text.ts';
import { searchSnippet } from '../search-snippet.ts';
import { storyTokens } from '../../search-tokens.ts';
import {
  SEARCH_CANDIDATES,
  SEARCH_OLDER_SPAN,
  UnreadItemsConflict,
  type BylineStat,
  type SearchHit,
  type SearchQuery,
  type StoryQuery,
} from '../store.ts';
import type { Database, Statement } from './database.ts';
import {
  firstPublicId,
  itemKey,
  keysOf,
  keysToReadNext,
  planSave,
  REISSUE_WINDOW_MS,
  reissueTitleKeys,
  type CarriedStory,
  type ReissueCandidate,
  type SavePlan,
  type StoryRef,
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
  // Counts and newest dates from the byline index alone (a scan of its 100,000 entries is 10 ms
  // of the 13), then each group's newest story: its id from the same index, its row by id. One
  // statement, not a lookup per group from here: 13.5 ms instead of 20 over 650 groups (CPU,
  // warm; 20 instead of 29 just after another connection wrote).
  const selectBylineStats = db.prepare<[], BylineStatRow>(`
    SELECT g.author_key, g.feed_id, g.n, g.published_at, s.author, s.title, s.public_id
    FROM (SELECT author_key, feed_id, count(*) AS n, max(published_at) AS published_at FROM stories GROUP BY author_key, feed_id) g
    JOIN stories s ON s.id = (
      SELECT id FROM stories WHERE author_key IS g.author_key AND feed_id = g.feed_id AND published_at = g.published_at ORDER BY id DESC LIMIT 1
    )`);
  // A key, the story it names, whether that story is still stored, and this feed's source of it.
  const findKeys = db.prepare<
    [string, string],
    {
      key: string;
      story_id: number;
      stored: number;
      content_hash: string | null;
      title: string | null;
      published_at: number | null;
      source_link: string | null;
    }
  >(`
    SELECT k.key, k.story_id, s.id IS NOT NULL AS stored, ss.content_hash, s.title, s.published_at, ss.link AS source_link FROM story_keys k
    LEFT JOIN stories s ON s.id = k.story_id
    LEFT JOIN story_sources ss ON ss.story_id = k.story_id AND ss.feed_id = ?
    WHERE k.key IN (SELECT value FROM json_each(?))`);
  // Re-issue candidates are stored stories, with this feed's source of each: a match adds a source or edits as a key match does.
  // A re-issue shares the item's title key and its feed or its author (matchReissue): the two
  // lookups read indexes that each feed's or columnist's stories keep together (schema 23).
  const findReissues = db.prepare<
    [{ feed: string; titles: string; authors: string; unsigned: number; from: number; to: number }],
    { id: number; title_key: string; published_at: number; author_key: string | null; feed_id: string; content_hash: string | null }
  >(`
    SELECT s.id, s.title_key, s.published_at, s.author_key, s.feed_id, ss.content_hash FROM stories s
    LEFT JOIN story_sources ss ON ss.story_id = s.id AND ss.feed_id = @feed
    WHERE s.id IN (
      SELECT id FROM stories
      WHERE feed_id = @feed AND title_key IN (SELECT value FROM json_each(@titles)) AND published_at BETWEEN @from AND @to
      UNION ALL
      SELECT id FROM stories
      WHERE author_key IN (SELECT value FROM json_each(@authors)) AND title_key IN (SELECT value FROM json_each(@titles))
        AND published_at BETWEEN @from AND @to
      UNION ALL
      SELECT id FROM stories
      WHERE @unsigned AND author_key IS NULL AND title_key IN (SELECT value FROM json_each(@titles)) AND published_at BETWEEN @from AND @to
    )`);
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
  // Ids are given here, from the highest ever given (meta story_id_high), never SQLite's max(id) + 1:
  // that would hand a pruned newest story's id to the next story, and its kept keys (tombstones)
  // and the digests' cursors would then name an unrelated story.
  const insertStories = multiRow(
    (rows) => `INSERT INTO stories (id, ${STORY_COLUMNS.join(', ')}) VALUES ${values(rows, STORY_COLUMNS.length + 1)}`,
  );
  const selectHighId = db.prepare<[], { value: number }>(`SELECT value FROM meta WHERE key = 'story_id_high'`);
  const raiseHighId = db.prepare(`UPDATE meta SET value = ? WHERE key = 'story_id_high'`);
  const insertSources = multiRow(
    (rows) => `INSERT INTO story_sources (story_id, feed_id, link, first_seen_at, content_hash) VALUES ${values(rows, 5)}`,
  );
  const insertKeys = multiRow((rows) => `INSERT OR IGNORE INTO story_keys (key, story_id) VALUES ${values(rows, 2)}`);
  const rebindKey = db.prepare(
    'INSERT INTO story_keys (key, story_id) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET story_id = excluded.story_id',
  );
  // One row per statement, unlike the tables: a statement that writes several rows of a virtual
  // table opens a savepoint, and FTS5 writes its pending terms out as a new segment at each one.
  // Row by row, a batch becomes one segment; indexing took 23% less CPU (20,000 stories).
  const insertSearch = db.prepare(`INSERT INTO story_search (rowid, title, author, body, tokens) VALUES (?, ?, ?, ?, ?)`);
  const unindexStory = db.prepare(`DELETE FROM story_search WHERE rowid = ?`);
  // Moves with every change to the search index (indexing, an edit taking a story out, pruning):
  // a search ranking read at one generation is reused only at the same one (search-rankings.ts).
  const bumpSearchGeneration = db.prepare(
    `INSERT INTO meta (key, value) VALUES ('search_generation', 1) ON CONFLICT (key) DO UPDATE SET value = value + 1`,
  );
  const selectSearchGeneration = db.prepare<[], number>(`SELECT value FROM meta WHERE key = 'search_generation'`).pluck();
  const queueForSearch = multiRow((rows) => `INSERT OR IGNORE INTO search_pending (story_id) VALUES ${values(rows, 1)}`);
  const anyPending = db.prepare<[], { story_id: number }>(`SELECT story_id FROM search_pending LIMIT 1`);
  // A story deleted since it was queued has no row (the join leaves its fields null).
  // `sources`: the feeds that carried it, one per line (search-tokens.ts).
  const pendingChunk = db.prepare<
    [number],
    {
      id: number;
      stored: number;
      title: string | null;
      author: string | null;
      summary: string | null;
      content: string | null;
      author_key: string | null;
      feed_id: string;
      sources: string | null;
    }
  >(`
    SELECT p.story_id AS id, s.id IS NOT NULL AS stored, s.title, s.author, s.summary, s.content, s.author_key, s.feed_id,
      (SELECT group_concat(feed_id, char(10)) FROM story_sources WHERE story_id = s.id) AS sources
    FROM search_pending p
    LEFT JOIN stories s ON s.id = p.story_id WHERE p.story_id > ? ORDER BY p.story_id LIMIT ${ROWS_PER_INSERT * 5}`);
  // The newest `limit` waiting begin at this id.
  const batchFloor = db.prepare<[number], number>(`SELECT story_id FROM search_pending ORDER BY story_id DESC LIMIT 1 OFFSET ?`).pluck();
  const clearPendingFrom = db.prepare(`DELETE FROM search_pending WHERE story_id > ? AND story_id <= ?`);
  const alreadyIndexed = db.prepare<[string], { id: number }>(
    `SELECT rowid AS id FROM story_search WHERE rowid IN (SELECT value FROM json_each(?))`,
  );
  /** Stories this connection queued since it last indexed: when to index without being asked. */
  let queuedSinceIndexing = 0;
  const indexPending = db.transaction((limit: number): number => {
    let indexed = 0;
    // The newest `limit` first (after an upgrade that indexes everything again, searches see
    // recent columns first), written in id order: FTS5 flushes its pending segment whenever a
    // rowid is lower than the last written.
    const floor = Number.isFinite(limit) ? (batchFloor.get(limit - 1) ?? 1) - 1 : 0;
    let through = floor;
    for (let rows = pendingChunk.all(floor); rows.length > 0; rows = pendingChunk.all(through)) {
      through = rows.at(-1)!.id;
      const stored = rows.filter((row) => row.stored === 1);
      // Indexing may meet a row indexed already (a process of the schema before batches edited the
      // story meanwhile): it is replaced, so indexing is safe to repeat.
      for (const { id } of alreadyIndexed.all(json(stored.map((row) => row.id)))) unindexStory.run(id);
      for (const row of stored) {
        insertSearch.run(
          row.id,
          searchLine(row.title),
          searchLine(row.author),
          searchBody(row.summary, row.content),
          storyTokens(row.author_key, row.feed_id, row.sources?.split('\n') ?? []),
        );
      }
      indexed += stored.length;
    }
    clearPendingFrom.run(floor, through);
    if (indexed > 0) bumpSearchGeneration.run();
    return indexed;
  });

  /** Runs `statement` over `rows` in multi-row chunks; `params` gets each row and its index in `rows`. */
  function writeRows<T>(rows: readonly T[], statement: (rows: number) => Statement, params: (row: T, index: number) => unknown[]): void {
    for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
      const chunk = rows.slice(start, start + ROWS_PER_INSERT);
      statement(chunk.length).run(...chunk.flatMap((row, offset) => params(row, start + offset)));
    }
  }

  /**
   * What planSave needs, in four queries and a few more when a plan asks: the item keys (with
   * their stories and this feed's sources), the URL keys and other ids of items those did not
   * settle (keysToReadNext), re-issue candidates, and the public ids new stories would take (an
   * item that loses its story to another, see planSave, asks about its own). An unchanged item
   * costs one key lookup and two joins.
   */
  function readLookups(feedId: string, items: readonly NormalizedItem[]) {
    const keys = new Map<string, number>();
    const stored = new Set<number>();
    const sourceHashes = new Map<number, string>();
    const carried = new Map<number, CarriedStory>();
    const read = (wanted: readonly string[]) => {
      const rows = wanted.length > 0 ? findKeys.all(feedId, json(wanted)) : [];
      for (const row of rows) {
        keys.set(row.key, row.story_id);
        if (row.stored) stored.add(row.story_id);
        if (row.content_hash === null) continue;
        sourceHashes.set(row.story_id, row.content_hash);
        carried.set(row.story_id, { title: row.title, publishedMs: row.published_at ?? 0, sourceLink: row.source_link });
      }
      return new Map(rows.map((row) => [row.key, row]));
    };
    const byItemKey = read(items.map((item) => itemKey(feedId, item.itemId)));
    read(
      items.flatMap((item) => {
        const row = byItemKey.get(itemKey(feedId, item.itemId));
        return keysToReadNext(feedId, item, row && { storyId: row.story_id, stored: row.stored === 1, sourceHash: row.content_hash });
      }),
    );
    const titleKeys = reissueTitleKeys(feedId, items, keys);
    let reissueCandidates: ReissueCandidate[] = [];
    if (titleKeys.length > 0) {
      const times = items.map((item) => item.published.getTime());
      // The authors of every item of those titles (an item that lost its key match to another may share one).
      const wanted = new Set(titleKeys);
      const titled = items.filter((item) => item.titleKey !== null && wanted.has(item.titleKey));
      const rows = findReissues.all({
        feed: feedId,
        titles: json(titleKeys),
        authors: json([...new Set(titled.flatMap((item) => (item.authorKey === null ? [] : [item.authorKey])))]),
        unsigned: titled.some((item) => item.authorKey === null) ? 1 : 0,
        from: Math.min(...times) - REISSUE_WINDOW_MS,
        to: Math.max(...times) + REISSUE_WINDOW_MS,
      });
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
    return { lookups: { keys, stored, sourceHashes, reissueCandidates, carried }, isPublicIdTaken };
  }

  /** Carries out a plan: new stories first (their ids resolve the plan's references), then sources, keys and edits. */
  function applyPlan(feedId: string, plan: SavePlan, now: Date): void {
    const nowMs = now.getTime();
    const firstId = (selectHighId.get()?.value ?? 0) + 1;
    if (plan.inserts.length > 0) raiseHighId.run(firstId + plan.inserts.length - 1);
    writeRows(plan.inserts, insertStories, ({ item, publicId }, index) => [
      firstId + index,
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
    ]);
    const resolve = (ref: StoryRef): number => (ref.kind === 'stored' ? ref.id : firstId + ref.index);
    writeRows(plan.sources, insertSources, ({ story, item }) => [resolve(story), feedId, item.link, nowMs, item.contentHash]);
    writeRows(plan.keys, insertKeys, ({ key, story }) => [key, resolve(story)]);
    for (const { key, story } of plan.rebinds) rebindKey.run(key, resolve(story));
    writeRows(plan.inserts, queueForSearch, (_, index) => [firstId + index]);
    // A stored story this feed now carries too is indexed again, with this feed's token.
    const joined = plan.sources.flatMap(({ story }) => (story.kind === 'stored' ? [story.id] : []));
    if (joined.length > 0) {
      writeRows(joined, queueForSearch, (id) => [id]);
      queuedSinceIndexing += joined.length;
    }
    for (const { storyId, item } of plan.edits) {
      editStory.run({ ...editFields(item, nowMs), id: storyId });
      setSourceHash.run(item.contentHash, item.link, storyId, feedId);
      // Out of the index until its batch puts the new words in (a no-op for a story still queued).
      unindexStory.run(storyId);
      queueForSearch(1).run(storyId);
    }
    // A kept ranking may hold an edited story under words it no longer has.
    if (plan.edits.length > 0) bumpSearchGeneration.run();
    queuedSinceIndexing += plan.inserts.length + plan.edits.length;
  }

  /**
   * Saves one feed's items; call inside the feed's transaction. `keepAfter`: older items only
   * leave tombstones. `changed` tells whether anything a merged feed shows changed. `othersUnread`:
   * see planSave (throws UnreadItemsConflict before writing).
   */
  function saveItems(
    feedId: string,
    items: readonly NormalizedItem[],
    now: Date,
    keepAfter: Date | null,
    othersUnread = false,
  ): SaveResult & { changed: boolean } {
    if (items.length === 0) return { added: 0, updated: 0, duplicates: 0, changed: false };
    const { lookups, isPublicIdTaken } = readLookups(feedId, items);
    const plan = planSave(feedId, items, lookups, keepAfter, isPublicIdTaken, othersUnread);
    if (plan.needsWholeDocument) throw new UnreadItemsConflict(feedId);
    applyPlan(feedId, plan, now);
    return { ...plan.result, changed: plan.changed };
  }

  const bumpVersion = db.prepare(`UPDATE meta SET value = value + 1 WHERE key = 'content_version'`);
  const selectVersion = db.prepare<[], { value: number }>(`SELECT value FROM meta WHERE key = 'content_version'`);

  // The newest SEARCH_CANDIDATES matches ranked, reading only the date of each, from the narrow
  // index of schema 22 (whole rows, mostly text, for the page alone). FTS5 reads its index in
  // rowid order, so a word in every story costs as much as a rare one, but bm25 first counts
  // every match of each phrase. `rank`: lower first (bm25 is negative, better lower).
  // A database whose index went missing (schema 22 says it is there) searches slower, not never.
  const dateIndex = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'stories_published_by_id'`).get()
    ? 'INDEXED BY stories_published_by_id'
    : '';
  const rankOf = (candidates: string) => `
    SELECT c.id, c.score / (1.0 + max(0, @now - s.published_at) / ${RECENCY_MS}.0) AS rank
    FROM (${candidates}) c JOIN stories s ${dateIndex} ON s.id = c.id ORDER BY rank, c.id DESC`;
  const newestMatches = `SELECT rowid AS id, bm25(story_search, ${BM25_WEIGHTS}) AS score FROM story_search
      WHERE story_search MATCH @match ORDER BY rowid DESC LIMIT ${SEARCH_CANDIDATES}`;
  const rankMatches = db.prepare<[{ match: string; now: number }], RankedId>(rankOf(newestMatches));
  // The same ranking as ids alone: an object of two fields a row cost a search 0.9 ms of its ~8.
  const rankMatchIds = db.prepare<[{ match: string; now: number }], number>(rankOf(newestMatches)).pluck();
  // The newest SEARCH_CANDIDATES matches of a headline variant among the SEARCH_OLDER_SPAN ids below `floor`: see rank().
  const rankOlderMatches = db.prepare<[{ match: string; now: number; floor: number }], RankedId>(
    rankOf(`SELECT rowid AS id, bm25(story_search, ${BM25_WEIGHTS}) AS score FROM story_search
      WHERE story_search MATCH @match AND rowid < @floor AND rowid >= @floor - ${SEARCH_OLDER_SPAN}
      ORDER BY rowid DESC LIMIT ${SEARCH_CANDIDATES}`),
  );
  /**
   * The search's ranking. A word naming an outlet or columnist matches all their columns (their
   * tokens): their newest alone could fill the candidates and crowd out an older column with
   * the name in its title. So when the candidates are full, the older matches of each headline
   * variant (search-query.ts: the naming term in titles and bylines only) among the
   * SEARCH_OLDER_SPAN ids below the candidates are ranked too, after bm25 of that variant; the
   * newest SEARCH_CANDIDATES of them are merged in, and every newest candidate stays. (bm25 of the
   * whole match for those rowids took 3.4 s for 64 tokens: a rowid lookup per story and token.)
   */
  function rank(terms: SearchQuery['terms'], match: string, now: number): number[] {
    const variants = headlineVariants(terms);
    if (variants.length === 0) return rankMatchIds.all({ match, now });
    const newest = rankMatches.all({ match, now });
    if (newest.length < SEARCH_CANDIDATES) return newest.map((row) => row.id);
    const floor = Math.min(...newest.map((row) => row.id));
    const older = variants.map((variant) => rankOlderMatches.all({ match: toFts5Match(variant), now, floor }));
    return withOlderRankings(newest, older, SEARCH_CANDIDATES);
  }
  // What a result shows of each story of a page, and its text as the index holds it for the
  // snippet (search-snippet.ts): a lookup by rowid each, no full-text query. A story out of the
  // index (edited, waiting for its batch) gives its stored text instead.
  const searchRows = db.prepare<[string], IndexedSearchRow>(
    `SELECT s.id, s.public_id, s.title, s.link, s.author, s.feed_id, s.published_at, x.body,
       CASE WHEN x.rowid IS NULL THEN s.summary END AS summary, CASE WHEN x.rowid IS NULL THEN s.content END AS content
     FROM stories s LEFT JOIN story_search x ON x.rowid = s.id WHERE s.id IN (SELECT value FROM json_each(?))`,
  );
  const rankings = createSearchRankings();
  const searchPages = createSearchPages();
  const sourcesOf = db.prepare<[string], SourceRow>(
    `SELECT story_id, feed_id, link, first_seen_at FROM story_sources WHERE story_id IN (SELECT value FROM json_each(?))`,
  );
  const withSources = (rows: StoryRow[]): Story[] =>
    rows.length === 0 ? [] : toStories(rows, sourcesOf.all(json(rows.map((row) => row.id))));

  return {
    saveItems,
    /**
     * Indexes the stories waiting for the search index (the newest `limit` of them
     * at most), in one write transaction of its own (never inside another). Returns how many.
     */
    indexPendingSearch(limit = Number.POSITIVE_INFINITY): number {
      if (anyPending.get() === undefined) return (queuedSinceIndexing = 0);
      const indexed = indexPending.immediate(limit);
      queuedSinceIndexing = 0;
      return indexed;
    },
    /** Whether any story waits for the search index. */
    hasPendingSearch: (): boolean => anyPending.get() !== undefined,
    /** Stories this connection queued for the search index since it last indexed them. */
    queuedForSearch: (): number => queuedSinceIndexing,
    /** Stories newest first, each with all its sources. */
    list(query: StoryQuery): Story[] {
      const where: string[] = [];
      const params: unknown[] = [];
      if (query.feedIds) {
        where.push(`id IN (SELECT story_id FROM story_sources WHERE feed_id IN (SELECT value FROM json_each(?)))`);
        params.push(json(query.feedIds));
      }
      if (query.byline) {
        where.push(
          `(author_key IN (SELECT value FROM json_each(?)) OR (author_key IS NULL AND feed_id IN (SELECT value FROM json_each(?))))`,
        );
        params.push(json(query.byline.authorKeys), json(query.byline.feedIds));
      }
      if (query.before) {
        where.push(`(published_at < ? OR (published_at = ? AND id < ?))`);
        params.push(query.before.published.getTime(), query.before.published.getTime(), query.before.id);
      }
      const rows = db
        .prepare<unknown[], StoryRow>(
          `SELECT * FROM stories ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY published_at DESC, id DESC LIMIT ?`,
        )
        .all(...params, query.limit);
      return withSources(rows);
    },
    /** The story published under `publicId`, or null. */
    byPublicId(publicId: string): Story | null {
      const row = db.prepare<[string], StoryRow>(`SELECT * FROM stories WHERE public_id = ?`).get(publicId);
      return row ? withSources([row])[0]! : null;
    },
    /** Story counts and newest story per (author key, first feed). */
    bylineStats(): BylineStat[] {
      return selectBylineStats.all().map(toBylineStat);
    },
    /**
     * Full-text search, relevance (bm25: title, author, text) fading over 30 days of age, among
     * the newest SEARCH_CANDIDATES matches; snippets for the page only. The next page, or the same
     * search again, reuses the ranking while the index is unchanged (search-rankings.ts).
     */
    search(query: SearchQuery): SearchHit[] {
      if (query.terms.length === 0) return [];
      const match = toFts5Match(query.terms);
      const now = query.now.getTime();
      const generation = String(selectSearchGeneration.get() ?? 0);
      let ranked = rankings.get(match, generation, now);
      if (!ranked) rankings.set(match, generation, now, (ranked = rank(query.terms, match, now)));
      // A new source or an edit changes what a result shows before the index moves: the content version does.
      const version = String(selectVersion.get()?.value ?? 0);
      const kept = searchPages.get(ranked, query.offset, query.limit, version);
      if (kept) return [...kept];
      const pageIds = ranked.slice(query.offset, query.offset + query.limit);
      const rows =
        pageIds.length === 0 ? new Map<number, IndexedSearchRow>() : new Map(searchRows.all(json(pageIds)).map((row) => [row.id, row]));
      // Every ranked story is stored: a story leaves only by pruning, which moves the generation.
      const hits = pageIds.flatMap((id) => {
        const row = rows.get(id);
        if (!row) return [];
        const story = toSearchStory(row);
        const text = { title: row.title, author: row.author, summary: row.summary, content: row.content };
        return [{ story, snippet: searchSnippet(query.terms, row.body === null ? text : { ...text, indexedBody: row.body }) }];
      });
      searchPages.set(ranked, query.offset, query.limit, version, hits);
      return [...hits];
    },
    /** Deletes stories published before `before`; their keys stay as tombstones. Returns how many. */
    prune: db.transaction((before: Date): number => {
      // Pruned stories leave the search index too (a trigger): a new search generation.
      const pruned = db.prepare(`DELETE FROM stories WHERE published_at < ?`).run(before.getTime()).changes;
      if (pruned > 0) {
        bumpVersion.run();
        bumpSearchGeneration.run();
      }
      return pruned;
    }),
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

/** Age over which a search match's relevance halves (30 days). */
const RECENCY_MS = 30 * 24 * 3600 * 1000;
/** A search page's story row, with its text as the index holds it (null: out of the index, then its stored text). */
interface IndexedSearchRow extends SearchRow {
  body: string | null;
}

/** bm25's weights of the index's columns: title, author, body, tokens. */
const BM25_WEIGHTS = '8.0, 4.0, 1.0, 4.0';

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
