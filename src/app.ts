/**
 * The one composition root: builds the logger, the store and the poll dependencies from a
 * config and a data directory. Commands and the daemon get everything from here.
 */
import { join } from 'node:path';
import type { Config } from './config/load.ts';
import type { PollDeps } from './feeds/poll-feed.ts';
import { createLogger, type Logger } from './logger.ts';
import { createSqliteStore, type Store } from './storage/store.ts';

export interface App {
  config: Config;
  dataDir: string;
  logger: Logger;
  store: Store;
  /** Everything a poll cycle needs. */
  poll: PollDeps & { logger: Logger };
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
  return { config, dataDir, logger, store, poll, close: () => store.close() };
}
