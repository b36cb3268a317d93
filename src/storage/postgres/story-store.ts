/**
 * Deduplicated stories in PostgreSQL, planned by plan-save.ts exactly as in SQLite. Several
 * workers save at once here; two locks keep that equal to saving one feed at a time:
 * - **Key locks.** A plan that adds anything (a story, a source, a key) is made again under a
 *   transaction-level advisory lock on each cross-feed key it touches (its items' URL keys and
 *   title keys) and on its feed. So dedup across feeds sees every story committed before it,
 *   while saves of unrelated columns run side by side. A save that would need more key locks
 *   than PostgreSQL's lock table holds per connection (see LOCKS_OWN_WRITES_TAKE) takes the
 *   story write lock exclusively instead, excluding every other adding save.
 * - **The story write lock, shared.** Every adding save holds it in shared mode until it
 *   commits; a reader of the highest story id (a digest's cursor) takes it exclusively first, so
 *   it reads only once every id drawn before has committed: a run never misses a story that
 *   committed late under a lower id.
 * A document that changes nothing, or only edits, takes no lock. The content version is spread
 * over CONTENT_VERSION_SHARDS rows, so saves do not queue on one row either.
 */
import { stringHash } from '../../string-hash.ts';
import type { NormalizedItem, SaveResult, Story } from '../../model.ts';
import {
  itemKey,
  keysOf,
  keysToReadNext,
  planSave,
  publicIdCandidates,
  REISSUE_WINDOW_MS,
  reissueTitleKeys,
  type CarriedStory,
  type SaveLookups,
  type SavePlan,
  type StoryRef,
  urlKey,
} from '../plan-save.ts';
import { toBylineStat, toSearchStory, toStories, type BylineStatRow, type SearchRow, type SourceRow, type StoryRow } from '../rows.ts';
import { createSearchPages } from '../search-pages.ts';
import { createSearchRankings, withOlderRankings, type RankedId } from '../search-rankings.ts';
import { searchSnippet } from '../search-snippet.ts';
import { headlineVariants, toTsQuery } from '../../site/search-query.ts';
import {
  SEARCH_CANDIDATES,
  SEARCH_OLDER_SPAN,
  UnreadItemsConflict,
  type BylineStat,
  type SearchHit,
  type SearchQuery,
  type StoryQuery,
} from '../store.ts';
import type { PostgresDatabase, Sql } from './database.ts';

/** The columns a StoryRow reads (not the search vector, which only the database needs). */
const STORY_ROW = [
  'id',
  'feed_id',
  'title',
  'link',
  'canonical_url',
  'author',
  'published_at',
  'claimed_published_at',
  'updated_at',
  'summary',
  'content',
  'categories',
  'first_seen_at',
  'public_id',
].join(', ');
/** How much more a match read through the GIN index costs than a story tested walking story_search (see readsMatchesThroughIndex). */
const INDEX_READ_COST = 3;
/** Age over which a search match's relevance halves (30 days), as in SQLite. */
const RECENCY_MS = 30 * 24 * 3600 * 1000;

/** Stories pruned per transaction, the story write lock held exclusively (about 0.15 s each). */
const PRUNE_BATCH = 5_000;
/** The story write lock (see the file comment); also the first half of every key lock's two-part key. */
const STORY_WRITE_LOCK = 7_243_653;
/**
 * The rows of meta the content version is the sum of: a save bumps the one its connection's
 * process id picks, so concurrent saves rarely wait on one row's lock (schema version 18).
 */
const CONTENT_VERSION_SHARDS = 16;
const BUMP_CONTENT_VERSION = `UPDATE meta SET value = value + 1
  WHERE key = CASE pg_backend_pid() % ${CONTENT_VERSION_SHARDS} WHEN 0 THEN 'content_version' ELSE 'content_version:' || pg_backend_pid() % ${CONTENT_VERSION_SHARDS} END`;
/**
 * PostgreSQL's lock table holds max_locks_per_transaction (default 64) locks per connection, for
 * the whole server: a save takes at most that many key locks less this many (what its own
 * writes lock: tables, indexes), and past it the story write lock exclusively. With the default,
 * 32: a save adding up to 15 columns. `max_locks_per_transaction = 256` lets a first fetch of a
 * 100-item feed take key locks too (README, Scaling out).
 */
