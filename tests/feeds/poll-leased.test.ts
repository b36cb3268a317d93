/**
 * A cluster worker's poll (pollLeasedFeed) whose save meets PostgreSQL restarting: the save is
 * tried again while the lease lasts, so the columns fetched are stored once the server is back
 * (dropped, a feed that rotated them out before the retry would lose them). Past the retry
 * budget the job fails (the queue's job is retried by the planner), nothing is recorded as the
 * feed's failure, and the lease is released, so the next worker can take the feed at once.
 * Before, the outage was recorded as "internal error" on the feed and its next fetch put off by
 * an hour (found by the scale bench's PostgreSQL restart run).
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { pollLeasedFeed } from '../../src/feeds/poll-leased.ts';
import { createLogger } from '../../src/logger.ts';
import type { ClusterStore, Store } from '../../src/storage/store.ts';
import { serveBody, serveForTest } from '../helpers/feed-server.ts';
import { START, rssFeed, startPollApp } from '../helpers/poll-app.ts';
import { postgresBackend as backend } from '../helpers/store-backends.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dataRoot = makeTempDir();

/**
 * A feed served locally, the poll app that gives the config and the parse pool, and a fresh
 * PostgreSQL store holding the feed's state; `deps` polls as worker-1 with a 60 s lease.
 */
async function setUp() {
  const server = await serveForTest({ '/feed.xml': serveBody(rssFeed('herald')) });
  const poller = await startPollApp({ dataRoot, feeds: { herald: server.url('/feed.xml') } });
  const store = await openStore(poller.app.config.feeds);
  return { server, poller, store, deps: pollDeps(poller) };
}

/** How worker-1 polls with `poller`'s config and parse pool: a 60 s lease, silent. */
function pollDeps(poller: Awaited<ReturnType<typeof startPollApp>>) {
  return {
    ...poller.app.poll,
    logger: createLogger({ level: 'silent' }),
    owner: 'worker-1',
    config: poller.app.config,
    leaseMs: 60_000,
  };
}

async function openStore(feeds: Parameters<Store['syncFeeds']>[0]): Promise<Store & ClusterStore> {
  const store = (await backend.open(await backend.newLocation())) as Store & ClusterStore;
  onTestFinished(() => store.close());
  await store.syncFeeds(feeds);
  return store;
}

