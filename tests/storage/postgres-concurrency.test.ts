/**
 * What only PostgreSQL has to prove: many processes write at once. Each store here is its own
 * pool of connections, as a worker process would have, all on one schema.
 */
import pg from 'pg';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { normalizeItems } from '../../src/feeds/normalize-items.ts';
import type { FeedSource } from '../../src/model.ts';
import type { Store } from '../../src/storage/store.ts';
import { item } from '../helpers/items.ts';
import { createPostgresStore } from '../../src/storage/postgres/postgres-store.ts';
import { postgresBackend as backend, schemaUrl } from '../helpers/store-backends.ts';

const NOW = new Date('2026-11-21T12:00:00Z');
const feed = (id: string): FeedSource => ({ id, url: `https://${id}.example.com/feed`, title: null, outlet: null, tags: [] });
const state = (id: string) => ({
  url: `https://${id}.example.com/feed`,
  etag: null,
  lastModified: null,
  ttlMinutes: null,
  nextFetchAt: NOW,
});

async function processes(count: number): Promise<Store[]> {
  return (await processesAt(await backend.newLocation(), count)).stores;
}

async function processesAt(location: string, count: number): Promise<{ location: string; stores: Store[] }> {
  // Opened at once: two processes starting on an empty database migrate it once between them.
  const stores = await Promise.all(Array.from({ length: count }, () => backend.open(location)));
  onTestFinished(async () => void (await Promise.all(stores.map((store) => store.close()))));
  return { location, stores };
}

/**
 * A session of its own that holds feed `feedId`'s row locked: a save of that feed then stops
 * mid-transaction (its stories written, not committed) at its feed state's update, until `release`.
 */
async function holdFeedRow(location: string, feedId: string) {
  const client = new pg.Client({ connectionString: inject('postgresUrl') });
  await client.connect();
  onTestFinished(() => client.end());
  await client.query('BEGIN');
  await client.query(`SELECT 1 FROM ${location}.feeds WHERE id = $1 FOR UPDATE`, [feedId]);
  const holder = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  /** Sessions waiting for this one's row lock (a save stopped mid-transaction), and those waiting for them (other tests' sessions never count). */
  const stopped = async () =>
    (await client.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))`, [holder])).rows.map(
      (row) => row.pid,
    );
  /** How many sessions wait: 'transactionid', for the row (saves stopped), or 'advisory', for a stopped save's locks. */
  const waiting = async (kind: 'transactionid' | 'advisory') => {
    const saves = await stopped();
    if (kind === 'transactionid') return saves.length;
    // Waiting for a stopped save, or in line behind a session that is (a lock queue).
    const behind = new Set<number>();
    for (let round = 0; round < 4; round++) {
      const { rows } = await client.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE pg_blocking_pids(pid) && $1::int[]`, [
        [...saves, ...behind],
      ]);
      for (const row of rows) behind.add(row.pid);
    }
    return behind.size;
  };
  /** Resolves once `count` sessions wait (see `waiting`); fails the test if they never do. */
  const until = (kind: 'transactionid' | 'advisory', count: number) =>
    expect.poll(() => waiting(kind), { timeout: 20_000, interval: 20 }).toBe(count);
  return { until, stopped, release: () => client.query('COMMIT') };
}

/** Settles `promise` into a flag, so a test can ask whether it is still pending. */
function watch<T>(promise: Promise<T>) {
  const watched = { done: false, result: promise.finally(() => void (watched.done = true)) };
  return watched;
}