const LOCKS_OWN_WRITES_TAKE = 32;
/** Public ids asked about per new item in the one query (the first is nearly always free). */
const PUBLIC_ID_CANDIDATES = 4;

interface KeyRow {
  key: string;
  story_id: number;
  stored: boolean;
  content_hash: string | null;
  title: string | null;
  published_at: number | null;
  source_link: string | null;
}

/** Whether a plan adds anything (a story, a source, a key): only such a save takes locks. */
const adds = (saved: SavePlan): boolean => saved.inserts.length + saved.sources.length + saved.keys.length > 0;

/** A key's lock: the second half of a two-part advisory lock key (32 bits of a hash; a collision only makes two saves wait). */
const keyLock = (key: string): number => stringHash(key) | 0;

/**
 * The key locks a plan needs: the URL key and title key of every item it adds a story or a
 * source for, and every URL key it binds. What another feed's save may add under the same keys
 * (a syndicated copy, a re-issue) then waits for this one, and is planned knowing it.
 */
function keyLocks(feedId: string, saved: SavePlan): Set<number> {
  // The feed's own: two saves of one feed without a lease (`columnwire poll` beside workers) plan one after the other.
  const locks = new Set<number>([keyLock(`f:${feedId}`)]);
  // Edits too: one may come from a re-issue match on its title another save adds.
  for (const { item } of [...saved.inserts, ...saved.sources, ...saved.edits]) {
    if (item.canonicalUrl) locks.add(keyLock(urlKey(item.canonicalUrl)));
    if (item.titleKey) locks.add(keyLock(`t:${item.titleKey}`));
  }
  for (const { key } of saved.keys) if (key.startsWith('u:')) locks.add(keyLock(key));
  return locks;
}

/** Whether the key locks `held` (or 'all': the write lock, exclusively) leave any of `wanted` untaken. */
const lacks = (held: Set<number> | 'all', wanted: ReadonlySet<number>): held is Set<number> =>
  held !== 'all' && [...wanted].some((lock) => !held.has(lock));

