/**
 * The cluster part of the PostgreSQL store: ticks claimed once, polls planned with their jobs in
 * one transaction, feed leases with a fencing token, the per-host cap across processes.
 */
import pg from 'pg';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { normalizeItems } from '../../src/feeds/normalize-items.ts';
import type { FeedSource } from '../../src/model.ts';
import { LostLeaseError, type ClusterStore, type FeedLease, type QueueSql, type Store, type TakenLease } from '../../src/storage/store.ts';
import { item } from '../helpers/items.ts';
import { plannedRun } from '../helpers/planned-run.ts';
import { createPgBossQueue } from '../../src/jobs/pg-boss-queue.ts';
import { createLogger } from '../../src/logger.ts';
import { postgresBackend as backend, schemaUrl } from '../helpers/store-backends.ts';

const NOW = new Date('2026-12-01T10:00:00Z');
const at = (ms: number) => new Date(NOW.getTime() + ms);
const feed = (id: string, host = `${id}.example.com`): FeedSource => ({
  id,
  url: `https://${host}/feed`,
  title: null,
  outlet: null,
  tags: [],
});
const success = (id: string, host = `${id}.example.com`) => ({
  url: `https://${host}/feed`,
  etag: null,
  lastModified: null,
  ttlMinutes: null,
  nextFetchAt: at(30 * 60_000),
});

const silent = createLogger({ level: 'silent' });

/** `count` processes on one fresh schema. */
async function processes(count: number): Promise<Array<Store & ClusterStore>> {
  const location = await backend.newLocation();
  const stores = (await Promise.all(Array.from({ length: count }, () => backend.open(location)))) as Array<Store & ClusterStore>;
  onTestFinished(async () => void (await Promise.all(stores.map((store) => store.close()))));
  return stores;
}

/** A pg-boss queue in a schema of its own beside `location`, stopped after the test. */
async function pollQueue(location: string, pollExpireSeconds = 60, pollStarveSeconds = 3_600) {
  const queue = await createPgBossQueue(schemaUrl(location), { pollExpireSeconds, digestExpireSeconds: 60, pollStarveSeconds }, silent, {
    schema: `${location}_jobs`,
    maxConnections: 2,
  });
  onTestFinished(() => queue.stop(1_000));
  return queue;
}

/** The first `count` feeds one worker loop takes from `queue`, in the order it takes them. */
function firstHandedOut(queue: Awaited<ReturnType<typeof pollQueue>>, count: number): Promise<string[]> {
  const handled: string[] = [];
  return new Promise((resolve) => {
    void queue.workPolls(
      (feedId) => {
        if (handled.push(feedId) === count) resolve(handled.slice());
        return Promise.resolve();
      },
      { concurrency: 1, pollingSeconds: 0.5 },
    );
  });
}

