/**
 * The one composition root: builds the logger, the store and the poll dependencies from a
 * config and a data directory. Commands and the daemon get everything from here. What only
 * some commands use (the HTTP server, the published documents, metrics, the digest sender and
 * its MJML) is imported when first asked for, so `stats` or `poll` never load them.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ConfigError, type Config } from './config/load.ts';
import type { CycleDeps } from './feeds/poll-all.ts';
import { createParsePool, type ParsePoolLimits } from './feeds/parse-pool.ts';
import type { PollSettings } from './feeds/poll-feed.ts';
import { trySettingsOf } from './feeds/try-settings.ts';
import type { ClusterGaugeSources, Metrics } from './metrics.ts';
import { judgeReadiness, maxPollAgeMs, type Readiness } from './readiness.ts';
import type { DigestDeps } from './digest/run-digest.ts';
import type { Mailer, OutgoingMessage } from './digest/send-digest.ts';
import { createLogger, type Logger } from './logger.ts';
import { loadSecret } from './secret.ts';
import type { HttpServerDeps, RunningServer } from './publish/http-server.ts';
import type { PublishedFeeds } from './publish/published-feeds.ts';
import { isPostgresUrl } from './config/schema.ts';
import { redactUrl } from './redact.ts';
import { isClusterStore, openStore, type Store, type StoreTarget } from './storage/store.ts';

export interface App {
  /** The config in force; `reconfigure` replaces it. */
  readonly config: Config;
  dataDir: string;
  logger: Logger;
  store: Store;
  /** Everything a poll cycle needs. */
  poll: CycleDeps;
  /** The merged feeds, OPML and home page, built once per store change (loaded on first use). */
  publishedFeeds(): Promise<PublishedFeeds>;
  /** Whether the service is ready: the database answers and the last poll cycle is recent. */
  readiness(): Promise<Readiness>;
  /** Starts the HTTP server on config.server (env HOST and PORT override it), with /metrics (and the cluster's gauges, when given). */
  startServer(cluster?: ClusterGaugeSources): Promise<RunningServer>;
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
  /** Make the stored feeds match the config, at start and on reconfigure (default); read-only commands and cluster processes without the scheduler role leave them alone. */
  syncFeeds?: boolean;
}

/** The SQLite file inside a data directory. */
export function databasePath(dataDir: string): string {
  return join(dataDir, 'columnwire.db');
}

/**
 * Where the data lives: PostgreSQL when env COLUMNWIRE_DATABASE_URL or the config's `database:`
 * names a server (the environment wins, so a password need not sit in feeds.yaml), else the
 * SQLite file in the data directory.
 */
export function storeTarget(config: Pick<Config, 'database'>, dataDir: string, env: NodeJS.ProcessEnv): StoreTarget {
  const fromEnv = env.COLUMNWIRE_DATABASE_URL;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!isPostgresUrl(fromEnv)) {
      throw new ConfigError([
        `COLUMNWIRE_DATABASE_URL must be a PostgreSQL URL such as postgres://user:password@host:5432/columnwire, got "${redactUrl(fromEnv)}"`,
      ]);
    }
    return { kind: 'postgres', url: fromEnv };
  }
  return config.database !== null ? { kind: 'postgres', url: config.database } : { kind: 'sqlite', path: databasePath(dataDir) };
}

