/**
 * The bare-library floors of an ingest pass, on the same bytes the poller gets: rss-parser's
 * `parseString` on every feed body (decoded from its bytes), one after another on the main thread, and better-sqlite3
 * multi-row INSERTs into a fresh file database with a table shaped like `stories` (WAL,
 * synchronous=NORMAL, one transaction per feed). Each is timed as wall and CPU time; like
 * parse.ts, the bench imports these libraries itself because they are the floor.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import Parser from 'rss-parser';
import { median, startSpan, type Span } from './measure.ts';

type Value = string | number | null;
/** One story as the floor stores it, in COLUMNS order. */
export type StoryRow = Value[];

const COLUMNS = [
  'feed_id',
  'title',
  'link',
  'canonical_url',
  'author',
  'title_key',
  'published_at',
  'updated_at',
  'summary',
  'content',
  'categories',
  'first_seen_at',
  'public_id',
] as const;

// The columns of src/storage/migrations.ts's `stories`, with the indexes the merged feed and
// the public ids need; no identity-key or source tables: those are the work a floor leaves out.
const SCHEMA = `
  CREATE TABLE stories (
    id            INTEGER PRIMARY KEY,
    feed_id       TEXT NOT NULL,
    title         TEXT,
    link          TEXT,
    canonical_url TEXT,
    author        TEXT,
    title_key     TEXT,
    published_at  INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    summary       TEXT,
    content       TEXT,
    categories    TEXT NOT NULL DEFAULT '[]',
    first_seen_at INTEGER NOT NULL,
    public_id     TEXT NOT NULL
  );
  CREATE INDEX stories_by_published ON stories (published_at DESC, id DESC);
  CREATE UNIQUE INDEX stories_by_public_id ON stories (public_id);
`;

/** A fresh SQLite file for the insert floor. */
export interface FloorDb {
  /** Inserts one feed's rows in one transaction, as one multi-row INSERT. */
  insertFeed(rows: readonly StoryRow[]): void;
  countStories(): number;
  /** Closes the database and deletes its files. */
  close(): void;
}

/** Creates `name`.sqlite in `dir` with the floor's schema and the pragmas src/storage/database.ts sets for writing. */
export function createFloorDb(dir: string, name: string): FloorDb {
  const path = join(dir, `${name}.sqlite`);
  const db = new BetterSqlite3(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(SCHEMA);
  const placeholders = `(${COLUMNS.map(() => '?').join(', ')})`;
  const statements = new Map<number, BetterSqlite3.Statement>();
  const statementFor = (count: number): BetterSqlite3.Statement => {
    let statement = statements.get(count);
    if (!statement) {
      statement = db.prepare(`INSERT INTO stories (${COLUMNS.join(', ')}) VALUES ${Array(count).fill(placeholders).join(', ')}`);
      statements.set(count, statement);
    }
    return statement;
  };
  const insert = db.transaction((rows: readonly StoryRow[]) => statementFor(rows.length).run(rows.flat()));
  return {
    insertFeed: (rows) => void insert(rows),
    countStories: () => (db.prepare('SELECT count(*) AS n FROM stories').get() as { n: number }).n,
    close: () => {
      db.close();
      for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
    },
  };
}

/** One parsed item as a floor row; built outside the timed loops. */
function toRow(feed: number, item: Parser.Item, nowMs: number): StoryRow {
  const published = item.isoDate ? Date.parse(item.isoDate) : nowMs;
  const link = item.link ?? null;
  return [
    `bench-${String(feed).padStart(4, '0')}`,
    item.title ?? null,
    link,
    link?.replace(/[?#].*$/, '') ?? null,
    item.creator ?? null,
    item.title?.toLowerCase() ?? null,
    published,
    published,
    item.contentSnippet ?? null,
    item.content ?? null,
    JSON.stringify(item.categories ?? []),
    nowMs,
    item.guid ?? link ?? `${feed}:${item.title}`,
  ];
}

/** Median wall and CPU time of timed runs, with the fastest and slowest wall time. */
export type FloorFigures = Span & { minMs: number; maxMs: number; count: number };

function summarize(spans: readonly Span[], count: number): FloorFigures {
  const times = spans.map((span) => span.ms);
  return {
    ms: median(times),
    cpuMs: median(spans.map((span) => span.cpuMs)),
    minMs: Math.min(...times),
    maxMs: Math.max(...times),
    count,
  };
}

/** Bodies parsed before the timed runs, so they time JIT-compiled code. */
const WARM_UP_BODIES = 100;

/**
 * Bare rss-parser over every body in turn: a warm-up on the first bodies, `reps` timed runs
 * that keep nothing but the item count, then one untimed run that builds the rows `pick` keeps
 * of each feed (after the timed runs, so their heap is not the retained rows' heap).
 */
export async function parseFloor(
  bodies: readonly Uint8Array[],
  reps: number,
  pick: (items: Parser.Item[]) => Parser.Item[],
): Promise<{ figures: FloorFigures; rows: StoryRow[][] }> {
  // Bytes to text is part of parsing what a server sent: the floor decodes as any rss-parser user must.
  const decoder = new TextDecoder();
  for (const body of bodies.slice(0, WARM_UP_BODIES)) await new Parser().parseString(decoder.decode(body));
  const spans: Span[] = [];
  let items = 0;
  for (let rep = 0; rep < reps; rep++) {
    items = 0;
    const stop = startSpan();
    for (const body of bodies) items += (await new Parser().parseString(decoder.decode(body))).items.length;
    spans.push(stop());
  }
  const nowMs = Date.now();
  const rows: StoryRow[][] = [];
  for (const [feed, body] of bodies.entries()) {
    rows.push(pick((await new Parser().parseString(decoder.decode(body))).items).map((item) => toRow(feed, item, nowMs)));
  }
  return { figures: summarize(spans, items), rows };
}

/** Inserts every feed's rows, one transaction per feed, once into each of `dbs` (one timed run each). */
export function insertFloor(dbs: readonly FloorDb[], rows: readonly StoryRow[][]): FloorFigures {
  const spans = dbs.map((db) => {
    const stop = startSpan();
    for (const feedRows of rows) db.insertFeed(feedRows);
    return stop();
  });
  return summarize(
    spans,
    rows.reduce((sum, feedRows) => sum + feedRows.length, 0),
  );
}
