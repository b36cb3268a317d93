// Opens a SQLite store at argv[2], stores one story, searches it, reads the byline stats twice
// (the second on a thread warmed up by the first) and warms up threads of its own, then returns
// without closing anything: the process must still exit (an idle read thread, or one warmed up
// for reads to come, never keeps it alive).
import { normalizeItems } from '../../src/feeds/normalize-items.ts';
import { parseSearchQuery } from '../../src/site/search-query.ts';
import { createReadThreads } from '../../src/storage/sqlite/read-threads.ts';
import { createSqliteStore } from '../../src/storage/sqlite/sqlite-store.ts';
import { item } from './items.ts';

const now = new Date();
const store = createSqliteStore(process.argv[2]!, { bylineStatsThreadMs: 0 });
await store.syncFeeds([{ id: 'a', url: 'https://a.example.com/feed', title: null, outlet: null, tags: [] }]);
const state = { url: 'https://a.example.com/feed', etag: null, lastModified: null, ttlMinutes: null, nextFetchAt: now };
await store.saveFetched('a', normalizeItems([item({ id: '1', title: 'The lighthouse keeper writes' })], now), state, now, null);
const hits = await store.searchStories({ terms: parseSearchQuery('lighthouse'), limit: 10, offset: 0, now });
const here = await store.bylineStats();
const onThread = await store.bylineStats();
createReadThreads(process.argv[2]!, { threads: 1 }).warm();
process.stdout.write(`hits ${hits.length}\nstats ${here.length} ${onThread.length}\n`);