describe('a leased poll', () => {
  it('fails its job, records nothing on the feed and frees the lease when PostgreSQL goes down under the save', async () => {
    const { server, store, deps: leaseDeps } = await setUp();
    const deps = { ...leaseDeps, saveRetryMs: 500 };
    const before = (await store.getFeed('herald'))!;
    const restarting = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    // The release meets the outage too, once: tried again, it frees the feed now, not when the lease expires.
    let releases = 0;
    const failing: Store & ClusterStore = {
      ...store,
      leased: (lease) => ({ ...store.leased(lease), saveFetched: () => Promise.reject(restarting) }),
      releaseFeedLease: (lease) => (++releases === 1 ? Promise.reject(restarting) : store.releaseFeedLease(lease)),
    };

    await expect(pollLeasedFeed('herald', { ...deps, store: failing })).rejects.toBe(restarting);

    expect(server.requests).toHaveLength(1);
    expect(releases).toBe(2);
    expect(await store.getFeed('herald')).toMatchObject({ lastError: null, consecutiveErrors: 0, nextFetchAt: before.nextFetchAt });
    // Released: another worker takes it now, and stores it.
    const result = await pollLeasedFeed('herald', { ...deps, store, owner: 'worker-2' });
    expect(result).toMatchObject({ kind: 'polled', outcome: { kind: 'stored', added: 2 } });
    expect((await store.getFeed('herald'))!.lastSuccessAt).toEqual(START);
  });

  it('reports a save whose commit went through but whose answer was lost as stored, not as a lost lease', async () => {
    const { server, store, deps } = await setUp();
    let attempts = 0;
    // The first attempt commits, then the connection drops before its answer arrives.
    const ackLost: Store & ClusterStore = {
      ...store,
      leased: (lease) => {
        const leased = store.leased(lease);
        return {
          ...leased,
          saveFetched: async (...args) => {
            const saved = await leased.saveFetched(...args);
            if (++attempts === 1) throw Object.assign(new Error('Connection terminated unexpectedly'), { code: '57P01' });
            return saved;
          },
        };
      },
    };

    const result = await pollLeasedFeed('herald', { ...deps, store: ackLost });

    expect(attempts).toBe(2);
    expect(result).toMatchObject({ kind: 'polled', outcome: { kind: 'stored', added: 2, duplicates: 0 } });
    expect(server.requests).toHaveLength(1);
    expect(await store.countStories()).toBe(2);
    expect(await store.getFeed('herald')).toMatchObject({ lastSuccessAt: START, lastError: null });
    // Fencing holds: a retry of that save by a worker whose lease another took over is still refused.
    const taken = await store.takeFeedLease('herald', 'worker-3', START, 60_000, 4);
    if (typeof taken === 'string') throw new Error(`lease: ${taken}`);
    const stale = { ...taken, token: taken.token - 1, owner: 'worker-1' };
    await expect(
      store
        .leased(stale)
        .saveFetched(
          'herald',
          [],
          { url: server.url('/feed.xml'), etag: null, lastModified: null, nextFetchAt: START, ttlMinutes: null },
          START,
          null,
        ),
    ).rejects.toThrow(/taken over/);
  });

  it('takes the feed state with its lease and releases nothing once its write has ended the lease', async () => {
    const { server, store, deps } = await setUp();
    let releases = 0;
    let reads = 0;
    const counting: Store & ClusterStore = {
      ...store,
      getFeed: (id) => (reads++, store.getFeed(id)),
      itemDigest: (id) => (reads++, store.itemDigest(id)),
      releaseFeedLease: (lease) => (releases++, store.releaseFeedLease(lease)),
    };

    expect(await pollLeasedFeed('herald', { ...deps, store: counting })).toMatchObject({
      kind: 'polled',
      outcome: { kind: 'stored', added: 2 },
    });

    expect(server.requests).toHaveLength(1);
    expect({ reads, releases }).toEqual({ reads: 0, releases: 0 });
    // Ended by the save: any worker takes it at once, even under a cap of 1 on its host.
    expect(await store.takeFeedLease('herald', 'worker-2', START, 60_000, 1)).toMatchObject({ owner: 'worker-2' });
  });

  it("drops a zombie's result: its lease taken over while it fetched, it writes and releases nothing", async () => {
    let store: (Store & ClusterStore) | null = null;
    const body = serveBody(rssFeed('herald'));
    // The worker stalls past its lease while fetching; another takes the feed over meanwhile.
    const server = await serveForTest({
      '/feed.xml': (req, res) =>
        void store!.takeFeedLease('herald', 'worker-2', new Date(START.getTime() + 61_000), 60_000, 4).then(() => body(req, res)),
    });
    const poller = await startPollApp({ dataRoot, feeds: { herald: server.url('/feed.xml') } });
    store = await openStore(poller.app.config.feeds);
    let releases = 0;
    const counting: Store & ClusterStore = { ...store, releaseFeedLease: (lease) => (releases++, store.releaseFeedLease(lease)) };
    expect(await pollLeasedFeed('herald', { ...pollDeps(poller), store: counting })).toEqual({ kind: 'lost-lease' });

    expect(server.requests).toHaveLength(1);
    expect(releases).toBe(0);
    expect(await store.countStories()).toBe(0);
    expect(await store.getFeed('herald')).toMatchObject({ lastFetchAt: null, lastSuccessAt: null });
    // The new holder's lease stands.
    expect(await store.takeFeedLease('herald', 'worker-3', new Date(START.getTime() + 62_000), 60_000, 4)).toBe('leased');
  });

  it('stores what it fetched once PostgreSQL is back, trying the save again within the lease', async () => {
    const { server, poller, store, deps } = await setUp();
    let attempts = 0;
    const restartingTwice: Store & ClusterStore = {
      ...store,
      leased: (lease) => {
        const leased = store.leased(lease);
        return {
          ...leased,
          saveFetched: (...args) => {
            attempts++;
            if (attempts <= 2) return Promise.reject(Object.assign(new Error('the database system is starting up'), { code: '57P03' }));
            return leased.saveFetched(...args);
          },
        };
      },
    };

    const result = await pollLeasedFeed('herald', { ...deps, store: restartingTwice });

    expect(result).toMatchObject({ kind: 'polled', outcome: { kind: 'stored', added: 2 } });
    expect(attempts).toBe(3);
    expect(server.requests).toHaveLength(1);
    expect(await store.getFeed('herald')).toMatchObject({ lastSuccessAt: START, lastError: null, consecutiveErrors: 0 });
    expect(await store.countStories()).toBe(2);
    // A failure that is not an outage is not tried again: the feed's failure, at once.
    const other = await openStore(poller.app.config.feeds);
    let brokenAttempts = 0;
    const broken: Store & ClusterStore = {
      ...other,
      leased: (lease) => ({
        ...other.leased(lease),
        saveFetched: () => {
          brokenAttempts++;
          return Promise.reject(new Error('division by zero'));
        },
      }),
    };
    const failed = await pollLeasedFeed('herald', { ...deps, store: broken, owner: 'worker-2' });
    expect(failed).toMatchObject({ kind: 'polled', outcome: { kind: 'failed' } });
    expect(brokenAttempts).toBe(1);
  });
});
