/** What every CLI command is, and the argument parsing they share. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { App } from '../app.ts';
import { UsageError } from '../errors.ts';

export interface GlobalOptions {
  configPath: string;
  dataDir: string;
}

export interface CommandContext {
  /** Arguments after the command name. */
  argv: string[];
  globals: GlobalOptions;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Resolves when the user asks the process to stop (SIGINT/SIGTERM). */
  stopSignal: Promise<void>;
}

export interface Command {
  name: string;
  /** Full help text, printed by --help. */
  help: string;
  /** Runs the command; resolves to the exit code. */
  run(context: CommandContext): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses a command's own arguments strictly; unknown options are a UsageError. */
export function parseCommandArgs<T extends Options>(command: string, argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (cause) {
    throw new UsageError(`${command}: ${(cause as Error).message.replace(/\. To specify.*$/s, '')}; see "columnwire ${command} --help"`, {
      cause,
    });
  }
}

/** Parses a whole-number option within bounds. */
export function parseCount(command: string, name: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1 || number > max) {
    throw new UsageError(`${command}: --${name} must be a whole number from 1 to ${max}, got "${value}"`);
  }
  return number;
}

/**
 * Loads the config and builds the app; the caller closes it. One-shot commands print their
 * own results, so their log defaults to errors only; the service logs from `info`.
 */
export async function openApp(
  globals: GlobalOptions,
  defaultLogLevel: 'info' | 'error' = 'error',
  access: Access = 'read-write',
): Promise<App> {
  // Imported here, not at the top: commands that need no app (healthcheck) start without them.
  const [{ createApp, databasePath }, { loadConfig }, { createLogger }, { prepareDataFolder }] = await Promise.all([
    import('../app.ts'),
    import('../config/load.ts'),
    import('../logger.ts'),
    import('../storage/data-folder.ts'),
  ]);
  const logger = createLogger({ level: process.env.LOG_LEVEL || defaultLogLevel });
  const config = loadConfig(globals.configPath);
  // Config problems first (exit 2), then a data folder SQLite could not use, named with the reason.
  prepareDataFolder(globals.dataDir, databasePath(globals.dataDir));
  return createApp({ config, dataDir: globals.dataDir, logger, syncFeeds: access === 'read-write' });
}

/**
 * 'read-only' commands (listings, stats, exports, backups) leave the stored feed list alone:
 * run with another --config against the service's data, they must not change what it polls.
 * So do cluster processes without the scheduler role (run --roles http,worker).
 */
export type Access = 'read-write' | 'read-only';

/** Runs `body` with an open app, always closing it. */
export async function withApp<T>(globals: GlobalOptions, body: (app: App) => Promise<T>, access: Access = 'read-write'): Promise<T> {
  const app = await openApp(globals, 'error', access);
  try {
    return await body(app);
  } finally {
    await app.close();
  }
}
