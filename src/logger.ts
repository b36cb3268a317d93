/**
 * The one pino logger, made by the composition root and passed down. It writes to stderr
 * (stdout is for command output): JSON lines, or readable lines when stderr is a terminal.
 * LOG_LEVEL sets the level; LOG_FORMAT=json or pretty overrides the choice of format.
 */
import { pino } from 'pino';
import pretty from 'pino-pretty';

export type Logger = pino.Logger;

/** Field names whose values never reach a log line, wherever they are nested. */
const SECRET_KEYS = ['password', 'pass', 'secret', 'token', 'smtpUrl', 'authorization', 'auth'];

export interface LoggerOptions {
  level?: string;
  /** Readable lines instead of JSON; default: when stderr is a terminal (LOG_FORMAT overrides). */
  pretty?: boolean;
  /** Where lines go; default stderr. Tests pass a stream. */
  destination?: NodeJS.WritableStream;
}

/** Creates the process logger. */
export function createLogger(options: LoggerOptions = {}, env: NodeJS.ProcessEnv = process.env): Logger {
  const level = options.level ?? (env.LOG_LEVEL || 'info');
  const format = env.LOG_FORMAT?.toLowerCase();
  const readable = format === 'pretty' ? true : format === 'json' ? false : (options.pretty ?? process.stderr.isTTY === true);
  const settings: pino.LoggerOptions = {
    level,
    base: { name: 'columnwire' },
    redact: { paths: SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]), censor: '[redacted]' },
  };
  if (readable) {
    return pino(settings, pretty({ destination: options.destination ?? 2, sync: true, colorize: !options.destination && process.stderr.isTTY === true, singleLine: true, ignore: 'pid,hostname,name', translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l' }));
  }
  return pino(settings, options.destination ?? pino.destination(2));
}
