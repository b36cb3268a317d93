/**
 * A real app for digest tests: feeds.yaml (three feeds and the test's `digests:`) written to
 * a temp folder, so the CLI can open the same data; stories stored directly; a clock the test
 * moves; and runDigest called with no in-run retry waits. Closed when the test finishes.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { createApp, type App } from '../../src/app.ts';
import { parseConfig } from '../../src/config/load.ts';
import type { DigestConfig } from '../../src/config/schema.ts';
import { runDigest, type DigestDeps, type DigestResult } from '../../src/digest/run-digest.ts';
import { normalizeItems } from '../../src/feeds/normalize-items.ts';
import { createLogger } from '../../src/logger.ts';
import type { ParsedItem } from '../../src/model.ts';
import { item } from './items.ts';

/** The moment in-process digest tests start at (a summer day, so London is on BST). */
export const DIGEST_NOW = new Date('2026-07-01T12:00:00Z');

/** jane → The Times [politics, uk]; bob → The Guardian [economy]; ann → Daily Planet [politics]. */
export const DIGEST_FEEDS = `feeds:
  - url: https://times.example.com/jane/rss
    id: jane
    title: Jane Doe
    outlet: The Times
    tags: [politics, uk]
  - url: https://guardian.example.com/bob/rss
    id: bob
    title: Bob Roe
    outlet: The Guardian
    tags: [economy]
  - url: https://planet.example.com/ann/rss
    id: ann
    title: Ann Poe
    outlet: Daily Planet
    tags: [politics]
`;

/** The whole feeds.yaml for a `digests:` block (indented list items). */
export function digestConfigYaml(
  digests: string,
  port = 0,
  database: string | null = null,
  trustedProxies: readonly string[] = [],
  basePath = '',
): string {
  return `title: Test Columns
${database === null ? '' : `database: ${JSON.stringify(database)}\n`}baseUrl: ${port === 0 ? 'https://columns.example.net' : `http://127.0.0.1:${port}`}${basePath}
server:
  port: ${port}
${trustedProxies.length === 0 ? '' : `  trustedProxies: [${trustedProxies.join(', ')}]\n`}mail:
  from: Columnwire <digest@columns.example.net>
${DIGEST_FEEDS}digests:
${digests}`;
}

export interface DigestApp {
  app: App;
  /** feeds.yaml and the data folder, for running the CLI on the same data. */
  configPath: string;
  dataDir: string;
  /** What `now()` returns; move it with `advance`. */
  clock: { now: Date };
  advance(ms: number): void;
  digest(id: string): DigestConfig;
  /** Stores items as if `feedId` had been polled now (they are first seen now). */
  save(feedId: string, items: ParsedItem[]): Promise<void>;
  /** Digest deps sending to `smtpUrl` (null: the outbox), without waits between retries. */
  deps(smtpUrl: string | null): Promise<DigestDeps>;
  /** One `runDigest` of digest `id` via `smtpUrl`, closing the mailer after. */
  run(id: string, smtpUrl: string | null): Promise<DigestResult>;
}

export interface DigestAppOptions {
  /** A folder from makeTempDir(); each app gets its own folder in it. */
  root: string;
  /** The `digests:` list. */
  digests: string;
  /** The clock's start; the real clock when null. */
  now?: Date | null;
  /** A port for app.startServer(), which baseUrl then names (http://127.0.0.1:PORT), for a browser to follow links; default 0 and https://columns.example.net. */
  port?: number;
  /** A PostgreSQL URL to keep the data in (the config's `database:`); default the SQLite file in the data folder. */
  database?: string;
  /** server.trustedProxies; default none. */
  trustedProxies?: readonly string[];
  /** A path after baseUrl's host ("/news"), for a site served under a prefix; default none. */
  basePath?: string;
}

/** Builds the app over a fresh data folder. */
export async function startDigestApp(options: DigestAppOptions): Promise<DigestApp> {
  const folder = mkdtempSync(join(options.root, 'digest-'));
  const configPath = join(folder, 'feeds.yaml');
  const dataDir = join(folder, 'data');
  const yaml = digestConfigYaml(options.digests, options.port, options.database ?? null, options.trustedProxies, options.basePath);
  writeFileSync(configPath, yaml);
  const start = options.now === undefined ? DIGEST_NOW : options.now;
  const clock = { now: start ?? new Date() };
  const app = await createApp({
    config: parseConfig(yaml, configPath),
    dataDir,
    logger: createLogger({ level: 'silent' }),
    now: () => (start === null ? new Date() : clock.now),
  });
  onTestFinished(() => app.close());
  const deps = async (smtpUrl: string | null): Promise<DigestDeps> => {
    const saved = process.env.SMTP_URL;
    process.env.SMTP_URL = smtpUrl ?? '';
    try {
      return { ...(await app.digestDeps()), retryDelaysMs: [0, 0] };
    } finally {
      if (saved === undefined) delete process.env.SMTP_URL;
      else process.env.SMTP_URL = saved;
    }
  };
  const digest = (id: string): DigestConfig => {
    const found = app.config.digests.find((candidate) => candidate.id === id);
    if (!found) throw new Error(`digest-app: no digest "${id}" in the config`);
    return found;
  };
  return {
    app,
    configPath,
    dataDir,
    clock,
    advance: (ms) => {
      clock.now = new Date(clock.now.getTime() + ms);
    },
    digest,
    async save(feedId, items) {
      const now = app.poll.now();
      const state = { url: `https://${feedId}.example/feed`, etag: null, lastModified: null, ttlMinutes: null, nextFetchAt: now };
      await app.store.saveFetched(feedId, normalizeItems(items, now), state, now, null);
    },
    deps,
    async run(id, smtpUrl) {
      const built = await deps(smtpUrl);
      try {
        return await runDigest(digest(id), built);
      } finally {
        built.mailer.close();
      }
    },
  };
}

/** A column published `hoursAgo` before `now`, with a unique id, title and link. */
export function column(id: string, now: Date, hoursAgo: number, overrides: Partial<ParsedItem> = {}): ParsedItem {
  return item({ id, published: new Date(now.getTime() - hoursAgo * 3600_000), ...overrides });
}
