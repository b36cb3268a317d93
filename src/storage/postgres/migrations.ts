/**
 * The PostgreSQL schema, as an append-only list beside the SQLite one (sqlite/migrations.ts).
 * Versions are shared: version N means the same tables and meaning in both backends. PostgreSQL
 * support began at SQLite's version 7, so its first entry builds version 7 whole; every later
 * change is added to both lists under the same number. Never edit a shipped entry.
 * Times are BIGINT milliseconds since the epoch and ids BIGINT, as in SQLite.
 */
import { CJK_POSTGRES_CLASS, CJK_SEPARATOR } from '../../cjk-text.ts';
import { storyTokensSql } from '../../search-tokens.ts';
import { SEARCH_TEXT_FUNCTIONS, searchVectorSql } from './search-text-sql.ts';

export const postgresMigrations: ReadonlyArray<{ version: number; sql: string }> = [
  {
    version: 7,
    sql: `
    CREATE TABLE feeds (
      id                 TEXT PRIMARY KEY,
      configured_url     TEXT NOT NULL,
      url                TEXT NOT NULL,
      in_config          INTEGER NOT NULL DEFAULT 1,
      title              TEXT,
      site_link          TEXT,
      etag               TEXT,
      last_modified      TEXT,
      last_fetch_at      BIGINT,
      last_success_at    BIGINT,
      next_fetch_at      BIGINT,
      wait_reason        TEXT,
      ttl_minutes        INTEGER,
      consecutive_errors INTEGER NOT NULL DEFAULT 0,
      last_error         TEXT
    );

    -- Ids only grow and are committed in order (story inserts take a transaction lock, see
    -- story-store.ts): they are the digest cursor.
    CREATE TABLE stories (
      id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      feed_id              TEXT NOT NULL,
      title                TEXT,
      link                 TEXT,
      canonical_url        TEXT,
      author               TEXT,
      title_key            TEXT,
      author_key           TEXT,
      published_at         BIGINT NOT NULL,
      claimed_published_at BIGINT,
      updated_at           BIGINT NOT NULL,
      summary              TEXT,
      content              TEXT,
      categories           TEXT NOT NULL DEFAULT '[]',
      first_seen_at        BIGINT NOT NULL,
      public_id            TEXT NOT NULL
    );
    CREATE INDEX stories_by_published ON stories (published_at DESC, id DESC);
    CREATE INDEX stories_by_first_seen ON stories (first_seen_at, id);
    CREATE INDEX stories_by_title_key ON stories (title_key) WHERE title_key IS NOT NULL;
    CREATE UNIQUE INDEX stories_by_public_id ON stories (public_id);

    -- Identity keys outlive their story: a tombstone keeps a pruned story from coming back.
    CREATE TABLE story_keys (
      key      TEXT PRIMARY KEY,
      story_id BIGINT NOT NULL
    );

    CREATE TABLE story_sources (
      story_id      BIGINT NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
      feed_id       TEXT NOT NULL,
      link          TEXT,
      first_seen_at BIGINT NOT NULL,
      content_hash  TEXT NOT NULL,
      PRIMARY KEY (story_id, feed_id)
    );
    CREATE INDEX story_sources_by_feed ON story_sources (feed_id, story_id);

    CREATE TABLE meta (
      key   TEXT PRIMARY KEY,
      value BIGINT NOT NULL
    );
    INSERT INTO meta (key, value) VALUES ('content_version', 0);

    CREATE TABLE digest_runs (
      id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      digest_id     TEXT NOT NULL,
      created_at    BIGINT NOT NULL,
      from_story_id BIGINT NOT NULL,
      to_story_id   BIGINT NOT NULL,
      story_ids     TEXT NOT NULL,
      subject       TEXT NOT NULL,
      status        TEXT NOT NULL,
      finished_at   BIGINT,
      after_run_id  BIGINT
    );
    CREATE INDEX digest_runs_by_digest ON digest_runs (digest_id, id);
    CREATE UNIQUE INDEX digest_runs_one_after ON digest_runs (digest_id, after_run_id);

    CREATE TABLE digest_deliveries (
      run_id      BIGINT NOT NULL REFERENCES digest_runs (id),
      address     TEXT NOT NULL,
      status      TEXT NOT NULL,
      attempts    INTEGER NOT NULL DEFAULT 0,
      last_error  TEXT,
      message_id  TEXT NOT NULL,
      sent_at     BIGINT,
      claim_owner TEXT,
      claimed_at  BIGINT,
      claim_token BIGINT NOT NULL DEFAULT 0,
      PRIMARY KEY (run_id, address)
    );

    CREATE TABLE subscriptions (
      address   TEXT NOT NULL,
      digest_id TEXT NOT NULL,
      state     TEXT NOT NULL CHECK (state IN ('subscribed', 'unsubscribed')),
      epoch     INTEGER NOT NULL DEFAULT 0,
      at        BIGINT NOT NULL,
      PRIMARY KEY (address, digest_id)
    );
    `,
  },
  {
    version: 8,
    sql: `
    CREATE TABLE subscribers (
      digest_id TEXT NOT NULL,
      address   TEXT NOT NULL,
      name      TEXT,
      added_at  BIGINT NOT NULL,
      PRIMARY KEY (digest_id, address)
    );
    ALTER TABLE digest_deliveries ADD COLUMN name TEXT;
    `,
  },
  {
    version: 9,
    sql: `
    ALTER TABLE feeds ADD COLUMN queued_at BIGINT;
    ALTER TABLE feeds ADD COLUMN lease_owner TEXT;
    ALTER TABLE feeds ADD COLUMN lease_token BIGINT NOT NULL DEFAULT 0;
    ALTER TABLE feeds ADD COLUMN lease_until BIGINT;
    -- The planner's question (due, in the config, not queued) and the lease count per host.
    CREATE INDEX feeds_due ON feeds (next_fetch_at) WHERE in_config = 1 AND queued_at IS NULL;
    CREATE INDEX feeds_leased ON feeds (lease_until) WHERE lease_until IS NOT NULL;
    CREATE TABLE schedule_ticks (
      job  TEXT NOT NULL,
      tick BIGINT NOT NULL,
      at   BIGINT NOT NULL,
      PRIMARY KEY (job, tick)
    );
    CREATE TABLE shared_settings (
      key   TEXT PRIMARY KEY,
      value TEXT NOT NULL
    );
    -- A digest run's recipients are sent in address ranges, one job each: pending ones by address.
    CREATE INDEX digest_deliveries_pending ON digest_deliveries (run_id, address) WHERE status = 'pending';
    `,
  },
  {
    version: 10,
    sql: `
    -- The readers' site (see the SQLite list): stories by author key, and full-text search over
    -- title (weight A), author (B) and the text of the excerpt (D), kept by PostgreSQL itself.
    CREATE INDEX stories_by_author ON stories (author_key, published_at DESC, id DESC);
    CREATE INDEX stories_by_byline ON stories (author_key, feed_id, published_at);
    ALTER TABLE stories ADD COLUMN search tsvector GENERATED ALWAYS AS (
      setweight(to_tsvector('simple'::regconfig, coalesce(title, '')), 'A') ||
      setweight(to_tsvector('simple'::regconfig, coalesce(author, '')), 'B') ||
      setweight(to_tsvector('simple'::regconfig, left(regexp_replace(coalesce(summary, content, ''), '<[^>]*>', ' ', 'g'), 4000)), 'D')
    ) STORED;
    CREATE INDEX stories_search ON stories USING gin (search);
    `,
  },
  {
    version: 11,
    sql: `
    CREATE TABLE signups (
      digest_id    TEXT NOT NULL,
      address      TEXT NOT NULL,
      name         TEXT,
      choices      TEXT NOT NULL DEFAULT '{}',
      requested_at BIGINT NOT NULL,
      PRIMARY KEY (digest_id, address)
    );
    ALTER TABLE subscribers ADD COLUMN choices TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE subscribers ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE bounces (
      address        TEXT PRIMARY KEY,
      failures       INTEGER NOT NULL,
      last_error     TEXT NOT NULL,
      last_at        BIGINT NOT NULL,
      bouncing_since BIGINT
    );
    `,
  },
  {
    version: 12,
    sql: `
    ALTER TABLE feeds ADD COLUMN pick TEXT;
    `,
  },
  {
    version: 13,
    sql: `
    ALTER TABLE bounces ADD COLUMN reported INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    // SQLite's version 14 batches its own search index; PostgreSQL's is a generated column: nothing to do.
    version: 14,
    sql: `SELECT 1;`,
  },
  {
    // The hash of the last document stored in full: the same bytes again are not parsed.
    version: 15,
    sql: `
    ALTER TABLE feeds ADD COLUMN IF NOT EXISTS body_hash TEXT;
    `,
  },
  {
    // Each feed's digest of the items its last stored document held: the next document parses only new items.
    version: 16,
    sql: `
    CREATE TABLE IF NOT EXISTS feed_item_digests (
      feed_id TEXT PRIMARY KEY REFERENCES feeds(id) ON DELETE CASCADE,
      digest  TEXT NOT NULL
    );
    `,
  },
  {
    // SQLite's version 17 stops reusing a pruned story's id (an identity column never reuses one).
    // Here: re-issue candidates (title key within a few days) are read through one index on both
    // columns. Before statistics exist (a bulk first round, before autovacuum's first ANALYZE) the
    // planner combined the title index with a scan of every date in the window: 7 ms at 56,000
    // stories, twice per save with new stories, under the story write lock.
    version: 17,
    sql: `
    CREATE INDEX IF NOT EXISTS stories_by_title_key_published ON stories (title_key, published_at) WHERE title_key IS NOT NULL;
    DROP INDEX IF EXISTS stories_by_title_key;
    `,
  },
  {
    // Workers save at once: the content version, bumped by every save that changes what the
    // merged feeds show, is the sum of 16 rows (story-store.ts), so saves seldom queue on one
    // row's lock until commit. The first row keeps its key and value.
    version: 18,
    sql: `
    INSERT INTO meta (key, value) SELECT 'content_version:' || n, 0 FROM generate_series(1, 15) AS n ON CONFLICT (key) DO NOTHING;
    `,
  },
  {
    // Search reads a narrow table of its own: each story's id, date and search vector, kept
    // inline (STORAGE MAIN). In the wide stories row the vector was out of line (TOAST), so
    // testing a story cost three page reads: ranking the newest 2,000 matches of a word in 12–14 %
    // of 100,000 stories took 44–52 ms, and 11–15 ms here. A trigger keeps it with every story.
    version: 19,
    sql: `
    CREATE TABLE story_search (
      id           BIGINT PRIMARY KEY REFERENCES stories (id) ON DELETE CASCADE,
      published_at BIGINT NOT NULL,
      search       tsvector NOT NULL
    );
    ALTER TABLE story_search ALTER COLUMN search SET STORAGE MAIN;
    INSERT INTO story_search (id, published_at, search) SELECT id, published_at, search FROM stories;
    CREATE INDEX story_search_words ON story_search USING gin (search);
    DROP INDEX stories_search;
    ALTER TABLE stories DROP COLUMN search;
    CREATE FUNCTION story_search_keep() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO story_search (id, published_at, search) VALUES (
        NEW.id,
        NEW.published_at,
        setweight(to_tsvector('simple'::regconfig, coalesce(NEW.title, '')), 'A') ||
        setweight(to_tsvector('simple'::regconfig, coalesce(NEW.author, '')), 'B') ||
        setweight(to_tsvector('simple'::regconfig, left(regexp_replace(coalesce(NEW.summary, NEW.content, ''), '<[^>]*>', ' ', 'g'), 4000)), 'D')
      ) ON CONFLICT (id) DO UPDATE SET published_at = excluded.published_at, search = excluded.search;
      RETURN NULL;
    END $$;
    CREATE TRIGGER stories_search_kept AFTER INSERT OR UPDATE OF title, author, summary, content, published_at ON stories
      FOR EACH ROW EXECUTE FUNCTION story_search_keep();
    `,
  },
  {
    // Chinese and Japanese text is indexed with each ideograph and kana apart (cjk-text.ts), so
    // 経済 is found in 日本の経済政策; the stories holding such text are indexed again.
    version: 20,
    sql: `
    CREATE FUNCTION columnwire_space_cjk(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
      AS $$ SELECT CASE WHEN $1 ~ '[${CJK_POSTGRES_CLASS}]'
        THEN regexp_replace(regexp_replace($1, '([${CJK_POSTGRES_CLASS}])', '${CJK_SEPARATOR}\\1${CJK_SEPARATOR}', 'g'), '${CJK_SEPARATOR}{2,}', '${CJK_SEPARATOR}', 'g')
        ELSE $1 END $$;
    CREATE OR REPLACE FUNCTION story_search_keep() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO story_search (id, published_at, search) VALUES (
        NEW.id,
        NEW.published_at,
        setweight(to_tsvector('simple'::regconfig, columnwire_space_cjk(coalesce(NEW.title, ''))), 'A') ||
        setweight(to_tsvector('simple'::regconfig, columnwire_space_cjk(coalesce(NEW.author, ''))), 'B') ||
        setweight(to_tsvector('simple'::regconfig,
          columnwire_space_cjk(left(regexp_replace(coalesce(NEW.summary, NEW.content, ''), '<[^>]*>', ' ', 'g'), 4000))), 'D')
      ) ON CONFLICT (id) DO UPDATE SET published_at = excluded.published_at, search = excluded.search;
      RETURN NULL;
    END $$;
    UPDATE stories SET title = title
      WHERE title ~ '[${CJK_POSTGRES_CLASS}]' OR author ~ '[${CJK_POSTGRES_CLASS}]'
         OR summary ~ '[${CJK_POSTGRES_CLASS}]' OR content ~ '[${CJK_POSTGRES_CLASS}]';
    `,
  },
  {
    // Search finds a column by its outlet and its columnist as the site names them (aliases, a
    // feed's unsigned columns): a story's vector gains tokens (weight C) for its author key, its
    // feed when unsigned, and every feed that carried it (search-tokens.ts), which a searched
    // word naming an outlet or a columnist is matched against. A new story has no sources yet;
    // a story another feed carries too is indexed again by the save that adds the source
    // (story-store.ts). The stories stored before get their tokens added to their vectors.
    version: 21,
    sql: `
    CREATE OR REPLACE FUNCTION story_search_keep() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      sources text[] := '{}';
    BEGIN
      IF TG_OP = 'UPDATE' THEN
        sources := ARRAY(SELECT feed_id FROM story_sources WHERE story_id = NEW.id);
      END IF;
      INSERT INTO story_search (id, published_at, search) VALUES (
        NEW.id,
        NEW.published_at,
        setweight(to_tsvector('simple'::regconfig, columnwire_space_cjk(coalesce(NEW.title, ''))), 'A') ||
        setweight(to_tsvector('simple'::regconfig, columnwire_space_cjk(coalesce(NEW.author, ''))), 'B') ||
        setweight(to_tsvector('simple'::regconfig,
          columnwire_space_cjk(left(regexp_replace(coalesce(NEW.summary, NEW.content, ''), '<[^>]*>', ' ', 'g'), 4000))), 'D') ||
        setweight(to_tsvector('simple'::regconfig, ${storyTokensSql('NEW', 'sources')}), 'C')
      ) ON CONFLICT (id) DO UPDATE SET published_at = excluded.published_at, search = excluded.search;
      RETURN NULL;
    END $$;
    UPDATE story_search ss SET search = ss.search || setweight(to_tsvector('simple'::regconfig, ${storyTokensSql('s', 'ARRAY(SELECT feed_id FROM story_sources WHERE story_id = s.id)')}), 'C')
    FROM stories s WHERE s.id = ss.id;
    `,
  },
  {
    // Search reads a story's text as SQLite's index does (search-text.ts), so a word a reader
    // sees is found on both backends: text normalised to NFC (a title pasted from macOS is
    // decomposed, and was found by no typed word), scripts and styles dropped with their text
    // (`margin` found every WordPress gallery post), entities decoded, and ASCII punctuation
    // read as a space, as FTS5 reads it (PostgreSQL's parser kept `pat@example.com`, a host, a
    // path and `3.14` as one word each, which no query split into words could match, and read a
    // literal `<script>` in a plain-text title as a tag, dropping every word after it). Every
    // stored story is indexed again; its tokens (weight C) are kept. (SQLite's version 22 is
    // its narrow date index, which PostgreSQL's story_search already is.)
    version: 22,
    sql: `
    ${SEARCH_TEXT_FUNCTIONS}
    CREATE OR REPLACE FUNCTION story_search_keep() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      sources text[] := '{}';
    BEGIN
      IF TG_OP = 'UPDATE' THEN
        sources := ARRAY(SELECT feed_id FROM story_sources WHERE story_id = NEW.id);
      END IF;
      INSERT INTO story_search (id, published_at, search) VALUES (
        NEW.id,
        NEW.published_at,
        ${searchVectorSql('NEW')} ||
        setweight(to_tsvector('simple'::regconfig, ${storyTokensSql('NEW', 'sources')}), 'C')
      ) ON CONFLICT (id) DO UPDATE SET published_at = excluded.published_at, search = excluded.search;
      RETURN NULL;
    END $$;
    UPDATE story_search ss SET search = ${searchVectorSql('s')} || ts_filter(ss.search, '{c}')
    FROM stories s WHERE s.id = ss.id;
    `,
  },
  {
    // SQLite's version 23 finds re-issues by feed and by author rather than by its title key
    // index, whose random entries cost a page per story in each feed's commit. PostgreSQL keeps
    // its (title_key, published_at) index (version 17): nothing to do.
    version: 23,
    sql: `SELECT 1;`,
  },
  {
    // A worker's lease in one round trip rather than six (BEGIN, the feed's row, its host's lock,
    // every leased feed's url to count the host's leases in JavaScript, the update, COMMIT), with
    // the feed's state and item digest, so the poll reads neither again. Each lease records the
    // host it counts against (lease_host: hostOf(url), computed in JavaScript as before), so the
    // host's live leases are counted here, by the few rows of feeds_leased. A function, not one
    // statement: each of its statements reads after the host's lock is granted (READ COMMITTED
    // takes a snapshot per statement), so the count sees every lease committed under that lock.
    // Outcomes: 'taken' (state: the feed's row after the lease, with its item digest), 'leased'
    // (holder: its owner, who may be dead: then asked again with p_dead_owner), 'host-busy',
    // 'not-found', 'not-due' (with p_due_only: the feed is not due, no lease is taken and its
    // queued mark is cleared, as a lease released at once would), 'moved' (holder: the feed's
    // url, not p_url, whose host was given: asked again with that url's).
    version: 24,
    sql: `
    ALTER TABLE feeds ADD COLUMN lease_host TEXT;
    CREATE FUNCTION take_feed_lease(p_id text, p_owner text, p_now bigint, p_until bigint, p_cap integer,
      p_url text, p_host text, p_host_lock bigint, p_dead_owner text, p_due_only boolean)
    RETURNS TABLE (outcome text, holder text, state json) LANGUAGE plpgsql AS $$
    DECLARE
      f feeds;
    BEGIN
      -- The host's lock first, then the row: leases of one host are counted and taken one
      -- transaction at a time (the cap holds cluster-wide), and the row is locked once, by the
      -- update that takes it (nothing else takes a host's lock: no two orders can deadlock).
      PERFORM pg_advisory_xact_lock(p_host_lock);
      IF (SELECT count(*) FROM feeds WHERE lease_until >= p_now AND lease_host = p_host AND id <> p_id) < p_cap THEN
        UPDATE feeds SET lease_owner = p_owner, lease_token = lease_token + 1, lease_until = p_until, lease_host = p_host
        -- Its url's host is the one counted; no live lease holds it (but one of p_dead_owner); due, when asked.
        WHERE id = p_id AND url = p_url
          AND NOT coalesce(lease_until >= p_now AND NOT coalesce(lease_owner = p_dead_owner AND lease_owner <> p_owner, false), false)
          AND NOT (p_due_only AND coalesce(next_fetch_at > p_now, false))
        RETURNING * INTO f;
        IF FOUND THEN
          RETURN QUERY SELECT 'taken', NULL::text,
            json_build_object('feed', to_json(f), 'item_digest', (SELECT digest FROM feed_item_digests WHERE feed_id = p_id));
          RETURN;
        END IF;
      END IF;
      -- Not taken: why (rare, so read again).
      SELECT * INTO f FROM feeds WHERE id = p_id;
      IF NOT FOUND THEN
        RETURN QUERY SELECT 'not-found', NULL::text, NULL::json;
      ELSIF f.lease_until >= p_now AND NOT coalesce(f.lease_owner = p_dead_owner AND f.lease_owner <> p_owner, false) THEN
        RETURN QUERY SELECT 'leased', f.lease_owner, NULL::json;
      ELSIF p_due_only AND f.next_fetch_at > p_now THEN
        -- As a lease taken and released at once would: a dead holder's or an expired lease ends, the feed is not queued.
        UPDATE feeds SET lease_token = lease_token + 1, lease_owner = NULL, lease_until = NULL, queued_at = NULL
        WHERE id = p_id AND NOT coalesce(lease_until >= p_now AND NOT coalesce(lease_owner = p_dead_owner AND lease_owner <> p_owner, false), false);
        RETURN QUERY SELECT CASE WHEN FOUND THEN 'not-due' ELSE 'leased' END, NULL::text, NULL::json;
      ELSIF f.url <> p_url THEN
        RETURN QUERY SELECT 'moved', f.url, NULL::json;
      ELSE
        RETURN QUERY SELECT 'host-busy', NULL::text, NULL::json;
      END IF;
    END $$;
    `,
  },
  {
    // A bounce report names the copy it returns by address and Message-ID: without an index
    // leading with the address, each report read every delivery of every run (a million rows per
    // run to a million subscribers), with the row it found locked meanwhile.
    version: 25,
    sql: `CREATE INDEX IF NOT EXISTS digest_deliveries_by_address ON digest_deliveries (address);`,
  },
  {
    // /metrics and columnwire stats counted every delivery of every run kept (a million rows per run to a
    // million subscribers). A finished run keeps its copies' counts by status (JSON text, as in
    // SQLite, so migrate copies it as it is), written when it finishes and moved by a bounce
    // report; only the deliveries of unfinished runs are counted. Runs finished before are counted here.
    version: 26,
    sql: `
    ALTER TABLE digest_runs ADD COLUMN counts TEXT;
    UPDATE digest_runs r SET counts = coalesce((
      SELECT json_object_agg(status, n)::text FROM (
        SELECT status, count(*) AS n FROM digest_deliveries d WHERE d.run_id = r.id GROUP BY status) c
    ), '{}') WHERE status = 'done';
    `,
  },
];
