/**
 * A real app (config parsed from YAML, SQLite store in a temp dir) whose feeds live on a local
 * test server, with a clock the test moves by hand. Closed when the test finishes.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { expect, onTestFinished } from 'vitest';
import { createApp, type App } from '../../src/app.ts';
import { parseConfig } from '../../src/config/load.ts';
import { pollAll, type PollCycleOptions, type PollCycleSummary } from '../../src/feeds/poll-all.ts';
import { createLogger } from '../../src/logger.ts';
import type { FeedState, PollOutcome, Story } from '../../src/model.ts';

/** The moment every poll test starts at; fixture items are dated the day before. */
export const START = new Date('2025-06-02T12:00:00Z');

export interface PollApp {
  app: App;
  /** What `now()` returns; move it with `advance` or by assigning. */
  clock: { now: Date };
  advance(ms: number): void;
  /** One poll cycle (manual unless told). */
  poll(options?: Partial<PollCycleOptions>): Promise<PollCycleSummary>;
  /** One poll cycle, returning the outcome for `feedId`. */
  pollOne(feedId: string, options?: Partial<PollCycleOptions>): Promise<PollOutcome>;
  feed(feedId: string): Promise<FeedState>;
  stories(feedId?: string): Promise<Story[]>;
}

export interface PollAppOptions {
  /** A directory made once per file with makeTempDir(); each app gets its own folder in it. */
  dataRoot: string;
  /** Feed id → URL, in config order. */
  feeds: Record<string, string>;
  /** Extra `poll:` settings (allowPrivateAddresses is true, timeoutSeconds 5 unless given). */
  poll?: Record<string, number | boolean>;
  /** More top-level feeds.yaml text, appended as is (a `columnists:` list, say). */
  extraYaml?: string;
}

/** The feeds.yaml text for these feeds and poll settings. */
export function configYaml(feeds: Record<string, string>, poll: Record<string, number | boolean> = {}, extraYaml = ''): string {
  const settings = { allowPrivateAddresses: true, timeoutSeconds: 5, ...poll };
  return [
    'title: Poll test digest',
    'retentionDays: 90',
    'poll:',
    ...Object.entries(settings).map(([key, value]) => `  ${key}: ${value}`),
    'feeds:',
    ...Object.entries(feeds).flatMap(([id, url]) => [`  - id: ${id}`, `    url: "${url}"`]),
    extraYaml,
  ].join('\n');
}

/** Builds the app over a fresh data directory with a fixed clock and random() = 0.5 (no jitter). */
export async function startPollApp(options: PollAppOptions): Promise<PollApp> {
  const config = parseConfig(configYaml(options.feeds, options.poll, options.extraYaml), 'feeds.yaml');
  const clock = { now: START };
  const app = await createApp({
    config,
    dataDir: mkdtempSync(join(options.dataRoot, 'app-')),
    logger: createLogger({ level: 'silent' }),
    now: () => clock.now,
    random: () => 0.5,
  });
  onTestFinished(() => app.close());
  const poll = (cycle: Partial<PollCycleOptions> = {}) => pollAll(app.config, app.poll, { mode: 'manual', ...cycle });
  return {
    app,
    clock,
    advance: (ms) => {
      clock.now = new Date(clock.now.getTime() + ms);
    },
    poll,
    pollOne: async (feedId, cycle = {}) => {
      const summary = await poll({ ...cycle, feedId });
      expect(summary.results).toHaveLength(1);
      return summary.results[0]!.outcome;
    },
    feed: async (feedId) => {
      const feed = await app.store.getFeed(feedId);
      if (!feed) throw new Error(`poll-app: no feed "${feedId}" in the store`);
      return feed;
    },
    stories: (feedId) => app.store.listStories({ limit: 1000, ...(feedId === undefined ? {} : { feedIds: [feedId] }) }),
  };
}

/** A small valid RSS 2.0 feed whose items are unique to `name`. */
export function rssFeed(name: string, itemCount = 2): string {
  const items = Array.from(
    { length: itemCount },
    (_, i) => `
    <item>
      <title>${name} column number ${i + 1}</title>
      <link>https://${name}.example/columns/${i + 1}</link>
      <guid>https://${name}.example/columns/${i + 1}</guid>
      <pubDate>Sun, 01 Jun 2025 0${i % 10}:00:00 GMT</pubDate>
      <description>What ${name} thinks, part ${i + 1}.</description>
    </item>`,
  ).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
  <channel>
    <title>${name} columns</title>
    <link>https://${name}.example/</link>
    <description>Columns by ${name}</description>${items}
  </channel>
</rss>
`;
}
