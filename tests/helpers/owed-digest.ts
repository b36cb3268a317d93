/**
 * A PostgreSQL schema whose digest `daily` is owed a run the moment a scheduler starts: a
 * config (one feed, `daily` at 07:00), a fresh column, the given subscribers, and a previous
 * run two days ago. For the cluster tests that start real `columnwire run --roles …` processes.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { normalizeItems } from '../../src/feeds/normalize-items.ts';
import { createPostgresStore } from '../../src/storage/postgres/postgres-store.ts';
import { item } from './items.ts';
import { postgresBackend, schemaUrl } from './store-backends.ts';

export interface OwedDigest {
  schema: string;
  databaseUrl: string;
  /** The config file's path. */
  config: string;
}

/**
 * Writes `${name}.yaml` in `dir` and fills a new schema (or the database at `databaseUrl`, when
 * given: `schema` is then its `public`); the store used is closed before it returns.
 */
export async function owedDigest(dir: string, name: string, addresses: readonly string[], url?: string): Promise<OwedDigest> {
  const schema = url ? 'public' : await postgresBackend.newLocation();
  const databaseUrl = url ?? schemaUrl(schema);
  const config = join(dir, `${name}.yaml`);
  writeFileSync(
    config,
    [
      'baseUrl: https://columns.example.net',
      'mail:',
      '  from: "Columns <digest@columns.example.net>"',
      'digests:',
      '  - id: daily',
      '    schedule: "0 7 * * *"',
      'feeds:',
      '  - url: https://jane.example.com/feed',
      '    id: jane',
      '',
    ].join('\n'),
  );
  const now = new Date();
  const store = await createPostgresStore(databaseUrl);
  try {
    await store.syncFeeds([{ id: 'jane', url: 'https://jane.example.com/feed', title: null, outlet: null, tags: [] }]);
    const state = { url: 'https://jane.example.com/feed', etag: null, lastModified: null, ttlMinutes: null, nextFetchAt: now };
    await store.saveFetched('jane', normalizeItems([item({ id: 'j1', published: now })], now), state, now, null);
    await store.addSubscribers(
      'daily',
      addresses.map((address) => ({ address, name: null })),
      now,
    );
    await store.createDigestRun({
      digestId: 'daily',
      createdAt: new Date(now.getTime() - 2 * 86_400_000),
      fromStoryId: 0,
      toStoryId: 0,
      storyIds: [],
      subject: 'old',
      recipients: [],
    });
  } finally {
    await store.close();
  }
  return { schema, databaseUrl, config };
}
