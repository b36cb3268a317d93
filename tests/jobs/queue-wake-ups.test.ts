/**
 * Idle fetchers are woken, not polling: adding jobs NOTIFYs every process, each LISTENs over a
 * connection of its own (store.listen), and an idle worker asks an empty queue only every 10 s
 * (here: once an hour), so a job added by another process is taken at once only if the
 * wake-up works. A LISTEN connection the server ends is made again, and what was added while it
 * was down is looked for.
 */
import pg from 'pg';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { createPgBossQueue } from '../../src/jobs/pg-boss-queue.ts';
import type { JobQueue } from '../../src/jobs/job-queue.ts';
import { createLogger } from '../../src/logger.ts';
import { createPostgresStore } from '../../src/storage/postgres/postgres-store.ts';
import type { FeedSource } from '../../src/model.ts';
import type { ClusterStore, Store } from '../../src/storage/store.ts';
import { startPostgresProxy } from '../helpers/postgres-proxy.ts';
import { postgresBackend as backend, schemaUrl } from '../helpers/store-backends.ts';

const silent = createLogger({ level: 'silent' });
const NOW = new Date('2026-12-01T10:00:00Z');
const feed = (id: string): FeedSource => ({ id, url: `https://${id}.example.com/feed`, title: null, outlet: null, tags: [] });

/** A process: its store and its queue (listening when `listens`), closed after the test. */
async function startProcess(location: string, listens: boolean): Promise<{ store: Store & ClusterStore; queue: JobQueue }> {
  const store = (await backend.open(location)) as Store & ClusterStore;
  const queue = await createPgBossQueue(
    schemaUrl(location),
    { pollExpireSeconds: 60, digestExpireSeconds: 60, pollStarveSeconds: 3_600 },
    silent,
    {
      schema: `${location}_jobs`,
      maxConnections: 2,
      ...(listens
        ? {
            listen: (channel: string, onNotify: (payload: string) => void, onConnect: () => void) =>
              store.listen(channel, onNotify, onConnect),
          }
        : {}),
    },
  );
  onTestFinished(async () => {
    await queue.stop(1_000);
    await store.close();
  });
  return { store, queue };
}

/** A client of the test's own, to look at and end other sessions. */
async function admin(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: inject('postgresUrl') });
  await client.connect();
  onTestFinished(() => client.end());
  return client;
}

/** Feed ids as the worker takes them; `next()` resolves with the next one taken. */
function takenFeeds(queue: JobQueue) {
  const waiting: Array<(feedId: string) => void> = [];
  const early: string[] = [];
  void queue.workPolls(
    (feedId) => {
      const resolve = waiting.shift();
      if (resolve) resolve(feedId);
      else early.push(feedId);
      return Promise.resolve();
    },
    // An empty queue asked again once an hour: only a wake-up takes a job sooner.
    { concurrency: 1, pollingSeconds: 3_600 },
  );
  return { next: () => (early.length > 0 ? Promise.resolve(early.shift()!) : new Promise<string>((resolve) => waiting.push(resolve))) };
}

/** Plans `id` (due now) from `store` into `queue`, in the planner's transaction. */
async function plan({ store, queue }: { store: Store & ClusterStore; queue: JobQueue }, id: string): Promise<void> {
  await store.syncFeeds([feed(id)]);
  const planned = await store.planPolls(NOW, { limit: 10, requeueAfterMs: 600_000 }, (sql, ids) => queue.enqueuePolls(sql, ids));
  expect(planned).toEqual([id]);
}

/** Waits until the worker has completed `id`'s job, which it does after fetching again (and finding the queue empty). */
async function completed(client: pg.Client, location: string, id: string): Promise<void> {
  const state = async () =>
    (await client.query<{ state: string }>(`SELECT state FROM ${location}_jobs.job WHERE singleton_key = $1`, [id])).rows[0]?.state;
  await expect.poll(state, { timeout: 20_000, interval: 20 }).toBe('completed');
}

/** A listening worker that took and completed a first job (so it waits, idle), a planner in another process, and an admin client. */
async function idleWorker() {
  const location = await backend.newLocation();
  const worker = await startProcess(location, true);
  const planner = await startProcess(location, false);
  const client = await admin();
  const taken = takenFeeds(worker.queue);
  await plan(planner, 'first');
  expect(await taken.next()).toBe('first');
  await completed(client, location, 'first');
  return { location, planner, client, taken };
}

