/**
 * Issue 9 §1: a document of tens of thousands of items keeps only the newest
 * poll.maxItemsPerFeed (default 1,000), cut in the parse worker before normalization, so the
 * outcome copied to the main thread and the SQLite transaction stay small. The feed is no error.
 */
import { describe, expect, it } from 'vitest';
import { keepNewest } from '../../src/feeds/keep-newest.ts';
import type { ParsedItem } from '../../src/model.ts';
import { serveBody, serveForTest } from '../helpers/feed-server.ts';
import { START, startPollApp } from '../helpers/poll-app.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dataRoot = makeTempDir();
const ITEMS = 20_000;

/** RSS of `count` items, oldest first: item i is dated `count - i` minutes before START (or undated). */
function manyItems(count: number, dated = true): string {
  const item = (i: number) =>
    `<item><title>Column ${i}</title><guid>g-${i}</guid>` +
    (dated ? `<pubDate>${new Date(START.getTime() - (count - i) * 60_000).toUTCString()}</pubDate>` : '') +
    `</item>`;
  return `<?xml version="1.0"?><rss version="2.0"><channel><title>Many</title>${Array.from({ length: count }, (_, i) => item(i)).join('')}</channel></rss>`;
}

const titlesOf = (stories: Array<{ title: string | null }>) => new Set(stories.map((story) => story.title));
const columns = (from: number, to: number) => new Set(Array.from({ length: to - from }, (_, i) => `Column ${from + i}`));

describe('poll.maxItemsPerFeed', () => {
  it('stores the newest 1,000 of a 20,000-item feed by default, and says how many were dropped', { timeout: 120_000 }, async () => {
    const server = await serveForTest({ '/many': serveBody(manyItems(ITEMS)) });
    const poller = await startPollApp({ dataRoot, feeds: { many: server.url('/many') } });

    const outcome = await poller.pollOne('many');

    expect(outcome).toMatchObject({ kind: 'stored', itemCount: 1000, droppedItems: ITEMS - 1000 });
    const stored = await poller.app.store.listStories({ limit: 5000, feedIds: ['many'] });
    expect(stored).toHaveLength(1000);
    // The newest by date, though they come last in the document.
    expect(titlesOf(stored)).toEqual(columns(ITEMS - 1000, ITEMS));
    expect(await poller.feed('many')).toMatchObject({ consecutiveErrors: 0, lastError: null });
  });

  it('is configurable; undated items keep the first in document order', { timeout: 120_000 }, async () => {
    const server = await serveForTest({ '/undated': serveBody(manyItems(ITEMS, false)) });
    const poller = await startPollApp({ dataRoot, feeds: { undated: server.url('/undated') }, poll: { maxItemsPerFeed: 50 } });

    const outcome = await poller.pollOne('undated');

    expect(outcome).toMatchObject({ kind: 'stored', itemCount: 50, droppedItems: ITEMS - 50 });
    expect(titlesOf(await poller.stories('undated'))).toEqual(columns(0, 50));
  });
});

describe('keepNewest', () => {
  const item = (id: string, published: string | null): ParsedItem => ({
    id,
    title: id,
    link: null,
    author: null,
    published: published === null ? null : new Date(published),
    updated: null,
    summary: null,
    content: null,
    categories: [],
  });

  it('keeps the newest in document order, undated ones last, ties by document order', () => {
    const items = [item('a', '2025-01-03'), item('b', null), item('c', '2025-01-01'), item('d', '2025-01-03'), item('e', '2025-01-02')];
    expect(keepNewest(items, 3)).toEqual({ items: [items[0], items[3], items[4]], dropped: 2 });
    expect(keepNewest(items, 5)).toEqual({ items, dropped: 0 });
    expect(keepNewest(items, 4).items.map((kept) => kept.id)).toEqual(['a', 'c', 'd', 'e']);
  });
});
