/**
 * The one composition root: builds the logger, the store and the poll dependencies from a
 * config and a data directory. Commands and the daemon get everything from here.
 */
import { join } from 'node:path';
import { ConfigError, type Config } from './config/load.ts';
import type { PollDeps } from './feeds/poll-feed.ts';
import { previewDigest, type DigestDeps } from './digest/run-digest.ts';
import { loadTemplates } from './digest/render-digest.ts';
import { createMailer } from './digest/send-digest.ts';
import { createLogger, type Logger } from './logger.ts';
import { loadSecret } from './secret.ts';
import { startHttpServer, type RunningServer } from './publish/http-server.ts';
import { createPublishedFeeds, type PublishedFeeds } from './publish/published-feeds.ts';
import { scheduleIntervalMinutes } from './scheduler.ts';
import { createSqliteStore, type Store } from './storage/store.ts';

export interface App {
  config: Config;
  dataDir: string;
  logger: Logger;
  store: Store;
  /** Everything a poll cycle needs. */
  poll: PollDeps & { logger: Logger };
  /** The merged feeds, OPML and home page, built once per store change. */
  published: PublishedFeeds;
  /** Starts the HTTP server on config.server (env HOST and PORT override it). */
  startServer(): Promise<RunningServer>;
  /** Signs unsubscribe links (env COLUMNWIRE_SECRET, else <data>/secret). */
  secret: string;
  /** What sending digests needs: the mailer (SMTP_URL, else <data>/outbox), templates, secret. Close the mailer after. */
  digestDeps(): Promise<DigestDeps>;
  close(): Promise<void>;
}

export interface AppOptions {
  config: Config;
  dataDir: string;
  logger?: Logger;
  now?: () => Date;
  random?: () => number;
}

/** The SQLite file inside a data directory. */
export function databasePath(dataDir: string): string {
  return join(dataDir, 'columnwire.db');
}

/** Opens the store, syncs it with the config's feeds and wires the poller. */
export async function createApp(options: AppOptions): Promise<App> {
  const { config, dataDir } = options;
  const logger = options.logger ?? createLogger();
  const store = createSqliteStore(databasePath(dataDir));
  await store.syncFeeds(config.feeds);
  const poll = {
    store,
    logger,
    now: options.now ?? (() => new Date()),
    random: options.random ?? Math.random,
    settings: {
      timeoutMs: config.poll.timeoutSeconds * 1000,
      maxBytes: config.poll.maxBytes,
      allowPrivateAddresses: config.poll.allowPrivateAddresses,
      retentionDays: config.retentionDays,
    },
  };
  const pollIntervalMinutes = scheduleIntervalMinutes(config.poll.schedule);
  const published = createPublishedFeeds({
    store, title: config.title, baseUrl: config.baseUrl, sources: config.feeds, ttlMinutes: pollIntervalMinutes,
  });
  const secret = loadSecret(dataDir, process.env);
  const startServer = () => {
    const { host, port } = serverAddress(config, process.env);
    const preview = async (digestId: string) => {
      const digest = config.digests.find((candidate) => candidate.id === digestId);
      if (!digest) return null;
      return (await previewDigest(digest, { config, store, templates: await loadTemplates(config.templates) }, poll.now())).html;
    };
    return startHttpServer({ published, store, logger, secret, previewDigest: preview, maxAgeSeconds: pollIntervalMinutes * 60 }, host, port);
  };
  const digestDeps = async (): Promise<DigestDeps> => ({
    config, store, logger, secret, now: poll.now,
    templates: await loadTemplates(config.templates),
    mailer: createMailer({ from: config.mail.from, smtpUrl: process.env.SMTP_URL || null, outboxDir: join(dataDir, 'outbox') }),
    retryDelaysMs: [2_000, 10_000],
  });
  return { config, dataDir, logger, store, poll, published, startServer, secret, digestDeps, close: () => store.close() };
}

/** Where the HTTP server listens: config.server, overridden by env HOST and PORT (for containers). */
export function serverAddress(config: Config, env: NodeJS.ProcessEnv): { host: string; port: number } {
  const port = env.PORT !== undefined && env.PORT !== '' ? Number(env.PORT) : config.server.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError([`PORT must be a port number from 0 to 65535, got "${env.PORT}"`]);
  }
  return { host: env.HOST || config.server.host, port };
}
