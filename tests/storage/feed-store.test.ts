/** Feed state across config reloads: the same contract on SQLite and on PostgreSQL. */
import { describe, expect, it } from 'vitest';
import { storeBackends } from '../helpers/store-backends.ts';

const NOW = new Date('2026-11-27T12:00:00Z');
const source = (url: string) => ({ id: 'jane', url, title: null, outlet: null, tags: [] });

describe.each(storeBackends)('the $name store', (backend) => {
  it("counts the feeds it lists (the config's), without the removed ones it keeps", async () => {
    const store = await backend.open(await backend.newLocation());
    expect(await store.countFeeds()).toBe(0);
    const three = ['a', 'b', 'c'].map((id) => ({ ...source(`https://${id}.example.com/feed`), id }));
    await store.syncFeeds(three);
    expect(await store.countFeeds()).toBe(3);
    await store.syncFeeds(three.slice(1));
    expect(await store.countFeeds()).toBe((await store.listFeeds()).length);
    expect(await store.countFeeds()).toBe(2);
    expect(await store.getFeed('a')).not.toBeNull(); // kept, with its state, but not counted
    await store.close();
  });

  it('reads when the last poll cycle finished by itself, as readStats reports it (for /readyz)', async () => {
    const store = await backend.open(await backend.newLocation());
    expect(await store.lastPollCycleAt()).toBeNull();
    await store.recordPollCycle({ 'fetches.stored': 2 }, NOW);
    const later = new Date(NOW.getTime() + 60_000);
    await store.recordPollCycle({ 'fetches.stored': 1 }, later);
    expect(await store.lastPollCycleAt()).toEqual(later);
    expect((await store.readStats()).lastPollCycleAt).toEqual(later);
    await store.close();
  });

  describe('feed state across a config reload', () => {
    it.each(['success', 'failure'] as const)("drops the %s of a fetch that started before the feed's URL changed", async (outcome) => {
      const store = await backend.open(await backend.newLocation());
      await store.syncFeeds([source('https://old.example.com/feed')]);
      const before = (await store.getFeed('jane'))!;
      // A reload moves the feed while its fetch is in flight...
      await store.syncFeeds([source('https://new.example.com/feed')]);
      // ...and the stale fetch then finishes.
      const stale = { url: before.url, configuredUrl: before.configuredUrl, nextFetchAt: new Date(NOW.getTime() + 3600_000) };
      if (outcome === 'success')
        await store.markNotModified('jane', { ...stale, etag: '"old"', lastModified: null, ttlMinutes: null }, NOW);
      else await store.markFailed('jane', { ...stale, error: 'HTTP 500', waitReason: 'backoff' }, NOW);
      expect(await store.getFeed('jane')).toMatchObject({
        url: 'https://new.example.com/feed',
        configuredUrl: 'https://new.example.com/feed',
        etag: null,
        consecutiveErrors: 0,
        nextFetchAt: null,
      });
      // A fetch of the current URL is recorded as usual.
      await store.markNotModified(
        'jane',
        {
          url: 'https://new.example.com/feed',
          configuredUrl: 'https://new.example.com/feed',
          etag: '"new"',
          lastModified: null,
          ttlMinutes: null,
          nextFetchAt: NOW,
        },
        NOW,
      );
      expect(await store.getFeed('jane')).toMatchObject({ etag: '"new"' });
      await store.close();
    });

    it('drops the validators and schedule of a feed whose picked columnists change, and only then', async () => {
      const store = await backend.open(await backend.newLocation());
      const url = 'https://paper.example.com/opinion';
      const picked = (...authorKeys: string[]) => ({ ...source(url), pick: { authorKeys, keepUnsigned: false, names: authorKeys } });
      const fetched = async () => {
        const next = { url, configuredUrl: url, etag: '"v1"', lastModified: 'Mon, 01 Jun 2026 00:00:00 GMT', ttlMinutes: null };
        await store.markNotModified('jane', { ...next, nextFetchAt: new Date(NOW.getTime() + 3600_000) }, NOW);
      };
      const kept = { etag: '"v1"', lastModified: 'Mon, 01 Jun 2026 00:00:00 GMT', nextFetchAt: new Date(NOW.getTime() + 3600_000) };
      const dropped = { etag: null, lastModified: null, nextFetchAt: null, url, consecutiveErrors: 0 };

      await store.syncFeeds([source(url)]);
      await fetched();
      await store.syncFeeds([source(url)]);
      expect(await store.getFeed('jane')).toMatchObject(kept);
      await store.syncFeeds([picked('jane doe')]);
      expect(await store.getFeed('jane')).toMatchObject(dropped);
      await fetched();
      // The same pick, its names in another order: nothing changes.
      await store.syncFeeds([picked('jane doe')]);
      expect(await store.getFeed('jane')).toMatchObject(kept);
      await store.syncFeeds([picked('jane doe', 'john roe')]);
      expect(await store.getFeed('jane')).toMatchObject(dropped);
      await fetched();
      await store.syncFeeds([picked('john roe', 'jane doe')]);
      expect(await store.getFeed('jane')).toMatchObject(kept);
      await store.syncFeeds([source(url)]);
      expect(await store.getFeed('jane')).toMatchObject(dropped);
      // A feed asked to wait (Retry-After) keeps its wait through a new pick; only the validators go.
      const waitUntil = new Date(NOW.getTime() + 86_400_000);
      await store.markFailed(
        'jane',
        { error: 'HTTP 429', nextFetchAt: waitUntil, waitReason: 'retry-after', url, configuredUrl: url },
        NOW,
      );
      await store.syncFeeds([picked('zoe')]);
      expect(await store.getFeed('jane')).toMatchObject({ etag: null, nextFetchAt: waitUntil, waitReason: 'retry-after' });
      await store.close();
    });

    it("keeps the stored document's hash through a 304 and a failure, and drops it when the URL or the pick changes", async () => {
      const store = await backend.open(await backend.newLocation());
      const url = 'https://plain.example.com/feed';
      await store.syncFeeds([source(url)]);
      expect((await store.getFeed('jane'))!.bodyHash).toBeNull();
      const state = { url, configuredUrl: url, etag: null, lastModified: null, ttlMinutes: null, nextFetchAt: NOW };
      await store.saveFetched('jane', [], { ...state, bodyHash: 'hash-1' }, NOW, null);
      expect((await store.getFeed('jane'))!.bodyHash).toBe('hash-1');
      await store.markNotModified('jane', state, NOW);
      await store.markFailed('jane', { error: 'HTTP 500', nextFetchAt: NOW, waitReason: 'backoff', url, configuredUrl: url }, NOW);
      expect((await store.getFeed('jane'))!.bodyHash).toBe('hash-1');
      await store.saveFetched('jane', [], { ...state, bodyHash: null }, NOW, null);
      expect((await store.getFeed('jane'))!.bodyHash).toBeNull();
      await store.saveFetched('jane', [], { ...state, bodyHash: 'hash-2' }, NOW, null);
      await store.syncFeeds([{ ...source(url), pick: { authorKeys: ['jane doe'], keepUnsigned: false, names: ['Jane Doe'] } }]);
      expect((await store.getFeed('jane'))!.bodyHash).toBeNull();
      await store.saveFetched('jane', [], { ...state, bodyHash: 'hash-3' }, NOW, null);
      await store.syncFeeds([source('https://moved.example.com/feed')]);
      expect((await store.getFeed('jane'))!.bodyHash).toBeNull();
      await store.close();
    });

    it("keeps the feed's item digest through a 304 and a failure, and drops it when a save has none or the URL or the pick changes", async () => {
      const store = await backend.open(await backend.newLocation());
      const url = 'https://plain.example.com/feed';
      await store.syncFeeds([source(url), { ...source(url), id: 'other' }]);
      expect(await store.itemDigest('jane')).toBeNull();
      const state = { url, configuredUrl: url, etag: null, lastModified: null, ttlMinutes: null, nextFetchAt: NOW };
      await store.saveFetched('jane', [], { ...state, itemDigest: 'v1\nctx\nraw-1 i1' }, NOW, null);
      await store.saveFetched('other', [], { ...state, itemDigest: 'v1\nctx\nraw-9 i9' }, NOW, null);
      expect(await store.itemDigest('jane')).toBe('v1\nctx\nraw-1 i1');
      await store.markNotModified('jane', state, NOW);
      await store.markFailed('jane', { error: 'HTTP 500', nextFetchAt: NOW, waitReason: 'backoff', url, configuredUrl: url }, NOW);
      expect(await store.itemDigest('jane')).toBe('v1\nctx\nraw-1 i1');
      await store.saveFetched('jane', [], { ...state, itemDigest: 'v1\nctx\nraw-2 i2' }, NOW, null);
      expect(await store.itemDigest('jane')).toBe('v1\nctx\nraw-2 i2');
      await store.saveFetched('jane', [], state, NOW, null);
      expect(await store.itemDigest('jane')).toBeNull();
      // A result for a URL the config no longer names writes nothing.
      await store.saveFetched('jane', [], { ...state, itemDigest: 'v1\nctx\nraw-3 i3' }, NOW, null);
      await store.syncFeeds([
        { ...source(url), pick: { authorKeys: ['jane doe'], keepUnsigned: false, names: ['Jane Doe'] } },
        { ...source(url), id: 'other' },
      ]);
      expect(await store.itemDigest('jane')).toBeNull();
      await store.saveFetched('jane', [], { ...state, itemDigest: 'v1\nctx\nraw-4 i4' }, NOW, null);
      await store.syncFeeds([
        { ...source('https://moved.example.com/feed'), pick: { authorKeys: ['jane doe'], keepUnsigned: false, names: ['Jane Doe'] } },
        { ...source(url), id: 'other' },
      ]);
      expect(await store.itemDigest('jane')).toBeNull();
      await store.saveFetched('jane', [], { ...state, itemDigest: 'v1\nctx\nraw-5 i5' }, NOW, null);
      expect(await store.itemDigest('jane')).toBeNull();
      // Another feed's digest is its own.
      expect(await store.itemDigest('other')).toBe('v1\nctx\nraw-9 i9');
      await store.close();
    });
  });
});
