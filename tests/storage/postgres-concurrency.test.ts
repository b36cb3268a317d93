/**
 * What only PostgreSQL has to prove: many processes write at once. Each store here is its own
 * pool of connections, as a worker process would have, all on one schema.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { normalizeItems } from '../../src/feeds/normalize-items.ts';
import type { FeedSource } from '../../src/model.ts';
import type { Store } from '../../src/storage/store.ts';
import { item } from '../helpers/items.ts';
import { postgresBackend as backend } from '../helpers/store-backends.ts';

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
  const location = await backend.newLocation();
  // Opened at once: two processes starting on an empty database migrate it once between them.
  const stores = await Promise.all(Array.from({ length: count }, () => backend.open(location)));
  onTestFinished(async () => void (await Promise.all(stores.map((store) => store.close()))));
  return stores;
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
});