describe('the postgres store under concurrent writers', () => {
  it('stores a column syndicated by eight feeds once when eight workers save them at the same moment', async () => {
    const stores = await processes(8);
    const ids = stores.map((_, index) => `outlet-${index}`);
    await stores[0]!.syncFeeds(ids.map(feed));
    const syndicated = (feedId: string) =>
      normalizeItems([item({ id: `${feedId}-guid`, link: 'https://columns.example.com/2026/11/the-budget?utm_source=' + feedId })], NOW);
    const results = await Promise.all(
      stores.map((store, index) => store.saveFetched(ids[index]!, syndicated(ids[index]!), state(ids[index]!), NOW, null)),
    );
    expect(results.reduce((sum, result) => sum + result.added, 0)).toBe(1);
    expect(await stores[0]!.countStories()).toBe(1);
    const [story] = await stores[3]!.listStories({ limit: 5 });
    expect(story!.sources.map((source) => source.feedId).sort()).toEqual([...ids].sort());
  });

  it('commits story ids in order, so a digest cursor read at any moment never skips a story that commits later', async () => {
    const stores = await processes(4);
    const writers = stores.slice(0, 3);
    const reader = stores[3]!;
    await reader.syncFeeds(writers.map((_, index) => feed(`w${index}`)));
    const snapshots: Array<{ max: number; ids: number[] }> = [];
    let writing = true;
    const reading = (async () => {
      while (writing) {
        const max = await reader.maxStoryId();
        snapshots.push({ max, ids: await reader.storyIdsInRange(0, max) });
      }
    })();
    await Promise.all(
      writers.map(async (store, index) => {
        for (let round = 0; round < 15; round++) {
          const items = normalizeItems(
            [0, 1, 2].map((n) =>
              item({ id: `w${index}-${round}-${n}`, title: `Column ${n} of round ${round} by writer ${index} on things` }),
            ),
            NOW,
          );
          await store.saveFetched(`w${index}`, items, state(`w${index}`), NOW, null);
        }
      }),
    );
    writing = false;
    await reading;
    expect(await reader.countStories()).toBe(3 * 15 * 3);
    expect(snapshots.length).toBeGreaterThan(3);
    for (const snapshot of snapshots) expect(await reader.storyIdsInRange(0, snapshot.max)).toEqual(snapshot.ids);
  });

  it('lets saves of unrelated columns run while one is uncommitted, holds back a copy of its column and the digest cursor', async () => {
    const { location, stores } = await processesAt(await backend.newLocation(), 4);
    const [first, unrelated, syndicated, reader] = stores as [Store, Store, Store, Store];
    await first.syncFeeds(['a', 'b', 'c'].map(feed));
    const column = (feedId: string, link: string, title: string) =>
      normalizeItems([item({ id: `${feedId}-${link}`, link: `https://columns.example.com/${link}?utm_source=${feedId}`, title })], NOW);
    const seen = await reader.maxStoryId();
    const held = await holdFeedRow(location, 'a');
    // Feed a's save writes its new story, then waits at its feed row, uncommitted.
    const saveA = watch(first.saveFetched('a', column('a', 'budget', 'The budget nobody read'), state('a'), NOW, null));
    await held.until('transactionid', 1);
    // Another feed's unrelated column is stored meanwhile.
    expect((await unrelated.saveFetched('b', column('b', 'harbour', 'Down at the harbour'), state('b'), NOW, null)).added).toBe(1);
    // A copy of feed a's column, and the digest cursor, wait for it.
    const saveC = watch(syndicated.saveFetched('c', column('c', 'budget', 'The budget nobody read'), state('c'), NOW, null));
    const cursor = watch(reader.maxStoryId());
    await held.until('advisory', 2);
    expect([saveA.done, saveC.done, cursor.done]).toEqual([false, false, false]);
    await held.release();
    const [a, c, max] = await Promise.all([saveA.result, saveC.result, cursor.result]);
    expect([a.added, c.added]).toEqual([1, 0]);
    const stories = await reader.listStories({ limit: 10 });
    expect(stories).toHaveLength(2);
    expect(
      stories
        .find((story) => story.title === 'The budget nobody read')!
        .sources.map((source) => source.feedId)
        .sort(),
    ).toEqual(['a', 'c']);
    expect(await reader.storyIdsInRange(seen, max)).toEqual(stories.map((story) => story.id).sort((x, y) => x - y));
  });

  it('holds back a re-issue of an uncommitted column (same title, new link) until it commits, then stores it once', async () => {
    const { location, stores } = await processesAt(await backend.newLocation(), 2);
    const [first, second] = stores as [Store, Store];
    await first.syncFeeds(['a', 'b'].map(feed));
    const issue = (feedId: string, link: string) =>
      normalizeItems(
        [item({ id: `${feedId}-1`, link: `https://${link}.example.com/column`, title: 'Why the tide turned', author: 'Jane Doe' })],
        NOW,
      );
    const held = await holdFeedRow(location, 'a');
    const saveA = watch(first.saveFetched('a', issue('a', 'first-outlet'), state('a'), NOW, null));
    await held.until('transactionid', 1);
    const saveB = watch(second.saveFetched('b', issue('b', 'second-outlet'), state('b'), NOW, null));
    await held.until('advisory', 1);
    expect(saveB.done).toBe(false);
    await held.release();
    await Promise.all([saveA.result, saveB.result]);
    const stories = await first.listStories({ limit: 10 });
    expect(stories).toHaveLength(1);
    expect(stories[0]!.sources.map((source) => source.feedId).sort()).toEqual(['a', 'b']);
  });

  it('makes a save of more columns than it may lock one by one wait for every uncommitted adding save, then stores them all', async () => {
    const { location, stores } = await processesAt(await backend.newLocation(), 2);
    const [first, second] = stores as [Store, Store];
    await first.syncFeeds(['a', 'b'].map(feed));
    const held = await holdFeedRow(location, 'a');
    const saveA = watch(
      first.saveFetched('a', normalizeItems([item({ id: 'a-1', title: 'A column of its own' })], NOW), state('a'), NOW, null),
    );
    await held.until('transactionid', 1);
    // 300 columns: 600 key locks, past the 256 a save takes one by one.
    const many = normalizeItems(
      Array.from({ length: 300 }, (_, index) => item({ id: `b-${index}`, title: `Column number ${index} of a long archive` })),
      NOW,
    );
    const saveB = watch(second.saveFetched('b', many, state('b'), NOW, null));
    await held.until('advisory', 1);
    expect(saveB.done).toBe(false);
    await held.release();
    const [a, b] = await Promise.all([saveA.result, saveB.result]);
    expect([a.added, b.added]).toEqual([1, 300]);
    expect(await first.countStories()).toBe(301);
  });

  it('makes two saves of one feed without a lease (a `poll` beside the workers) plan one after the other, even for items with no link or title', async () => {
    const { location, stores } = await processesAt(await backend.newLocation(), 2);
    const [first, second] = stores as [Store, Store];
    await first.syncFeeds([feed('a')]);
    const textOnly = () =>
      normalizeItems([item({ id: 'note-1', link: null, title: null, summary: '<p>A note with no title or link.</p>' })], NOW);
    const held = await holdFeedRow(location, 'a');
    const saveOne = watch(first.saveFetched('a', textOnly(), state('a'), NOW, null));
    await held.until('transactionid', 1);
    const saveTwo = watch(second.saveFetched('a', textOnly(), state('a'), NOW, null));
    await held.until('advisory', 1);
    await held.release();
    const [one, two] = await Promise.all([saveOne.result, saveTwo.result]);
    expect([one.added, two.added]).toEqual([1, 0]);
    expect(await first.countStories()).toBe(1);
  });

  it("keeps a save's advisory locks within PostgreSQL's lock table budget per connection (max_locks_per_transaction - 32)", async () => {
    const { location, stores } = await processesAt(await backend.newLocation(), 1);
    const [store] = stores as [Store];
    await store.syncFeeds(['a', 'b'].map(feed));
    const columns = (feedId: string, count: number) =>
      normalizeItems(
        Array.from({ length: count }, (_, index) =>
          item({ id: `${feedId}-${index}`, title: `Column ${index} from ${feedId} on the news` }),
        ),
        NOW,
      );
    const client = new pg.Client({ connectionString: inject('postgresUrl') });
    await client.connect();
    onTestFinished(() => client.end());
    const budget =
      Number(
        (await client.query<{ max_locks_per_transaction: string }>('SHOW max_locks_per_transaction')).rows[0]!.max_locks_per_transaction,
      ) - 32;
    const heldBy = async (pids: number[]) =>
      Number(
        (
          await client.query<{ n: string }>(
            `SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = ANY($1::int[])`,
            [pids],
          )
        ).rows[0]!.n,
      );
    // Within the budget (one lock per URL, one per title, one for the feed): key locks, and the write lock shared.
    const few = Math.floor((budget - 1) / 2);
    for (const [feedId, count, expected] of [
      ['a', few, 2 * few + 2],
      ['b', few + 1, 1],
    ] as const) {
      const held = await holdFeedRow(location, feedId);
      const saving = store.saveFetched(feedId, columns(feedId, count), state(feedId), NOW, null);
      await held.until('transactionid', 1);
      expect(await heldBy(await held.stopped())).toBe(expected);
      await held.release();
      expect((await saving).added).toBe(count);
    }
  });

  it("shows one process's write to another's content version within its recheck time", async () => {
    const [writer, server] = await processes(2);
    await writer!.syncFeeds([feed('a')]);
    const before = await server!.contentVersion();
    await writer!.saveFetched('a', normalizeItems([item({ id: '1' })], NOW), state('a'), NOW, null);
    await expect.poll(() => server!.contentVersion(), { timeout: 5_000, interval: 50 }).toBeGreaterThan(before);
  });

  it('refuses backup with the pg_dump way to do it', async () => {
    const [store] = await processes(1);
    await expect(store!.backup('/tmp/never-written.db')).rejects.toThrow(/pg_dump/);
  });

  it('finishes first saves that hold every connection of the pool (the lock budget is read on the save’s own connection)', async () => {
    // A fresh process has not read max_locks_per_transaction yet; read through the pool, each
    // save waited for a connection that only another save (waiting the same way) could free.
    const store = await createPostgresStore(schemaUrl(await backend.newLocation()), { maxConnections: 2 });
    onTestFinished(() => store.close());
    await store.syncFeeds([feed('p'), feed('q')]);
    const saves = ['p', 'q'].map((id) => store.saveFetched(id, normalizeItems([item({ id: `${id}-1` })], NOW), state(id), NOW, null));
    await expect(Promise.all(saves)).resolves.toHaveLength(2);
    expect(await store.countStories()).toBe(2);
  });
});
