/**
 * The schema, as an append-only list: migration N takes the database from user_version N to
 * N + 1. Never edit a shipped entry; add a new one. Times are integer milliseconds since the epoch.
 * PostgreSQL keeps its own list (postgres/migrations.ts) under the same version numbers: a change
 * is added to both, so version N means the same tables in either backend.
 */
import { CJK_GLOB_CLASS } from '../../cjk-text.ts';

/** Stories whose title, byline or excerpt hold Chinese or Japanese characters (GLOB classes match code points). */
const CJK_GLOB = ['title', 'author', 'summary', 'content'].map((column) => `${column} GLOB '*[${CJK_GLOB_CLASS}]*'`).join(' OR ');

export const migrations: readonly string[] = [
  `
  CREATE TABLE feeds (
    id                 TEXT PRIMARY KEY,
    configured_url     TEXT NOT NULL,
    url                TEXT NOT NULL,
    in_config          INTEGER NOT NULL DEFAULT 1,
    title              TEXT,
    site_link          TEXT,
    etag               TEXT,
    last_modified      TEXT,
    last_fetch_at      INTEGER,
    last_success_at    INTEGER,
    next_fetch_at      INTEGER,
    wait_reason        TEXT,
    ttl_minutes        INTEGER,
    consecutive_errors INTEGER NOT NULL DEFAULT 0,
    last_error         TEXT
  );

  CREATE TABLE stories (
    id                   INTEGER PRIMARY KEY,
    feed_id              TEXT NOT NULL,
    title                TEXT,
    link                 TEXT,
    canonical_url        TEXT,
    author               TEXT,
    title_key            TEXT,
    author_key           TEXT,
    published_at         INTEGER NOT NULL,
    claimed_published_at INTEGER,
    updated_at           INTEGER NOT NULL,
    summary              TEXT,
    content              TEXT,
    categories           TEXT NOT NULL DEFAULT '[]',
    first_seen_at        INTEGER NOT NULL
  );
  -- The merged feed reads newest first; the digest reads by first-seen cursor; re-issues match by title.
  CREATE INDEX stories_by_published ON stories (published_at DESC, id DESC);
  CREATE INDEX stories_by_first_seen ON stories (first_seen_at, id);
  CREATE INDEX stories_by_title_key ON stories (title_key) WHERE title_key IS NOT NULL;

  -- Identity keys outlive their story: after retention prunes it, the key is a tombstone
  -- that keeps a story its feed still lists from coming back as new.
  CREATE TABLE story_keys (
    key      TEXT PRIMARY KEY,
    story_id INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE story_sources (
    story_id      INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    feed_id       TEXT NOT NULL,
    link          TEXT,
    first_seen_at INTEGER NOT NULL,
    content_hash  TEXT NOT NULL,
    PRIMARY KEY (story_id, feed_id)
  ) WITHOUT ROWID;
  CREATE INDEX story_sources_by_feed ON story_sources (feed_id, story_id);
  `,
  `
  -- Bumped by every write that changes what the merged feeds show, so readers (the HTTP
  -- server, possibly in another process) rebuild once per change instead of per request.
  CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
  ) WITHOUT ROWID;
  INSERT INTO meta (key, value) VALUES ('content_version', 0);
  `,
  `
  -- A digest run covers the stories with from_story_id < id <= to_story_id (story ids only
  -- grow), frozen at creation so a resumed run sends exactly what it would have sent.
  CREATE TABLE digest_runs (
    id            INTEGER PRIMARY KEY,
    digest_id     TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    from_story_id INTEGER NOT NULL,
    to_story_id   INTEGER NOT NULL,
    story_ids     TEXT NOT NULL,
    subject       TEXT NOT NULL,
    status        TEXT NOT NULL,
    finished_at   INTEGER
  );
  CREATE INDEX digest_runs_by_digest ON digest_runs (digest_id, id);

  -- One row per recipient of a run, written before anything is sent.
  CREATE TABLE digest_deliveries (
    run_id      INTEGER NOT NULL REFERENCES digest_runs (id),
    address     TEXT NOT NULL,
    status      TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    message_id  TEXT NOT NULL,
    sent_at     INTEGER,
    PRIMARY KEY (run_id, address)
  ) WITHOUT ROWID;

  CREATE TABLE unsubscribes (
    address   TEXT PRIMARY KEY,
    digest_id TEXT,
    at        INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  `
  -- Unsubscribes per digest (digest_id '*': every digest), with since when, and the epoch
  -- (resubscribes so far) that unsubscribe links carry. Rows are updated, never deleted.
  CREATE TABLE subscriptions (
    address   TEXT NOT NULL,
    digest_id TEXT NOT NULL,
    state     TEXT NOT NULL CHECK (state IN ('subscribed', 'unsubscribed')),
    epoch     INTEGER NOT NULL DEFAULT 0,
    at        INTEGER NOT NULL,
    PRIMARY KEY (address, digest_id)
  ) WITHOUT ROWID;
  -- Every earlier unsubscribe stopped every digest, and its page promised "no more digests":
  -- each stays an unsubscribe from all of them, whichever digest it came from.
  INSERT INTO subscriptions (address, digest_id, state, epoch, at)
    SELECT address, '*', 'unsubscribed', 0, at FROM unsubscribes;
  DROP TABLE unsubscribes;
  `,
  `
  -- Claims, so two processes never send one digest twice. A run names the run it follows
  -- (0: the digest's first); only one run may follow each, so two processes planning the next
  -- run at once create it once (rows from before this have NULL, which never collides).
  ALTER TABLE digest_runs ADD COLUMN after_run_id INTEGER;
  CREATE UNIQUE INDEX digest_runs_one_after ON digest_runs (digest_id, after_run_id);
  -- A pending delivery being sent carries its sender's id and since when; only that sender
  -- sends it, until the claim goes stale or its owner is seen dead.
  ALTER TABLE digest_deliveries ADD COLUMN claim_owner TEXT;
  ALTER TABLE digest_deliveries ADD COLUMN claimed_at INTEGER;
  `,
  `
  -- Fencing for delivery claims: each claim moves the token on, and a sender writes its result
  -- only while the token is still the one it claimed with. A sender paused past the stale-claim
  -- timeout (SIGSTOP, suspend, a clock jump) then cannot overwrite its successor's result.
  ALTER TABLE digest_deliveries ADD COLUMN claim_token INTEGER NOT NULL DEFAULT 0;
  `,
  `
  -- The id each story is published under (RSS guid, Atom id, JSON Feed id). Ids were the rowid,
  -- which a restored backup or a rebuilt database hands to another story; new stories get one
  -- derived from their identity (story-public-id.ts). Existing stories keep the id readers
  -- already have, so nothing is delivered twice.
  ALTER TABLE stories ADD COLUMN public_id TEXT NOT NULL DEFAULT '';
  UPDATE stories SET public_id = 'urn:columnwire:story:' || id;
  CREATE UNIQUE INDEX stories_by_public_id ON stories (public_id);
  `,
  `
  -- Version 8. Subscribers as data (a million recipients cannot live in feeds.yaml): each row is
  -- one address's subscription to one digest, with the display name for its To header. Their
  -- unsubscribe state is the subscriptions table's, as for the addresses of to: lists.
  CREATE TABLE subscribers (
    digest_id TEXT NOT NULL,
    address   TEXT NOT NULL,
    name      TEXT,
    added_at  INTEGER NOT NULL,
    PRIMARY KEY (digest_id, address)
  ) WITHOUT ROWID;
  -- A run keeps each recipient's name as it was planned, like the address itself.
  ALTER TABLE digest_deliveries ADD COLUMN name TEXT;
  `,
  `
  -- Version 9. Work spread over many processes (PostgreSQL; the columns exist in SQLite too, so
  -- version 9 means the same tables in both). A feed is queued when planned and leased while one
  -- worker fetches it: the lease's token fences what that worker writes. A scheduler tick is
  -- claimed by one process only (cron fires once per tick however many schedulers run).
  ALTER TABLE feeds ADD COLUMN queued_at INTEGER;
  ALTER TABLE feeds ADD COLUMN lease_owner TEXT;
  ALTER TABLE feeds ADD COLUMN lease_token INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE feeds ADD COLUMN lease_until INTEGER;
  CREATE TABLE schedule_ticks (
    job  TEXT NOT NULL,
    tick INTEGER NOT NULL,
    at   INTEGER NOT NULL,
    PRIMARY KEY (job, tick)
  ) WITHOUT ROWID;
  -- Values every process of an installation must share, such as the secret that signs
  -- unsubscribe links (processes on several machines have no common data folder).
  CREATE TABLE shared_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  `
  -- Version 10. The readers' site: a columnist's page reads their stories by author key, newest
  -- first; search reads a full-text index of title, author and the excerpt's text (FTS5), kept
  -- by the story store as it writes (the text is made from HTML in code) and emptied here when a
  -- story is deleted. The store fills it for stories stored before this version.
  CREATE INDEX stories_by_author ON stories (author_key, published_at DESC, id DESC);
  -- The columnist index counts stories per (author key, first feed) from this alone.
  CREATE INDEX stories_by_byline ON stories (author_key, feed_id, published_at);
  -- Prefix indexes make a 2- or 3-letter prefix query (ab*) read one term, not every word it begins.
  CREATE VIRTUAL TABLE story_search USING fts5(title, author, body, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');
  CREATE TRIGGER stories_leave_search AFTER DELETE ON stories BEGIN
    DELETE FROM story_search WHERE rowid = old.id;
  END;
  INSERT INTO meta (key, value) VALUES ('search_filled', 0);
  `,
  `
  -- Version 11. Readers sign up themselves (double opt-in) and tune what they get. A signup
  -- waits here until its emailed link is followed; only then is it a subscriber. A subscriber
  -- may choose columnists, outlets and tags (JSON) and pause. An address whose mail keeps
  -- failing permanently is marked bouncing, and nothing is sent to it until it is cleared.
  CREATE TABLE signups (
    digest_id    TEXT NOT NULL,
    address      TEXT NOT NULL,
    name         TEXT,
    choices      TEXT NOT NULL DEFAULT '{}',
    requested_at INTEGER NOT NULL,
    PRIMARY KEY (digest_id, address)
  ) WITHOUT ROWID;
  ALTER TABLE subscribers ADD COLUMN choices TEXT NOT NULL DEFAULT '{}';
  ALTER TABLE subscribers ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
  CREATE TABLE bounces (
    address        TEXT PRIMARY KEY,
    failures       INTEGER NOT NULL,
    last_error     TEXT NOT NULL,
    last_at        INTEGER NOT NULL,
    bouncing_since INTEGER
  ) WITHOUT ROWID;
  `,
  `
  -- Version 12. Columnists may pick themselves out of a multi-author feed (columnists[].pickFrom):
  -- the feed then stores only their items. The pick is kept with the feed, so a change of it
  -- refetches the whole document (items left out before may be wanted now).
  ALTER TABLE feeds ADD COLUMN pick TEXT;
  `,
  `
  -- Version 13. Bounces that come back as mail (delivery status notifications) are counted apart:
  -- a relay accepting the next copy says nothing about the mailbox, so it does not reset them.
  ALTER TABLE bounces ADD COLUMN reported INTEGER NOT NULL DEFAULT 0;
  `,
  `
  -- Version 14. The search index is written in batches, not with each feed's stories: FTS5
  -- writes a new index segment per transaction and then merges them, which cost as much as all
  -- the rest of a fresh poll. A new or edited story waits here; the store indexes what waits
  -- before a search, at the end of a poll cycle, when 2,000 wait, and on close. A row whose
  -- story was deleted is dropped when its batch is indexed. Stories stored before version 10 and
  -- never indexed wait here too.
  CREATE TABLE search_pending (story_id INTEGER PRIMARY KEY);
  INSERT INTO search_pending (story_id)
    SELECT id FROM stories WHERE (SELECT value FROM meta WHERE key = 'search_filled') = 0;
  DELETE FROM meta WHERE key = 'search_filled';
  `,
  `
  -- Version 15. A feed whose server sends no validators (no ETag, no Last-Modified) answers 200
  -- with the same document again and again: a hash of the last one stored in full lets the
  -- poller skip parsing and saving the same bytes, as it would for a 304.
  ALTER TABLE feeds ADD COLUMN body_hash TEXT;
  `,
  `
  -- Version 16. Most polls bring one new item among fifty known ones: each feed keeps a digest
  -- of the items its last stored document held (feeds/item-digest.ts), so the next document
  -- parses only the items it does not know. Dropped with the feed, and when its URL or pick changes.
  CREATE TABLE feed_item_digests (
    feed_id TEXT PRIMARY KEY REFERENCES feeds(id) ON DELETE CASCADE,
    digest TEXT NOT NULL
  );
  `,
  `
  -- Version 17. Story ids are given by the store from the highest id ever given, never reused:
  -- SQLite's own choice (the highest id stored, plus one) gave a pruned newest story's id to the
  -- next story, so the pruned story's kept keys named that unrelated story (a feed listing the
  -- pruned column again became its source) and a digest whose cursor had passed the id skipped it.
  -- The mark starts above every id a story, a key or a digest run names.
  INSERT INTO meta (key, value) VALUES ('story_id_high', max(
    coalesce((SELECT max(id) FROM stories), 0),
    coalesce((SELECT max(story_id) FROM story_keys), 0),
    coalesce((SELECT max(to_story_id) FROM digest_runs), 0)
  ));
  `,
  `
  -- Version 18. PostgreSQL spreads its content version over several rows, for concurrent
  -- writers; one process writes here: nothing to do.
  SELECT 1;
  `,
  `
  -- Version 19. PostgreSQL moves its search vectors to a narrow table of their own; SQLite's
  -- FTS5 index is one already: nothing to do.
  SELECT 1;
  `,
  `
  -- Version 20. Chinese and Japanese text is indexed with each ideograph and kana apart
  -- (cjk-text.ts), so 経済 is found in 日本の経済政策: stories holding such text are indexed
  -- again, in the next batch.
  INSERT OR IGNORE INTO search_pending (story_id)
  SELECT id FROM stories WHERE ${CJK_GLOB}
  `,
  `
  -- Version 21. Search finds a column by its outlet and its columnist as the site names them
  -- (aliases, a feed's unsigned columns): the index gains a column of tokens for the story's
  -- author key, its feed when unsigned, and every feed that carried it (search-tokens.ts), which
  -- a searched word naming an outlet or a columnist is matched against. An FTS5 table cannot
  -- gain a column, so the index is made again and every story waits for its batch.
  DROP TABLE story_search;
  CREATE VIRTUAL TABLE story_search USING fts5(
    title, author, body, tokens, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
  );
  INSERT OR IGNORE INTO search_pending (story_id) SELECT id FROM stories;
  `,
  `
  -- Version 22. A search ranks its 2,000 newest matches by relevance fading with age: it reads
  -- each one's published_at. Looked up in the stories table, each is a page of mostly text
  -- (about 190 MB over 100,000 stories, far past the page cache), 2.7 ms of a search; in this
  -- index, 2 MB, 0.7 ms. Ids only grow, so a story's entry is written at the index's end.
  CREATE INDEX IF NOT EXISTS stories_published_by_id ON stories (id, published_at);
  `,
  `
  -- Version 23. A fresh feed's commit wrote 207 pages for 50 stories, 65 of them in the title key
  -- index: its keys are random, so each story's entry lands on a page of its own. A re-issue
  -- shares its title key and its feed or its author (plan-save.ts), so it is found as well by
  -- these two, whose entries for one feed's or one columnist's stories sit together (a few pages
  -- per commit). Unsigned stories all share the author NULL: theirs still spread, as before.
  -- No query reads stories_by_first_seen (the latest id seen before a time is read from the end
  -- of the table, by id): 3 pages per commit for nothing.
  DROP INDEX IF EXISTS stories_by_title_key;
  DROP INDEX IF EXISTS stories_by_first_seen;
  CREATE INDEX IF NOT EXISTS stories_by_feed_title ON stories (feed_id, title_key, published_at) WHERE title_key IS NOT NULL;
  CREATE INDEX IF NOT EXISTS stories_by_author_title ON stories (author_key, title_key, published_at) WHERE title_key IS NOT NULL;
  `,
  `
  -- Version 24. PostgreSQL's cluster workers lease a feed in one call of a function, which
  -- records the host each lease counts against; one process polls here, with no leases: nothing to do.
  SELECT 1;
  `,
  `
  -- Version 25. A bounce report names the copy it returns by address and Message-ID: without an
  -- index leading with the address, each report read every delivery of every run (56 ms at a
  -- million, growing with each run sent to a large list), holding the write lock meanwhile.
  CREATE INDEX IF NOT EXISTS digest_deliveries_by_address ON digest_deliveries (address);
  `,
  `
  -- Version 26. /metrics and columnwire stats counted every delivery of every run kept (491 ms at a
  -- million on SQLite, growing with each run). A finished run keeps its copies' counts by status
  -- (JSON: {"sent": n, "failed": m}), written when it finishes and moved by a bounce report; only
  -- the deliveries of unfinished runs are counted. Runs finished before this version are counted here.
  ALTER TABLE digest_runs ADD COLUMN counts TEXT;
  UPDATE digest_runs SET counts = coalesce((
    SELECT json_group_object(status, n) FROM (
      SELECT status, count(*) AS n FROM digest_deliveries d WHERE d.run_id = digest_runs.id GROUP BY status)
  ), '{}') WHERE status = 'done';
  `,
];
