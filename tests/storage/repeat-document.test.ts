/**
 * A property of deduplication, over generated hostile documents: whatever a feed lists (ids
 * shared by several items, one link under several ids, items without link or id, the same title
 * twice, tracking parameters, items other feeds carry too), the same document fetched again
 * writes nothing (no story added, none edited), and neither does a third fetch, nor one that
 * lists the same items in reverse order; one with a new column on top adds that one story. The documents
 * draw ids, links and titles from small pools so that collisions are the rule, not the
 * exception; feeds share the pools, so they also collide across feeds. Real SQLite file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeItems } from '../../src/feeds/normalize-items.ts';
import type { ParsedItem } from '../../src/model.ts';
import type { Store } from '../../src/storage/store.ts';
import { intBetween, pick, streamFor } from '../helpers/prng.ts';
import { storeBackends } from '../helpers/store-backends.ts';

const SEED = 20261206;
/** Documents per backend: PostgreSQL's round trips make each save slower. */
const DOCUMENTS = { sqlite: 600, postgres: 200 } as const;
const NOW = new Date('2026-11-21T12:00:00Z');
const state = { url: 'https://feed.example.com/', etag: null, lastModified: null, ttlMinutes: null, nextFetchAt: NOW };

const IDS = ['1', '2', '3', 'guid-shared'] as const;
const LINKS = [
  null,
  'https://news.example.com/opinion/a',
  'https://news.example.com/opinion/a?utm_source=rss',
  'https://news.example.com/opinion/b',
  'http://www.news.example.com/opinion/b/',
  'https://other.example.org/c',
] as const;
const TITLES = ['The budget is a fiction, again', 'The budget is a fiction, again!', 'Letters to the editor', 'Why the tram matters', null];
const AUTHORS = ['Jane Doe', 'John Roe', null];

/** The n-th generated document: 1–8 items drawn from the pools. */
function documentFor(n: number): ParsedItem[] {
  const random = streamFor(SEED, 'document', n);
  return Array.from({ length: intBetween(random, 1, 8) }, (): ParsedItem => {
    const link = pick(random, LINKS);
    const title = pick(random, TITLES);
    return {
      id: random() < 0.15 ? (link ?? `sha1:${title ?? 'untitled'}`) : pick(random, IDS),
      title,
      link,
      author: pick(random, AUTHORS),
      published: new Date(NOW.getTime() - intBetween(random, 0, 5) * 86_400_000),
      updated: null,
      summary: random() < 0.5 ? `<p>${pick(random, ['One', 'Two', 'Three'])}</p>` : null,
      content: null,
      categories: [],
    };
  });
}

describe.each(storeBackends)('fetching the same document again, $name store', (backend) => {
  let store: Store;
  const documents = DOCUMENTS[backend.name];
  const feeds = Array.from({ length: documents }, (_, n) => `feed-${n % 40}`);

  beforeAll(async () => {
    store = await backend.open(await backend.newLocation());
    await store.syncFeeds(
      [...new Set(feeds)].map((id) => ({ id, url: `https://${id}.example.com/`, title: null, outlet: null, tags: [] })),
    );
  });
  afterAll(() => store.close());

  it(`writes nothing, for ${documents} generated documents with colliding ids, links and titles`, async () => {
    const unstable: string[] = [];
    for (let n = 0; n < documents; n++) {
      const items = normalizeItems(documentFor(n), NOW);
      await store.saveFetched(feeds[n]!, items, state, NOW, null);
      const stories = await store.countStories();
      const fetches = { second: items, third: items, 'reversed order': normalizeItems(documentFor(n).reverse(), NOW) };
      for (const [fetch, again] of Object.entries(fetches)) {
        const result = await store.saveFetched(feeds[n]!, again, state, NOW, null);
        if (result.added + result.updated > 0 || (await store.countStories()) !== stories)
          unstable.push(`document ${n} (${feeds[n]}), ${fetch}: ${JSON.stringify(result)}\n${JSON.stringify(documentFor(n))}`);
      }
      // A new column on top (what most polls bring), sometimes with the oldest gone, and
      // sometimes under an id one of the others keeps (an id that only a column gone had would
      // be that column edited): adds that one story and touches no other.
      const random = streamFor(SEED, 'fresh', n);
      const kept = documentFor(n).slice(0, random() < 0.5 ? -1 : undefined);
      const shown = kept.filter((one) => one.title || one.link || one.summary); // items with nothing to show are never stored
      const fresh: ParsedItem = {
        ...documentFor(n)[0]!,
        id: random() < 0.5 && shown.length > 0 ? pick(random, shown).id : `new-${n}`,
        link: `https://news.example.com/new/${n}`,
        title: `New column ${n}`,
      };
      const rotated = [fresh, ...kept];
      const result = await store.saveFetched(feeds[n]!, normalizeItems(rotated, NOW), state, NOW, null);
      if (result.added !== 1 || result.updated > 0)
        unstable.push(`document ${n} (${feeds[n]}), a new column on top: ${JSON.stringify(result)}\n${JSON.stringify(rotated)}`);
    }
    expect(unstable).toEqual([]);
  });
});