/** The story store over a PostgreSQL database. */
export function createPostgresStoryStore(db: PostgresDatabase) {
  const findKeys = (sql: Sql, feedId: string, keys: readonly string[]) =>
    keys.length === 0
      ? Promise.resolve([] as KeyRow[])
      : sql.query<KeyRow>(
          `
          SELECT k.key, k.story_id, s.id IS NOT NULL AS stored, ss.content_hash, s.title, s.published_at, ss.link AS source_link
          FROM story_keys k
          LEFT JOIN stories s ON s.id = k.story_id
          LEFT JOIN story_sources ss ON ss.story_id = k.story_id AND ss.feed_id = $1
          WHERE k.key = ANY($2::text[])`,
          [feedId, keys],
        );

  /**
   * Whether the newest matches of `tsquery` are cheaper read through the GIN index (every match,
   * then the newest kept) than by walking story_search newest first and testing each (until
   * SEARCH_CANDIDATES match). Through the index, each match costs a heap page read and its id
   * sorted (about 2.5 µs over 100,000 stories; the newest are then read by id); walking, each
   * story tested costs about 0.8 µs (its vector is inline): so the index wins while
   * 2.5 × matches < 0.8 × SEARCH_CANDIDATES × stories / matches, or matches² × 3 <
   * SEARCH_CANDIDATES × stories (about 8,000 matches in 100,000, measured).
   * PostgreSQL's own choice assumes matches spread evenly and the test free; its estimate of
   * the matches (its tsvector statistics) is good, so it is asked for that. Without statistics
   * yet, PostgreSQL chooses.
   */
  async function readsMatchesThroughIndex(tsquery: string): Promise<boolean> {
    const [table] = await db.query<{ stories: number }>(
      `SELECT reltuples::float8 AS stories FROM pg_class WHERE oid = to_regclass('story_search')`,
    );
    const stories = Number(table?.stories ?? -1);
    if (!(stories > 0)) return false;
    const [explained] = await db.query<{ 'QUERY PLAN': Array<{ Plan: { 'Plan Rows': number } }> }>(
      `EXPLAIN (FORMAT JSON) SELECT 1 FROM story_search WHERE search @@ to_tsquery('simple', $1)`,
      [tsquery],
    );
    const matches = Number(explained?.['QUERY PLAN'][0]?.Plan['Plan Rows'] ?? NaN);
    return Number.isFinite(matches) && matches * matches * INDEX_READ_COST < SEARCH_CANDIDATES * stories;
  }

  /** What planSave needs, in four queries (see sqlite/story-store.ts), and the taken public ids asked up front. */
  async function readLookups(sql: Sql, feedId: string, items: readonly NormalizedItem[]) {
    const keys = new Map<string, number>();
    const stored = new Set<number>();
    const sourceHashes = new Map<number, string>();
    const carried = new Map<number, CarriedStory>();
    const remember = (rows: KeyRow[]) => {
      for (const row of rows) {
        keys.set(row.key, row.story_id);
        if (row.stored) stored.add(row.story_id);
        if (row.content_hash === null) continue;
        sourceHashes.set(row.story_id, row.content_hash);
        carried.set(row.story_id, { title: row.title, publishedMs: Number(row.published_at ?? 0), sourceLink: row.source_link });
      }
      return new Map(rows.map((row) => [row.key, row]));
    };
    const byItemKey = remember(
      await findKeys(
        sql,
        feedId,
        items.map((item) => itemKey(feedId, item.itemId)),
      ),
    );
    const nextKeys = items.flatMap((item) => {
      const row = byItemKey.get(itemKey(feedId, item.itemId));
      return keysToReadNext(feedId, item, row && { storyId: row.story_id, stored: row.stored, sourceHash: row.content_hash });
    });
    remember(await findKeys(sql, feedId, nextKeys));
    const titleKeys = reissueTitleKeys(feedId, items, keys);
    let reissueCandidates: SaveLookups['reissueCandidates'] = [];
    if (titleKeys.length > 0) {
      const times = items.map((item) => item.published.getTime());
      // Re-issue candidates are stored stories, with this feed's source of each (as in SQLite).
      const rows = await sql.query<{
        id: number;
        title_key: string;
        published_at: number;
        author_key: string | null;
        feed_id: string;
        content_hash: string | null;
      }>(
        `SELECT s.id, s.title_key, s.published_at, s.author_key, s.feed_id, ss.content_hash FROM stories s
         LEFT JOIN story_sources ss ON ss.story_id = s.id AND ss.feed_id = $4
         WHERE s.title_key = ANY($1::text[]) AND s.published_at BETWEEN $2 AND $3`,
        [titleKeys, Math.min(...times) - REISSUE_WINDOW_MS, Math.max(...times) + REISSUE_WINDOW_MS, feedId],
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
    const unmatched = items.filter((item) => keysOf(feedId, item).every((key) => !keys.has(key)));
    const asked = new Set(unmatched.flatMap((item) => publicIdCandidates(feedId, item, PUBLIC_ID_CANDIDATES)));
    const taken = await takenPublicIds(sql, [...asked]);
    return { lookups: { keys, stored, sourceHashes, reissueCandidates, carried }, asked, taken };
  }

  async function takenPublicIds(sql: Sql, ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await sql.query<{ public_id: string }>(`SELECT public_id FROM stories WHERE public_id = ANY($1::text[])`, [ids]);
    return new Set(rows.map((row) => row.public_id));
  }

  /**
   * Plans a save. The public ids asked about up front are those of items no key matched; a plan
   * that wants another (an item matched by key that still gets a story of its own, see planSave)
   * asks about it, and the plan is made again.
   */
  async function plan(
    sql: Sql,
    feedId: string,
    items: readonly NormalizedItem[],
    keepAfter: Date | null,
    othersUnread: boolean,
  ): Promise<SavePlan> {
    const { lookups, asked, taken } = await readLookups(sql, feedId, items);
    for (;;) {
      const unknown = new Set<string>();
      const planned = planSave(
        feedId,
        items,
        lookups,
        keepAfter,
        (id) => {
          if (!asked.has(id)) unknown.add(id);
          return taken.has(id);
        },
        othersUnread,
      );
      if (planned.needsWholeDocument) throw new UnreadItemsConflict(feedId);
      if (unknown.size === 0) return planned;
      for (const id of unknown) asked.add(id);
      for (const id of await takenPublicIds(sql, [...unknown])) taken.add(id);
    }
  }

  /** Carries out a plan: new stories first (their ids resolve the plan's references), then sources, keys and edits. */
  async function applyPlan(sql: Sql, feedId: string, saved: SavePlan, now: Date): Promise<void> {
    const nowMs = now.getTime();
    const column = <T>(pick: (entry: { item: NormalizedItem; publicId: string }) => T) => saved.inserts.map(pick);
    const inserted =
      saved.inserts.length === 0
        ? []
        : await sql.query<{ id: number; public_id: string }>(
            `
            INSERT INTO stories (feed_id, title, link, canonical_url, author, title_key, author_key, published_at,
              claimed_published_at, updated_at, summary, content, categories, first_seen_at, public_id)
            SELECT $1, title, link, canonical_url, author, title_key, author_key, published_at, claimed_published_at,
              updated_at, summary, content, categories, $14, public_id
            FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::bigint[],
              $10::bigint[], $11::text[], $12::text[], $13::text[], $15::text[])
              AS t (title, link, canonical_url, author, title_key, author_key, published_at, claimed_published_at,
                updated_at, summary, content, categories, public_id)
            RETURNING id, public_id`,
            [
              feedId,
              column(({ item }) => item.title),
              column(({ item }) => item.link),
              column(({ item }) => item.canonicalUrl),
              column(({ item }) => item.author),
              column(({ item }) => item.titleKey),
              column(({ item }) => item.authorKey),
              column(({ item }) => item.published.getTime()),
              column(({ item }) => item.claimedPublished?.getTime() ?? null),
              column(({ item }) => item.updated.getTime()),
              column(({ item }) => item.summary),
              column(({ item }) => item.content),
              column(({ item }) => JSON.stringify(item.categories)),
              nowMs,
              column(({ publicId }) => publicId),
            ],
          );
    const idByPublicId = new Map(inserted.map((row) => [row.public_id, row.id]));
    const resolve = (ref: StoryRef): number => (ref.kind === 'stored' ? ref.id : idByPublicId.get(saved.inserts[ref.index]!.publicId)!);
    if (saved.sources.length > 0) {
      await sql.run(
        `INSERT INTO story_sources (story_id, feed_id, link, first_seen_at, content_hash)
         SELECT s, $2, l, $4, h FROM unnest($1::bigint[], $3::text[], $5::text[]) AS t (s, l, h)`,
        [
          saved.sources.map(({ story }) => resolve(story)),
          feedId,
          saved.sources.map(({ item }) => item.link),
          nowMs,
          saved.sources.map(({ item }) => item.contentHash),
        ],
      );
      // A stored story this feed now carries too is indexed again, with this feed's token (schema 21).
      const joined = saved.sources.flatMap(({ story }) => (story.kind === 'stored' ? [story.id] : []));
      if (joined.length > 0) await sql.run(`UPDATE stories SET title = title WHERE id = ANY($1::bigint[])`, [joined]);
    }
    if (saved.keys.length > 0) {
      await sql.run(`INSERT INTO story_keys (key, story_id) SELECT * FROM unnest($1::text[], $2::bigint[]) ON CONFLICT DO NOTHING`, [
        saved.keys.map(({ key }) => key),
        saved.keys.map(({ story }) => resolve(story)),
      ]);
    }
    if (saved.rebinds.length > 0) {
      await sql.run(
        `INSERT INTO story_keys (key, story_id) SELECT * FROM unnest($1::text[], $2::bigint[])
         ON CONFLICT (key) DO UPDATE SET story_id = EXCLUDED.story_id`,
        [saved.rebinds.map(({ key }) => key), saved.rebinds.map(({ story }) => resolve(story))],
      );
    }
    for (const { storyId, item } of saved.edits) {
      await sql.run(
        `UPDATE stories SET title = $2, link = $3, author = $4, title_key = coalesce($5, title_key), author_key = $6,
           updated_at = greatest($7::bigint, $8::bigint), summary = $9, content = $10, categories = $11 WHERE id = $1`,
        [
          storyId,
          item.title,
          item.link,
          item.author,
          item.titleKey,
          item.authorKey,
          item.updated.getTime(),
          nowMs,
          item.summary,
          item.content,
          JSON.stringify(item.categories),
        ],
      );
      await sql.run(`UPDATE story_sources SET content_hash = $1, link = $2 WHERE story_id = $3 AND feed_id = $4`, [
        item.contentHash,
        item.link,
        storyId,
        feedId,
      ]);
    }
  }

  /** The sum of the content version's rows: it only grows, by one at least for each save that changes a story. */
  const contentVersion = async (): Promise<number> =>
    Number(
      (
        await db.query<{ value: number }>(
          `SELECT coalesce(sum(value), 0) AS value FROM meta WHERE key = 'content_version' OR key LIKE 'content_version:%'`,
        )
      )[0]?.value ?? 0,
    );

  const rankings = createSearchRankings();
  const searchPages = createSearchPages();
  /**
   * The ids of the newest SEARCH_CANDIDATES matches of `tsquery`, best first. A word naming an
   * outlet or columnist matches all their columns (their tokens): their newest alone could fill
   * the candidates and crowd out an older column with the name in its title. So when the
   * candidates are full, the older matches of each headline variant (search-query.ts: the
   * naming term in titles and bylines only) among the SEARCH_OLDER_SPAN ids below the
   * candidates are ranked the same way; the newest SEARCH_CANDIDATES of them are merged in, and
   * every newest candidate stays.
   */
  async function rankMatches(terms: SearchQuery['terms'], tsquery: string, now: number): Promise<number[]> {
    // A phrase is looked for among the newest stories holding all its words: testing a phrase
    // costs as much per story, and one of two common words is in few of the stories with both
    // (PostgreSQL walked 60,000 stories for "housing market" over 100,000).
    const newest = await rankCandidates(tsquery, toTsQuery(terms, { phrases: false }), now, null);
    const variants = headlineVariants(terms);
    if (newest.found < SEARCH_CANDIDATES || variants.length === 0) return newest.ranked.map((row) => row.id);
    const older = await Promise.all(
      variants.map(
        async (variant) =>
          (await rankCandidates(tsquery, toTsQuery(variant, { phrases: false }), now, { floor: newest.floor, variant: toTsQuery(variant) }))
            .ranked,
      ),
    );
    return withOlderRankings(newest.ranked, older, SEARCH_CANDIDATES);
  }

  /**
   * The newest SEARCH_CANDIDATES matches of `words` that match `tsquery`, ranked (lower `rank`
   * first); `found`: how many matched `words`, `floor`: the lowest id among them (both whatever
   * `tsquery` leaves). `older`: only among the SEARCH_OLDER_SPAN ids below `floor`, and only
   * those matching `variant` too (a headline variant, its phrases whole).
   */
  async function rankCandidates(tsquery: string, words: string, now: number, older: { floor: number; variant: string } | null) {
    const range = older ? `AND id < $4 AND id >= $4 - ${SEARCH_OLDER_SPAN}` : '';
    // Through the index, the matches' ids alone are sorted ("id + 0" keeps PostgreSQL off the id
    // index), then the newest SEARCH_CANDIDATES read by id: sorting every match's vector took
    // twice as long. Walking, each story is tested in id order until enough match.
    const newest = (await readsMatchesThroughIndex(words))
      ? `SELECT id, published_at, search FROM story_search WHERE id = ANY(ARRAY(
           SELECT id FROM story_search WHERE search @@ to_tsquery('simple', $3) ${range} ORDER BY id + 0 DESC LIMIT ${SEARCH_CANDIDATES}))`
      : `SELECT id, published_at, search FROM story_search
         WHERE search @@ to_tsquery('simple', $3) ${range} ORDER BY id DESC LIMIT ${SEARCH_CANDIDATES}`;
    // No window function for `found` and `floor` (count(*) OVER (), min(id) OVER ()): it held
    // every candidate's vector in a tuplestore, 13 ms of the 15 ms ranking the newest 2,000 of a
    // common word; every candidate comes back (rank NULL when `tsquery` leaves it), so both are read here.
    const rows = await db.query<{ id: number; rank: number | null }>(
      `SELECT id,
         CASE WHEN ($1 = $3 OR search @@ to_tsquery('simple', $1)) ${older ? `AND search @@ to_tsquery('simple', $5)` : ''}
           THEN -ts_rank(search, to_tsquery('simple', $1)) / (1 + greatest(0, $2 - published_at) / ${RECENCY_MS}.0) END AS rank
       FROM (${newest}) AS newest
       ORDER BY rank NULLS LAST, id DESC`,
      older ? [tsquery, now, words, older.floor, older.variant] : [tsquery, now, words],
    );
    const ranked: RankedId[] = rows.flatMap((row) => (row.rank === null ? [] : [{ id: Number(row.id), rank: Number(row.rank) }]));
    const floor = rows.reduce((lowest, row) => Math.min(lowest, Number(row.id)), Infinity);
    return { ranked, found: rows.length, floor: rows.length === 0 ? 0 : floor };
  }

  const withSources = async (sql: Sql, rows: StoryRow[]): Promise<Story[]> =>
    rows.length === 0
      ? []
      : toStories(
          rows,
          await sql.query<SourceRow>(
            `SELECT story_id, feed_id, link, first_seen_at FROM story_sources WHERE story_id = ANY($1::bigint[])`,
            [rows.map((row) => row.id)],
          ),
        );

  /**
   * Takes the locks for `wanted` key locks (see the file comment), beyond those `held` already:
   * the story write lock in shared mode first (a save holding key locks never waits for it),
   * then the key locks in one order (no two saves wait for each other), or the story write
   * lock exclusively past the server's budget (LOCKS_OWN_WRITES_TAKE). Returns the key locks now held, or 'all'.
   */
  let maxKeyLocks: number | undefined;
  async function lockKeys(tx: Sql, wanted: ReadonlySet<number>, held: Set<number>): Promise<Set<number> | 'all'> {
    // Read on the save's own connection (through the pool it could wait for ever for a
    // connection while every one is a save waiting here), by each of the first saves, then kept;
    // a failed read (the server restarting) fails that save alone and is not kept.
    if (maxKeyLocks === undefined) {
      const [row] = await tx.query<{ max_locks_per_transaction: string }>('SHOW max_locks_per_transaction');
      maxKeyLocks = Math.max(0, Number(row?.max_locks_per_transaction ?? 64) - LOCKS_OWN_WRITES_TAKE);
    }
    if (wanted.size > maxKeyLocks) {
      // Holding the shared mode, wait for the exclusive one: two such saves would deadlock
      // (PostgreSQL detects it and fails one), rarer than rare at this size.
      await tx.query('SELECT pg_advisory_xact_lock($1)', [STORY_WRITE_LOCK]);
      return 'all';
    }
    if (held.size === 0) await tx.query('SELECT pg_advisory_xact_lock_shared($1)', [STORY_WRITE_LOCK]);
    const next = [...wanted].filter((lock) => !held.has(lock)).sort((a, b) => a - b);
    await tx.query('SELECT count(pg_advisory_xact_lock($1, k)) FROM unnest($2::int[]) AS k', [STORY_WRITE_LOCK, next]);
    for (const lock of next) held.add(lock);
    return held;
  }

  /** Reads the highest story id by `sql`, once every save that drew a lower one has committed (see the file comment). */
  const settledMaxId = (sql: string, params: unknown[]): Promise<number> =>
    db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [STORY_WRITE_LOCK]);
      return Number((await tx.query<{ id: number }>(sql, params))[0]!.id);
    });

  return {
    /**
     * Saves one feed's items inside the caller's transaction `tx`; `changed` tells whether
     * anything a merged feed shows changed. See the file comment for the lock.
     */
    async saveItems(
      tx: Sql,
      feedId: string,
      items: readonly NormalizedItem[],
      now: Date,
      keepAfter: Date | null,
      othersUnread = false,
    ): Promise<SaveResult & { changed: boolean }> {
      if (items.length === 0) return { added: 0, updated: 0, duplicates: 0, changed: false };
      let saved = await plan(tx, feedId, items, keepAfter, othersUnread);
      if (adds(saved)) {
        let held = await lockKeys(tx, keyLocks(feedId, saved), new Set());
        saved = await plan(tx, feedId, items, keepAfter, othersUnread); // what others committed while this one waited
        // Rarely, what others committed makes the plan touch keys the first did not (a deadlock
        // this could make, PostgreSQL detects, failing one save: its feed is fetched again).
        while (adds(saved) && lacks(held, keyLocks(feedId, saved))) {
          held = await lockKeys(tx, keyLocks(feedId, saved), held);
          saved = await plan(tx, feedId, items, keepAfter, othersUnread);
        }
      }
      await applyPlan(tx, feedId, saved, now);
      return { ...saved.result, changed: saved.changed };
    },
    /** How many stories `feedId` added by its save at `now` (a story's first feed and first sight are its adding save's). */
    async addedAt(feedId: string, now: Date): Promise<number> {
      const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM stories WHERE feed_id = $1 AND first_seen_at = $2`, [
        feedId,
        now.getTime(),
      ]);
      return row!.n;
    },
    /** Stories newest first, each with all its sources. */
    async list(query: StoryQuery): Promise<Story[]> {
      const where: string[] = [];
      const params: unknown[] = [];
      const param = (value: unknown): string => `$${params.push(value)}`;
      if (query.feedIds) where.push(`id IN (SELECT story_id FROM story_sources WHERE feed_id = ANY(${param(query.feedIds)}::text[]))`);
      if (query.byline) {
        where.push(
          `(author_key = ANY(${param(query.byline.authorKeys)}::text[]) OR (author_key IS NULL AND feed_id = ANY(${param(query.byline.feedIds)}::text[])))`,
        );
      }
      if (query.before) {
        const published = param(query.before.published.getTime());
        where.push(`(published_at < ${published} OR (published_at = ${published} AND id < ${param(query.before.id)}))`);
      }
      const rows = await db.query<StoryRow>(
        `SELECT ${STORY_ROW} FROM stories ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY published_at DESC, id DESC LIMIT ${param(query.limit)}`,
        params,
      );
      return withSources(db, rows);
    },
    /** The story published under `publicId`, or null. */
    async byPublicId(publicId: string): Promise<Story | null> {
      const rows = await db.query<StoryRow>(`SELECT ${STORY_ROW} FROM stories WHERE public_id = $1`, [publicId]);
      return (await withSources(db, rows))[0] ?? null;
    },
    /** Story counts and newest story per (author key, first feed). */
    async bylineStats(): Promise<BylineStat[]> {
      const rows = await db.query<BylineStatRow>(
        // Counts and newest dates from the byline index (an index-only scan once vacuumed), then
        // each group's newest story by an index lookup: 15–25 ms over 100,000 stories where
        // sorting every row (DISTINCT ON with a window count) took 320–480 ms, spilling to disk.
        `SELECT g.author_key, g.feed_id, g.n, g.published_at, s.author, s.title, s.public_id
         FROM (SELECT author_key, feed_id, count(*) AS n, max(published_at) AS published_at FROM stories GROUP BY author_key, feed_id) g
         CROSS JOIN LATERAL (
           SELECT author, title, public_id FROM stories s
           WHERE s.feed_id = g.feed_id AND s.published_at = g.published_at
             AND (s.author_key = g.author_key OR (s.author_key IS NULL AND g.author_key IS NULL))
           ORDER BY s.id DESC LIMIT 1
         ) s`,
      );
      return rows.map(toBylineStat);
    },
    /**
     * Full-text search, relevance (ts_rank: title A, author B, text D) fading over 30 days of
     * age, among the newest SEARCH_CANDIDATES matches; snippets for the page's rows only. The
     * next page, or the same search again, reuses the ranking while the content version is the
     * same (every save that changes a story moves it; search-rankings.ts).
     */
    async search(query: SearchQuery): Promise<SearchHit[]> {
      if (query.terms.length === 0) return [];
      const tsquery = toTsQuery(query.terms);
      const now = query.now.getTime();
      // Read before ranking: a ranking is never older than the version it is kept under.
      const generation = String(await contentVersion());
      let ranked = rankings.get(tsquery, generation, now);
      if (!ranked) rankings.set(tsquery, generation, now, (ranked = await rankMatches(query.terms, tsquery, now)));
      // The version moves with every change of what a result shows: a page read under it stands.
      const kept = searchPages.get(ranked, query.offset, query.limit, generation);
      if (kept) return [...kept];
      const pageIds = ranked.slice(query.offset, query.offset + query.limit);
      const rows =
        pageIds.length === 0
          ? []
          : await db.query<SearchRow>(
              `SELECT id, public_id, title, link, author, feed_id, published_at, summary, content FROM stories WHERE id = ANY($1::bigint[])`,
              [pageIds],
            );
      const byId = new Map(rows.map((row) => [row.id, row]));
      // A ranked story pruned since its ranking is left out (pruning moves the version too).
      const hits = pageIds.flatMap((id) => {
        const row = byId.get(id);
        if (!row) return [];
        const story = toSearchStory(row);
        return [
          {
            story,
            snippet: searchSnippet(query.terms, { title: row.title, author: row.author, summary: row.summary, content: row.content }),
          },
        ];
      });
      searchPages.set(ranked, query.offset, query.limit, generation, hits);
      return [...hits];
    },
    /**
     * Deletes stories published before `before`, PRUNE_BATCH per transaction; their keys stay as
     * tombstones. Returns how many.
     */
    async prune(before: Date): Promise<number> {
      let pruned = 0;
      for (let batch = PRUNE_BATCH; batch === PRUNE_BATCH; pruned += batch) {
        batch = await db.transaction(async (tx) => {
          // Alone, as saves that add stories are among themselves (see the file comment): a save
          // never plans around a story deleted under it. A batch at a time, so the saves wait
          // for one batch, not for a backlog of millions (a cluster's first prune).
          await tx.query('SELECT pg_advisory_xact_lock($1)', [STORY_WRITE_LOCK]);
          const deleted = await tx.run(
            `DELETE FROM stories WHERE id IN (SELECT id FROM stories WHERE published_at < $1 ORDER BY published_at LIMIT $2)`,
            [before.getTime(), PRUNE_BATCH],
          );
          if (deleted > 0) await tx.run(BUMP_CONTENT_VERSION);
          return deleted;
        });
      }
      return pruned;
    },
    /** Marks the merged feeds out of date (inside `sql`'s transaction). */
    bumpVersion: async (sql: Sql): Promise<void> => void (await sql.run(BUMP_CONTENT_VERSION)),
    /** A number that changes whenever what the merged feeds show changes (it only grows). */
    version: contentVersion,
    /** The highest story id (ids only grow), 0 when there are none; no lower id commits after it is read. */
    maxId: (): Promise<number> => settledMaxId(`SELECT coalesce(max(id), 0) AS id FROM stories`, []),
    /** The highest id among stories first seen at or before `at`; no lower id commits after it is read. */
    maxIdSeenBefore: (at: Date): Promise<number> =>
      settledMaxId(`SELECT coalesce(max(id), 0) AS id FROM stories WHERE first_seen_at <= $1`, [at.getTime()]),
    /** Ids of stories with fromId < id <= toId, optionally only from some feeds. */
    idsInRange: async (fromId: number, toId: number, feedIds?: readonly string[]): Promise<number[]> =>
      (
        await db.query<{ id: number }>(
          `SELECT id FROM stories WHERE id > $1 AND id <= $2
           ${feedIds ? 'AND id IN (SELECT story_id FROM story_sources WHERE feed_id = ANY($3::text[]))' : ''} ORDER BY id`,
          feedIds ? [fromId, toId, feedIds] : [fromId, toId],
        )
      ).map((row) => row.id),
    /** The stories with these ids that still exist, newest first. */
    listByIds: async (ids: readonly number[]): Promise<Story[]> =>
      withSources(
        db,
        await db.query<StoryRow>(`SELECT ${STORY_ROW} FROM stories WHERE id = ANY($1::bigint[]) ORDER BY published_at DESC, id DESC`, [
          ids,
        ]),
      ),
    /** When each feed last brought a new story, by feed id. */
    lastNewStoryByFeed: async (): Promise<Map<string, Date>> =>
      new Map(
        (
          await db.query<{ feed_id: string; at: number }>(`SELECT feed_id, max(first_seen_at) AS at FROM story_sources GROUP BY feed_id`)
        ).map((row) => [row.feed_id, new Date(row.at)]),
      ),
    /** Number of stored stories. */
    count: async (): Promise<number> => (await db.query<{ n: number }>(`SELECT count(*)::bigint AS n FROM stories`))[0]!.n,
    /** Number of stories each feed contributed to, by feed id. */
    countByFeed: async (): Promise<Map<string, number>> =>
      new Map(
        (await db.query<{ feed_id: string; n: number }>(`SELECT feed_id, count(*)::bigint AS n FROM story_sources GROUP BY feed_id`)).map(
          (row) => [row.feed_id, row.n],
        ),
      ),
  };
}
