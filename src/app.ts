/**
 * The one composition root: builds the logger, the store and the poll dependencies from a
 * config and a data directory. Commands and the daemon get everything from here.
 */
import { join } from 'node:path';
import { ConfigError, type Config } from './config/load.ts';
import type { CycleDeps } from './feeds/poll-all.ts';
import { createParsePool, type ParsePoolLimits } from './feeds/parse-pool.ts';
import type { PollSettings } from './feeds/poll-feed.ts';
import { trySettingsOf } from './feeds/try-feed.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { judgeReadiness, maxPollAgeMs, type Readiness } from './readiness.ts';
import { previewDigest, type DigestDeps } from './digest/run-digest.ts';
import { loadTemplates } from './digest/render-digest.ts';
import { createMailer } from './digest/send-digest.ts';
import { createLogger, type Logger } from './logger.ts';
import { loadSecret } from './secret.ts';
import { startHttpServer, type HttpServerDeps, type RunningServer } from './publish/http-server.ts';
import { createPublishedFeeds, type PublishedFeeds } from './publish/published-feeds.ts';
import { scheduleIntervalMinutes, scheduleMaxGapMinutes } from './scheduler.ts';
import { createSqliteStore, type Store } from './storage/store.ts';

export interface App {
  /** The config in force; `reconfigure` replaces it. */
  readonly config: Config;
  dataDir: string;
  logger: Logger;
  store: Store;
  /** Everything a poll cycle needs. */
  poll: CycleDeps;
  /** The merged feeds, OPML and home page, built once per store change. */
  readonly published: PublishedFeeds;
  /** Prometheus metrics over the store and this process. */
  metrics: Metrics;
  /** Whether the service is ready: the database answers and the last poll cycle is recent. */
  readiness(): Promise<Readiness>;
  /** Starts the HTTP server on config.server (env HOST and PORT override it). */
  startServer(): Promise<RunningServer>;
  /** Signs unsubscribe links (env COLUMNWIRE_SECRET, else <data>/secret). */
  secret: string;
  /** What sending digests needs: the mailer (SMTP_URL, else <data>/outbox), templates, secret. Close the mailer after. */
  digestDeps(): Promise<DigestDeps>;
  /** Applies a new config without a restart: feeds synced, poll settings and published feeds rebuilt. */
  reconfigure(next: Config): Promise<void>;
  close(): Promise<void>;
}

export interface AppOptions {
  config: Config;
  dataDir: string;
  logger?: Logger;
  now?: () => Date;
  random?: () => number;
  /** Make the stored feeds match the config (default); read-only commands leave them alone. */
  syncFeeds?: boolean;
}

/** The SQLite file inside a data directory. */
export function databasePath(dataDir: string): string {
  return join(dataDir, 'columnwire.db');
}

/** Opens the store, syncs it with the config's feeds and wires the poller. */
export async function createApp(options: AppOptions): Promise<App> {
  const { dataDir } = options;
  let config = options.config;
  const logger = options.logger ?? createLogger();
  const store = createSqliteStore(databasePath(dataDir));
  if (options.syncFeeds ?? true) await store.syncFeeds(config.feeds);
  const metrics = createMetrics(store);
  const now = options.now ?? (() => new Date());
  // Workers start on the first parse, so commands that never poll start none.
  const parser = createParsePool(parseLimits(config));
  const poll: CycleDeps = {
    store,
    logger,
    now,
    parser,
    random: options.random ?? Math.random,
    settings: pollSettings(config),
    observeFeed: (outcome, seconds) => metrics.observeFeed(outcome, seconds),
  };
  // Computed once per config: these build a cron task, too slow per request.
  let pollIntervalMinutes = scheduleIntervalMinutes(config.poll.schedule);
  let pollMaxGapMinutes = scheduleMaxGapMinutes(config.poll.schedule);
  const publish = (current: Config) =>
    createPublishedFeeds({
      store,
      title: current.title,
      baseUrl: current.baseUrl,
      sources: current.feeds,
      ttlMinutes: pollIntervalMinutes,
      stripTracking: current.publish.stripTracking,
    });
  let published = publish(config);
  const secret = loadSecret(dataDir, process.env);
  const readiness = async () => {
    const stats = await store.readStats().catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
    return judgeReadiness(stats, now(), maxPollAgeMs(pollMaxGapMinutes));
  };
  const startServer = () => {
    const { host, port } = serverAddress(config, process.env);
    const preview = async (digestId: string) => {
      const digest = config.digests.find((candidate) => candidate.id === digestId);
      if (!digest) return null;
      return (await previewDigest(digest, { config, store, templates: await loadTemplates(config.templates) }, now())).html;
    };
    // Getters, so a reload's new documents and cache lifetime reach the running server.
    const deps: HttpServerDeps = {
      get published() {
        return published;
      },
      get maxAgeSeconds() {
        return pollIntervalMinutes * 60;
      },
      get adminNetworks() {
        return config.server.adminNetworks;
      },
      store,
      logger,
      secret,
      previewDigest: preview,
      metrics,
      readiness,
    };
    return startHttpServer(deps, host, port);
  };
  const digestDeps = async (): Promise<DigestDeps> => ({
    config,
    store,
    logger,
    secret,
    now,
    templates: await loadTemplates(config.templates),
    mailer: createMailer({ from: config.mail.from, smtpUrl: process.env.SMTP_URL || null, outboxDir: join(dataDir, 'outbox') }),
    retryDelaysMs: [2_000, 10_000],
  });
  const reconfigure = async (next: Config) => {
    await store.syncFeeds(next.feeds);
    config = next;
    pollIntervalMinutes = scheduleIntervalMinutes(next.poll.schedule);
    pollMaxGapMinutes = scheduleMaxGapMinutes(next.poll.schedule);
    poll.settings = pollSettings(next);
    parser.configure(parseLimits(next));
    published = publish(next);
  };
  return {
    get config() {
      return config;
    },
    get published() {
      return published;
    },
    dataDir,
    logger,
    store,
    poll,
    metrics,
    readiness,
    startServer,
    secret,
    digestDeps,
    reconfigure,
    close: async () => {
      await parser.close();
      await store.close();
    },
  };
}

function parseLimits(config: Config): ParsePoolLimits {
  return { workers: config.poll.parseWorkers, timeoutMs: config.poll.parseTimeoutSeconds * 1000 };
}

function pollSettings(config: Config): PollSettings {
  return { ...trySettingsOf(config.poll), retentionDays: config.retentionDays };
}

/** Where the HTTP server listens: config.server, overridden by env HOST and PORT (for containers). */
export function serverAddress(config: Config, env: NodeJS.ProcessEnv): { host: string; port: number } {
  const port = env.PORT !== undefined && env.PORT !== '' ? Number(env.PORT) : config.server.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError([`PORT must be a port number from 0 to 65535, got "${env.PORT}"`]);
  }
  return { host: env.HOST || config.server.host, port };
}
