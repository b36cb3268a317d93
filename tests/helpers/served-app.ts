/** A real app with stories stored directly and its HTTP server on 127.0.0.1, port 0. */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { createApp, type App } from '../../src/app.ts';
import { parseConfig } from '../../src/config/load.ts';
import { normalizeItems } from '../../src/feeds/normalize-items.ts';
import { createLogger } from '../../src/logger.ts';
import type { ParsedItem } from '../../src/model.ts';
import type { RunningServer } from '../../src/publish/http-server.ts';

export const SERVED_AT = new Date('2026-11-21T12:00:00Z');

export const SERVED_CONFIG = `title: Test Columns
baseUrl: https://columns.example.net
server:
  port: 0
feeds:
  - url: https://times.example.com/jane/rss
    id: jane
    title: Jane Doe
    outlet: The Times
    tags: [politics, uk]
  - url: https://agg.example.org/feed
    id: agg
    outlet: Aggregator
    tags: [misc]
  - url: https://quiet.example.org/feed
    id: quiet
`;

export interface ServedApp {
  app: App;
  server: RunningServer;
  /** Stores items as if `feedId` had been polled at `now`. */
  save(feedId: string, items: ParsedItem[], now?: Date): Promise<void>;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  /** Prunes stories published before `before` through the app's store. */
  prune(before: Date): Promise<number>;
}

/** Starts the app and server over a fresh data dir in `root` (on the clock `options.now`, else the real one); both close when the test ends. */
export async function startServedApp(root: string, configYaml = SERVED_CONFIG, options: { now?: () => Date } = {}): Promise<ServedApp> {
  const app = await createApp({
    config: parseConfig(configYaml, 'feeds.yaml'),
    dataDir: mkdtempSync(join(root, 'served-')),
    logger: createLogger({ level: 'silent' }),
    ...(options.now ? { now: options.now } : {}),
  });
  const server = await app.startServer();
  onTestFinished(async () => {
    await server.close();
    await app.close();
  });
  return {
    app,
    server,
    async save(feedId, items, now = SERVED_AT) {
      const state = { url: `https://${feedId}.example/feed`, etag: null, lastModified: null, ttlMinutes: null, nextFetchAt: now };
      await app.store.saveFetched(feedId, normalizeItems(items, now), state, now, null);
    },
    get: (path, headers = {}) => fetch(`${server.url}${path}`, { headers }),
    prune: (before) => app.store.pruneStories(before),
  };
}
