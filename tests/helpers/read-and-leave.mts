// Opens a SQLite store at argv[2], stores one story, searches it and returns without closing the
// store: the process must still exit (an idle search thread never keeps it alive).
import { normalizeItems } from '../../src/feeds/normalize-items.ts';
import { parseSearchQuery } from '../../src/site/search-query.ts';
import { createSqliteStore } from '../../src/storage/sqlite/sqlite-store.ts';
import { item } from './items.ts';

const now = new Date();
const store = createSqliteStore(process.argv[2]!);
await store.syncFeeds([{ id: 'a', url: 'https://a.example.com/feed', title: null, outlet: null, tags: [] }]);
const state = { url: 'https://a.example.com/feed', etag: null, lastModified: null, ttlMinutes: null, nextFetchAt: now };
await store.saveFetched('a', normalizeItems([item({ id: '1', title: 'The lighthouse keeper writes' })], now), state, now, null);
const hits = await store.searchStories({ terms: parseSearchQuery('lighthouse'), limit: 10, offset: 0, now });
process.stdout.write(`hits ${hits.length}\n`);
