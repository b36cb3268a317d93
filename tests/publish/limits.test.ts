/**
 * `?limit=N` on the merged feeds: every N from 1 to 500 gets at most N entries, and a client
 * rotating through all of them cannot make the server build a document per N (issue 9 §7:
 * throughput fell from ~1,000 to 91 req/s with 8 clients rotating limits).
 */
import { describe, expect, it } from 'vitest';
import { LIMIT_BUCKETS, servedLimit } from '../../src/publish/published-feeds.ts';
import { item } from '../helpers/items.ts';
import { startServedApp, type ServedApp } from '../helpers/served-app.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const STORIES = 130;

/** A served app with STORIES stories, one a minute, and a count of the story queries it makes. */
async function seeded(): Promise<{ served: ServedApp; queries: () => number }> {
  const served = await startServedApp(root);
  const start = Date.parse('2026-11-20T00:00:00Z');
  await served.save(
    'jane',
    Array.from({ length: STORIES }, (_, n) =>
      item({
        id: `s${n}`,
        title: `Column number ${n}`,
        link: `https://times.example.com/opinion/${n}`,
        published: new Date(start + n * 60_000),
      }),
    ),
  );
  // Every document built starts with one story query; a document answered from the cache makes none.
  let queries = 0;
  const listStories = served.app.store.listStories.bind(served.app.store);
  served.app.store.listStories = (query) => {
    queries++;
    return listStories(query);
  };
  return { served, queries: () => queries };
}

const countEntries: Record<string, (text: string) => number> = {
  'feed.xml': (text) => text.split('<item>').length - 1,
  'feed.atom': (text) => text.split('<entry>').length - 1,
  'feed.json': (text) => (JSON.parse(text) as { items: unknown[] }).items.length,
};

describe('servedLimit', () => {
  it.each([
    [1, 1],
    [2, 2],
    [3, 2],
    [4, 2],
    [5, 5],
    [9, 5],
    [10, 10],
    [19, 10],
    [20, 20],
    [49, 20],
    [50, 50],
    [99, 50],
    [100, 100],
    [199, 100],
    [200, 200],
    [499, 200],
    [500, 500],
  ])('serves limit=%i as %i stories, never more than asked', (asked, served) => {
    expect(servedLimit(asked)).toBe(served);
  });

  it('maps every limit from 1 to 500 onto a bucket no bigger than the limit', () => {
    for (let limit = 1; limit <= 500; limit++) {
      const bucket = servedLimit(limit);
      expect(LIMIT_BUCKETS).toContain(bucket);
      expect(bucket).toBeLessThanOrEqual(limit);
    }
  });
});

describe('rotating ?limit= values', () => {
  it('builds one document per bucket, not per limit, and every answer has at most N entries', async () => {
    const { served, queries } = await seeded();
    const etags = new Set<string>();
    for (let limit = 1; limit <= 500; limit++) {
      const response = await served.get(`/feed.json?limit=${limit}`);
      expect(response.status).toBe(200);
      etags.add(response.headers.get('etag')!);
      const entries = countEntries['feed.json']!(await response.text());
      expect(entries, `limit=${limit}`).toBe(Math.min(servedLimit(limit), STORIES));
      expect(entries).toBeLessThanOrEqual(limit);
    }
    // 9 buckets: one story query and one document each, then only cache hits.
    expect(queries()).toBeLessThanOrEqual(LIMIT_BUCKETS.length);
    expect(etags.size).toBeLessThanOrEqual(LIMIT_BUCKETS.length);
    const before = queries();
    for (let limit = 500; limit >= 1; limit -= 7) await (await served.get(`/feed.json?limit=${limit}`)).arrayBuffer();
    expect(queries()).toBe(before);
  }, 60_000);

  it.each(['feed.xml', 'feed.atom'])(
    'shares the story queries across formats: %s adds no query, and answers right',
    async (file) => {
      const { served, queries } = await seeded();
      for (let limit = 1; limit <= 500; limit += 11) await (await served.get(`/feed.json?limit=${limit}`)).arrayBuffer();
      const afterJson = queries();
      for (let limit = 1; limit <= 500; limit += 11) {
        const text = await (await served.get(`/${file}?limit=${limit}`)).text();
        expect(countEntries[file]!(text), `limit=${limit}`).toBe(Math.min(servedLimit(limit), STORIES));
      }
      expect(queries()).toBe(afterJson);
    },
    60_000,
  );

  it('builds the buckets again, once each, after the store changes', async () => {
    const { served, queries } = await seeded();
    for (let limit = 1; limit <= 500; limit += 3) await (await served.get(`/feed.xml?limit=${limit}`)).arrayBuffer();
    const firstVersion = queries();
    await served.save('jane', [item({ id: 'late', title: 'A late column', published: new Date('2026-11-21T06:00:00Z') })]);
    const before = queries();
    for (let limit = 1; limit <= 500; limit += 3) await (await served.get(`/feed.xml?limit=${limit}`)).arrayBuffer();
    expect(queries() - before).toBe(firstVersion);
    const newest = await (await served.get('/feed.xml?limit=1')).text();
    expect(newest).toContain('A late column');
  }, 60_000);
});
