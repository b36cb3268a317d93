/** Per-feed polling state: which URL to fetch, validators for conditional GET, schedule and errors. */
import { pickSignature } from '../../feeds/pick-authors.ts';
import type { FeedSource, FeedState } from '../../model.ts';
import { redactSecrets } from '../../redact.ts';
import { toDate, toFeedState, type FeedRow } from '../rows.ts';
import type { FetchFailure, FetchSuccess } from '../store.ts';
import type { Database } from './database.ts';

export type FeedStore = ReturnType<typeof createFeedStore>;

/** Builds the feed store over an open database. */
export function createFeedStore(db: Database) {
  const insert = db.prepare(`INSERT INTO feeds (id, configured_url, url) VALUES (?, ?, ?)`);
  const reset = db.prepare(`
    UPDATE feeds SET configured_url = ?, url = ?, etag = NULL, last_modified = NULL, body_hash = NULL, next_fetch_at = NULL,
      wait_reason = NULL, consecutive_errors = 0, last_error = NULL WHERE id = ?`);
  // A new pick drops the validators: the next fetch is a full one, due now, unless the publisher
  // asked to wait (Retry-After) or the feed backs off after errors.
  const repick = db.prepare(`
    UPDATE feeds SET pick = ?, etag = NULL, last_modified = NULL, body_hash = NULL,
      next_fetch_at = CASE WHEN wait_reason IN ('retry-after', 'backoff') THEN next_fetch_at END
    WHERE id = ?`);
  const dropDigest = db.prepare(`DELETE FROM feed_item_digests WHERE feed_id = ?`);
  const writeDigest = db.prepare(
    `INSERT INTO feed_item_digests (feed_id, digest) VALUES (?, ?) ON CONFLICT (feed_id) DO UPDATE SET digest = excluded.digest`,
  );
  const selectDigest = db.prepare<[string], { digest: string }>(`SELECT digest FROM feed_item_digests WHERE feed_id = ?`);
  const selectActive = db.prepare<[], FeedRow>(`SELECT * FROM feeds WHERE in_config = 1 ORDER BY id`);
  const countActive = db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM feeds WHERE in_config = 1`);
  const selectOne = db.prepare<[string], FeedRow>(`SELECT * FROM feeds WHERE id = ?`);
  const success = db.prepare(`
    UPDATE feeds SET url = @url, etag = @etag, last_modified = @lastModified,
      title = coalesce(@title, title), site_link = coalesce(@siteLink, site_link),
      last_fetch_at = @now, last_success_at = @now, next_fetch_at = @nextFetchAt, wait_reason = 'schedule',
      ttl_minutes = @ttlMinutes, body_hash = CASE WHEN @keepBodyHash = 1 THEN body_hash ELSE @bodyHash END,
      consecutive_errors = 0, last_error = NULL
    WHERE id = @id AND (@configuredUrl IS NULL OR configured_url = @configuredUrl)`);
  const failure = db.prepare(`
    UPDATE feeds SET url = coalesce(@url, url), last_fetch_at = @now, next_fetch_at = @nextFetchAt,
      wait_reason = @waitReason, consecutive_errors = consecutive_errors + 1, last_error = @error
    WHERE id = @id AND (@configuredUrl IS NULL OR configured_url = @configuredUrl)`);

  return {
    /**
     * Makes the stored feeds match the config: adds new ones, resets moved ones, retires removed
     * ones (their stories stay), and refetches in full the ones whose picked columnists changed.
     */
    sync: db.transaction((sources: FeedSource[]): void => {
      db.prepare(`UPDATE feeds SET in_config = 0`).run();
      const activate = db.prepare(`UPDATE feeds SET in_config = 1 WHERE id = ?`);
      for (const source of sources) {
        const row = selectOne.get(source.id);
        const pick = pickSignature(source.pick);
        if (!row) insert.run(source.id, source.url, source.url);
        else if (row.configured_url !== source.url) {
          reset.run(source.url, source.url, source.id);
          dropDigest.run(source.id);
        }
        if ((row?.pick ?? null) !== pick) {
          repick.run(pick, source.id);
          dropDigest.run(source.id);
        }
        activate.run(source.id);
      }
    }),

    /** Feeds currently in the config, by id. */
    listActive: (): FeedState[] => selectActive.all().map(toFeedState),
    countActive: (): number => countActive.get()!.n,

    /** When any feed was last fetched, or null. */
    lastFetchAt(): Date | null {
      const row = db.prepare<[], { at: number | null }>(`SELECT max(last_fetch_at) AS at FROM feeds`).get();
      return toDate(row?.at ?? null);
    },

    /** One feed's state, or null. */
    get: (id: string): FeedState | null => {
      const row = selectOne.get(id);
      return row ? toFeedState(row) : null;
    },

    /** The feed's item digest (feeds/item-digest.ts), or null. */
    itemDigest: (id: string): string | null => selectDigest.get(id)?.digest ?? null,

    /** Records a 200 or 304: validators, schedule, errors cleared. */
    markSuccess(id: string, result: FetchSuccess, now: Date): void {
      const written = success.run({
        id,
        url: result.url,
        etag: result.etag,
        lastModified: result.lastModified,
        title: result.title ?? null,
        siteLink: result.siteLink ?? null,
        ttlMinutes: result.ttlMinutes,
        now: now.getTime(),
        nextFetchAt: result.nextFetchAt.getTime(),
        configuredUrl: result.configuredUrl ?? null,
        keepBodyHash: result.bodyHash === undefined ? 1 : 0,
        bodyHash: result.bodyHash ?? null,
      });
      // A full save sets the item digest (null: none kept); a 304 leaves it (undefined); a stale result writes nothing.
      if (written.changes > 0 && result.itemDigest !== undefined) {
        if (result.itemDigest) writeDigest.run(id, result.itemDigest);
        else dropDigest.run(id);
      }
    },

    /**
     * Records a failed fetch: error text, one more consecutive error, when to try again. The
     * error is stored without the passwords and tokens of the feed's URLs, so no reader of it
     * (digests, listings, stats) can show them.
     */
    markFailure(id: string, result: FetchFailure, now: Date): void {
      const row = selectOne.get(id);
      const error = redactSecrets(result.error, [result.url, result.configuredUrl, row?.url, row?.configured_url]);
      failure.run({
        id,
        url: result.url ?? null,
        error,
        waitReason: result.waitReason,
        now: now.getTime(),
        nextFetchAt: result.nextFetchAt.getTime(),
        configuredUrl: result.configuredUrl ?? null,
      });
    },
  };
}