/** Opens the store, syncs it with the config's feeds and wires the poller. */
export async function createApp(options: AppOptions): Promise<App> {
  const { dataDir } = options;
  let config = options.config;
  const logger = options.logger ?? createLogger();
  const store = await openStore(storeTarget(config, dataDir, process.env), {
    onBackgroundError: (error, what) => logger.warn({ err: error }, what),
  });
  if (options.syncFeeds ?? true) await store.syncFeeds(config.feeds);
  const now = options.now ?? (() => new Date());
  // Workers start on the first parse, so commands that never poll start none.
  const parser = createParsePool(parseLimits(config));
  let metrics: Metrics | null = null;
  const poll: CycleDeps = {
    store,
    logger,
    now,
    parser,
    random: options.random ?? Math.random,
    settings: pollSettings(config),
    observeFeed: (outcome, seconds) => metrics?.observeFeed(outcome, seconds),
  };
  // The poll schedule's gaps (node-cron) are computed once per config, on first use: too slow per request.
  let pollGaps: { intervalMinutes: number; maxGapMinutes: number } | null = null;
  const gaps = async () => {
    if (pollGaps) return pollGaps;
    const { scheduleIntervalMinutes, scheduleMaxGapMinutes } = await import('./scheduler.ts');
    pollGaps = {
      intervalMinutes: scheduleIntervalMinutes(config.poll.schedule),
      maxGapMinutes: scheduleMaxGapMinutes(config.poll.schedule),
    };
    return pollGaps;
  };
  let published: PublishedFeeds | null = null;
  const buildPublished = async (): Promise<PublishedFeeds> => {
    const [{ createPublishedFeeds }, { intervalMinutes }] = await Promise.all([import('./publish/published-feeds.ts'), gaps()]);
    return createPublishedFeeds({
      store,
      title: config.title,
      baseUrl: config.baseUrl,
      sources: config.feeds,
      ttlMinutes: intervalMinutes,
      stripTracking: config.publish.stripTracking,
      site: config.site,
      columnists: config.columnists,
      signup: config.digests.some((digest) => digest.signup),
      now,
    });
  };
  const publishedFeeds = async (): Promise<PublishedFeeds> => (published ??= await buildPublished());
  // Every process of a cluster signs links with one secret: kept in the database, not a data folder.
  const secret =
    isClusterStore(store) && !process.env.COLUMNWIRE_SECRET
      ? await store.sharedSetting('unsubscribe-secret', randomBytes(32).toString('base64url'))
      : loadSecret(dataDir, process.env);
  const readiness = async () => {
    const last = await store
      .lastPollCycleAt()
      .then((lastPollCycleAt) => ({ lastPollCycleAt }))
      .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
    return judgeReadiness(last, now(), maxPollAgeMs((await gaps()).maxGapMinutes));
  };
  const startServer = async (cluster?: ClusterGaugeSources) => {
    const { host, port } = serverAddress(config, process.env);
    const [{ startHttpServer }, { createMetrics }] = await Promise.all([import('./publish/http-server.ts'), import('./metrics.ts')]);
    metrics ??= createMetrics(store, cluster);
    await publishedFeeds();
    const preview = async (digestId: string) => {
      const digest = config.digests.find((candidate) => candidate.id === digestId);
      if (!digest) return null;
      const [{ previewDigest }, { loadTemplates }] = await Promise.all([
        import('./digest/run-digest.ts'),
        import('./digest/render-digest.ts'),
      ]);
      return (await previewDigest(digest, { config, store, templates: await loadTemplates(config.templates) }, now())).html;
    };
    // Getters, so a reload's new documents and cache lifetime reach the running server.
    const deps: HttpServerDeps = {
      get published() {
        return published!;
      },
      get maxAgeSeconds() {
        return (pollGaps?.intervalMinutes ?? 1) * 60;
      },
      get adminNetworks() {
        return config.server.adminNetworks;
      },
      get trustedProxies() {
        return config.server.trustedProxies;
      },
      get readerRoutes() {
        return readerRoutes();
      },
      store,
      logger,
      secret,
      previewDigest: preview,
      metrics,
      readiness,
      now,
    };
    return startHttpServer(deps, host, port);
  };
  // Made on the first signup: a server nobody subscribes through never loads nodemailer.
  let signupMailer: Promise<Mailer> | null = null;
  const readerRoutes = () => ({
    store,
    secret,
    logger,
    baseUrl: config.baseUrl.replace(/\/+$/, ''),
    title: config.title,
    offered: config.digests.filter((digest) => digest.signup).map((digest) => ({ id: digest.id, name: digest.name ?? digest.id })),
    digestName: (id: string) => {
      const digest = config.digests.find((candidate) => candidate.id === id);
      return digest ? (digest.name ?? digest.id) : null;
    },
    listedByOperator: (digestId: string, address: string) =>
      config.digests.some((digest) => digest.id === digestId && digest.to.some((to) => to.toLowerCase() === address.toLowerCase())),
    send: async (message: OutgoingMessage) => {
      signupMailer ??= import('./digest/send-digest.ts').then(({ createMailer }) =>
        createMailer({ from: config.mail.from, smtpUrl: process.env.SMTP_URL || null, outboxDir: join(dataDir, 'outbox') }),
      );
      return (await signupMailer).send(message);
    },
    now,
  });
  const digestDeps = async (): Promise<DigestDeps> => {
    const [{ loadTemplates }, { createMailer }] = await Promise.all([
      import('./digest/render-digest.ts'),
      import('./digest/send-digest.ts'),
    ]);
    return {
      config,
      store,
      logger,
      secret,
      now,
      templates: await loadTemplates(config.templates),
      mailer: createMailer({ from: config.mail.from, smtpUrl: process.env.SMTP_URL || null, outboxDir: join(dataDir, 'outbox') }),
      retryDelaysMs: [2_000, 10_000],
    };
  };
  const reconfigure = async (next: Config) => {
    if (options.syncFeeds ?? true) await store.syncFeeds(next.feeds);
    config = next;
    pollGaps = null;
    poll.settings = pollSettings(next);
    parser.configure(parseLimits(next));
    // Rebuilt now when a server uses them (the old ones serve meanwhile), else on first use.
    if (published) published = await buildPublished();
  };
  return {
    get config() {
      return config;
    },
    publishedFeeds,
    dataDir,
    logger,
    store,
    poll,
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
  return {
    workers: config.poll.parseWorkers,
    timeoutMs: config.poll.parseTimeoutSeconds * 1000,
    largestDocumentBytes: config.poll.maxBytes,
  };
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