describe('queue wake-ups', () => {
  it('hears NOTIFY over a connection of its own, and again after the server ended that connection', async () => {
    const location = await backend.newLocation();
    const store = (await backend.open(location)) as Store & ClusterStore;
    onTestFinished(() => store.close());
    const client = await admin();
    const channel = `wake_${location}`;
    const heard: string[] = [];
    let onHeard = () => {};
    let connections = 0;
    let onConnected = () => {};
    const losses: string[] = [];
    const listener = store.listen(
      channel,
      (payload) => void (heard.push(payload), onHeard()),
      () => void (connections++, onConnected()),
      (error) => void losses.push(error?.message ?? 'no error'),
    );
    const nextPayload = () => new Promise<void>((resolve) => (onHeard = resolve));
    const reconnected = (count: number) => new Promise<void>((resolve) => (onConnected = () => connections >= count && resolve()));
    if (connections < 1) await reconnected(1);
    expect(listener.listening).toBe(true);

    let heardOne = nextPayload();
    await client.query('SELECT pg_notify($1, $2)', [channel, 'one']);
    await heardOne;
    const [session] = (
      await client.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE application_name = 'columnwire-listen' AND query = $1`, [
        `LISTEN "${channel}"`,
      ])
    ).rows;
    expect(session).toBeDefined();
    const again = reconnected(2);
    await client.query('SELECT pg_terminate_backend($1)', [session!.pid]);
    await again;
    // Told once, with the server's reason.
    expect(losses).toHaveLength(1);
    expect(losses[0]).toMatch(/terminat/i);
    heardOne = nextPayload();
    await client.query('SELECT pg_notify($1, $2)', [channel, 'two']);
    await heardOne;
    expect(heard).toEqual(['one', 'two']);

    await listener.close();
    expect(listener.listening).toBe(false);
    // Closing is no loss.
    expect(losses).toHaveLength(1);
    await expect
      .poll(async () => (await client.query(`SELECT 1 FROM pg_stat_activity WHERE query = $1`, [`LISTEN "${channel}"`])).rowCount, {
        timeout: 10_000,
      })
      .toBe(0);
  }, 60_000);

  it('closes within a second while its connection is still being made (a server that accepts and says nothing)', async () => {
    const location = await backend.newLocation();
    // Once silent, the proxy accepts connections and answers nothing (a pooler whose server is
    // down): a connection made then ends only at its connection timeout (30 s).
    const proxy = await startPostgresProxy(schemaUrl(location));
    const store = await createPostgresStore(proxy.url, { maxConnections: 2 });
    onTestFinished(() => store.close());
    proxy.set('silent');
    const before = proxy.accepted;
    const listener = store.listen(
      `wake_${location}`,
      () => {},
      () => {},
    );
    await expect.poll(() => proxy.accepted, { timeout: 10_000, interval: 10 }).toBe(before + 1);
    const started = performance.now();
    await listener.close();
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(listener.listening).toBe(false);
  }, 60_000);

  it('notices a connection the server went silent on (no error, no FIN) at its next check, and listens again once it answers', async () => {
    const location = await backend.newLocation();
    const proxy = await startPostgresProxy(schemaUrl(location));
    const store = await createPostgresStore(proxy.url, { maxConnections: 2, listenCheckMs: 500 });
    onTestFinished(() => store.close());
    let connections = 0;
    const losses: string[] = [];
    const heard: string[] = [];
    const listener = store.listen(
      `wake_${location}`,
      (payload) => void heard.push(payload),
      () => void connections++,
      (error) => void losses.push(error?.message ?? 'no error'),
    );
    onTestFinished(() => listener.close());
    await expect.poll(() => connections, { timeout: 10_000, interval: 10 }).toBe(1);
    proxy.set('silent');
    await expect.poll(() => losses, { timeout: 10_000, interval: 10 }).toEqual(['the server did not answer for 1 s']);
    expect(listener.listening).toBe(false);
    proxy.set('pass');
    await expect.poll(() => connections, { timeout: 15_000, interval: 10 }).toBe(2);
    expect(listener.listening).toBe(true);
    const client = await admin();
    await client.query('SELECT pg_notify($1, $2)', [`wake_${location}`, 'after']);
    await expect.poll(() => heard, { timeout: 10_000, interval: 10 }).toEqual(['after']);
    expect(losses).toHaveLength(1);
  }, 60_000);

  it('wakes an idle worker when another process adds a job: it is taken at once, not at the next hourly fetch', async () => {
    const { location, planner, client, taken } = await idleWorker();
    // The worker asked again, found nothing, and waits: only the planner's NOTIFY wakes it.
    await plan(planner, 'second');
    expect(await taken.next()).toBe('second');
    await completed(client, location, 'second');
    await plan(planner, 'third');
    expect(await taken.next()).toBe('third');
  }, 60_000);

  it('looks for jobs again when its LISTEN connection comes back, as those added meanwhile were not heard', async () => {
    const { location, planner, client, taken } = await idleWorker();

    // Ended, and a job added at once: its notice reaches no listener of this worker.
    await client.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'columnwire-listen' AND query = $1`,
      [`LISTEN "cw_jobs_${location}_jobs"`],
    );
    await plan(planner, 'meanwhile');
    expect(await taken.next()).toBe('meanwhile');
  }, 60_000);
});
