/**
 * A cluster worker's poll (pollLeasedFeed) whose save meets PostgreSQL restarting: the job fails
 * (the queue's job is retried by the planner), nothing is recorded as the feed's failure, and
 * the lease is released, so the next worker can take the feed at once. Before, the outage was
 * recorded as "internal error" on the feed and its next fetch put off by an hour (found by the
 * scale bench's PostgreSQL restart run).
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

describe('a leased poll', () => {
  it('fails its job, records nothing on the feed and frees the lease when PostgreSQL goes down under the save', async () => {
    const server = await serveForTest({ '/feed.xml': serveBody(rssFeed('herald')) });
    // The poll app gives the config and the parse pool; the feed state lives in PostgreSQL.
    const poller = await startPollApp({ dataRoot, feeds: { herald: server.url('/feed.xml') } });
    const store = (await backend.open(await backend.newLocation())) as Store & ClusterStore;
    onTestFinished(() => store.close());
    await store.syncFeeds(poller.app.config.feeds);
    const before = (await store.getFeed('herald'))!;
    const restarting = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    const deps = {
      ...poller.app.poll,
      logger: createLogger({ level: 'silent' }),
      owner: 'worker-1',
      config: poller.app.config,
      leaseMs: 60_000,
    };
    const failing: Store & ClusterStore = {
      ...store,
      leased: (lease) => ({ ...store.leased(lease), saveFetched: () => Promise.reject(restarting) }),
    };

    await expect(pollLeasedFeed('herald', { ...deps, store: failing })).rejects.toBe(restarting);

    expect(server.requests).toHaveLength(1);
    expect(await store.getFeed('herald')).toMatchObject({ lastError: null, consecutiveErrors: 0, nextFetchAt: before.nextFetchAt });
    // Released: another worker takes it now, and stores it.
    const result = await pollLeasedFeed('herald', { ...deps, store, owner: 'worker-2' });
    expect(result).toMatchObject({ kind: 'polled', outcome: { kind: 'stored', added: 2 } });
    expect((await store.getFeed('herald'))!.lastSuccessAt).toEqual(START);
  });
});