describe('the postgres cluster store', () => {
  it('gives each scheduler tick to one process of many', async () => {
    const stores = await processes(4);
    const tick = new Date('2026-12-01T10:00:00Z');
    const won = await Promise.all(stores.map((store) => store.claimTick('poll', tick, NOW)));
    expect(won.filter(Boolean)).toHaveLength(1);
    expect(await stores[0]!.claimTick('poll', new Date(tick.getTime() + 60_000), NOW)).toBe(true);
    expect(await stores[1]!.claimTick('digest:daily', tick, NOW)).toBe(true);
  });

  it('queues the due feeds once, with their jobs in the same transaction; a failed enqueue queues nothing', async () => {
    const [store] = await processes(1);
    await store!.syncFeeds(['a', 'b', 'c'].map((id) => feed(id)));
    await store!.markNotModified('c', success('c'), NOW); // c is next due in 30 minutes
    await expect(
      store!.planPolls(NOW, { limit: 10, requeueAfterMs: 600_000 }, () => Promise.reject(new Error('queue down'))),
    ).rejects.toThrow('queue down');
    const enqueued: string[][] = [];
    const planned = await store!.planPolls(NOW, { limit: 10, requeueAfterMs: 600_000 }, async (sql, ids) => {
      expect((await sql.executeSql('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      enqueued.push(ids);
    });
    expect(planned.sort()).toEqual(['a', 'b']);
    expect(enqueued).toEqual([planned]);
    // Queued already: not again, until they have waited longer than requeueAfterMs.
    expect(await store!.planPolls(at(60_000), { limit: 10, requeueAfterMs: 600_000 }, async () => {})).toEqual([]);
    expect((await store!.planPolls(at(700_000), { limit: 10, requeueAfterMs: 600_000 }, async () => {})).sort()).toEqual(['a', 'b']);
  });

  it('plans lost work first and tells it apart: an expired lease, a lease of a dead process', async () => {
    const [store] = await processes(1);
    await store!.syncFeeds(['a', 'b', 'c', 'd'].map((id) => feed(id)));
    // A lease ended more than requeueAfterMs ago is lost work; a fresher one may be a slow save still committing.
    const options = { limit: 10, requeueAfterMs: 30_000 };
    const plan = async (when: Date, extra: { limit?: number; isOwnerDead?: (owner: string) => boolean } = {}) => {
      const calls: Array<{ ids: string[]; retries: string[] }> = [];
      const planned = await store!.planPolls(when, { ...options, ...extra }, (_sql, ids, retries) => {
        calls.push({ ids, retries: [...retries].sort() });
        return Promise.resolve();
      });
      return { planned, retries: calls.flatMap((call) => call.retries) };
    };
    expect(await plan(NOW)).toEqual({ planned: ['a', 'b', 'c', 'd'], retries: [] });
    // a and b are fetched and done; c's worker dies holding its lease; d's holder is seen dead.
    for (const id of ['a', 'b']) {
      const lease = (await store!.takeFeedLease(id, 'w1', at(1_000), 60_000, 4)) as FeedLease;
      await store!.leased(lease).markNotModified(id, { ...success(id), nextFetchAt: at(90_000) }, at(2_000));
      await store!.releaseFeedLease(lease);
    }
    await store!.takeFeedLease('c', 'w2', at(1_000), 60_000, 4);
    await store!.takeFeedLease('d', 'w-dead', at(1_000), 600_000, 4);
    // At 80 s c's lease (to 61 s) ended too recently to be called lost; d's holder is seen dead at once.
    expect(await plan(at(80_000), { limit: 10, isOwnerDead: (owner) => owner === 'w-dead' })).toEqual({ planned: ['d'], retries: ['d'] });
    await store!.takeFeedLease('d', 'w-dead', at(80_000), 600_000, 4);
    // Later a and b are due again, and so are c (lease ended long ago) and d (its holder dead): c and d first.
    const later = at(120_000);
    const first = await plan(later, { limit: 2, isOwnerDead: (owner) => owner === 'w-dead' });
    expect(first.planned.sort()).toEqual(['c', 'd']);
    expect(first.retries).toEqual(['c', 'd']);
    const rest = await plan(later);
    expect(rest).toEqual({ planned: ['a', 'b'], retries: [] });
  });

  it('hands a retry to the next worker before a backlog of merely due feeds (pg-boss priority)', async () => {
    const location = await backend.newLocation();
    const [store] = await processes(1);
    await store!.syncFeeds(Array.from({ length: 30 }, (_, index) => feed(`f${String(index).padStart(2, '0')}`)));
    const queue = await pollQueue(location);
    // A backlog of 29 planned feeds; f29's worker died holding its lease before the planner came back.
    await store!.planPolls(NOW, { limit: 29, requeueAfterMs: 600_000 }, (sql, ids, retries) => queue.enqueuePolls(sql, ids, retries));
    await store!.takeFeedLease('f29', 'w-gone', NOW, 60_000, 4);
    const replanned = await store!.planPolls(
      at(5_000),
      { limit: 10, requeueAfterMs: 600_000, isOwnerDead: (owner) => owner === 'w-gone' },
      (sql, ids, retries) => queue.enqueuePolls(sql, ids, retries),
    );
    expect(replanned).toEqual(['f29']);
    expect((await queue.depths()).polls).toBe(30);
    const handled = await firstHandedOut(queue, 2);
    // The backlog's jobs share one creation time: any of them may come next, never before the retry.
    expect(handled[0]).toBe('f29');
    expect(handled[1]).toMatch(/^f(0\d|1\d|2[0-8])$/);
  });

  it("gives pg-boss's job table an index in its fetch order, so a fetch reads a few jobs, not the backlog", async () => {
    const location = await backend.newLocation();
    const schema = `${location}_jobs`;
    const limits = { pollExpireSeconds: 60, digestExpireSeconds: 60, pollStarveSeconds: 3_600 };
    // Two processes starting at once both create it, or find it.
    const queues = await Promise.all(
      [0, 1].map(() => createPgBossQueue(schemaUrl(location), limits, silent, { schema, maxConnections: 2 })),
    );
    onTestFinished(() => Promise.all(queues.map((queue) => queue.stop(1_000))).then(() => undefined));
    const client = new pg.Client({ connectionString: inject('postgresUrl') });
    await client.connect();
    onTestFinished(() => client.end());
    const { rows } = await client.query<{ tablename: string }>(
      `SELECT tablename FROM pg_indexes WHERE schemaname = $1 AND indexdef LIKE '%(name, priority DESC, created_on, id) WHERE (state < %'`,
      [schema],
    );
    // The partitioned table and both queues' partitions.
    expect(rows.map((row) => row.tablename)).toHaveLength(3);
    // With a backlog, the fetch's query walks it in order instead of sorting it.
    await client.query(`SET search_path = "${schema}"`);
    await client.query(`SET enable_seqscan = off`);
    const plan = await client.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT id FROM job WHERE name = 'columnwire-poll' AND state < 'active' AND start_after < now()
       ORDER BY priority desc, created_on, id LIMIT 1 FOR UPDATE SKIP LOCKED`,
    );
    const text = plan.rows.map((row) => row['QUERY PLAN']).join('\n');
    expect(text).toMatch(/Index Scan using \S*priority_created_on_id/);
    expect(text).not.toMatch(/Sort/);
  });

  it('completes the poll jobs finished together in one statement, and those still unsent when it stops', async () => {
    const location = await backend.newLocation();
    const [store] = await processes(1);
    await store!.syncFeeds(['a', 'b', 'c', 'd'].map((id) => feed(id)));
    const queue = await pollQueue(location);
    await store!.planPolls(NOW, { limit: 10, requeueAfterMs: 600_000 }, (sql, ids, retries) => queue.enqueuePolls(sql, ids, retries));
    // Four loops each hold a job until all four are in hand, then finish them at once.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const handled: string[] = [];
    await queue.workPolls(
      async (feedId) => {
        if (handled.push(feedId) === 4) open();
        await gate;
      },
      { concurrency: 4, pollingSeconds: 0.5 },
    );
    await gate;
    await queue.stop(1_000);
    const client = new pg.Client({ connectionString: inject('postgresUrl') });
    await client.connect();
    onTestFinished(() => client.end());
    const { rows } = await client.query<{ state: string; completed_on: Date | null }>(
      `SELECT state, completed_on FROM "${location}_jobs".job WHERE name = 'columnwire-poll'`,
    );
    expect(rows.map((row) => row.state)).toEqual(['completed', 'completed', 'completed', 'completed']);
    // One statement: one transaction time.
    expect(new Set(rows.map((row) => row.completed_on!.getTime())).size).toBe(1);
  });

  it('splits the due feeds between two planners at once, never giving one feed to both', async () => {
    const [first, second] = await processes(2);
    await first!.syncFeeds(Array.from({ length: 200 }, (_, index) => feed(`f${index}`)));
    const slow = async () => void (await new Promise((resolve) => setTimeout(resolve, 200)));
    const [a, b] = await Promise.all([
      first!.planPolls(NOW, { limit: 120, requeueAfterMs: 600_000 }, slow),
      second!.planPolls(NOW, { limit: 120, requeueAfterMs: 600_000 }, slow),
    ]);
    expect(a.filter((id) => b.includes(id))).toEqual([]);
    expect(a.length + b.length).toBe(200);
  });

  it('plans and hands out a feed due again before a backlog of feeds never fetched, and lost work before both', async () => {
    const location = await backend.newLocation();
    const [store] = await processes(1);
    const backlog = Array.from({ length: 30 }, (_, index) => `new${String(index).padStart(2, '0')}`);
    // 'old' and 'lost' were fetched at the start; then thirty feeds were added at once (an import).
    await store!.syncFeeds(['old', 'lost'].map((id) => feed(id)));
    expect((await store!.planPolls(NOW, { limit: 10, requeueAfterMs: 600_000 }, async () => {})).sort()).toEqual(['lost', 'old']);
    for (const id of ['old', 'lost']) {
      const lease = (await store!.takeFeedLease(id, 'w1', NOW, 60_000, 4)) as FeedLease;
      await store!.leased(lease).markNotModified(id, { ...success(id), nextFetchAt: at(60_000) }, at(1_000));
    }
    await store!.syncFeeds(['old', 'lost', ...backlog].map((id) => feed(id)));
    const queue = await pollQueue(location);
    const enqueue = (sql: QueueSql, ids: string[], retries: ReadonlySet<string>, dueAgain: ReadonlySet<string>) =>
      queue.enqueuePolls(sql, ids, retries, dueAgain);
    await store!.planPolls(at(2_000), { limit: 100, requeueAfterMs: 600_000 }, enqueue);
    // Both are due again while the backlog waits, and one more feed is added; 'lost' is leased by a worker that died.
    await store!.syncFeeds(['old', 'lost', ...backlog, 'newer'].map((id) => feed(id)));
    await store!.takeFeedLease('lost', 'w-gone', at(61_000), 60_000, 4);
    const order: string[] = [];
    await store!.planPolls(
      at(62_000),
      { limit: 1, requeueAfterMs: 600_000, isOwnerDead: (owner) => owner === 'w-gone' },
      async (sql, ids, retries, dueAgain) => {
        order.push(...ids);
        await enqueue(sql, ids, retries, dueAgain);
      },
    );
    await store!.planPolls(at(62_000), { limit: 1, requeueAfterMs: 600_000 }, async (sql, ids, retries, dueAgain) => {
      order.push(...ids);
      expect([...dueAgain]).toEqual(ids);
      await enqueue(sql, ids, retries, dueAgain);
    });
    expect(order).toEqual(['lost', 'old']);
    const handled = await firstHandedOut(queue, 3);
    expect(handled.slice(0, 2)).toEqual(['lost', 'old']);
    expect(backlog).toContain(handled[2]);
  });

  /**
   * 'old' was fetched; then three feeds were added and queued, and no worker took them for longer
   * than requeueAfterMs (a cold start's backlog), while 'old' came due again. Returns the order
   * the queue hands them out in, and what the planner called lost work.
   */
  async function backlogAndDueAgain(pollStarveSeconds: number) {
    const location = await backend.newLocation();
    const [store] = await processes(1);
    await store!.syncFeeds([feed('old')]);
    await store!.planPolls(NOW, { limit: 10, requeueAfterMs: 600_000 }, async () => {});
    const lease = (await store!.takeFeedLease('old', 'w1', NOW, 60_000, 4)) as FeedLease;
    await store!.leased(lease).markNotModified('old', { ...success('old'), nextFetchAt: at(650_000) }, at(1_000));
    await store!.syncFeeds(['old', ...WAITING].map((id) => feed(id)));
    const queue = await pollQueue(location, 3_600, pollStarveSeconds);
    const retried: string[] = [];
    const enqueue = (sql: QueueSql, ids: string[], retries: ReadonlySet<string>, dueAgain: ReadonlySet<string>) => {
      retried.push(...retries);
      return queue.enqueuePolls(sql, ids, retries, dueAgain);
    };
    expect((await store!.planPolls(at(2_000), { limit: 10, requeueAfterMs: 600_000 }, enqueue)).sort()).toEqual(WAITING);
    const replanned = await store!.planPolls(at(700_000), { limit: 10, requeueAfterMs: 600_000 }, enqueue);
    expect(replanned.sort()).toEqual([...WAITING, 'old']);
    expect((await queue.depths()).polls).toBe(4);
    return { handled: await firstHandedOut(queue, 4), retried };
  }
  const WAITING = ['new1', 'new2', 'new3'];

  it('keeps a backlog queued past requeueAfterMs behind a feed due again: waiting is not lost work', async () => {
    const { handled, retried } = await backlogAndDueAgain(3_600);
    expect(retried).toEqual([]);
    expect(handled[0]).toBe('old');
    expect(handled.slice(1).sort()).toEqual(WAITING);
  });

  it('raises a job waiting longer than the poll period to the feeds due again, oldest first, so none waits for ever', async () => {
    // pollStarveSeconds 0: the backlog's jobs, made before the replanning, have waited long enough.
    const { handled } = await backlogAndDueAgain(0);
    expect(handled.slice(0, 3).sort()).toEqual(WAITING);
    expect(handled[3]).toBe('old');
  });

  it('raises a hundred starving jobs per planner batch, oldest first, not a whole backlog at once', async () => {
    const location = await backend.newLocation();
    const [store] = await processes(1);
    const backlog = Array.from({ length: 160 }, (_, index) => `new${String(index).padStart(3, '0')}`);
    await store!.syncFeeds(backlog.map((id) => feed(id)));
    const queue = await pollQueue(location, 3_600, 0);
    const enqueue = (sql: QueueSql, ids: string[], retries: ReadonlySet<string>, dueAgain: ReadonlySet<string>) =>
      queue.enqueuePolls(sql, ids, retries, dueAgain);
    // Thirty jobs made first, the rest after (planned in id order).
    await store!.planPolls(NOW, { limit: 30, requeueAfterMs: 600_000 }, enqueue);
    await store!.planPolls(NOW, { limit: 200, requeueAfterMs: 600_000 }, enqueue);
    const client = new pg.Client({ connectionString: inject('postgresUrl') });
    await client.connect();
    onTestFinished(() => client.end());
    const raised = async () =>
      (
        await client.query<{ singleton_key: string }>(
          `SELECT singleton_key FROM "${location}_jobs".job WHERE name = 'columnwire-poll' AND state = 'created' AND priority = 1 ORDER BY singleton_key`,
        )
      ).rows.map((row) => row.singleton_key);
    // With pollStarveSeconds 0 a job made in an earlier transaction is starving: the second batch raised the first thirty.
    expect(await raised()).toEqual(backlog.slice(0, 30));
    // Planned again past requeueAfterMs, their jobs still waiting: a hundred more, then the rest.
    await store!.planPolls(at(700_000), { limit: 200, requeueAfterMs: 600_000 }, enqueue);
    expect(await raised()).toHaveLength(130);
    await store!.planPolls(at(1_400_000), { limit: 200, requeueAfterMs: 600_000 }, enqueue);
    expect(await raised()).toEqual(backlog);
  });

  it('leases a feed to one worker; a second is refused until it is released or expires', async () => {
    const [one, two] = await processes(2);
    await one!.syncFeeds([feed('a')]);
    const lease = (await one!.takeFeedLease('a', 'w1', NOW, 60_000, 4)) as FeedLease;
    expect(lease).toMatchObject({ feedId: 'a', owner: 'w1' });
    expect(await two!.takeFeedLease('a', 'w2', at(1_000), 60_000, 4)).toBe('leased');
    await one!.releaseFeedLease(lease);
    const next = (await two!.takeFeedLease('a', 'w2', at(2_000), 60_000, 4)) as FeedLease;
    expect(next.token).toBeGreaterThan(lease.token);
    // Expired (the worker died): the next one takes it over.
    expect(await one!.takeFeedLease('a', 'w3', at(63_000), 60_000, 4)).toMatchObject({ owner: 'w3' });
    expect(await one!.takeFeedLease('nope', 'w3', NOW, 60_000, 4)).toBe('not-found');
  });

  it('refuses every write of a zombie whose lease was taken over, and keeps what the new holder wrote', async () => {
    const [store] = await processes(1);
    await store!.syncFeeds([feed('a')]);
    const zombie = (await store!.takeFeedLease('a', 'w1', NOW, 60_000, 4)) as FeedLease;
    const holder = (await store!.takeFeedLease('a', 'w2', at(61_000), 60_000, 4)) as FeedLease;
    const items = normalizeItems([item({ id: '1' })], NOW);
    await store!.leased(holder).saveFetched('a', items, { ...success('a'), etag: '"new"' }, at(62_000), null);
    await expect(
      store!
        .leased(zombie)
        .saveFetched('a', normalizeItems([item({ id: '2' })], NOW), { ...success('a'), etag: '"stale"' }, at(63_000), null),
    ).rejects.toBeInstanceOf(LostLeaseError);
    await expect(store!.leased(zombie).markNotModified('a', { ...success('a'), etag: '"stale"' }, at(63_000))).rejects.toBeInstanceOf(
      LostLeaseError,
    );
    await expect(
      store!.leased(zombie).markFailed('a', { error: 'late', nextFetchAt: at(64_000), waitReason: 'backoff' }, at(63_000)),
    ).rejects.toBeInstanceOf(LostLeaseError);
    expect(await store!.countStories()).toBe(1);
    expect(await store!.getFeed('a')).toMatchObject({ etag: '"new"', consecutiveErrors: 0 });
    // The zombie's release does not end a holder's lease.
    await store!.takeFeedLease('a', 'w2', at(64_000), 60_000, 4);
    await store!.releaseFeedLease(zombie);
    expect(await store!.takeFeedLease('a', 'w3', at(65_000), 60_000, 4)).toBe('leased');
  });

  it("ends a lease with the fenced write that lands (one commit fewer per poll); that lease's later writes are refused", async () => {
    const [store] = await processes(1);
    await store!.syncFeeds([feed('a'), feed('b'), feed('c')]);
    const writes: Array<[string, (lease: FeedLease) => Promise<unknown>]> = [
      ['a', (lease) => store!.leased(lease).saveFetched('a', normalizeItems([item({ id: '1' })], NOW), success('a'), at(1_000), null)],
      ['b', (lease) => store!.leased(lease).markNotModified('b', success('b'), at(1_000))],
      ['c', (lease) => store!.leased(lease).markFailed('c', { error: 'boom', nextFetchAt: at(90_000), waitReason: 'backoff' }, at(1_000))],
    ];
    for (const [id, write] of writes) {
      const lease = (await store!.takeFeedLease(id, 'w1', NOW, 60_000, 4)) as FeedLease;
      await write(lease);
      // Free at once, for any worker (its host's cap counts it no more), long before the lease's end.
      const next = (await store!.takeFeedLease(id, 'w2', at(2_000), 60_000, 1)) as FeedLease;
      expect(next).toMatchObject({ owner: 'w2', token: lease.token + 1 });
      await expect(write(lease)).rejects.toBeInstanceOf(LostLeaseError);
      await store!.releaseFeedLease(lease);
      expect(await store!.takeFeedLease(id, 'w3', at(3_000), 60_000, 4)).toBe('leased');
    }
    // Unfenced writes (the embedded poller) leave a lease alone.
    const held = (await store!.takeFeedLease('a', 'w4', at(70_000), 60_000, 4)) as FeedLease;
    await store!.markNotModified('a', success('a'), at(71_000));
    expect(await store!.takeFeedLease('a', 'w5', at(72_000), 60_000, 4)).toBe('leased');
    await store!.releaseFeedLease(held);
  });

  it('holds the per-host cap across processes leasing at once', async () => {
    const stores = await processes(4);
    await stores[0]!.syncFeeds(Array.from({ length: 12 }, (_, index) => feed(`f${index}`, 'one-host.example.com')));
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, index) => stores[index % 4]!.takeFeedLease(`f${index}`, `w${index % 4}`, NOW, 60_000, 3)),
    );
    expect(results.filter((result) => typeof result === 'object')).toHaveLength(3);
    expect(results.filter((result) => result === 'host-busy')).toHaveLength(9);
  });

  it('gives the lease with the feed state and item digest as it found them, so a poll reads neither again', async () => {
    const [store] = await processes(1);
    await store!.syncFeeds([feed('a')]);
    const first = (await store!.takeFeedLease('a', 'w1', NOW, 60_000, 4)) as TakenLease;
    expect(first.state).toMatchObject({ id: 'a', url: 'https://a.example.com/feed', etag: null, lastFetchAt: null });
    expect(first.itemDigest).toBeNull();
    const items = normalizeItems([item({ id: '1' })], NOW);
    await store!.leased(first).saveFetched('a', items, { ...success('a'), etag: '"v1"', itemDigest: 'v1\nknown' }, at(1_000), null);
    const second = (await store!.takeFeedLease('a', 'w2', at(2_000), 60_000, 4)) as TakenLease;
    expect(second).toMatchObject({ owner: 'w2', token: first.token + 1, itemDigest: 'v1\nknown' });
    expect(second.state).toEqual(await store!.getFeed('a'));
    expect(second.state).toMatchObject({ etag: '"v1"', lastSuccessAt: at(1_000), nextFetchAt: at(30 * 60_000) });
  });

  it('asked for a due feed, refuses one not due without leasing it, and clears its queued mark as a release would', async () => {
    const [store] = await processes(1);
    await store!.syncFeeds([feed('a')]);
    const queue = () => Promise.resolve();
    const hourLong = { limit: 10, requeueAfterMs: 3_600_000 };
    expect(await store!.planPolls(NOW, hourLong, queue)).toEqual(['a']);
    // Fetched meanwhile by another way (the job run twice): next fetch in 30 min, still queued.
    await store!.markNotModified('a', success('a'), at(1_000));
    expect(await store!.takeFeedLease('a', 'w1', at(2_000), 60_000, 4, { dueOnly: true })).toBe('not-due');
    expect((await store!.clusterGauges(at(2_000))).leased).toBe(0);
    // Not queued any more: once due it is planned again at once, not an hour after it was queued.
    expect(await store!.planPolls(at(30 * 60_000), hourLong, queue)).toEqual(['a']);
    const lease = (await store!.takeFeedLease('a', 'w1', at(30 * 60_000), 60_000, 4, { dueOnly: true })) as TakenLease;
    expect(lease.owner).toBe('w1');
    // A live lease is refused as such, due or not.
    expect(await store!.takeFeedLease('a', 'w2', at(30 * 60_000 + 1), 60_000, 4, { dueOnly: true })).toBe('leased');
  });

  it("takes over a live lease whose holder is seen dead, and only that holder's", async () => {
    const [store] = await processes(1);
    await store!.syncFeeds([feed('a')]);
    const dead = (await store!.takeFeedLease('a', 'w-dead', NOW, 600_000, 4)) as TakenLease;
    const isOwnerDead = (owner: string) => owner === 'w-dead';
    const taken = (await store!.takeFeedLease('a', 'w1', at(1_000), 60_000, 4, { isOwnerDead })) as TakenLease;
    expect(taken).toMatchObject({ owner: 'w1', token: dead.token + 1 });
    // w1 is alive: its lease holds against the same question.
    expect(await store!.takeFeedLease('a', 'w2', at(2_000), 60_000, 4, { isOwnerDead })).toBe('leased');
    await expect(store!.leased(dead).markNotModified('a', success('a'), at(3_000))).rejects.toBeInstanceOf(LostLeaseError);
  });

  it('counts a feed against the host of its stored url, after a permanent redirect too, whatever url the worker guessed', async () => {
    const [one, two] = await processes(2);
    await one!.syncFeeds([feed('a', 'old.example.com'), feed('b', 'new.example.com'), feed('c', 'new.example.com')]);
    // a moved to new.example.com (a 301, recorded with its success).
    const moving = (await one!.takeFeedLease('a', 'w1', NOW, 60_000, 1, { url: 'https://old.example.com/feed' })) as TakenLease;
    await one!.leased(moving).markNotModified('a', success('a', 'new.example.com'), NOW);
    const guess = { url: 'https://old.example.com/feed' }; // the configured url, as a worker knows it
    const a = (await two!.takeFeedLease('a', 'w2', at(1_000), 60_000, 1, guess)) as TakenLease;
    expect(a.state.url).toBe('https://new.example.com/feed');
    // new.example.com is at its cap of 1, whichever url the others are asked by.
    expect(await one!.takeFeedLease('b', 'w1', at(1_000), 60_000, 1, { url: 'https://new.example.com/feed' })).toBe('host-busy');
    expect(await one!.takeFeedLease('c', 'w1', at(1_000), 60_000, 1)).toBe('host-busy');
    // old.example.com holds nothing: a feed still there is leased.
    await one!.syncFeeds([
      feed('a', 'old.example.com'),
      feed('b', 'new.example.com'),
      feed('c', 'new.example.com'),
      feed('d', 'old.example.com'),
    ]);
    expect(await one!.takeFeedLease('d', 'w1', at(1_000), 60_000, 1, { url: 'https://old.example.com/feed' })).toMatchObject({
      owner: 'w1',
    });
    // Its lease ended by its write, a's host has room again.
    await two!.leased(a).markNotModified('a', success('a', 'new.example.com'), at(2_000));
    expect(await one!.takeFeedLease('b', 'w1', at(3_000), 60_000, 1, { url: 'https://new.example.com/feed' })).toMatchObject({
      owner: 'w1',
    });
  });

  it('shares one value per key between processes (the unsubscribe secret)', async () => {
    const [one, two] = await processes(2);
    const [a, b] = await Promise.all([
      one!.sharedSetting('unsubscribe-secret', 'from-one'),
      two!.sharedSetting('unsubscribe-secret', 'from-two'),
    ]);
    expect(a).toBe(b);
    expect(await two!.sharedSetting('unsubscribe-secret', 'later')).toBe(a);
  });

  it("settles a digest's scheduled minute with its run, in one transaction: a claim of it after makes nothing, whatever its cursor", async () => {
    const [a, b] = await processes(2);
    const slot = at(-60_000);
    const planned = (subject: string, afterRunId: number) => plannedRun(subject, afterRunId, NOW, ['a@example.org']);
    expect(await a!.digestSlotSettled('daily', slot)).toBe(false);
    const made = await a!.claimScheduledDigestRun(planned('first', 0), slot);
    expect(made.kind).toBe('created');
    expect(await b!.digestSlotSettled('daily', slot)).toBe(true);
    // Planned from the cursor before it (at once) or after it (late): either way the minute has its run.
    expect(await b!.claimScheduledDigestRun(planned('same cursor', 0), slot)).toEqual({ kind: 'settled' });
    expect(await b!.claimScheduledDigestRun(planned('late', 1), slot)).toEqual({ kind: 'settled' });
    expect((await b!.listDigestRuns('daily', 10)).map((run) => run.subject)).toEqual(['first']);
    // A minute with nothing to send is settled without a run; the next minute is not.
    await b!.settleDigestSlot('daily', at(0), NOW);
    expect(await a!.claimScheduledDigestRun(planned('empty minute', 1), at(0))).toEqual({ kind: 'settled' });
    expect((await a!.claimScheduledDigestRun(planned('next', 1), at(60_000))).kind).toBe('created');
  });

  it('lists the digest starts a scheduler claimed but whose minute is not settled, and only those', async () => {
    const [store] = await processes(1);
    const minute = (n: number) => at(n * 60_000);
    // Claimed at 0, 1 and 3 (cron fired); 1 settled with a run, 3 settled empty; 2 never fired.
    for (const n of [0, 1, 3]) expect(await store!.claimTick('digest-start:daily', minute(n), NOW)).toBe(true);
    await store!.claimTick('digest-start:weekly', minute(0), NOW);
    await store!.claimScheduledDigestRun(
      { digestId: 'daily', createdAt: NOW, afterRunId: 0, fromStoryId: 0, toStoryId: 0, storyIds: [], subject: 's', recipients: [] },
      minute(1),
    );
    await store!.settleDigestSlot('daily', minute(3), NOW);
    expect(await store!.unsettledDigestStarts('daily', minute(-10), minute(10))).toEqual([minute(0)]);
    // A minute no scheduler claimed (a time worked out from a schedule, never fired) is not owed.
    expect(await store!.unsettledDigestStarts('daily', minute(2), minute(10))).toEqual([]);
    await store!.claimTick('digest-start:daily', minute(5), NOW);
    expect(await store!.unsettledDigestStarts('daily', minute(-10), minute(10))).toEqual([minute(0), minute(5)]);
    expect(await store!.unsettledDigestStarts('daily', minute(1), minute(4))).toEqual([]);
    expect(await store!.unsettledDigestStarts('weekly', minute(-10), minute(10))).toEqual([minute(0)]);
  });

  it('cuts a run’s pending recipients into address ranges and reads one range', async () => {
    const [store] = await processes(1);
    const recipients = Array.from({ length: 1_234 }, (_, index) => ({
      address: `r${String(index).padStart(4, '0')}@example.org`,
      messageId: `<${index}@x>`,
    }));
    const { run } = await store!.claimDigestRun({
      digestId: 'daily',
      createdAt: NOW,
      afterRunId: 0,
      fromStoryId: 0,
      toStoryId: 0,
      storyIds: [],
      subject: 's',
      recipients,
    });
    const ranges = await store!.pendingRanges(run.id, 500);
    expect(ranges).toEqual([
      ['r0000@example.org', 'r0499@example.org'],
      ['r0500@example.org', 'r0999@example.org'],
      ['r1000@example.org', 'r1233@example.org'],
    ]);
    expect((await store!.pendingDeliveries(run.id, ranges[2]![0], ranges[2]![1])).length).toBe(234);
  });

  it('reports the feeds due, the oldest lag and the leases', async () => {
    const [store] = await processes(1);
    await store!.syncFeeds(['a', 'b'].map((id) => feed(id)));
    await store!.markFailed('b', { error: 'x', nextFetchAt: at(-120_000), waitReason: 'backoff' }, at(-180_000));
    await store!.takeFeedLease('a', 'w', NOW, 60_000, 4);
    expect(await store!.clusterGauges(NOW)).toEqual({ feedsDue: 2, oldestDueLagMs: 120_000, leased: 1 });
  });

  it("counts a never-fetched feed as waiting since it was first queued (a cold start's backlog)", async () => {
    const [store] = await processes(1);
    await store!.syncFeeds(['a', 'b', 'c'].map((id) => feed(id)));
    // Never fetched and never planned: due, but not waiting for anything yet.
    expect(await store!.clusterGauges(NOW)).toEqual({ feedsDue: 3, oldestDueLagMs: null, leased: 0 });
    await store!.planPolls(at(-300_000), { limit: 2, requeueAfterMs: 600_000 }, async () => {});
    expect(await store!.clusterGauges(NOW)).toEqual({ feedsDue: 3, oldestDueLagMs: 300_000, leased: 0 });
  });
});
