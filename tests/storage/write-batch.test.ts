import { describe, expect, it } from 'vitest';
import { createWriteBatch } from '../../src/storage/sqlite/write-batch.ts';
import { sqliteBackend as backend } from '../helpers/store-backends.ts';

const NOW = new Date('2026-12-06T12:00:00Z');
const busy = (error: unknown) => (error as Error).message === 'busy';

describe('write batch', () => {
  it('runs the writes of one turn of the event loop in one call, and settles each after it', async () => {
    const calls: number[] = [];
    const done: number[] = [];
    const batch = createWriteBatch((writes) => {
      calls.push(writes.length);
      writes.forEach((write) => write());
    }, busy);
    const first = Array.from({ length: 5 }, (_, index) => batch(() => void done.push(index)).then(() => index));
    expect(done).toEqual([]); // nothing runs before the turn ends
    expect(await Promise.all(first)).toEqual([0, 1, 2, 3, 4]);
    await batch(() => void done.push(5));
    expect(calls).toEqual([5, 1]);
    expect(done).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('fails only the write that fails, running the others again one by one', async () => {
    const calls: number[] = [];
    const batch = createWriteBatch((writes) => {
      calls.push(writes.length);
      writes.forEach((write) => write());
    }, busy);
    const results = await Promise.allSettled([
      batch(() => {}),
      batch(() => {
        throw new Error('constraint');
      }),
      batch(() => {}),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(calls).toEqual([3, 1, 1, 1]);
  });

  it('fails every write of a batch the database was too busy for, without trying each again', async () => {
    let calls = 0;
    const batch = createWriteBatch(() => {
      calls++;
      throw new Error('busy');
    }, busy);
    const results = await Promise.allSettled([batch(() => {}), batch(() => {})]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect(calls).toBe(1);
  });

  it('runs what is queued at once on flush', async () => {
    const done: string[] = [];
    const batch = createWriteBatch((writes) => writes.forEach((write) => write()), busy);
    const pending = batch(() => void done.push('queued'));
    batch.flush();
    expect(done).toEqual(['queued']);
    await pending;
  });

  it("records 300 feeds' 304s at once in SQLite, each feed its own validators, and flushes on close", async () => {
    const location = await backend.newLocation();
    const store = await backend.open(location);
    const ids = Array.from({ length: 300 }, (_, index) => `f${index}`);
    await store.syncFeeds(ids.map((id) => ({ id, url: `https://${id}.example.com/feed`, title: null, outlet: null, tags: [] })));
    const state = (id: string) => ({
      url: `https://${id}.example.com/feed`,
      etag: `"${id}"`,
      lastModified: null,
      ttlMinutes: null,
      nextFetchAt: new Date(NOW.getTime() + 60_000),
    });
    await Promise.all(ids.map((id) => store.markNotModified(id, state(id), NOW)));
    for (const id of ['f0', 'f150', 'f299']) expect(await store.getFeed(id)).toMatchObject({ etag: `"${id}"`, lastFetchAt: NOW });
    // Queued and not awaited: close commits it.
    void store.markNotModified('f1', { ...state('f1'), etag: '"late"' }, NOW);
    await store.close();
    const reopened = await backend.open(location);
    expect(await reopened.getFeed('f1')).toMatchObject({ etag: '"late"' });
    await reopened.close();
  });
});
