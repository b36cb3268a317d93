/**
 * SQLite reads on threads of their own (read-threads.ts): the same hits and byline stats as the
 * store's own connection (the stats counting a story saved just before), many searches at once,
 * and what happens when a thread cannot start or dies mid-search (the store then reads on its
 * own connection, and says so).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { normalizeItems } from '../../src/feeds/normalize-items.ts';
import { parseSearchQuery } from '../../src/site/search-query.ts';
import { createReadThreads, ReadThreadError, type ReadThreads } from '../../src/storage/sqlite/read-threads.ts';
import type { BylineStat, SearchQuery, Store } from '../../src/storage/store.ts';
import { item } from '../helpers/items.ts';
import { sqliteBackend } from '../helpers/store-backends.ts';

const NOW = new Date('2026-11-21T12:00:00Z');
const state = { url: 'https://a.example.com/feed', etag: null, lastModified: null, ttlMinutes: null, nextFetchAt: NOW };
const run = promisify(execFile);
const MISBEHAVING = new URL('../helpers/misbehaving-read-worker.mjs', import.meta.url);
const query = (text: string, limit = 10, offset = 0): SearchQuery => ({ terms: parseSearchQuery(text), limit, offset, now: NOW });
const WORDS = ['budget', 'tram', 'harbour', 'housing market', 'lighthouse', 'inflation'];

describe('SQLite read threads', () => {
  const opened: Array<Store | ReadThreads> = [];
  afterEach(async () => {
    for (const one of opened.splice(0)) await one.close();
  });

  async function seededStores(): Promise<{ threaded: Store; own: Store; reported: string[]; location: string }> {
    const location = await sqliteBackend.newLocation();
    const reported: string[] = [];
    const threaded = await sqliteBackend.open(location, {
      onBackgroundError: (_error, what) => void reported.push(what),
      bylineStatsThreadMs: 0,
    });
    const own = await sqliteBackend.open(location, { readThreads: 0 });
    opened.push(threaded, own);
    await threaded.syncFeeds([{ id: 'a', url: 'https://a.example.com/feed', title: null, outlet: null, tags: [] }]);
    const items = Array.from({ length: 300 }, (_, n) =>
      item({
        id: `s${n}`,
        title: `Column ${n} on the ${WORDS[n % WORDS.length]}`,
        summary: `<p>About the ${WORDS[(n * 7) % WORDS.length]} and the ${WORDS[(n * 3) % WORDS.length]}, part ${n}</p>`,
        published: new Date(NOW.getTime() - n * 3_600_000),
      }),
    );
    await threaded.saveFetched('a', normalizeItems(items, NOW), state, NOW, null);
    return { threaded, own, reported, location };
  }

  it('give the hits the store finds on its own connection, 40 searches at once', async () => {
    const { threaded, own, reported } = await seededStores();
    const asked = Array.from({ length: 40 }, (_, n) => query([...WORDS, 'harb*', '"the budget"', 'nothing-matches'][n % 9]!, 5, n % 3));
    const [onThreads, onOwn] = await Promise.all([
      Promise.all(asked.map((one) => threaded.searchStories(one))),
      Promise.all(asked.map((one) => own.searchStories(one))),
    ]);
    expect(onThreads).toEqual(onOwn);
    expect(onThreads.filter((hits) => hits.length > 0).length).toBeGreaterThan(30);
    expect(reported).toEqual([]);
  });

  it('give the byline stats the store reads on its own connection, counting a story saved just before', async () => {
    const { threaded, own, reported, location } = await seededStores();
    const threads = createReadThreads(location, { threads: 1 });
    opened.push(threads);
    const byKey = (stats: BylineStat[]) => stats.sort((x, y) => `${x.authorKey}/${x.feedId}`.localeCompare(`${y.authorKey}/${y.feedId}`));
    expect(byKey(await threads.bylineStats())).toEqual(byKey(await own.bylineStats()));
    // The store reads its first here, the later ones (bylineStatsThreadMs 0) on a thread.
    for (let round = 0; round < 4; round++) {
      const published = new Date(NOW.getTime() + round * 60_000);
      await threaded.saveFetched(
        'a',
        normalizeItems([item({ id: `n${round}`, author: `Newcomer ${round}`, published })], NOW),
        state,
        NOW,
        null,
      );
      const [mine, theirs] = await Promise.all([threaded.bylineStats(), threads.bylineStats()]);
      expect(byKey(mine)).toEqual(byKey(await own.bylineStats()));
      expect(byKey(theirs)).toEqual(byKey(mine));
      expect(mine.find((stat) => stat.authorKey === `newcomer ${round}`)).toMatchObject({ stories: 1, latest: { published } });
    }
    expect(reported).toEqual([]);
  });

  it('let the process exit once it has searched and read the stats, the store left open, threads warmed up', async () => {
    const script = fileURLToPath(new URL('../helpers/read-and-leave.mts', import.meta.url));
    const { stdout } = await run(process.execPath, ['--import', 'tsx', script, await sqliteBackend.newLocation()], { timeout: 60_000 });
    expect(stdout).toBe('hits 1\nstats 1 1\n');
  });

  it('fail reads with a ReadThreadError when no thread can start, and try again on the next ones', async () => {
    const threads = createReadThreads('/nowhere/fail-at-start', { threads: 2, workerUrl: MISBEHAVING });
    opened.push(threads);
    // A thread warmed up for reads to come fails to start as well: the reads sent meanwhile fail with it.
    threads.warm();
    for (let attempt = 0; attempt < 2; attempt++) {
      const results = await Promise.allSettled([threads.search(query('a')), threads.bylineStats(), threads.search(query('b'))]);
      for (const result of results) {
        expect(result.status).toBe('rejected');
        expect((result as PromiseRejectedResult).reason).toBeInstanceOf(ReadThreadError);
        expect(String((result as PromiseRejectedResult).reason)).toMatch(/cannot open the database/);
      }
    }
  });

  it('fail only the search a dying thread held; the others and the next ones are answered', async () => {
    const threads = createReadThreads('/some/file.db', { threads: 1, workerUrl: MISBEHAVING });
    opened.push(threads);
    const [before, dying, after] = await Promise.allSettled([
      threads.search(query('a', 1)),
      threads.search(query('a', 13)),
      threads.search(query('a', 2)),
    ]);
    expect(before).toEqual({ status: 'fulfilled', value: [{ limit: 1 }] });
    expect(dying.status).toBe('rejected');
    expect((dying as PromiseRejectedResult).reason).toBeInstanceOf(ReadThreadError);
    expect(after).toEqual({ status: 'fulfilled', value: [{ limit: 2 }] });
    expect(await threads.search(query('a', 3))).toEqual([{ limit: 3 }]);
  });

  it('fail searches still waiting when closed, and refuse new ones', async () => {
    const threads = createReadThreads('/some/file.db', { threads: 1, workerUrl: MISBEHAVING });
    const waiting = Promise.allSettled([threads.search(query('a', 1)), threads.search(query('a', 2))]);
    await threads.close();
    for (const result of await waiting) expect(result.status).toBe('rejected');
    await expect(threads.search(query('a'))).rejects.toBeInstanceOf(ReadThreadError);
  });
});
